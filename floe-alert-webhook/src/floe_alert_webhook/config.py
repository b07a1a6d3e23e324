"""`WebhookConfig`: where to send, how to encode, how to sign and authenticate.

Every credential is a `SecretStr`, the URL included: webhook URLs often carry a token in
their path or query, so the URL is masked in `repr`, `str` and `model_dump_json()` and
never appears in an error. Validation messages name the field and the rule, never the
value (`hide_input_in_errors`).
"""

from __future__ import annotations

import base64
import binascii
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from floe_alert_webhook.signing import WHSEC_PREFIX, decode_signing_secret
from floe_alert_webhook.targets import TargetURL

__all__ = [
    "MAX_TIMEOUT_SECONDS",
    "RESERVED_HEADERS",
    "BasicAuth",
    "BearerAuth",
    "WebhookAuth",
    "WebhookConfig",
    "WebhookMode",
]

#: The longest per-send deadline accepted: beyond it the core's own deadlines take over.
MAX_TIMEOUT_SECONDS = 300.0

#: Headers the channel writes itself; a custom header may not replace them.
RESERVED_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "host",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "x-hub-signature-256",
        "traceparent",
        "tracestate",
    }
)

# RFC 9110 token: what a header name may contain.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Any control character (CR and LF above all): a header value with one could inject
# headers or split the request.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_STRICT = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class WebhookMode(StrEnum):
    """How an event is put on the wire."""

    STRUCTURED = "structured"
    """CloudEvents structured mode: attributes and data in a JSON body (the default)."""
    BINARY = "binary"
    """CloudEvents binary mode: the data is the body, attributes are `ce-*` headers."""
    JSON = "json"
    """Plain JSON: the event's data only, for receivers that do not speak CloudEvents."""


def _no_controls(value: str, what: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(f"{what} must not contain control characters (CR, LF, ...)")
    return value


class BearerAuth(BaseModel):
    """`Authorization: Bearer <token>`."""

    model_config = _STRICT

    type: Literal["bearer"] = "bearer"
    token: SecretStr = Field(min_length=1)

    @field_validator("token")
    @classmethod
    def _header_safe(cls, value: SecretStr) -> SecretStr:
        _no_controls(value.get_secret_value(), "the token")
        return value


class BasicAuth(BaseModel):
    """`Authorization: Basic <base64(username:password)>`."""

    model_config = _STRICT

    type: Literal["basic"] = "basic"
    username: str = Field(min_length=1)
    password: SecretStr

    @field_validator("username")
    @classmethod
    def _valid_username(cls, value: str) -> str:
        if ":" in value:
            raise ValueError("must not contain ':' (RFC 7617)")
        return _no_controls(value, "the username")

    @field_validator("password")
    @classmethod
    def _header_safe(cls, value: SecretStr) -> SecretStr:
        _no_controls(value.get_secret_value(), "the password")
        return value


#: The `auth` setting: bearer token or basic credentials, told apart by `type`.
WebhookAuth = Annotated[BearerAuth | BasicAuth, Field(discriminator="type")]


class WebhookConfig(BaseModel):
    """Configuration of the `webhook` channel.

    Attributes:
        url: The receiver's URL (secret: it may hold a token). HTTPS unless
            `allow_insecure_http`; no user info (use `auth`).
        mode: `structured` (default), `binary` or `json`.
        secret: Standard Webhooks signing secret, ``whsec_`` + base64 of 24-64 bytes.
            Required: every request is signed.
        github_secret: Optional key for an extra ``X-Hub-Signature-256`` header.
        headers: Extra request headers; values are secrets (API keys live here).
        auth: Bearer token or basic credentials for the ``Authorization`` header.
        timeout_seconds: Deadline for one send, connect + write + read together.
        ca_bundle: PEM file of the CAs to trust instead of the default store (HTTPS).
        allow_insecure_http: Permit a plain ``http://`` URL (loopback receivers, tests).
        allow_link_local_targets: Permit link-local addresses (169.254.0.0/16,
            fe80::/10) and cloud-metadata endpoints (169.254.169.254, fd00:ec2::254,
            metadata.google.internal), refused by default so that a config cannot turn
            the monitor into a way to read instance credentials.
        batch: Deliver `send_batch` as one CloudEvents batch (``json`` mode: a JSON
            array). Only for receivers that ask for batches.

    """

    model_config = _STRICT

    url: SecretStr
    mode: WebhookMode = WebhookMode.STRUCTURED
    secret: SecretStr
    github_secret: SecretStr | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    auth: WebhookAuth | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=MAX_TIMEOUT_SECONDS)
    ca_bundle: Path | None = None
    allow_insecure_http: bool = False
    allow_link_local_targets: bool = False
    batch: bool = False

    @field_validator("secret")
    @classmethod
    def _standard_webhooks_secret(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if not text.startswith(WHSEC_PREFIX):
            raise ValueError(f"must start with '{WHSEC_PREFIX}' (a Standard Webhooks secret)")
        try:
            key = decode_signing_secret(text)
        except (ValueError, binascii.Error):
            raise ValueError(f"must be '{WHSEC_PREFIX}' followed by valid base64") from None
        if not 24 <= len(key) <= 64:
            raise ValueError(f"must encode 24 to 64 random bytes (got {len(key)})")
        return value

    @field_validator("github_secret")
    @classmethod
    def _non_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            raise ValueError("must not be empty (leave it out to send no X-Hub-Signature-256)")
        return value

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        seen: set[str] = set()
        for name, secret in value.items():
            lower = name.lower()
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP token")
            if lower in seen:
                raise ValueError(f"header {name!r} is given twice (names are case-insensitive)")
            seen.add(lower)
            if lower in RESERVED_HEADERS or lower.startswith("ce-"):
                raise ValueError(f"header {name!r} is set by the channel and cannot be replaced")
            _no_controls(secret.get_secret_value(), f"the value of header {name!r}")
        return value

    @model_validator(mode="after")
    def _valid_target(self) -> Self:
        # Raises ValueError with a message that never contains the URL.
        target = TargetURL.parse(
            self.url.get_secret_value(),
            allow_insecure_http=self.allow_insecure_http,
            allow_link_local=self.allow_link_local_targets,
        )
        if self.ca_bundle is not None and not target.is_https:
            raise ValueError("ca_bundle applies to https URLs only")
        if self.auth is not None and "authorization" in {n.lower() for n in self.headers}:
            raise ValueError("give the Authorization header either in 'auth' or in 'headers'")
        return self

    @property
    def target(self) -> TargetURL:
        """The parsed URL (its `origin` is safe to show; the rest is secret)."""
        return TargetURL.parse(
            self.url.get_secret_value(),
            allow_insecure_http=self.allow_insecure_http,
            allow_link_local=self.allow_link_local_targets,
        )

    def signing_key(self) -> bytes:
        """The HMAC key of the Standard Webhooks secret (the decoded part after `whsec_`)."""
        return decode_signing_secret(self.secret.get_secret_value())

    def basic_credentials(self) -> str | None:
        """The base64 `username:password` of basic auth, or None (a derived secret)."""
        if not isinstance(self.auth, BasicAuth):
            return None
        pair = f"{self.auth.username}:{self.auth.password.get_secret_value()}"
        return base64.b64encode(pair.encode("utf-8")).decode("ascii")
