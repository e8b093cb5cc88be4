"""Weights checked first: every file a recipe names, listed at once, before any video is decoded."""

from __future__ import annotations

from pathlib import Path

import pytest

from motionctx.cli import run
from motionctx.errors import WeightsError
from motionctx.preflight import check_files, missing_paths
from motionctx.recipe import load_recipe

from .conftest import REPO

ENV = {"WAN_I2V_PATH": "/nowhere/wan", "POSE_M2_LORA": "/nowhere/lora.safetensors", "DWPOSE_DIR": "/nowhere/dw"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


def test_validate_check_files_lists_every_missing_path_at_once(env, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(["recipe", "validate", str(REPO / "recipes" / "pose_m2.yaml")]) == 0
    )  # without the flag: no file looked at
    capsys.readouterr()
    assert run(["recipe", "validate", str(REPO / "recipes" / "pose_m2.yaml"), "--check-files"]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith("error: 6 files the recipe needs do not exist")
    for path in ("/nowhere/wan", "/nowhere/lora.safetensors", "/nowhere/dw/yolox_l.onnx",
                 "/nowhere/dw/dw-ll_ucoco_384.onnx", "reference.png", "driving.mp4"):  # fmt: skip
        assert path in first, path
    assert "parts.motion: estimator dwpose det_model" in first and "stages.0.with.driving: video" in first
    assert "huggingface-cli download" in err and "DWPose ONNX files" in err  # each part's own hint


def test_validate_check_files_passes_when_everything_is_there(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["recipe", "validate", str(REPO / "recipes" / "demo.yaml"), "--check-files"]) == 0
    assert "every file it names exists" in capsys.readouterr().out


def test_a_partial_weights_folder_names_what_it_lacks(env, tmp_path: Path) -> None:
    folder = tmp_path / "wan"
    folder.mkdir()
    (folder / "model_index.json").write_text(
        '{"vae": ["diffusers", "AutoencoderKLWan"], "transformer": ["diffusers", "X"]}'
    )
    recipe = load_recipe(REPO / "recipes" / "pose_m2.yaml", [f"parts.backbone.with.path={folder}"])
    found = {m.path: m.what for m in missing_paths(recipe, inputs=False)}
    assert "missing tokenizer/" in found[str(folder)] and "vae/" in found[str(folder)]
    assert set(found) == {
        str(folder),
        "/nowhere/lora.safetensors",
        "/nowhere/dw/yolox_l.onnx",
        "/nowhere/dw/dw-ll_ucoco_384.onnx",
    }


def test_files_an_earlier_stage_writes_into_the_output_folder_are_not_missing(tmp_path: Path) -> None:
    recipe = load_recipe(
        REPO / "recipes" / "toy" / "pose_full.yaml", [f"inputs.models={tmp_path}", f"inputs.data={tmp_path}"]
    )
    assert missing_paths(recipe) == []  # its backbone folder is made by its own toy_model stage
    elsewhere = load_recipe(
        REPO / "recipes" / "toy" / "train_pose.yaml", [f"inputs.models={tmp_path}", f"inputs.data={tmp_path}"]
    )
    with pytest.raises(WeightsError, match="pretrain_i2v/train/model"):
        check_files(elsewhere)  # made by another recipe, which has not run


def test_a_run_checks_weights_before_reading_its_inputs(
    env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)
    code = run(["recipe", "run", str(REPO / "recipes" / "pose_m2.yaml"), "-o", str(tmp_path / "out"),
                "--set", f"inputs.driving={broken}", "--set", f"inputs.reference={tmp_path / 'none.png'}"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "4 files the recipe needs do not exist" in err and "broken.mp4" not in err


def test_a_missing_keypoint_file_is_an_input_not_weights(tmp_path: Path) -> None:
    """A training recipe may name a keypoint file it never reads (the manifest holds the poses):
    ``--check-files`` lists it, a run's weights check does not."""
    recipe = load_recipe(
        REPO / "recipes" / "example.yaml", [f"parts.motion.with.estimator.with.path={tmp_path / 'x.npz'}"]
    )
    assert [m.path for m in missing_paths(recipe)] == [str(tmp_path / "x.npz")]
    assert missing_paths(recipe, inputs=False) == []
