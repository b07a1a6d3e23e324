"""Iceberg types as ODCS sees them: the logicalType mapping and physicalType spellings.

Pure string logic (no PyIceberg import): Iceberg types are handled by their canonical
string (``long``, ``decimal(10,2)``, ``timestamptz``, ``struct``, ``list``, ``map``).
"""

from __future__ import annotations

import re

__all__ = ["ODCS_LOGICAL_TYPES", "is_safe_widening", "logical_types_for", "normalize_physical"]

#: Iceberg type -> the ODCS logicalTypes that describe it (the first is the modern one;
#: the others are what older contracts or tools write).
ODCS_LOGICAL_TYPES: dict[str, tuple[str, ...]] = {
    "boolean": ("boolean",),
    "int": ("integer",),
    "long": ("integer",),
    "float": ("number",),
    "double": ("number",),
    "decimal": ("number",),
    "date": ("date",),
    "time": ("time", "string"),
    "timestamp": ("timestamp", "date"),
    "timestamptz": ("timestamp", "date"),
    "timestamp_ns": ("timestamp", "date"),
    "timestamptz_ns": ("timestamp", "date"),
    "string": ("string",),
    "uuid": ("string",),
    "fixed": ("string", "array"),
    "binary": ("string", "array"),
    "struct": ("object",),
    "list": ("array",),
    "map": ("map", "object"),
}

# Common physicalType spellings (SQL engines, Spark, Arrow) -> Iceberg type.
_ALIASES: dict[str, str] = {
    **dict.fromkeys(("bool", "boolean"), "boolean"),
    **dict.fromkeys(("int", "integer", "int32", "smallint", "tinyint", "short"), "int"),
    **dict.fromkeys(("long", "bigint", "int64"), "long"),
    **dict.fromkeys(("float", "real", "float32"), "float"),
    **dict.fromkeys(("double", "float64", "doubleprecision"), "double"),
    **dict.fromkeys(("date",), "date"),
    **dict.fromkeys(("time",), "time"),
    **dict.fromkeys(("timestamp", "timestamp_ntz", "datetime"), "timestamp"),
    **dict.fromkeys(
        ("timestamptz", "timestamp_ltz", "timestampwithtimezone", "timestamp_tz"), "timestamptz"
    ),
    **dict.fromkeys(("timestamp_ns",), "timestamp_ns"),
    **dict.fromkeys(("timestamptz_ns",), "timestamptz_ns"),
    **dict.fromkeys(("string", "varchar", "text", "char", "str", "large_string"), "string"),
    **dict.fromkeys(("uuid",), "uuid"),
    **dict.fromkeys(("binary", "varbinary", "bytes", "blob"), "binary"),
    **dict.fromkeys(("struct", "object", "record"), "struct"),
    **dict.fromkeys(("list", "array"), "list"),
    **dict.fromkeys(("map",), "map"),
}
_DECIMAL = re.compile(r"^(?:decimal|numeric)\((\d+),(\d+)\)$")
_FIXED = re.compile(r"^fixed\[(\d+)\]$")
_SIZED = re.compile(r"^(varchar|char|string|varbinary|binary)\(\d+\)$")


def base_name(iceberg_type: str) -> str:
    """The kind of a type string: ``decimal(10, 2)`` -> ``decimal``, ``list<int>`` -> ``list``."""
    return re.split(r"[(<\[]", iceberg_type, maxsplit=1)[0].strip()


def logical_types_for(iceberg_type: str) -> tuple[str, ...] | None:
    """The ODCS logicalTypes that match an Iceberg type, or None for types ODCS cannot name."""
    return ODCS_LOGICAL_TYPES.get(base_name(iceberg_type))


def normalize_physical(text: str) -> str | None:
    """A physicalType (or an Iceberg type string) as a canonical Iceberg type, if known.

    ``DECIMAL(10, 2)`` -> ``decimal(10,2)``, ``bigint`` -> ``long``, ``varchar(18)`` ->
    ``string``; nested types keep only their kind (``struct``, ``list``, ``map``).
    Returns None for spellings we do not know (they are then not compared).
    """
    compact = re.sub(r"\s+", "", text.strip().lower())
    if compact.startswith(("struct<", "list<", "array<", "map<")):
        return _ALIASES[base_name(compact)]
    if match := _DECIMAL.match(compact):
        return f"decimal({match[1]},{match[2]})"
    if _FIXED.match(compact):
        return compact
    if match := _SIZED.match(compact):
        return _ALIASES[match[1]]
    return _ALIASES.get(compact)


def is_safe_widening(contract_type: str, table_type: str) -> bool:
    """Whether data written as ``contract_type`` reads safely as ``table_type``.

    Uses `pyiceberg.schema.promote` for the Iceberg rules (int->long, float->double,
    decimal precision up), and rejects what it allows but the spec does not call a
    widening: string<->binary, fixed->uuid, and decimals whose scale changes (PyIceberg
    0.12 compares a decimal's scale with itself).
    """
    source, target = normalize_physical(contract_type), normalize_physical(table_type)
    if source is None or target is None or source == target:
        return False
    if base_name(source) in ("string", "binary", "fixed", "struct", "list", "map"):
        return False
    if source.startswith("decimal"):
        src, dst = _DECIMAL.match(source), _DECIMAL.match(target)
        if not src or not dst or src[2] != dst[2]:
            return False
    from pyiceberg.exceptions import ResolveError
    from pyiceberg.schema import promote
    from pyiceberg.types import IcebergType

    try:
        promote(IcebergType.model_validate(source), IcebergType.model_validate(target))
    except ResolveError:
        return False
    return True
