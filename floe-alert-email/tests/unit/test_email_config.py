import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from floe_alert_email import EmailChannel, EmailConfig, TLSMode
from floe_alert_email.config import DEFAULT_PORTS
from floe_monitoring import ChannelConfigError, ChannelRegistry, Severity, build_channel

SECRET = "pw-planted-5c1e9a"


def _config(**overrides: Any) -> EmailConfig:
    values: dict[str, Any] = {
        "host": "smtp.example.com",
        "from_address": "alerts@example.com",
        "to": ["data@example.com"],
    }
    values.update(overrides)
    return EmailConfig.model_validate(values)


def test_defaults_are_starttls_on_587_with_a_30s_deadline() -> None:
    config = _config()
    assert config.tls_mode is TLSMode.STARTTLS
    assert config.effective_port == 587
    assert config.timeout_seconds == 30.0
    assert config.subject_max_length == 200
    assert config.domain == "example.com"


@pytest.mark.parametrize(("mode", "port"), [("starttls", 587), ("tls", 465), ("none", 25)])
def test_each_mode_has_its_standard_port(mode: str, port: int) -> None:
    assert _config(tls_mode=mode).effective_port == port
    assert DEFAULT_PORTS[TLSMode(mode)] == port
    assert _config(tls_mode=mode, port=2525).effective_port == 2525


def test_message_id_domain_overrides_the_sender_domain() -> None:
    assert _config(message_id_domain="alerts.example.org").domain == "alerts.example.org"
    assert _config(from_address="a@Mail.Example.COM").domain == "mail.example.com"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"username": "u"}, "both username and password"),
        ({"password": SECRET}, "both username and password"),
        ({"tls_mode": "none", "username": "u", "password": SECRET}, "plaintext"),
        ({"to": []}, "at least one recipient"),
        ({"to": ["not-an-address"]}, "e-mail address"),
        ({"to": ["a@example.com\r\nBcc: evil@example.com"]}, "e-mail address"),
        ({"to": ["ünï@example.com"]}, "ASCII"),
        ({"from_address": "alerts"}, "e-mail address"),
        ({"from_name": "floe\r\nBcc: evil@example.com"}, "one line"),
        ({"host": "smtp.example.com\r\nRCPT"}, "host"),
        ({"tls_mode": "ssl"}, "tls_mode"),
        ({"timeout_seconds": 0}, "greater than 0"),
        ({"subject_max_length": 10}, "greater than or equal"),
        ({"local_hostname": "my host"}, "DNS name"),
        ({"unknown": 1}, "Extra inputs"),
        ({"severity_recipients": {"fatal": ["a@example.com"]}}, "severity_recipients"),
    ],
)
def test_invalid_configs_are_refused(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _config(**overrides)
    assert fragment in str(caught.value)
    assert SECRET not in str(caught.value.errors(include_input=False))


def test_routes_alone_are_enough_recipients() -> None:
    config = _config(to=[], owner_recipients={"team-a": ["a@example.com"]})
    assert config.to == ()
    config = _config(to=[], severity_recipients={"critical": ["oncall@example.com"]})
    assert config.severity_recipients == {Severity.CRITICAL: ("oncall@example.com",)}


def test_ca_bundle_must_exist_and_needs_tls(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert _config(ca_bundle=str(bundle)).ca_bundle == bundle
    with pytest.raises(ValidationError, match="ca_bundle"):
        _config(ca_bundle=str(tmp_path / "missing.pem"))
    with pytest.raises(ValidationError, match="ca_bundle needs tls_mode"):
        _config(ca_bundle=str(bundle), tls_mode="none")


def test_password_is_masked_in_repr_str_and_json() -> None:
    config = _config(username="alerts", password=SECRET)
    assert config.password is not None
    assert config.password.get_secret_value() == SECRET
    for shown in (repr(config), str(config), config.model_dump_json()):
        assert SECRET not in shown
    dumped = json.loads(config.model_dump_json())
    assert dumped["password"] == "**********"
    assert dumped["tls_mode"] == "starttls"


def test_config_is_frozen() -> None:
    config = _config()
    with pytest.raises(ValidationError, match="frozen"):
        config.host = "other.example.com"  # type: ignore[misc]


def test_build_channel_reads_the_password_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "smtp-password"
    secret_file.write_text(SECRET + "\n")
    channel = build_channel(
        "email",
        {
            "host": "smtp.example.com",
            "username": "alerts",
            "password_file": str(secret_file),
            "from_address": "alerts@example.com",
            "to": ["data@example.com"],
        },
        registry=ChannelRegistry(),
        env={},
    )
    assert isinstance(channel, EmailChannel)
    assert channel.config.password is not None
    assert channel.config.password.get_secret_value() == SECRET
    assert SECRET not in repr(channel)


def test_build_channel_reads_the_password_from_the_environment() -> None:
    channel = build_channel(
        "email",
        {
            "host": "smtp.example.com",
            "username": "alerts",
            "password": "${SMTP_PASSWORD}",
            "from_address": "alerts@example.com",
            "to": ["data@example.com"],
        },
        registry=ChannelRegistry(),
        env={"SMTP_PASSWORD": SECRET},
    )
    assert channel.secret_values() == [SECRET]
    assert channel.redact(f"x {SECRET} y") == "x ********** y"


def test_build_channel_errors_never_show_the_password() -> None:
    with pytest.raises(ChannelConfigError) as caught:
        build_channel(
            "email",
            {
                "host": "smtp.example.com",
                "tls_mode": "none",
                "username": "alerts",
                "password": SECRET,
                "from_address": "alerts@example.com",
                "to": ["data@example.com"],
            },
            registry=ChannelRegistry(),
            env={},
        )
    assert "plaintext" in str(caught.value)
    assert SECRET not in str(caught.value)
