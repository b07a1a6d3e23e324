"""Turn a validated ODCS document into the monitor's `Contract`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from open_data_contract_standard.model import (
    CustomProperty,
    DataQuality,
    OpenDataContractStandard,
    SchemaObject,
    SchemaProperty,
    ServiceLevelAgreementProperty,
    Team,
)

from floe_monitoring.contracts.model import (
    Contract,
    IcebergServer,
    PropertySpec,
    QualityRule,
    SchemaObjectSpec,
    SlaProperty,
)
from floe_monitoring.contracts.sla import (
    canonical_sla_name,
    parse_date,
    parse_duration,
    parse_percent,
)

__all__ = ["OPERATORS", "extract_contract"]

#: The ODCS comparison operators of library and sql rules.
OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)
# ODCS 3.0 named library rules with `rule:`; 3.1 renamed the field `metric` and the values.
_LEGACY_METRICS = {
    "nullcheck": "nullValues",
    "nullvalues": "nullValues",
    "missingvalues": "missingValues",
    "invalidvalues": "invalidValues",
    "validvalues": "invalidValues",
    "duplicatecount": "duplicateValues",
    "duplicatevalues": "duplicateValues",
    "uniquecheck": "duplicateValues",
    "rowcount": "rowCount",
}
_DURATION_KINDS = {"latency", "freshness", "retention", "frequency"}
_DURATION_KINDS |= {"timeToDetect", "timeToNotify", "timeToRepair"}
_PERCENT_KINDS = {"availability", "errorRate"}
_DATE_KINDS = {"generalAvailability", "endOfSupport", "endOfLife"}
_CONSUMER_KEYS = {"consumers", "affectedconsumers"}


def extract_contract(odcs: OpenDataContractStandard, *, source: str) -> Contract:
    """Extract identity, servers, objects, SLAs, quality rules and consumers.

    Tables are not mapped here (see `map_tables`); values that cannot be read (an SLA of
    ``"fast"``) become warnings and the checks that need them report ``skipped``.
    """
    warnings: list[str] = []
    owner, team = _owner_and_team(odcs)
    objects = tuple(_object(obj, index) for index, obj in enumerate(odcs.schema_ or ()))
    sla = tuple(_sla(item, index, warnings) for index, item in enumerate(odcs.slaProperties or ()))
    return Contract(
        id=str(odcs.id),
        name=odcs.name or str(odcs.id),
        version=str(odcs.version),
        api_version=str(odcs.apiVersion),
        status=odcs.status,
        domain=odcs.domain,
        data_product=odcs.dataProduct,
        owner=owner or _custom(odcs.customProperties, {"owner"}),
        team=team,
        tags=tuple(odcs.tags or ()),
        consumers=_consumers(odcs.customProperties),
        iceberg_servers=tuple(
            IcebergServer(
                server=server.server,
                environment=server.environment,
                catalog=server.catalog,
                catalog_url=server.catalogUrl,
                namespace=server.namespace,
                warehouse=server.warehouse,
            )
            for server in odcs.servers or ()
            if (server.type or "").lower() == "iceberg"
        ),
        objects=objects,
        sla=sla,
        sla_default_element=odcs.slaDefaultElement,
        source=source,
        warnings=tuple(warnings),
        odcs_json=Contract.encode_odcs(odcs),
    )


def _owner_and_team(odcs: OpenDataContractStandard) -> tuple[str | None, str | None]:
    # ODCS 3.0 has a list of members; 3.1+ a Team object with a name and members.
    team = odcs.team
    members = team.members if isinstance(team, Team) else team
    owner = None
    for member in members or ():
        if "owner" in (member.role or "").lower():
            owner = member.username or member.name
            break
    team_name = team.name if isinstance(team, Team) else None
    return owner or team_name, team_name


def _custom(props: Iterable[CustomProperty] | None, keys: set[str]) -> Any:
    for prop in props or ():
        if (prop.property or "").lower() in keys:
            return prop.value
    return None


def _consumers(props: list[CustomProperty] | None) -> tuple[str, ...]:
    value = _custom(props, _CONSUMER_KEYS)
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()


def _property(prop: SchemaProperty, index: int) -> PropertySpec:
    map_def = prop.map
    return PropertySpec(
        name=prop.name or prop.physicalName or f"property_{index}",
        physical_name=prop.physicalName,
        logical_type=prop.logicalType,
        physical_type=prop.physicalType,
        required=prop.required,
        primary_key=bool(prop.primaryKey),
        primary_key_position=prop.primaryKeyPosition,
        unique=prop.unique,
        properties=tuple(_property(child, i) for i, child in enumerate(prop.properties or ())),
        items=_property(prop.items, 0) if prop.items else None,
        map_key=_property(map_def.key, 0) if map_def and map_def.key else None,
        map_value=_property(map_def.value, 1) if map_def and map_def.value else None,
    )


def _object(obj: SchemaObject, index: int) -> SchemaObjectSpec:
    name = obj.name or obj.physicalName or f"object_{index}"
    props = tuple(_property(prop, i) for i, prop in enumerate(obj.properties or ()))
    rules = [_rule(dq, name, None, i) for i, dq in enumerate(obj.quality or ())]
    for prop_model, spec in zip(obj.properties or (), props, strict=True):
        rules.extend(_property_rules(prop_model, spec, name, prefix=""))
    return SchemaObjectSpec(
        name=name,
        physical_name=obj.physicalName,
        physical_type=obj.physicalType,
        properties=props,
        quality=tuple(rules),
    )


def _property_rules(
    prop: SchemaProperty, spec: PropertySpec, object_name: str, prefix: str
) -> list[QualityRule]:
    column = f"{prefix}{spec.column}"
    rules = [_rule(dq, object_name, column, i) for i, dq in enumerate(prop.quality or ())]
    for child, child_spec in zip(prop.properties or (), spec.properties, strict=True):
        rules.extend(_property_rules(child, child_spec, object_name, prefix=f"{column}."))
    # Inside collections, paths follow Iceberg's naming: lines.element.qty, attrs.value.x.
    nested: list[tuple[SchemaProperty | None, PropertySpec | None, str]]
    nested = [(prop.items, spec.items, "element")]
    if prop.map and spec.map_key and spec.map_value:
        nested += [(prop.map.key, spec.map_key, "key"), (prop.map.value, spec.map_value, "value")]
    for inner, inner_spec, part in nested:
        if inner is not None and inner_spec is not None:
            rules.extend(_collection_rules(inner, inner_spec, object_name, f"{column}.{part}"))
    return rules


def _collection_rules(
    prop: SchemaProperty, spec: PropertySpec, object_name: str, column: str
) -> list[QualityRule]:
    # The element itself is named by its position (element/key/value), not its own name.
    rules = [_rule(dq, object_name, column, i) for i, dq in enumerate(prop.quality or ())]
    for child, child_spec in zip(prop.properties or (), spec.properties, strict=True):
        rules.extend(_property_rules(child, child_spec, object_name, prefix=f"{column}."))
    return rules


def _rule(dq: DataQuality, object_name: str, column: str | None, index: int) -> QualityRule:
    metric = dq.metric or dq.rule
    if metric is not None:
        metric = _LEGACY_METRICS.get(metric.lower(), metric)
    kind = (dq.type or "").lower()
    if kind not in ("library", "sql", "text", "custom"):
        kind = "sql" if dq.query and not metric else "custom" if kind else "library"
    weight = _custom(dq.customProperties, {"weight"})
    place = f"{object_name}.{column}" if column else object_name
    return QualityRule(
        key=dq.id or dq.name or f"{place}#{index}",
        type=kind,  # type: ignore[arg-type]
        metric=metric,
        object_name=object_name,
        column=column,
        unit=dq.unit,
        severity=dq.severity,
        dimension=dq.dimension,
        description=dq.description,
        arguments=dict(dq.arguments or {}),
        operators={op: getattr(dq, op) for op in OPERATORS if getattr(dq, op) is not None},
        query=dq.query,
        engine=dq.engine,
        implementation=dq.implementation,
        weight=float(weight) if isinstance(weight, int | float) else None,
    )


def _sla(item: ServiceLevelAgreementProperty, index: int, warnings: list[str]) -> SlaProperty:
    raw = str(item.property)
    name = canonical_sla_name(raw)
    where = f"slaProperties[{index}] ({raw})"
    if name is None:
        warnings.append(f"{where}: unknown SLA property; not monitored")
        name = raw
    value = item.value if item.value is not None else ""
    fields: dict[str, Any] = {}
    try:
        if name in _DURATION_KINDS:
            duration = parse_duration(value, item.unit)
            fields["duration"] = duration.value
            if duration.warning:
                warnings.append(f"{where}: {duration.warning}")
        elif name in _PERCENT_KINDS:
            fields["percent"] = parse_percent(value, item.unit)
        elif name in _DATE_KINDS:
            fields["date"] = parse_date(value)
    except ValueError as exc:
        fields["problem"] = str(exc)
        warnings.append(f"{where}: {exc}")
    return SlaProperty(
        property=name,
        raw_property=raw,
        value=value,
        value_ext=item.valueExt,
        unit=item.unit,
        element=item.element,
        driver=item.driver,
        **fields,
    )
