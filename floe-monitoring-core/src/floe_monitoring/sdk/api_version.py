"""The SDK's API version, and the one compatibility rule the registry and the kit share."""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from floe_monitoring.errors import IncompatiblePluginError

__all__ = ["FLOE_API_VERSION", "check_api_compatibility", "is_api_compatible"]

#: Semantic version of the channel SDK. Minor releases only add; a major breaks.
FLOE_API_VERSION = "1.0"


def check_api_compatibility(plugin: str, declared: object, *, core: str = FLOE_API_VERSION) -> None:
    """Refuse a plugin whose declared API version this core does not serve.

    A plugin declares either the version it was built against (``"1.0"``: any core
    ``1.x`` at least as new) or a PEP 440 range (``">=1.0,<2"``) the core must fall in.

    Raises:
        IncompatiblePluginError: The declaration is missing, unreadable or excludes
            this core's version; the message says which and what the core is.

    """
    if not isinstance(declared, str) or not declared.strip():
        raise IncompatiblePluginError(
            plugin, f"declares no floe_api_version (this core serves API {core})"
        )
    text = declared.strip()
    core_version = Version(core)
    if text[0].isdigit():
        try:
            built = Version(text)
        except InvalidVersion:
            raise IncompatiblePluginError(
                plugin, f"floe_api_version {text!r} is not a version or a range"
            ) from None
        if built.major != core_version.major or built > core_version:
            raise IncompatiblePluginError(
                plugin,
                f"built for API {text}, this core serves API {core} "
                f"(needs the same major version, at most {core})",
            )
        return
    try:
        accepted = SpecifierSet(text)
    except InvalidSpecifier:
        raise IncompatiblePluginError(
            plugin, f"floe_api_version {text!r} is not a version or a range"
        ) from None
    if core_version not in accepted:
        raise IncompatiblePluginError(plugin, f"supports API {text}, this core serves API {core}")


def is_api_compatible(declared: object, *, core: str = FLOE_API_VERSION) -> bool:
    """True when `check_api_compatibility` would accept the declaration."""
    try:
        check_api_compatibility("?", declared, core=core)
    except IncompatiblePluginError:
        return False
    return True
