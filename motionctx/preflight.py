"""Every file a recipe names, checked for existence before anything is decoded or loaded.

Parts say what they need through :meth:`~motionctx.parts.Part.missing_files` (weights folders,
model files, pose files); stages through their ``input_files``. A path inside the run's output
folder is left alone: an earlier stage of the same recipe writes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from motionctx.errors import WeightsError
from motionctx.parts.base import MissingFile

if TYPE_CHECKING:
    from motionctx.recipe import Recipe
    from motionctx.registry import Registry

__all__ = ["check_files", "missing_paths"]


def _inside(path: str, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        return Path(path).expanduser().resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def missing_paths(
    recipe: Recipe,
    *,
    registry: Registry | None = None,
    output_dir: str | Path | None = None,
    inputs: bool = True,
    slots: Iterable[str] | None = None,
) -> list[MissingFile]:
    """Every file the recipe's parts and stages need that does not exist, ``what`` prefixed with
    the recipe key it comes from, in recipe order, without duplicates. ``inputs=False`` keeps
    only the weights (a run reads its input media next anyway, and may never read a keypoint file
    whose poses a manifest already holds). ``slots`` limits the check to those parts (no stages);
    a path with a ``{case.NAME}`` placeholder is then left to the case that fills it."""
    if registry is None:
        from motionctx.plugins import get_registry

        registry = get_registry()
    out_dir = Path(output_dir) if output_dir is not None else recipe.output_dir
    found: list[MissingFile] = []
    for slot, spec in recipe.parts.items():
        if slots is not None and slot not in slots:
            continue
        found += part_missing_files(registry, spec.kind, spec.use, spec.params, f"parts.{slot}",
                                    skip_placeholders=slots is not None)
    for spec in recipe.stages if slots is None else ():
        stage = registry.build("stage", spec.run, spec.params, where=f"stages.{spec.index}.with")
        key = f"stages.{spec.index}.with"
        found += [_at(key, m) for m in stage.missing_files()]
        for name, what in stage.input_files.items():
            value = getattr(stage.config, name, None)
            if value and not Path(value).exists():
                found.append(MissingFile(f"{key}.{name}: {what}", str(value), weights=False))
    seen: set[str] = set()
    unique = []
    for m in found:
        if (inputs or m.weights) and m.path not in seen and not _inside(m.path, out_dir):
            seen.add(m.path)
            unique.append(m)
    return unique


def part_missing_files(
    registry: Registry, kind: str, use: str, params: dict, key: str, *, skip_placeholders: bool = False
) -> list[MissingFile]:
    """The files one part (built from ``kind``/``use``/``params``, no weights loaded) needs and
    lacks, ``what`` prefixed with ``key``; ``skip_placeholders`` leaves ``{case.NAME}`` paths to the
    case that fills them."""
    part = registry.build(kind, use, params, where=f"{key}.with")
    return [_at(key, m) for m in part.missing_files()
            if not (skip_placeholders and "{case." in str(MissingFile(*m).path))]


def _at(key: str, missing: tuple[str, ...]) -> MissingFile:
    m = MissingFile(*missing)  # parts may return plain (what, path) pairs
    return m._replace(what=f"{key}: {m.what}")


def check_files(
    recipe: Recipe,
    *,
    registry: Registry | None = None,
    output_dir: str | Path | None = None,
    inputs: bool = True,
    slots: Iterable[str] | None = None,
) -> None:
    """Raise one :class:`~motionctx.errors.WeightsError` listing every missing path at once, with
    the parts' hints on how to get them (arguments as :func:`missing_paths`)."""
    missing = missing_paths(recipe, registry=registry, output_dir=output_dir, inputs=inputs, slots=slots)
    if not missing:
        return
    listing = "; ".join(f"{m.path} ({m.what})" for m in missing)
    hints = list(dict.fromkeys(m.hint for m in missing if m.hint))
    raise WeightsError(
        f"{len(missing)} file{'s' if len(missing) > 1 else ''} the recipe needs "
        f"{'do' if len(missing) > 1 else 'does'} not exist: {listing}",
        "; ".join(hints) if hints else "fix the paths (environment variables, --set ...)",
    )
