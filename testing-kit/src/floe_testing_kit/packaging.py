"""Packaging checks: the channel loads by its entry point exactly as the monitor loads it.

They run first; if one fails, the kit stops with that one message instead of a cascade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from floe_monitoring import (
    CHANNEL_ENTRY_POINT_GROUP,
    AlertChannelPlugin,
    ChannelRegistry,
    IncompatiblePluginError,
    check_api_compatibility,
)
from floe_monitoring.sdk import plugin_class_problems
from floe_testing_kit.profile import ChannelProfile

__all__ = [
    "PACKAGING_CHECKS",
    "PROFILE_ENTRY_POINT_GROUP",
    "PackagingFailure",
    "Target",
    "load_target",
]

#: Where channels register their `ChannelProfile`.
PROFILE_ENTRY_POINT_GROUP = "floe.conformance"


class PackagingFailure(AssertionError):
    """A packaging check failed; `check_id` says which."""

    def __init__(self, check_id: str, message: str) -> None:
        self.check_id = check_id
        super().__init__(message)


@dataclass
class Target:
    """The channel under test, resolved step by step by the packaging checks."""

    name: str
    profile_ref: str | type[ChannelProfile] | None = None
    entry: EntryPoint | None = None
    channel_class: type[AlertChannelPlugin[Any]] | None = None
    profile: ChannelProfile | None = None
    registry: ChannelRegistry = field(default_factory=ChannelRegistry)


def _entry_point(target: Target) -> None:
    found = [ep for ep in entry_points(group=CHANNEL_ENTRY_POINT_GROUP) if ep.name == target.name]
    distinct = {(ep.value, ep.dist.metadata["Name"] if ep.dist else None) for ep in found}
    if not distinct:
        raise PackagingFailure(
            "packaging.entry_point",
            f"no entry point '{target.name}' in group '{CHANNEL_ENTRY_POINT_GROUP}': is the "
            "channel installed, and does its pyproject.toml declare it under "
            f'[project.entry-points."{CHANNEL_ENTRY_POINT_GROUP}"]?',
        )
    if len({value for value, _ in distinct}) > 1:
        owners = ", ".join(sorted(f"{d} ({v})" for v, d in distinct))
        raise PackagingFailure(
            "packaging.entry_point",
            f"entry point '{target.name}' is declared more than once: {owners}",
        )
    target.entry = found[0]
    try:
        loaded = target.entry.load()
    except Exception as exc:
        raise PackagingFailure(
            "packaging.entry_point",
            f"entry point '{target.name}' = '{target.entry.value}' does not load: "
            f"{type(exc).__name__}: {exc}",
        ) from exc
    target.channel_class = loaded


def _plugin_class(target: Target) -> None:
    problems = plugin_class_problems(target.channel_class)
    if problems:
        raise PackagingFailure("packaging.plugin_class", "; ".join(problems))


def _metadata(target: Target) -> None:
    cls = target.channel_class
    assert cls is not None
    if cls.name != target.name:
        raise PackagingFailure(
            "packaging.metadata",
            f"the class declares name {cls.name!r} but its entry point is {target.name!r}",
        )
    if not cls.description.strip():
        raise PackagingFailure("packaging.metadata", "the class declares no description")
    if "type" in cls.config_model.model_fields:
        raise PackagingFailure(
            "packaging.metadata", "the config model may not have a field named 'type' (reserved)"
        )


def _api_version(target: Target) -> None:
    cls = target.channel_class
    assert cls is not None
    try:
        check_api_compatibility(target.name, cls.floe_api_version)
    except IncompatiblePluginError as error:
        raise PackagingFailure("packaging.api_version", str(error)) from None
    # The registry must accept it too: this is how the monitor will load it.
    target.registry.get(target.name)


def _profile(target: Target) -> None:
    from floe_testing_kit.checks import checks_by_id

    ref = target.profile_ref
    try:
        if isinstance(ref, type):
            profile_cls: Any = ref
        elif ref is not None:
            module, _, attr = ref.partition(":")
            profile_cls = getattr(import_module(module), attr)
        else:
            found = [
                ep for ep in entry_points(group=PROFILE_ENTRY_POINT_GROUP) if ep.name == target.name
            ]
            if not found:
                raise PackagingFailure(
                    "packaging.profile",
                    f"no ChannelProfile for '{target.name}': register one under the "
                    f"entry-point group '{PROFILE_ENTRY_POINT_GROUP}' or pass "
                    "--profile module:Class",
                )
            profile_cls = found[0].load()
    except PackagingFailure:
        raise
    except Exception as exc:
        raise PackagingFailure(
            "packaging.profile", f"the profile does not load: {type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(profile_cls, type) and issubclass(profile_cls, ChannelProfile)):
        raise PackagingFailure(
            "packaging.profile", f"{profile_cls!r} is not a ChannelProfile subclass"
        )
    if getattr(profile_cls, "channel", None) != target.name:
        raise PackagingFailure(
            "packaging.profile",
            f"the profile is for {getattr(profile_cls, 'channel', None)!r}, not {target.name!r}",
        )
    if not profile_cls.variants:
        raise PackagingFailure("packaging.profile", "the profile declares no variants")
    known = set(checks_by_id()) | {c for c, _ in PACKAGING_CHECKS}
    unknown = sorted(set(profile_cls.bypass) - known)
    if unknown:
        raise PackagingFailure(
            "packaging.profile", f"bypass names unknown check IDs: {', '.join(unknown)}"
        )
    empty = sorted(k for k, why in profile_cls.bypass.items() if not str(why).strip())
    if empty:
        raise PackagingFailure(
            "packaging.profile", f"every bypass needs a reason: {', '.join(empty)}"
        )
    target.profile = profile_cls()


#: (check id, step) in the order they must pass.
PACKAGING_CHECKS: list[tuple[str, Callable[[Target], None]]] = [
    ("packaging.entry_point", _entry_point),
    ("packaging.plugin_class", _plugin_class),
    ("packaging.metadata", _metadata),
    ("packaging.api_version", _api_version),
    ("packaging.profile", _profile),
]


def load_target(name: str, profile_ref: str | type[ChannelProfile] | None = None) -> Target:
    """Run every packaging check and return the loaded target.

    Raises:
        PackagingFailure: The first check that failed.
    """
    target = Target(name, profile_ref)
    for _check_id, step in PACKAGING_CHECKS:
        step(target)
    return target
