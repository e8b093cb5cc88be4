"""The built-in prompts (package data in ``prompts/``) and recipe overrides by file path."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from motionctx.errors import RecipeError

#: prompt name -> placeholders it must contain (filled with :func:`fill`)
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "motion": (),
    "appearance": (),
    "fusion": ("appearance", "motion"),
    "judge": (),
    "judge_eval": (),
}


def builtin_prompt(name: str) -> str:
    """The text of the built-in prompt ``name``."""
    return resources.files("motionctx_openai").joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8")


def load_prompt(name: str, override: str | None = None, *, key: str | None = None) -> str:
    """Prompt ``name``: the file at ``override`` when given, else the built-in one.

    ``key`` is the recipe parameter that held the path (named in errors).
    """
    if override is None:
        text = builtin_prompt(name)
    else:
        path = Path(override).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RecipeError(
                f"cannot read the {name} prompt file {str(path)!r}: {exc.strerror or exc}",
                "give the path of a UTF-8 text file, or remove the parameter to use the built-in prompt",
                key=key,
            ) from None
    missing = [p for p in PLACEHOLDERS[name] if "{" + p + "}" not in text]
    if missing:
        where = override or "built-in"
        raise RecipeError(
            f"the {name} prompt ({where}) lacks the placeholder(s) " + ", ".join("{" + m + "}" for m in missing),
            "write them where the descriptions should go, e.g. {appearance} and {motion}",
            key=key,
        )
    if not text.strip():
        raise RecipeError(f"the {name} prompt file {override!r} is empty", key=key)
    return text.strip()


def fill(template: str, **values: str) -> str:
    """Replace ``{name}`` placeholders only (other braces in the prompt are left alone)."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
