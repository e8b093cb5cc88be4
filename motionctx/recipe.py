"""Recipes: YAML files that assemble a pipeline from parts (DESIGN section 5).

Loading order: parse (``yaml.SafeLoader`` under the limits of :mod:`motionctx.safeyaml`) -> ``extends`` (deep merge, relative to the file; a part whose ``use`` changes is replaced whole) ->
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

from motionctx import safeyaml
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
    data = safeyaml.load_file(path)
    if data is None:
        raise RecipeError("the recipe is empty", "start it with `motionctx: 1`", file=str(path))
    if not isinstance(data, dict):
        raise RecipeError(
            f"a recipe must be a mapping, got {type(data).__name__}", "start it with `motionctx: 1`", file=str(path)
        )
    return data


def _absolute(path: Path) -> Path:
    """``path`` resolved, or only made absolute when it cannot be (a symlink loop: reading it
    reports that)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists included) in ``over`` replaces ``base``."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else copy.deepcopy(v)
    return out


def _load_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = _absolute(path)
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise RecipeError(f"`extends` forms a cycle: {chain}", "remove one of the extends", file=str(path))
    data = _read_yaml(path)
    parents = data.pop("extends", None)
    if parents is None:
        return data
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) and p for p in parents):
        raise RecipeError(
            f"`extends` must be a file name or a list of them, got {parents!r}",
            "write e.g. `extends: base.yaml` (relative to this recipe)", file=str(path), key="extends",
        )  # fmt: skip
    merged: dict[str, Any] = {}
    for parent in parents:
        merged = _merge_recipes(merged, _load_with_extends(path.parent / parent, (*seen, path)), str(path))
    return _merge_recipes(merged, data, str(path))


def _merge_recipes(base: dict[str, Any], over: dict[str, Any], file: str | None = None) -> dict[str, Any]:
    """``deep_merge``, except that a part whose ``use`` changes replaces the parent's entry whole
    (the parent's ``with:`` belongs to another part)."""
    base = copy.deepcopy(base)
    for doc in (base, over):
        if not isinstance(doc.get("parts") or {}, dict):
            raise RecipeError(
                "`parts` must be a mapping of slot -> {use, with}", "write e.g. `parts: {composer: {use: spatial}}`",
                file=file, key="parts",
            )  # fmt: skip
    for slot, spec in (over.get("parts") or {}).items():
        old = (base.get("parts") or {}).get(slot)
        if isinstance(old, dict) and isinstance(spec, dict) and "use" in spec and spec["use"] != old.get("use"):
            del base["parts"][slot]
    return deep_merge(base, over)


def _parse_value(text: str, key: str, file: str | None) -> Any:
    """A ``--set`` value as YAML (``2`` is a number, ``[1, 2]`` a list); text that is not YAML is
    taken as a string, but a value beyond the YAML limits is an error."""
    if text == "":
        return ""
    try:
        return safeyaml.parse(text)
    except safeyaml.LimitError as exc:
        raise RecipeError(f"--set {key}: {exc.problem}", exc.hint, file=file, key=key) from None
    except yaml.YAMLError:
        return text


def apply_override(data: dict[str, Any], assignment: str, file: str | None = None) -> None:
    """Apply one ``a.b.c=value`` override in place (``stages.0.with.steps=2`` indexes lists)."""
    if "=" not in assignment:
        raise RecipeError(f"override {assignment!r} is not KEY=VALUE", "write e.g. --set parts.composer.use=temporal", file=file)
    key, raw = assignment.split("=", 1)
    apply_value(data, key.strip(), _parse_value(raw, key.strip(), file), file)


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
        raise RecipeError(
            f"cannot set {key!r}: {'.'.join(parts[:-1])} is a {type(node).__name__}",
            "set a key inside a mapping or a list (see `motionctx recipe show`)", file=file, key=key,
        )  # fmt: skip


def _index(node: list[Any], part: str, key: str, file: str | None) -> int:
    if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
        raise RecipeError(
            f"{part!r} is not an index of a list of {len(node)} items", f"use 0 to {len(node) - 1}" if node else
            "the list is empty", file=file, key=key,
        )  # fmt: skip
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
    raise RecipeError(
        f"{key!r} does not lead into a mapping or list", "check the key path with `motionctx recipe show`",
        file=file, key=key,
    )  # fmt: skip


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


def interpolate(
    data: dict[str, Any], *, recipe_dir: Path | None, file: str | None, keep_unset: bool = False
) -> dict[str, Any]:
    """Resolve every ``${...}`` in string values (recipe references resolve recursively).
    ``keep_unset``: an unset environment variable without a default stays as written (``${NAME}``)
    instead of being an error, for commands that read a recipe without running it."""

    def resolve_str(s: str, key: str, depth: int = 0) -> Any:
        if depth > 10:
            raise RecipeError(
                "interpolation is nested too deeply (a reference cycle?)", "make the ${...} references end in a value",
                file=file, key=key,
            )  # fmt: skip
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
            if keep_unset:
                return "${" + expr + "}"
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
        raise RecipeError(
            "`requires` must be a list of distribution requirements", "write e.g. `requires: [motionctx-wan>=0.1]`",
            file=file, key="requires",
        )  # fmt: skip
    for i, text in enumerate(requires):
        try:
            req = Requirement(str(text))
        except InvalidRequirement as exc:
            raise RecipeError(
                f"{text!r} is not a valid requirement ({exc})", "write e.g. motionctx-wan>=0.1",
                file=file, key=f"requires.{i}",
            ) from None
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


def validate_part(
    registry: Any, kind: str, spec: Any, key: str, file: str | None, use_key: str = "use"
) -> tuple[str, dict[str, Any]]:
    """Check one part spec (``{use, with}``) against the registry and the part's Config; returns
    ``(use, validated params)``. Errors are RecipeErrors naming ``file`` and the key path ``key``."""
    from motionctx.errors import UnknownPartError

    if not isinstance(spec, dict) or "use" not in spec:
        raise RecipeError(
            f"expected a mapping with `use:` (and optional `with:`), got {spec!r}"[:300],
            "write e.g. {use: spatial, with: {...}}", file=file, key=key,
        )  # fmt: skip
    extra = set(spec) - {"use", "with", "kind"}
    if extra:
        bad = sorted(extra)[0]
        match = closest(bad, ["use", "with", "kind"])
        raise RecipeError(f"unknown key {bad!r}", f"did you mean {match!r}?" if match else "allowed: use, with, kind", file=file, key=f"{key}.{bad}")
    use, params = spec["use"], spec.get("with") or {}
    if not isinstance(params, dict):
        raise RecipeError(
            f"`with:` must be a mapping, got {params!r}"[:300], "write the parameters as {name: value, ...}",
            file=file, key=f"{key}.with",
        )  # fmt: skip
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
            validate_part(registry, child_kind, child, f"{key}.with.{field_name}", file)
    return str(use), dict(params)


#: top-level key -> (allowed types, how to write it); absent or null is always allowed
_TOP_LEVEL_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "name": ((str,), "a name, e.g. `name: my_run`"),
    "description": ((str,), "one line of text"),
    "output": ((str,), "a folder path, e.g. `output: outputs/my_run`"),
    "inputs": ((dict,), "a mapping, e.g. `inputs: {reference: me.png}`"),
    "requires": ((list,), "a list, e.g. `requires: [motionctx-wan>=0.1]`"),
    "parts": ((dict,), "a mapping of slot -> {use, with}"),
    "stages": ((list,), "a list of {run, with}"),
}
INT_RANGE = (-(2**63), 2**63 - 1)


def _check_types(data: dict[str, Any], file: str | None) -> None:
    """Top-level values of the right type; numbers anywhere finite and within 64 bits (a seed of
    99999999999999999999999 would overflow deep inside a run)."""
    import math

    for k, (types, how) in _TOP_LEVEL_TYPES.items():
        value = data.get(k)
        if value is not None and not isinstance(value, types):
            raise RecipeError(f"`{k}` must be {how.split(',')[0]}, got {value!r}"[:200], f"write {how}", file=file, key=k)
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        key, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{key}.{k}" if key else str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((f"{key}.{i}", v) for i, v in enumerate(node))
        elif isinstance(node, int) and not isinstance(node, bool) and not INT_RANGE[0] <= node <= INT_RANGE[1]:
            raise RecipeError(f"{node} is out of range", "use a number that fits in 64 bits", file=file, key=key)
        elif isinstance(node, float) and not math.isfinite(node):
            raise RecipeError(f"{node} is not a finite number", "use a finite number", file=file, key=key)


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
    _check_types(data, file)
    check_requires(data.get("requires"), file)
    parts_data = data.get("parts") or {}
    if not isinstance(parts_data, dict):
        raise RecipeError(
            "`parts` must be a mapping of slot -> {use, with}", "write e.g. `parts: {composer: {use: spatial}}`",
            file=file, key="parts",
        )  # fmt: skip
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
        use, params = validate_part(registry, kind, spec, f"parts.{slot}", file)
        parts[str(slot)] = PartSpec(str(slot), kind, use, params)
    stages_data = data.get("stages") or []
    if not isinstance(stages_data, list):
        raise RecipeError(
            "`stages` must be a list of {run, with}", "write e.g. `stages: [{run: compose, with: {...}}]`",
            file=file, key="stages",
        )  # fmt: skip
    stages: list[StageSpec] = []
    for i, spec in enumerate(stages_data):
        key = f"stages.{i}"
        if not isinstance(spec, dict) or "run" not in spec:
            raise RecipeError(
                f"expected a mapping with `run:`, got {spec!r}"[:300], "write e.g. {run: compose, with: {...}}",
                file=file, key=key,
            )  # fmt: skip
        name = spec.get("name") or spec["run"]
        use, params = validate_part(registry, "stage", {"use": spec["run"], "with": spec.get("with") or {}}, key, file, "run")
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


def load_recipe(
    path: str | os.PathLike[str],
    overrides: list[str] | dict[str, Any] | None = None,
    *,
    registry: Any = None,
    keep_unset: bool = False,
) -> Recipe:
    """Load, merge, override, interpolate and validate a recipe file (``keep_unset``: see
    :func:`interpolate`)."""
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
    data = interpolate(data, recipe_dir=p.resolve().parent, file=file, keep_unset=keep_unset)
    try:
        recipe = validate(data, file=file, registry=registry)
    except RecipeError:
        raise
    except MotionctxError as exc:
        raise RecipeError(exc.message, exc.hint, file=file) from None
    recipe.path = p
    return recipe
