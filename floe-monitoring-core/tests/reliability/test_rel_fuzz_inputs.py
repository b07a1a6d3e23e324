"""Property-based bad input: contracts, the monitor config and every channel's config.

Each strategy starts from a valid document and breaks it the way people do (a key
deleted, renamed or misspelt, a value of the wrong type or shape, text where a number
goes, unknown keys), or replaces it with arbitrary text.

Proved: loading never raises anything but the package's own error (no traceback-worthy
``KeyError``/``TypeError``/``AttributeError``); the error is one line; it names the file
(contracts, config) or the channel, and the field (or, for text that is not YAML, the
line); and a value planted in a secret field never appears in it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from floe_alert_email.conformance import EmailProfile
from floe_alert_pagerduty.conformance import PagerDutyProfile
from floe_alert_slack.conformance import SlackProfile
from floe_alert_webhook.conformance import WebhookProfile
from floe_monitoring.channels import ChannelRegistry, build_channel
from floe_monitoring.config import ConfigFileError, parse_config
from floe_monitoring.contracts import parse_contract
from floe_monitoring.contracts.loader import load_contracts
from floe_monitoring.errors import (
    ChannelConfigError,
    ContractError,
    ContractParseError,
    ContractValidationError,
)
from floe_testing_kit import ChannelProfile, Endpoint

from .conftest import SCALE

EXAMPLES = 100 * SCALE
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
PLANTED = "PLANTED-fuzz-5ecret-7d41c0a3"

CONTRACT: dict[str, Any] = {
    "apiVersion": "v3.1.0",
    "kind": "DataContract",
    "id": "urn:rel:fuzz",
    "name": "fuzz",
    "version": "1.0.0",
    "status": "active",
    "domain": "sales",
    "servers": [
        {
            "server": "lake",
            "type": "iceberg",
            "catalog": "default",
            "namespace": "sales",
        }
    ],
    "schema": [
        {
            "name": "orders",
            "properties": [
                {
                    "name": "id",
                    "logicalType": "integer",
                    "physicalType": "long",
                    "required": True,
                    "quality": [{"metric": "nullValues", "mustBeLessOrEqualTo": 0}],
                },
                {"name": "updated_at", "logicalType": "timestamp"},
            ],
        }
    ],
    "slaProperties": [
        {"property": "latency", "value": 1, "unit": "h", "element": "orders.updated_at"},
        {"property": "availability", "value": 99.9, "unit": "percent"},
    ],
}

CONFIG: dict[str, Any] = {
    "contracts": ["contracts/*.yaml"],
    "catalog": {"properties": {"type": "sql", "uri": "sqlite:///lake/catalog.db"}},
    "state": {"url": "sqlite+aiosqlite:///state/monitor.db", "buffer_limit": 100},
    "channels": {"hook": {"type": "webhook", "url": "https://example.com/in"}},
    "routing": [{"channel": "hook", "min_severity": "error", "contracts": ["orders*"]}],
    "monitoring": {
        "intervals": {"freshness": "15m"},
        "check_timeout": "30s",
        "incidents": {"fire_after": 2, "error_after": 3},
        "delivery": {"initial_delay": 2, "max_delay": 600, "deadline": "PT24H"},
        "rate_limit": {"max_notifications": 10, "window": "1h"},
    },
    "overrides": {"orders": {"intervals": {"quality": "6h"}, "disabled_checks": ["quality"]}},
    "service": {"port": 8787, "shutdown_grace": "30s"},
}

PROFILES: dict[str, tuple[ChannelProfile, str]] = {
    "webhook": (WebhookProfile(), "structured"),
    "slack-webhook": (SlackProfile(), "webhook"),
    "slack-web_api": (SlackProfile(), "web_api"),
    "pagerduty": (PagerDutyProfile(), "default"),
    "email": (EmailProfile(), "default"),
}
ENDPOINT = Endpoint(url="https://127.0.0.1:8443", host="127.0.0.1", port=8443)
SMTP_ENDPOINT = Endpoint(url="", host="127.0.0.1", port=2525, tls_mode="starttls", username="floe")


def channel_config(name: str) -> tuple[str, dict[str, Any]]:
    profile, variant = PROFILES[name]
    endpoint = SMTP_ENDPOINT if profile.channel == "email" else ENDPOINT
    return profile.channel, profile.config(endpoint, secret=PLANTED, variant=variant)


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", " ", "PT-1H", "-5", "1e309", "9:30", "2022-05-12T09:30:10-08:00"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def broken(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    """`base` with one to three mutations."""
    document: Any = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document) if isinstance(document, dict | list) else []
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        op = draw(st.sampled_from(["delete", "replace", "rename", "add", "wrap"]))
        if op == "delete":
            del parent[last]
        elif op == "replace":
            parent[last] = draw(values)
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(last)
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif op == "wrap":
            parent[last] = [parent[last]]
    return document


def _dump(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def _one_line(message: str) -> None:
    assert message
    assert "\n" not in message
    assert "Traceback" not in message
    assert PLANTED not in message


# -- contracts -----------------------------------------------------------------------


def _check_contract_error(error: ContractError, source: str) -> None:
    message = str(error)
    _one_line(message)
    assert message.startswith(source), message
    if isinstance(error, ContractValidationError):
        assert error.field or error.line, f"names no field or line: {message}"
    else:
        assert isinstance(error, ContractParseError), type(error)


@SETTINGS
@given(broken(CONTRACT))
@example({**CONTRACT, "tags\nline two": ["x"]})  # found by this test
def test_broken_contracts_give_one_line_naming_file_and_field(document: Any) -> None:
    try:
        parse_contract(_dump(document), source="contracts/fuzz.yaml")
    except ContractError as error:
        _check_contract_error(error, "contracts/fuzz.yaml")


@SETTINGS
@given(st.text(max_size=300) | st.builds(lambda d: json.dumps(d), values))
def test_arbitrary_text_is_never_a_traceback(text: str) -> None:
    try:
        parse_contract(text, source="contracts/fuzz.yaml")
    except ContractError as error:
        _check_contract_error(error, "contracts/fuzz.yaml")


@settings(max_examples=25 * SCALE, deadline=None, database=None)
@given(st.binary(max_size=200))
def test_binary_contract_files_are_reported_by_name(tmp_path_factory: Any, data: bytes) -> None:
    folder = Path(tmp_path_factory.mktemp("bin"))
    (folder / "bin.yaml").write_bytes(data)
    (folder / "good.yaml").write_text(_dump(CONTRACT))
    loaded = load_contracts([folder / "bin.yaml", folder / "good.yaml"])
    assert [c.id for c in loaded.contracts][-1] == "urn:rel:fuzz"  # the other file still loads
    for error in loaded.errors:
        _check_contract_error(error, str(folder / "bin.yaml"))


# -- the monitor config --------------------------------------------------------------


def _check_config_error(error: ConfigFileError) -> None:
    message = str(error)
    _one_line(message)
    assert message.startswith("floe-monitor.yaml"), message
    if not message.startswith(("floe-monitor.yaml: is not", "floe-monitor.yaml: must be")):
        assert error.key or error.line, f"names no key or line: {message}"


@SETTINGS
@given(broken(CONFIG))
@example({**CONFIG, "monitoring": {"check_timeout": 10**23}})  # found by this test
@example({**CONFIG, "catalog": {"\n": {"type": "sql"}}})  # found by this test
@example({**CONFIG, "overrides": {"orders": {"intervals": {"quality": -(10**14)}}}})  # found
def test_broken_configs_give_one_line_naming_file_and_key(document: Any) -> None:
    try:
        parse_config(_dump(document), source="floe-monitor.yaml", env={})
    except ConfigFileError as error:
        _check_config_error(error)


@SETTINGS
@given(st.text(max_size=300))
@example("\x1f")  # found by this test
def test_arbitrary_config_text_is_never_a_traceback(text: str) -> None:
    try:
        parse_config(text, source="floe-monitor.yaml", env={})
    except ConfigFileError as error:
        _check_config_error(error)


# -- channel configs -----------------------------------------------------------------


REGISTRY = ChannelRegistry()


channel_cases = st.sampled_from(sorted(PROFILES)).flatmap(
    lambda name: st.tuples(st.just(name), broken(channel_config(name)[1]))
)


@SETTINGS
@given(channel_cases)
@example(("webhook", {**channel_config("webhook")[1], "secret\n": "x"}))  # found by this test
def test_broken_channel_configs_name_channel_and_field_never_the_secret(
    case: tuple[str, Any],
) -> None:
    name, config = case
    if not isinstance(config, dict):
        config = {"value": config}
    try:
        build_channel(
            PROFILES[name][0].channel, config, instance_name="ops", registry=REGISTRY, env={}
        )
    except ChannelConfigError as error:
        _check_channel_error(error)


def _check_channel_error(error: ChannelConfigError) -> None:
    message = str(error)
    _one_line(message)
    assert message.startswith("channel 'ops'"), message
    # A rule across fields ("give both username and password") names them in prose.
    assert error.field or error.reason.startswith("Value error"), f"names no field: {message}"


def test_the_unbroken_documents_are_valid() -> None:
    """The strategies start from valid documents (else they would prove nothing)."""
    assert parse_contract(_dump(CONTRACT), source="c.yaml").id == "urn:rel:fuzz"
    assert parse_config(_dump(CONFIG), source="floe-monitor.yaml", env={}).channels
    for name in PROFILES:
        channel_type, config = channel_config(name)
        channel = build_channel(channel_type, config, instance_name="ops", registry=REGISTRY)
        assert PLANTED not in repr(channel)
