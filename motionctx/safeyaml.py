"""YAML for recipes, parsed with ``yaml.SafeLoader`` under limits.

A recipe is a small hand-written file, so anything far from that is refused with a
:class:`~motionctx.errors.RecipeError` instead of hanging, exhausting memory or guessing:

- files larger than :data:`MAX_BYTES`, or not UTF-8;
- nesting deeper than :data:`MAX_DEPTH`;
- more than :data:`MAX_ALIASES` aliases (``*name``), or a document that expands to more than
  :data:`MAX_VALUES` values once aliases are followed (the "billion laughs" bomb);
- a key given twice in one mapping (YAML would silently keep the last one); keys merged in with
  ``<<: *base`` may be overridden, as YAML intends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from motionctx.errors import RecipeError

MAX_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_ALIASES = 256
MAX_VALUES = 100_000


class LimitError(yaml.YAMLError):
    """A document beyond the limits (or with a duplicate key): never read as plain text."""

    def __init__(self, problem: str, hint: str, mark: Any = None) -> None:
        super().__init__(problem)
        self.problem, self.hint, self.problem_mark = problem, hint, mark


class LimitedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with depth and alias limits and an error on duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise LimitError(
                    f"more than {MAX_ALIASES} aliases", "write the values out", self.peek_event().start_mark
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise LimitError(
                    f"nested deeper than {MAX_DEPTH} levels", "flatten the document", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # unhashable: the base class reports it
                    continue
                if first is not key_node:
                    raise LimitError(
                        f"key {key!r} appears twice in one mapping (first on line {first.start_mark.line + 1})",
                        "rename or remove one of them",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


def _count_values(data: Any) -> int:
    """How many values ``data`` holds with aliases expanded, stopping just past the limit."""
    count, stack = 0, [data]
    while stack and count <= MAX_VALUES:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def parse(text: str) -> Any:
    """Parse one YAML document under the limits; raises ``yaml.YAMLError`` (:class:`LimitError`
    for a document beyond them)."""
    loader = LimitedLoader(text)
    try:
        data = loader.get_single_data()
    except RecursionError:
        raise LimitError("nested too deeply", "flatten the document") from None
    finally:
        loader.dispose()
    if _count_values(data) > MAX_VALUES:
        raise LimitError(
            f"expands to more than {MAX_VALUES} values once its aliases are followed",
            "write the values out instead of nesting aliases",
        )
    return data


def loads(text: str, *, file: str | None = None, key: str | None = None) -> Any:
    """:func:`parse`, with any problem reported as a RecipeError at ``file``/``key``."""
    try:
        return parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = getattr(exc, "hint", None) or "fix the YAML at that place"
        raise RecipeError(f"invalid YAML: {where}{problem}", hint, file=file, key=key) from None


def load_file(path: str | Path) -> Any:
    """Read a YAML file (UTF-8, at most :data:`MAX_BYTES`) and parse it with :func:`loads`."""
    from motionctx.io.text import read_text

    p = Path(path)
    text = read_text(p, "recipe file", max_bytes=MAX_BYTES, error=RecipeError)
    return loads(text, file=str(p))
