"""In-context conditioning: latent shapes, masks per region, extraction, sizes the model accepts."""

from __future__ import annotations

import pytest
import torch

from motionctx.builtins.composers import SpatialComposer, TemporalComposer
from motionctx.errors import InputError
from motionctx.types import Composite, Region, Video


def test_spatial_i2v_mask_differs_between_reference_and_motion_halves(backbones, image, video):
    bb = backbones["i2v"]
    h, w, t = 32, 48, 9
    comp = SpatialComposer().compose(image(h, w), video(t, h, w), bb.geometry)
    cond = bb.encode_condition(comp)
    lh, lw, lf = h // 8, 2 * w // 8, (t - 1) // 4 + 1
    assert cond.latents.shape == (1, 16, lf, lh, lw)
    assert cond.mask.shape == (1, 4, lf, lh, lw)
    ref, mot = cond.mask[..., : lw // 2], cond.mask[..., lw // 2 :]
    assert torch.all(ref[:, :, 0] == 1)  # frame 1 packed four times
    assert torch.all(ref[:, :, 1:] == 0)  # the reference half is unknown afterwards
    assert torch.all(mot == 1)  # the motion half is given at every frame
    # loss mask: known cells are frame 0 everywhere and the motion half always
    assert torch.all(cond.known[..., 0, :, :] == 1)
    assert torch.all(cond.known[..., 1:, :, : lw // 2] == 0)
    assert torch.all(cond.known[..., lw // 2 :] == 1)
    assert cond.image_embeds is not None and cond.image_embeds.shape[0] == 1
    hidden, ts = cond.model_input(torch.zeros_like(cond.latents), torch.tensor(500.0))
    assert hidden.shape == (1, 36, lf, lh, lw)  # [noise 16 | mask 4 | condition 16]
    assert torch.equal(hidden[:, 16:20], cond.mask) and torch.equal(hidden[:, 20:], cond.latents)
    assert ts.tolist() == [500.0]


def test_spatial_right_side_reference_flips_the_mask(backbones, image, video):
    bb = backbones["i2v_moe"]
    comp = SpatialComposer(reference_side="right").compose(image(16, 32), video(5, 16, 32), bb.geometry)
    cond = bb.encode_condition(comp)
    lw = cond.mask.shape[-1]
    assert torch.all(cond.mask[..., : lw // 2] == 1)
    assert torch.all(cond.mask[:, :, 1:, :, lw // 2 :] == 0)
    assert cond.image_embeds is None  # Wan 2.2 A14B has no CLIP branch


def test_temporal_i2v_mask_keeps_per_frame_detail(backbones, image, video):
    bb = backbones["i2v"]
    comp = TemporalComposer().compose(image(16, 16), video(5, 16, 16), bb.geometry)
    assert comp.video.num_frames == 13  # 5 motion frames + 8 target frames = 4k+1
    cond = bb.encode_condition(comp)
    m = cond.mask[0, :, :, 0, 0]  # [4 channels, 4 latent frames]
    # latent 0 = pixel 0 (x4), latent 1 = pixels 1-4 (motion), latent 2 = pixels 5-8 (reference at 5)
    assert m[:, 0].tolist() == [1, 1, 1, 1]
    assert m[:, 1].tolist() == [1, 1, 1, 1]
    assert m[:, 2].tolist() == [1, 0, 0, 0]
    assert m[:, 3].tolist() == [0, 0, 0, 0]
    assert cond.known[0, 0, :, 0, 0].tolist() == [1, 1, 0, 0]


def test_ti2v_known_tokens_are_clean_with_timestep_zero(backbones, image, video):
    bb = backbones["ti2v"]
    h, w, t = 32, 64, 5
    comp = SpatialComposer().compose(image(h, w), video(t, h, w), bb.geometry)
    cond = bb.encode_condition(comp)
    lf, lh, lw = 2, h // 16, 2 * w // 16
    assert cond.mask is None and cond.latents.shape == (1, 48, lf, lh, lw)
    noise = torch.full_like(cond.latents, 7.0)
    hidden, ts = cond.model_input(noise, torch.tensor(900.0))
    assert hidden.shape == cond.latents.shape  # no extra channels
    known = cond.known.bool().expand_as(hidden)
    assert torch.equal(hidden[known], cond.latents[known])
    assert torch.all(hidden[~known] == 7.0)
    tokens = ts.view(lf, lh // 2, lw // 2)  # patch (1, 2, 2)
    assert torch.all(tokens[0] == 0)  # frame 1: reference and motion known
    assert torch.all(tokens[1:, :, : lw // 4] == 900.0)  # reference half to generate
    assert torch.all(tokens[1:, :, lw // 4 :] == 0)  # motion half held clean
    final = cond.finalize(noise)
    assert torch.equal(final[known], cond.latents[known])


@pytest.mark.parametrize("variant", ["i2v", "ti2v"])
def test_odd_sizes_are_snapped_by_geometry_and_extracted(variant, backbones, image, video):
    bb = backbones[variant]
    g = bb.geometry
    h, w = g.snap_size(37, 75)
    t = g.snap_frames(8)
    assert (h % g.size_multiple, w % g.size_multiple, (t - 1) % g.temporal_factor) == (0, 0, 0)
    assert t == 5 and h >= g.size_multiple and w >= g.size_multiple
    comp = SpatialComposer().compose(image(h, w), video(t, h, w), g)
    out = bb.sample(comp, "x", steps=1, guidance=1.0)
    assert out.frames.shape == (t, 3, h, 2 * w)
    clip = SpatialComposer().extract(out, comp)
    assert clip.frames.shape == (t, 3, h, w)
    assert torch.equal(clip.frames, out.frames[..., :w])
    # the un-snapped size is refused with a hint that names geometry
    bad = SpatialComposer().compose(image(h + 4, w), video(t, h + 4, w), g)
    with pytest.raises(InputError, match="multiples of") as err:
        bb.sample(bad, "x", steps=1, guidance=1.0)
    assert "snap" in err.value.hint


def test_temporal_output_is_extracted_from_the_target_frames(backbones, image, video):
    bb = backbones["i2v_moe"]
    comp = TemporalComposer().compose(image(16, 16), video(5, 16, 16), bb.geometry)
    out = bb.sample(comp, "x", steps=1, guidance=1.0)
    assert out.frames.shape == (13, 3, 16, 16)
    clip = TemporalComposer().extract(out, comp)
    assert clip.frames.shape == (5, 3, 16, 16)
    assert torch.equal(clip.frames, out.frames[5:10])


def test_wrong_frame_count_is_refused(backbones):
    frames = torch.full((6, 3, 16, 16), 0.5)
    known = {"reference": torch.zeros(6, 1, 16, 16)}
    comp = Composite(Video(frames), known, Region((0, 6), 0, 0, 16, 16), layout="first_frame")
    with pytest.raises(InputError, match="4k\\+1"):
        backbones["i2v"].encode_condition(comp)
