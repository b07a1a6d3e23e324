"""Compare a contract's properties with an observed Iceberg schema (pure, no I/O).

Severities follow the specification: a removed column is critical, a changed type an
error (a safe widening only a warning), an added column or a changed nullability a
warning. A contract column that is gone but whose field id lives on under another name
(found in the table's schema history or the previous observed schema) is a rename: an
error, reported once instead of a removal plus an addition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import JsonValue

from floe_monitoring.checks.schema_observed import ObservedField
from floe_monitoring.checks.schema_types import (
    is_safe_widening,
    logical_types_for,
    normalize_physical,
)
from floe_monitoring.contracts.model import PropertySpec
from floe_monitoring.sdk.enums import Severity

__all__ = ["SchemaChange", "compare_schema"]


@dataclass(frozen=True)
class SchemaChange:
    """One difference between the contract and the table."""

    kind: str  # removed | renamed | type_changed | widened | added | nullability
    path: str
    severity: Severity
    message: str
    expected: str | None = None
    actual: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        """The change as a JSON object (for result details)."""
        data: dict[str, JsonValue] = {
            "kind": self.kind,
            "path": self.path,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.expected is not None:
            data["expected"] = self.expected
        if self.actual is not None:
            data["actual"] = self.actual
        return data


@dataclass
class _State:
    by_path: dict[str, ObservedField]
    by_id: dict[int, ObservedField]
    history: list[list[ObservedField]]
    changes: list[SchemaChange]
    notes: list[str]
    seen: set[str]
    subtrees: set[str]
    expanded: set[str]


def compare_schema(
    properties: Iterable[PropertySpec],
    current: list[ObservedField],
    history: Iterable[list[ObservedField]] = (),
    *,
    allow_extra_columns: bool = False,
) -> tuple[list[SchemaChange], list[str]]:
    """Return the changes (worst first) and notes about what could not be compared."""
    state = _State(
        by_path={f.path: f for f in current},
        by_id={f.id: f for f in current},
        history=list(history),
        changes=[],
        notes=[],
        seen=set(),
        subtrees=set(),
        expanded={""},
    )
    for prop in properties:
        _compare(prop, prop.column, state)
    for field in current:
        parent = field.path.rsplit(".", 1)[0] if "." in field.path else ""
        if field.path in state.seen or _inside(field.path, state.subtrees):
            continue
        if parent not in state.expanded:
            continue  # inside a struct/list/map the contract does not spell out
        if allow_extra_columns:
            state.notes.append(f"extra column {field.path} (allowed)")
            continue
        state.changes.append(
            SchemaChange(
                "added",
                field.path,
                Severity.WARNING,
                f"column {field.path} ({field.type}) is not in the contract",
                actual=field.type,
            )
        )
        state.subtrees.add(field.path)  # its children are part of the same addition
    state.changes.sort(key=lambda c: -c.severity.rank)
    return state.changes, state.notes


def _inside(path: str, subtrees: set[str]) -> bool:
    parts = path.split(".")
    return any(".".join(parts[:depth]) in subtrees for depth in range(1, len(parts) + 1))


def _compare(prop: PropertySpec, path: str, state: _State) -> None:
    field = state.by_path.get(path)
    if field is None:
        _missing(path, state)
        return
    state.seen.add(path)
    _compare_type(prop, field, state)
    if prop.required is not None and prop.required != field.required:
        state.changes.append(
            SchemaChange(
                "nullability",
                path,
                Severity.WARNING,
                f"column {path} is {'required' if field.required else 'optional'} in the table "
                f"but {'required' if prop.required else 'optional'} in the contract",
                expected="required" if prop.required else "optional",
                actual="required" if field.required else "optional",
            )
        )
    children = [(child, f"{path}.{child.column}") for child in prop.properties]
    children += [(spec, f"{path}.{name}") for spec, name in _collection_parts(prop) if spec]
    if children:
        state.expanded.add(path)
    for child, child_path in children:
        _compare(child, child_path, state)


def _collection_parts(prop: PropertySpec) -> list[tuple[PropertySpec | None, str]]:
    return [(prop.items, "element"), (prop.map_key, "key"), (prop.map_value, "value")]


def _compare_type(prop: PropertySpec, field: ObservedField, state: _State) -> None:
    logical = (prop.logical_type or "").strip().lower()
    allowed = logical_types_for(field.type)
    if logical and allowed is not None and logical not in allowed:
        state.changes.append(
            SchemaChange(
                "type_changed",
                field.path,
                Severity.ERROR,
                f"column {field.path} is {field.type}; the contract says logicalType {logical}",
                expected=logical,
                actual=field.type,
            )
        )
        return
    if not prop.physical_type:
        return
    expected = normalize_physical(prop.physical_type)
    if expected is None:
        state.notes.append(f"{field.path}: physicalType '{prop.physical_type}' not compared")
        return
    if expected == field.type:
        return
    widened = is_safe_widening(expected, field.type)
    state.changes.append(
        SchemaChange(
            "widened" if widened else "type_changed",
            field.path,
            Severity.WARNING if widened else Severity.ERROR,
            f"column {field.path} is {field.type}; the contract says {expected}"
            + (" (a safe widening)" if widened else ""),
            expected=expected,
            actual=field.type,
        )
    )


def _missing(path: str, state: _State) -> None:
    for older in state.history:
        old = next((f for f in older if f.path == path), None)
        now = state.by_id.get(old.id) if old else None
        if now is not None and now.path != path:
            state.subtrees.add(now.path)
            state.changes.append(
                SchemaChange(
                    "renamed",
                    path,
                    Severity.ERROR,
                    f"column {path} was renamed to {now.path} (field id {now.id})",
                    expected=path,
                    actual=now.path,
                )
            )
            return
    state.changes.append(
        SchemaChange("removed", path, Severity.CRITICAL, f"column {path} is missing from the table")
    )
