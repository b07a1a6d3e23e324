"""An injection corpus through every channel, in every variant.

Each entry of the corpus goes into every free-text field of an event (contract name,
message, element, expected and actual values, owner, domain, consumers, metadata) and
through each of the seven channel variants to its fake destination (the kit's fake
Slack and fake PagerDuty Events API validate what they receive the way the services do).

Proved: nothing crashes (one delivery per event, no exception); Slack text is
escaped so no mention, link or markup arrives live; e-mail HTML carries no live tag and
no header gains a line (no ``Bcc:`` or ``X-Injected:`` header is ever created); the
JSON formats are valid strict JSON that round-trips the text exactly (control
characters escaped, never raw); every size limit holds with a 1 MB field (Slack's
Block Kit limits, PagerDuty's 512 KB and 1,024-character summary), truncation marked;
and a contract whose YAML carries a lone surrogate does not take the other contracts'
alerts down with it.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from floe_alert_webhook import read_webhook_events
from floe_alert_webhook.limits import MAX_BODY_BYTES, TRUNCATED_KEY, fit_event
from floe_monitoring import ContractViolationEvent
from floe_monitoring.config import ChannelEntry, MonitorConfig, StateConfig
from floe_monitoring.contracts import parse_contract
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.errors import ContractError
from floe_monitoring.routing import RoutingRule
from floe_testing_kit import FakeHTTPServer
from floe_testing_kit.events import make_event

from .conftest import (
    MISSING_TABLE_CONTRACT,
    Figures,
    MissingTables,
    webhook_settings,
    write_contracts,
)
from .rel_channels import VARIANTS, Destination, destinations

SECRET = "PLANTED-injection-0123456789abcd"
ONE_MB = "x" * (1 << 20)

CORPUS: dict[str, str] = {
    "mentions": "<!channel> <!here> <!everyone> <@U024BE7LH> <!subteam^S0123|@oncall> @channel",
    "html/js": (
        "<script>alert('xss')</script><img src=x onerror=alert(1)>"
        '<a href="javascript:alert(1)">x</a><iframe src=//evil.example></iframe>'
    ),
    "crlf": "orders\r\nBcc: attacker@evil.example\r\nX-Injected: yes\r\n\r\n<h1>body</h1>",
    "markdown": "[click me](http://evil.example/phish) <http://evil.example|click> *b* `c` ~s~",
    "control": "nul\x00 bell\x07 esc\x1b[31mred\x1b[0m del\x7f rtl\u202eevil\u202c zw\u200b\ufeff",
    "1 MB": ONE_MB,
}
# The corpus's own tags (the e-mail template has links of its own).
LIVE_MARKUP = ("<script>alert", "<img src=x", "<iframe src", '<a href="javascript:')
MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<@U024BE7LH>", "<!subteam^")


def _event(text: str) -> ContractViolationEvent:
    short = text[:200]  # identifiers stay reasonable; message and values carry it all
    return make_event(
        contract_name=short,
        message=text,
        element=short,
        expected_value=text,
        actual_value=short,
        owner=short,
        domain=short,
        affected_consumers=[short, "finance-dashboard"],
        metadata={"note": text, "tags": [short]},
    )


def _check_slack(destination: Destination, entry: str) -> None:
    assert destination.profile.fake.rejections == []  # type: ignore[attr-defined]
    [text] = destination.rendered()
    for mention in MENTIONS:
        assert mention not in text, (entry, mention)
    assert "<http://evil.example|click>" not in text
    assert "<script" not in text
    if entry == "mentions":
        assert "&lt;!channel&gt;" in text


def _check_email(destination: Destination, entry: str) -> None:
    [mail] = destination.mails()
    message = message_from_bytes(mail.data, policy=policy.default)
    for part in message.walk():  # the message's headers and every MIME part's
        assert part["Bcc"] is None
        assert part["X-Injected"] is None
        for header, value in part.items():
            assert "\r" not in str(value), header
            assert "\n" not in str(value), header
    head = mail.data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert not line.lower().startswith((b"bcc:", b"x-injected:")), line[:80]
    [html] = destination.rendered()
    lowered = html.lower()
    for tag in LIVE_MARKUP:
        assert tag not in lowered, (entry, tag)
    assert "\x00" not in html


def _check_pagerduty(destination: Destination, entry: str) -> None:
    api = destination.profile.api  # type: ignore[attr-defined]
    assert api.rejected == [], api.rejected
    [request] = destination.requests()
    body = json.loads(request.body)  # strict: a raw control character would fail here
    assert len(body["payload"]["summary"]) <= 1024
    assert len(request.body) <= 512_000


def _check_webhook(destination: Destination, entry: str, event: ContractViolationEvent) -> None:
    [request] = destination.requests()
    assert "bcc" not in request.headers
    assert "x-injected" not in request.headers
    for name, value in request.headers.items():
        assert "\r" not in value, name
        assert "\n" not in value, name
    if destination.variant != "binary":
        json.loads(request.body)  # strict JSON: no raw control characters
    [received] = read_webhook_events(request.headers, request.body)
    if entry == "1 MB":
        # Cut to the body limit (aiohttp warns about bodies over 1 MiB), marked as cut,
        # and exactly what the channel's own limiter makes of it (retries send the same).
        assert len(request.body) <= MAX_BODY_BYTES
        assert received == fit_event(event)
        assert "message" in str(received.metadata[TRUNCATED_KEY])
        assert received.message.endswith("[truncated]")
    else:
        assert received == event  # every other string round-trips exactly


@pytest.mark.parametrize(("channel_type", "variant"), [(c, v) for c, v, _ in VARIANTS])
async def test_the_corpus_is_escaped_or_truncated_never_sent_raw(
    channel_type: str, variant: str, figures: Figures
) -> None:
    sizes: dict[str, int] = {}
    async with destinations(SECRET, only=channel_type) as found:
        [destination] = [d for d in found if d.variant == variant]
        channel = destination.build()
        async with channel:
            for entry, text in CORPUS.items():
                if destination.http is not None:
                    destination.http.clear()
                if destination.smtp is not None:
                    destination.smtp.clear()
                event = _event(text)
                receipt = await channel.send_alert(event)
                assert receipt.event_ids == (event.event_id,)
                assert destination.delivered() == 1, entry
                sizes[entry] = max(len(raw) for raw in destination.raw())
                if channel_type == "slack":
                    _check_slack(destination, entry)
                elif channel_type == "email":
                    _check_email(destination, entry)
                elif channel_type == "pagerduty":
                    _check_pagerduty(destination, entry)
                else:
                    _check_webhook(destination, entry, event)
    figures.update({"channel": destination.name, "bytes_sent_per_entry": sizes})
    assert sizes["1 MB"] > 0


SURROGATE_CONTRACT = MISSING_TABLE_CONTRACT.format(prefix="s", i=0).replace(
    "name: s0\n", 'name: "orders \\ud800 broken"\n'
)


def test_a_lone_surrogate_escape_is_refused_when_the_contract_loads() -> None:
    """The corpus's last entry can only arrive through a file: YAML's ``\\ud800``.

    It is valid YAML but cannot be encoded as UTF-8 (not stored, not sent): the loader
    refuses it in one line naming the file and the field.
    """
    with pytest.raises(ContractError) as caught:
        parse_contract(SURROGATE_CONTRACT, source="s0.yaml")
    message = str(caught.value)
    assert message.startswith("s0.yaml")
    assert "name" in message
    assert "\n" not in message


async def test_a_contract_with_a_lone_surrogate_does_not_stop_the_others(
    tmp_path: Path, state_url: str, figures: Figures
) -> None:
    write_contracts(tmp_path / "contracts", 3)
    (tmp_path / "contracts" / "s0.yaml").write_text(SURROGATE_CONTRACT)
    async with FakeHTTPServer() as receiver:
        config = MonitorConfig(
            contracts=(str(tmp_path / "contracts" / "*.yaml"),),
            state=StateConfig(url=SecretStr(state_url)),
            channels={"hook": ChannelEntry.model_validate(webhook_settings(f"{receiver.url}/in"))},
            routing=(RoutingRule(channel="hook"),),
            monitoring={"rate_limit": None, "scheduling": "local"},  # type: ignore[arg-type]
            base_dir=tmp_path,
        )
        error: Any = None
        async with ContractMonitor(config, table_source=MissingTables()) as monitor:
            try:
                await monitor.run_once(check_types=["availability"])
            except Exception as exc:  # the finding: recorded, then asserted below
                error = exc
            stored = await monitor.store.results(limit=None)
            contract_errors = list(monitor.contract_errors)
        names = sorted(json.loads(r.body)["contractName"] for r in receiver.requests)
    figures.update(
        {
            "raised": f"{type(error).__name__}: {str(error).splitlines()[0]}" if error else None,
            "delivered": names,
            "stored_results": len(stored),
            "contract_errors": contract_errors,
        }
    )
    assert error is None, f"one contract's bad text failed the whole cycle: {error!r}"[:400]
    assert [n for n in names if n.startswith("c")] == ["c0", "c1", "c2"]
    assert len(stored) >= 3
