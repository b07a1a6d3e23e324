"""The facade is the public API: nothing more, nothing less."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import requires

import floe_monitoring

INTENDED = {
    "CHANNEL_ENTRY_POINT_GROUP",
    "FLOE_API_VERSION",
    "TRUNCATION_MARKER",
    "AlertChannelPlugin",
    "AlertMessage",
    "ChannelCapability",
    "ChannelConfigError",
    "ChannelRegistry",
    "ChannelStateStore",
    "ChannelTypeInfo",
    "ConfigError",
    "ContractMonitor",
    "ContractViolationEvent",
    "DeliveryError",
    "DeliveryReceipt",
    "EventStatus",
    "FailureReason",
    "FloeError",
    "HealthState",
    "HealthStatus",
    "IncompatiblePluginError",
    "InMemoryChannelState",
    "Link",
    "MessageField",
    "MonitorConfig",
    "MonitorStatus",
    "PermanentDeliveryError",
    "PluginError",
    "PluginFailure",
    "PluginLoadError",
    "RateLimit",
    "RetryableDeliveryError",
    "Severity",
    "StateStoreError",
    "UnsupportedCapabilityError",
    "ViolationType",
    "__version__",
    "build_channel",
    "check_api_compatibility",
    "classify_http_status",
    "clean_text",
    "escape_html",
    "escape_mrkdwn",
    "header_safe",
    "hookimpl",
    "is_api_compatible",
    "parse_retry_after",
    "truncate",
    "truncate_utf8",
}

HEAVY = (
    "pyiceberg",
    "pyarrow",
    "asyncpg",
    "openlineage",
    "slack_sdk",
    "aiohttp",
    "aiosmtplib",
    "duckdb",
)


def test_all_is_exactly_the_intended_api() -> None:
    assert set(floe_monitoring.__all__) == INTENDED
    assert len(floe_monitoring.__all__) == len(INTENDED)


def test_every_exported_name_exists() -> None:
    for name in floe_monitoring.__all__:
        assert hasattr(floe_monitoring, name), name


def test_every_error_derives_from_the_one_root() -> None:
    for name in floe_monitoring.__all__:
        obj = getattr(floe_monitoring, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, floe_monitoring.FloeError), name


def test_importing_the_sdk_pulls_no_heavy_dependency() -> None:
    code = (
        "import sys, json, floe_monitoring, floe_monitoring.sdk, floe_monitoring.channels;"
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]


def test_the_base_distribution_requires_no_heavy_dependency() -> None:
    base = [r for r in requires("floe-monitoring-core") or [] if "extra ==" not in r]
    names = {
        r.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
        for r in base
    }
    assert names
    forbidden = {
        "pyiceberg",
        "pyarrow",
        "asyncpg",
        "openlineage-python",
        "slack-sdk",
        "aiohttp",
        "aiosmtplib",
    }
    assert not names & forbidden
