from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from floe_monitoring import (
    AlertChannelPlugin,
    ChannelConfigError,
    ChannelRegistry,
    ContractViolationEvent,
    DeliveryReceipt,
    FloeError,
    PluginLoadError,
    build_channel,
)

SECRET = "xoxb-planted-secret-0042"


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https://")
    token: SecretStr
    timeout_seconds: float = Field(default=10.0, gt=0)
    retries_file: str | None = None  # a real field that happens to end in _file

    @field_validator("token")
    @classmethod
    def _token_prefix(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token (xoxb-...)")
        return value


class _Channel(AlertChannelPlugin[_Config]):
    name: ClassVar[str] = "fake"
    version: ClassVar[str] = "1.0.0"
    floe_api_version: ClassVar[str] = "1.0"
    config_model = _Config

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        return self.receipt(event)


@pytest.fixture
def registry() -> ChannelRegistry:
    registry = ChannelRegistry(environ={}, discovered=[])
    registry.register(_Channel)
    return registry


def test_builds_a_channel_from_a_mapping(registry: ChannelRegistry) -> None:
    channel = build_channel(
        "fake",
        {"type": "fake", "url": "https://hooks.example", "token": SECRET},
        instance_name="ops-alerts",
        registry=registry,
    )
    assert isinstance(channel, _Channel)
    assert channel.instance_name == "ops-alerts"
    assert channel.config.token.get_secret_value() == SECRET


def test_environment_references_are_resolved(registry: ChannelRegistry) -> None:
    channel = build_channel(
        "fake",
        {"url": "https://${HOST}/x", "token": "${TOKEN}", "timeout_seconds": "${T:-3}"},
        registry=registry,
        env={"HOST": "hooks.example", "TOKEN": SECRET},
    )
    assert channel.config.url == "https://hooks.example/x"
    assert channel.config.token.get_secret_value() == SECRET
    assert channel.config.timeout_seconds == 3.0


def test_a_literal_dollar_brace_is_kept(registry: ChannelRegistry) -> None:
    channel = build_channel(
        "fake", {"url": "https://h.example/$${X}", "token": SECRET}, registry=registry, env={}
    )
    assert channel.config.url == "https://h.example/${X}"


def test_a_missing_variable_names_field_and_variable(registry: ChannelRegistry) -> None:
    with pytest.raises(ChannelConfigError) as info:
        build_channel(
            "fake", {"url": "https://x", "token": "${SLACK_TOKEN}"}, registry=registry, env={}
        )
    assert (
        str(info.value)
        == "channel 'fake', field 'token': environment variable 'SLACK_TOKEN' is not set"
    )


def test_secret_files_are_read_relative_to_the_base_dir(
    registry: ChannelRegistry, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text(SECRET + "\n")
    channel = build_channel(
        "fake",
        {"url": "https://x.example", "token_file": "token", "retries_file": "kept"},
        registry=registry,
        base_dir=tmp_path,
    )
    assert channel.config.token.get_secret_value() == SECRET
    assert channel.config.retries_file == "kept"


def test_a_missing_secret_file_names_the_field_and_path(
    registry: ChannelRegistry, tmp_path: Path
) -> None:
    with pytest.raises(ChannelConfigError) as info:
        build_channel(
            "fake", {"url": "https://x", "token_file": "nope"}, registry=registry, base_dir=tmp_path
        )
    assert info.value.field == "token_file"
    assert "does not exist" in str(info.value)


def test_a_value_given_twice_is_an_error(registry: ChannelRegistry, tmp_path: Path) -> None:
    (tmp_path / "t").write_text(SECRET)
    with pytest.raises(ChannelConfigError, match="given both directly and as 'token_file'"):
        build_channel(
            "fake",
            {"url": "https://x", "token": SECRET, "token_file": "t"},
            registry=registry,
            base_dir=tmp_path,
        )


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"url": "http://plain", "token": SECRET}, "url"),
        ({"url": "https://x", "token": SECRET, "timeout_seconds": 0}, "timeout_seconds"),
        ({"url": "https://x"}, "token"),
        ({"url": "https://x", "token": SECRET, "tokn": "typo"}, "tokn"),
        ({"url": "https://x", "token": "not-a-bot-" + SECRET}, "token"),
    ],
)
def test_invalid_config_is_one_line_naming_the_field_never_the_secret(
    registry: ChannelRegistry,
    config: dict[str, object],
    field: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(ChannelConfigError) as info:
        build_channel("fake", config, instance_name="ops", registry=registry)
    message = str(info.value)
    assert info.value.field == field
    assert message.startswith(f"channel 'ops', field '{field}': ")
    assert "\n" not in message
    assert SECRET not in message
    assert SECRET not in caplog.text
    assert info.value.__cause__ is None
    assert isinstance(info.value, FloeError)


def test_an_unknown_type_is_a_plugin_error(registry: ChannelRegistry) -> None:
    with pytest.raises(PluginLoadError, match="no such channel type"):
        build_channel("teams", {}, registry=registry)


def test_secrets_are_masked_everywhere_after_building(registry: ChannelRegistry) -> None:
    channel = build_channel(
        "fake", {"url": "https://x.example", "token": SECRET}, registry=registry
    )
    for text in (
        repr(channel),
        str(channel),
        repr(channel.config),
        channel.config.model_dump_json(),
    ):
        assert SECRET not in text


@pytest.mark.parametrize(
    ("config", "field", "also"),
    [
        ({"url": "https://x", "token": SECRET, "secret\n": "x"}, "secret\\n", None),
        (
            {"url": "http://plain", "token": SECRET, "a\x1b[2J": 1, "b\r\nc": 2},
            "url",
            "a\\x1b[2J, b\\r\\nc",
        ),
    ],
)
def test_field_names_with_control_characters_are_escaped(
    registry: ChannelRegistry, config: dict[str, object], field: str, also: str | None
) -> None:
    """D13: unknown keys are echoed escaped, in the field and the "also invalid" list."""
    with pytest.raises(ChannelConfigError) as info:
        build_channel("fake", config, instance_name="ops", registry=registry)
    message = str(info.value)
    assert info.value.field == field
    assert message.isprintable()
    assert message.startswith(f"channel 'ops', field '{field}': ")
    if also is not None:
        assert message.endswith(f"(also invalid: {also})")


def test_a_channel_name_with_a_newline_is_escaped_in_errors(registry: ChannelRegistry) -> None:
    with pytest.raises(ChannelConfigError) as info:
        build_channel("fake", {"url": "https://x"}, instance_name="ops\nroom", registry=registry)
    assert str(info.value).startswith("channel 'ops\\nroom', field 'token': ")


def test_a_missing_variable_under_a_strange_key_is_one_line(registry: ChannelRegistry) -> None:
    config = {"url": "https://x", "token": SECRET, "extra\nkey": "${NOT_SET}"}
    with pytest.raises(ChannelConfigError) as info:
        build_channel("fake", config, instance_name="ops", registry=registry, env={})
    assert info.value.field == "extra\\nkey"
    assert "\n" not in str(info.value)
