"""What a Wan backbone says before it runs: its missing files, all of them, and a composite larger
than its rotary positions reach (a RuntimeError deep in diffusers before)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from motionctx.errors import InputError
from motionctx.plugins import build_part
from motionctx.types import Image, Video


def test_missing_files_name_the_folder_its_gaps_and_the_lora(tiny_folders, tmp_path: Path) -> None:
    complete = build_part("backbone", "wan_i2v", {"path": str(tiny_folders["i2v"])})
    assert complete.missing_files() == []
    nowhere = build_part(
        "backbone", "wan_i2v", {"path": str(tmp_path / "none"), "lora": str(tmp_path / "l.safetensors")}
    )
    found = nowhere.missing_files()
    assert [m.path for m in found] == [str(tmp_path / "none"), str(tmp_path / "l.safetensors")]
    assert "does not exist" in found[0].what and "huggingface-cli download" in found[0].hint
    assert all(m.weights for m in found)


def test_a_composite_beyond_the_rotary_positions_is_an_input_error(backbones) -> None:
    backbone = backbones["i2v"]
    limit = int(backbone.main_transformer(backbone.pipe).config.rope_max_seq_len)
    side = (limit + 1) * backbone.geometry.size_multiple  # one position too many
    composer = build_part("composer", "spatial")
    reference = Image(torch.full((3, side, backbone.geometry.size_multiple), 0.5))
    composite = composer.compose(
        reference, Video(torch.zeros(1, 3, side, backbone.geometry.size_multiple)), backbone.geometry
    )
    with pytest.raises(InputError, match=rf"rotary positions for at most {limit} per side") as info:
        backbone.encode_condition(composite)
    assert "`size` or `area`" in info.value.hint
