"""Loading ODCS v3.0-3.2 contracts: what is extracted, and how broken files are reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import floe_monitoring.contracts.loader as contract_loader
from floe_monitoring.catalog import TableRef
from floe_monitoring.contracts import Contract, load_contract, load_contracts, parse_contract
from floe_monitoring.contracts.loader import MAX_CONTRACT_BYTES
from floe_monitoring.errors import ContractError, ContractParseError, ContractValidationError

# The shape of the ODCS v3.0 full example: a member list as team, unquoted timestamps,
# `rule:` quality, list-form slaProperties with value + unit, and `09:00-08:00`.
ODCS_30_FULL = """\
apiVersion: v3.0.2
kind: DataContract
id: 53581432-6c55-4ba2-a65f-72344a91553a
name: seller_payments_v1
version: 1.1.0
status: active
domain: seller
dataProduct: payments
tenant: ClimateQuantumInc
description:
  purpose: Views built on top of the seller tables.
tags: [finance]
team:
  - username: ceastwood
    role: Data Scientist
    dateIn: 2022-08-02
  - username: mhopper
    role: Data Owner
    dateIn: 2022-08-02
schema:
  - name: tbl
    physicalName: tbl_1
    physicalType: table
    quality:
      - rule: rowCount
        mustBeGreaterThan: 5
    properties:
      - name: txn_ref_dt
        logicalType: date
        physicalType: date
        required: false
        quality:
          - rule: nullCheck
            type: library
            severity: error
      - name: rcvr_id
        primaryKey: true
        primaryKeyPosition: 1
        logicalType: string
        physicalType: varchar(18)
slaDefaultElement: tab1.txn_ref_dt
slaProperties:
  - property: latency
    value: 4
    unit: d
    element: tab1.txn_ref_dt
  - property: generalAvailability
    value: 2022-05-12T09:30:10-08:00
  - property: endOfSupport
    value: 2032-05-12T09:30:10-08:00
  - property: endOfLife
    value: 2042-05-12T09:30:10-08:00
  - property: retention
    value: 3
    unit: y
    element: tab1.txn_ref_dt
  - property: frequency
    value: 1
    valueExt: 1
    unit: d
    element: tab1.txn_ref_dt
  - property: timeOfAvailability
    value: 09:00-08:00
    element: tab1.txn_ref_dt
    driver: regulatory
contractCreatedTs: 2022-11-15T02:59:43+00:00
"""

ODCS_32_ICEBERG = """\
apiVersion: v3.2.0
kind: DataContract
id: orders
name: Orders
version: 2.0.0
status: active
domain: sales
team:
  name: sales-data
  members:
    - username: alice
      role: owner
servers:
  - server: prod
    type: iceberg
    catalog: lake
    catalogUrl: https://catalog.example.invalid
    namespace: sales.eu
    warehouse: s3://bucket/warehouse
  - server: other
    type: postgres
    host: db.example.invalid
schema:
  - name: orders
    physicalName: orders_v2
    properties:
      - name: order_id
        physicalName: id
        logicalType: integer
        physicalType: bigint
        required: true
        primaryKey: true
      - name: lines
        logicalType: array
        items:
          name: line
          logicalType: object
          properties:
            - name: sku
              logicalType: string
            - name: qty
              logicalType: integer
              quality:
                - metric: nullValues
                  mustBe: 0
      - name: attrs
        logicalType: map
  - name: customers
slaProperties:
  - property: Freshness
    value: PT6H
    element: orders.updated_at
  - property: AV
    value: 99.9%
  - property: ly
    value: 30
    unit: m
customProperties:
  - property: consumers
    value: [finance-dashboard, ml-churn]
"""


def test_odcs_30_full_example_loads_without_coercion() -> None:
    contract = parse_contract(ODCS_30_FULL, source="full.yaml")
    assert (contract.id, contract.name, contract.version) == (
        "53581432-6c55-4ba2-a65f-72344a91553a",
        "seller_payments_v1",
        "1.1.0",
    )
    assert (contract.domain, contract.owner, contract.status) == ("seller", "mhopper", "active")
    assert contract.odcs.contractCreatedTs == "2022-11-15T02:59:43+00:00"
    sla = {s.raw_property: s for s in contract.sla}
    assert sla["latency"].duration == timedelta(days=4)
    assert sla["retention"].duration == timedelta(days=3 * 365)
    assert sla["frequency"].duration == timedelta(days=1)
    assert sla["endOfLife"].date == datetime(2042, 5, 12, 17, 30, 10, tzinfo=UTC)
    assert sla["timeOfAvailability"].value == "09:00-08:00"
    assert sla["timeOfAvailability"].driver == "regulatory"
    assert contract.sla_default_element == "tab1.txn_ref_dt"
    rules = {(r.column, r.metric): r for r in contract.objects[0].quality}
    assert rules[(None, "rowCount")].operators == {"mustBeGreaterThan": 5}
    assert rules[("txn_ref_dt", "nullValues")].severity == "error"
    prop = contract.objects[0].property("rcvr_id")
    assert prop is not None
    assert (prop.primary_key, prop.primary_key_position, prop.physical_type) == (
        True,
        1,
        "varchar(18)",
    )
    assert contract.objects[0].table is None  # no iceberg server, no default namespace
    assert any("maps to" in w or "namespace" in w for w in contract.warnings)


def test_odcs_32_iceberg_contract_maps_tables_and_reads_everything() -> None:
    contract = parse_contract(ODCS_32_ICEBERG, source="orders.yaml")
    assert (contract.owner, contract.team) == ("alice", "sales-data")
    assert contract.consumers == ("finance-dashboard", "ml-churn")
    server = contract.iceberg_server
    assert server is not None
    assert (server.catalog, server.namespace, server.warehouse) == (
        "lake",
        "sales.eu",
        "s3://bucket/warehouse",
    )
    assert len(contract.iceberg_servers) == 1  # the postgres server is not ours
    orders, customers = contract.objects
    assert orders.table == TableRef(catalog="lake", namespace=("sales", "eu"), name="orders_v2")
    assert customers.table == TableRef(catalog="lake", namespace=("sales", "eu"), name="customers")
    order_id = orders.property("id")
    assert order_id is not None
    assert (order_id.name, order_id.column, order_id.required) == ("order_id", "id", True)
    lines = orders.property("lines")
    assert lines is not None
    assert lines.items is not None
    assert [p.name for p in lines.items.properties] == ["sku", "qty"]
    # Rules inside collections are found, with Iceberg's path naming.
    assert [(r.column, r.metric) for r in orders.quality] == [("lines.element.qty", "nullValues")]
    sla = {s.property: s for s in contract.sla}
    assert sla["freshness"].duration == timedelta(hours=6)
    assert sla["availability"].percent == 0.999
    assert sla["latency"].duration == timedelta(minutes=30)
    assert any("ambiguous" in w for w in contract.warnings)


def test_json_contracts_load_like_yaml(tmp_path: Path) -> None:
    data = parse_contract(ODCS_32_ICEBERG).odcs.model_dump(by_alias=True, exclude_none=True)
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(data, indent=2))
    contract = load_contract(path)
    assert contract.id == "orders"
    assert contract.source == str(path)
    assert contract.objects[0].table is not None


def test_extraction_of_resolvable_elements() -> None:
    contract = parse_contract(ODCS_32_ICEBERG)
    resolved = contract.resolve_element("orders.id")
    assert resolved is not None
    assert resolved[0].name == "orders"
    assert resolved[1] is not None
    assert resolved[1].name == "order_id"
    assert contract.resolve_element("customers") == (contract.objects[1], None)
    assert contract.resolve_element("orders.nothing") is None
    assert contract.resolve_element("nothing") is None


def _error(text: str, tmp_path: Path, name: str = "bad.yaml") -> ContractError:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ContractError) as caught:
        load_contract(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return caught.value


HEAD = "apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\n"


@pytest.mark.parametrize(
    ("text", "kind", "line", "field", "reason"),
    [
        ("id: [unclosed\nname: x\n", ContractParseError, 2, None, "invalid YAML"),
        ("id: a\nid: b\n", ContractParseError, 2, None, "duplicate key"),
        ("- just\n- a list\n", ContractParseError, 1, None, "must be a mapping"),
        (HEAD + "owner: me\n", ContractValidationError, 5, "owner", "unknown field"),
        (
            HEAD
            + "schema:\n  - name: a\n    properties:\n      - name: b\n        required: maybe\n",
            ContractValidationError,
            9,
            "schema[0].properties[0].required",
            "valid boolean",
        ),
        (
            HEAD.replace("v3.1.0", "v2.2.2"),
            ContractValidationError,
            1,
            "apiVersion",
            "unsupported ODCS version 'v2.2.2'",
        ),
        (HEAD.replace("id: x\n", ""), ContractValidationError, 1, "id", "required"),
        (HEAD.replace("DataContract", "Table"), ContractValidationError, 2, "kind", "DataContract"),
        (
            HEAD + "slaProperties:\n  - property: latency\n    unit: h\n",
            ContractValidationError,
            6,
            "slaProperties[0].value",
            "required",
        ),
    ],
)
def test_broken_files_name_file_line_and_field(
    tmp_path: Path,
    text: str,
    kind: type[ContractError],
    line: int,
    field: str | None,
    reason: str,
) -> None:
    error = _error(text, tmp_path)
    assert isinstance(error, kind)
    assert (error.line, error.field) == (line, field)
    assert reason in error.reason
    where = f"{error.path}:{line}: " + (f"{field}: " if field else "")
    assert str(error).startswith(where)


def test_json_syntax_errors_have_their_line(tmp_path: Path) -> None:
    error = _error('{\n  "id": "x",\n  "version": \n}\n', tmp_path, "bad.json")
    assert isinstance(error, ContractParseError)
    assert error.line == 4
    assert "invalid JSON" in str(error)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    with pytest.raises(ContractParseError, match="cannot read"):
        load_contract(path)
    with pytest.raises(ContractParseError, match="cannot read"):
        load_contract(tmp_path / "missing.yaml")


def test_one_bad_file_never_stops_the_others(tmp_path: Path) -> None:
    (tmp_path / "a_good.yaml").write_text(ODCS_32_ICEBERG)
    (tmp_path / "b_broken.yaml").write_text("id: [\n")
    nested = tmp_path / "team"
    nested.mkdir()
    (nested / "c_good.yml").write_text(ODCS_30_FULL)
    (nested / "d_invalid.yaml").write_text(HEAD + "unknown: 1\n")
    (tmp_path / "e_duplicate.yaml").write_text(ODCS_32_ICEBERG)
    (tmp_path / "notes.txt").write_text("not a contract")
    hidden = tmp_path / ".git"
    hidden.mkdir()
    (hidden / "x.yaml").write_text("id: [\n")

    result = load_contracts(tmp_path)

    assert [c.id for c in result.contracts] == ["orders", "53581432-6c55-4ba2-a65f-72344a91553a"]
    problems = {Path(e.path).name: e for e in result.errors}
    assert set(problems) == {"b_broken.yaml", "d_invalid.yaml", "e_duplicate.yaml"}
    assert problems["e_duplicate.yaml"].field == "id"
    assert "duplicate contract id" in str(problems["e_duplicate.yaml"])


def test_load_contracts_accepts_a_list_of_files(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(ODCS_32_ICEBERG)
    result = load_contracts([good, tmp_path / "absent.yaml"])
    assert [c.id for c in result.contracts] == ["orders"]
    assert len(result.errors) == 1
    assert isinstance(result.errors[0], ContractParseError)


def test_integer_versions_are_accepted_as_text() -> None:
    contract = parse_contract(HEAD.replace("version: 1.0.0", "version: 2"))
    assert contract.version == "2"
    assert isinstance(contract, Contract)


def test_a_contract_with_an_alias_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    """D6: contracts share the alias-refusing loader; the error names file and line."""
    text = HEAD + "x0: &x0 [lol, lol]\nx1: [*x0, *x0]\n"
    error = _error(text, tmp_path)
    assert isinstance(error, ContractParseError)
    assert error.line == 6
    assert str(error) == f"{tmp_path / 'bad.yaml'}:6: invalid YAML: YAML aliases are not supported"


def test_a_contract_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    """D8: the size is checked before reading (a sparse file: no bytes are written)."""
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(MAX_CONTRACT_BYTES + 1)
    with pytest.raises(ContractParseError) as caught:
        load_contract(path)
    assert str(caught.value) == (
        f"{path}: is {MAX_CONTRACT_BYTES + 1} bytes; "
        f"a contract file is at most {MAX_CONTRACT_BYTES}"
    )
    result = load_contracts(tmp_path)
    assert [Path(e.path).name for e in result.errors] == ["huge.yaml"]


def test_a_contract_file_at_the_size_limit_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(ODCS_32_ICEBERG)
    size = path.stat().st_size
    monkeypatch.setattr(contract_loader, "MAX_CONTRACT_BYTES", size)  # a small limit: a fast test
    assert load_contract(path).id == "orders"
    monkeypatch.setattr(contract_loader, "MAX_CONTRACT_BYTES", size - 1)
    with pytest.raises(ContractParseError, match=f"is {size} bytes; a contract file is at most"):
        load_contract(path)


def test_windows_line_endings_still_load(tmp_path: Path) -> None:
    (tmp_path / "crlf.yaml").write_bytes(ODCS_32_ICEBERG.replace("\n", "\r\n").encode())
    assert load_contract(tmp_path / "crlf.yaml").id == "orders"


@pytest.mark.parametrize(
    ("name", "text", "line", "field"),
    [
        ("name.yaml", HEAD + 'name: "orders \\ud800"\n', 5, "name"),
        (
            "nested.yaml",
            HEAD + 'schema:\n  - name: orders\n    description: "x \\udfff y"\n',
            7,
            "schema[0].description",
        ),
        ("key.yaml", HEAD + 'customProperties: {"k\\ud800": 1}\n', 5, "customProperties.k\\ud800"),
        ("value.json", json.dumps({"id": "x", "name": "\ud800"}), 1, "name"),
    ],
)
def test_a_lone_surrogate_is_refused_naming_the_field(
    tmp_path: Path, name: str, text: str, line: int, field: str
) -> None:
    """D11 (load side): text that cannot be UTF-8 never becomes a contract."""
    error = _error(text, tmp_path, name)
    assert isinstance(error, ContractValidationError)
    assert (error.line, error.field) == (line, field)
    assert "not valid Unicode text" in error.reason
    str(error).encode("utf-8")  # the message itself is printable anywhere


def test_a_lone_surrogate_skips_only_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "a_good.yaml").write_text(ODCS_32_ICEBERG)
    (tmp_path / "b_bad.yaml").write_text(HEAD + 'name: "orders \\ud800"\n')
    result = load_contracts(tmp_path)
    assert [c.id for c in result.contracts] == ["orders"]
    assert [Path(e.path).name for e in result.errors] == ["b_bad.yaml"]


@pytest.mark.parametrize(
    ("key", "shown"),
    [("tags\\nline two", "tags\\nline two"), ("\\e[31mred", "\\x1b[31mred")],
)
def test_an_unknown_field_with_a_control_character_is_echoed_escaped(
    tmp_path: Path, key: str, shown: str
) -> None:
    """D13: the key is echoed escaped, so the error stays one line (and plain text)."""
    error = _error(HEAD + f'tags: [x]\n"{key}": [x]\n', tmp_path)
    assert isinstance(error, ContractValidationError)
    assert (error.field, error.line) == (shown, 6)
    assert str(error).isprintable()


def test_a_character_yaml_refuses_names_the_line(tmp_path: Path) -> None:
    """D14: a control character is reported with its line and code, on one line."""
    error = _error(HEAD + "name: a\x1fb\n", tmp_path)
    assert isinstance(error, ContractParseError)
    assert error.line == 5
    assert error.reason == (
        "invalid YAML: unacceptable character #x001f: special characters are not allowed"
    )


def test_the_odcs_document_is_kept_as_json_and_read_back_whole() -> None:
    """A contract keeps its ODCS document as compact JSON, not as a parsed model."""
    contract = parse_contract(ODCS_30_FULL, source="full.yaml")
    dumped = contract.odcs.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert contract.document() == dumped
    assert contract.odcs == contract.odcs  # validated again each time, equal every time
    assert contract.odcs is not contract.odcs
    assert isinstance(contract.odcs_json, bytes)
    assert len(contract.odcs_json) < len(ODCS_30_FULL)
    assert "odcs_json" not in repr(contract)
    assert "odcs_json" not in contract.model_dump()
