"""Catalog configuration: which PyIceberg catalogs exist and how hard we may call them."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["CatalogConfig", "TableSourceConfig"]


class CatalogConfig(BaseModel):
    """One catalog, loaded with ``pyiceberg.catalog.load_catalog(name, **properties)``.

    ``properties`` may hold credentials (``credential``, ``token``), so the field is kept
    out of ``repr``; never log it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    properties: dict[str, str] = Field(default_factory=dict, repr=False)
    max_concurrency: int = Field(
        default=4, ge=1, description="Calls in flight at once (protects REST catalogs)."
    )
    timeout_seconds: float | None = Field(
        default=None, gt=0, description="Per-call timeout; None uses the source's default."
    )

    @classmethod
    def sqlite(
        cls,
        directory: str | Path,
        *,
        name: str = "default",
        max_concurrency: int = 4,
        timeout_seconds: float | None = None,
    ) -> CatalogConfig:
        """The embedded default: a SQLite ``SqlCatalog`` with a file warehouse in ``directory``.

        SQLite catalogs are for development and single-process use.
        """
        root = Path(directory).resolve()
        return cls(
            name=name,
            properties={
                "type": "sql",
                "uri": f"sqlite:///{root / 'catalog.db'}",
                "warehouse": (root / "warehouse").as_uri(),
            },
            max_concurrency=max_concurrency,
            timeout_seconds=timeout_seconds,
        )


class TableSourceConfig(BaseModel):
    """All catalogs of one monitor, and the shared thread pool's bounds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    catalogs: tuple[CatalogConfig, ...] = ()
    max_workers: int = Field(default=8, ge=1, description="Threads for all PyIceberg calls.")
    processes: int = Field(
        default=0,
        ge=0,
        description=(
            "Worker processes that load tables and run the checks' reads beside the engine "
            "(0: worker threads only)."
        ),
    )
    call_timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _unique_names(self) -> TableSourceConfig:
        names = [catalog.name for catalog in self.catalogs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"catalog names must be unique; repeated: {', '.join(duplicates)}")
        return self

    def catalog(self, name: str) -> CatalogConfig | None:
        """The catalog called ``name``, or None."""
        return next((c for c in self.catalogs if c.name == name), None)

    def timeout_for(self, name: str) -> float:
        """The per-call timeout of catalog ``name``."""
        config = self.catalog(name)
        if config is not None and config.timeout_seconds is not None:
            return config.timeout_seconds
        return self.call_timeout_seconds
