"""training_loss: finite, gradients only on LoRA, overfits one fixed tiny batch; masking and noise levels."""

from __future__ import annotations

import pytest
import torch

from motionctx.builtins.composers import SpatialComposer, TemporalComposer
from motionctx.errors import InputError
from motionctx.types import Video
from motionctx_wan import flow


def batch(bb, image, video, composer=None, n: int = 2):
    composer = composer or SpatialComposer()
    comps, clean = [], []
    for i in range(n):
        comp = composer.compose(image(16 * 2, 16 * 2, seed=i), video(5, 32, 32, seed=10 + i), bb.geometry)
        target = video(5, 32, 32, seed=20 + i)
        comps.append(comp)
        clean.append(comp.with_target(target))
    return comps, clean, [f"prompt {i}" for i in range(n)]


@pytest.mark.parametrize("variant", ["i2v", "i2v_moe", "ti2v"])
def test_loss_is_finite_with_gradients_only_on_lora(variant, fresh_backbone, image, video):
    bb = fresh_backbone(variant, lora_rank=4)
    bb.add_lora()
    comps, clean, prompts = batch(bb, image, video)
    loss = bb.training_loss(comps, clean, prompts, generator=torch.Generator().manual_seed(0))
    assert loss.ndim == 0 and torch.isfinite(loss) and loss.item() > 0
    loss.backward()
    with_grad = [n for m in bb.experts() for n, p in m.named_parameters() if p.grad is not None]
    assert with_grad and all(".lora_" in n for n in with_grad)
    assert any(p.grad.abs().sum() > 0 for p in bb.trainable_parameters() if p.grad is not None)
    assert all(p.grad is None for p in bb.pipe.vae.parameters())
    assert all(p.grad is None for p in bb.pipe.text_encoder.parameters())


def test_overfits_one_fixed_batch_in_30_adamw_steps(fresh_backbone, image, video):
    bb = fresh_backbone("i2v", lora_rank=8)
    bb.add_lora()
    comps, clean, prompts = batch(bb, image, video)
    opt = torch.optim.AdamW(bb.trainable_parameters(), lr=3e-3, weight_decay=0.0)
    losses = []
    for _ in range(30):
        loss = bb.training_loss(comps, clean, prompts, generator=torch.Generator().manual_seed(0))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]
    assert sum(losses[-5:]) < sum(losses[:5])


def test_mixed_sizes_and_temporal_layout(fresh_backbone, image, video):
    bb = fresh_backbone("ti2v", lora_rank=2, timestep_sampling="logit_normal", train_shift=1.0)
    bb.add_lora()
    a, ca, pa = batch(bb, image, video, n=1)
    b, cb, pb = batch(bb, image, video, composer=TemporalComposer(), n=1)
    loss = bb.training_loss(a + b, ca + cb, pa + pb, generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(loss)
    again = bb.training_loss(a + b, ca + cb, pa + pb, generator=torch.Generator().manual_seed(1))
    assert torch.equal(loss, again)  # the generator fixes the noise levels and the noise


def test_mismatched_batch_is_refused(backbones, image, video):
    bb = backbones["i2v"]
    comps, clean, prompts = batch(bb, image, video)
    with pytest.raises(InputError, match="same non-zero number"):
        bb.training_loss(comps, clean[:1], prompts)
    with pytest.raises(InputError, match="with_target"):
        bb.training_loss(comps[:1], [video(5, 32, 32)], prompts[:1])


def test_noise_levels_and_masked_error():
    g = torch.Generator().manual_seed(0)
    u = flow.sample_levels(1000, mode="uniform", shift=1.0, generator=g)
    assert u.min() > 0 and u.max() < 1 and abs(u.mean().item() - 0.5) < 0.05
    shifted = flow.sample_levels(1000, mode="uniform", shift=3.0, generator=torch.Generator().manual_seed(0))
    assert shifted.mean() > u.mean()  # shift > 1 moves mass to high noise
    ln = flow.sample_levels(1000, mode="logit_normal", shift=1.0, generator=g)
    assert abs(ln.median().item() - 0.5) < 0.05
    x0, noise = torch.zeros(2, 1), torch.ones(2, 1)
    assert flow.noisy(x0, noise, torch.tensor([0.25, 1.0])).flatten().tolist() == [0.25, 1.0]
    pred, target = torch.zeros(1, 2, 1, 1, 2), torch.ones(1, 2, 1, 1, 2)
    weight = torch.tensor([0.0, 1.0]).view(1, 1, 1, 1, 2)  # one known, one unknown cell
    err, count = flow.masked_error(pred, target, weight)
    assert (err.item(), count.item()) == (2.0, 2.0)  # two channels of the unknown cell only


def test_moving_weight_picks_out_what_moves():
    still = torch.zeros(1, 2, 5, 4, 6)
    still[:, :, :, 0, 0] = 3.0  # a still feature: never far from the temporal median
    assert torch.equal(flow.moving_weight(still, 9.0), torch.ones(1, 1, 5, 4, 6))
    moving = still.clone()
    for t in range(5):  # a blob walking along row 2
        moving[:, :, t, 2, t] = 1.0
    w = flow.moving_weight(moving, 9.0)
    assert w.shape == (1, 1, 5, 4, 6) and set(w.unique().tolist()) == {1.0, 10.0}
    hot = {(t, int(i), int(j)) for t in range(5) for i, j in (w[0, 0, t] > 1).nonzero().tolist()}
    assert hot == {(t, 2, t) for t in range(5)}
    one_frame = moving[:, :, :1]
    assert torch.equal(flow.moving_weight(one_frame, 9.0), torch.ones(1, 1, 1, 4, 6))


def test_cached_text_embeddings_give_the_same_loss(fresh_backbone, image, video) -> None:
    import torch

    from motionctx import build_part

    bb = fresh_backbone("i2v")
    comp = build_part("composer", "spatial").compose(image(16, 16), video(5, 16, 16))
    clean = comp.with_target(video(5, 16, 16, seed=9))
    prompts = ["a robot dances"]
    a = bb.training_loss([comp], [clean], prompts, torch.Generator().manual_seed(0))
    emb = [bb.encode_text(prompts)[0]]
    b = bb.training_loss([comp], [clean], prompts, torch.Generator().manual_seed(0), text_embeddings=emb)
    assert torch.allclose(a, b, rtol=1e-6, atol=0), (a - b).item()  # equal up to float rounding


def test_velocity_from_sample_recovers_the_flow_velocity():
    g = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(3, 4, 2, 2, 2, generator=g), torch.randn(3, 4, 2, 2, 2, generator=g)
    levels = torch.tensor([0.05, 0.5, 0.97])
    x_t = flow.noisy(x0, noise, levels)
    assert torch.allclose(flow.velocity_from_sample(x0, x_t, levels), noise - x0, atol=1e-5)
    low = torch.tensor([0.01])
    floored = flow.velocity_from_sample(x0[:1], flow.noisy(x0[:1], noise[:1], low), low, floor=0.5)
    assert torch.allclose(floored, (noise[:1] - x0[:1]) * 0.01 / 0.5, atol=1e-5)


@pytest.fixture
def sample_predicting(tiny_folders, tmp_path):
    """A copy of the tiny I2V folder whose scheduler says ``prediction_type: sample``."""
    import json
    import shutil

    folder = tmp_path / "sample_pred"
    shutil.copytree(tiny_folders["i2v"], folder)
    cfg_path = folder / "scheduler" / "scheduler_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["prediction_type"] = "sample"
    cfg_path.write_text(json.dumps(cfg))
    return lambda **params: _load(folder, **params)


def _load(folder, **params):
    from motionctx_wan.backbone import WanI2VBackbone

    bb = WanI2VBackbone(path=str(folder), dtype="float32", **params)
    bb.ensure_loaded()
    return bb


@pytest.mark.parametrize("moving", [0.0, 4.0])
def test_sample_predicting_model_trains_on_implied_velocities(sample_predicting, image, video, moving):
    bb = sample_predicting(sample_loss_floor=0.9, moving_weight=moving)
    assert bb.predicts_sample
    comps, clean, prompts = batch(bb, image, video, n=1)
    loss = bb.training_loss(comps, clean, prompts, generator=torch.Generator().manual_seed(0))
    # the same draw by hand: level, noise, the model's clean prediction, the velocity it implies
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        cond = bb.encode_condition(comps[0])
        x0 = bb.encode_video(clean[0])
        levels = flow.sample_levels(1, mode="uniform", shift=bb.folder_shift(), generator=g)
        noise = torch.randn(tuple(x0.shape), generator=g)
        x_t = flow.noisy(x0, noise, levels)
        hidden, ts = cond.model_input(x_t, levels * 1000)
        pred = bb.run_model(bb.pipe.transformer, hidden, ts, bb.encode_text(prompts), cond.image_embeds, "t")
        weight = cond.unknown * (flow.moving_weight(cond.hold(x0), moving) if moving else 1.0)
        err, count = flow.masked_error((x_t - pred) / levels.clamp_min(0.9), noise - x0, weight)
    assert loss.item() == pytest.approx((err / count).item(), rel=1e-4)
    if moving:  # the weighting changes the loss
        plain, _ = flow.masked_error((x_t - pred) / levels.clamp_min(0.9), noise - x0, cond.unknown)
        assert abs(loss.item() - (plain / cond.unknown.expand_as(x0).sum()).item()) > 1e-6


def test_sample_predicting_model_samples_its_clean_prediction(sample_predicting, image, video):
    """One Euler step from pure noise lands exactly on the model's clean prediction."""
    from diffusers.utils.torch_utils import randn_tensor

    bb = sample_predicting(scheduler="euler", flow_shift=1.0)
    comp = SpatialComposer().compose(image(32, 32), video(5, 32, 32), bb.geometry)
    out = bb.sample(comp, "a dance", steps=1, guidance=1.0, seed=3)
    with torch.no_grad():
        cond = bb.encode_condition(comp)
        noise = randn_tensor(tuple(cond.latents.shape), generator=torch.Generator("cpu").manual_seed(3))
        hidden, ts = cond.model_input(noise, torch.tensor(1000.0))
        pred = bb.run_model(bb.pipe.transformer, hidden, ts, bb.encode_text(["a dance"]), cond.image_embeds, "t")
        expected = bb.decode(pred)
    assert torch.allclose(out.frames, expected.frames, atol=1e-4)
    assert not bb.make_scheduler().config.get("prediction_type") == "sample"


@pytest.mark.parametrize("hold", [True, False])
def test_hold_known_feeds_the_noised_condition_on_known_cells(fresh_backbone, image, video, hold):
    """With ``hold_known`` the noisy latent the transformer sees on given cells is, at every step,
    the condition latent noised to that step's level with the starting noise (what training shows
    it); without it those cells follow the sampler."""
    from diffusers.utils.torch_utils import randn_tensor

    bb = fresh_backbone("i2v", hold_known=hold, scheduler="euler", flow_shift=1.0)
    comp = SpatialComposer().compose(image(32, 32), video(5, 32, 32), bb.geometry)
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    hook = bb.pipe.transformer.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append((kwargs["hidden_states"].clone(), kwargs["timestep"].clone())),
        with_kwargs=True,
    )
    try:
        bb.sample(comp, "a dance", steps=3, guidance=1.0, seed=5)
    finally:
        hook.remove()
    with torch.no_grad():
        cond = bb.encode_condition(comp)
    z = cond.latents.shape[1]
    noise = randn_tensor(tuple(cond.latents.shape), generator=torch.Generator("cpu").manual_seed(5))
    known = cond.known.bool().expand_as(cond.latents)
    assert len(seen) == 3 and known.any()
    matches = []
    for hidden, t in seen:
        expected = flow.noisy(cond.latents, noise, t.float().reshape(1) / 1000)
        matches.append(torch.allclose(hidden[:, :z][known], expected[known], atol=1e-5))
    assert matches == [True, True, True] if hold else matches[0] and not all(matches[1:])


def test_given_cells_show_the_condition_not_the_clean_video(fresh_backbone, image, video) -> None:
    """When the reference is not the target's first frame, training shows the transformer the
    reference, noised, on the given cells (as hold_known sampling does), so the target's own first
    frame cannot leak in there."""
    bb = fresh_backbone("i2v")
    ref = image(16, 16, seed=3)
    comp = SpatialComposer().compose(ref, video(5, 16, 16), bb.geometry)
    target = video(5, 16, 16, seed=9)
    starts_at_ref = target.frames.clone()
    starts_at_ref[0] = ref.pixels
    seen: list[torch.Tensor] = []
    hook = bb.pipe.transformer.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append(kwargs["hidden_states"].clone()), with_kwargs=True
    )
    try:
        for t in (target, Video(starts_at_ref, target.fps)):
            bb.training_loss([comp], [comp.with_target(t)], ["a robot dances"], torch.Generator().manual_seed(0))
    finally:
        hook.remove()
    with torch.no_grad():
        cond = bb.encode_condition(comp)
    z = cond.latents.shape[1]
    known = cond.known.bool().expand_as(cond.latents)
    assert known[:, :, 0, :, : known.shape[-1] // 2].any()  # the reference's cells are among them
    assert torch.equal(seen[0][:, :z][known], seen[1][:, :z][known])
