"""The observed schema: an Iceberg schema flattened to JSON the engine can store.

Each field is ``{"id", "path", "type", "required"}`` with paths in Iceberg's naming
(``address.city``, ``tags.element``, ``attrs.key``/``attrs.value``). The fingerprint hashes
the fields only, so two schema ids with the same columns share a fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from floe_monitoring.checks.schema_types import normalize_physical

if TYPE_CHECKING:
    from pyiceberg.schema import Schema

__all__ = [
    "ObservedField",
    "diff_observed",
    "fingerprint",
    "observe_schema",
    "parse_observed",
    "to_json",
]


@dataclass(frozen=True)
class ObservedField:
    """One (possibly nested) field of an observed schema."""

    id: int
    path: str
    type: str
    required: bool

    def to_json(self) -> dict[str, JsonValue]:
        """The field as a JSON object."""
        return {"id": self.id, "path": self.path, "type": self.type, "required": self.required}


def observe_schema(schema: Schema) -> list[ObservedField]:
    """Flatten a PyIceberg schema, parents before children, in declaration order."""
    fields: list[ObservedField] = []
    for field in schema.fields:
        _walk(field.field_id, field.name, field.field_type, field.required, fields)
    return fields


def _walk(field_id: int, path: str, kind: Any, required: bool, out: list[ObservedField]) -> None:
    from pyiceberg.types import ListType, MapType, StructType

    text = str(kind)
    out.append(ObservedField(field_id, path, normalize_physical(text) or text, required))
    if isinstance(kind, StructType):
        for child in kind.fields:
            _walk(child.field_id, f"{path}.{child.name}", child.field_type, child.required, out)
    elif isinstance(kind, ListType):
        element = kind.element_field
        _walk(element.field_id, f"{path}.element", element.field_type, element.required, out)
    elif isinstance(kind, MapType):
        _walk(kind.key_id, f"{path}.key", kind.key_type, True, out)
        value = kind.value_field
        _walk(value.field_id, f"{path}.value", value.field_type, value.required, out)


def to_json(schema_id: int, fields: list[ObservedField]) -> dict[str, JsonValue]:
    """The observed schema as stored: ``{"schema_id", "fields": [...]}``."""
    return {"schema_id": schema_id, "fields": [f.to_json() for f in fields]}


def parse_observed(data: dict[str, Any] | None) -> list[ObservedField]:
    """Read back a stored observed schema (tolerating None and malformed entries)."""
    fields: list[ObservedField] = []
    for item in (data or {}).get("fields", []) or []:
        try:
            fields.append(
                ObservedField(
                    int(item["id"]), str(item["path"]), str(item["type"]), bool(item["required"])
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return fields


def fingerprint(fields: list[ObservedField]) -> str:
    """A stable hash of the fields (``sha256:<hex>``)."""
    ordered = [f.to_json() for f in sorted(fields, key=lambda f: f.id)]
    canonical = json.dumps(ordered, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def diff_observed(previous: list[ObservedField], current: list[ObservedField]) -> list[str]:
    """What changed between two observed schemas, by field id, as short sentences."""
    before = {f.id: f for f in previous}
    after = {f.id: f for f in current}
    changes: list[str] = []
    for field_id, old in before.items():
        new = after.get(field_id)
        if new is None:
            changes.append(f"removed {old.path}")
            continue
        if new.path != old.path:
            changes.append(f"renamed {old.path} -> {new.path}")
        if new.type != old.type:
            changes.append(f"{new.path}: type {old.type} -> {new.type}")
        if new.required != old.required:
            changes.append(f"{new.path}: {'required' if new.required else 'optional'} now")
    changes.extend(f"added {new.path}" for field_id, new in after.items() if field_id not in before)
    return changes
