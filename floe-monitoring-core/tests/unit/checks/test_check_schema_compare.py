"""Contract vs observed schema, without a table: every change kind and the type mapping."""

from __future__ import annotations

import pytest

from floe_monitoring.checks.schema_compare import SchemaChange, compare_schema
from floe_monitoring.checks.schema_observed import (
    ObservedField,
    diff_observed,
    fingerprint,
    parse_observed,
    to_json,
)
from floe_monitoring.checks.schema_types import (
    is_safe_widening,
    logical_types_for,
    normalize_physical,
)
from floe_monitoring.contracts import PropertySpec
from floe_monitoring.sdk.enums import Severity

TABLE = [
    ObservedField(1, "id", "long", True),
    ObservedField(2, "amount", "decimal(10,2)", False),
    ObservedField(3, "created", "timestamptz", False),
    ObservedField(4, "addr", "struct", False),
    ObservedField(5, "addr.city", "string", False),
    ObservedField(6, "tags", "list", False),
    ObservedField(7, "tags.element", "string", False),
]


def _prop(name: str, **kwargs: object) -> PropertySpec:
    return PropertySpec.model_validate({"name": name, **kwargs})


def _kinds(changes: list[SchemaChange]) -> set[tuple[str, str, Severity]]:
    return {(c.kind, c.path, c.severity) for c in changes}


def _contract(**overrides: PropertySpec) -> list[PropertySpec]:
    props = {
        "id": _prop("id", logical_type="integer", physical_type="bigint", required=True),
        "amount": _prop("amount", logical_type="number", physical_type="DECIMAL(10, 2)"),
        "created": _prop("created", logical_type="timestamp"),
        "addr": _prop("addr", logical_type="object", properties=[{"name": "city"}]),
        "tags": _prop(
            "tags", logical_type="array", items={"name": "tag", "logical_type": "string"}
        ),
    }
    props.update(overrides)
    return list(props.values())


def test_matching_contract_has_no_changes() -> None:
    changes, notes = compare_schema(_contract(), TABLE)
    assert changes == []
    assert notes == []


def test_each_change_kind_and_severity() -> None:
    table = [
        ObservedField(1, "id", "int", False),  # narrowed and nullable
        ObservedField(2, "amount", "decimal(12,2)", False),  # widened precision
        ObservedField(3, "created", "string", False),  # logical type changed
        ObservedField(4, "addr", "struct", False),
        ObservedField(8, "addr.zip", "string", False),  # addr.city removed, addr.zip added
        ObservedField(9, "extra", "boolean", False),
    ]
    changes, _ = compare_schema(_contract(tags=_prop("amount")), table)
    assert _kinds(changes) == {
        ("type_changed", "id", Severity.ERROR),
        ("nullability", "id", Severity.WARNING),
        ("widened", "amount", Severity.WARNING),
        ("type_changed", "created", Severity.ERROR),
        ("removed", "addr.city", Severity.CRITICAL),
        ("added", "addr.zip", Severity.WARNING),
        ("added", "extra", Severity.WARNING),
    }
    assert changes[0].severity is Severity.CRITICAL  # worst first


def test_rename_is_found_in_the_history_by_field_id() -> None:
    before = [ObservedField(1, "id", "long", True), ObservedField(2, "name", "string", False)]
    after = [ObservedField(1, "id", "long", True), ObservedField(2, "full_name", "string", False)]
    changes, _ = compare_schema([_prop("id"), _prop("name")], after, [before])
    assert _kinds(changes) == {("renamed", "name", Severity.ERROR)}
    assert changes[0].actual == "full_name"
    without_history, _ = compare_schema([_prop("id"), _prop("name")], after)
    assert _kinds(without_history) == {
        ("removed", "name", Severity.CRITICAL),
        ("added", "full_name", Severity.WARNING),
    }


def test_renamed_struct_hides_its_children() -> None:
    before = [
        ObservedField(4, "addr", "struct", False),
        ObservedField(5, "addr.city", "string", False),
    ]
    after = [
        ObservedField(4, "address", "struct", False),
        ObservedField(5, "address.city", "string", False),
    ]
    changes, _ = compare_schema([_prop("addr", properties=[{"name": "city"}])], after, [before])
    assert _kinds(changes) == {("renamed", "addr", Severity.ERROR)}


def test_undeclared_nested_fields_are_not_reported_and_extra_columns_can_be_allowed() -> None:
    contract = [_prop("addr", logical_type="object"), _prop("tags")]
    table = [*TABLE[3:], ObservedField(9, "extra", "string", False)]
    changes, notes = compare_schema(contract, table, allow_extra_columns=True)
    assert changes == []
    assert notes == ["extra column extra (allowed)"]


def test_unknown_physical_types_are_noted_not_flagged() -> None:
    changes, notes = compare_schema([_prop("id", physical_type="VARCHAR2(20)")], TABLE[:1])
    assert changes == []
    assert notes == ["id: physicalType 'VARCHAR2(20)' not compared"]


@pytest.mark.parametrize(
    ("iceberg", "logical"),
    [
        ("boolean", ("boolean",)),
        ("int", ("integer",)),
        ("long", ("integer",)),
        ("double", ("number",)),
        ("decimal(10,2)", ("number",)),
        ("date", ("date",)),
        ("time", ("time", "string")),
        ("timestamp_ns", ("timestamp", "date")),
        ("uuid", ("string",)),
        ("fixed[16]", ("string", "array")),
        ("binary", ("string", "array")),
        ("struct", ("object",)),
        ("list", ("array",)),
        ("map", ("map", "object")),
        ("geometry", None),
    ],
)
def test_iceberg_to_odcs_logical_types(iceberg: str, logical: tuple[str, ...] | None) -> None:
    assert logical_types_for(iceberg) == logical


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("decimal(10, 2)", "decimal(10,2)"),
        ("NUMERIC(10,2)", "decimal(10,2)"),
        ("bigint", "long"),
        ("INT", "int"),
        ("varchar(18)", "string"),
        ("timestamp with time zone", "timestamptz"),
        ("double precision", "double"),
        ("fixed[16]", "fixed[16]"),
        ("struct<a: int>", "struct"),
        ("array<string>", "list"),
        ("VARCHAR2(20)", None),
    ],
)
def test_physical_type_normalisation(text: str, canonical: str | None) -> None:
    assert normalize_physical(text) == canonical


@pytest.mark.parametrize(
    ("source", "target", "safe"),
    [
        ("int", "long", True),
        ("float", "double", True),
        ("decimal(10,2)", "decimal(12,2)", True),
        ("long", "int", False),
        ("double", "float", False),
        ("decimal(10,2)", "decimal(12,4)", False),  # scale changes are not widenings
        ("decimal(12,2)", "decimal(10,2)", False),
        ("string", "binary", False),  # PyIceberg's promote allows it; the spec does not
        ("fixed[16]", "uuid", False),
        ("int", "int", False),
        ("int", "string", False),
        ("nonsense", "long", False),
    ],
)
def test_safe_widenings(source: str, target: str, safe: bool) -> None:
    assert is_safe_widening(source, target) is safe


def test_observed_schema_round_trip_diff_and_fingerprint() -> None:
    stored = to_json(3, TABLE)
    assert parse_observed(stored) == TABLE
    assert parse_observed(None) == []
    assert parse_observed({"fields": [{"id": "x"}, {"path": "a"}]}) == []
    assert fingerprint(TABLE) == fingerprint(list(reversed(TABLE)))
    changed = [
        ObservedField(1, "id", "long", False),
        ObservedField(2, "price", "decimal(12,2)", False),
        ObservedField(10, "new", "string", False),
    ]
    assert fingerprint(changed) != fingerprint(TABLE)
    assert diff_observed(TABLE[:3], changed) == [
        "id: optional now",
        "renamed amount -> price",
        "price: type decimal(10,2) -> decimal(12,2)",
        "removed created",
        "added new",
    ]
