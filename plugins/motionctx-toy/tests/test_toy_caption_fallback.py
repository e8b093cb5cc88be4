"""toy_caption describes toy media from their sidecars, and only those: a foreign reference or
driving clip gets the recipe's fallback prompt and a warning, never another character's caption."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from motionctx.errors import InputError
from motionctx.io import read_image, read_video
from motionctx.plugins import build_part
from motionctx.types import Image, Video
from motionctx_toy import write_toy_assets

FALLBACK = "A small character moves."


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_toy_assets(tmp_path_factory.mktemp("toy"))


def _guider(assets: dict[str, Path], **extra: object):
    params = {"reference_sidecar": str(assets["reference"]), "driving_sidecar": str(assets["driving"]),
              "fallback_prompt": FALLBACK, **extra}  # fmt: skip
    return build_part("text_guider", "toy_caption", params)


def test_toy_media_get_their_own_caption(assets: dict[str, Path]) -> None:
    import warnings

    ref, drv = read_image(assets["reference"]), read_video(assets["driving"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning for the media the sidecars describe
        text = _guider(assets).describe(ref, drv)
    assert text != FALLBACK and text.startswith("A") and ". It " in text


def test_the_same_character_in_another_pose_keeps_its_caption(assets: dict[str, Path]) -> None:
    """The identity is what the caption says of the reference: a frame of the target (the reference's
    character doing the driving motion, on its background; lossless, as a reference PNG is) is the
    same character."""
    from motionctx_toy import ClipSpec, render_spec
    from motionctx_toy.assets import read_sidecar

    caption = _guider(assets).describe(read_image(assets["reference"]), read_video(assets["driving"]))
    target = render_spec(ClipSpec(**read_sidecar(assets["target"])["spec"])).frame(8)
    assert _guider(assets).describe(target, read_video(assets["driving"])) == caption


def test_a_foreign_reference_gets_the_fallback_and_a_warning(assets: dict[str, Path]) -> None:
    photo = Image(torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0)))
    with pytest.warns(UserWarning, match=r"reference image is not the toy character of .*reference.png.*histogram"):
        assert _guider(assets).describe(photo, read_video(assets["driving"])) == FALLBACK
    other = read_video(assets["driving"]).frame(0)  # another toy character, on another background
    with pytest.warns(UserWarning, match="reference image is not the toy character"):
        assert _guider(assets).describe(other, read_video(assets["driving"])) == FALLBACK


def test_a_foreign_driving_clip_describes_the_reference_character_only(assets: dict[str, Path]) -> None:
    """A toy character driven by someone else's video (issue 21's dance): its own looks, which the
    bundled model needs (a caption-less prompt costs it most of its motion following), and no
    motion words; the driving clip's character is never described."""
    clip = Video(torch.rand(5, 3, 32, 32, generator=torch.Generator().manual_seed(1)), 8.0)
    ref = read_image(assets["reference"])
    full = _guider(assets).describe(ref, read_video(assets["driving"]))
    with pytest.warns(UserWarning, match="driving video is not the toy clip.*reference's character only"):
        text = _guider(assets).describe(ref, clip)
    assert text == full.split(". It ")[0] + ". It moves."
    photo = Image(torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0)))
    with pytest.warns(UserWarning, match="fallback prompt"):  # neither is toy media: the fallback
        assert _guider(assets).describe(photo, clip) == FALLBACK


def test_media_without_a_sidecar_get_the_fallback(assets: dict[str, Path], tmp_path: Path) -> None:
    photo = shutil.copy(assets["reference"], tmp_path / "me.png")  # the same pixels, no sidecar beside it
    guider = _guider(assets, reference_sidecar=str(photo))
    with pytest.warns(UserWarning, match=r"no usable reference sidecar .*me\.toy\.json"):
        assert guider.describe(read_image(photo), read_video(assets["driving"])) == FALLBACK


def test_a_recipe_that_names_no_clip_is_still_an_error(assets: dict[str, Path]) -> None:
    guider = build_part("text_guider", "toy_caption", {"fallback_prompt": FALLBACK})
    with pytest.raises(InputError, match="needs to know which toy clip"):
        guider.describe(read_image(assets["reference"]), read_video(assets["driving"]))
