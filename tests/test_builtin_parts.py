"""Built-in composers, text guiders and motion sources: conformance batteries plus specifics."""

from __future__ import annotations

import pytest
import torch

from motionctx import build_part
from motionctx.errors import InputError
from motionctx.testing import (
    ComposerConformance,
    MotionSourceConformance,
    QualityFilterConformance,
    TextGuiderConformance,
    random_image,
    random_video,
)
from motionctx.types import Geometry


class TestSpatial(ComposerConformance):
    part_name = "spatial"


class TestSpatialRight(ComposerConformance):
    part_name = "spatial"
    params = {"reference_side": "right"}


class TestTemporal(ComposerConformance):
    part_name = "temporal"


class TestFirstFrame(ComposerConformance):
    part_name = "first_frame"


class TestNone(TextGuiderConformance):
    part_name = "none"


class TestStatic(TextGuiderConformance):
    part_name = "static"
    params = {"prompt": "a robot dances"}


class TestConcat(TextGuiderConformance):
    part_name = "concat"
    params = {"appearance": "a red robot.", "motion": "It waves."}


class TestRawVideo(MotionSourceConformance):
    part_name = "raw_video"


def test_spatial_layout_matches_the_method() -> None:
    ref, motion = random_image(8, 12), random_video(5, 8, 12)
    comp = build_part("composer", "spatial").compose(ref, motion)
    f = comp.video.frames
    assert f.shape == (5, 3, 8, 24)
    assert torch.equal(f[0, :, :, :12], ref.pixels)  # frame 1 = ref | D[1]
    assert torch.all(f[1:, :, :, :12] == 0.5)  # later frames = 0 | D[t] (0 in [-1, 1])
    assert torch.equal(f[:, :, :, 12:], motion.frames)
    assert comp.known["reference"][0, 0, :, :12].all() and not comp.known["reference"][1:].any()
    assert comp.known["motion"][:, 0, :, 12:].all() and not comp.known["motion"][:, :, :, :12].any()
    assert torch.equal(comp.extract(comp.video).frames[0], ref.pixels)


def test_temporal_layout_meets_the_frame_rule() -> None:
    ref, motion = random_image(8, 8), random_video(9, 8, 8)
    comp = build_part("composer", "temporal").compose(ref, motion, Geometry(temporal_factor=4))
    assert comp.video.num_frames == 21 and (21 - 1) % 4 == 0
    assert torch.equal(comp.video.frames[:9], motion.frames)
    assert torch.equal(comp.video.frames[9], ref.pixels)
    assert comp.target.frames == (9, 18)


def test_first_frame_ignores_motion_pixels() -> None:
    ref = random_image(8, 8)
    a = build_part("composer", "first_frame").compose(ref, random_video(5, 8, 8, seed=1))
    b = build_part("composer", "first_frame").compose(ref, random_video(5, 8, 8, seed=2))
    assert torch.equal(a.video.frames, b.video.frames) and set(a.known) == {"reference"}


def test_composer_size_mismatch_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="reference is 8x8 but the motion signal is 8x12"):
        build_part("composer", "spatial").compose(random_image(8, 8), random_video(3, 8, 12))


@pytest.mark.parametrize("fit", ["crop", "pad", "stretch"])
def test_raw_video_fits_reference_size(fit: str) -> None:
    out = build_part("motion_source", "raw_video", {"fit": fit}).prepare(random_video(3, 20, 40), random_image(16, 16))
    assert out.frames.shape == (3, 3, 16, 16)
    if fit == "pad":  # letterboxed: black bars above and below
        assert out.frames[:, :, 0].abs().sum() == 0


def test_concat_joins_without_fusion() -> None:
    g = build_part("text_guider", "concat", {"appearance": " A red robot. ", "motion": "It waves."})
    assert g.describe(random_image(), random_video()) == "A red robot. It waves."


class TestBasicQuality(QualityFilterConformance):
    part_name = "basic_quality"


def test_basic_quality_ranks_good_above_broken() -> None:
    from motionctx.types import Sample, Video

    ref = random_image(32, 32, seed=5)
    good = Video(ref.pixels[None].repeat(5, 1, 1, 1))  # the reference, perfectly still
    noisy = random_video(5, 32, 32, seed=9)  # unrelated flickering noise
    blurred = Video(torch.full((5, 3, 32, 32), 0.5))
    f = build_part("quality_filter", "basic_quality")
    s_good = f.score(Sample(reference=ref, target=good))
    s_noisy = f.score(Sample(reference=ref, target=noisy))
    s_blur = f.score(Sample(reference=ref, target=blurred))
    assert s_good["temporal_stability"] == 5.0 and s_noisy["temporal_stability"] < 3.0
    assert s_good["reference_similarity"] == 5.0 and s_blur["reference_similarity"] < 2.0
    assert s_blur["sharpness"] == 1.0
