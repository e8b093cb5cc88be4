"""Previews people can look at: labelled contact sheets and pixel enlargement of small outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from motionctx.engines.preview import LABEL_WIDTH, MIN_PREVIEW_HEIGHT, contact_sheet, enlarge, write_previews
from motionctx.io import read_image, read_video
from motionctx.types import Image, Video


def _video(value: float, frames: int = 4, size: int = 16) -> Video:
    return Video(torch.full((frames, 3, size, size), value), 8.0)


def test_enlarge_repeats_pixels() -> None:
    v = Video(torch.rand(2, 3, 4, 5), 8.0)
    big = enlarge(v, 3)
    assert big.frames.shape == (2, 3, 12, 15)
    assert torch.equal(big.frames[:, :, ::3, ::3], v.frames) and torch.equal(big.frames[:, :, 2::3, 2::3], v.frames)
    assert enlarge(v, 1) is v


def test_labelled_sheet_has_a_label_column_and_the_rows() -> None:
    rows = [_video(0.0), _video(1.0)]
    plain = contact_sheet(rows, columns=3, gap=2).pixels
    labelled = contact_sheet(rows, columns=3, gap=2, labels=["dark", "light"]).pixels
    assert labelled.shape[-1] == plain.shape[-1] + LABEL_WIDTH
    assert torch.equal(labelled[:, :, LABEL_WIDTH:], plain)
    column = labelled[:, :, :LABEL_WIDTH]
    top, bottom = column[:, :16], column[:, 18:]
    assert top.min() < 0.5 and bottom.min() < 0.5  # each row's label is written beside it
    with pytest.raises(ValueError, match="1 labels for 2 rows"):
        contact_sheet(rows, labels=["one"])


def test_small_outputs_are_previewed_enlarged_and_labelled(tmp_path: Path) -> None:
    reference = Image(torch.full((3, 16, 16), 0.25))
    paths = write_previews(tmp_path, reference, _video(0.5), _video(0.75), _video(1.0), motion_label="skeleton")
    factor = MIN_PREVIEW_HEIGHT // 16
    preview = read_video(paths["preview"])
    assert preview.size[0] == 16 * factor and preview.num_frames == 4
    sheet = read_image(paths["contact_sheet"]).pixels
    row = 16 * factor
    assert sheet.shape[-2] == 4 * row + 3 * 4  # reference, driving, skeleton, output
    # the output row (last) holds the output's value, the reference row the reference's
    assert sheet[:, -row:, LABEL_WIDTH:LABEL_WIDTH + row].mean().item() == pytest.approx(1.0, abs=0.01)
    assert sheet[:, :row, LABEL_WIDTH:LABEL_WIDTH + row].mean().item() == pytest.approx(0.25, abs=0.01)
