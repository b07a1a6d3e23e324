"""`TableRef`: which Iceberg table, in which configured catalog."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["TableRef"]


class TableRef(BaseModel):
    """A table in a configured catalog: ``catalog`` + ``namespace`` levels + ``name``.

    Example:
        >>> TableRef.parse("sales.eu.orders", catalog="lake").identifier
        'sales.eu.orders'

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    catalog: str = Field(min_length=1)
    namespace: tuple[str, ...] = Field(min_length=1)
    name: str = Field(min_length=1)

    @field_validator("namespace")
    @classmethod
    def _no_empty_levels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not level for level in value):
            raise ValueError("namespace levels must not be empty")
        return value

    @classmethod
    def parse(cls, identifier: str, *, catalog: str) -> TableRef:
        """Build a ref from a dotted identifier: every level but the last is the namespace.

        Raises:
            ValueError: When the identifier has no namespace or an empty level.

        """
        *namespace, name = identifier.strip().split(".")
        if not namespace:
            raise ValueError(f"table identifier '{identifier}' needs a namespace ('ns.table')")
        return cls(catalog=catalog, namespace=tuple(namespace), name=name)

    @property
    def identifier(self) -> str:
        """The dotted identifier PyIceberg's ``load_table`` accepts (``ns.table``)."""
        return ".".join((*self.namespace, self.name))

    def __str__(self) -> str:
        return f"{self.catalog}:{self.identifier}"
