"""Plugin discovery: built-ins plus the ``motionctx`` entry-point group.

Built-in parts register through the same hooks a third-party plugin uses. Each entry point is
loaded and called on its own: a broken plugin is recorded as one line naming its distribution and
the cause, and the rest keep working (``strict=True`` makes it fatal).

Environment:
  ``MOTIONCTX_LOAD_PLUGINS``    comma-separated entry-point or distribution names to load (only
                                these; set but empty = built-ins only)
  ``MOTIONCTX_DISABLE_PLUGINS`` comma-separated names never to load
  ``MOTIONCTX_TRACE_PLUGINS``   any non-empty value: print every hook call and what it registered
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from motionctx import hookspecs
from motionctx.errors import MotionctxError, PluginError
from motionctx.registry import HOOK_KINDS, Registry

ENTRY_POINT_GROUP = "motionctx"
BUILTIN_PROVIDER = "motionctx"
BUILTIN_MODULES = (
    "motionctx.builtins.composers",
    "motionctx.builtins.text_guiders",
    "motionctx.builtins.motion_sources",
    "motionctx.builtins.pose_motion",
    "motionctx.builtins.pose_estimators",
    "motionctx.builtins.pose_commands",
    "motionctx.builtins.quality_filters",
    "motionctx.builtins.scorers",
    "motionctx.builtins.feature_scorers",
    "motionctx.builtins.stages",
    "motionctx.builtins.synthesis_stages",
    "motionctx.builtins.train_stages",
    "motionctx.builtins.evaluate_stage",
)


@dataclass
class PluginInfo:
    """One loaded (or failed) plugin."""

    name: str
    distribution: str
    version: str
    module: str
    builtin: bool = False
    error: str | None = None
    parts: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "builtin": self.builtin,
            "error": self.error,
            "parts": [{"kind": k, "name": n} for k, n in self.parts],
        }


@dataclass
class Plugins:
    """The loaded plugin manager, its registry and per-plugin status."""

    manager: pluggy.PluginManager
    registry: Registry
    infos: list[PluginInfo]

    @property
    def errors(self) -> list[PluginInfo]:
        return [i for i in self.infos if i.error]

    def info(self, plugin_name: str) -> PluginInfo:
        """Status of the plugin registered under ``plugin_name``."""
        return next(i for i in self.infos if i.name == plugin_name)

    def call_command_hooks(self, cli: Any) -> None:
        """Let plugins add CLI sub-commands; a failing plugin is recorded, not fatal."""
        for impl in self.manager.hook.register_commands.get_hookimpls():
            info = self.info(impl.plugin_name)
            if info.error:
                continue
            try:
                _call(impl, cli=cli)
            except Exception as exc:  # noqa: BLE001 - one broken plugin must not take the CLI down
                info.error = f"Error in plugin {info.distribution} (register_commands): {_describe(exc)}"


def _names(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _call(impl: Any, **kwargs: Any) -> Any:
    return impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})


def _trace(msg: str) -> None:
    if os.environ.get("MOTIONCTX_TRACE_PLUGINS"):
        print(f"[motionctx plugins] {msg}", file=sys.stderr)


def new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("motionctx")
    pm.add_hookspecs(hookspecs)
    return pm


def load_plugins(*, strict: bool = False, extra: list[Any] | None = None) -> Plugins:
    """Discover built-ins and entry points and fill a fresh registry.

    ``extra`` registers further plugin objects (tests, embedding applications).
    ``strict`` raises :class:`PluginError` on the first broken plugin.
    """
    pm = new_manager()
    infos: list[PluginInfo] = []
    version = _version("motionctx")
    for mod_name in BUILTIN_MODULES:
        module = importlib.import_module(mod_name)
        pm.register(module, name=mod_name)
        infos.append(PluginInfo(mod_name, BUILTIN_PROVIDER, version, mod_name, builtin=True))

    only, disabled = _names("MOTIONCTX_LOAD_PLUGINS"), _names("MOTIONCTX_DISABLE_PLUGINS") or set()
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist else ep.name
        ids = {ep.name, dist}
        if (only is not None and not ids & only) or ids & disabled:
            _trace(f"skipped {ep.name} ({dist})")
            continue
        info = PluginInfo(ep.name, dist, ep.dist.version if ep.dist else "", ep.value)
        infos.append(info)
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:  # noqa: BLE001 - report and continue
            info.error = f"Error importing plugin {dist}: {_describe(exc)}"
            if strict:
                raise PluginError(info.error, "fix or uninstall the plugin, or drop --strict-plugins") from exc
    for obj in extra or []:
        name = getattr(obj, "__name__", None) or type(obj).__name__
        pm.register(obj, name=name)
        infos.append(PluginInfo(name, name, "", name))

    plugins = Plugins(pm, Registry(), infos)
    for hook, kind in HOOK_KINDS.items():
        for impl in getattr(pm.hook, hook).get_hookimpls():
            info = plugins.info(impl.plugin_name)
            if info.error:
                continue
            added: list[str] = []

            def register(cls: type, _kind: str = kind, _info: PluginInfo = info, _added: list[str] = added) -> None:
                plugins.registry.add(_kind, cls, _info.distribution)
                _info.parts.append((_kind, cls.name))
                _added.append(cls.name)

            try:
                _call(impl, register=register)
            except Exception as exc:  # noqa: BLE001
                info.error = f"Error in plugin {info.distribution} ({hook}): {_describe(exc)}"
                if strict:
                    raise PluginError(info.error, "fix or uninstall the plugin") from exc
            _trace(f"{hook} -> {info.name}: {', '.join(added) or '(nothing)'}")
    for (kind, name), entries in plugins.registry.conflicts.items():
        msg = f"{kind} {name!r} is registered by both " + " and ".join(e.provider for e in entries)
        if strict:
            raise PluginError(msg, "uninstall one of them or disable one with MOTIONCTX_DISABLE_PLUGINS")
        for e in entries[1:]:
            for info in infos:
                if info.distribution == e.provider and not info.error:
                    info.error = msg
    return plugins


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "0+unknown"


_current: Plugins | None = None


def get_plugins(*, strict: bool = False) -> Plugins:
    """The process-wide plugins, loaded on first use."""
    global _current
    if _current is None:
        _current = load_plugins(strict=strict)
    elif strict and _current.errors:
        raise PluginError(_current.errors[0].error or "plugin error", "fix or uninstall the plugin")
    return _current


def get_registry() -> Registry:
    """The process-wide registry."""
    return get_plugins().registry


def set_plugins(plugins: Plugins | None) -> Plugins | None:
    """Replace the process-wide plugins (``None`` = reload on next use); returns the old ones."""
    global _current
    old, _current = _current, plugins
    return old


def build_part(kind: str, use: str, params: dict[str, Any] | None = None, *, where: str | None = None) -> Any:
    """Build a part from the process-wide registry: ``build_part("composer", "spatial")``."""
    return get_registry().build(kind, use, params, where=where)


__all__ = [
    "ENTRY_POINT_GROUP",
    "MotionctxError",
    "PluginInfo",
    "Plugins",
    "build_part",
    "get_plugins",
    "get_registry",
    "load_plugins",
    "set_plugins",
]
