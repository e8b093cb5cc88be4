"""The toy world: determinism, splits, retargeting, masks, multi-character scenes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from motionctx.errors import InputError
from motionctx_toy import (
    FAMILIES,
    HELDOUT_START,
    ClipSpec,
    ToyWorld,
    make_character,
    make_motion,
    motion_kinds,
    render_clip,
    render_spec,
)
from motionctx_toy.metrics import foreground_mask
from motionctx_toy.posing import pose
from motionctx_toy.skeletons import KEYPOINTS, skeleton_for
from motionctx_toy.world import world_preset


@pytest.fixture(scope="module")
def world() -> ToyWorld:
    return ToyWorld(split="train")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_same_seed_gives_the_same_clip(world: ToyWorld, family: str) -> None:
    a, b = world.clip(11, family=family), world.clip(11, family=family)
    assert torch.equal(a.video.frames, b.video.frames)
    assert torch.equal(a.poses.keypoints, b.poses.keypoints)
    assert torch.equal(a.mask, b.mask)
    assert a.caption == b.caption
    assert world.character(5, family).describe() == world.character(5, family).describe()
    assert not torch.equal(a.video.frames, world.clip(12, family=family).video.frames)


def test_clip_shapes_and_types(world: ToyWorld) -> None:
    clip = world.clip(3, family="humanoid")
    assert clip.video.frames.shape == (9, 3, 64, 64)
    assert clip.video.frames.dtype == torch.float32
    assert clip.mask.shape == (9, 1, 64, 64)
    assert clip.character_masks.shape == (1, 9, 1, 64, 64)
    assert clip.poses.keypoints.shape == (9, 1, 18, 2)
    assert clip.background.shape == (3, 64, 64)
    assert ToyWorld(size=(48, 80), frames=17).clip(3).video.frames.shape == (17, 3, 48, 80)
    ch, m = world.character(2, "bird"), world.motion(2, "bird", frames=5)
    assert world.render(ch, m).video.frames.shape == (9, 3, 64, 64)  # resampled to the world's length


def test_splits_keep_their_seed_ranges() -> None:
    train, held = ToyWorld(split="train"), ToyWorld(split="heldout")
    assert held.seed(0) == HELDOUT_START and train.seed(7) == 7
    with pytest.raises(InputError, match="outside the train seed range"):
        train.character(HELDOUT_START)
    with pytest.raises(InputError, match="outside the heldout seed range"):
        held.clip(5)
    with pytest.raises(InputError):
        ToyWorld(split="test")
    for world, inside in ((train, lambda s: s < HELDOUT_START), (held, lambda s: s >= HELDOUT_START)):
        for i in range(20):
            spec = world.spec(world.seed(i), characters=2)
            seeds = [c.seed for c in spec.characters] + [m.seed for m in spec.motions] + [spec.background]
            assert all(inside(s) for s in seeds), seeds
        case = world.cross_identity_case(world.seed(3))
        assert all(inside(case.metadata[k]) for k in ("identity_a", "identity_b", "motion", "reference_motion"))
    assert held.clip(held.seed(1)).metadata["split"] == "heldout"


def test_motion_is_the_same_at_any_frame_count() -> None:
    for family in FAMILIES:
        m9, m17 = make_motion(42, family, 9), make_motion(42, family, 17)
        assert m9.kind == m17.kind
        np.testing.assert_allclose(m17.offsets[::2], m9.offsets, atol=1e-5)
        np.testing.assert_allclose(m17.root_x[::2], m9.root_x, atol=1e-5)
        np.testing.assert_allclose(m17.resample(9).offsets, m9.offsets, atol=1e-5)
        np.testing.assert_allclose(m9.resample(17).offsets[::2], m9.offsets, atol=1e-6)


def test_every_motion_kind_renders() -> None:
    for family in FAMILIES:
        ch = make_character(1, family)
        for kind in motion_kinds(family):
            clip = render_clip(ch, make_motion(2, family, 9, kind=kind))
            assert clip.mask.sum() > 20, (family, kind)
            assert clip.metadata["motions"][0]["kind"] == kind


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_motion_retargets_to_any_identity(family: str) -> None:
    a, b = make_character(100, family), make_character(200, family)
    motion = make_motion(300, family, 9)
    pa, pb = pose(a, motion, (64, 64)), pose(b, motion, (64, 64))
    np.testing.assert_allclose(pa.angles, pb.angles)  # identical joint angles
    plan = pa.rig.plan
    ji = plan.joint_index
    ratios = []
    for bone in plan.bones:
        c, p = ji[bone.joint], ji[bone.parent]
        va, vb = pa.joints[:, c] - pa.joints[:, p], pb.joints[:, c] - pb.joints[:, p]
        la, lb = np.linalg.norm(va, axis=-1), np.linalg.norm(vb, axis=-1)
        ok = (la > 0.5) & (lb > 0.5)
        cos = (va * vb).sum(-1)[ok] / (la * lb)[ok]
        np.testing.assert_allclose(cos, 1.0, atol=1e-3)  # same bone directions in the image
        ratios.append(float(np.median(la[ok] / lb[ok])) if ok.any() else 1.0)
    assert max(ratios) / min(ratios) > 1.2  # but different proportions, not just a rescale


def test_humanoid_uses_openpose_order() -> None:
    from motionctx.pose import get_skeleton

    assert skeleton_for("humanoid") is get_skeleton("openpose_18")
    ch = make_character(4, "humanoid")
    m = make_motion(4, "humanoid", 1, kind="wave")
    still = dataclasses.replace(m, offsets=np.zeros_like(m.offsets), yaw=np.zeros(1, np.float32),
                                roll=np.zeros(1, np.float32))
    kp = dict(zip(KEYPOINTS["humanoid"], render_clip(ch, still).poses.keypoints[0, 0].tolist()))
    assert kp["r_shoulder"][0] < kp["neck"][0] < kp["l_shoulder"][0]  # facing the camera: right side on the left
    assert kp["r_hip"][0] < kp["l_hip"][0] and kp["r_eye"][0] < kp["l_eye"][0]
    assert kp["nose"][1] < kp["neck"][1] < kp["r_hip"][1] < kp["r_knee"][1] < kp["r_ankle"][1]


@pytest.mark.parametrize("characters,mixed", [(1, False), (2, False), (3, True)])
def test_masks_match_rendered_pixels(world: ToyWorld, characters: int, mixed: bool) -> None:
    for seed in range(4):
        clip = world.clip(seed, characters=characters, mixed=mixed)
        frames, bg, mask = clip.video.frames, clip.background, clip.mask
        outside = mask[:, 0] == 0
        assert torch.equal(frames.permute(0, 2, 3, 1)[outside], bg.permute(1, 2, 0).expand_as(frames.permute(0, 2, 3, 1))[outside])
        assert torch.equal(foreground_mask(frames, bg), mask)  # every character pixel stands out
        assert torch.equal(clip.character_masks.sum(0), mask)  # per-character masks partition the mask


def test_keypoints_lie_on_their_character(world: ToyWorld) -> None:
    hits = total = 0
    for seed in range(12):
        clip = world.clip(seed)
        kp, sc = clip.poses.keypoints[:, 0], clip.poses.scores[:, 0]
        x = kp[..., 0].long().clamp(0, 63)
        y = kp[..., 1].long().clamp(0, 63)
        on = clip.mask[torch.arange(9)[:, None], 0, y, x] > 0
        hits += int(on[sc > 0].sum())
        total += int((sc > 0).sum())
    assert hits / total > 0.9


def test_multi_character_scenes(world: ToyWorld) -> None:
    clip = world.clip(21, family="bird", characters=3)
    assert clip.poses.keypoints.shape == (9, 3, 19, 2)
    assert clip.character_masks.shape[0] == 3
    assert all(clip.character_masks[i].sum() > 0 for i in range(3))
    mixed = world.clip(8, characters=3, mixed=True)
    families = [c["family"] for c in mixed.metadata["characters"]]
    assert len(mixed.character_poses) == 3
    if len(set(families)) > 1:
        with pytest.raises(InputError, match="mixes body families"):
            _ = mixed.poses
    assert mixed.caption.count(". It ") == 3


def test_spec_renders_the_same_clip(world: ToyWorld) -> None:
    clip = world.clip(33, characters=2)
    again = render_spec(ClipSpec(**clip.metadata["spec"]))
    assert torch.equal(clip.video.frames, again.video.frames)
    assert torch.equal(clip.poses.keypoints, again.poses.keypoints)


def test_pair_clips_move_in_unison_one_half_each() -> None:
    world = ToyWorld(split="train", size=(48, 48))
    pair = render_spec(world.pair_spec(7))
    assert pair.video.size == (48, 96)
    a, b = pair.character_poses
    assert pair.metadata["characters"][0] != pair.metadata["characters"][1]
    # same motion, each laid out like a one-character clip in its own half: the hips coincide
    hips = [KEYPOINTS["humanoid"].index(n) for n in ("r_hip", "l_hip")]
    shift = b.keypoints[:, 0, hips].mean(1) - a.keypoints[:, 0, hips].mean(1)
    assert torch.allclose(shift[:, 0], torch.full_like(shift[:, 0], 48.0), atol=1.0)
    assert torch.allclose(shift[:, 1], torch.zeros_like(shift[:, 1]), atol=6.0)  # proportions differ
    masks = pair.character_masks
    assert masks[0, :, :, :, 48:].sum() < 0.05 * masks[0].sum()  # each character keeps to its half
    assert masks[1, :, :, :, :48].sum() < 0.05 * masks[1].sum()
    assert torch.equal(pair.video.frames, render_spec(world.pair_spec(7)).video.frames)


def test_framing_scales_characters_and_shrinks_their_paths() -> None:
    wide, close = ToyWorld(size=(48, 48)), ToyWorld(size=(48, 48), scale=1.3, span=0.5)
    a, b = wide.clip(21, family="humanoid"), close.clip(21, family="humanoid")
    unframed = {**a.metadata["spec"], "placements": None}  # render_clip's own lanes, untouched by any framing
    assert torch.equal(a.video.frames, render_spec(ClipSpec(**unframed)).video.frames)  # the defaults change nothing
    assert float(b.mask.mean()) > 1.4 * float(a.mask.mean())  # larger bodies
    hips = [KEYPOINTS["humanoid"].index(n) for n in ("r_hip", "l_hip")]
    travel = [float(c.poses.keypoints[:, 0, hips, 0].mean(1).std()) for c in (a, b)]
    assert travel[1] < 0.75 * travel[0]  # a shorter path
    assert torch.equal(render_spec(ClipSpec(**b.metadata["spec"])).video.frames, b.video.frames)  # the spec keeps the framing
    case = ToyWorld(split="heldout", size=(48, 48), scale=1.3, span=0.5).cross_identity_case(HELDOUT_START + 3)
    plain = ToyWorld(split="heldout", size=(48, 48)).cross_identity_case(HELDOUT_START + 3)
    for framed, own in ((case.target, plain.target), (case.reference_clip, plain.reference_clip), (case.driving, plain.driving)):
        assert float(framed.mask.mean()) > 1.2 * float(own.mask.mean())
    pair = render_spec(close.pair_spec(7))
    assert float(pair.mask.mean()) > 1.2 * float(render_spec(wide.pair_spec(7)).mask.mean())
    with pytest.raises(InputError, match="framing"):
        ToyWorld(scale=0.0)
    with pytest.raises(InputError, match="framing"):
        ToyWorld(span=-1.0)


def test_background_kind_can_be_forced() -> None:
    plain = ToyWorld(size=(32, 32), background_kind="plain")
    for clip in (plain.clip(5), render_spec(plain.reference_spec(5)), render_spec(plain.pair_spec(5))):
        assert clip.metadata["spec"]["background_kind"] == "plain"
        assert clip.background.flatten(1).std(1).max() == 0  # one colour everywhere
    case = ToyWorld(split="heldout", size=(32, 32), background_kind="stripes").cross_identity_case(HELDOUT_START + 2)
    assert {c.metadata["background"]["kind"] for c in (case.reference_clip, case.driving, case.target)} == {"stripes"}
    with pytest.raises(InputError, match="background kind"):
        ToyWorld(background_kind="clouds")


def test_supersampled_clips_stay_consistent() -> None:
    clip = ToyWorld(supersample=2).clip(5)
    assert set(clip.mask.unique().tolist()) <= {0.0, 1.0}
    assert 0.0 <= float(clip.video.frames.min()) and float(clip.video.frames.max()) <= 1.0
    plain = ToyWorld().clip(5)
    assert torch.equal(clip.poses.keypoints, plain.poses.keypoints)
    assert (clip.mask != plain.mask).float().mean() < 0.02


def test_bad_inputs_are_reported() -> None:
    with pytest.raises(InputError, match="unknown toy family"):
        make_character(1, "fish")
    with pytest.raises(InputError, match="cannot drive"):
        render_clip(make_character(1, "bird"), make_motion(1, "humanoid", 9))
    with pytest.raises(InputError, match="one motion per character"):
        render_clip([make_character(1, "bird")] * 2, make_motion(1, "bird", 9))
    with pytest.raises(InputError, match="kind"):
        make_motion(1, "bird", 9, kind="moonwalk")


def test_thickness_widens_bodies_and_renders_again_from_the_spec() -> None:
    """``thickness`` multiplies limb and body widths (more foreground, same pose and place), is
    recorded in the clip spec and refused out of range."""
    from motionctx_toy.world import ToyWorld

    thin, thick = ToyWorld(size=(32, 32), frames=3), ToyWorld(size=(32, 32), frames=3, thickness=1.8)
    for seed in range(4):
        a, b = thin.clip(seed), thick.clip(seed)
        assert b.spec is not None and b.spec.characters[0].thickness == 1.8
        assert a.spec is not None and a.spec.characters[0].thickness == 1.0
        assert float(b.mask.sum()) > 1.2 * float(a.mask.sum())
        assert float((a.mask * b.mask).sum()) > 0.9 * float(a.mask.sum())  # the thin body lies inside
        assert torch.equal(render_spec(b.spec).video.frames, b.video.frames)
    with pytest.raises(InputError, match="thickness"):
        ToyWorld(thickness=5.0)


def test_simple_world_is_flat_front_facing_and_keeps_to_its_lists() -> None:
    """The bundled model's world: one flat colour per body part, no turning, only the listed
    motion and background kinds; its clips render again from their specs."""
    from motionctx_toy.world import WORLDS, world_preset

    simple, hard = world_preset("simple"), world_preset("hard")
    assert (simple.size, simple.frames, simple.flat, simple.front) == ((32, 32), 5, True, True)
    kinds, backgrounds = set(), set()
    for seed in range(24):
        clip = simple.clip(seed)
        spec = clip.spec
        assert spec is not None and spec.characters[0].flat and spec.motions[0].front
        kinds.add(spec.motions[0].kind)
        backgrounds.add(spec.background_kind)
        assert torch.equal(render_spec(spec).video.frames, clip.video.frames)
        motion = simple.motion(spec.motions[0].seed, "humanoid")
        assert not motion.yaw.any() and not motion.roll.any()
    assert kinds == set(WORLDS["simple"]["motions"]) and backgrounds == set(WORLDS["simple"]["backgrounds"])
    # flat: the same identity has a texture pattern in the hard world and none in the simple one
    patterned = next(s for s in range(50) if hard.character(s).pattern != "plain")
    flat = simple.character(patterned)
    assert flat.pattern == "plain" and flat.colours == hard.character(patterned).colours
    # a flat clip shows exactly the character's palette on the body (no pattern), limbs on the far
    # side of the body one shade darker
    from motionctx_toy.colors import FAR_SHADE

    clip = simple.clip(3)
    colours = simple.character(clip.spec.characters[0].seed).colours.values()
    palette = {tuple(round(c * shade, 2) for c in rgb) for rgb in colours for shade in (1.0, FAR_SHADE)}
    body = clip.video.frames.permute(0, 2, 3, 1)[clip.mask[:, 0] > 0.5]
    seen = {tuple(round(float(c), 2) for c in px) for px in body}
    assert seen <= palette, seen - palette
    case = world_preset("simple", "heldout").cross_identity_case(HELDOUT_START + 2)
    assert case.metadata["target_spec"]["characters"][0]["flat"] is True


def test_simple_quadruped_world_is_the_simple_framing_with_animals() -> None:
    """The family the bundled pose model never saw: side-view quadrupeds with the simple world's
    size, flat colours and backgrounds, never turning round; held-out cases of it render."""
    from motionctx_toy.world import WORLDS, world_preset

    world = world_preset("simple_quadruped")
    assert (world.size, world.frames, world.flat, world.front, world.families) == ((32, 32), 5, True, True, ("quadruped",))
    kinds = set()
    for seed in range(16):
        clip = world.clip(seed)
        spec = clip.spec
        assert spec is not None and spec.characters[0].family == "quadruped" and spec.characters[0].flat
        kinds.add(spec.motions[0].kind)
        assert not world.motion(spec.motions[0].seed, "quadruped").yaw.any()
        assert clip.poses.skeleton.name == "toy_quadruped"
    assert kinds <= set(WORLDS["simple_quadruped"]["motions"]) and len(kinds) >= 3
    case = world_preset("simple_quadruped", "heldout").cross_identity_case(HELDOUT_START + 1)
    assert case.metadata["family"] == "quadruped" and float(case.target.mask.mean()) > 0.05


def test_named_worlds_refuse_unknown_names_and_kinds() -> None:
    from motionctx_toy.world import world_preset

    with pytest.raises(InputError, match="did you mean 'simple'"):
        world_preset("simpel")
    with pytest.raises(InputError, match="belongs to the humanoid family"):
        ToyWorld(motions=("gallop",), families=("humanoid",))
    with pytest.raises(InputError, match="unknown background kinds"):
        ToyWorld(backgrounds=("sky",))
    assert world_preset("simple", size=(48, 48)).size == (48, 48)


def test_a_cases_specs_render_its_reference_driving_and_target_again() -> None:
    """Each clip of a cross-identity case carries a spec that reproduces its pixels, the
    reference still included (a frame held from another motion of A's)."""
    world = world_preset("simple", "heldout")
    for i in range(3):
        case = world.cross_identity_case(HELDOUT_START + i)
        for clip in (case.reference_clip, case.driving, case.target):
            again = render_spec(clip.metadata["spec"])
            assert torch.equal(again.video.frames, clip.video.frames)
            assert torch.equal(again.poses.keypoints, clip.poses.keypoints)
        assert case.reference_clip.metadata["spec"]["motions"][0]["hold"][1] == world.frames


def test_specs_of_resampled_motions_and_their_stills_render_them_again() -> None:
    """A motion drawn at one frame count and resampled (once or twice) to the clip's, and a
    still held from such a motion, are written down so that their specs give the same pixels."""
    from motionctx_toy.spec import MotionSpec

    char = make_character(7, "humanoid", flat=True)
    drawn = make_motion(11, "humanoid", 9)
    clips = {
        "resampled by the clip": render_clip(char, drawn, (32, 32), frames=5, background=3),
        "resampled twice": render_clip(char, drawn.resample(6), (32, 32), frames=5, background=3),
        "a still of a resampled motion": render_clip(char, drawn.resample(5).frame(2), (32, 32), frames=5, background=3),
    }
    for name, clip in clips.items():
        again = render_spec(clip.metadata["spec"])
        assert torch.equal(again.video.frames, clip.video.frames), name
        assert torch.equal(again.poses.keypoints, clip.poses.keypoints), name
    assert clips["resampled twice"].metadata["spec"]["motions"][0]["resampled_from"] == (9, 6)
    assert render_clip(char, drawn, (32, 32), background=3).metadata["spec"]["motions"][0]["resampled_from"] == ()
    with pytest.raises(ValueError, match="at least 1"):
        MotionSpec(seed=1, resampled_from=(0,))
