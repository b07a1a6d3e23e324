"""Discovery against real distributions written to a temporary folder on sys.path."""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from floe_monitoring import (
    ChannelRegistry,
    IncompatiblePluginError,
    PluginLoadError,
)

_counter = itertools.count()

PLUGIN_SOURCE = """
from typing import ClassVar
from pydantic import BaseModel
from floe_monitoring import AlertChannelPlugin, hookimpl

class Config(BaseModel):
    url: str = "https://example.invalid"

class Channel(AlertChannelPlugin[Config]):
    name: ClassVar[str] = {name!r}
    version: ClassVar[str] = "1.0.0"
    floe_api_version: ClassVar[str] = {api!r}
    config_model = Config

    async def send_alert(self, event):
        return self.receipt(event)
{extra}
"""

Dist = Callable[..., str]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dist]:
    """Write distributions (dist-info + module) into a folder on sys.path."""
    monkeypatch.syspath_prepend(str(tmp_path))
    modules: list[str] = []

    def make(
        ep_name: str,
        *,
        source: str | None = None,
        class_name: str | None = None,
        api: str = "1.0",
        target: str = "Channel",
        group: str = "floe.alert_channels",
        extra: str = "",
    ) -> str:
        index = next(_counter)
        module = f"floe_tmp_plugin_{index}"
        modules.append(module)
        text = (
            source
            if source is not None
            else PLUGIN_SOURCE.format(name=class_name or ep_name, api=api, extra=extra)
        )
        (tmp_path / f"{module}.py").write_text(text)
        dist = f"floe-tmp-dist-{index}"
        info = tmp_path / f"{dist.replace('-', '_')}-1.{index}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.{index}\n")
        (info / "entry_points.txt").write_text(f"[{group}]\n{ep_name} = {module}:{target}\n")
        return dist

    yield make
    for module in modules:
        sys.modules.pop(module, None)


def test_a_good_plugin_is_discovered_lazily_and_loaded(site: Dist) -> None:
    dist = site("tmpgood")
    registry = ChannelRegistry(environ={})
    info = {i.name: i for i in registry.available()}["tmpgood"]
    assert info.distribution == dist
    assert info.distribution_version is not None
    assert not any(m.startswith("floe_tmp_plugin") and m in info.target for m in sys.modules)
    cls = registry.get("tmpgood")
    assert cls.name == "tmpgood"
    assert registry.get("tmpgood") is cls


def test_a_plugin_that_fails_to_import_is_reported_and_skipped(
    site: Dist, caplog: pytest.LogCaptureFixture
) -> None:
    site("tmpbroken", source="raise ImportError('no module named vendor_sdk')\n")
    site("tmpfine")
    registry = ChannelRegistry(environ={})
    with caplog.at_level(logging.WARNING):
        loaded = registry.load_all()
    assert "tmpfine" in loaded
    assert "tmpbroken" not in loaded
    failure = {f.name: f for f in registry.failures}["tmpbroken"]
    assert "failed to import" in failure.reason
    assert "ImportError: no module named vendor_sdk" in failure.reason
    assert "channel plugin 'tmpbroken'" in caplog.text
    assert len(caplog.text.strip().splitlines()) == 1  # one line, no traceback
    with pytest.raises(PluginLoadError, match="tmpbroken"):
        registry.get("tmpbroken")


def test_a_plugin_that_raises_anything_at_import_is_isolated(site: Dist) -> None:
    site("tmpcrash", source="raise RuntimeError('boom at import')\n")
    registry = ChannelRegistry(environ={})
    with pytest.raises(PluginLoadError, match="RuntimeError: boom at import"):
        registry.get("tmpcrash")


def test_an_entry_point_that_is_not_a_plugin_class_is_refused(site: Dist) -> None:
    site("tmpwrong", target="Config")
    registry = ChannelRegistry(environ={})
    with pytest.raises(PluginLoadError, match="not an AlertChannelPlugin subclass"):
        registry.get("tmpwrong")


def test_an_incompatible_api_version_is_refused_with_both_versions(site: Dist) -> None:
    site("tmpfuture", api="9.0")
    registry = ChannelRegistry(environ={})
    with pytest.raises(IncompatiblePluginError) as info:
        registry.get("tmpfuture")
    assert "9.0" in str(info.value)
    assert "this core serves API 1.0" in str(info.value)
    assert [f.name for f in registry.failures] == ["tmpfuture"]


def test_a_duplicate_name_keeps_one_and_reports_the_other(site: Dist) -> None:
    first = site("tmpdup")
    second = site("tmpdup")
    registry = ChannelRegistry(environ={})
    assert [i.distribution for i in registry.available() if i.name == "tmpdup"] == [first]
    failure = {f.name: f for f in registry.failures}["tmpdup"]
    assert first in failure.reason
    assert second in failure.reason
    assert failure.distribution == second


def test_the_disable_list_skips_named_plugins(site: Dist) -> None:
    site("tmpoff")
    site("tmpon")
    registry = ChannelRegistry(environ={"FLOE_DISABLED_CHANNELS": " tmpoff , other"})
    assert "tmpoff" not in {i.name for i in registry.available()}
    with pytest.raises(PluginLoadError, match="disabled by FLOE_DISABLED_CHANNELS"):
        registry.get("tmpoff")
    assert registry.get("tmpon").name == "tmpon"


def test_class_name_must_match_the_entry_point(site: Dist) -> None:
    site("tmpalias", class_name="something-else")
    with pytest.raises(PluginLoadError, match="declares name 'something-else'"):
        ChannelRegistry(environ={}).get("tmpalias")


def test_an_invalid_hook_implementation_is_refused(site: Dist) -> None:
    site(
        "tmphook",
        extra="""
    @hookimpl
    def floe_enrich_event(self, evnt):
        return None
""",
    )
    with pytest.raises(PluginLoadError, match="invalid hook implementation"):
        ChannelRegistry(environ={}).get("tmphook")


def test_an_unknown_type_lists_what_is_installed(site: Dist) -> None:
    site("tmpknown")
    with pytest.raises(PluginLoadError) as info:
        ChannelRegistry(environ={}).get("nope")
    assert "no such channel type" in str(info.value)
    assert "tmpknown" in str(info.value)


def test_the_reference_channels_are_discoverable() -> None:
    names = {i.name for i in ChannelRegistry(environ={}).available()}
    assert {"webhook", "slack", "pagerduty", "email"} <= names
