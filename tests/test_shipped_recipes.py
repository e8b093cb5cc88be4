"""Every shipped recipe validates (with the environment variables it documents set), and the
ablation recipes differ from the method's recipe in exactly the part they ablate."""

from __future__ import annotations

from pathlib import Path

import pytest

from motionctx.recipe import load_recipe

from .conftest import REPO

RECIPES = sorted(p for p in (REPO / "recipes").rglob("*.yaml") if "accelerate" not in p.parts and p.name != "base.yaml")
ENV = ("WAN_I2V_PATH", "POSE_M2_LORA", "DWPOSE_DIR", "SOURCE_MANIFEST", "REFERENCES_DIR", "TRAIN_MANIFEST")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for v in ENV:
        monkeypatch.setenv(v, "/models/x")


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: str(p.relative_to(REPO / "recipes")))
def test_recipe_validates(path: Path) -> None:
    assert load_recipe(path).stages


def _parts(name: str) -> dict:
    return {s: (p.use, p.params) for s, p in load_recipe(REPO / "recipes" / name).parts.items()}


@pytest.mark.parametrize(
    ("ablation", "slot", "expect"),
    [
        ("temporal", "composer", lambda use, w: use == "temporal"),
        ("no_bbox_norm", "motion", lambda use, w: w["augment"] == {"bone_scale": [0.8, 1.2], "bbox_normalize": False}),
        ("no_bone_scale", "motion", lambda use, w: w["augment"] == {"bone_scale": None, "bbox_normalize": True}),
        ("no_augmentation", "motion", lambda use, w: w["augment"] == {"bone_scale": None, "bbox_normalize": False}),
        ("no_text", "text", lambda use, w: use == "none" and w == {}),
        ("text_concat", "text", lambda use, w: use == "mllm_concat"),
    ],
)
def test_ablation_changes_only_its_part(ablation: str, slot: str, expect) -> None:
    base, abl = _parts("train_pose_m2.yaml"), _parts(f"ablations/{ablation}.yaml")
    assert expect(*abl[slot])
    assert {s: v for s, v in abl.items() if s != slot} == {s: v for s, v in base.items() if s != slot}
