"""With the first_frame composer the backbones reproduce diffusers' stock pipelines frame for frame."""

from __future__ import annotations

import pytest
import torch
from PIL import Image as PILImage

from motionctx.builtins.composers import FirstFrameComposer

SIZE, FRAMES, STEPS = 32, 5, 3


def stock_pipeline(folder, variant: str):
    from diffusers import WanImageToVideoPipeline

    pipe = WanImageToVideoPipeline.from_pretrained(
        str(folder), local_files_only=True, expand_timesteps=variant == "ti2v"
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def run_stock(pipe, reference, *, steps: int, guidance: float, seed: int) -> torch.Tensor:
    pil = PILImage.fromarray(reference.pixels.mul(255).round().byte().permute(1, 2, 0).numpy())
    out = pipe(
        image=pil,
        prompt="a dancing robot",
        negative_prompt="blurry, static",
        height=SIZE,
        width=SIZE,
        num_frames=FRAMES,
        num_inference_steps=steps,
        guidance_scale=guidance,
        generator=torch.Generator("cpu").manual_seed(seed),
        output_type="pt",
    )
    return out.frames[0]


@pytest.mark.parametrize("variant", ["i2v", "i2v_moe", "ti2v"])
def test_first_frame_matches_stock_pipeline(variant, tiny_folders, backbones, image, video):
    bb = backbones[variant]
    ref = image(SIZE, SIZE)
    composite = FirstFrameComposer().compose(ref, video(FRAMES, SIZE, SIZE), bb.geometry)
    steps_seen: list[tuple[int, int]] = []
    ours = bb.sample(
        composite,
        "a dancing robot",
        negative_prompt="blurry, static",
        steps=STEPS,
        guidance=5.0,
        seed=7,
        progress=lambda i, n: steps_seen.append((i, n)),
    )
    stock = run_stock(stock_pipeline(tiny_folders[variant], variant), ref, steps=STEPS, guidance=5.0, seed=7)
    assert ours.frames.shape == stock.shape == (FRAMES, 3, SIZE, SIZE)
    assert (ours.frames - stock).abs().max().item() < 1e-4
    assert steps_seen == [(i, STEPS) for i in range(1, STEPS + 1)]
    assert ours.frames.std() > 0.01  # a real video, not a constant


def test_euler_scheduler_option_matches_stock_with_euler(tiny_folders, fresh_backbone, image, video):
    from diffusers import FlowMatchEulerDiscreteScheduler

    bb = fresh_backbone("i2v", scheduler="euler", flow_shift=5.0)
    ref = image(SIZE, SIZE, seed=3)
    composite = FirstFrameComposer().compose(ref, video(FRAMES, SIZE, SIZE))
    ours = bb.sample(composite, "a dancing robot", negative_prompt="blurry, static", steps=2, guidance=1.0, seed=1)
    pipe = stock_pipeline(tiny_folders["i2v"], "i2v")
    pipe.scheduler = FlowMatchEulerDiscreteScheduler(shift=5.0)
    stock = run_stock(pipe, ref, steps=2, guidance=1.0, seed=1)
    assert (ours.frames - stock).abs().max().item() < 1e-4
    # the folder's own UniPC schedule gives a different video
    other = fresh_backbone("i2v").sample(composite, "a dancing robot", steps=2, guidance=1.0, seed=1)
    assert (other.frames - ours.frames).abs().max().item() > 1e-4


def test_seed_controls_the_noise(backbones, image, video):
    bb = backbones["ti2v"]
    composite = FirstFrameComposer().compose(image(SIZE, SIZE), video(FRAMES, SIZE, SIZE))
    a = bb.sample(composite, "x", steps=2, guidance=1.0, seed=0)
    b = bb.sample(composite, "x", steps=2, guidance=1.0, seed=0)
    c = bb.sample(composite, "x", steps=2, guidance=1.0, seed=1)
    assert torch.equal(a.frames, b.frames)
    assert not torch.equal(a.frames, c.frames)
    assert a.fps == composite.video.fps
