"""`EmailConfig`: where to send, how to secure the connection, and who receives what."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    SecretStr,
    model_validator,
)

from floe_monitoring import Severity

__all__ = ["DEFAULT_PORTS", "EmailAddress", "EmailConfig", "TLSMode"]


class TLSMode(StrEnum):
    """How the connection to the SMTP server is secured."""

    STARTTLS = "starttls"
    """Connect in plaintext, then upgrade with STARTTLS; refuse servers that do not offer it."""
    TLS = "tls"
    """TLS from the first byte ("implicit TLS", SMTPS)."""
    NONE = "none"
    """Plaintext. Only when configured; the health status warns about it."""


#: The port each mode uses when `port` is not set.
DEFAULT_PORTS = {TLSMode.STARTTLS: 587, TLSMode.TLS: 465, TLSMode.NONE: 25}

# An ASCII addr-spec without quoting or comments: what alert recipients look like. Anything
# fancier (quoted local parts, UTF-8 mailboxes) would need SMTPUTF8 or header quoting.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_HOSTNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_HOST = re.compile(r"^[A-Za-z0-9._:\[\]-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _address(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _ADDRESS.match(value):
        raise ValueError("must be a plain ASCII e-mail address such as alerts@example.com")
    return value


def _hostname(value: str) -> str:
    if len(value) > 253 or not _HOSTNAME.match(value):
        raise ValueError("must be a DNS name such as mail.example.com")
    return value


def _host(value: str) -> str:
    if not _HOST.match(value):
        raise ValueError("must be a host name or IP address")
    return value


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line without control characters")
    return value.strip()


#: A validated ASCII e-mail address.
EmailAddress = Annotated[str, AfterValidator(_address)]
_Recipients = tuple[EmailAddress, ...]


class EmailConfig(BaseModel):
    """Configuration of the `email` channel.

    Recipients: every alert goes to `owner_recipients[event.owner]` when that owner has a
    route, otherwise to `to`; `severity_recipients[event.severity]` is added on top
    (for example an on-call list for ``critical``). Duplicates are sent once.

    The password may come from ``password_file`` or ``${ENV_VAR}``: the core resolves
    both before the config is validated.

    Attributes:
        host: The SMTP server.
        port: Its port; defaults to 587 (starttls), 465 (tls) or 25 (none).
        tls_mode: ``starttls`` (default), ``tls`` or ``none``.
        ca_bundle: PEM file of the CAs to trust instead of the system store.
        username: AUTH login; give it with `password`, or neither.
        password: AUTH password (never sent without TLS).
        from_address: Envelope sender and ``From`` address.
        from_name: Display name in ``From``.
        to: Default recipients.
        owner_recipients: Recipients per contract owner, replacing `to` for that owner.
        severity_recipients: Extra recipients per severity.
        subject_max_length: Longest subject, in characters (cut with a marker).
        timeout_seconds: Deadline for one whole send: connect, TLS, AUTH and transfer.
        local_hostname: Name sent in EHLO (defaults to this machine's host name).
        message_id_domain: Right-hand side of ``Message-ID`` (defaults to the domain of
            `from_address`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: Annotated[str, Field(min_length=1, max_length=253), AfterValidator(_host)]
    port: int | None = Field(default=None, ge=1, le=65535)
    tls_mode: TLSMode = TLSMode.STARTTLS
    ca_bundle: FilePath | None = None
    username: Annotated[str, Field(min_length=1), AfterValidator(_one_line)] | None = None
    password: SecretStr | None = None
    from_address: EmailAddress
    from_name: Annotated[str, Field(max_length=100), AfterValidator(_one_line)] = "floe monitoring"
    to: _Recipients = ()
    owner_recipients: dict[str, _Recipients] = Field(default_factory=dict)
    severity_recipients: dict[Severity, _Recipients] = Field(default_factory=dict)
    subject_max_length: int = Field(default=200, ge=40, le=900)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    local_hostname: Annotated[str, AfterValidator(_hostname)] | None = None
    message_id_domain: Annotated[str, AfterValidator(_hostname)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        if self.tls_mode is TLSMode.NONE and self.username is not None:
            raise ValueError(
                "a password is never sent over plaintext: use tls_mode starttls or tls"
            )
        if self.tls_mode is TLSMode.NONE and self.ca_bundle is not None:
            raise ValueError("ca_bundle needs tls_mode starttls or tls")
        routes = [*self.owner_recipients.values(), *self.severity_recipients.values()]
        if not self.to and not any(routes):
            raise ValueError(
                "configure at least one recipient in to, owner_recipients or severity_recipients"
            )
        return self

    @property
    def effective_port(self) -> int:
        """The configured port, or the mode's standard port."""
        return self.port if self.port is not None else DEFAULT_PORTS[self.tls_mode]

    @property
    def domain(self) -> str:
        """The domain used in ``Message-ID`` and thread ids."""
        return self.message_id_domain or self.from_address.rpartition("@")[2].lower()
