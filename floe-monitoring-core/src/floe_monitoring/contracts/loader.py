"""Load ODCS v3 (3.0 to 3.2) contracts from YAML/JSON files, one bad file at a time.

Errors are `ContractError` subclasses whose message is one line ``path:line: field: reason``.
`load_contracts` collects them and keeps going, so one broken file never hides the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import ValidationError

from floe_monitoring.contracts.extract import extract_contract
from floe_monitoring.contracts.mapping import map_tables
from floe_monitoring.contracts.model import Contract
from floe_monitoring.contracts.overrides import ContractsConfig
from floe_monitoring.contracts.yaml_loader import (
    LineIndex,
    data_path,
    escape_name,
    load_yaml_with_lines,
    nearest_line,
)
from floe_monitoring.errors import ContractError, ContractParseError, ContractValidationError

__all__ = [
    "CONTRACT_SUFFIXES",
    "MAX_CONTRACT_BYTES",
    "ContractLoadResult",
    "contract_from_dict",
    "load_contract",
    "load_contracts",
    "parse_contract",
]

#: File suffixes `load_contracts` reads from a directory.
CONTRACT_SUFFIXES = (".yaml", ".yml", ".json")
#: The largest contract file `load_contract` reads (5 MiB, the config file's limit too).
#: Real contracts are kilobytes; a bigger file would be parsed for seconds, on the
#: service's event loop.
MAX_CONTRACT_BYTES = 5 * 1024 * 1024
_API_VERSION = re.compile(r"^v?3\.[0-2](\.\d+)?$")
_REQUIRED = ("apiVersion", "kind", "id", "version")


@dataclass(frozen=True, slots=True)
class ContractLoadResult:
    """What `load_contracts` read: the good contracts and one error per bad file."""

    contracts: tuple[Contract, ...]
    errors: tuple[ContractError, ...]


def parse_contract(
    text: str,
    *,
    source: str = "<string>",
    fmt: Literal["yaml", "json"] = "yaml",
    config: ContractsConfig | None = None,
) -> Contract:
    """Parse one contract document.

    Raises:
        ContractParseError: The text is not YAML/JSON, or not a mapping.
        ContractValidationError: It is not a usable ODCS v3.0-3.2 contract.

    """
    data, lines = _json(text, source) if fmt == "json" else _yaml(text, source)
    return contract_from_dict(data, source=source, config=config, lines=lines)


def load_contract(path: str | Path, *, config: ContractsConfig | None = None) -> Contract:
    """Read and parse one contract file (``.json`` as JSON, anything else as YAML).

    Raises:
        ContractError: The file cannot be read, is over `MAX_CONTRACT_BYTES`, or is not a
            usable contract.

    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CONTRACT_BYTES:
            raise _too_large(path, f"is {size} bytes")
        with path.open("rb") as file:
            # Bounded even past the stat: the file may grow, or not be a regular file.
            raw = file.read(MAX_CONTRACT_BYTES + 1)
        if len(raw) > MAX_CONTRACT_BYTES:
            raise _too_large(path, f"is over {MAX_CONTRACT_BYTES} bytes")
        # Universal newlines, as text-mode reading did before the size limit.
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractParseError(str(path), f"cannot read: {exc}") from exc
    fmt: Literal["yaml", "json"] = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_contract(text, source=str(path), fmt=fmt, config=config)


def _too_large(path: Path, size: str) -> ContractParseError:
    return ContractParseError(str(path), f"{size}; a contract file is at most {MAX_CONTRACT_BYTES}")


def load_contracts(
    paths: str | Path | Iterable[str | Path], *, config: ContractsConfig | None = None
) -> ContractLoadResult:
    """Load every contract file in ``paths`` (files, or directories searched recursively).

    Never raises for a bad file: its `ContractError` is collected instead. A contract id seen
    in an earlier file makes the later file an error.
    """
    files = _expand([paths] if isinstance(paths, str | Path) else paths)
    contracts: list[Contract] = []
    errors: list[ContractError] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            contract = load_contract(file, config=config)
        except ContractError as exc:
            errors.append(exc)
            continue
        except Exception as exc:  # one unexpected failure must not stop the rest
            errors.append(ContractError(str(file), f"unexpected {type(exc).__name__}: {exc}"))
            continue
        if contract.id in seen:
            errors.append(
                ContractValidationError(
                    str(file), f"duplicate contract id (first in {seen[contract.id]})", field="id"
                )
            )
            continue
        seen[contract.id] = str(file)
        contracts.append(contract)
    return ContractLoadResult(tuple(contracts), tuple(errors))


def contract_from_dict(
    data: Any,
    *,
    source: str = "<dict>",
    config: ContractsConfig | None = None,
    lines: LineIndex | None = None,
) -> Contract:
    """Validate already-parsed data as an ODCS contract and extract it.

    Raises:
        ContractParseError: ``data`` is not a mapping.
        ContractValidationError: It is not a usable ODCS v3.0-3.2 contract.

    """
    lines = lines or {}
    if not isinstance(data, Mapping):
        raise ContractParseError(source, "the document must be a mapping of ODCS fields", line=1)
    _check_text(data, (), source, lines)
    _check_required(data, source, lines)
    data = dict(data)
    for name in ("id", "version"):
        # `version: 2` is common and unambiguous; ODCS wants a string.
        if isinstance(data[name], int) and not isinstance(data[name], bool):
            data[name] = str(data[name])
    try:
        odcs = OpenDataContractStandard.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, data, source, lines) from exc
    contract = extract_contract(odcs, source=source)
    return map_tables(contract, config or ContractsConfig())


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found = (
                p
                for p in path.rglob("*")
                if p.suffix.lower() in CONTRACT_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            files.extend(sorted(found))
        else:
            files.append(path)
    return files


def _yaml(text: str, source: str) -> tuple[Any, LineIndex]:
    try:
        return load_yaml_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ContractParseError(source, f"invalid YAML: {exc.problem}", line=line) from exc
    except yaml.YAMLError as exc:  # unmarked: no line to name, and its text is multi-line
        raise ContractParseError(source, f"invalid YAML: {type(exc).__name__}") from exc


def _json(text: str, source: str) -> tuple[Any, LineIndex]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContractParseError(source, f"invalid JSON: {exc.msg}", line=exc.lineno) from exc
    try:
        # JSON is (nearly) YAML: reuse the YAML composer only to learn each value's line.
        _, lines = load_yaml_with_lines(text)
    except yaml.YAMLError:
        lines = {}
    return data, lines


def _check_text(value: Any, path: tuple[str | int, ...], source: str, lines: LineIndex) -> None:
    r"""Refuse text that is not valid Unicode (a lone surrogate from ``"\ud800"``).

    YAML and JSON escapes can spell surrogates that no UTF-8 encoder accepts: such a
    contract would load, then fail every event, store write and notification built from
    it. Refused here, it is one bad file like any other.
    """
    if isinstance(value, str):
        if not _is_utf8(value):
            raise _not_unicode(source, path, nearest_line(path, lines))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if not _is_utf8(name):
                raise _not_unicode(source, (*path, name), lines.get((*path, name, "<key>")))
            _check_text(item, (*path, name), source, lines)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, (*path, index), source, lines)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_unicode(
    source: str, path: tuple[str | int, ...], line: int | None
) -> ContractValidationError:
    return ContractValidationError(
        source,
        "is not valid Unicode text (a lone surrogate such as \\ud800)",
        line=line,
        field=_field_name(path) or None,
    )


def _field_name(path: tuple[str | int, ...]) -> str:
    """``schema[0].name``; names escaped so the one-line message stays one line."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{escape_name(p)}" for p in path)
    return text.lstrip(".")


def _check_required(data: Mapping[str, Any], source: str, lines: LineIndex) -> None:
    for name in _REQUIRED:
        if data.get(name) in (None, ""):
            raise ContractValidationError(source, "required by ODCS v3", line=1, field=name)
    api = str(data["apiVersion"])
    if not _API_VERSION.match(api):
        raise ContractValidationError(
            source,
            f"unsupported ODCS version '{api}' (this monitor reads v3.0 to v3.2)",
            line=lines.get(("apiVersion",)),
            field="apiVersion",
        )
    if data["kind"] != "DataContract":
        raise ContractValidationError(
            source, "must be 'DataContract'", line=lines.get(("kind",)), field="kind"
        )
    for index, item in enumerate(_list(data.get("slaProperties"))):
        for name in ("property", "value"):
            if isinstance(item, Mapping) and item.get(name) is None:
                raise ContractValidationError(
                    source,
                    "required by ODCS v3",
                    line=lines.get(("slaProperties", index)),
                    field=f"slaProperties[{index}].{name}",
                )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _validation_error(
    exc: ValidationError, data: Any, source: str, lines: LineIndex
) -> ContractValidationError:
    first = exc.errors()[0]
    path = data_path(first["loc"], data)
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    reason = first["msg"]
    if first["type"] == "extra_forbidden":
        reason = "unknown field (not in ODCS v3)"
    line = lines.get((*path, "<key>")) if first["type"] == "extra_forbidden" else None
    line = line or nearest_line(path, lines)
    return ContractValidationError(source, reason + extra, line=line, field=_field_name(path))
