"""Put a trained toy model into the package: the pipeline folder, a LoRA when the model has one,
and a summary of the training logs, checked against the size budget of the repository."""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path
from typing import Any

from motionctx.errors import InputError

#: Everything bundled must stay under this many bytes (the repository's budget for weights).
SIZE_BUDGET = 30 * 1024 * 1024


def training_summary(train_folder: str | Path, window: int = 4) -> dict[str, Any]:
    """Steps, loss at the start and the end (mean of ``window`` logged values), training time and
    seconds per step of one training run, read from its ``metrics.jsonl``.

    ``minutes`` adds up the time between logged steps; a gap over 10 times the median one is a
    pause (the run was stopped and resumed later) and counts as one median gap. Steps trained again
    after a resume count once (:func:`~motionctx.engines.training.metrics.read_metrics`)."""
    from motionctx.engines.training.metrics import read_metrics

    path = Path(train_folder) / "metrics.jsonl"
    if not path.is_file():
        raise InputError(f"no training log at {path}", "pass the `train` folder a training stage wrote")
    rows = [r for r in read_metrics(path.parent) if "loss" in r]
    if not rows:
        raise InputError(f"{path} has no logged steps")
    times = [r["time"] for r in rows if "time" in r]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    typical = statistics.median(gaps) if gaps else 0.0
    step_times = [r["step_time"] for r in rows if "step_time" in r]
    return {
        "steps": int(rows[-1]["step"]),
        "loss_start": statistics.fmean(r["loss"] for r in rows[:window]),
        "loss_end": statistics.fmean(r["loss"] for r in rows[-window:]),
        "seconds_per_step": statistics.median(step_times) if step_times else None,
        "minutes": sum(g if g <= 10 * typical else typical for g in gaps) / 60 if gaps else None,
    }


def bundle_model(model: str | Path, lora: str | Path | None, logs: dict[str, str | Path], dest: str | Path,
                 backbone: dict[str, Any] | None = None) -> Path:
    """Copy ``model`` (a diffusers pipeline folder) to ``dest/model``, ``lora`` (if any) to
    ``dest/pose_lora.safetensors``, and write ``dest/training.json`` from the ``logs`` training
    folders (name -> folder) plus the ``backbone`` settings the model was trained with (they must
    be given again to sample from it). ``dest`` is replaced as a whole, atomically."""
    import shutil

    from motionctx.io import atomic_dir, atomic_write_json, check_replaceable

    model, dest = Path(model), Path(dest)
    if not (model / "model_index.json").is_file():
        raise InputError(f"{model} is not a pipeline folder (no model_index.json)", "pass the trained model folder")
    if lora is not None and not Path(lora).is_file():
        raise InputError(f"no LoRA file at {lora}", "pass the lora.safetensors the pose training wrote")
    check_replaceable(dest, "training.json", "--dest")
    summary: dict[str, Any] = {name: training_summary(folder) for name, folder in logs.items()}
    if backbone:
        summary["backbone"] = dict(backbone)
    with atomic_dir(dest) as tmp:
        shutil.copytree(model, tmp / "model")
        _drop_local_paths(tmp / "model")
        if lora is not None:
            shutil.copy2(lora, tmp / "pose_lora.safetensors")
        atomic_write_json(tmp / "training.json", summary)
        size = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
        if size > SIZE_BUDGET:
            raise InputError(
                f"the bundle would take {size / 2**20:.1f} MB, over the {SIZE_BUDGET / 2**20:.0f} MB budget",
                "train a smaller toy model",
            )
    return dest


def _drop_local_paths(folder: Path) -> None:
    """Remove diffusers' ``_name_or_path`` (where the model was loaded from on the training machine)
    from every JSON config in ``folder``."""
    import json

    from motionctx.io import atomic_write_json

    for path in folder.rglob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "_name_or_path" in doc:
            del doc["_name_or_path"]
            atomic_write_json(path, doc)
