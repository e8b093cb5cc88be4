"""``motionctx recipe plan`` on the Wan backbones: closed forms, meta-device counts, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from motionctx.cli import run
from motionctx.plan import ActivationSetting, lora_parameters, plan_recipe
from motionctx.recipe import load_recipe
from motionctx_wan.backbone import WanI2VBackbone
from motionctx_wan.lora import FFN_TARGETS

REPO = Path(__file__).resolve().parents[3]


def test_wan21_14b_at_81x480x832_spatial_matches_the_closed_forms() -> None:
    """Tokens: 21 latent frames x (480/16) x (2*832/16); FFN LoRA r256: 40 blocks x 2 layers x
    256 x (5120 + 13824)."""
    recipe = load_recipe(REPO / "recipes" / "train_pose_m2.yaml", ["stages.1.with.frames=[81,81]"], keep_unset=True)
    plan = plan_recipe(recipe, model="wan2.1-i2v-14b-480p", gpus=8, gpu="h200")
    assert plan.workload.composite == (81, 480, 1664)
    assert plan.tokens == 21 * 30 * 104 == 65_520
    assert plan.trainable == 40 * 2 * 256 * (5120 + 13824) == 387_973_120
    assert plan.parameters["transformer"] > 16e9 and plan.parameters["text_encoder"] > 5e9
    assert [s.name for s in plan.strategies] == ["ddp", "fsdp", "zero2", "zero3"]
    ddp, fsdp = plan.strategies[0].checkpointing, plan.strategies[1].checkpointing
    assert fsdp.frozen < ddp.frozen and fsdp.optimizer * 8 == ddp.optimizer
    assert plan.activations["checkpointing"] < plan.activations["no_checkpointing"] / 5


def _saved_bytes(layers: int, dtype: torch.dtype, mode: str, frames: int) -> int:
    """Bytes a real diffusers Wan transformer keeps for backward (saved-tensor hooks; weights excluded)."""
    from diffusers import WanTransformer3DModel
    from peft import LoraConfig

    from motionctx_wan.lora import target_regex

    torch.manual_seed(0)
    model = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=64, in_channels=36, out_channels=16,
        text_dim=32, freq_dim=32, ffn_dim=512, num_layers=layers, cross_attn_norm=True, image_dim=16,
        added_kv_proj_dim=128, rope_max_seq_len=64,
    ).to(dtype)  # fmt: skip
    for name, module in model.named_modules():
        if name.endswith(("norm1", "norm2", "norm3")) or "time_embedder" in name:
            module.float()  # as from_pretrained keeps them (_keep_in_fp32_modules)
    if mode == "lora":
        model.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=target_regex(FFN_TARGETS)))
        model.requires_grad_(False)
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.data = p.data.float()
                p.requires_grad_(True)
    weights = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in weights:
            seen[ptr] = t.untyped_storage().nbytes()
        return t

    x = torch.randn(1, 36, frames, 16, 32, dtype=dtype)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x, torch.tensor([500.0]), torch.randn(1, 512, 32, dtype=dtype), torch.randn(1, 17, 16, dtype=dtype))
    return sum(seen.values())


@pytest.mark.parametrize(
    ("dtype", "mode"), [(torch.float32, "lora"), (torch.bfloat16, "lora"), (torch.float32, "full")]
)
def test_saved_tensor_table_matches_a_real_wan_block(tiny_folders, dtype: torch.dtype, mode: str) -> None:
    """One more block costs what SAVED_PER_TOKEN says (plus its cross-attention keys/values)."""
    from motionctx_wan.plan import planned_from_folder

    frames = 5
    measured = _saved_bytes(3, dtype, mode, frames) - _saved_bytes(2, dtype, mode, frames)
    planned = planned_from_folder(
        tiny_folders["i2v"], "wan_i2v", dtype="float32", vae_dtype="float32", text_tokens=512, max_frames=81
    )
    planned.shapes = type(planned.shapes)(
        **{**planned.shapes.__dict__, "width": 128, "heads": 2, "head_dim": 64, "ffn": 512}
    )
    nbytes = 4 if dtype == torch.float32 else 2
    setting = ActivationSetting(mode, nbytes, False, False)  # type: ignore[arg-type]
    tokens = frames * 8 * 16
    one_block = tokens * planned._per_token(setting) + (512 + 17) * 128 * nbytes * 2 * (2 if mode == "full" else 1)
    assert one_block == pytest.approx(measured, rel=0.03)


def test_meta_counts_match_the_loaded_model(tiny_folders, backbones, fresh_backbone) -> None:
    """Parameters counted on meta from the folder's configs equal the loaded networks'; the LoRA
    count equals what peft adds."""
    planned = WanI2VBackbone(path=str(tiny_folders["i2v"]), dtype="float32").planned_model()
    loaded = backbones["i2v"].pipe
    for net in planned.networks():
        real = getattr(loaded, net.name)
        assert net.parameters == sum(p.numel() for p in real.parameters()), net.name
    bb = fresh_backbone("i2v")
    bb.add_lora(rank=4)
    assert lora_parameters(planned.networks()[0].module, 4, FFN_TARGETS) == sum(
        p.numel() for p in bb.trainable_parameters()
    )


def _tiny_recipe(tmp_path: Path, folder: str, **train) -> Path:
    stage = {"steps": 10, "frames": [17, 17], "buckets": [[64, 96]], "lora_rank": 8, **train}
    text = {
        "motionctx": 1,
        "name": "tiny_plan",
        "parts": {
            "backbone": {"use": "wan_i2v", "with": {"path": folder, "dtype": "float32"}},
            "composer": {"use": "spatial"},
            "motion": {"use": "raw_video"},
        },
        "stages": [{"run": "train", "with": stage}],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(json.dumps(text))
    return path


def test_cli_json_parses_and_matches_the_tiny_model(tiny_folders, tmp_path, capsys) -> None:
    recipe = _tiny_recipe(tmp_path, str(tiny_folders["i2v"]), gradient_checkpointing=True)
    assert run(["recipe", "plan", str(recipe), "--json", "--gpus", "2", "--gpu", "a100"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["composite"] == [17, 64, 192]
    assert data["tokens"] == 5 * (64 // 16) * (192 // 16)
    assert data["trainable_parameters"] == 2 * 2 * 8 * (24 + 32)  # 2 blocks x 2 FFN layers x r x (in + out)
    assert set(data["per_gpu"]) == {"ddp", "fsdp", "zero2", "zero3"}
    assert data["per_gpu"]["ddp"]["checkpointing"]["fits"] is True
    assert data["seconds"] > 0


def test_cli_prints_a_table(tiny_folders, tmp_path, capsys) -> None:
    recipe = _tiny_recipe(tmp_path, str(tiny_folders["i2v"]))
    assert run(["recipe", "plan", str(recipe)]) == 0
    out = capsys.readouterr().out
    assert "tokens per sample" in out and "memory per GPU on h100" in out and "trainable parameters" in out


def test_missing_folder_without_model_is_one_clear_error(tmp_path, capsys) -> None:
    recipe = _tiny_recipe(tmp_path, str(tmp_path / "no-such-folder"))
    assert run(["recipe", "plan", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert "cannot plan without the weights folder" in err and "--model" in err and "wan2.1-i2v-14b-480p" in err
    assert run(["recipe", "plan", str(recipe), "--model", "wan2.1-i2v-14b-48p"]) == 2
    assert "did you mean 'wan2.1-i2v-14b-480p'" in capsys.readouterr().err


def test_animate_memory_check_counts_the_sampling_activations(backbones) -> None:
    """Issue 21's gap: on the CPU the check adds the transformer's activations for one segment."""
    from motionctx.builtins.composers import SpatialComposer
    from motionctx.engines.memory import HEADROOM, MemoryPlan, check_memory, sampling_bytes
    from motionctx.errors import InputError

    bb = backbones["i2v"]
    need = sampling_bytes(bb, SpatialComposer(), 81, (480, 832))
    model = bb.planned_model()
    assert need == model.inference_bytes(model.tokens(81, 480, 1664), 4) > 0
    assert sampling_bytes(bb, SpatialComposer(), 81, (480, 832), guidance=5.0) == need  # two passes, one at a time
    pictures = MemoryPlan(81, (480, 832), (480, 832), 81)
    free = int(pictures.total() / HEADROOM) + 1  # room for the pictures alone
    check_memory(pictures, stage="animate", key="stages.0.with", available=free)
    with pytest.raises(InputError, match="animate: 81 frames"):
        check_memory(
            MemoryPlan(81, (480, 832), (480, 832), 81, model_bytes=need),
            stage="animate",
            key="stages.0.with",
            available=free,
        )


def test_batched_guidance_doubles_the_sampling_activations(fresh_backbone) -> None:
    """With ``batch_cfg`` the guided passes run as one batch of 2: the memory check counts both."""
    from motionctx.builtins.composers import SpatialComposer
    from motionctx.engines.memory import sampling_bytes

    bb = fresh_backbone("i2v", batch_cfg=True)
    one = sampling_bytes(bb, SpatialComposer(), 17, (64, 64), guidance=1.0)
    assert one > 0 and sampling_bytes(bb, SpatialComposer(), 17, (64, 64), guidance=5.0) == 2 * one
    # and `motionctx recipe plan` of an animate recipe (guidance 5) counts the same
    plans = [plan_recipe(load_recipe(REPO / "recipes" / "pose_m2.yaml", [f"parts.backbone.with.batch_cfg={b}"],
                                     keep_unset=True), model="wan2.1-i2v-14b-480p") for b in ("false", "true")]
    assert plans[1].activations["inference"] == 2 * plans[0].activations["inference"] > 0
    assert "in one batch" in " ".join(plans[1].notes) and plans[1].flops == plans[0].flops


def test_moments_name_the_gradients_a_real_backward_pass_has_made() -> None:
    """At the start of each block's backward pass the parameters with gradients are exactly the
    ones the planner's moment for that block names (the head's and the later blocks')."""
    from diffusers import WanTransformer3DModel

    from motionctx.plan.model import trained_parameters
    from motionctx_wan.plan import WanPlannedModel

    config = {
        "patch_size": (1, 2, 2), "num_attention_heads": 2, "attention_head_dim": 8, "in_channels": 36,
        "out_channels": 16, "text_dim": 32, "freq_dim": 32, "ffn_dim": 32, "num_layers": 3, "cross_attn_norm": True,
        "image_dim": 16, "added_kv_proj_dim": 16, "rope_max_seq_len": 32,
    }  # fmt: skip
    torch.manual_seed(0)
    model = WanTransformer3DModel(**config)
    planned = WanPlannedModel("tiny", "test", config, experts=1, components={}, geometry=None, dtype_bytes=4)  # type: ignore[arg-type]
    moments = planned.training_moments(64, ActivationSetting("full", 4, False, False))
    assert [m.made is None for m in moments] == [False] * 3 + [True]
    seen: list[set[str]] = []
    for block in reversed(model.blocks):  # the backward pass reaches them last to first
        block.register_full_backward_pre_hook(
            lambda *_: seen.append({n for n, p in model.named_parameters() if p.grad is not None})
        )
    out = model(torch.randn(1, 36, 2, 8, 8), torch.tensor([500.0]), torch.randn(1, 512, 32), torch.randn(1, 17, 16))
    out[0].square().mean().backward()
    assert len(seen) == 3
    for made, moment in zip(seen, moments):
        assert made and len(made) < len(list(model.parameters()))
        assert sum(p.numel() for n, p in model.named_parameters() if n in made) == trained_parameters(
            model, "full", within=moment.made
        )


def test_full_finetune_counts_the_gradients_made_by_the_peak(tiny_folders, tmp_path) -> None:
    """The backward pass frees a block's activations as it makes its gradients: one step's peak
    holds fewer than all the gradients; with gradient accumulation every gradient is there."""
    from motionctx.plan.sharding import footprint

    recipe = load_recipe(_tiny_recipe(tmp_path, str(tiny_folders["i2v"]), mode="full", gradient_checkpointing=True))
    plan = plan_recipe(recipe)
    every = plan.trainable * 4
    for s in plan.strategies:
        for f in (s.checkpointing, s.no_checkpointing):
            assert 0 < f.gradients < every
    ddp = plan.strategies[0].checkpointing
    everything = footprint(
        "ddp", gpus=1, replicated=ddp.frozen, shardable=0, trained_params=plan.trainable, trained_bytes=4,
        activations=plan.activations["checkpointing"], unit_bytes=0,
    )  # fmt: skip
    assert ddp.total < everything.total  # the old upper bound: every activation and every gradient at once
    recipe = load_recipe(
        _tiny_recipe(tmp_path, str(tiny_folders["i2v"]), mode="full", gradient_checkpointing=True,
                     gradient_accumulation=2)
    )  # fmt: skip
    accumulated = plan_recipe(recipe).strategies[0].checkpointing
    assert accumulated.gradients == every and accumulated.total > ddp.total
