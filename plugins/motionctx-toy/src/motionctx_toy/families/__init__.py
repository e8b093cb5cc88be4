"""The body families of the toy world. Each module defines ``PLAN`` (bones, keypoints, shapes),
``PROPORTIONS`` (identity length groups), ``STATURE``, ``palette`` and ``MOTIONS``."""

from __future__ import annotations

from types import ModuleType

from motionctx.errors import InputError
from motionctx_toy.families import bird, humanoid, quadruped

FAMILIES: dict[str, ModuleType] = {"humanoid": humanoid, "quadruped": quadruped, "bird": bird}


def family(name: str) -> ModuleType:
    """The module of a family; an unknown name is an InputError listing the families."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise InputError(f"unknown toy family {name!r}", f"families: {', '.join(FAMILIES)}") from None
