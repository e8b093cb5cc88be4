"""The exact answer for a synthesised unit, read from the toy sidecars, and its scores."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from motionctx.errors import InputError
from motionctx.metrics.image import MAX_PSNR
from motionctx.types import Video
from motionctx_toy.assets import save_clip, sidecar_path
from motionctx_toy.metrics import copy_reference, score_case
from motionctx_toy.pairs import score_unit, truth_spec, unit_truth
from motionctx_toy.world import ToyWorld, world_preset

WORLD = world_preset("simple", "train")


def _write(folder: Path, case, name: str = "clip0000000") -> tuple[Path, Path]:
    """The case's reference still and driving clip written as the toy dataset writes them."""
    return (save_clip(folder / f"{name}.reference.png", case.reference_clip),
            save_clip(folder / f"{name}.mp4", case.driving))


@pytest.mark.parametrize("seed", [3, 11])
def test_truth_of_a_world_case_is_its_target(tmp_path: Path, seed: int) -> None:
    case = WORLD.cross_identity_case(seed)
    reference, driving = _write(tmp_path, case)
    assert sidecar_path(reference).name == "clip0000000.reference.toy.json"
    truth = unit_truth(reference, driving, 0, WORLD.frames)
    assert torch.equal(truth.video.frames, case.target.video.frames)
    assert torch.equal(truth.mask, case.target.mask) and torch.equal(truth.background, case.target.background)
    assert torch.equal(truth.poses.keypoints, case.target.poses.keypoints)
    assert truth.spec is not None and truth.spec == case.target.spec  # the whole clip keeps its spec
    assert not torch.equal(truth.video.frames, case.driving.video.frames)  # not simply the driving clip


def test_a_window_is_the_targets_frames_from_start(tmp_path: Path) -> None:
    case = WORLD.cross_identity_case(5)
    reference, driving = _write(tmp_path, case)
    truth = unit_truth(reference, driving, start=2, frames=2)
    assert torch.equal(truth.video.frames, case.target.video.frames[2:4]) and truth.video.start == 2
    assert torch.equal(truth.mask, case.target.mask[2:4])
    assert torch.equal(truth.character_masks, case.target.character_masks[:, 2:4])
    assert torch.equal(truth.poses.keypoints, case.target.poses.keypoints[2:4])
    assert truth.metadata["window"] == {"start": 2, "frames": 2} and truth.spec is None
    assert truth.metadata["source_spec"] == case.target.metadata["spec"]
    rest = unit_truth(reference, driving, start=3)  # to the end of the clip
    assert torch.equal(rest.video.frames, case.target.video.frames[3:])
    for start, frames in ((4, 2), (-1, 2), (0, 0)):
        with pytest.raises(InputError, match="does not fit the driving clip"):
            unit_truth(reference, driving, start, frames)


def test_missing_sidecar_or_other_family_is_refused(tmp_path: Path) -> None:
    case = WORLD.cross_identity_case(5)
    reference, driving = _write(tmp_path, case)
    sidecar_path(driving).unlink()
    with pytest.raises(InputError, match="driving clip .* has no usable toy sidecar"):
        unit_truth(reference, driving)
    birds = ToyWorld(split="train", size=WORLD.size, frames=WORLD.frames, families=("bird",))
    _, bird_drv = _write(tmp_path, birds.cross_identity_case(5), "bird")
    with pytest.raises(InputError, match=r"families \['humanoid'\] differ from the driving clip's \['bird'\]"):
        unit_truth(reference, bird_drv)
    sidecar_path(reference).unlink()
    with pytest.raises(InputError, match="reference .* has no usable toy sidecar"):
        unit_truth(reference, bird_drv)
    small = world_preset("simple", "train", size=(24, 24)).cross_identity_case(5)
    with pytest.raises(InputError, match="frame size"):
        truth_spec(small.reference_clip.spec, case.driving.spec)


def test_scores_the_truth_copying_and_a_wrong_video(tmp_path: Path) -> None:
    case = WORLD.cross_identity_case(7)
    reference, driving = _write(tmp_path, case)
    truth = unit_truth(reference, driving)
    perfect = score_unit(truth.video, truth, reference)  # the reference read back from its PNG
    assert perfect["iou"] == 1.0 and perfect["psnr"] == MAX_PSNR and perfect["colour_distance"] == 0.0
    copying = score_case(copy_reference(case), case)
    assert perfect["iou_copy"] == pytest.approx(copying["iou"]) and perfect["iou_copy"] < 1.0
    copied = score_unit(copy_reference(case), truth, case.reference)
    assert copied["iou"] == pytest.approx(copying["iou"]) and copied["psnr"] == pytest.approx(copying["psnr"])
    assert copied["colour_distance"] == pytest.approx(copying["colour_distance"])
    wrong = score_unit(case.driving.video, truth, case.reference)  # B on B's background
    assert wrong["iou"] < 0.9 and wrong["psnr"] < perfect["psnr"]
    window = unit_truth(reference, driving, start=1, frames=3)
    part = score_unit(Video(case.target.video.frames[1:4], 8.0), window, case.reference)
    assert part["iou"] == 1.0 and part["iou_copy"] < 1.0
    with pytest.raises(InputError, match="differ in shape"):
        score_unit(case.target.video, window, case.reference)
