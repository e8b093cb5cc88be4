"""Memory of one training process under each way accelerate can spread the work over GPUs.

* ``ddp``: every process holds everything; gradients are averaged through DDP's buckets (a
  second copy of the gradients when there is more than one process).
* ``fsdp``: FSDP full shard over the trained networks: their weights, gradients and optimizer
  state are split over the processes; two wrapped units (the one running and the one prefetched)
  are gathered whole at a time.
* ``zero2``: DeepSpeed ZeRO-2: gradients and optimizer state split, weights whole.
* ``zero3``: DeepSpeed ZeRO-3: like ``fsdp``.

Networks that are not trained (text and image encoders, VAE) stay whole on every process in
all four: accelerate prepares only the training modules. AdamW keeps two moments in the
trained parameters' dtype.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from motionctx.errors import InputError

__all__ = ["RUNTIME_RESERVE", "STRATEGIES", "Footprint", "footprint", "strategy_from_accelerate"]

GIB = 2**30
STRATEGIES: dict[str, str] = {
    "ddp": "DDP",
    "fsdp": "FSDP",
    "zero2": "ZeRO-2",
    "zero3": "ZeRO-3",
}
#: Kept free on every GPU for what no formula here counts: the CUDA context, cuBLAS/NCCL
#: workspaces and allocator fragmentation (a stated allowance, not a measurement).
RUNTIME_RESERVE = 2 * GIB


@dataclass(frozen=True)
class Footprint:
    """Bytes one process holds at the peak of a step, by what holds them."""

    frozen: int
    trained: int
    gradients: int
    optimizer: int
    activations: int
    communication: int
    reserve: int = RUNTIME_RESERVE

    @property
    def total(self) -> int:
        return (
            self.frozen
            + self.trained
            + self.gradients
            + self.optimizer
            + self.activations
            + self.communication
            + self.reserve
        )

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}


def footprint(
    strategy: str,
    *,
    gpus: int,
    replicated: int,
    shardable: int,
    trained_params: int,
    trained_bytes: int,
    activations: int,
    unit_bytes: int,
    gradient_params: int | None = None,
) -> Footprint:
    """One process's memory under ``strategy`` over ``gpus`` processes.

    ``replicated``: bytes of the networks nobody trains; ``shardable``: frozen bytes inside the
    trained networks (a LoRA's base weights); ``trained_params`` parameters of ``trained_bytes``
    bytes each; ``activations`` per process; ``unit_bytes``: the largest wrapped unit (one
    transformer block) gathered whole by FSDP and ZeRO-3; ``gradient_params``: the trained
    parameters whose gradients exist at the moment the footprint is taken (default: all).
    DDP's buckets are allocated whole up front, so their copy counts every gradient."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}", f"one of {', '.join(STRATEGIES)}")
    n = max(1, gpus)
    weights = trained_params * trained_bytes
    grads = (trained_params if gradient_params is None else gradient_params) * trained_bytes
    optim = 2 * trained_params * trained_bytes
    if strategy == "ddp":
        buckets = trained_params * trained_bytes if n > 1 else 0
        return Footprint(replicated + shardable, weights, grads, optim, activations, buckets)
    if strategy == "zero2":
        return Footprint(replicated + shardable, weights, grads // n, optim // n, activations, 0)
    gathered = 2 * unit_bytes if n > 1 else 0
    return Footprint(replicated + shardable // n, weights // n, grads // n, optim // n, activations, gathered)


def strategy_from_accelerate(path: str | Path) -> tuple[str, int | None]:
    """The strategy and process count an accelerate config file asks for (``distributed_type``,
    DeepSpeed ``zero_stage``, FSDP ``fsdp_sharding_strategy``, ``num_processes``)."""
    from motionctx.safeyaml import load_file

    data = load_file(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: not an accelerate config (a YAML mapping)", "pass a file from `accelerate config`")
    kind = str(data.get("distributed_type", "NO")).upper()
    procs = data.get("num_processes")
    count = int(procs) if isinstance(procs, int) else None
    if kind == "DEEPSPEED":
        stage = int((data.get("deepspeed_config") or {}).get("zero_stage", 2))
        if stage not in (2, 3):
            raise InputError(f"{path}: ZeRO stage {stage} is not planned", "use zero_stage 2 or 3")
        return f"zero{stage}", count
    if kind == "FSDP":
        sharding = str((data.get("fsdp_config") or {}).get("fsdp_sharding_strategy", "FULL_SHARD")).upper()
        if sharding not in ("FULL_SHARD", "1"):
            raise InputError(f"{path}: FSDP {sharding} is not planned", "use fsdp_sharding_strategy: FULL_SHARD")
        return "fsdp", count
    return "ddp", count
