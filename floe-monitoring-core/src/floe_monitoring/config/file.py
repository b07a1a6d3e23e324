"""Reading `floe-monitor.yaml`: find it, interpolate `${ENV}`, validate, name line and key.

The file's path comes from ``--config``, else ``FLOE_MONITOR_CONFIG``, else
``./floe-monitor.yaml``. Relative paths inside it resolve against its folder. Channel
settings are left as written: each channel resolves its own ``${ENV}`` and ``*_file``
sources when it is built, so a missing variable is reported against that channel's field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from floe_monitoring.config.model import MonitorConfig
from floe_monitoring.contracts.yaml_loader import (
    LineIndex,
    data_path,
    escape_name,
    load_yaml_with_lines,
    nearest_line,
)
from floe_monitoring.errors import ConfigError
from floe_monitoring.sdk.config_sources import ConfigSourceError, resolve_config_sources

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "ConfigFileError",
    "config_json_schema",
    "find_config",
    "load_config",
    "parse_config",
]

CONFIG_ENV = "FLOE_MONITOR_CONFIG"
DEFAULT_CONFIG_NAME = "floe-monitor.yaml"
_MAX_BYTES = 5 * 1024 * 1024


class ConfigFileError(ConfigError):
    """The monitor config file cannot be used: ``path:line: key: reason``.

    Attributes:
        path: The file.
        line: 1-based line, when known.
        key: Dotted key, when known.
        reason: What is wrong (never a value from the file).
    """

    def __init__(
        self, path: str, reason: str, *, line: int | None = None, key: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.reason = reason
        where = path + (f":{line}" if line else "")
        super().__init__(f"{where}: {key + ': ' if key else ''}{reason}")


def find_config(
    path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> Path:
    """The config file to read: `path`, else ``$FLOE_MONITOR_CONFIG``, else the default.

    Raises:
        ConfigFileError: The file does not exist.
    """
    environ = os.environ if env is None else env
    chosen = Path(path) if path else Path(environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)
    if not chosen.is_file():
        hint = "" if path or environ.get(CONFIG_ENV) else f" (pass --config or set {CONFIG_ENV})"
        raise ConfigFileError(str(chosen), f"config file not found{hint}")
    return chosen


def load_config(
    path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> MonitorConfig:
    """Find, read and validate the monitor config.

    Raises:
        ConfigFileError: Missing, unreadable, binary, too large, not YAML, or invalid;
            one line naming the file, the line and the key.
    """
    chosen = find_config(path, env=env)
    try:
        raw = chosen.read_bytes()
    except OSError as exc:
        raise ConfigFileError(
            str(chosen), f"cannot read: {exc.strerror or type(exc).__name__}"
        ) from None
    if len(raw) > _MAX_BYTES:
        raise ConfigFileError(
            str(chosen), f"is {len(raw)} bytes; a config file is at most {_MAX_BYTES}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigFileError(str(chosen), "is not UTF-8 text (a binary file?)") from None
    return parse_config(text, source=str(chosen), base_dir=chosen.resolve().parent, env=env)


def parse_config(
    text: str,
    *,
    source: str = "<string>",
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> MonitorConfig:
    """Validate config text (YAML or JSON).

    Raises:
        ConfigFileError: As `load_config`.
    """
    if "\x00" in text:
        raise ConfigFileError(source, "is not text (contains NUL bytes)")
    try:
        data, lines = load_yaml_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigFileError(
            source, f"invalid YAML: {exc.problem}", line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(source, f"invalid YAML: {type(exc).__name__}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigFileError(
            source, "must be a mapping of settings (contracts, catalog, channels, ...)", line=1
        )
    channels = data.pop("channels", None)
    try:
        resolved = resolve_config_sources(
            data, env=os.environ if env is None else env, base_dir=base_dir
        )
    except ConfigSourceError as exc:
        path = tuple(exc.field.replace("]", "").replace("[", ".").split("."))
        raise ConfigFileError(
            source, exc.reason, line=nearest_line(path, lines), key=escape_name(exc.field)
        ) from None
    if channels is not None:
        resolved["channels"] = channels
    if base_dir is not None:
        resolved["base_dir"] = base_dir
    try:
        return MonitorConfig.model_validate(resolved)
    except ValidationError as exc:
        raise _explain(exc, resolved, source, lines) from None


def _explain(exc: ValidationError, data: Any, source: str, lines: LineIndex) -> ConfigFileError:
    first = exc.errors(include_input=False, include_url=False)[0]
    path = data_path(first["loc"], data)
    key = _dotted(path) or None
    reason = first["msg"]
    if first["type"] == "extra_forbidden":
        key = _dotted(first["loc"])
        reason = "unknown key"
    line = lines.get((*path, "<key>")) or nearest_line(path, lines)
    more = exc.error_count() - 1
    if more:
        reason += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ConfigFileError(source, reason, line=line, key=key)


def _dotted(path: tuple[str | int, ...]) -> str:
    # Keys come from the file: a newline or escape sequence in one must not break the
    # one-line message.
    return ".".join(escape_name(str(part)) for part in path)


@cache
def config_json_schema() -> dict[str, Any]:
    """The published JSON Schema of `floe-monitor.yaml` (shipped in this package)."""
    text = (files("floe_monitoring.config") / "floe-monitor.schema.json").read_text(
        encoding="utf-8"
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def generate_json_schema() -> dict[str, Any]:
    """The JSON Schema generated from `MonitorConfig` (what the shipped file must equal)."""
    schema = MonitorConfig.model_json_schema(mode="validation")
    schema["properties"].pop("base_dir", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "floe-monitor.yaml"
    schema["description"] = "Configuration of the floe monitoring ContractMonitor."
    return schema
