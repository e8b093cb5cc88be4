"""``motionctx evaluate MANIFEST``: a recipe's ``evaluate`` stage run on one manifest.

The recipe (default ``recipes/eval.yaml``: the bundled toy model against copying the reference)
gets the manifest as its ``inputs.manifest`` when it declares it, and as its evaluate stage's
``manifest`` in any case; ``overrides`` (``--set``) come after, so they can change anything.
Only the evaluate stage runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from motionctx.oneline import one_stage_recipe
from motionctx.recipe import Recipe

#: The recipe ``motionctx evaluate`` runs without ``--recipe`` (in a source checkout).
DEFAULT_RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "eval.yaml"


def evaluate_recipe(
    manifest: str | os.PathLike[str],
    recipe: str | os.PathLike[str] | None = None,
    overrides: Sequence[str] = (),
) -> Recipe:
    """The recipe (default :data:`DEFAULT_RECIPE`) set to evaluate ``manifest``, reduced to its one
    ``evaluate`` stage. Raises RecipeError when it has none or several."""
    return one_stage_recipe("evaluate", {"manifest": manifest}, recipe, DEFAULT_RECIPE, overrides)
