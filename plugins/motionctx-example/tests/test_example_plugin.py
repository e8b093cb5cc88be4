"""The example plugin passes motionctx's conformance batteries and behaves as documented."""

from __future__ import annotations

import torch

from motionctx.testing import ComposerConformance, TextGuiderConformance, random_image, random_video


class TestVerticalComposer(ComposerConformance):
    part_name = "vertical"


class TestTemplateGuider(TextGuiderConformance):
    part_name = "template"
    params = {"template": "{frames} frames at {fps:g} fps"}


def test_vertical_layout_puts_reference_on_top() -> None:
    from motionctx import build_part

    ref, motion = random_image(8, 8), random_video(3, 8, 8)
    comp = build_part("composer", "vertical").compose(ref, motion)
    assert comp.video.frames.shape == (3, 3, 16, 8)
    assert torch.equal(comp.video.frames[0, :, :8], ref.pixels)
    assert torch.equal(comp.video.frames[:, :, 8:], motion.frames)


def test_template_text() -> None:
    from motionctx import build_part

    guider = build_part("text_guider", "template", {"template": "{frames} frames at {fps:g} fps"})
    assert guider.describe(random_image(), random_video(5, fps=8)) == "5 frames at 8 fps"
