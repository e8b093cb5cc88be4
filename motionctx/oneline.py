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


def _quoted(path: str | os.PathLike[str]) -> str:
    """A path as a YAML string that ``--set`` parses back unchanged (``123`` stays text)."""
    return json.dumps(os.fspath(path))


def animate_recipe(
    reference: str | os.PathLike[str],
    driving: str | os.PathLike[str],
    recipe: str | os.PathLike[str] | None = None,
    overrides: Sequence[str] = (),
) -> Recipe:
    """The recipe (default :data:`DEFAULT_RECIPE`) set to animate ``reference`` with ``driving``,
    reduced to its one ``animate`` stage. Raises RecipeError when it has none or several."""
    path = Path(recipe) if recipe is not None else DEFAULT_RECIPE
    if recipe is None and not DEFAULT_RECIPE.is_file():
        raise InputError(
            f"the default recipe {DEFAULT_RECIPE} is not there (motionctx runs outside its source checkout)",
            "pass a recipe with an animate stage: --recipe FILE",
        )
    first = load_recipe(path, list(overrides))
    animates = [s for s in first.stages if s.run == "animate"]
    if len(animates) != 1:
        names = ", ".join(s.run for s in first.stages) or "none"
        raise RecipeError(
            f"`motionctx animate` needs a recipe with exactly one animate stage; this one has {len(animates)} "
            f"(stages: {names})",
            "use `motionctx recipe run` for other recipes, or pass --recipe recipes/animate.yaml",
            file=str(path),
        )
    index = animates[0].index
    declared = first.data.get("inputs") or {}
    sets = [f"inputs.{k}={_quoted(v)}" for k, v in (("reference", reference), ("driving", driving)) if k in declared]
    sets += [f"stages.{index}.with.reference={_quoted(reference)}", f"stages.{index}.with.driving={_quoted(driving)}"]
    full = load_recipe(path, [*sets, *overrides])
    return dataclasses.replace(full, stages=[s for s in full.stages if s.index == index])
