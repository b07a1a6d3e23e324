"""Compute ODCS quality metrics from an Iceberg table (runs in the catalog worker thread).

Library metrics read a scan projected on the columns the rules need; ``rowCount`` comes
from the snapshot summary when no deletes make it unsure. ``sql`` rules run through DuckDB
over the scanned Arrow table when the ``sql`` extra is installed, and are skipped otherwise.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from floe_monitoring.checks.quality_rules import (
    SEVERITY_WEIGHTS,
    QualityEngine,
    RuleOutcome,
    RuleStatus,
    judge,
    rule_severity,
)

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.contracts.model import QualityRule, SchemaObjectSpec

__all__ = ["evaluate_rules"]

_COUNT_METRICS = ("nullValues", "missingValues", "invalidValues", "duplicateValues")
_METRICS = ("rowCount", *_COUNT_METRICS)


class _Skip(Exception):  # control flow inside this module
    pass


def evaluate_rules(
    table: Table, obj: SchemaObjectSpec, engines: Sequence[QualityEngine] = ()
) -> list[RuleOutcome]:
    """Evaluate every rule of ``obj`` against ``table``; one outcome per rule, in order."""
    from floe_monitoring.checks.iceberg_read import total_records

    rules = obj.quality
    duckdb = _duckdb() if any(r.type == "sql" for r in rules) else None
    unreadable = _unreadable(table, _columns(rules, obj, full=False))
    columns = _columns(rules, obj, full=duckdb is not None)
    columns = tuple(c for c in columns if c not in unreadable)
    data = _scan(table, columns) if columns else None
    rows = total_records(table)
    if rows is None:
        rows = data.num_rows if data is not None else table.scan().count()
    outcomes = []
    for rule in rules:
        severity = rule_severity(rule)
        weight = rule.weight if rule.weight is not None else SEVERITY_WEIGHTS[severity]
        try:
            if rule.type == "custom":
                outcomes.append(_custom(rule, table, engines, severity, weight))
                continue
            if rule.type == "text":
                raise _Skip("text rules are for humans; nothing to evaluate")
            blocked = [c for c in _rule_columns(rule, obj) if c in unreadable]
            if blocked and rule.type == "library":
                raise _Skip(f"column {blocked[0]}: {unreadable[blocked[0]]}")
            if rule.type == "sql":
                value = _sql(duckdb, rule, obj, data)
            else:
                value = _metric(rule, obj, data, rows)
            operators = rule.operators or _default_operators(rule)
            holds, expected = judge(value, operators)
            status: RuleStatus = "pass" if holds else "fail"
            message = f"{rule.metric or 'sql'} = {value:g} (expected {expected})"
            outcomes.append(
                RuleOutcome(rule.key, status, severity, weight, value, expected, message)
            )
        except _Skip as skip:
            outcomes.append(RuleOutcome(rule.key, "skipped", severity, weight, message=str(skip)))
        except Exception as exc:  # one bad rule must not hide the others
            message = f"{type(exc).__name__}: {exc}"[:300]
            outcomes.append(RuleOutcome(rule.key, "error", severity, weight, message=message))
    return outcomes


def _duckdb() -> Any:
    try:
        return importlib.import_module("duckdb")
    except ImportError:
        return None


def _default_operators(rule: QualityRule) -> dict[str, Any]:
    if rule.type == "library" and rule.metric == "rowCount":
        return {"mustBeGreaterThan": 0}  # an empty table is the usual worry
    if rule.type == "library" and rule.metric in _COUNT_METRICS:
        return {"mustBe": 0}
    raise _Skip("no mustBe... operator to compare the result with")


def _unreadable(table: Table, columns: tuple[str, ...]) -> dict[str, str]:
    """Columns a flat scan cannot give, with why: missing, or inside a list or map."""
    schema = table.schema()
    problems: dict[str, str] = {}
    for column in columns:
        try:
            schema.find_field(column)
        except ValueError:
            problems[column] = "not in the table (see schema drift)"
            continue
        if {"element", "key", "value"} & set(column.split(".")[1:]):
            problems[column] = "inside a list or map; library metrics read flat columns only"
    return problems


def _column_of(name: str, obj: SchemaObjectSpec) -> str:
    prop = obj.property(name)
    return prop.column if prop is not None else name


def _rule_columns(rule: QualityRule, obj: SchemaObjectSpec) -> list[str]:
    if rule.column:
        return [rule.column]
    names = rule.arguments.get("properties") or rule.arguments.get("columns") or []
    return [_column_of(str(n), obj) for n in names] if isinstance(names, list) else []


def _columns(rules: Sequence[QualityRule], obj: SchemaObjectSpec, *, full: bool) -> tuple[str, ...]:
    if full:
        return ("*",)
    needed: list[str] = []
    for rule in rules:
        if rule.type == "library" and rule.metric in _COUNT_METRICS:
            needed.extend(c for c in _rule_columns(rule, obj) if c not in needed)
    return tuple(needed)


def _scan(table: Table, columns: tuple[str, ...]) -> Any:
    return table.scan(selected_fields=columns).to_arrow()


def _flat(data: Any, names: list[str]) -> Any:
    """``data`` with nested struct fields flattened until every name is a column."""
    import pyarrow as pa  # type: ignore[import-untyped]

    # A projected scan returns "a.b" inside struct "a"; flattening names it "a.b".
    while any(n not in data.column_names for n in names) and any(
        pa.types.is_struct(f.type) for f in data.schema
    ):
        data = data.flatten()
    return data


def _metric(rule: QualityRule, obj: SchemaObjectSpec, data: Any, rows: int) -> float:
    if rule.metric not in _METRICS:
        raise _Skip(f"unknown library metric '{rule.metric}'")
    if rule.metric == "rowCount":
        return float(rows)
    columns = _rule_columns(rule, obj)
    if not columns:
        raise _Skip(f"{rule.metric} needs a column (a property rule or arguments.properties)")
    flat = _flat(data, columns)
    if rule.metric == "duplicateValues":
        count = _duplicates(flat, columns)
    else:
        count = _column_count(rule, flat.column(columns[0]))
    if (rule.unit or "").strip().lower() in ("percent", "%"):
        return 0.0 if rows == 0 else count * 100.0 / rows
    return float(count)


def _column_count(rule: QualityRule, values: Any) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    nulls = int(values.null_count)
    if rule.metric == "nullValues":
        return nulls
    args = rule.arguments
    if rule.metric == "missingValues":
        missing = [v for v in args.get("missingValues", [None, ""]) if v is not None]
        if not missing or not (
            pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
        ):
            return nulls
        hits = pc.is_in(values, value_set=pa.array(missing, type=values.type))
        return nulls + int(pc.sum(hits).as_py() or 0)
    valid = args.get("validValues")
    pattern = args.get("pattern")
    if valid is None and pattern is None:
        raise _Skip("invalidValues needs arguments.validValues or arguments.pattern")
    ok = pc.is_valid(values)  # nulls are not invalid: nullValues counts them
    if valid is not None:
        ok = pc.and_(ok, pc.is_in(values, value_set=pa.array(list(valid), type=values.type)))
    if pattern is not None:
        ok = pc.and_(ok, pc.match_substring_regex(values, pattern=str(pattern)))
    return int(values.length() - nulls - int(pc.sum(ok).as_py() or 0))


def _duplicates(data: Any, columns: list[str]) -> int:
    import pyarrow.compute as pc

    if len(columns) == 1:
        values = data.column(columns[0])
        non_null = values.length() - values.null_count
        return int(non_null - pc.count_distinct(values, mode="only_valid").as_py())
    subset = data.select(columns)
    return int(subset.num_rows - subset.group_by(columns).aggregate([]).num_rows)


def _sql(duckdb: Any, rule: QualityRule, obj: SchemaObjectSpec, data: Any) -> float:
    if duckdb is None:
        raise _Skip("sql rules need DuckDB: install floe-monitoring-core[sql]")
    if not rule.query:
        raise _Skip("sql rule without a query")
    name = obj.physical_name or obj.name
    query = rule.query
    for placeholder in ("${table}", "{table}", "${model}", "{model}", "${object}", "{object}"):
        query = query.replace(placeholder, f'"{name}"')
    if rule.column:
        for placeholder in ("${column}", "{column}", "${property}", "{property}"):
            query = query.replace(placeholder, f'"{rule.column}"')
    connection = duckdb.connect(":memory:")
    try:
        connection.register(name, data)
        if obj.name != name:
            connection.register(obj.name, data)
        row = connection.execute(query).fetchone()
    finally:
        connection.close()
    if not row or row[0] is None:
        raise ValueError("the query returned no value")
    return float(row[0])


def _custom(
    rule: QualityRule,
    table: Table,
    engines: Sequence[QualityEngine],
    severity: Any,
    weight: float,
) -> RuleOutcome:
    for engine in engines:
        if engine.name == rule.engine or engine.supports(rule):
            return engine.evaluate(rule, table)
    return RuleOutcome(
        rule.key, "skipped", severity, weight, message=f"no quality engine for '{rule.engine}'"
    )
