"""What the monitor needs from a contract, extracted from the ODCS document.

These models are frozen and small on purpose: checks, the scheduler and the alert path read
them; the full ODCS document stays available as `Contract.odcs` for anything else, kept as
compact JSON (a monitor holds thousands of contracts: the parsed model was a third of
each one's memory, benchmarks/ scenario 1).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Literal

from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import BaseModel, ConfigDict, Field

from floe_monitoring.catalog.ref import TableRef

__all__ = [
    "Contract",
    "IcebergServer",
    "PropertySpec",
    "QualityRule",
    "SchemaObjectSpec",
    "SlaProperty",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

QualityRuleType = Literal["library", "sql", "text", "custom"]


class QualityRule(BaseModel):
    """One ODCS quality rule, attached to a schema object or to one of its properties."""

    model_config = _FROZEN

    key: str = Field(description="Stable name for results: id, name, or object[.column]#n.")
    type: QualityRuleType = "library"
    metric: str | None = None
    object_name: str
    column: str | None = Field(default=None, description="Physical column, for property rules.")
    unit: str | None = None
    severity: str | None = None
    dimension: str | None = None
    description: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    operators: dict[str, Any] = Field(default_factory=dict, description="The mustBe... set.")
    query: str | None = None
    engine: str | None = None
    implementation: str | dict[str, Any] | None = None
    weight: float | None = None


class PropertySpec(BaseModel):
    """A contract property (column), possibly nested (object/array/map)."""

    model_config = _FROZEN

    name: str
    physical_name: str | None = None
    logical_type: str | None = None
    physical_type: str | None = None
    required: bool | None = None
    primary_key: bool = False
    primary_key_position: int | None = None
    unique: bool | None = None
    properties: tuple[PropertySpec, ...] = ()
    items: PropertySpec | None = None
    map_key: PropertySpec | None = None
    map_value: PropertySpec | None = None

    @property
    def column(self) -> str:
        """The column name in the table: ``physicalName`` when given, else ``name``."""
        return self.physical_name or self.name


class SchemaObjectSpec(BaseModel):
    """A contract schema object (a table) and the Iceberg table it maps to."""

    model_config = _FROZEN

    name: str
    physical_name: str | None = None
    physical_type: str | None = None
    properties: tuple[PropertySpec, ...] = ()
    quality: tuple[QualityRule, ...] = Field(
        default=(), description="Object-level rules, then every property's rules."
    )
    table: TableRef | None = Field(default=None, description="None when it cannot be mapped.")

    def property(self, name: str) -> PropertySpec | None:
        """The top-level property named ``name`` (or whose physical name is ``name``)."""
        for prop in self.properties:
            if name in (prop.name, prop.physical_name):
                return prop
        return None


class SlaProperty(BaseModel):
    """One ``slaProperties`` entry, with its value read according to its kind."""

    model_config = _FROZEN

    property: str = Field(description="Canonical ODCS name (latency, availability...).")
    raw_property: str
    value: str | float | int | bool
    value_ext: str | float | int | bool | None = None
    unit: str | None = None
    element: str | None = None
    driver: str | None = None
    duration: timedelta | None = None
    percent: float | None = Field(default=None, description="A fraction: 99.9% is 0.999.")
    date: datetime | None = None
    problem: str | None = Field(default=None, description="Why the value could not be read.")


class IcebergServer(BaseModel):
    """The contract's ``type: iceberg`` server (ODCS 3.2)."""

    model_config = _FROZEN

    server: str | None = None
    environment: str | None = None
    catalog: str | None = None
    catalog_url: str | None = None
    namespace: str | None = None
    warehouse: str | None = None


class Contract(BaseModel):
    """A loaded contract: identity, tables, SLAs, quality rules and consumers."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    id: str
    name: str
    version: str
    api_version: str
    status: str | None = None
    domain: str | None = None
    data_product: str | None = None
    owner: str | None = None
    team: str | None = None
    tags: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()
    iceberg_servers: tuple[IcebergServer, ...] = ()
    iceberg_server: IcebergServer | None = Field(
        default=None, description="The server the tables were mapped with."
    )
    objects: tuple[SchemaObjectSpec, ...] = ()
    sla: tuple[SlaProperty, ...] = ()
    sla_default_element: str | None = None
    source: str = "<string>"
    warnings: tuple[str, ...] = ()
    odcs_json: bytes = Field(
        repr=False, exclude=True, description="The validated ODCS document, compact JSON."
    )

    @classmethod
    def encode_odcs(cls, odcs: OpenDataContractStandard) -> bytes:
        """`odcs_json` of a validated document (aliases, no nulls)."""
        return odcs.model_dump_json(by_alias=True, exclude_none=True).encode()

    @property
    def odcs(self) -> OpenDataContractStandard:
        """The full ODCS document (validated again from `odcs_json` on each call)."""
        return OpenDataContractStandard.model_validate_json(self.odcs_json)

    def document(self) -> dict[str, Any]:
        """The ODCS document as JSON data: what the state store keeps for cold starts."""
        document: dict[str, Any] = json.loads(self.odcs_json)
        return document

    def object(self, name: str) -> SchemaObjectSpec | None:
        """The schema object named ``name`` (or whose physical name is ``name``)."""
        for obj in self.objects:
            if name in (obj.name, obj.physical_name):
                return obj
        return None

    def resolve_element(self, element: str) -> tuple[SchemaObjectSpec, PropertySpec | None] | None:
        """Find the object (and column) an SLA ``element`` names.

        ``table.column`` names an object and one of its properties; a single name is an
        object, or a property of the only object. Returns None when nothing matches.
        """
        text = element.strip()
        if "." in text:
            object_name, _, column = text.partition(".")
            obj = self.object(object_name)
            if obj is None:
                return None
            prop = obj.property(column)
            return None if prop is None else (obj, prop)
        obj = self.object(text)
        if obj is not None:
            return obj, None
        if len(self.objects) == 1 and (prop := self.objects[0].property(text)) is not None:
            return self.objects[0], prop
        return None

    def sla_properties(self, *names: str) -> tuple[SlaProperty, ...]:
        """The SLA entries whose canonical name is one of ``names``, in file order."""
        return tuple(sla for sla in self.sla if sla.property in names)
