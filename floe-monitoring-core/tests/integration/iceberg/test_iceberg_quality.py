"""Quality rules on a real table: every metric and operator, SQL through DuckDB, engines."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from pyiceberg.table import Table

from floe_monitoring.catalog import CatalogConfig, IcebergTableSource
from floe_monitoring.checks import CheckResult, CheckStatus, QualityCheck, RuleOutcome
from floe_monitoring.contracts import Contract, ContractOverrides, ContractsConfig, QualityRule
from floe_monitoring.sdk.enums import Severity

from .conftest import NOW, Lake

Build = Callable[..., Contract]

ALL_HOLD = """
schema:
  - name: quality
    quality:
      - id: rows
        metric: rowCount
        mustBe: 6
      - id: pairs
        metric: duplicateValues
        arguments: {properties: [country, amount]}
        mustBe: 1
      - id: big_amounts
        type: sql
        query: SELECT COUNT(*) FROM ${table} WHERE amount > 4
        mustBeGreaterOrEqualTo: 2
    properties:
      - name: id
        quality:
          - id: id_dups
            metric: duplicateValues
            mustBeLessThan: 2
      - name: email
        quality:
          - id: email_nulls
            metric: nullValues
            mustBeLessOrEqualTo: 1
          - id: email_missing
            metric: missingValues
            arguments: {missingValues: [null, ""]}
            mustBe: 2
          - id: email_shape
            metric: invalidValues
            arguments: {pattern: "^[^@]+@[^@]+$"}
            mustNotBe: 0
      - name: status
        quality:
          - id: status_values
            metric: invalidValues
            arguments: {validValues: [ok, late]}
            mustBeGreaterThan: 0
      - name: amount
        quality:
          - id: amount_null_pct
            metric: nullValues
            unit: percent
            mustBeBetween: [10, 20]
          - id: amount_not_too_null
            metric: nullValues
            unit: percent
            mustNotBeBetween: [50, 100]
"""


def _rules(result: CheckResult) -> dict[str, dict[str, Any]]:
    rules = result.details["rules"]
    assert isinstance(rules, list)
    return {str(r["rule"]): r for r in rules if isinstance(r, dict)}


async def _run(contract: Contract, source: IcebergTableSource, **kwargs: Any) -> CheckResult:
    check = QualityCheck(contract.id, object_name="quality", **kwargs)
    return await check.run(contract, source, lambda: NOW)


async def test_every_metric_and_operator_passes(
    build_contract: Build, source: IcebergTableSource
) -> None:
    result = await _run(build_contract(ALL_HOLD), source)
    assert result.status is CheckStatus.PASS, result.message
    assert result.measured_value == 1.0
    assert result.unit == "1"
    values = {key: rule["value"] for key, rule in _rules(result).items()}
    assert values == {
        "rows": 6.0,
        "pairs": 1.0,
        "big_amounts": 2.0,
        "id_dups": 1.0,
        "email_nulls": 1.0,
        "email_missing": 2.0,
        "email_shape": 2.0,  # "bad" and "" do not look like e-mails; null is not counted
        "status_values": 1.0,  # "??"
        "amount_null_pct": pytest.approx(100 / 6),
        "amount_not_too_null": pytest.approx(100 / 6),
    }


async def test_failed_warning_rule_warns(build_contract: Build, source: IcebergTableSource) -> None:
    body = ALL_HOLD.replace(
        "            mustNotBe: 0", "            mustBe: 0\n            severity: warning"
    )
    result = await _run(build_contract(body), source)
    assert (result.status, result.severity) == (CheckStatus.WARN, Severity.WARNING)
    assert _rules(result)["email_shape"]["status"] == "fail"
    assert result.measured_value is not None
    assert 0 < result.measured_value < 1  # weighted: a warning rule weighs 2 of 29


async def test_failed_error_rule_fails_with_the_worst_severity(
    build_contract: Build, source: IcebergTableSource
) -> None:
    body = ALL_HOLD.replace(
        "            mustBeLessThan: 2", "            mustBe: 0\n            severity: critical"
    )
    result = await _run(build_contract(body), source)
    assert (result.status, result.severity) == (CheckStatus.FAIL, Severity.CRITICAL)
    assert result.reason == "rules_failed"
    assert "id_dups" in result.message


async def test_score_below_the_configured_minimum_fails(
    build_contract: Build, source: IcebergTableSource
) -> None:
    body = ALL_HOLD.replace(
        "            mustNotBe: 0", "            mustBe: 0\n            severity: info"
    )
    strict = ContractOverrides.model_validate({"thresholds": {"min_quality_score": 0.99}})
    result = await _run(build_contract(body), source, overrides=strict)
    assert (result.status, result.severity) == (CheckStatus.FAIL, Severity.ERROR)
    assert result.threshold == 0.99


async def test_a_rule_that_cannot_run_is_an_error(
    build_contract: Build, source: IcebergTableSource
) -> None:
    body = """
schema:
  - name: quality
    quality:
      - id: bad_sql
        type: sql
        query: SELECT COUNT(*) FROM no_such_relation
        mustBe: 0
    properties:
      - name: email
        quality:
          - id: bad_regex
            metric: invalidValues
            arguments: {pattern: "(["}
"""
    result = await _run(build_contract(body), source)
    assert (result.status, result.reason) == (CheckStatus.ERROR, "rule_error")
    assert {r["status"] for r in _rules(result).values()} == {"error"}


async def test_sql_rules_are_skipped_without_duckdb(
    build_contract: Build, source: IcebergTableSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # makes `import duckdb` fail
    body = """
schema:
  - name: quality
    quality:
      - type: sql
        query: SELECT COUNT(*) FROM ${table}
        mustBe: 6
      - type: text
        description: amounts look plausible to a human
"""
    result = await _run(build_contract(body), source)
    assert (result.status, result.reason) == (CheckStatus.SKIPPED, "no_evaluable_rules")
    assert "DuckDB" in result.message


async def test_external_engine_evaluates_custom_rules(
    build_contract: Build, source: IcebergTableSource
) -> None:
    class RowEngine:
        name = "rows"

        def supports(self, rule: QualityRule) -> bool:
            return False

        def evaluate(self, rule: QualityRule, table: Table) -> RuleOutcome:
            count = table.scan().count()
            ok = count == rule.arguments["expected"]
            return RuleOutcome(rule.key, "pass" if ok else "fail", Severity.ERROR, 1.0, count)

    body = """
schema:
  - name: quality
    quality:
      - id: via_engine
        type: custom
        engine: rows
        arguments: {expected: 6}
      - id: nobody
        type: custom
        engine: soda
"""
    result = await _run(build_contract(body), source, engines=[RowEngine()])
    rules = _rules(result)
    assert result.status is CheckStatus.PASS
    assert (rules["via_engine"]["status"], rules["via_engine"]["value"]) == ("pass", 6)
    assert rules["nobody"]["status"] == "skipped"
    assert "soda" in str(rules["nobody"]["message"])


async def test_empty_table_fails_row_count_and_missing_table_fails(
    build_contract: Build, source: IcebergTableSource
) -> None:
    body = """
schema:
  - name: emptied
    quality:
      - metric: rowCount
    properties:
      - name: status
        quality:
          - metric: nullValues
            unit: percent
"""
    contract = build_contract(body)
    result = await QualityCheck(contract.id, object_name="emptied").run(
        contract, source, lambda: NOW
    )
    assert result.status is CheckStatus.FAIL
    outcomes = {r["status"] for r in _rules(result).values()}
    assert outcomes == {"pass", "fail"}  # rowCount 0 fails; 0% nulls of nothing passes

    missing = build_contract(body.replace("emptied", "no_such_table"))
    gone = await QualityCheck(missing.id, object_name="no_such_table").run(
        missing, source, lambda: NOW
    )
    assert (gone.status, gone.reason) == (CheckStatus.FAIL, "table_missing")


async def test_unreachable_catalog_is_an_error(
    build_contract: Build, lake: Lake, unreachable_catalog: CatalogConfig
) -> None:
    contract = build_contract(
        ALL_HOLD, config=ContractsConfig(defaults=ContractOverrides(catalog="down"))
    )
    async with IcebergTableSource(lake.source_config(unreachable_catalog)) as down:
        result = await _run(contract, down)
    assert (result.status, result.reason) == (CheckStatus.ERROR, "catalog_unavailable")


async def test_nested_columns_are_read_and_unreadable_ones_skipped(
    build_contract: Build, source: IcebergTableSource
) -> None:
    body = """
schema:
  - name: same
    quality:
      - id: sql_still_sees_structs
        type: sql
        query: SELECT COUNT(*) FROM ${table} WHERE addr.city IS NULL
        mustBe: 0
    properties:
      - name: addr
        properties:
          - name: city
            quality:
              - id: city_present
                metric: nullValues
                mustBe: 0
      - name: tags
        items:
          name: tag
          quality:
            - id: tag_present
              metric: nullValues
      - name: vanished
        quality:
          - id: vanished_nulls
            metric: nullValues
"""
    contract = build_contract(body, namespace="drift")
    result = await QualityCheck(contract.id, object_name="same").run(contract, source, lambda: NOW)
    rules = _rules(result)
    assert result.status is CheckStatus.PASS, result.message
    assert (rules["city_present"]["status"], rules["city_present"]["value"]) == ("pass", 0.0)
    assert rules["sql_still_sees_structs"]["status"] == "pass"
    assert rules["tag_present"]["status"] == "skipped"
    assert "list or map" in str(rules["tag_present"]["message"])
    assert rules["vanished_nulls"]["status"] == "skipped"
    assert "not in the table" in str(rules["vanished_nulls"]["message"])
