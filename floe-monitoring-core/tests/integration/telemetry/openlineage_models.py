"""Validate received OpenLineage JSON against the client's typed models.

openlineage-python ships no JSON schema files (its models are generated from the
specification's schemas into attrs classes), so a received event is validated by rebuilding
it with those classes: every required field present, no unknown field, every value of the
declared type, each facet's ``_schemaURL`` the one its class declares, and the classes' own
validators run (``runId`` a UUID, ``eventTime`` an ISO date-time). The custom
``contractViolation`` facet is validated against the JSON schema floe publishes.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

import attr
from jsonschema import Draft202012Validator
from openlineage.client.event_v2 import RunEvent
from openlineage.client.facet_v2 import (
    catalog_dataset,
    data_quality_assertions_dataset,
    dataset_version_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    processing_engine_run,
    schema_dataset,
    tags_run,
)

from floe_monitoring.sdk.lineage_facet import contract_violation_facet_schema

# The facets we emit (and the client adds), by key.
FACETS: dict[str, type] = {
    "catalog": catalog_dataset.CatalogDatasetFacet,
    "dataQualityAssertions": data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet,
    "version": dataset_version_dataset.DatasetVersionDatasetFacet,
    "schema": schema_dataset.SchemaDatasetFacet,
    "documentation": documentation_job.DocumentationJobFacet,
    "jobType": job_type_job.JobTypeJobFacet,
    "errorMessage": error_message_run.ErrorMessageRunFacet,
    "processing_engine": processing_engine_run.ProcessingEngineRunFacet,
    "tags": tags_run.TagsRunFacet,
}
CUSTOM_FACET = "contractViolation"


class InvalidEvent(AssertionError):
    """The JSON does not match the typed model."""


def validate_run_event(data: dict[str, Any]) -> RunEvent:
    """Rebuild a run event from its JSON; raise `InvalidEvent` when it does not fit."""
    event = _build(data, RunEvent, "$")
    assert isinstance(event, RunEvent)
    return event


def validate_custom_facet(facet: dict[str, Any]) -> None:
    """Validate a received ``contractViolation`` facet against the published schema.

    OpenLineage's serializer drops nulls, so a nullable property may be absent.
    """
    schema = contract_violation_facet_schema()
    definition = schema["$defs"]["ContractViolationDatasetFacet"]
    nullable = {n for n, s in definition["properties"].items() if "null" in (s.get("type") or [])}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for error in validator.iter_errors(facet):
        missing = error.message.split("'")[1] if error.validator == "required" else None
        if missing is None or missing not in nullable:
            raise InvalidEvent(f"contractViolation: {error.message}")


def _build(value: Any, hint: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(hint):
            try:
                return _build(value, option, path)
            except InvalidEvent as error:
                errors.append(str(error))
        raise InvalidEvent(f"{path}: {value!r} fits none of {hint}: {errors}")
    if hint is type(None):
        if value is not None:
            raise InvalidEvent(f"{path}: expected null")
        return None
    if origin is list:
        if not isinstance(value, list):
            raise InvalidEvent(f"{path}: expected a list")
        (item,) = typing.get_args(hint)
        return [_build(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise InvalidEvent(f"{path}: expected an object")
        _, item = typing.get_args(hint)
        return {k: _facet_or_value(k, v, item, f"{path}.{k}") for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            raise InvalidEvent(f"{path}: {value!r} is not a {hint.__name__}") from None
    if isinstance(hint, type) and attr.has(hint):
        return _build_attrs(value, hint, path)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(hint, type) and isinstance(value, hint):
        return value
    raise InvalidEvent(f"{path}: {value!r} is not a {hint}")


def _facet_or_value(key: str, value: Any, hint: Any, path: str) -> Any:
    base = typing.get_args(hint)[0] if typing.get_origin(hint) else hint
    if isinstance(base, type) and attr.has(base) and base.__name__.endswith("Facet"):
        if key == CUSTOM_FACET:
            validate_custom_facet(value)
            return value
        facet = FACETS.get(key)
        if facet is None:
            raise InvalidEvent(f"{path}: unexpected facet {key!r}")
        if not issubclass(facet, base):
            raise InvalidEvent(f"{path}: {facet.__name__} is not a {base.__name__}")
        return _build(value, facet, path)
    return _build(value, hint, path)


def _build_attrs(value: Any, cls: type, path: str) -> Any:
    if not isinstance(value, dict):
        raise InvalidEvent(f"{path}: expected an object for {cls.__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attr.fields(cls)}
    unknown = set(value) - set(fields)
    if unknown:
        raise InvalidEvent(f"{path}: unknown fields {sorted(unknown)} for {cls.__name__}")
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        if not field.init:
            # _schemaURL / schemaURL: computed by the class; the received one must match.
            if name in value and value[name] != cls._get_schema():  # type: ignore[attr-defined]
                raise InvalidEvent(f"{path}.{name}: {value[name]!r} is not {cls.__name__}'s")
            continue
        if name not in value:
            if field.default is attr.NOTHING:
                raise InvalidEvent(f"{path}: missing required {name!r} of {cls.__name__}")
            continue
        kwargs[field.alias or name] = _build(value[name], hints[name], f"{path}.{name}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise InvalidEvent(f"{path}: {cls.__name__} rejects it: {error}") from error
