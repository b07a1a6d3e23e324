"""`WebhookProfile`: how the floe conformance kit tests the `webhook` channel.

Registered under the ``floe.conformance`` entry-point group; needs the optional
``conformance`` extra (``pip install floe-alert-webhook[conformance]``).

The kit plants one secret string. A Standard Webhooks secret must be ``whsec_`` plus
base64, so the signing secret is derived from it (`signing_secret_for`); the planted
string itself goes into every other secret field (URL query token, bearer token,
a custom header, the GitHub signing key) so that any leak of it is caught.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, ClassVar
from urllib.parse import quote

from floe_alert_webhook.encoding import read_webhook_events
from floe_alert_webhook.signing import WHSEC_PREFIX
from floe_alert_webhook.verify import (
    WebhookVerificationError,
    verify_github_signature,
    verify_standard_webhook,
)
from floe_monitoring import AlertMessage
from floe_testing_kit import (
    ChannelProfile,
    Endpoint,
    RecordedRequest,
    ScriptedResponse,
    TextFormat,
    Transport,
)

__all__ = ["WebhookProfile", "signing_secret_for"]


def signing_secret_for(planted: str) -> str:
    """A valid ``whsec_`` secret derived from any string: base64 of its SHA-256."""
    digest = hashlib.sha256(planted.encode("utf-8")).digest()
    return WHSEC_PREFIX + base64.b64encode(digest).decode("ascii")


class WebhookProfile(ChannelProfile):
    """The `webhook` channel, in each of its three encodings."""

    channel: ClassVar[str] = "webhook"
    transport: ClassVar[Transport] = Transport.HTTP
    text_format: ClassVar[TextFormat] = TextFormat.JSON
    variants: ClassVar[tuple[str, ...]] = ("structured", "binary", "json")
    timeout_field: ClassVar[str] = "timeout_seconds"

    def config(self, endpoint: Endpoint, *, secret: str, variant: str) -> dict[str, Any]:
        """Point the channel at the fake receiver, with the planted secret everywhere."""
        config: dict[str, Any] = {
            "url": f"{endpoint.url}/hooks/floe?token={quote(secret, safe='')}",
            "mode": variant,
            "secret": signing_secret_for(secret),
            "github_secret": secret,
            "headers": {"X-Floe-Token": secret},
            "auth": {"type": "bearer", "token": secret},
            "timeout_seconds": 5.0,
        }
        if endpoint.url.startswith("http://"):
            config["allow_insecure_http"] = True
        if endpoint.ca_bundle:
            config["ca_bundle"] = endpoint.ca_bundle
        return config

    def success_response(self, request: RecordedRequest, *, variant: str) -> ScriptedResponse:
        """Webhook receivers commonly accept with 202 and an empty body."""
        return ScriptedResponse(202)

    def idempotency_key(self, request: RecordedRequest, *, variant: str) -> str | None:
        """The `webhook-id` header (the event id), or `ce-id` in binary mode."""
        return request.headers.get("webhook-id") or request.headers.get("ce-id")

    def rendered_text(self, request: RecordedRequest, *, variant: str) -> str:
        """The events' text as a receiver reads it after parsing the JSON."""
        try:
            events = read_webhook_events(request.headers, request.body)
        except ValueError:
            return request.text()
        return "\n\n".join(AlertMessage.from_event(event).as_text() for event in events)

    def verify_signature(self, request: RecordedRequest, *, secret: str, variant: str) -> bool:
        """Both signatures hold: Standard Webhooks (derived key) and X-Hub-Signature-256."""
        try:
            verify_standard_webhook(request.headers, request.body, signing_secret_for(secret))
            verify_github_signature(request.headers, request.body, secret)
        except WebhookVerificationError:
            return False
        return True
