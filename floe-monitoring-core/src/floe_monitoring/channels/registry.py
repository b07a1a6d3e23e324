"""Channel discovery: entry points in `floe.alert_channels`, loaded lazily and in isolation.

A plugin that fails to import, is not an `AlertChannelPlugin`, declares an API version
this core does not serve, or reuses another plugin's name is reported by name with the
reason and skipped; every other plugin keeps working. Channel classes are registered
with a pluggy `PluginManager`, which validates any hook implementations they carry
against `FloeHookSpecs`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

import pluggy

from floe_monitoring.channels.hookspecs import HOOK_ENTRY_POINT_GROUP, PROJECT_NAME, FloeHookSpecs
from floe_monitoring.errors import IncompatiblePluginError, PluginError, PluginLoadError
from floe_monitoring.sdk.api_version import check_api_compatibility
from floe_monitoring.sdk.plugin import PluginClass, plugin_class_problems

__all__ = [
    "CHANNEL_ENTRY_POINT_GROUP",
    "DISABLED_CHANNELS_ENV",
    "ChannelRegistry",
    "ChannelTypeInfo",
    "PluginFailure",
]

CHANNEL_ENTRY_POINT_GROUP = "floe.alert_channels"
#: Comma-separated entry-point names to skip (for example a plugin broken in production).
DISABLED_CHANNELS_ENV = "FLOE_DISABLED_CHANNELS"

_log = logging.getLogger("floe_monitoring.channels")


@dataclass(frozen=True)
class ChannelTypeInfo:
    """An installed channel type, as discovered (not necessarily loaded)."""

    name: str
    target: str
    distribution: str | None
    distribution_version: str | None


@dataclass(frozen=True)
class PluginFailure:
    """A channel type that was skipped, and why."""

    name: str
    distribution: str | None
    error: PluginError

    @property
    def reason(self) -> str:
        """Why the plugin was skipped (one line)."""
        return self.error.reason


class ChannelRegistry:
    """Finds channel plugins and loads each one on first use.

    Args:
        group: Entry-point group to read.
        disabled: Names to skip; defaults to `FLOE_DISABLED_CHANNELS` from `environ`.
        discovered: Entry points to use instead of the installed ones (tests).
        environ: Environment to read the disable list from.

    """

    def __init__(
        self,
        *,
        group: str = CHANNEL_ENTRY_POINT_GROUP,
        disabled: Iterable[str] | None = None,
        discovered: Iterable[EntryPoint] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        if disabled is None:
            disabled = (n.strip() for n in env.get(DISABLED_CHANNELS_ENV, "").split(","))
        self._disabled = frozenset(n for n in disabled if n)
        self._group = group
        self._explicit = list(discovered) if discovered is not None else None
        self._entries: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, PluginClass] = {}
        self._failures: dict[str, PluginFailure] = {}
        self._hooks_loaded = False
        self.plugin_manager = pluggy.PluginManager(PROJECT_NAME)
        self.plugin_manager.add_hookspecs(FloeHookSpecs)

    # -- discovery -------------------------------------------------------------------

    def _discover(self) -> dict[str, EntryPoint]:
        if self._entries is not None:
            return self._entries
        found = (
            self._explicit if self._explicit is not None else list(entry_points(group=self._group))
        )
        entries: dict[str, EntryPoint] = {}
        seen: set[tuple[str, str]] = set()
        # Sorted so that which of two colliding plugins wins does not depend on sys.path.
        for ep in sorted(found, key=lambda e: (e.name, _dist_name(e) or "", e.value)):
            if (ep.name, ep.value) in seen:  # the same distribution seen twice on the path
                continue
            seen.add((ep.name, ep.value))
            if ep.name in self._disabled:
                self._fail(
                    ep, PluginLoadError(ep.name, f"disabled by {DISABLED_CHANNELS_ENV}"), log=False
                )
                continue
            if ep.name in entries:
                first = entries[ep.name]
                self._fail(
                    ep,
                    PluginLoadError(
                        ep.name,
                        f"name already provided by {_dist_name(first) or first.value}; "
                        f"skipping {_dist_name(ep) or ep.value} (uninstall one of them)",
                    ),
                )
                continue
            entries[ep.name] = ep
        self._entries = entries
        return entries

    def available(self) -> list[ChannelTypeInfo]:
        """Installed, enabled channel types, without importing them."""
        return [
            ChannelTypeInfo(ep.name, ep.value, _dist_name(ep), _dist_version(ep))
            for ep in self._discover().values()
        ]

    def names(self) -> list[str]:
        """Names of the channel types that can be loaded or were registered."""
        return sorted(set(self._discover()) | set(self._loaded))

    @property
    def failures(self) -> list[PluginFailure]:
        """Every plugin skipped so far, with its reason."""
        return list(self._failures.values())

    # -- loading ---------------------------------------------------------------------

    def get(self, name: str) -> PluginClass:
        """Return the plugin class for channel type `name`, loading it if needed.

        Raises:
            PluginLoadError: Unknown, disabled, duplicate, failed import, or wrong class.
            IncompatiblePluginError: Declares an API version this core does not serve.

        """
        if name in self._loaded:
            return self._loaded[name]
        if name in self._failures:
            raise self._failures[name].error
        entry = self._discover().get(name)
        if entry is None:
            if name in self._failures:
                raise self._failures[name].error
            known = ", ".join(self.names()) or "none installed"
            raise PluginLoadError(name, f"no such channel type (installed: {known})")
        try:
            cls = self._load(entry)
        except PluginError as error:
            self._fail(entry, error)
            raise
        self._loaded[name] = cls
        return cls

    def load_all(self) -> dict[str, PluginClass]:
        """Load every discovered plugin; failures are recorded in `failures`, not raised."""
        for name in list(self._discover()):
            try:
                self.get(name)
            except PluginError:
                continue
        return dict(self._loaded)

    def register(self, cls: PluginClass, *, name: str | None = None) -> None:
        """Register a plugin class directly (tests, or code that builds channels itself).

        Raises:
            PluginLoadError: The class is not a usable plugin or the name is taken.
            IncompatiblePluginError: Incompatible API version.

        """
        key: str = name or str(getattr(cls, "name", ""))
        if key in self._loaded or key in self._discover():
            raise PluginLoadError(key, "name already registered")
        self._validate(key, cls)
        self._register_hooks(key, cls)
        self._loaded[key] = cls

    def load_hook_plugins(self, group: str = HOOK_ENTRY_POINT_GROUP) -> list[PluginFailure]:
        """Register the hook implementations published under `group` (once).

        Returns:
            The hook modules that could not be loaded (also logged).

        """
        failures: list[PluginFailure] = []
        if self._hooks_loaded:
            return failures
        self._hooks_loaded = True
        for ep in entry_points(group=group):
            if ep.name in self._disabled:
                continue
            try:
                self.plugin_manager.register(ep.load(), name=f"hooks:{ep.name}")
            except Exception as exc:  # one broken extension must not stop the monitor
                error = PluginLoadError(ep.name, f"hook module failed to load: {_describe(exc)}")
                _log.warning("%s", error)
                failures.append(PluginFailure(ep.name, _dist_name(ep), error))
        return failures

    # -- internals -------------------------------------------------------------------

    def _load(self, entry: EntryPoint) -> PluginClass:
        try:
            cls = entry.load()
        except Exception as exc:  # any import-time failure is the plugin's, not ours
            raise PluginLoadError(
                entry.name, f"failed to import {entry.value}: {_describe(exc)}"
            ) from exc
        self._validate(entry.name, cls)
        self._register_hooks(entry.name, cls)
        return cls  # type: ignore[no-any-return]

    @staticmethod
    def _validate(name: str, cls: object) -> None:
        problems = plugin_class_problems(cls)
        if problems:
            raise PluginLoadError(name, "; ".join(problems))
        declared = getattr(cls, "name", None)
        if declared != name:
            raise PluginLoadError(
                name, f"class declares name {declared!r} but is registered as {name!r}"
            )
        check_api_compatibility(name, getattr(cls, "floe_api_version", None))

    def _register_hooks(self, name: str, cls: object) -> None:
        try:
            self.plugin_manager.register(cls, name=f"channel:{name}")
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginLoadError(name, f"invalid hook implementation: {exc}") from exc

    def _fail(self, entry: EntryPoint, error: PluginError, *, log: bool = True) -> None:
        self._failures[entry.name] = PluginFailure(entry.name, _dist_name(entry), error)
        if log:
            level = logging.ERROR if isinstance(error, IncompatiblePluginError) else logging.WARNING
            _log.log(level, "%s (skipped)", error)


def _describe(exc: BaseException) -> str:
    # One line: the type and the first line of the message; tracebacks go to --debug.
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _dist_name(entry: EntryPoint) -> str | None:
    dist = entry.dist
    return dist.metadata["Name"] if dist is not None else None


def _dist_version(entry: EntryPoint) -> str | None:
    dist = entry.dist
    return dist.version if dist is not None else None
