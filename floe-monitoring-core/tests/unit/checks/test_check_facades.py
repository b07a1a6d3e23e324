"""The facades export exactly their public API."""

from __future__ import annotations

import floe_monitoring.catalog as catalog
import floe_monitoring.checks as checks
import floe_monitoring.contracts as contracts
import floe_monitoring.errors as errors


def _public(module: object) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("floe_monitoring")
    }


def test_all_lists_every_public_name_and_nothing_else() -> None:
    for module in (catalog, checks, contracts):
        exported = set(module.__all__)
        assert len(exported) == len(module.__all__), module
        assert all(hasattr(module, name) for name in exported), module
        assert _public(module) <= exported | {"base", "config", "ref", "source"}, module


def test_new_errors_are_in_the_tree() -> None:
    for name in (
        "ContractError",
        "ContractParseError",
        "ContractValidationError",
        "CatalogError",
        "CatalogNotConfiguredError",
        "CatalogUnavailableError",
        "CatalogTimeoutError",
        "TableNotFoundError",
    ):
        assert name in errors.__all__
        assert name in (errors.__doc__ or "")
    assert issubclass(errors.CatalogTimeoutError, errors.CatalogUnavailableError)
    assert issubclass(errors.ContractParseError, errors.ContractError)
    error = errors.ContractValidationError("c.yaml", "bad\nvalue", line=3, field="x")
    assert str(error) == "c.yaml:3: x: bad value"
    assert str(errors.ContractParseError("c.yaml", "empty")) == "c.yaml: empty"
