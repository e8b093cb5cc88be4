"""Model variants and per-case part parameters.

A variant is a name plus part overrides on the recipe's parts (the way ``extends`` merges them:
the same ``use`` merges ``with:`` key by key, another ``use`` replaces the slot), or a baseline
that makes no model call: ``reference`` (the reference image repeated: copying it), ``driving``
(the driving clip itself) or ``target`` (the right answer, an upper bound for checking scorers).

Any string in a part's parameters may hold ``{case.NAME}`` placeholders (``{case.id}``,
``{case.reference}``, ``{case.driving}``, ``{case.target}``, ``{case.files.NAME}``): such a part is
built again for each case with the case's values; parts without placeholders are built once.
"""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from motionctx.errors import RecipeError

if TYPE_CHECKING:
    from motionctx.engines.evaluation.case import CaseSpec
    from motionctx.parts import Part
    from motionctx.registry import Registry

#: the part slots the animate engine reads
ANIMATE_SLOTS = ("backbone", "motion", "composer", "text")
_PLACEHOLDER = re.compile(r"\{case\.([A-Za-z0-9_.-]+)\}")


class Variant(BaseModel):
    """One model variant of an evaluation."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="short name (a folder name)")
    baseline: Literal["reference", "driving", "target"] | None = Field(
        None, description="no model: the reference repeated (copying it), the driving clip, or the target"
    )
    parts: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="part overrides on the recipe's parts: {slot: {use, with}}"
    )


def merged_parts(recipe_parts: dict[str, Any], variant: Variant) -> dict[str, dict[str, Any]]:
    """``{slot: {kind, use, with}}`` of the animate slots for ``variant``: the recipe's parts with
    the variant's overrides merged in."""
    from motionctx.recipe import SLOT_KINDS, deep_merge

    out = {s: {"kind": p.kind, "use": p.use, "with": copy.deepcopy(p.params)}
           for s, p in recipe_parts.items() if s in ANIMATE_SLOTS}
    for slot, spec in variant.parts.items():
        old = out.get(slot)
        if old is not None and spec.get("use", old["use"]) == old["use"]:
            out[slot] = {**old, "with": deep_merge(old["with"], spec.get("with") or {})}
        else:
            kind = spec.get("kind") or (old or {}).get("kind") or SLOT_KINDS.get(slot)
            out[slot] = {"kind": kind, "use": spec.get("use"), "with": copy.deepcopy(spec.get("with") or {})}
    return out


def check_variants(variants: list[Variant], recipe_parts: dict[str, Any], registry: Registry, key: str) -> None:
    """Every variant's parts resolve and validate (no weights loaded); one RecipeError otherwise."""
    from motionctx.recipe import validate_part

    names = [v.name for v in variants]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RecipeError(f"{key}: variant names must differ; {dupes[0]!r} is used twice", "rename one")
    for i, variant in enumerate(variants):
        if variant.baseline is not None:
            if variant.parts:
                raise RecipeError(f"{key}.{i}: baseline {variant.baseline!r} takes no parts", "remove `parts` or `baseline`")
            continue
        parts = merged_parts(recipe_parts, variant)
        for slot in ("backbone", "motion", "composer"):
            if slot not in parts:
                raise RecipeError(f"{key}.{i} ({variant.name}): no part in slot {slot!r}",
                                  f"add parts.{slot} to the recipe or to the variant's parts")
        for slot, spec in parts.items():
            if slot not in ANIMATE_SLOTS:
                raise RecipeError(f"{key}.{i}.parts.{slot}: the animate engine has no slot {slot!r}",
                                  f"slots: {', '.join(ANIMATE_SLOTS)}")
            if spec["kind"] is None or spec["use"] is None:
                raise RecipeError(f"{key}.{i}.parts.{slot}: expected {{use: NAME, with: {{...}}}}", "name the part to use")
            validate_part(registry, spec["kind"], {"use": spec["use"], "with": spec["with"]}, f"{key}.{i}.parts.{slot}", None)


def fill(value: Any, case: CaseSpec | None) -> Any:
    """``value`` with every ``{case.NAME}`` replaced by the case's value (recursively)."""
    if isinstance(value, dict):
        return {k: fill(v, case) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, case) for v in value]
    if isinstance(value, str) and "{case." in value:
        if case is None:
            return value
        known = case.placeholders()

        def one(m: re.Match[str]) -> str:
            if m.group(1) not in known:
                from motionctx.errors import InputError

                raise InputError(f"case {case.id}: no value for placeholder {m.group(0)}",
                                 f"this case has: {', '.join('{case.' + k + '}' for k in known)}")
            return known[m.group(1)]

        return _PLACEHOLDER.sub(one, value)
    return value


class PartCache:
    """Builds and loads parts, once for each distinct set of filled parameters; a slot whose
    parameters depend on the case keeps only its latest part."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._parts: dict[str, tuple[str, Part]] = {}

    def get(self, slot: str, kind: str, use: str, params: dict[str, Any], case: CaseSpec | None) -> Part:
        filled = fill(params, case)
        key = json.dumps([kind, use, filled], sort_keys=True, default=str)
        hit = self._parts.get(slot)
        if hit is None or hit[0] != key:
            part = self.registry.build(kind, use, filled, where=f"parts.{slot}.with")
            part.ensure_loaded()
            self._parts[slot] = (key, part)
        return self._parts[slot][1]

    def clear(self) -> None:
        self._parts.clear()
