"""TLS, forbidden destinations, signatures and replays.

Proved:

- TLS verification is on by default everywhere the monitor opens a TLS connection:
  every channel variant refuses the fakes' certificate (signed by a CA it was not
  given) and sends nothing, then delivers once given the CA; no channel accepts a
  setting that turns verification off; the OpenLineage transport and a REST catalog
  refuse an unknown certificate too.
- The webhook channel refuses link-local and cloud-metadata addresses in every
  spelling (IPv4, IPv6, IPv4-mapped, decimal, octal, hex, trailing dot, metadata host
  name) at validation, in ``floe sla config validate`` and when a host name resolves to
  one at connect time; ``allow_link_local_targets: true`` lets them through.
- Signatures: the published Standard Webhooks and GitHub test vectors verify, and what
  the channel sends verifies with an independent HMAC computation.
- Replays: a timestamp more than the documented 300 s (±5 minutes) away is refused by
  the receiver-side check; inside the window it is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from floe_alert_webhook import verify_github_signature, verify_standard_webhook
from floe_alert_webhook.signing import (
    decode_signing_secret,
    github_signature,
    standard_webhook_signature,
)
from floe_alert_webhook.verify import DEFAULT_TOLERANCE_SECONDS, WebhookVerificationError
from floe_monitoring import DeliveryError, HealthState, PermanentDeliveryError
from floe_monitoring.catalog import CatalogConfig, IcebergTableSource, TableSourceConfig
from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.channels import build_channel
from floe_monitoring.errors import CatalogUnavailableError, ChannelConfigError
from floe_monitoring.telemetry import LineageConfig
from floe_monitoring.telemetry.lineage import LineageEmitter
from floe_testing_kit import FakeHTTPServer, RecordedRequest, ScriptedResponse
from floe_testing_kit.events import make_event

from .conftest import Figures, run
from .rel_channels import VARIANTS, destinations

SECRET = "PLANTED-tls-0123456789abcdefghij"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# -- TLS -------------------------------------------------------------------------------


@pytest.mark.parametrize(("channel_type", "variant"), [(c, v) for c, v, _ in VARIANTS])
async def test_every_channel_verifies_tls_by_default(
    channel_type: str, variant: str, figures: Figures
) -> None:
    async with destinations(SECRET, tls=True, trusted=False, only=channel_type) as found:
        [destination] = [d for d in found if d.variant == variant]
        async with destination.build() as channel:
            with pytest.raises(DeliveryError) as refused:
                await channel.send_alert(make_event())
            health = await channel.health_check(5.0)
        sent_to_an_unverified_peer = destination.delivered()
    async with destinations(SECRET, tls=True, trusted=True, only=channel_type) as found:
        [trusted] = [d for d in found if d.variant == variant]
        async with trusted.build() as channel:
            await channel.send_alert(make_event())
        delivered = trusted.delivered()
    figures.update(
        {
            "channel": destination.name,
            "error": f"{type(refused.value).__name__}: {refused.value}",
            "health": health.message,
        }
    )
    assert sent_to_an_unverified_peer == 0
    assert health.state is HealthState.UNHEALTHY
    assert "certif" in str(refused.value).lower() or "tls" in str(refused.value).lower()
    assert SECRET not in str(refused.value)
    assert delivered == 1  # the same fake, once its CA is given


@pytest.mark.parametrize("knob", ["verify", "verify_tls", "tls_verify", "insecure", "ssl_verify"])
async def test_no_channel_accepts_a_setting_that_turns_verification_off(knob: str) -> None:
    async with destinations(SECRET, tls=True) as found:
        for destination in found:
            with pytest.raises(ChannelConfigError) as caught:
                destination.build(**{knob: False})
            assert caught.value.field == knob
            assert "extra" in caught.value.reason.lower() or "not permitted" in caught.value.reason


async def test_lineage_and_rest_catalogs_verify_tls_too(figures: Figures) -> None:
    async with FakeHTTPServer(tls=True) as backend:
        transport = {
            "type": "http",
            "url": backend.url,
            "endpoint": "api/v1/lineage",
            "timeout": 2,
            "retry": {"total": 0, "read": 0, "connect": 0, "status": 0},
        }
        emitter = LineageEmitter(LineageConfig(namespace="rel", transport=transport))
        from floe_monitoring.telemetry import Telemetry

        telemetry = Telemetry(lineage=emitter)
        contract, results = _evaluation()
        telemetry.emit_evaluation(contract, results)
        await telemetry.aclose()
        lineage = emitter.stats()
        rest = TableSourceConfig(
            catalogs=(CatalogConfig(name="rest", properties={"type": "rest", "uri": backend.url}),),
        )
        async with IcebergTableSource(rest) as source:
            with pytest.raises(CatalogUnavailableError) as catalog_refused:
                await source.probe(TableRef(catalog="rest", namespace=("ns",), name="t"))
        reached = list(backend.requests)
    figures.update(
        {
            "lineage": {"emitted": lineage.emitted, "failed": lineage.failed},
            "catalog": str(catalog_refused.value),
        }
    )
    assert lineage.emitted == 0
    assert lineage.failed >= 1
    assert "SSL" in str(catalog_refused.value) or "certificate" in str(catalog_refused.value)
    assert reached == []  # neither sent a byte of HTTP to the unverified server


def _evaluation() -> tuple[Any, Any]:
    from datetime import UTC, datetime

    from floe_monitoring.checks import CheckResult, CheckStatus, CheckType
    from floe_monitoring.contracts import parse_contract

    contract = parse_contract(
        "apiVersion: v3.1.0\nkind: DataContract\nid: urn:rel:tls\nname: tls\nversion: 1.0.0\n"
    )
    result = CheckResult(
        contract_id=contract.id,
        contract_name=contract.name,
        contract_version=contract.version,
        check_type=CheckType.AVAILABILITY,
        status=CheckStatus.PASS,
        message="loaded",
        started_at=datetime.now(UTC),
        duration_seconds=0.1,
    )
    return contract, [result]


# -- link-local and cloud metadata -----------------------------------------------------

FORBIDDEN = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.170.2/v2/credentials",
    "http://169.254.1.1/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://100.100.100.200/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
    "http://169.254.169.254./",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://0xa9fea9fe/",
]


def _webhook(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "secret": WHSEC, "allow_insecure_http": True, **extra}


@pytest.mark.parametrize("url", FORBIDDEN)
def test_the_webhook_refuses_link_local_and_metadata_addresses(url: str) -> None:
    with pytest.raises(ChannelConfigError) as refused:
        build_channel("webhook", _webhook(url), instance_name="hook")
    assert "refused" in refused.value.reason
    assert "allow_link_local_targets" in refused.value.reason
    assert "169.254" not in str(refused.value)  # the URL (a credential) is never echoed
    allowed = build_channel(
        "webhook", _webhook(url, allow_link_local_targets=True), instance_name="hook"
    )
    assert allowed.instance_name == "hook"


def test_config_validate_refuses_a_metadata_url(tmp_path: Path) -> None:
    config = {
        "channels": {"hook": {"type": "webhook", **_webhook(FORBIDDEN[0])}},
        "routing": [{"channel": "hook"}],
    }
    (tmp_path / "floe-monitor.yaml").write_text(json.dumps(config))
    code, _out, err = run("sla", "config", "validate", cwd=tmp_path)
    assert code == 4
    assert "channel 'hook'" in err
    assert "refused" in err


async def test_a_host_name_resolving_to_the_metadata_address_is_refused_at_connect(
    monkeypatch: pytest.MonkeyPatch, figures: Figures
) -> None:
    real = aiohttp.resolver.DefaultResolver.resolve
    lookups: list[str] = []

    async def resolve(
        self: Any, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> Any:
        if host == "alerts.attacker.example":
            lookups.append(host)
            return [
                {
                    "hostname": host,
                    "host": "169.254.169.254",
                    "port": port,
                    "family": socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            ]
        return await real(self, host, port, family)

    monkeypatch.setattr(aiohttp.resolver.DefaultResolver, "resolve", resolve)
    channel = build_channel(
        "webhook", _webhook("http://alerts.attacker.example/hook"), instance_name="hook"
    )
    async with channel:
        with pytest.raises(PermanentDeliveryError) as refused:
            await channel.send_alert(make_event())
    figures.update({"error": str(refused.value), "lookups": len(lookups)})
    assert lookups
    assert "metadata" in str(refused.value) or "link-local" in str(refused.value)


# -- signatures and replays ------------------------------------------------------------


def test_the_published_test_vectors_verify() -> None:
    # Standard Webhooks (standard-webhooks.com), and GitHub's documented example.
    body = b'{"test": 2432232314}'
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    key = decode_signing_secret(WHSEC)
    assert (
        standard_webhook_signature(key, headers["webhook-id"], 1614265330, body)
        == (headers["webhook-signature"])
    )
    verify_standard_webhook(headers, body, WHSEC, now=1614265330)
    github = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert github_signature("It's a Secret to Everybody", b"Hello, World!") == github
    verify_github_signature(
        {"X-Hub-Signature-256": github}, b"Hello, World!", "It's a Secret to Everybody"
    )
    with pytest.raises(WebhookVerificationError):
        verify_standard_webhook(headers, body + b" ", WHSEC, now=1614265330)


async def test_what_the_channel_sends_verifies_independently(figures: Figures) -> None:
    captured: list[RecordedRequest] = []

    def accept(request: RecordedRequest) -> ScriptedResponse:
        captured.append(request)
        return ScriptedResponse(202)

    async with FakeHTTPServer(accept) as receiver:
        for mode in ("structured", "binary", "json"):
            channel = build_channel(
                "webhook",
                _webhook(
                    f"{receiver.url}/in", mode=mode, github_secret="It's a Secret to Everybody"
                ),
                instance_name="hook",
            )
            async with channel:
                await channel.send_alert(make_event())
    for request in captured:
        message_id = request.headers["webhook-id"]
        stamp = request.headers["webhook-timestamp"]
        key = base64.b64decode(WHSEC.removeprefix("whsec_"))
        signed = f"{message_id}.{stamp}.".encode() + request.body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        assert f"v1,{expected}" in request.headers["webhook-signature"].split()
        github = hmac.new(b"It's a Secret to Everybody", request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-hub-signature-256"] == f"sha256={github}"
    figures["requests_verified"] = len(captured)
    assert len(captured) == 3


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (0, True),
        (299, True),
        (-299, True),
        (300, True),
        (301, False),
        (-301, False),
        (86_400, False),
    ],
)
def test_replayed_timestamps_outside_the_documented_tolerance_are_refused(
    offset: int, accepted: bool
) -> None:
    stamp = 1_800_000_000
    body = b'{"eventId": "x"}'
    key = decode_signing_secret(WHSEC)
    headers = {
        "webhook-id": "evt-1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": standard_webhook_signature(key, "evt-1", stamp, body),
    }
    assert DEFAULT_TOLERANCE_SECONDS == 300
    readme = Path(__file__).parents[3] / "floe-alert-webhook" / "README.md"
    assert "±5 minutes" in readme.read_text(encoding="utf-8")  # what receivers are told
    if accepted:
        verify_standard_webhook(headers, body, WHSEC, now=stamp + offset)
    else:
        with pytest.raises(WebhookVerificationError, match="replay"):
            verify_standard_webhook(headers, body, WHSEC, now=stamp + offset)
