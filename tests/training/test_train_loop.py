"""The ``train`` stage on a tiny Wan model on CPU: outputs, exact resume, signals, guards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file


@pytest.fixture
def prepared(tmp_path: Path, make_clips, train_plugins) -> tuple[Path, Path]:
    """(index, cache) of four prepared clips (raw_video motion, manifest captions)."""
    from motionctx.engines.training.options import PrepareConfig
    from motionctx.engines.training.prepare import PrepareParts, prepare_dataset

    manifest = make_clips()
    config = PrepareConfig(manifest=str(manifest), min_frames=5, text_embeddings=False)
    report = prepare_dataset(config, PrepareParts(), tmp_path / "data_run", log=lambda m: None)
    return report.index, tmp_path / "data_run" / "cache"


def make_trainer(
    kit,
    tmp_path: Path,
    tiny_wan: Path,
    prepared: tuple[Path, Path],
    folder: str,
    callbacks=None,
    backbone: dict | None = None,
    **overrides: Any,
):
    from motionctx.engines.training.loop import Trainer, TrainParts
    from motionctx.engines.training.options import TrainConfig
    from motionctx.pipeline import Pipeline
    from motionctx.recipe import load_recipe

    out = tmp_path / "out"
    recipe = kit.write_recipe(tmp_path / f"{folder}.yaml", model=tiny_wan, output=out, stages=[], backbone=backbone)
    pipeline = Pipeline(load_recipe(recipe), progress=False)
    index, cache = prepared
    config = TrainConfig(**{**kit.TINY_TRAIN, "folder": folder, **overrides})
    parts = TrainParts(pipeline.part("backbone"), pipeline.part("motion"), pipeline.part("composer"))
    return Trainer(
        config,
        parts,
        out,
        index=index,
        cache=cache,
        recipe_yaml=pipeline.recipe.to_yaml(),
        log=lambda m: None,
        callbacks=callbacks,
    )


def test_recipe_trains_and_exports(tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, kit) -> None:
    from motionctx.pipeline import Pipeline
    from motionctx.recipe import load_recipe

    manifest = make_clips()
    out = tmp_path / "out"
    stages = [
        {"run": "prepare", "with": {"manifest": str(manifest), **kit.TINY_PREPARE}},
        {"run": "train", "with": {**kit.TINY_TRAIN, "steps": 4, "validate_every": 4, "validation_steps": 2,
                                  "motion_hint": [0, 2]}},
    ]
    recipe = kit.write_recipe(tmp_path / "r.yaml", model=tiny_wan, output=out, stages=stages)
    _, result = Pipeline(load_recipe(recipe), progress=False).run()
    train = out / "train"
    assert result.outputs["lora"] == train / "lora.safetensors" and result.metrics["steps"] == 4
    assert [p.name for p in sorted((train / "checkpoints").iterdir())] == ["step-00000002", "step-00000004"]
    logged = [json.loads(x) for x in (train / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged] == [1, 2, 3, 4] and all(r["loss"] > 0 and r["step_time"] > 0 for r in logged)
    assert [r["motion_hint"] for r in logged] == [1.0, 0.5, 0.0, 0.0]  # the curriculum's weight, step by step
    assert (train / "validation" / "step-00000004" / "clip0" / "preview.mp4").is_file()
    import yaml

    saved = yaml.safe_load((train / "recipe.yaml").read_text())
    assert [s["run"] for s in saved["stages"]] == ["prepare", "train"] and saved["parts"]["backbone"][
        "use"
    ] == "wan_i2v"
    # the export is a diffusers LoRA: stock diffusers loads it, and it equals the trained adapter
    from diffusers import WanImageToVideoPipeline

    pipe = WanImageToVideoPipeline.from_pretrained(str(tiny_wan))
    pipe.load_lora_weights(str(train / "lora.safetensors"), adapter_name="trained")
    exported = load_file(str(train / "lora.safetensors"))
    trained = load_file(str(train / "checkpoints" / "step-00000004" / "trainable.safetensors"))
    assert len(exported) == len(trained) > 0
    assert any(v.abs().sum() > 0 for k, v in exported.items() if "lora_B" in k)  # trained away from B = 0
    # every checkpoint holds its own LoRA file: the last one is the export, an earlier one differs and loads
    ckpts = train / "checkpoints"
    mid, last = (load_file(str(ckpts / s / "lora.safetensors")) for s in ("step-00000002", "step-00000004"))
    assert last.keys() == exported.keys() and all(torch.equal(last[k], exported[k]) for k in exported)
    assert not all(torch.equal(mid[k], exported[k]) for k in exported)
    pipe.unload_lora_weights()
    pipe.load_lora_weights(str(ckpts / "step-00000002" / "lora.safetensors"), adapter_name="mid")


def test_exact_resume_after_sigterm(tmp_path: Path, tiny_wan: Path, prepared, kit) -> None:
    """4 steps in one go == 2 steps, SIGTERM, resume, 2 more (accumulation 2, EMA, warm-up, cosine)."""
    from motionctx.engines.training.guards import TrainingInterrupted

    settings = {
        "steps": 4,
        "gradient_accumulation": 2,
        "ema": 0.9,
        "warmup_steps": 2,
        "schedule": "cosine",
        "checkpoint_every": 10,
        "frames": [5, 5],
    }
    one_go = make_trainer(kit, tmp_path, tiny_wan, prepared, "one_go", **settings).run()

    def stop_at_2(step: int, info: dict) -> None:
        if step == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted, match="after step 2") as info:
        make_trainer(kit, tmp_path, tiny_wan, prepared, "split", callbacks=[stop_at_2], **settings).run()
    assert info.value.exit_code == 128 + signal.SIGTERM
    assert info.value.checkpoint == tmp_path / "out" / "split" / "checkpoints" / "step-00000002"
    resumed = make_trainer(kit, tmp_path, tiny_wan, prepared, "split", **settings).run()
    assert resumed.start_step == 2 and resumed.steps == 4
    for name in ("trainable.safetensors", "ema.safetensors"):
        a = load_file(str(one_go.checkpoint / name))
        b = load_file(str(resumed.checkpoint / name))
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
    a, b = load_file(str(one_go.export)), load_file(str(resumed.export))
    assert all(torch.equal(a[k], b[k]) for k in a)
    ckpt_lora = load_file(str(one_go.checkpoint / "lora.safetensors"))  # with EMA on, the average, as the export
    assert ckpt_lora.keys() == a.keys() and all(torch.equal(ckpt_lora[k], a[k]) for k in a)
    mid = load_file(str(info.value.checkpoint / "trainable.safetensors"))
    final = load_file(str(resumed.checkpoint / "trainable.safetensors"))
    assert not all(torch.equal(mid[k], final[k]) for k in mid)  # the resumed half did train


def test_sigterm_from_outside_saves_a_checkpoint(
    tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, kit
) -> None:
    """A real CLI run killed with SIGTERM mid-training exits 143 with a complete checkpoint."""
    manifest = make_clips()
    out = tmp_path / "out"
    stages = [
        {"run": "prepare", "with": {"manifest": str(manifest), **kit.TINY_PREPARE, "text_embeddings": False}},
        {"run": "train", "with": {**kit.TINY_TRAIN, "steps": 500, "checkpoint_every": 1000}},
    ]
    recipe = kit.write_recipe(tmp_path / "r.yaml", model=tiny_wan, output=out, stages=stages)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(kit.REPO / "tests" / "training" / "run_recipe.py"),
            "recipe",
            "run",
            str(recipe),
            "--no-progress",
        ],
        cwd=kit.REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    metrics = out / "train" / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if metrics.is_file() and len(metrics.read_text().splitlines()) >= 2:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "training stopped by signal 15" in err and "resume" in err
    done = len(metrics.read_text().splitlines())
    checkpoints = sorted((out / "train" / "checkpoints").iterdir())
    assert [p.name for p in checkpoints] == [f"step-{done:08d}"]  # the step it was in, complete, nothing partial
    meta = json.loads((checkpoints[0] / "checkpoint.json").read_text())
    assert meta["step"] == done and meta["complete"] is True


def test_nan_loss_stops_naming_step_batch_and_checkpoint(tmp_path: Path, tiny_wan: Path, prepared, kit) -> None:
    from motionctx.engines.training.guards import TrainingDiverged

    trainer = make_trainer(
        kit, tmp_path, tiny_wan, prepared, "nan", steps=6, lr=1e30, max_grad_norm=None, checkpoint_every=1
    )
    with pytest.raises(TrainingDiverged) as info:
        trainer.run()
    err = info.value
    assert err.step >= 2 and err.checkpoint is not None and err.checkpoint.name == f"step-{err.step - 1:08d}"
    assert (
        f"at step {err.step}" in err.message and err.batch_ids[0] in err.message and str(err.checkpoint) in err.message
    )
    assert err.batch_ids[0].startswith("clip") and "[" in err.batch_ids[0]
    saved = load_file(str(err.checkpoint / "trainable.safetensors"))
    assert all(torch.isfinite(v).all() for v in saved.values())  # the last good state, not the broken one


def test_out_of_memory_lists_the_ways_out(tmp_path: Path, tiny_wan: Path, prepared, kit) -> None:
    from motionctx.errors import MotionctxError

    trainer = make_trainer(kit, tmp_path, tiny_wan, prepared, "oom", steps=2, batch_size=2)
    backbone = trainer.parts.backbone

    def too_big(*args: Any, **kwargs: Any) -> torch.Tensor:  # what a GPU does at the limit
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    backbone.training_loss = too_big
    with pytest.raises(MotionctxError, match="out of memory at step 1") as info:
        trainer.run()
    hint = info.value.hint
    for option in (
        "gradient_checkpointing: true",
        "mixed_precision: bf16",
        "batch_size: 1 with gradient_accumulation: 2",
        "fewer frames",
        "fsdp.yaml",
    ):
        assert option in hint


def test_full_finetune_and_warm_start(tmp_path: Path, tiny_wan: Path, prepared, kit) -> None:
    full = make_trainer(
        kit, tmp_path, tiny_wan, prepared, "full", steps=2, mode="full", lr=1e-4, mixed_precision="bf16"
    ).run()
    saved = load_file(str(full.checkpoint / "trainable.safetensors"))
    assert not any("lora" in k for k in saved) and len(saved) > 50  # every transformer weight
    from motionctx.plugins import build_part

    again = build_part("backbone", "wan_i2v", {"path": str(full.export), "dtype": "float32", "device": "cpu"})
    weights = dict(again.experts()[0].named_parameters())  # the exported folder loads, trained weights inside
    assert all(torch.equal(weights[k.split(".", 1)[1]], v) for k, v in saved.items())
    # a checkpoint's weights go into a backbone loaded from the starting model (a run scored part-way)
    from motionctx.engines.training.checkpoint import load_weights
    from motionctx.errors import InputError

    fresh = build_part("backbone", "wan_i2v", {"path": str(tiny_wan), "dtype": "float32", "device": "cpu"})
    fresh.ensure_loaded()
    weights = dict(fresh.experts()[0].named_parameters())
    assert not all(torch.equal(weights[k.split(".", 1)[1]], v) for k, v in saved.items())  # training moved them
    assert load_weights(fresh, full.checkpoint) == len(saved)
    assert all(torch.equal(weights[k.split(".", 1)[1]], v) for k, v in saved.items())
    from safetensors.torch import save_file

    (tmp_path / "short").mkdir()
    save_file(dict(list(saved.items())[1:]), str(tmp_path / "short" / "trainable.safetensors"))
    with pytest.raises(InputError, match="does not fit this backbone"):
        load_weights(fresh, tmp_path / "short")
    lora = make_trainer(kit, tmp_path, tiny_wan, prepared, "lora", steps=2).run()
    with pytest.raises(InputError, match="LoRA checkpoint"):
        load_weights(fresh, lora.checkpoint)
    warm = make_trainer(kit, tmp_path, tiny_wan, prepared, "warm", steps=1, init_lora=str(lora.export), lr=1e-12).run()
    a, b = load_file(str(lora.export)), load_file(str(warm.export))
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_recipe_export_turns_checkpoints_into_loadable_outputs(tmp_path: Path, tiny_wan: Path, prepared, kit) -> None:
    """`motionctx recipe export`: a full checkpoint becomes a model folder holding its weights, a LoRA
    checkpoint its LoRA file; anything else exits 2 naming the folder."""
    from motionctx.plugins import build_part

    full = make_trainer(kit, tmp_path, tiny_wan, prepared, "full", steps=4, mode="full", lr=1e-3).run()
    first = full.checkpoint.parent / "step-00000002"
    saved = load_file(str(first / "trainable.safetensors"))
    res = kit.cli("recipe", "export", str(tmp_path / "full.yaml"), str(first), "--out", str(tmp_path / "m2"))
    assert res.returncode == 0, res.stderr
    assert "exported" in res.stdout and "m2" in res.stdout
    loaded = build_part("backbone", "wan_i2v", {"path": str(tmp_path / "m2"), "dtype": "float32", "device": "cpu"})
    weights = dict(loaded.experts()[0].named_parameters())
    start = build_part("backbone", "wan_i2v", {"path": str(tiny_wan), "dtype": "float32", "device": "cpu"})
    initial = dict(start.experts()[0].named_parameters())
    assert all(torch.equal(weights[k.split(".", 1)[1]], v) for k, v in saved.items())
    assert not all(torch.equal(initial[k.split(".", 1)[1]], v) for k, v in saved.items())  # step 2 moved them
    final = load_file(str(full.checkpoint / "trainable.safetensors"))
    assert not all(torch.equal(final[k], v) for k, v in saved.items())  # an earlier step, not the end

    lora = make_trainer(kit, tmp_path, tiny_wan, prepared, "lora", steps=2).run()
    res = kit.cli("recipe", "export", str(tmp_path / "lora.yaml"), str(lora.checkpoint), "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert load_file(str(tmp_path / "lora.safetensors")).keys() == load_file(str(lora.export)).keys()
    from motionctx.engines.training.export import export_checkpoint
    from motionctx.errors import InputError

    assert export_checkpoint(lora.checkpoint, None, lambda: None) == lora.checkpoint / "lora.safetensors"
    assert export_checkpoint(lora.checkpoint, tmp_path / "new", lambda: None) == tmp_path / "new" / "lora.safetensors"
    assert export_checkpoint(lora.checkpoint, tmp_path / "a.safetensors", lambda: None).is_file()
    named = make_trainer(kit, tmp_path, tiny_wan, prepared, "named", steps=2, export="adapters.safetensors").run()
    assert export_checkpoint(named.checkpoint, None, lambda: None) == named.checkpoint / "adapters.safetensors"
    bare = make_trainer(kit, tmp_path, tiny_wan, prepared, "bare", steps=2, checkpoint_lora=False).run()
    with pytest.raises(InputError, match="checkpoint_lora: false"):
        export_checkpoint(bare.checkpoint, tmp_path / "x.safetensors", lambda: None)

    res = kit.cli("recipe", "export", str(tmp_path / "full.yaml"), str(tmp_path / "m2"))
    assert res.returncode == 2 and "not a complete training checkpoint" in res.stderr
    assert not (tmp_path / "m2" / "model").exists()
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "notes.txt").write_text("mine")
    res = kit.cli("recipe", "export", str(tmp_path / "full.yaml"), str(first), "--out", str(tmp_path / "keep"))
    assert res.returncode == 2 and "is not an earlier output" in res.stderr
    assert [p.name for p in (tmp_path / "keep").iterdir()] == ["notes.txt"]  # nothing replaced


def test_two_processes_with_accelerate_launch(tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, kit) -> None:
    """`accelerate launch` with the DDP config starts 2 CPU processes (gloo): the sharded prepare
    covers every clip once, and both replicas end with identical weights (each rank trained on
    other batches, so only synchronised gradients keep them equal)."""
    manifest = make_clips([(32, 32), (32, 48), (48, 32), (32, 32), (32, 48)])
    out = tmp_path / "out"
    stages = [
        {"run": "prepare", "with": {"manifest": str(manifest), **kit.TINY_PREPARE, "text_embeddings": False}},
        {"run": "train", "with": {**kit.TINY_TRAIN, "steps": 3, "frames": [5, 5], "mixed_precision": "no"}},
    ]
    recipe = kit.write_recipe(tmp_path / "r.yaml", model=tiny_wan, output=out, stages=stages)
    launcher = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(kit.REPO / "recipes" / "accelerate" / "ddp.yaml"),
        "--num_processes",
        "2",
    ]
    res = kit.cli("recipe", "run", str(recipe), "--no-progress", launcher=launcher, env={"OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    shards = [
        [json.loads(x)["id"] for x in (out / "data" / f"shard-{r}-of-2.jsonl").read_text().splitlines()] for r in (0, 1)
    ]
    assert sorted(shards[0] + shards[1]) == [f"clip{i}" for i in range(5)] and not set(shards[0]) & set(shards[1])
    assert len([x for x in (out / "data" / "index.jsonl").read_text().splitlines()]) == 5
    final = out / "train" / "checkpoints" / "step-00000003"
    prints = [json.loads((final / f"weights-{r}.json").read_text()) for r in (0, 1)]
    assert prints[0] == prints[1] and "sha256" in prints[0]
    meta = json.loads((final / "checkpoint.json").read_text())
    assert meta["world_size"] == 2 and meta["replicas_agree"] is True and meta["data_position"] == 6
    assert (out / "train" / "lora.safetensors").is_file()


def test_two_processes_stop_together_on_sigterm(tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, kit) -> None:
    """SIGTERM to the launcher reaches both ranks; they agree on the step, write one complete
    checkpoint with identical replicas, and stop."""
    manifest = make_clips([(32, 32)] * 4, frames=9)
    out = tmp_path / "out"
    stages = [
        {"run": "prepare", "with": {"manifest": str(manifest), **kit.TINY_PREPARE, "text_embeddings": False}},
        {"run": "train", "with": {**kit.TINY_TRAIN, "steps": 1000, "frames": [5, 5], "checkpoint_every": 1000}},
    ]
    recipe = kit.write_recipe(tmp_path / "r.yaml", model=tiny_wan, output=out, stages=stages)
    config = kit.REPO / "recipes" / "accelerate" / "ddp.yaml"
    runner = kit.REPO / "tests" / "training" / "run_recipe.py"
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(config), "--num_processes", "2"]
    cmd = [*launch, "--mixed_precision", "no", str(runner), "recipe", "run", str(recipe), "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        cmd, cwd=kit.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    metrics = out / "train" / "metrics.jsonl"
    deadline = time.time() + 150
    while time.time() < deadline and proc.poll() is None:
        if metrics.is_file() and len(metrics.read_text().splitlines()) >= 2:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=150)
    assert err.count("training stopped by signal 15 after step") == 2, err[-3000:]
    (final,) = sorted((out / "train" / "checkpoints").iterdir())
    meta = json.loads((final / "checkpoint.json").read_text())
    assert meta["world_size"] == 2 and meta["replicas_agree"] is True and final.name == f"step-{meta['step']:08d}"
    assert f"after step {meta['step']};" in err


def test_resume_refuses_a_checkpoint_of_another_shape(tmp_path: Path, tiny_wan: Path, prepared, kit) -> None:
    from motionctx.errors import InputError

    make_trainer(kit, tmp_path, tiny_wan, prepared, "shape", steps=1, frames=[5, 5]).run()
    with pytest.raises(InputError, match="does not match this model") as info:
        make_trainer(kit, tmp_path, tiny_wan, prepared, "shape", steps=2, frames=[5, 5], lora_rank=8).run()
    assert "resume: never" in info.value.hint


def test_checkpoint_lora_can_be_turned_off(tmp_path: Path, tiny_wan: Path, prepared, kit) -> None:
    result = make_trainer(kit, tmp_path, tiny_wan, prepared, "plain", steps=1, checkpoint_lora=False).run()
    assert (result.checkpoint / "trainable.safetensors").is_file()
    assert not (result.checkpoint / "lora.safetensors").exists() and result.export.is_file()
