"""``read_image`` shows what a viewer shows: EXIF orientation, 16-bit and float images, palette
and alpha; oversized and out-of-range images are refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from motionctx.checks import MAX_IMAGE_PIXELS
from motionctx.engines.inputs import fit_inputs
from motionctx.errors import InputError
from motionctx.io import read_image
from motionctx.testing import random_video
from motionctx.types import Geometry, Image

from .test_bad_inputs import _png_header


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """A phone stores a portrait photo as landscape pixels plus 'rotate 90' (orientation 6)."""
    pixels = np.zeros((20, 30, 3), np.uint8)
    pixels[:, :10] = (255, 0, 0)  # red on the stored left
    exif = PILImage.Exif()
    exif[0x0112] = 6
    PILImage.fromarray(pixels).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    img = read_image(tmp_path / "phone.jpg")
    assert img.size == (30, 20)  # (H, W): portrait
    assert img.pixels[0, :5].mean() > 0.8 and img.pixels[0, -5:].mean() < 0.2  # the left is now the top


def test_sixteen_bit_greyscale_keeps_its_values(tmp_path: Path) -> None:
    ramp = np.linspace(0, 65535, 64, dtype=np.uint16).reshape(8, 8)
    PILImage.fromarray(ramp).save(tmp_path / "deep.png")
    assert PILImage.open(tmp_path / "deep.png").mode.startswith("I")
    img = read_image(tmp_path / "deep.png")
    assert torch.allclose(img.pixels[1], torch.from_numpy(ramp / 65535.0).float(), atol=1e-4)
    assert 0.45 < img.pixels.mean() < 0.55  # not clipped to white


def test_float_tiff_in_unit_range(tmp_path: Path) -> None:
    PILImage.fromarray(np.full((6, 6), 0.25, np.float32)).save(tmp_path / "f.tif")
    assert torch.allclose(read_image(tmp_path / "f.tif").pixels, torch.full((3, 6, 6), 0.25))


@pytest.mark.parametrize(("values", "match"), [(300.0, "values 300..300; expected 0..1"), (np.nan, "not finite")])
def test_float_tiff_out_of_range_is_an_error(tmp_path: Path, values: float, match: str) -> None:
    PILImage.fromarray(np.full((6, 6), values, np.float32)).save(tmp_path / "f.tif")
    with pytest.raises(InputError, match=match) as err:
        read_image(tmp_path / "f.tif")
    assert err.value.hint and "f.tif" in err.value.message


def test_palette_with_transparency_and_grey_alpha_go_on_white(tmp_path: Path) -> None:
    pal = PILImage.new("P", (4, 4), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0])
    pal.info["transparency"] = 0
    pal.save(tmp_path / "p.png", transparency=0)
    assert torch.allclose(read_image(tmp_path / "p.png").pixels, torch.ones(3, 4, 4))
    la = PILImage.fromarray(np.stack([np.zeros((4, 4), np.uint8), np.full((4, 4), 128, np.uint8)], -1), "LA")
    la.save(tmp_path / "la.png")
    assert torch.allclose(read_image(tmp_path / "la.png").pixels, torch.full((3, 4, 4), 127 / 255), atol=0.01)


def test_an_image_above_the_pixel_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    (tmp_path / "huge.png").write_bytes(_png_header(10000, MAX_IMAGE_PIXELS // 10000 + 1))
    with pytest.raises(InputError, match="above the limit of"):
        read_image(tmp_path / "huge.png")


def test_a_large_reference_is_scaled_down_with_a_note() -> None:
    big = Image(torch.rand(3, 1600, 1200))
    driving = random_video(5, 32, 32)
    fitted = fit_inputs(big, driving, Geometry(size_multiple=16))
    h, w = fitted.reference.size
    assert h * w <= 1.05 * 1024 * 1024 and abs(h / w - 4 / 3) < 0.05
    assert any("larger than" in n for n in fitted.notes)
    assert fit_inputs(big, driving, Geometry(), size=(1600, 1200)).reference.size == (1600, 1200)
