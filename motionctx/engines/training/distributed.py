"""Process rank and world size, whoever launched us (accelerate launch, torchrun, mpirun, or nobody).

``accelerate launch`` and ``torchrun`` set ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``; accelerate's
multi-CPU launcher goes through MPI (``PMI_RANK``/``OMPI_COMM_WORLD_RANK`` ...). Stages call
:func:`init` before any part loads, so each process uses its own GPU (``cuda`` then means the
process's device).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["barrier", "init", "is_main", "rank_and_world"]

_RANK_VARS = ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
_WORLD_VARS = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")


def _first_int(names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = os.environ.get(name)
        if value not in (None, ""):
            return int(value)
    return default


def rank_and_world() -> tuple[int, int]:
    """``(rank, world_size)`` from the launcher's environment; ``(0, 1)`` when launched plainly."""
    world = max(1, _first_int(_WORLD_VARS, 1))
    rank = _first_int(_RANK_VARS, 0) if world > 1 else 0
    return rank, world


def is_main() -> bool:
    return rank_and_world()[0] == 0


#: how long :func:`barrier` waits for the slowest process: a stage's shards can finish hours apart
#: (a resumed synthesis, say), far past the process group's own 30 minutes
WAIT_HOURS = 24.0
_waiting: list[Any] = []  # the CPU group barrier() waits on, made once by init()


def init() -> Any:
    """Initialise the process group (gloo on CPU, nccl on GPU) when launched as several processes,
    and pin this process's GPU. Returns accelerate's ``PartialState``; cheap to call again. Every
    process calls it at the same point (a stage's start): the first call also makes the group
    :func:`barrier` waits on."""
    import torch
    import torch.distributed as dist
    from accelerate import PartialState

    state = PartialState(cpu=not torch.cuda.is_available())
    if not _waiting and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        from datetime import timedelta

        _waiting.append(dist.new_group(backend="gloo", timeout=timedelta(hours=WAIT_HOURS)))
    return state


def barrier() -> None:
    """Wait for every process, up to :data:`WAIT_HOURS` (no-op in a single process)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier(group=_waiting[0] if _waiting else None)
