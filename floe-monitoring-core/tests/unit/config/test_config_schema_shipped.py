"""The shipped JSON Schema of floe-monitor.yaml is the one the config model generates."""

from __future__ import annotations

import json

from floe_monitoring.config import config_json_schema, generate_json_schema


def test_the_shipped_schema_equals_the_generated_one() -> None:
    # Regenerate with:
    #   python -c "import json; from floe_monitoring.config import generate_json_schema as g;
    #   print(json.dumps(g(), indent=2, ensure_ascii=False, sort_keys=True))"
    #   > floe-monitoring-core/src/floe_monitoring/config/floe-monitor.schema.json
    shipped = config_json_schema()
    generated = json.loads(json.dumps(generate_json_schema()))
    assert shipped == generated, "floe-monitor.schema.json is stale: regenerate it"


def test_the_schema_documents_the_delivery_concurrency() -> None:
    delivery = config_json_schema()["$defs"]["RetryPolicy"]["properties"]
    assert delivery["max_in_flight"]["default"] == 64
    assert delivery["max_in_flight"]["minimum"] == 1
