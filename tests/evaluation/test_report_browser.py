"""report.html in a real headless Chromium: the charts and the clips are drawn."""

from __future__ import annotations

import pytest

from motionctx.engines.evaluation.html import PALETTE
from motionctx.engines.evaluation.screenshot import find_browser, screenshot
from motionctx.recipe import load_recipe


def _count(picture, rgb: tuple[int, int, int], tol: int = 12) -> int:
    import numpy as np

    a = np.asarray(picture.convert("RGB")).astype(int)
    return int((np.abs(a - np.array(rgb)).max(axis=-1) <= tol).sum())


@pytest.mark.skipif(find_browser() is None, reason="no chromium binary on PATH (apt-get install chromium)")
def test_report_renders_charts_and_clips(baseline_recipe, tmp_path):
    from PIL import Image as PILImage

    load_recipe(baseline_recipe).run(output_dir=tmp_path / "out", progress=False)
    shot = screenshot(tmp_path / "out" / "eval" / "report.html", tmp_path / "report.png", height=2400)
    picture = PILImage.open(shot)
    width, height = picture.size
    charts = picture.crop((0, 0, width, height // 2))
    for colour in PALETTE[:3]:  # one bar colour per variant
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert _count(charts, rgb) > 200, f"no bars of {colour} in the chart area"
    # the clips: the driving squares' green background and the reference's red square
    assert _count(picture, (51, 178, 51), tol=25) > 2000
    assert _count(picture, (230, 26, 26), tol=25) > 1000
    blank = PILImage.new("RGB", picture.size, "white")
    assert _count(blank, (51, 178, 51), tol=25) == 0  # the counts can fail
