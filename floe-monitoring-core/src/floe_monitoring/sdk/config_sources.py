"""Resolve where config values come from: `${ENV_VAR}` references and `*_file` sources.

Secrets belong in the environment or in mounted files, not in a YAML file in git:
``token: ${SLACK_TOKEN}`` and ``token_file: /run/secrets/slack`` both end up as the
`token` field. Errors name the field and the variable or file, never a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["ConfigSourceError", "resolve_config_sources"]

# ${NAME} or ${NAME:-default}; $${...} is a literal "${...}".
_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_FILE_SUFFIX = "_file"


class ConfigSourceError(ValueError):
    """A `${VAR}` or `*_file` source could not be resolved.

    Attributes:
        field: Dotted path of the field.
        reason: What went wrong (names the variable or path, never a value).

    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def resolve_config_sources(
    config: Mapping[str, Any],
    *,
    env: Mapping[str, str],
    base_dir: Path | None = None,
    keep_file_keys: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Return a copy of `config` with environment references and file sources resolved.

    Args:
        config: Raw mapping (from YAML or code).
        env: The environment to read `${VAR}` from.
        base_dir: Folder that relative `*_file` paths are relative to.
        keep_file_keys: Top-level keys ending in ``_file`` that are real fields of the
            config model and must be left alone.

    Raises:
        ConfigSourceError: A variable is unset, a file unreadable, or a value is given
            both directly and from a file.

    """
    return _resolve_mapping(config, "", env, base_dir, keep_file_keys)


def _resolve_mapping(
    mapping: Mapping[str, Any],
    prefix: str,
    env: Mapping[str, str],
    base_dir: Path | None,
    keep: frozenset[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for raw_key, value in mapping.items():
        key = str(raw_key)
        path = f"{prefix}{key}"
        resolved = _resolve_value(value, path, env, base_dir)
        if key.endswith(_FILE_SUFFIX) and key not in keep and len(key) > len(_FILE_SUFFIX):
            target = key[: -len(_FILE_SUFFIX)]
            if target in mapping:
                raise ConfigSourceError(
                    f"{prefix}{target}", f"given both directly and as '{key}': keep one"
                )
            out[target] = _read_secret_file(resolved, path, base_dir)
        else:
            out[key] = resolved
    return out


def _resolve_value(value: Any, path: str, env: Mapping[str, str], base_dir: Path | None) -> Any:
    if isinstance(value, str):
        return _interpolate(value, path, env)
    if isinstance(value, Mapping):
        return _resolve_mapping(value, f"{path}.", env, base_dir, frozenset())
    if isinstance(value, list | tuple):
        return [_resolve_value(v, f"{path}[{i}]", env, base_dir) for i, v in enumerate(value)]
    return value


def _interpolate(text: str, path: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.group(1), match.group(2), match.group(3)
        if escaped:
            return match.group(0)[1:]
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigSourceError(path, f"environment variable '{name}' is not set")

    return _REFERENCE.sub(replace, text)


def _read_secret_file(value: Any, path: str, base_dir: Path | None) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigSourceError(path, "must be a file path")
    file = Path(value).expanduser()
    if not file.is_absolute() and base_dir is not None:
        file = base_dir / file
    try:
        # Secrets files are small; a trailing newline is an editor artefact, not data.
        return file.read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise ConfigSourceError(path, f"file '{file}' does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigSourceError(path, f"cannot read file '{file}': {type(exc).__name__}") from None
