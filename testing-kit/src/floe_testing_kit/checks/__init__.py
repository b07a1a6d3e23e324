"""The conformance checks, registered in run order."""

from importlib import import_module

from floe_testing_kit.checks.base import CATALOG, Check, checks_by_id

# Import order is run order: cheap, fundamental groups first.
for _group in (
    "config",
    "lifecycle",
    "delivery",
    "failures",
    "idempotency",
    "concurrency",
    "secrets",
    "capabilities",
):
    import_module(f"floe_testing_kit.checks.{_group}")

__all__ = ["CATALOG", "Check", "checks_by_id"]
