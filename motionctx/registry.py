"""Parts by kind and name.

The registry is filled by :mod:`motionctx.plugins` through the ``register_*`` hooks. A name
registered twice for one kind is kept as a conflict: using it fails naming both providers, while
every other part keeps working. An unknown name fails listing what exists and the closest match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from motionctx.errors import DuplicatePartError, PluginError, UnknownPartError
from motionctx.parts import KINDS, Part
from motionctx.suggest import closest

#: hook name -> part kind
HOOK_KINDS: dict[str, str] = {
    "register_backbones": "backbone",
    "register_motion_sources": "motion_source",
    "register_pose_estimators": "pose_estimator",
    "register_composers": "composer",
    "register_text_guiders": "text_guider",
    "register_quality_filters": "quality_filter",
    "register_scorers": "scorer",
    "register_stages": "stage",
}


@dataclass(frozen=True)
class Entry:
    """One registered part class and who provided it (a distribution name)."""

    cls: type[Part]
    provider: str


@dataclass
class Registry:
    """Part classes by kind and name."""

    parts: dict[str, dict[str, Entry]] = field(default_factory=lambda: {k: {} for k in KINDS})
    conflicts: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)

    def add(self, kind: str, cls: type, provider: str) -> None:
        """Register ``cls`` as a part of ``kind``; raises PluginError for a malformed class."""
        base = KINDS[kind]
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise PluginError(
                f"{provider} registered {cls!r} as a {kind}, but it is not a subclass of {base.__name__}",
                "register the class itself (not an instance), derived from the kind's interface",
            )
        if not cls.name:
            raise PluginError(f"{provider} registered {cls.__name__} without a `name` class attribute")
        entry = Entry(cls, provider)
        existing = self.parts[kind].get(cls.name)
        if existing is not None and existing.cls is not cls:
            self.conflicts.setdefault((kind, cls.name), [existing]).append(entry)
            return
        self.parts[kind][cls.name] = entry

    def names(self, kind: str) -> list[str]:
        """Sorted part names of one kind."""
        return sorted(self.parts[kind])

    def entry(self, kind: str, name: str) -> Entry:
        """The entry for ``name``; raises UnknownPartError or DuplicatePartError."""
        if kind not in self.parts:
            raise UnknownPartError(
                f"unknown part kind {kind!r}", f"kinds: {', '.join(self.parts)}"
            )
        if (kind, name) in self.conflicts:
            providers = " and ".join(e.provider for e in self.conflicts[(kind, name)])
            raise DuplicatePartError(
                f"{kind} {name!r} is registered by both {providers}",
                "uninstall one of them, or disable one with MOTIONCTX_DISABLE_PLUGINS",
            )
        try:
            return self.parts[kind][name]
        except KeyError:
            names = self.names(kind)
            match = closest(name, names)
            hint = f"did you mean {match!r}? " if match else ""
            raise UnknownPartError(
                f"no {kind} named {name!r}",
                f"{hint}installed {kind}s: {', '.join(names) or '(none)'}; "
                "a plugin may be missing (see `motionctx plugins`)",
            ) from None

    def get(self, kind: str, name: str) -> type[Part]:
        """The part class for ``name``."""
        return self.entry(kind, name).cls

    def build(self, kind: str, name: str, params: dict[str, Any] | None = None, *, where: str | None = None) -> Part:
        """Instantiate part ``name`` with validated ``params`` (no weights are loaded)."""
        cls = self.get(kind, name)
        return cls(cls.parse_config(dict(params or {}), where=where))
