"""Config checks: bad config names the field; secrets are masked and sourced safely."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

from floe_monitoring import ChannelConfigError
from floe_testing_kit.checks.base import check
from floe_testing_kit.harness import KitContext, require
from floe_testing_kit.profile import Endpoint

_PLACEHOLDER = Endpoint(url="http://127.0.0.1:9", port=9, tls_mode="starttls", username="kit-user")


def _secret_fields(ctx: KitContext, config: dict[str, Any]) -> list[str]:
    return [k for k, v in config.items() if isinstance(v, str) and ctx.secret in v]


@check("config.unknown_key", "an unknown key is refused, naming the key (extra='forbid')")
async def unknown_key(ctx: KitContext) -> None:
    config = ctx.config_for(_PLACEHOLDER, floe_kit_unknown_key="x")
    try:
        ctx.build(config)
    except ChannelConfigError as error:
        require(
            error.field == "floe_kit_unknown_key",
            f"the error names field {error.field!r}, not the unknown key: {error}",
        )
        return
    raise AssertionError(
        "a config with an unknown key was accepted: typos must fail "
        "(set model_config = ConfigDict(extra='forbid') on the config model)"
    )


@check("config.required_field", "a missing required field is refused, naming the field")
async def required_field(ctx: KitContext) -> None:
    config = ctx.config_for(_PLACEHOLDER)
    model = ctx.channel_class.config_model
    required = [n for n, f in model.model_fields.items() if f.is_required() and n in config]
    for name in required:
        partial = {k: v for k, v in config.items() if k != name}
        try:
            ctx.build(partial)
        except ChannelConfigError as error:
            require(error.field == name, f"missing '{name}' was reported as field {error.field!r}")
            continue
        raise AssertionError(f"a config without the required field '{name}' was accepted")


@check("config.secret_fields_masked", "secrets are SecretStr: masked in repr, str and JSON")
async def secret_fields_masked(ctx: KitContext) -> None:
    config = ctx.config_for(_PLACEHOLDER)
    require(
        any(ctx.secret in str(v) for v in config.values()),
        "the profile planted the secret in no config field: put it in every secret field",
    )
    channel = ctx.build(config)
    for name in _secret_fields(ctx, config):
        value = getattr(channel.config, name, None)
        require(
            isinstance(value, SecretStr | SecretBytes) or _holds_secret_type(value),
            f"config field '{name}' holds a secret but is not a SecretStr",
        )
    model: BaseModel = channel.config
    shown = {
        "repr(config)": repr(model),
        "str(config)": str(model),
        "config.model_dump_json()": model.model_dump_json(),
        "config.model_dump(mode='json')": str(model.model_dump(mode="json")),
        "repr(channel)": repr(channel),
        "str(channel)": str(channel),
    }
    for where, text in shown.items():
        require(ctx.secret not in text, f"the planted secret appears in {where}")


def _holds_secret_type(value: object) -> bool:
    if isinstance(value, BaseModel):
        return any(_holds_secret_type(getattr(value, n)) for n in type(value).model_fields)
    if isinstance(value, dict):
        return any(_holds_secret_type(v) for v in value.values())
    return isinstance(value, SecretStr | SecretBytes)


@check("config.env_source", "secret fields can come from ${ENV_VAR} references")
async def env_source(ctx: KitContext) -> None:
    config = ctx.config_for(_PLACEHOLDER)
    fields = _secret_fields(ctx, config)
    env = {f"FLOE_KIT_{i}": config[name] for i, name in enumerate(fields)}
    via_env = {**config, **{name: f"${{FLOE_KIT_{i}}}" for i, name in enumerate(fields)}}
    direct = ctx.build(config).config
    built = ctx.build(via_env, env=env).config
    require(
        _reveal(built) == _reveal(direct), "a config built from ${ENV} differs from the direct one"
    )


@check("config.file_source", "secret fields can come from <field>_file paths")
async def file_source(ctx: KitContext) -> None:
    config = ctx.config_for(_PLACEHOLDER)
    fields = _secret_fields(ctx, config)
    with tempfile.TemporaryDirectory(prefix="floe-kit-") as folder:
        via_files = dict(config)
        for name in fields:
            (Path(folder) / name).write_text(config[name] + "\n", encoding="utf-8")
            del via_files[name]
            via_files[f"{name}_file"] = name
        built = ctx.build(via_files, base_dir=Path(folder)).config
    require(
        _reveal(built) == _reveal(ctx.build(config).config), "a config built from files differs"
    )


def _reveal(value: object) -> object:
    if isinstance(value, SecretStr | SecretBytes):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return {n: _reveal(getattr(value, n)) for n in type(value).model_fields}
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reveal(v) for v in value]
    return value
