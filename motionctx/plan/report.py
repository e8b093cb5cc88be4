"""A :class:`~motionctx.plan.Plan` as rich tables for the terminal."""

from __future__ import annotations

from typing import Any

from motionctx.plan.planner import Plan

STRATEGY_SHORT = {"ddp": "DDP", "fsdp": "FSDP", "zero2": "ZeRO-2", "zero3": "ZeRO-3", "single": "one GPU"}

__all__ = ["human_bytes", "human_count", "render_plan"]


def human_bytes(n: float) -> str:
    """``1.5 GiB``, ``320 MiB``."""
    return f"{n / 2**30:.1f} GiB" if abs(n) >= 2**30 else f"{n / 2**20:.0f} MiB"


def human_count(n: float) -> str:
    """``16.39 B``, ``387.97 M``, ``1.2 k``."""
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return str(int(n))


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.2f} s"


def render_plan(plan: Plan) -> list[Any]:
    """Renderables: the sizes and parameters, then memory per GPU under each strategy."""
    from rich.table import Table

    w = plan.workload
    head = Table(title=f"plan: {plan.model} ({plan.source})", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column()
    t, h, wd = w.composite
    head.add_row("stage", f"{w.stage} ({w.key})")
    head.add_row("video", f"{w.frames} frames x {w.size[0]}x{w.size[1]}; composite {t} x {h}x{wd}")
    head.add_row("tokens per sample", f"{plan.tokens:,}")
    for name, count in plan.parameters.items():
        head.add_row(f"parameters: {name}", f"{count:,} ({human_bytes(plan.weights[name])})")
    if w.training:
        what = f"LoRA rank {w.rank} on {len(w.targets)} target pattern(s)" if w.mode == "lora" else "full fine-tune"
        head.add_row("trainable parameters", f"{plan.trainable:,} ({what})")
        head.add_row("batch", f"{w.batch} per GPU x {w.accumulation} accumulation; mixed precision {w.precision}")
        head.add_row("activations", f"{human_bytes(plan.activations['checkpointing'])} with gradient checkpointing, "
                     f"{human_bytes(plan.activations['no_checkpointing'])} without")  # fmt: skip
        head.add_row("step time", f"{_duration(plan.seconds)} per optimizer step ({plan.flops:.3g} FLOPs per GPU)")
    else:
        head.add_row("activations", f"{human_bytes(plan.activations['inference'])} (sampling, no gradients)")
        head.add_row("segment time", f"{_duration(plan.seconds)} ({plan.flops:.3g} FLOPs)")
    gpus = f"{plan.gpus} x " if plan.gpus > 1 else ""
    table = Table(title=f"memory per GPU on {gpus}{plan.gpu.name} ({plan.gpu.memory_gib:g} GiB)", title_justify="left")
    for col in ("strategy", "ckpt", "weights", "grads+AdamW", "activations", "other", "total", "fits"):
        table.add_column(col, justify="left" if col in ("strategy", "ckpt") else "right")
    for s in plan.strategies:
        variants = [(True, s.checkpointing), (False, s.no_checkpointing)] if w.training else [(False, s.checkpointing)]
        for ckpt, f in variants:
            label = s.label + (" *" if plan.chosen == s.name else "")
            mark = ("yes" if ckpt else "no") + (" *" if w.training and ckpt == w.checkpointing else "")
            fits = "[green]yes[/]" if plan.fits(f) else "[red]no[/]"
            table.add_row(
                label, mark if w.training else "-", human_bytes(f.frozen + f.trained), human_bytes(f.gradients + f.optimizer),
                human_bytes(f.activations), human_bytes(f.communication + f.reserve), human_bytes(f.total), fits,
            )  # fmt: skip
    notes = [f"[dim]{n}[/]" for n in plan.notes]
    if plan.fitting_frames:
        best = ", ".join(f"{STRATEGY_SHORT.get(k, k)} {v}" for k, v in plan.fitting_frames.items())
        notes.append(f"most frames that fit one {plan.gpu.name} (recipe's checkpointing): {best}")
    notes.append("[dim]* the recipe's setting; other = sharding buffers + a 2 GiB runtime reserve per GPU[/]")
    return [head, table, *notes]
