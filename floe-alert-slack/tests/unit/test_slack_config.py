import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from floe_alert_slack import SlackConfig, SlackMode
from floe_alert_slack.config import DEFAULT_BASE_URL, mention_markup
from floe_monitoring import Severity

HOOK = "https://hooks.slack.com/services/T000/B000/SECRETpart123"


def _config(**data: object) -> SlackConfig:
    return SlackConfig.model_validate(data)


def _error_fields(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in exc.errors()]


def test_webhook_mode_is_the_default_and_needs_only_the_url() -> None:
    config = _config(webhook_url=HOOK)
    assert config.mode is SlackMode.WEBHOOK
    assert config.webhook_url is not None
    assert config.webhook_url.get_secret_value() == HOOK
    assert config.base_url == DEFAULT_BASE_URL
    assert config.update_original is True


def test_web_api_mode_needs_token_and_channel() -> None:
    config = SlackConfig.model_validate(
        {"mode": "web_api", "token": "xoxb-1", "channel": " C0123 "}
    )
    assert config.mode is SlackMode.WEB_API
    assert config.channel == "C0123"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mode": "webhook"}, "webhook_url"),
        ({"mode": "webhook", "webhook_url": "  "}, "webhook_url"),
        ({"mode": "web_api", "channel": "C1"}, "token"),
        ({"mode": "web_api", "token": "xoxb-1"}, "channel"),
        ({"mode": "web_api", "token": "xoxb-1", "channel": " "}, "channel"),
    ],
)
def test_missing_field_for_the_mode_is_named(data: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SlackConfig.model_validate(data)
    assert _error_fields(caught.value) == [field]
    assert f"{field} is required when mode is '{data['mode']}'" in str(caught.value)


def test_unknown_fields_and_modes_are_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        SlackConfig.model_validate({"webhook_url": HOOK, "username": "bot"})
    assert _error_fields(caught.value) == ["username"]
    with pytest.raises(ValidationError) as caught:
        SlackConfig.model_validate({"mode": "rtm", "webhook_url": HOOK})
    assert "mode" in _error_fields(caught.value)


def test_config_is_frozen() -> None:
    config = _config(webhook_url=HOOK)
    with pytest.raises(ValidationError):
        config.timeout_seconds = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "url",
    ["ftp://hooks.slack.com/x", "http://hooks.slack.com/services/x", "not a url"],
)
def test_webhook_url_must_be_https_except_on_loopback(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _config(webhook_url=url)
    assert _error_fields(caught.value) == ["webhook_url"]
    assert url not in str(caught.value)


def test_plain_http_is_allowed_on_loopback_only() -> None:
    _config(webhook_url="http://127.0.0.1:8080/services/x")
    _config(mode="web_api", token="t", channel="C1", base_url="http://localhost:1/api")
    with pytest.raises(ValidationError) as caught:
        _config(webhook_url=HOOK, base_url="http://slack.example.com/api/")
    assert _error_fields(caught.value) == ["base_url"]


def test_base_url_gets_a_trailing_slash_for_govslack() -> None:
    config = _config(mode="web_api", token="t", channel="C1", base_url="https://slack-gov.com/api")
    assert config.base_url == "https://slack-gov.com/api/"


@pytest.mark.parametrize("timeout", [0, -1, 301])
def test_timeout_must_be_positive_and_bounded(timeout: float) -> None:
    with pytest.raises(ValidationError) as caught:
        _config(webhook_url=HOOK, timeout_seconds=timeout)
    assert _error_fields(caught.value) == ["timeout_seconds"]


def test_mentions_are_keyed_by_severity_and_validated() -> None:
    config = SlackConfig.model_validate(
        {"webhook_url": HOOK, "mentions": {"critical": ["U0ABC", "S0ONCALL", "here"]}}
    )
    assert config.mentions == {Severity.CRITICAL: ("U0ABC", "S0ONCALL", "here")}
    with pytest.raises(ValidationError) as caught:
        SlackConfig.model_validate({"webhook_url": HOOK, "mentions": {"error": ["<!channel>"]}})
    assert _error_fields(caught.value) == ["mentions"]
    with pytest.raises(ValidationError):
        SlackConfig.model_validate({"webhook_url": HOOK, "mentions": {"fatal": ["U0ABC"]}})


@pytest.mark.parametrize(
    ("target", "markup"),
    [
        ("U0ABC123", "<@U0ABC123>"),
        ("W0ABC123", "<@W0ABC123>"),
        ("S0ONCALL", "<!subteam^S0ONCALL>"),
        ("here", "<!here>"),
        ("channel", "<!channel>"),
    ],
)
def test_mention_markup(target: str, markup: str) -> None:
    assert mention_markup(target) == markup


@pytest.mark.parametrize("target", ["u0abc", "@alice", "U0|x", "<@U1>", "everyone", ""])
def test_mention_markup_refuses_anything_else(target: str) -> None:
    with pytest.raises(ValueError, match="mentions must be"):
        mention_markup(target)


def test_ca_bundle_must_exist(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert _config(webhook_url=HOOK, ca_bundle=bundle).ca_bundle == bundle
    with pytest.raises(ValidationError) as caught:
        _config(webhook_url=HOOK, ca_bundle=tmp_path / "missing.pem")
    assert _error_fields(caught.value) == ["ca_bundle"]


def test_secrets_are_masked_in_repr_str_and_json() -> None:
    token = "xoxb-very-secret-token"
    configs = [
        _config(webhook_url=HOOK),
        _config(mode="web_api", token=token, channel="C1"),
    ]
    for config in configs:
        for text in (
            repr(config),
            str(config),
            config.model_dump_json(),
            json.dumps(config.model_dump(mode="json")),
        ):
            assert "SECRETpart123" not in text
            assert token not in text
            assert "**********" in text
