"""Scenario 5: storage and reports on PostgreSQL.

D simulated days of N contracts at the default intervals (freshness 15 min, schema drift
1 h, quality 6 h, availability 5 min; each check on its own phase, as the scheduler
places it) in a private PostgreSQL server:

- contracts, schedules, incident states and observed schemas go through the state
  store's own API; the row of each check type is the store's `result_row` of a real
  check result (one run of the four checks against a real table), so messages and
  details have their real size;
- the history is then inserted server side (``generate_series``, one INSERT ... SELECT
  per check type): the same rows the engine would have written, at the scheduler's slots;
- the hourly and daily rollups are computed server side with the method of
  `floe_monitoring.store.rollups` (counts per bucket; each result of a time-based check
  holds until the next one, at most one interval, split at hour and day boundaries).
  At the tiny size the script checks them against `RollupRepository.rebuild`, the
  store's own computation, and reports whether they match.

Then: rows and bytes on disk (``pg_total_relation_size``, after VACUUM ANALYZE) of the
whole history, the bytes of a raw result and of a rollup row (indexes included); the
store's own retention job at the default tiers (raw results 3 days, hourly rollups 8
days, daily rollups for ever) and the rows each tier keeps; extrapolated to 10,000
contracts x 90 days at those tiers (rows kept x bytes per row, daily rollups for 90 days,
the per-contract tables as measured), beside what keeping every raw result for 90 days
would take. Report latency over the last 30 days, on the pruned store as a running
monitor leaves it: `build_report` for one contract, `build_reports_for_all`, and the
``floe sla report`` command (a fresh process, bytecode already compiled).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import Figure, main, profiled, run_main
from _world import CHECK_TYPES, InstantTableSource, load_table, make_lake, write_contracts

SIZES: dict[str, dict[str, int]] = {
    "full": {"contracts": 1000, "days": 30, "one_reps": 5, "all_reps": 2},
    "tiny": {"contracts": 4, "days": 2, "one_reps": 2, "all_reps": 1},
}
TARGET_CONTRACTS, TARGET_DAYS = 10_000, 90
WINDOW = "rolling-30d"

_ROLLUP_SQL = """
WITH r AS (
    -- Every check ran on every slot of its grid, so each result holds until the next
    -- one, exactly one interval: no window function (and no 12 M row sort) needed.
    SELECT c.contract_id, c.check_type, c.status, c.in_maintenance, c.measured_value,
           c.started_at, c.started_at + make_interval(secs => s.interval_seconds) AS span_end
    FROM check_results c JOIN schedules s ON s.check_key = c.check_key
),
counted AS (
    SELECT contract_id, g.granularity,
           date_trunc(g.granularity, started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
           check_type,
           count(*) FILTER (WHERE status = 'pass' AND NOT in_maintenance) AS pass_count,
           count(*) FILTER (WHERE status = 'warn' AND NOT in_maintenance) AS warn_count,
           count(*) FILTER (WHERE status = 'fail' AND NOT in_maintenance) AS fail_count,
           count(*) FILTER (WHERE status = 'error' AND NOT in_maintenance) AS error_count,
           count(*) FILTER (WHERE status = 'skipped' AND NOT in_maintenance) AS skipped_count,
           count(*) FILTER (WHERE in_maintenance) AS maintenance_count,
           count(measured_value) FILTER (WHERE NOT in_maintenance) AS measured_count,
           coalesce(sum(measured_value) FILTER (WHERE NOT in_maintenance), 0) AS measured_sum,
           min(measured_value) FILTER (WHERE NOT in_maintenance) AS measured_min,
           max(measured_value) FILTER (WHERE NOT in_maintenance) AS measured_max
    FROM r CROSS JOIN (SELECT CAST(:granularity AS text) AS granularity) AS g
    GROUP BY 1, 2, 3, 4
),
pieces AS (
    -- a span is at most one interval (<= 1 h): it crosses at most one boundary
    SELECT contract_id, check_type, status, in_maintenance, g.granularity,
           date_trunc(g.granularity, started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
           started_at AS a,
           LEAST(span_end, date_trunc(g.granularity, started_at AT TIME ZONE 'UTC')
                 AT TIME ZONE 'UTC' + ('1 ' || g.granularity)::interval) AS b
    FROM r CROSS JOIN (SELECT CAST(:granularity AS text) AS granularity) AS g
    WHERE check_type IN ('freshness', 'availability') AND span_end > started_at
    UNION ALL
    SELECT contract_id, check_type, status, in_maintenance, g.granularity,
           date_trunc(g.granularity, span_end AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
           date_trunc(g.granularity, span_end AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
           span_end
    FROM r CROSS JOIN (SELECT CAST(:granularity AS text) AS granularity) AS g
    WHERE check_type IN ('freshness', 'availability')
      AND date_trunc(g.granularity, span_end AT TIME ZONE 'UTC')
          > date_trunc(g.granularity, started_at AT TIME ZONE 'UTC')
      AND date_trunc(g.granularity, span_end AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' < span_end
),
timed AS (
    SELECT contract_id, granularity, bucket, check_type,
           sum(us) FILTER (WHERE NOT in_maintenance AND status IN ('pass', 'warn')) AS good_us,
           sum(us) FILTER (WHERE NOT in_maintenance AND status IN ('pass', 'warn', 'fail'))
               AS observed_us,
           sum(us) FILTER (WHERE in_maintenance) AS maintenance_us
    FROM (SELECT *, (extract(epoch FROM b - a) * 1000000)::bigint AS us FROM pieces) p
    GROUP BY 1, 2, 3, 4
)
INSERT INTO sla_rollups (
    contract_id, granularity, bucket_start, check_type, pass_count, warn_count, fail_count,
    error_count, skipped_count, maintenance_count, good_us, observed_us, maintenance_us,
    measured_count, measured_sum, measured_min, measured_max)
SELECT coalesce(c.contract_id, t.contract_id), coalesce(c.granularity, t.granularity),
       coalesce(c.bucket, t.bucket), coalesce(c.check_type, t.check_type),
       coalesce(c.pass_count, 0), coalesce(c.warn_count, 0), coalesce(c.fail_count, 0),
       coalesce(c.error_count, 0), coalesce(c.skipped_count, 0),
       coalesce(c.maintenance_count, 0), coalesce(t.good_us, 0), coalesce(t.observed_us, 0),
       coalesce(t.maintenance_us, 0), coalesce(c.measured_count, 0),
       coalesce(c.measured_sum, 0), c.measured_min, c.measured_max
FROM counted c FULL JOIN timed t
  ON c.contract_id = t.contract_id AND c.granularity = t.granularity
 AND c.bucket = t.bucket AND c.check_type = t.check_type
"""

_HISTORY_SQL = """
INSERT INTO check_results (
    check_key, contract_id, check_type, element, status, severity, measured_value,
    threshold, unit, message, reason, details, started_at, due_at, duration_seconds,
    table_name, snapshot_id, trace_id, in_maintenance)
SELECT s.check_key, s.contract_id, s.check_type, :element, :status, NULL,
       :measured * (0.5 + random()), :threshold, :unit, :message, :reason,
       CAST(:details AS jsonb), t, t, :duration * (0.5 + random()), :table_name,
       :snapshot_id, NULL, false
FROM schedules s
CROSS JOIN LATERAL generate_series(
    CAST(:since AS timestamptz) + make_interval(secs => mod(abs(hashtext(s.check_key))::bigint,
                                       s.interval_seconds::bigint)),
    CAST(:until AS timestamptz) - interval '1 microsecond',
    make_interval(secs => s.interval_seconds)) AS t
WHERE s.check_type = :check_type AND mod(abs(hashtext(s.check_key)), :parts) = :part
"""


async def _templates(workdir: Path) -> tuple[Any, dict[str, dict[str, Any]]]:
    """One real result per check type (as the store would write it) and the contract."""
    from floe_monitoring.checks.plan import checks_for_contract
    from floe_monitoring.contracts.loader import load_contract
    from floe_monitoring.contracts.overrides import ContractsConfig
    from floe_monitoring.scheduling import SystemClock
    from floe_monitoring.store.cycle import StoredResult, result_row

    make_lake(workdir / "lake", ["events"])
    source = InstantTableSource(load_table(workdir / "lake"))
    write_contracts(workdir / "template", 1)
    contract = load_contract(workdir / "template" / "c00000.yaml", config=ContractsConfig())
    rows = {}
    for check in checks_for_contract(contract):
        result = await check.run(contract, source, SystemClock())
        rows[check.check_type.value] = result_row(StoredResult(result))
    return contract, rows


async def _measure(workdir: Path, size: dict[str, int], url: str) -> dict[str, Any]:
    import json

    from sqlalchemy import text

    from floe_monitoring.reports import build_report, build_reports_for_all
    from floe_monitoring.scheduling import DEFAULT_INTERVALS
    from floe_monitoring.store.cycle import CycleWrite
    from floe_monitoring.store.retention import retention_job
    from floe_monitoring.store.state_store import StateStore

    contracts, days = size["contracts"], size["days"]
    template, rows = await _templates(workdir)
    until = datetime.now(UTC).replace(microsecond=0)
    since = until - timedelta(days=days)
    store = StateStore(url, pool_size=4)
    await store.open()
    timings: dict[str, Any] = {}
    began = time.perf_counter()
    document = template.odcs.model_dump(mode="json", by_alias=True, exclude_none=True)
    states = []
    for index in range(contracts):
        cid = f"urn:datacontract:bench:c{index:05d}"
        await store.save_contract(
            contract_id=cid,
            name=f"c{index:05d}",
            version="1.0.0",
            domain="bench",
            owner=None,
            source=None,
            document={**document, "id": cid, "name": f"c{index:05d}"},
            now=since,
        )
        schedule_rows = []
        for check_type in CHECK_TYPES:
            key = f"{cid}:{check_type}:events"
            schedule_rows.append(
                {
                    "check_key": key,
                    "contract_id": cid,
                    "check_type": check_type,
                    "element": "events",
                    "interval_seconds": DEFAULT_INTERVALS[check_type].total_seconds(),
                    "next_due_at": until,
                }
            )
            states.append(
                {
                    "check_key": key,
                    "contract_id": cid,
                    "state": {"status": "ok", "consecutive_failures": 0, "history": "p" * 21},
                    "updated_at": until,
                }
            )
        await store.save_schedules(schedule_rows)
    await store.write(CycleWrite(incident_states=states))

    async def insert(check_type: str, part: int) -> None:
        row = rows[check_type]
        async with store.database.begin() as connection:
            await connection.execute(
                text(_HISTORY_SQL),
                {
                    "parts": _PARTS,
                    "part": part,
                    "element": row["element"],
                    "status": row["status"],
                    "measured": row["measured_value"] or 0.0,
                    "threshold": row["threshold"],
                    "unit": row["unit"],
                    "message": row["message"],
                    "reason": row["reason"],
                    "details": json.dumps(row["details"]) if row["details"] else None,
                    "duration": row["duration_seconds"],
                    "table_name": row["table_name"],
                    "snapshot_id": row["snapshot_id"],
                    "since": since,
                    "until": until,
                    "check_type": check_type,
                },
            )

    async def rollups(granularity: str) -> None:
        async with store.database.begin() as connection:
            await connection.execute(text("SET LOCAL work_mem = '512MB'"))
            await connection.execute(text(_ROLLUP_SQL), {"granularity": granularity})

    # Two server processes at a time: one per core.
    await _two_at_a_time([insert(t, p) for t in rows for p in range(_PARTS)])
    await _two_at_a_time([rollups("hour"), rollups("day")])
    timings["load_s"] = time.perf_counter() - began
    if size["contracts"] <= 10:
        timings["rollups_match_rebuild"] = float(await _matches_rebuild(store, since, until))
    sizes = await _sizes(store)
    began = time.perf_counter()
    pruned = await retention_job(store.database, now=until)
    timings["prune_s"] = time.perf_counter() - began
    kept = await _tier_rows(store)
    one_key = "urn:datacontract:bench:c00000"
    one = []
    for _ in range(size["one_reps"]):
        t = time.perf_counter()
        report = await build_report(store, contract=one_key, window=WINDOW, now=until)
        one.append(time.perf_counter() - t)
    every = []
    for _ in range(size["all_reps"]):
        t = time.perf_counter()
        with profiled("storage_reports_all"):
            reports = await build_reports_for_all(store, window=WINDOW, now=until)
        every.append(time.perf_counter() - t)
    await store.close()
    assert report.check_types, "the report of one contract found no results"
    assert len(reports) == contracts
    results = sizes["rows"]["check_results"]
    rollups = sizes["rows"]["sla_rollups"]
    contract_days = contracts * days
    total = sum(sizes["bytes"].values())
    raw_row = sizes["bytes"]["check_results"] / results
    rollup_row = sizes["bytes"]["sla_rollups"] / rollups
    per_contract = (total - sizes["bytes"]["check_results"] - sizes["bytes"]["sla_rollups"]) / (
        contracts
    )
    kept_per_contract = {tier: rows / contracts for tier, rows in kept.items()}
    tiered = (
        kept_per_contract["raw"] * raw_row
        + kept_per_contract["hour"] * rollup_row
        + kept_per_contract["day"] / days * TARGET_DAYS * rollup_row
        + per_contract
    )
    return {
        **timings,
        "raw_result_bytes": raw_row,
        "rollup_row_bytes": rollup_row,
        "pruned_raw": pruned.raw_results,
        "pruned_hourly": pruned.hourly_rollups,
        "kept_raw_per_contract": kept_per_contract["raw"],
        "kept_hourly_per_contract": kept_per_contract["hour"],
        "kept_daily_per_contract": kept_per_contract["day"],
        "extrapolated_untiered_gb": total / contract_days * TARGET_CONTRACTS * TARGET_DAYS / 1e9,
        "contracts": contracts,
        "days": days,
        "results_per_contract_day": results / contract_days,
        "rollups_per_contract_day": rollups / contract_days,
        "bytes_per_contract_day": total / contract_days,
        "results_bytes_per_contract_day": sizes["bytes"]["check_results"] / contract_days,
        "rollups_bytes_per_contract_day": sizes["bytes"]["sla_rollups"] / contract_days,
        "total_gb": total / 1e9,
        "extrapolated_gb": tiered * TARGET_CONTRACTS / 1e9,
        "report_one_s": statistics.median(one),
        "report_all_s": statistics.median(every),
        "table_bytes": sizes["bytes"],
        "table_rows": sizes["rows"],
    }


_PARTS = 2


async def _two_at_a_time(jobs: list[Any]) -> None:
    gate = asyncio.Semaphore(2)

    async def one(job: Any) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(j) for j in jobs))


async def _sizes(store: Any) -> dict[str, dict[str, int]]:
    from sqlalchemy import text

    async with store.database.engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
        found = (
            await connection.execute(
                text(
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            )
        ).all()
        counts = {}
        for name, _ in found:
            counts[name] = (
                await connection.execute(text(f'SELECT count(*) FROM "{name}"'))  # noqa: S608
            ).scalar_one()
    return {"bytes": {n: int(b) for n, b in found}, "rows": {n: int(c) for n, c in counts.items()}}


async def _tier_rows(store: Any) -> dict[str, int]:
    """Rows each tier keeps: raw results, hourly and daily rollups."""
    from sqlalchemy import func, select

    from floe_monitoring.store.schema import check_results, sla_rollups

    async with store.database.connect() as connection:
        raw = (await connection.execute(select(func.count()).select_from(check_results))).scalar()
        by_granularity = dict(
            (
                await connection.execute(
                    select(sla_rollups.c.granularity, func.count()).group_by(
                        sla_rollups.c.granularity
                    )
                )
            ).all()
        )
    return {
        "raw": int(raw or 0),
        "hour": by_granularity.get("hour", 0),
        "day": by_granularity.get("day", 0),
    }


async def _matches_rebuild(store: Any, since: datetime, until: datetime) -> bool:
    """Whether the server-side rollups equal what `RollupRepository.rebuild` computes."""
    from sqlalchemy import select

    from floe_monitoring.store.rollups import RollupRepository
    from floe_monitoring.store.schema import sla_rollups

    async def snapshot() -> set[tuple[Any, ...]]:
        async with store.database.connect() as connection:
            rows = (await connection.execute(select(sla_rollups))).all()
        return {
            tuple(round(v, 6) if isinstance(v, float) else v for v in row)
            for row in rows
            if row.bucket_start < until - timedelta(days=1)  # the last day's tail differs
        }

    ours = await snapshot()
    await RollupRepository(store.database).rebuild(since - timedelta(days=1), until)
    theirs = await snapshot()
    if ours != theirs:
        print(f"rollups differ: {len(ours ^ theirs)} rows", file=sys.stderr)
    return ours == theirs


def _cli_seconds(workdir: Path, url: str, reps: int, *, contract: str | None) -> float:
    config = workdir / "floe-monitor.yaml"
    config.write_text(f"state:\n  url: {url}\n", encoding="utf-8")
    floe = Path(sys.executable).with_name("floe")
    command = [str(floe), "sla", "--config", str(config), "report", "--window", WINDOW]
    command += ["--format", "json", "--output", str(workdir / "report.json")]
    if contract:
        command += ["--contract", contract]
    # An installed package has its bytecode compiled; `make` turns writing it off. Let
    # the command compile once into a private cache (not next to the sources), then time.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    subprocess.run(command, check=True, env=env, capture_output=True)
    timings = []
    for _ in range(reps):
        began = time.perf_counter()
        subprocess.run(command, check=True, env=env, capture_output=True)
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def run_once(size: str, workdir: Path) -> dict[str, Any]:
    from floe_monitoring.testing import TemporaryPostgres

    wanted = SIZES[size]
    with TemporaryPostgres() as postgres:
        url = postgres.url()
        result = asyncio.run(_measure(workdir, wanted, url))
        result["cli_one_s"] = _cli_seconds(
            workdir, url, wanted["one_reps"], contract="urn:datacontract:bench:c00000"
        )
        result["cli_all_s"] = _cli_seconds(workdir, url, 1, contract=None)
    return result


FIGURES = [
    Figure("contracts", "contracts"),
    Figure("days", "simulated days", "d"),
    Figure("results_per_contract_day", "raw results per contract-day"),
    Figure("rollups_per_contract_day", "rollup rows per contract-day"),
    Figure("bytes_per_contract_day", "bytes on disk per contract-day (all tables)", "B"),
    Figure("results_bytes_per_contract_day", "  of which raw results + indexes", "B"),
    Figure("rollups_bytes_per_contract_day", "  of which rollups + indexes", "B"),
    Figure("raw_result_bytes", "bytes per raw result (row + indexes)", "B"),
    Figure("rollup_row_bytes", "bytes per rollup row (row + indexes)", "B"),
    Figure("pruned_raw", "retention job: raw results pruned"),
    Figure("pruned_hourly", "retention job: hourly rollups pruned"),
    Figure("kept_raw_per_contract", "kept per contract: raw results (3 days)"),
    Figure("kept_hourly_per_contract", "kept per contract: hourly rollups (8 days)"),
    Figure("kept_daily_per_contract", "kept per contract: daily rollups (every day)"),
    Figure("extrapolated_gb", "extrapolated: 10,000 contracts x 90 days", "GB", 10, "lower", 1),
    Figure(
        "extrapolated_untiered_gb", "  the same keeping every raw result 90 days", "GB", digits=1
    ),
    Figure("report_one_s", "build_report, one contract, 30 days", "s", 1, "lower", 3),
    Figure("report_all_s", "build_reports_for_all, 30 days", "s", 10, "lower", 2),
    Figure("cli_one_s", "floe sla report --contract (new process)", "s", 1, "lower", 2),
    Figure("cli_all_s", "floe sla report, all contracts (new process)", "s", 10, "lower", 2),
    Figure("rollups_match_rebuild", "server-side rollups == rebuild (tiny only)", digits=0),
    Figure("load_s", "time to load the history", "s", digits=1),
    Figure("prune_s", "retention job on the loaded history", "s", digits=1),
]


if __name__ == "__main__":
    run_main(
        lambda: main(
            "storage_reports",
            "Scenario 5: storage and reports (PostgreSQL)",
            run_once,
            FIGURES,
            default_runs=1,
        )
    )
