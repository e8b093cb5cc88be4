"""Accelerators the planner knows: memory and dense bf16 throughput.

Memory is the total the driver reports (``nvidia-smi``), in GiB; throughput is the vendor's
dense (no sparsity) bf16 tensor-core peak in TFLOPS for the SXM/OAM part unless the name says
otherwise. A step-time estimate multiplies that peak by a stated utilisation (MFU).
"""

from __future__ import annotations

from dataclasses import dataclass

from motionctx.errors import InputError
from motionctx.suggest import closest

__all__ = ["GPUS", "Gpu", "find_gpu"]

GIB = 2**30


@dataclass(frozen=True)
class Gpu:
    """One accelerator model."""

    name: str
    memory_gib: float
    bf16_tflops: float

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_gib * GIB)


GPUS: dict[str, Gpu] = {
    g.name: g
    for g in (
        Gpu("h100", 79.6, 989.0),
        Gpu("h100-pcie", 79.6, 756.0),
        Gpu("h200", 140.4, 989.0),
        Gpu("b200", 179.0, 2250.0),
        Gpu("a100", 80.0, 312.0),
        Gpu("a100-40", 40.0, 312.0),
        Gpu("l40s", 45.0, 362.0),
        Gpu("a10", 22.5, 125.0),
        Gpu("l4", 22.5, 121.0),
        Gpu("rtx4090", 24.0, 165.0),
    )
}


def find_gpu(name: str) -> Gpu:
    """The GPU called ``name`` (case-insensitive); an InputError lists the known ones."""
    key = name.strip().lower()
    if key in GPUS:
        return GPUS[key]
    match = closest(key, list(GPUS))
    raise InputError(
        f"unknown GPU {name!r}",
        (f"did you mean {match!r}? " if match else "") + f"known: {', '.join(GPUS)}",
    )
