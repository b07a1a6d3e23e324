from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_monitoring import ChannelRegistry, ContractViolationEvent, Link, hookimpl
from floe_monitoring.channels import enrich_event, notify_delivery_outcome

EventFactory = Callable[..., ContractViolationEvent]


class _AddRunbook:
    @hookimpl
    def floe_enrich_event(self, event: ContractViolationEvent) -> ContractViolationEvent:
        link = Link(title="Runbook", url=f"https://runbooks.example/{event.contract_name}")
        return event.with_changes(links=[*event.links, link])


class _AddOwner:
    @hookimpl
    def floe_enrich_event(self, event: ContractViolationEvent) -> ContractViolationEvent:
        assert event.links, "runs after the runbook hook"
        return event.with_changes(owner="cmdb-owner")


class _Broken:
    @hookimpl
    def floe_enrich_event(self, event: ContractViolationEvent) -> ContractViolationEvent:
        raise RuntimeError("cmdb down")


class _Hijack:
    @hookimpl
    def floe_enrich_event(self, event: ContractViolationEvent) -> ContractViolationEvent:
        return event.with_changes(dedup_key="stolen")


def test_enrichment_hooks_chain_in_registration_order(event_factory: EventFactory) -> None:
    registry = ChannelRegistry(environ={})
    registry.plugin_manager.register(_AddRunbook())
    registry.plugin_manager.register(_AddOwner())
    event = enrich_event(registry.plugin_manager, event_factory())
    assert event.links[0].url == "https://runbooks.example/orders"
    assert event.owner == "cmdb-owner"


def test_a_failing_or_hijacking_hook_is_ignored(
    event_factory: EventFactory, caplog: pytest.LogCaptureFixture
) -> None:
    registry = ChannelRegistry(environ={})
    for plugin in (_Broken(), _Hijack(), _AddRunbook()):
        registry.plugin_manager.register(plugin)
    original = event_factory()
    with caplog.at_level(logging.WARNING):
        event = enrich_event(registry.plugin_manager, original)
    assert event.dedup_key == original.dedup_key
    assert len(event.links) == 1
    assert "RuntimeError" in caplog.text
    assert "changed event_id or dedup_key" in caplog.text


def test_delivery_observers_see_outcomes_and_cannot_break_delivery(
    event_factory: EventFactory,
) -> None:
    seen: list[tuple[str, Any]] = []

    class Observer:
        @hookimpl
        def floe_delivery_outcome(
            self, event: ContractViolationEvent, channel: str, receipt: Any, error: Any
        ) -> None:
            seen.append((channel, error))

    class Crasher:
        @hookimpl
        def floe_delivery_outcome(self, event: ContractViolationEvent) -> None:
            raise ValueError("observer bug")

    registry = ChannelRegistry(environ={})
    registry.plugin_manager.register(Observer())
    registry.plugin_manager.register(Crasher())
    notify_delivery_outcome(registry.plugin_manager, event_factory(), "ops", None, None)
    assert seen == [("ops", None)]


def test_hook_modules_load_from_entry_points_in_isolation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, event_factory: EventFactory
) -> None:
    (tmp_path / "floe_tmp_hooks_ok.py").write_text(
        "from floe_monitoring import hookimpl\n"
        "@hookimpl\n"
        "def floe_enrich_event(event):\n"
        "    return event.with_changes(domain='enriched')\n"
    )
    (tmp_path / "floe_tmp_hooks_bad.py").write_text("raise ImportError('missing cmdb client')\n")
    info = tmp_path / "floe_tmp_hooks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: floe-tmp-hooks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[floe.hooks]\nok = floe_tmp_hooks_ok\nbad = floe_tmp_hooks_bad\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        registry = ChannelRegistry(environ={})
        failures = registry.load_hook_plugins()
        assert [f.name for f in failures] == ["bad"]
        assert "missing cmdb client" in failures[0].reason
        assert registry.load_hook_plugins() == []  # loaded once
        assert enrich_event(registry.plugin_manager, event_factory()).domain == "enriched"
    finally:
        sys.modules.pop("floe_tmp_hooks_ok", None)
        sys.modules.pop("floe_tmp_hooks_bad", None)
