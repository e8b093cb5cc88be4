"""``motionctx animate REFERENCE DRIVING``: one recipe's ``animate`` stage run on two files.

The recipe (default ``recipes/animate.yaml``: the bundled toy model, poses from MediaPipe) gets
the two paths as its ``inputs.reference`` / ``inputs.driving`` when it declares them, and as its
animate stage's ``reference`` / ``driving`` in any case; ``overrides`` (``--set``) come after, so
they can change anything. Only the animate stage runs.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path

from motionctx.errors import InputError, RecipeError
from motionctx.recipe import Recipe, load_recipe

__all__ = ["DEFAULT_RECIPE", "animate_recipe"]

#: The recipe ``motionctx animate`` runs without ``--recipe`` (in a source checkout).
DEFAULT_RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "animate.yaml"


def quoted(path: str | os.PathLike[str]) -> str:
    """A path as a YAML string that ``--set`` parses back unchanged (``123`` stays text)."""
    return json.dumps(os.fspath(path))


def one_stage_recipe(
    stage: str,
    files: dict[str, str | os.PathLike[str]],
    recipe: str | os.PathLike[str] | None,
    default: Path,
    overrides: Sequence[str] = (),
) -> Recipe:
    """``recipe`` (or ``default``) reduced to its one ``stage`` stage, with ``files`` (key -> path)
    set as the recipe's ``inputs.KEY`` where declared and as the stage's ``with.KEY`` in any case;
    ``overrides`` come after. Raises RecipeError when the recipe has no such stage or several."""
    path = Path(recipe) if recipe is not None else default
    if recipe is None and not default.is_file():
        raise InputError(
            f"the default recipe {default} is not there (motionctx runs outside its source checkout)",
            f"pass a recipe with an {stage} stage: --recipe FILE",
        )
    first = load_recipe(path, list(overrides))
    found = [s for s in first.stages if s.run == stage]
    if len(found) != 1:
        names = ", ".join(s.run for s in first.stages) or "none"
        raise RecipeError(
            f"`motionctx {stage}` needs a recipe with exactly one {stage} stage; this one has {len(found)} "
            f"(stages: {names})",
            f"use `motionctx recipe run` for other recipes, or pass --recipe recipes/{default.name}",
            file=str(path),
        )
    index = found[0].index
    declared = first.data.get("inputs") or {}
    sets = [f"inputs.{k}={quoted(v)}" for k, v in files.items() if k in declared]
    sets += [f"stages.{index}.with.{k}={quoted(v)}" for k, v in files.items()]
    full = load_recipe(path, [*sets, *overrides])
    return dataclasses.replace(full, stages=[s for s in full.stages if s.index == index])


def animate_recipe(
    reference: str | os.PathLike[str],
    driving: str | os.PathLike[str],
    recipe: str | os.PathLike[str] | None = None,
    overrides: Sequence[str] = (),
) -> Recipe:
    """The recipe (default :data:`DEFAULT_RECIPE`) set to animate ``reference`` with ``driving``,
    reduced to its one ``animate`` stage. Raises RecipeError when it has none or several."""
    return one_stage_recipe("animate", {"reference": reference, "driving": driving}, recipe, DEFAULT_RECIPE, overrides)
