"""The quickstart's story: a lake, three contracts, a monitor, and a world that changes.

Time is a `ManualClock`: "two hours later" takes no time. The clock starts three hours
in the past and ends at the present, so the lake it leaves behind is current for anyone
who runs ``floe sla check`` on it afterwards. Each step changes the world, runs every
check once (`ContractMonitor.run_once`) and checks that the receiver heard what it
should; a step that does not go as told is reported and the demo exits 1.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from floe_monitoring.checks.base import CheckResult, CheckType
from floe_monitoring.cli.commands.manage import silence_row
from floe_monitoring.config import load_config
from floe_monitoring.demo.errors import DemoError
from floe_monitoring.demo.files import evolved_customers_contract, prepare_workdir
from floe_monitoring.demo.lake import CUSTOMERS, ORDERS, PAYMENTS, DemoLake
from floe_monitoring.demo.narrate import Narrator
from floe_monitoring.demo.receiver import ReceivedEvent, WebhookReceiver
from floe_monitoring.demo.report import print_final_report
from floe_monitoring.demo.verify import EXPECTED, check_receiver_log
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.routing import Silence
from floe_monitoring.scheduling import ManualClock
from floe_monitoring.sdk.enums import ViolationType

__all__ = ["DEFAULT_WORKDIR", "RECEIVER_LOG", "run_demo"]

DEFAULT_WORKDIR = Path(".floe/demo")
#: The receiver's log, relative to the work folder.
RECEIVER_LOG = Path("receiver/events.jsonl")
CHANNEL = "receiver"

_CUSTOMERS_ID = "urn:datacontract:crm:customers"
# (contract name, violation type, notification)
Expected = tuple[str, str, str]


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set variables the config refers to (`${...}`) for the demo, then restore them."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def run_demo(console: Console, workdir: Path, *, setup_only: bool = False) -> int:
    """Run the quickstart in ``workdir`` (wiped first) and print what happens.

    Args:
        console: Where the story is told.
        workdir: The demo's folder: lake, contracts, config, state, receiver log.
        setup_only: Create the lake, contracts and config, then stop.

    Returns:
        0 when every step went as told, else 1.

    Raises:
        DemoError: The folder cannot be used, or the webhook channel is not installed.

    """
    began = time.monotonic()
    workdir = await asyncio.to_thread(workdir.absolute)
    narrator = Narrator(console)
    now = datetime.now(UTC).replace(microsecond=0)
    # The story spans three simulated hours ending now; a lake made only to be tried by
    # hand is made as of now, so it is fresh when `floe sla check` reads it.
    clock = ManualClock(now if setup_only else now - timedelta(hours=3))
    lake = DemoLake(workdir / "lake")

    config_path = await asyncio.to_thread(prepare_workdir, workdir)
    narrator.step(
        1,
        "A small lake",
        "Three Iceberg tables in an embedded SQLite catalog (no server, no network), "
        "described by three ODCS v3 data contracts.",
    )
    counts = await asyncio.to_thread(lake.create, clock.now())
    for identifier, rows in counts.items():
        narrator.say(f"{identifier:<18} {rows:>4} rows")
    narrator.say(f"contracts: {workdir / 'contracts'}")
    narrator.say(f"config:    {config_path}")
    if setup_only:
        _print_setup_only(narrator, workdir, config_path)
        return 0

    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    log_path = workdir / RECEIVER_LOG
    async with WebhookReceiver(log_path, secret=secret, on_event=narrator.notification) as hook:
        variables = {
            "FLOE_DEMO_DIR": str(workdir),
            "FLOE_DEMO_WEBHOOK_URL": hook.url,
            "FLOE_DEMO_WEBHOOK_SECRET": secret,
        }
        with _environment(variables):
            config = await asyncio.to_thread(load_config, config_path)
            async with ContractMonitor(config, clock=clock) as monitor:
                story = _Story(narrator, monitor, hook, clock, lake, workdir)
                await story.tell()
            narrator.step(
                9, "The report", "What the state store recorded, as `floe sla report` reads it."
            )
            await print_final_report(console, config_path)
    console.print()
    problems = await asyncio.to_thread(check_receiver_log, log_path)
    for problem in problems:
        narrator.problem(f"receiver log: {problem}")
    if not problems:
        narrator.ok(
            f"the receiver log holds the {len(EXPECTED)} expected notifications "
            "and none for the silenced check"
        )
    narrator.say(f"receiver log: {log_path}", style="bold")
    for hint in ("status", "incidents list", "history --contract orders", "silence list"):
        narrator.say(f"look around: floe sla --config {config_path} {hint}", style="dim")
    elapsed = time.monotonic() - began
    if narrator.problems:
        narrator.problem(f"{len(narrator.problems)} step(s) did not go as expected")
        return 1
    narrator.ok(f"demo complete in {elapsed:.1f} s")
    return 0


def _print_setup_only(narrator: Narrator, workdir: Path, config_path: Path) -> None:
    narrator.say("")
    narrator.say("The lake is ready. Try the monitor on it by hand:", style="bold")
    narrator.say(f"floe sla --config {config_path} check")
    narrator.say(f"floe sla --config {config_path} check --format json")
    narrator.say("or the repository's copy of the same files, pointed at this lake:")
    narrator.say(
        f"FLOE_DEMO_DIR={workdir} floe sla --config examples/quickstart/floe-monitor.yaml check"
    )


def _unit(unit: str | None) -> str:
    return "%" if unit in ("percent", "%") else (unit or "")


class _Story:
    """The steps after the setup, sharing the monitor, the receiver and the clock."""

    def __init__(
        self,
        narrator: Narrator,
        monitor: ContractMonitor,
        hook: WebhookReceiver,
        clock: ManualClock,
        lake: DemoLake,
        workdir: Path,
    ) -> None:
        self.narrator = narrator
        self.monitor = monitor
        self.hook = hook
        self.clock = clock
        self.lake = lake
        self.workdir = workdir

    async def tell(self) -> None:
        """Steps 2 to 8."""
        await self.start()
        await self.baseline()
        await self.stale()
        await self.drift()
        await self.quality()
        await self.recover()
        await self.silence()

    async def start(self) -> None:
        """The monitor is up, its channel healthy, every contract loaded."""
        monitor, say = self.monitor, self.narrator.say
        self.narrator.step(
            2,
            "The monitor starts",
            "A loopback webhook receiver stands in for your alerting endpoint; the monitor "
            "delivers signed CloudEvents to it.",
        )
        if CHANNEL in monitor.channel_errors:
            raise DemoError(
                f"the webhook channel could not be built ({monitor.channel_errors[CHANNEL]}): "
                "install it with `pip install floe-alert-webhook`"
            )
        if monitor.contract_errors:
            raise DemoError(f"a quickstart contract did not load: {monitor.contract_errors[0]}")
        say(f"receiver listening on {self.hook.url}")
        status = await monitor.status()
        say(f"{status.contracts} contracts, {status.checks} checks:")
        for contract in sorted(monitor.contracts.values(), key=lambda c: c.name):
            promises = [
                f"{sla.property} {sla.value}{_unit(sla.unit)}"
                + (f" on {sla.element}" if sla.element else "")
                for sla in contract.sla
            ]
            rules = sum(len(obj.quality) for obj in contract.objects)
            columns = sum(len(obj.properties) for obj in contract.objects)
            say(
                f"  {contract.name:<10} {contract.version}  {columns} columns, "
                f"{rules} quality rules, {'; '.join(promises)}",
                style="dim",
            )

    async def baseline(self) -> None:
        """Everything holds: no notification."""
        self.narrator.step(3, "First pass", "Every check runs once; every promise holds.")
        self.narrator.clock(self.clock.now())
        results, events = await self._run()
        self.narrator.results(results, everything=True)
        if events:
            self.narrator.problem(f"{len(events)} notification(s) on a healthy lake")
        else:
            self.narrator.ok("all clear: nothing sent")

    async def stale(self) -> None:
        """Two hours without a new order: freshness fires."""
        self.narrator.step(
            4,
            "Data goes stale",
            "The order pipeline stalls. Two hours later the newest order is older than "
            "the contract's 1 h latency.",
        )
        await self._advance(timedelta(hours=2), "2 h")
        results, events = await self._run()
        self.narrator.results(results)
        self._expect(events, [("orders", "freshness", "firing")])

    async def drift(self) -> None:
        """A column dropped and another widened: one critical schema-drift alert."""
        self.narrator.step(
            5,
            "The schema drifts",
            "The CRM team drops customers.phone and widens customers.loyalty_points from "
            "int to long. A removed column breaks consumers (critical); a safe widening is "
            "a warning.",
        )
        await self._advance(timedelta(minutes=15), "15 min")
        await asyncio.to_thread(self.lake.evolve_customers)
        results, events = await self._run()
        self.narrator.results(results)
        for result in results:
            if result.check_type is CheckType.SCHEMA_DRIFT and result.contract_name == "customers":
                self.narrator.changes(result)
        self._expect(events, [("customers", "schema_drift", "firing")])
        drift = [e for e in events if e.get("violationType") == "schema_drift"]
        if drift and drift[0].get("severity") != "critical":
            self.narrator.problem(f"schema drift fired as {drift[0].get('severity')}, not critical")
        self.narrator.say("orders is still stale: no repeat, receivers hear transitions only.")

    async def quality(self) -> None:
        """A loader re-runs its last batch: the uniqueness rule breaks."""
        self.narrator.step(
            6,
            "A quality rule breaks",
            "The payments loader runs its last batch a second time: every payment in it "
            "is now in the table twice.",
        )
        await self._advance(timedelta(minutes=15), "15 min")
        replayed = await asyncio.to_thread(self.lake.replay_last_payment_load)
        self.narrator.say(f"{replayed} payments loaded again into {PAYMENTS}")
        results, events = await self._run()
        self.narrator.results(results)
        self._expect(events, [("payments", "quality", "firing")])

    async def recover(self) -> None:
        """Everything is fixed: three resolved notifications."""
        self.narrator.step(
            7,
            "Everything recovers",
            "Orders flow again, the payments team removes the duplicates, and the CRM team "
            "publishes version 1.1.0 of the customers contract describing the new schema.",
        )
        await self._advance(timedelta(minutes=15), "15 min")
        await asyncio.to_thread(self.lake.add_orders, 12, self.clock.now())
        self.narrator.say(f"12 new orders in {ORDERS}")
        await asyncio.to_thread(self.lake.deduplicate_payments)
        self.narrator.say(f"{PAYMENTS} rewritten without duplicates")
        path = self.workdir / "contracts" / "customers.yaml"
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        await asyncio.to_thread(path.write_text, evolved_customers_contract(text), encoding="utf-8")
        report = await self.monitor.reload_contracts()
        if report.changed != [_CUSTOMERS_ID]:
            self.narrator.problem(f"the contract reload changed {report.changed or 'nothing'}")
        else:
            self.narrator.say("customers contract 1.0.0 → 1.1.0 reloaded while running")
        results, events = await self._run()
        self.narrator.results(results)
        self._expect(
            events,
            [
                ("orders", "freshness", "resolved"),
                ("customers", "schema_drift", "resolved"),
                ("payments", "quality", "resolved"),
            ],
        )

    async def silence(self) -> None:
        """A silenced contract breaks: the check fails, nothing is sent."""
        self.narrator.step(
            8,
            "A silence",
            "The CRM team is migrating sign-ups and silences quality alerts of customers "
            "for two hours. Meanwhile customers arrive without an e-mail address.",
        )
        await self._advance(timedelta(minutes=15), "15 min")
        now = self.clock.now()
        silence = Silence(
            contracts=("customers",),
            violation_types=(ViolationType.QUALITY,),
            starts_at=now,
            ends_at=now + timedelta(hours=2),
            created_by="floe sla demo",
            comment="sign-up migration: e-mails are backfilled tonight",
        )
        assert self.monitor.processor is not None  # set by start()
        self.monitor.processor.router.add_silence(silence)
        await self.monitor.store.add_silence(silence_row(silence))
        self.narrator.say(
            f"silence {silence.id[:8]} on customers/quality until {silence.ends_at:%H:%M}"
        )
        await asyncio.to_thread(self.lake.add_customers_without_email, 5, now)
        self.narrator.say(f"5 customers without e-mail in {CUSTOMERS}")
        results, events = await self._run()
        self.narrator.results(results)
        failed = [
            r
            for r in results
            if r.contract_name == "customers" and r.check_type is CheckType.QUALITY
        ]
        if not failed or failed[0].status.value != "fail":
            self.narrator.problem("the customers quality check did not fail")
        sent = [e for e in events if e.get("contractName") == "customers"]
        if sent:
            self.narrator.problem(f"{len(sent)} notification(s) sent despite the silence")
        suppressed = [
            s
            for s in await self.monitor.store.suppressions(contract_id=_CUSTOMERS_ID)
            if s["reason"] == "silenced" and s["created_at"] >= now
        ]
        if suppressed:
            self.narrator.ok(
                f"the incident fired and was recorded, but not sent: suppressed "
                f"({suppressed[0]['reason']}: {suppressed[0]['detail']})"
            )
        else:
            self.narrator.problem("no suppression with reason 'silenced' was recorded")

    # -- helpers ---------------------------------------------------------------------

    async def _advance(self, delta: timedelta, label: str) -> None:
        await self.clock.advance(delta)
        self.narrator.clock(self.clock.now(), label)

    async def _run(self) -> tuple[list[CheckResult], list[ReceivedEvent]]:
        """Run every check once, deliver, and return the results and what arrived."""
        before = len(self.hook.events)
        results = await self.monitor.run_once()
        return results, self.hook.events[before:]

    def _expect(self, events: Sequence[ReceivedEvent], wanted: Sequence[Expected]) -> None:
        got = {(e.get("contractName"), e.get("violationType"), e.notification) for e in events}
        for contract, check, kind in wanted:
            if (contract, check, kind) in got:
                self.narrator.ok(f"{kind} notification for {contract} {check} delivered")
            else:
                self.narrator.problem(f"no {kind} notification for {contract} {check}")
