"""The speed options of the Wan backbones: step caches, batched guidance, compilation, reporting."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from motionctx.builtins.composers import FirstFrameComposer, SpatialComposer
from motionctx.errors import RecipeError
from motionctx.io import write_image, write_video
from motionctx.recipe import load_recipe
from motionctx_wan.backbone import WanI2VBackbone

SIZE, FRAMES, STEPS = 32, 5, 12


def _sample(bb, composite, steps: int = STEPS, guidance: float = 5.0) -> torch.Tensor:
    return bb.sample(composite, "a dancing robot", negative_prompt="blurry", steps=steps, guidance=guidance, seed=2).frames


def _count_block_work(bb) -> list[int]:
    """A list that grows by one each time the last block's feed-forward layer really runs (a
    cached step skips it, unlike a hook on the block itself, which its cache hook replaces)."""
    calls: list[int] = []
    bb.pipe.transformer.blocks[-1].ffn.register_forward_hook(lambda *_: calls.append(1))
    return calls


@pytest.mark.parametrize("options", [{"cache": "first_block", "cache_threshold": 0.2},
                                     {"cache": "taylorseer", "cache_interval": 3, "cache_warmup": 2}])
def test_step_cache_skips_transformer_work_and_stays_close(options, fresh_backbone, image, video):
    plain, cached = fresh_backbone("i2v"), fresh_backbone("i2v", **options)
    composite = FirstFrameComposer().compose(image(SIZE, SIZE), video(FRAMES, SIZE, SIZE))
    plain_calls, cached_calls = _count_block_work(plain), _count_block_work(cached)
    ref, out = _sample(plain, composite), _sample(cached, composite)
    assert len(plain_calls) == 2 * STEPS  # conditional + unconditional pass per step
    assert len(cached_calls) < 0.75 * len(plain_calls)
    assert (out - ref).abs().mean() < 0.05  # close, though not equal
    assert not torch.equal(out, ref)
    # the hooks' state is cleared after a call: the same call gives the same video again
    assert torch.equal(_sample(cached, composite), out)


def test_training_runs_every_block_after_cached_sampling(fresh_backbone, image, video):
    bb = fresh_backbone("i2v", cache="first_block", cache_threshold=0.5)
    composite = SpatialComposer().compose(image(SIZE, SIZE), video(FRAMES, SIZE, SIZE))
    _sample(bb, composite, steps=3)
    calls = _count_block_work(bb)
    clean = composite.with_target(video(FRAMES, SIZE, SIZE, seed=5))
    for _ in range(2):
        bb.training_loss([composite], [clean], ["a robot"], torch.Generator().manual_seed(0))
    assert len(calls) == 2
    assert not bb.pipe.transformer.is_cache_enabled


@pytest.mark.parametrize("variant", ["i2v", "i2v_moe", "ti2v"])
def test_batched_guidance_gives_the_unbatched_output(variant, fresh_backbone, image, video):
    plain, batched = fresh_backbone(variant), fresh_backbone(variant, batch_cfg=True)
    composite = SpatialComposer().compose(image(SIZE, SIZE), video(FRAMES, SIZE, SIZE), plain.geometry)
    plain_calls, batched_calls = _count_block_work(plain), _count_block_work(batched)
    ref, out = _sample(plain, composite, steps=4), _sample(batched, composite, steps=4)
    assert (out - ref).abs().max() < 1e-4
    if variant != "i2v_moe":  # two experts: the hook sits on the first only
        assert len(plain_calls) == 8 and len(batched_calls) == 4  # one forward of batch 2 per step


def test_compile_option_compiles_the_blocks(fresh_backbone):
    bb = fresh_backbone("i2v", compile="blocks")
    assert all(block._compiled_call_impl is not None for block in bb.pipe.transformer.blocks)
    assert bb.sampling_options() == {"cache": "none", "batch_cfg": False, "compile": "blocks",
                                     "collapse_padding": False}


def test_collapse_padding_keeps_the_prompt_and_weights_the_rest():
    from motionctx_wan.speed import collapse_padding

    text = torch.zeros(2, 64, 4)
    text[0, :3], text[1, :9] = 1.0, 2.0
    short, biases = collapse_padding([text, torch.zeros(1, 64, 4)], multiple=8)
    assert [t.shape for t in short] == [(2, 16, 4), (1, 16, 4)]  # 9 prompt tokens + 1 padding row -> 16
    assert torch.equal(short[0], text[:, :16])
    assert biases[0].shape == (2, 1, 1, 16)
    assert torch.equal(biases[0][0, 0, 0, :3], torch.zeros(3))
    assert torch.allclose(biases[0][0, 0, 0, 3:], torch.full((13,), math.log(61 / 13)))
    assert torch.allclose(biases[0][1, 0, 0, 9:], torch.full((7,), math.log(55 / 7)))
    assert torch.allclose(biases[1], torch.full((1, 1, 1, 16), math.log(64 / 16)))
    assert collapse_padding([torch.ones(1, 64, 4)]) is None  # a prompt fills the length: nothing to drop


def _text_lengths(bb) -> list[int]:
    """Text tokens each cross-attention of the first block sees (the last 512 or fewer)."""
    seen: list[int] = []
    bb.pipe.transformer.blocks[0].attn2.to_k.register_forward_hook(lambda m, args, out: seen.append(args[0].shape[1]))
    return seen


@pytest.mark.parametrize(("variant", "batched"), [("i2v", False), ("i2v", True), ("i2v_moe", False), ("ti2v", True)])
def test_collapsed_padding_gives_the_padded_output(variant, batched, fresh_backbone, image, video):
    plain = fresh_backbone(variant, batch_cfg=batched)
    short = fresh_backbone(variant, batch_cfg=batched, collapse_padding=True)
    composite = SpatialComposer().compose(image(SIZE, SIZE), video(FRAMES, SIZE, SIZE), plain.geometry)
    plain_lengths, short_lengths = _text_lengths(plain), _text_lengths(short)
    ref, out = _sample(plain, composite, steps=4), _sample(short, composite, steps=4)
    assert (out - ref).abs().max() < 1e-4
    if variant != "i2v_moe":  # two experts: the hook sits on the first only
        assert set(plain_lengths) == {512} and set(short_lengths) == {32}
    # training afterwards sees every padding row again, with diffusers' own attention
    clean = composite.with_target(video(FRAMES, SIZE, SIZE, seed=5))
    losses = [bb.training_loss([composite], [clean], ["a robot"], torch.Generator().manual_seed(0)) for bb in (plain, short)]
    assert torch.equal(losses[0], losses[1])
    assert short.sampling_options()["collapse_padding"] is True


def test_full_compile_compiles_the_vae_before_the_first_condition_is_encoded(fresh_backbone, image, video):
    """The VAE's coders are marked for compiling when sampling starts, before the first sample
    encodes its condition; loading (and so training) leaves them eager."""
    bb = fresh_backbone("i2v", compile="full")
    vae = bb.pipe.vae
    assert vae.encoder._compiled_call_impl is None  # loaded for training as well: eager
    seen = []

    def first_encode(*args, **kwargs):  # stops the sample before anything compiles (slow on the CPU)
        seen.append(vae.encoder._compiled_call_impl is not None)
        raise RuntimeError("stop at the first encode")

    vae.encode = first_encode
    with pytest.raises(RuntimeError, match="stop at the first encode"):
        bb.sample(FirstFrameComposer().compose(image(SIZE, SIZE), video(FRAMES, SIZE, SIZE)), "a robot", steps=1)
    assert seen == [True]


@pytest.mark.slow
def test_full_compile_gives_the_uncompiled_output(fresh_backbone, image, video):
    """The whole transformer forward and the VAE's coders compiled (with batched guidance and
    collapsed padding, as the benchmark's fastest exact configuration): the same video."""
    from motionctx_wan.speed import runner

    plain = fresh_backbone("i2v")
    fast = fresh_backbone("i2v", compile="full", batch_cfg=True, collapse_padding=True)
    model = fast.pipe.transformer
    assert runner(model) is not model and model._compiled_call_impl is None  # training runs the eager module
    assert "_motionctx_compiled" not in dict(model.named_modules()) and not any(
        k.startswith("_motionctx") for k in model.state_dict()
    )
    composite = FirstFrameComposer().compose(image(SIZE, SIZE), video(FRAMES, SIZE, SIZE))
    ref = _sample(plain, composite, steps=2)
    assert (_sample(fast, composite, steps=2) - ref).abs().max() < 1e-4
    assert (_sample(fast, composite, steps=2) - ref).abs().max() < 1e-4  # again, everything compiled now
    assert fast.pipe.vae.encoder._compiled_call_impl is not None and fast.pipe.vae.decoder._compiled_call_impl is not None
    assert fast.sampling_options() == {"cache": "none", "batch_cfg": True, "compile": "full", "collapse_padding": True}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"cache": "first_blok"}, ["cache", "first_block", "taylorseer", "first_blok"]),
        ({"cache_threshold": 0.2}, ["cache_threshold", "cache: first_block", "'none'"]),
        ({"cache": "first_block", "cache_interval": 4}, ["cache_interval", "taylorseer"]),
        ({"cache": "first_block", "cache_threshold": 0}, ["cache_threshold", "greater than 0"]),
        ({"compile": "yes"}, ["compile", "'none'", "'blocks'", "'full'"]),
    ],
)
def test_bad_speed_options_are_one_recipe_error(params, words, tiny_folders):
    with pytest.raises(RecipeError) as err:
        WanI2VBackbone(path=str(tiny_folders["i2v"]), **params)
    assert all(w in str(err.value) for w in words), str(err.value)


RECIPE = """\
motionctx: 1
name: fast_animate
requires: [motionctx-wan>=0.1]
parts:
  backbone: {{use: wan_i2v, with: {{path: "{folder}", dtype: float32, cache: taylorseer, cache_interval: 2, batch_cfg: true}}}}
  motion: {{use: raw_video}}
  composer: {{use: spatial}}
stages:
  - run: animate
    with: {{reference: "{reference}", driving: "{driving}", steps: 4, guidance: 2.0, previews: false}}
"""


def test_animate_stage_reports_the_speed_options(tmp_path: Path, tiny_folders, image, video):
    ref = write_image(tmp_path / "ref.png", image(SIZE, SIZE))
    drv = write_video(tmp_path / "drive.mp4", video(FRAMES, SIZE, SIZE), fps=8)
    path = tmp_path / "r.yaml"
    path.write_text(RECIPE.format(folder=tiny_folders["i2v"], reference=ref, driving=drv))
    load_recipe(path).run(output_dir=tmp_path / "out", progress=False)
    metrics = json.loads((tmp_path / "out" / "run.json").read_text())["stages"][0]["metrics"]
    assert metrics["sampling"] == {"cache": "taylorseer", "cache_interval": 2, "cache_warmup": 3,
                                   "batch_cfg": True, "compile": "none", "collapse_padding": False}
