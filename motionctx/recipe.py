"""Recipes: YAML files that assemble a pipeline from parts (DESIGN section 5).

Loading order: parse (``yaml.safe_load``) -> ``extends`` (deep merge, relative to the file; a part whose ``use`` changes is replaced whole) ->
``--set`` overrides -> ``${...}`` interpolation -> schema check -> ``requires`` -> every part and
stage resolved in the registry and its ``with:`` validated against the part's Config. No weights or
heavy modules are loaded. Errors name the file, the key path, the bad value and what is allowed.

Interpolation: ``${NAME}`` / ``${NAME:-default}`` read environment variables; a name with a dot
(``${inputs.reference}``) or a lower-case top-level key (``${output}``, ``${name}``) refers to the
recipe itself; ``${recipe_dir}`` is the folder of the recipe file.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from motionctx.errors import MissingDistributionError, MotionctxError, RecipeError
from motionctx.suggest import closest

SCHEMA_VERSION = 1
TOP_LEVEL_KEYS = ("motionctx", "name", "description", "extends", "requires", "output", "inputs", "parts", "stages")
#: slot name -> part kind when a part entry does not say ``kind:``
SLOT_KINDS = {
    "backbone": "backbone",
    "motion": "motion_source",
    "composer": "composer",
    "text": "text_guider",
    "filter": "quality_filter",
    "estimator": "pose_estimator",
}
_REF = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class PartSpec:
    """One resolved part entry of a recipe."""

    slot: str
    kind: str
    use: str
    params: dict[str, Any]


@dataclass(frozen=True)
class StageSpec:
    """One resolved stage entry of a recipe."""

    index: int
    run: str
    params: dict[str, Any]
    name: str


@dataclass
class Recipe:
    """A loaded, validated recipe. ``data`` is the fully resolved mapping."""

    data: dict[str, Any]
    path: Path | None = None
    parts: dict[str, PartSpec] = field(default_factory=dict)
    stages: list[StageSpec] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.data.get("name", "recipe"))

    @property
    def output_dir(self) -> Path:
        return Path(self.data.get("output") or Path("outputs") / self.name)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True)

    def run(self, **kwargs: Any) -> Any:
        """Build the pipeline and run every stage; returns the stage results."""
        from motionctx.pipeline import Pipeline

        return Pipeline(self, **kwargs).run()


# ---------------------------------------------------------------- parsing and merging


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise RecipeError(f"recipe file {str(path)!r} does not exist", "check the path", file=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RecipeError(f"invalid YAML: {where}{problem}", "fix the YAML syntax at that place", file=str(path)) from None
    if not isinstance(data, dict):
        raise RecipeError(f"a recipe must be a mapping, got {type(data).__name__}", file=str(path))
    return data


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists included) in ``over`` replaces ``base``."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else copy.deepcopy(v)
    return out


def _load_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise RecipeError(f"`extends` forms a cycle: {chain}", "remove one of the extends", file=str(path))
    data = _read_yaml(path)
    parents = data.pop("extends", None)
    if parents is None:
        return data
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        merged = _merge_recipes(merged, _load_with_extends(path.parent / parent, (*seen, path)))
    return _merge_recipes(merged, data)


def _merge_recipes(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``deep_merge``, except that a part whose ``use`` changes replaces the parent's entry whole
    (the parent's ``with:`` belongs to another part)."""
    base = copy.deepcopy(base)
    for slot, spec in (over.get("parts") or {}).items():
        old = (base.get("parts") or {}).get(slot)
        if isinstance(old, dict) and isinstance(spec, dict) and "use" in spec and spec["use"] != old.get("use"):
            del base["parts"][slot]
    return deep_merge(base, over)


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text) if text != "" else ""
    except yaml.YAMLError:
        return text


def apply_override(data: dict[str, Any], assignment: str, file: str | None = None) -> None:
    """Apply one ``a.b.c=value`` override in place (``stages.0.with.steps=2`` indexes lists)."""
    if "=" not in assignment:
        raise RecipeError(f"override {assignment!r} is not KEY=VALUE", "write e.g. --set parts.composer.use=temporal", file=file)
    key, raw = assignment.split("=", 1)
    apply_value(data, key.strip(), _parse_value(raw), file)


def apply_value(data: dict[str, Any], key: str, value: Any, file: str | None = None) -> None:
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        node = _child(node, part, ".".join(parts[: i + 1]), file, create=True)
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, key, file)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise RecipeError(f"cannot set {key!r}: {'.'.join(parts[:-1])} is a {type(node).__name__}", file=file, key=key)


def _index(node: list[Any], part: str, key: str, file: str | None) -> int:
    if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
        raise RecipeError(f"{part!r} is not an index of a list of {len(node)} items", file=file, key=key)
    return int(part)


def _child(node: Any, part: str, key: str, file: str | None, create: bool = False) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, key, file)]
    if isinstance(node, dict):
        if part not in node:
            if not create:
                raise KeyError(part)
            node[part] = {}
        return node[part]
    raise RecipeError(f"{key!r} does not lead into a mapping or list", file=file, key=key)


# ---------------------------------------------------------------- interpolation


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(dotted)
    return node


def interpolate(data: dict[str, Any], *, recipe_dir: Path | None, file: str | None) -> dict[str, Any]:
    """Resolve every ``${...}`` in string values (recipe references resolve recursively)."""

    def resolve_str(s: str, key: str, depth: int = 0) -> Any:
        if depth > 10:
            raise RecipeError("interpolation is nested too deeply (a reference cycle?)", file=file, key=key)
        whole = _REF.fullmatch(s)

        def one(expr: str) -> Any:
            name, _, default = expr.partition(":-")
            name = name.strip()
            if name == "recipe_dir":
                return str(recipe_dir or Path.cwd())
            if "." in name or (name.islower() and name in data and name != "recipe_dir"):
                try:
                    value = _lookup(data, name)
                except KeyError:
                    raise RecipeError(
                        f"${{{name}}} refers to a key the recipe does not have", "check the key path", file=file, key=key
                    ) from None
                return resolve_str(value, key, depth + 1) if isinstance(value, str) else value
            if name in os.environ:
                return os.environ[name]
            if ":-" in expr:
                return default
            raise RecipeError(
                f"environment variable {name} is not set",
                f"export {name}=... or override the key with --set {key}=...",
                file=file,
                key=key,
            )

        if whole:
            return one(whole.group(1))
        return _REF.sub(lambda m: str(one(m.group(1))), s)

    def walk(node: Any, key: str) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, f"{key}.{k}" if key else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{key}.{i}") for i, v in enumerate(node)]
        if isinstance(node, str) and "${" in node:
            return resolve_str(node, key)
        return node

    return walk(data, "")


# ---------------------------------------------------------------- validation


def check_requires(requires: Any, file: str | None) -> None:
    """Every ``requires:`` entry must be an installed distribution satisfying its specifier."""
    from packaging.requirements import InvalidRequirement, Requirement

    if requires in (None, []):
        return
    if not isinstance(requires, list):
        raise RecipeError("`requires` must be a list of distribution requirements", file=file, key="requires")
    for i, text in enumerate(requires):
        try:
            req = Requirement(str(text))
        except InvalidRequirement as exc:
            raise RecipeError(f"{text!r} is not a valid requirement ({exc})", file=file, key=f"requires.{i}") from None
        local = Path(__file__).resolve().parent.parent / "plugins" / req.name
        how = f"pip install -e {local}" if local.is_dir() else f"pip install '{req}'"
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            raise MissingDistributionError(
                f"this recipe requires {req.name}, which is not installed", f"install it: {how}", file=file, key=f"requires.{i}"
            ) from None
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            raise MissingDistributionError(
                f"this recipe requires {req}, but {req.name} {version} is installed", f"upgrade it: {how}", file=file, key=f"requires.{i}"
            )


def _validate_part(
    registry: Any, kind: str, spec: Any, key: str, file: str | None, use_key: str = "use"
) -> tuple[str, dict[str, Any]]:
    from motionctx.errors import UnknownPartError

    if not isinstance(spec, dict) or "use" not in spec:
        raise RecipeError(f"expected a mapping with `use:` (and optional `with:`), got {spec!r}", file=file, key=key)
    extra = set(spec) - {"use", "with", "kind"}
    if extra:
        bad = sorted(extra)[0]
        match = closest(bad, ["use", "with", "kind"])
        raise RecipeError(f"unknown key {bad!r}", f"did you mean {match!r}?" if match else "allowed: use, with, kind", file=file, key=f"{key}.{bad}")
    use, params = spec["use"], spec.get("with") or {}
    if not isinstance(params, dict):
        raise RecipeError(f"`with:` must be a mapping, got {params!r}", file=file, key=f"{key}.with")
    try:
        cls = registry.get(kind, str(use))
    except UnknownPartError as exc:
        raise RecipeError(exc.message, exc.hint, file=file, key=f"{key}.{use_key}") from None
    try:
        cls.parse_config(params, where=f"{key}.with")
    except RecipeError as exc:
        raise RecipeError(exc.message, exc.hint, file=file) from None
    for field_name, child_kind in cls.children.items():
        child = params.get(field_name)
        if child is None:
            default = cls.Config.model_fields[field_name].get_default(call_default_factory=True)
            child = default.model_dump(by_alias=True) if hasattr(default, "model_dump") else default
        if child is not None:
            _validate_part(registry, child_kind, child, f"{key}.with.{field_name}", file)
    return str(use), dict(params)


def validate(data: dict[str, Any], *, file: str | None = None, registry: Any = None) -> Recipe:
    """Check a resolved recipe mapping against the schema and the registry (no weights loaded)."""
    if registry is None:
        from motionctx.plugins import get_registry

        registry = get_registry()
    for k in data:
        if k not in TOP_LEVEL_KEYS:
            match = closest(str(k), TOP_LEVEL_KEYS)
            raise RecipeError(
                f"unknown top-level key {k!r}", f"did you mean {match!r}?" if match else f"allowed: {', '.join(TOP_LEVEL_KEYS)}", file=file, key=str(k)
            )
    version = data.get("motionctx")
    if version != SCHEMA_VERSION:
        raise RecipeError(
            f"schema version must be {SCHEMA_VERSION}, got {version!r}", f"start the recipe with `motionctx: {SCHEMA_VERSION}`", file=file, key="motionctx"
        )
    check_requires(data.get("requires"), file)
    parts_data = data.get("parts") or {}
    if not isinstance(parts_data, dict):
        raise RecipeError("`parts` must be a mapping of slot -> {use, with}", file=file, key="parts")
    parts: dict[str, PartSpec] = {}
    for slot, spec in parts_data.items():
        kind = spec.get("kind") if isinstance(spec, dict) else None
        kind = kind or SLOT_KINDS.get(str(slot))
        if kind is None or kind not in registry.parts:
            raise RecipeError(
                f"cannot tell the kind of part slot {slot!r}",
                f"add `kind:` (one of {', '.join(registry.parts)}) or use a standard slot ({', '.join(SLOT_KINDS)})",
                file=file,
                key=f"parts.{slot}",
            )
        use, params = _validate_part(registry, kind, spec, f"parts.{slot}", file)
        parts[str(slot)] = PartSpec(str(slot), kind, use, params)
    stages_data = data.get("stages") or []
    if not isinstance(stages_data, list):
        raise RecipeError("`stages` must be a list of {run, with}", file=file, key="stages")
    stages: list[StageSpec] = []
    for i, spec in enumerate(stages_data):
        key = f"stages.{i}"
        if not isinstance(spec, dict) or "run" not in spec:
            raise RecipeError(f"expected a mapping with `run:`, got {spec!r}", file=file, key=key)
        name = spec.get("name") or spec["run"]
        use, params = _validate_part(registry, "stage", {"use": spec["run"], "with": spec.get("with") or {}}, key, file, "run")
        for slot in registry.build("stage", use, params).required_slots():
            if slot not in parts:
                raise RecipeError(
                    f"stage {use!r} needs a part in slot {slot!r}, which the recipe does not define",
                    f"add parts.{slot}: {{use: ...}}",
                    file=file,
                    key=key,
                )
        stages.append(StageSpec(i, use, params, str(name)))
    return Recipe(data=data, parts=parts, stages=stages)


def _check_new_inputs_used(data: dict[str, Any], keys: list[str], declared: set[str], file: str | None) -> None:
    """An override that adds an input nothing refers to (``--set inputs.refernce=...``) is a typo
    or a recipe that takes no such input: say so instead of ignoring it."""
    used: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)
        elif isinstance(node, str):
            used.update(m.group(1) for m in re.finditer(r"\$\{\s*inputs\.([A-Za-z0-9_-]+)", node))

    collect(data)
    for key in keys:
        parts = key.split(".")
        if parts[0] != "inputs" or len(parts) < 2 or parts[1] in declared or parts[1] in used:
            continue
        known = sorted(declared)
        match = closest(parts[1], known)
        raise RecipeError(
            f"--set {key}: the recipe has no input {parts[1]!r} (nothing in it refers to ${{inputs.{parts[1]}}})",
            f"did you mean inputs.{match}?" if match else (f"its inputs: {', '.join(known)}" if known else "it takes no inputs"),
            file=file,
            key=key,
        )


def load_recipe(path: str | os.PathLike[str], overrides: list[str] | dict[str, Any] | None = None, *, registry: Any = None) -> Recipe:
    """Load, merge, override, interpolate and validate a recipe file."""
    p = Path(path)
    file = str(p)
    data = _load_with_extends(p)
    declared = set(data.get("inputs") or {}) if isinstance(data.get("inputs"), dict) else set()
    if isinstance(overrides, dict):
        for k, v in overrides.items():
            apply_value(data, k, v, file)
        keys = list(overrides)
    else:
        for o in overrides or []:
            apply_override(data, o, file)
        keys = [o.split("=", 1)[0].strip() for o in overrides or []]
    _check_new_inputs_used(data, keys, declared, file)
    # plugins first: a missing distribution explains most other failures (unknown parts, env vars)
    check_requires(data.get("requires"), file)
    data = interpolate(data, recipe_dir=p.resolve().parent, file=file)
    try:
        recipe = validate(data, file=file, registry=registry)
    except RecipeError:
        raise
    except MotionctxError as exc:
        raise RecipeError(exc.message, exc.hint, file=file) from None
    recipe.path = p
    return recipe
