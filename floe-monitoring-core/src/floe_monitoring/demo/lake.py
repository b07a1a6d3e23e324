"""The demo's lake: three small, realistic Iceberg tables, and the ways the world changes.

``sales.orders``, ``crm.customers`` and ``finance.payments`` in an embedded SQLite
catalog. Every method is synchronous (PyIceberg is): the scenario calls them through
`asyncio.to_thread`. Rows come from a seeded generator, so every run writes the same
data at times relative to the demo's clock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.types import LongType

from floe_monitoring.catalog.local import create_local_catalog, write_table

__all__ = ["CUSTOMERS", "ORDERS", "PAYMENTS", "DemoLake"]

ORDERS = "sales.orders"
CUSTOMERS = "crm.customers"
PAYMENTS = "finance.payments"

_TS = pa.timestamp("us", tz="UTC")

ORDERS_SCHEMA = pa.schema(
    [
        pa.field("order_id", pa.int64(), nullable=False),
        pa.field("customer_id", pa.int64(), nullable=False),
        pa.field("status", pa.string()),
        pa.field("amount", pa.float64()),
        pa.field("currency", pa.string()),
        pa.field("updated_at", _TS),
    ]
)

CUSTOMERS_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.int64(), nullable=False),
        pa.field("email", pa.string()),
        pa.field("full_name", pa.string()),
        pa.field("country", pa.string()),
        pa.field("phone", pa.string()),
        pa.field("loyalty_points", pa.int32()),
        pa.field("updated_at", _TS),
    ]
)

# After the CRM team's change: `phone` dropped, `loyalty_points` widened to a long.
EVOLVED_CUSTOMERS_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.int64(), nullable=False),
        pa.field("email", pa.string()),
        pa.field("full_name", pa.string()),
        pa.field("country", pa.string()),
        pa.field("loyalty_points", pa.int64()),
        pa.field("updated_at", _TS),
    ]
)

PAYMENTS_SCHEMA = pa.schema(
    [
        pa.field("payment_id", pa.int64(), nullable=False),
        pa.field("order_id", pa.int64(), nullable=False),
        pa.field("amount", pa.float64()),
        pa.field("method", pa.string()),
        pa.field("paid_at", _TS),
    ]
)

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Perlman")
_COUNTRIES = ("FR", "DE", "NL", "ES", "IT", "GB", "SE")
_STATUSES = ("placed", "paid", "paid", "shipped", "delivered", "delivered", "cancelled")
_CURRENCIES = ("EUR", "EUR", "EUR", "GBP", "SEK")
_METHODS = ("card", "card", "card", "bank_transfer", "wallet")


class DemoLake:
    """The lake under ``directory`` (``catalog.db`` and ``warehouse/``).

    Args:
        directory: Where the SQLite catalog and the warehouse live.
        seed: Seed of the row generator.
    """

    def __init__(self, directory: Path, *, seed: int = 20_260_301) -> None:
        self.directory = directory
        self._random = random.Random(seed)  # noqa: S311 - sample data, not secrets
        self._next_order = 1
        self._next_customer = 1
        self._payments: list[dict[str, Any]] = []
        self._last_payment_batch: list[dict[str, Any]] = []

    @contextmanager
    def _catalog(self) -> Iterator[SqlCatalog]:
        catalog = create_local_catalog(self.directory)
        try:
            yield catalog
        finally:
            catalog.close()

    # -- the initial world -----------------------------------------------------------

    def create(self, now: datetime) -> dict[str, int]:
        """Write the three tables as of ``now``; returns rows per table."""
        with self._catalog() as catalog:
            customers = self._customers(60, newest=now - timedelta(hours=1))
            write_table(catalog, CUSTOMERS, customers, schema=CUSTOMERS_SCHEMA)
            orders = self._orders(240, now - timedelta(minutes=10), spread=timedelta(days=2))
            write_table(catalog, ORDERS, orders, schema=ORDERS_SCHEMA)
            # Payments arrive in loads from the provider: two so far today.
            for newest in (now - timedelta(hours=4), now - timedelta(minutes=30)):
                batch = self._payment_batch(90, newest)
                write_table(catalog, PAYMENTS, batch, schema=PAYMENTS_SCHEMA)
        return {ORDERS: 240, CUSTOMERS: 60, PAYMENTS: len(self._payments)}

    # -- changes of the world --------------------------------------------------------

    def add_orders(self, count: int, newest: datetime) -> None:
        """New orders arrive, the newest updated at ``newest``."""
        with self._catalog() as catalog:
            rows = self._orders(count, newest, spread=timedelta(minutes=20))
            write_table(catalog, ORDERS, rows, schema=ORDERS_SCHEMA)

    def evolve_customers(self) -> None:
        """The CRM team drops ``phone`` and widens ``loyalty_points`` (int to long)."""
        with self._catalog() as catalog:
            table = catalog.load_table(CUSTOMERS)
            with table.update_schema() as update:
                update.delete_column("phone")
                update.update_column("loyalty_points", field_type=LongType())

    def replay_last_payment_load(self) -> int:
        """The loader runs its last batch again: every payment in it now appears twice."""
        with self._catalog() as catalog:
            batch = self._last_payment_batch
            write_table(catalog, PAYMENTS, _columns(batch, PAYMENTS_SCHEMA), schema=PAYMENTS_SCHEMA)
        return len(batch)

    def deduplicate_payments(self) -> None:
        """The payments team rewrites the table with each payment once."""
        with self._catalog() as catalog:
            data = _columns(self._payments, PAYMENTS_SCHEMA)
            write_table(catalog, PAYMENTS, data, schema=PAYMENTS_SCHEMA, mode="overwrite")

    def add_customers_without_email(self, count: int, now: datetime) -> None:
        """A new sign-up form forgets the e-mail: customers arrive without one."""
        with self._catalog() as catalog:
            rows = self._customers(count, newest=now, evolved=True)
            rows["email"] = [None] * count
            write_table(catalog, CUSTOMERS, rows, schema=EVOLVED_CUSTOMERS_SCHEMA)

    # -- rows ------------------------------------------------------------------------

    def _orders(self, count: int, newest: datetime, *, spread: timedelta) -> dict[str, list[Any]]:
        rnd = self._random
        ids = list(range(self._next_order, self._next_order + count))
        self._next_order += count
        times = [*sorted(newest - spread * rnd.random() for _ in range(count - 1)), newest]
        return {
            "order_id": ids,
            "customer_id": [rnd.randint(1, 60) for _ in ids],
            "status": [rnd.choice(_STATUSES) for _ in ids],
            "amount": [round(rnd.uniform(8, 480), 2) for _ in ids],
            "currency": [rnd.choice(_CURRENCIES) for _ in ids],
            "updated_at": times,
        }

    def _customers(
        self, count: int, *, newest: datetime, evolved: bool = False
    ) -> dict[str, list[Any]]:
        rnd = self._random
        ids = list(range(self._next_customer, self._next_customer + count))
        self._next_customer += count
        names = [(rnd.choice(_FIRST), rnd.choice(_LAST)) for _ in ids]
        rows: dict[str, list[Any]] = {
            "customer_id": ids,
            "email": [
                f"{f}.{last}.{i}@example.com".lower()
                for i, (f, last) in zip(ids, names, strict=True)
            ],
            "full_name": [f"{f} {last}" for f, last in names],
            "country": [rnd.choice(_COUNTRIES) for _ in ids],
        }
        if not evolved:
            rows["phone"] = [f"+33 6 {rnd.randint(10_000_000, 99_999_999)}" for _ in ids]
        rows["loyalty_points"] = [rnd.randint(0, 5_000) for _ in ids]
        older = [newest - timedelta(days=20) * rnd.random() for _ in range(count - 1)]
        rows["updated_at"] = [*sorted(older), newest]
        return rows

    def _payment_batch(self, count: int, newest: datetime) -> dict[str, list[Any]]:
        rnd = self._random
        first = len(self._payments) + 1
        batch = [
            {
                "payment_id": first + i,
                "order_id": rnd.randint(1, 240),
                "amount": round(rnd.uniform(8, 480), 2),
                "method": rnd.choice(_METHODS),
                "paid_at": newest - timedelta(hours=3) * rnd.random(),
            }
            for i in range(count - 1)
        ]
        batch.append(
            {
                "payment_id": first + count - 1,
                "order_id": rnd.randint(1, 240),
                "amount": 42.0,
                "method": "card",
                "paid_at": newest,
            }
        )
        self._payments.extend(batch)
        self._last_payment_batch = batch
        return _columns(batch, PAYMENTS_SCHEMA)


def _columns(rows: list[dict[str, Any]], schema: pa.Schema) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in schema.names}
