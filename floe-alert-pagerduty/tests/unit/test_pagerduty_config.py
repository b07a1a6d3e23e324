from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from floe_alert_pagerduty import PagerDutyConfig, PagerDutyRegion
from floe_alert_pagerduty.config import EU_EVENTS_URL, US_EVENTS_URL, Route
from floe_monitoring import ChannelConfigError, Severity, build_channel

KEY = "0123456789abcdef0123456789abcdef"
ONCALL = "fedcba9876543210fedcba9876543210"


def config(**fields: Any) -> PagerDutyConfig:
    return PagerDutyConfig.model_validate({"routing_key": KEY, **fields})


def test_defaults_to_the_us_events_host_with_tls() -> None:
    cfg = config()
    assert cfg.events_base_url == US_EVENTS_URL == "https://events.pagerduty.com"
    assert cfg.allow_insecure_http is False
    assert cfg.ca_bundle is None
    assert cfg.timeout_seconds == 10.0


def test_eu_region_uses_the_eu_host() -> None:
    assert config(region="eu").events_base_url == EU_EVENTS_URL
    assert config(region=PagerDutyRegion.EU).region is PagerDutyRegion.EU


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://events.example.com/", "https://events.example.com"),
        ("https://events.example.com/v2/enqueue", "https://events.example.com"),
        (
            "https://proxy.example.com:8443/pd/v2/change/enqueue",
            "https://proxy.example.com:8443/pd",
        ),
    ],
)
def test_base_url_is_normalised_and_overrides_region(given: str, expected: str) -> None:
    assert config(base_url=given, region="eu").events_base_url == expected


@pytest.mark.parametrize(
    "bad", ["events.pagerduty.com", "ftp://events.pagerduty.com", "https://h/x?q=1", "https://"]
)
def test_base_url_must_be_an_absolute_http_url(bad: str) -> None:
    with pytest.raises(ValidationError, match="base_url"):
        config(base_url=bad)


def test_plain_http_is_refused_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="allow_insecure_http"):
        config(base_url="http://127.0.0.1:8080")
    assert config(base_url="http://127.0.0.1:8080", allow_insecure_http=True).events_base_url == (
        "http://127.0.0.1:8080"
    )


@pytest.mark.parametrize("bad", ["short", KEY + "x", KEY[:-1] + " ", KEY[:-1] + "\n"])
def test_routing_key_must_be_32_visible_characters_and_is_never_echoed(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        config(routing_key=bad)
    assert "routing_key" in str(caught.value)
    assert bad.strip() not in str(caught.value)
    assert bad.strip() not in repr(caught.value)
    assert bad.strip() not in repr(caught.value.errors(include_input=False))


def test_severity_routing_keys_are_validated_too() -> None:
    with pytest.raises(ValidationError, match=r"severity_routing\.critical"):
        config(severity_routing={"critical": "too-short"})
    with pytest.raises(ValidationError, match="severity_routing"):
        config(severity_routing={"fatal": ONCALL})


def test_routing_keys_are_masked_everywhere() -> None:
    cfg = config(severity_routing={"critical": ONCALL})
    for text in (repr(cfg), str(cfg), cfg.model_dump_json(), str(cfg.model_dump())):
        assert KEY not in text
        assert ONCALL not in text
    assert isinstance(cfg.routing_key, SecretStr)
    assert cfg.routing_key.get_secret_value() == KEY


def test_route_for_uses_severity_routing_then_default() -> None:
    cfg = config(severity_routing={"critical": ONCALL})
    assert cfg.route_for(Severity.CRITICAL) == Route("critical", SecretStr(ONCALL))
    assert cfg.route_for(Severity.WARNING).name == "default"
    assert cfg.route_for(Severity.WARNING).key.get_secret_value() == KEY


def test_routes_are_distinct_keys_with_the_events_route_first() -> None:
    cfg = config(severity_routing={"critical": ONCALL, "error": ONCALL, "info": KEY})
    names = [r.name for r in cfg.routes(first=Severity.ERROR)]
    assert names == ["error", "default"]
    keys = [r.key.get_secret_value() for r in cfg.routes()]
    assert keys == [KEY, ONCALL]
    assert [r.name for r in config().routes(first=Severity.CRITICAL)] == ["default"]
    assert KEY not in repr(cfg.routes())


def test_other_fields_are_validated() -> None:
    with pytest.raises(ValidationError, match="timeout_seconds"):
        config(timeout_seconds=0)
    with pytest.raises(ValidationError, match="client_url"):
        config(client_url="monitor.example.com")
    with pytest.raises(ValidationError, match="ca_bundle"):
        config(ca_bundle="/nonexistent/ca.pem")
    with pytest.raises(ValidationError, match="unknown"):
        config(unknown=True)


def test_ca_bundle_must_exist(tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_text("not really a certificate")
    assert config(ca_bundle=str(pem)).ca_bundle == pem


def test_config_is_frozen() -> None:
    cfg = config()
    with pytest.raises(ValidationError):
        cfg.timeout_seconds = 1  # type: ignore[misc]


def test_build_channel_reads_keys_from_environment_and_files(tmp_path: Path) -> None:
    secret_file = tmp_path / "oncall"
    secret_file.write_text(ONCALL + "\n")
    channel = build_channel(
        "pagerduty",
        {
            "routing_key": "${PD_KEY}",
            "severity_routing": {"critical_file": str(secret_file)},
        },
        env={"PD_KEY": KEY},
    )
    cfg = channel.config
    assert isinstance(cfg, PagerDutyConfig)
    assert cfg.routing_key.get_secret_value() == KEY
    assert cfg.severity_routing[Severity.CRITICAL].get_secret_value() == ONCALL


def test_build_channel_error_names_the_field_not_the_key() -> None:
    with pytest.raises(ChannelConfigError) as caught:
        build_channel("pagerduty", {"routing_key": "x" * 31}, instance_name="pd")
    assert caught.value.field == "routing_key"
    assert "x" * 31 not in str(caught.value)
    assert "32 characters" in str(caught.value)
