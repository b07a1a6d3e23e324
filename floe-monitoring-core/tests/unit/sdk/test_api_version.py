from __future__ import annotations

import pytest

from floe_monitoring import (
    FLOE_API_VERSION,
    IncompatiblePluginError,
    check_api_compatibility,
    is_api_compatible,
)


def test_the_api_version_is_semantic() -> None:
    major, minor = FLOE_API_VERSION.split(".")
    assert major.isdigit()
    assert minor.isdigit()


@pytest.mark.parametrize(
    ("declared", "core", "ok"),
    [
        ("1.0", "1.0", True),
        ("1.0", "1.4", True),
        ("1.4", "1.0", False),  # built against features this core lacks
        ("2.0", "1.0", False),
        ("0.9", "1.0", False),
        (">=1.0,<2", "1.3", True),
        (">=1.0,<2", "2.0", False),
        ("~=1.2", "1.5", True),
        ("", "1.0", False),
        ("banana", "1.0", False),
        (">=x", "1.0", False),
        (None, "1.0", False),
        (1, "1.0", False),
    ],
)
def test_compatibility_rule(declared: object, core: str, ok: bool) -> None:
    assert is_api_compatible(declared, core=core) is ok


def test_refusal_names_the_plugin_and_both_versions() -> None:
    with pytest.raises(IncompatiblePluginError) as info:
        check_api_compatibility("teams", "2.0", core="1.0")
    message = str(info.value)
    assert "teams" in message
    assert "2.0" in message
    assert "1.0" in message
    assert info.value.plugin == "teams"
