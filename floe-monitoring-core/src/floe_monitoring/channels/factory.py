"""`build_channel`: from a config mapping to a ready-to-start channel instance."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from floe_monitoring.channels.registry import ChannelRegistry
from floe_monitoring.errors import ChannelConfigError
from floe_monitoring.sdk.config_sources import ConfigSourceError, resolve_config_sources
from floe_monitoring.sdk.plugin import REDACTED, AlertChannelPlugin
from floe_monitoring.sdk.state import ChannelStateStore

__all__ = ["build_channel", "validation_error_summary"]

# Keys of a channel's entry in the monitor config that are not the channel's own config.
_RESERVED_KEYS = frozenset({"type"})


def build_channel(
    type_name: str,
    config: Mapping[str, Any],
    *,
    instance_name: str | None = None,
    registry: ChannelRegistry | None = None,
    state: ChannelStateStore | None = None,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> AlertChannelPlugin[Any]:
    """Validate `config` for channel type `type_name` and return an instance.

    `${ENV_VAR}` references are resolved from `env` (the process environment by
    default) and ``<field>_file`` keys are read from files (relative to `base_dir`).

    Args:
        type_name: Entry-point name of the channel type (``slack``).
        config: The channel's settings; a ``type`` key is ignored.
        instance_name: The configured channel's name, used in errors and receipts.
        registry: Where to find the plugin (a fresh one over the installed plugins).
        state: The instance's key-value store.
        env: Environment for `${VAR}` references.
        base_dir: Folder for relative file paths.

    Raises:
        PluginLoadError, IncompatiblePluginError: The type cannot be used.
        ChannelConfigError: A field is invalid; one line naming channel and field,
            never the value.

    """
    registry = registry or ChannelRegistry()
    cls = registry.get(type_name)
    label = instance_name or type_name
    # The configured name is a key from the file: escaped wherever an error echoes it.
    shown = _escape(label)
    raw = {k: v for k, v in config.items() if k not in _RESERVED_KEYS}
    keep = frozenset(n for n in cls.config_model.model_fields if n.endswith("_file"))
    try:
        resolved = resolve_config_sources(
            raw, env=os.environ if env is None else env, base_dir=base_dir, keep_file_keys=keep
        )
    except ConfigSourceError as exc:
        raise ChannelConfigError(shown, _escape(exc.field), exc.reason) from None
    try:
        model = cls.config_model.model_validate(resolved)
    except ValidationError as exc:
        field, reason = validation_error_summary(exc, secrets=_strings(resolved))
        raise ChannelConfigError(shown, field, reason) from None
    try:
        return cls(model, instance_name=label, state=state)
    except Exception as exc:  # a constructor's complaint about its config
        reason = _scrub(f"{type(exc).__name__}: {exc}", _strings(resolved))
        raise ChannelConfigError(shown, None, reason) from None


def validation_error_summary(
    error: ValidationError, *, secrets: Iterable[str] = ()
) -> tuple[str | None, str]:
    r"""One-line summary of a pydantic error: (dotted field of the first error, reason).

    Input values are never included: pydantic's messages are used without `input`,
    and any configured string value that still appears is masked. Field names have
    their non-printable characters escaped (``secret\n``), so the summary is one line.
    """
    problems = error.errors(include_input=False, include_url=False, include_context=False)
    values = list(secrets)
    first = problems[0]
    field = _dotted(first["loc"]) or None
    reason = _scrub(first["msg"], values)
    if len(problems) > 1:
        others = sorted({_dotted(e["loc"]) for e in problems[1:]} - {field or ""})
        if others:
            reason += f" (also invalid: {', '.join(others)})"
    return field, reason


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(_escape(str(part)) for part in loc)


def _escape(name: str) -> str:
    # Unknown keys are echoed by name: a newline or ANSI escape in one would make the
    # one-line error several lines (or recolour the terminal). The same rule as
    # contracts.yaml_loader.escape_name, kept here so channels do not import contracts.
    if name.isprintable():
        return name
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in name
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if len(value) >= 4:  # too short to be a secret, and masking it would mangle text
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _scrub(text: str, values: Iterable[str]) -> str:
    for value in sorted(set(values), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return " ".join(text.split())
