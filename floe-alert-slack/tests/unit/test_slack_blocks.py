import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from floe_alert_slack.blocks import SEVERITY_EMOJI, render_message, status_emoji
from floe_alert_slack.conformance import rendered_text
from floe_alert_slack.limits import (
    BLOCK_TEXT_BUDGET,
    FIELD_TEXT_LIMIT,
    FIELDS_LIMIT,
    HEADER_TEXT_LIMIT,
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    TEXT_LIMIT,
    block_texts,
)
from floe_monitoring import (
    TRUNCATION_MARKER,
    AlertMessage,
    ContractViolationEvent,
    EventStatus,
    Link,
    MessageField,
    Severity,
)

EventFactory = Callable[..., ContractViolationEvent]

HOSTILE = (
    "<!channel> <@U123> <!subteam^S1> <http://evil.example|click> <script>alert(1)</script> & done"
)


def _texts(payload: dict[str, Any]) -> list[str]:
    texts = [payload["text"]]
    for block in payload.get("blocks", []):
        texts += list(block_texts(block))
    return texts


def test_layout_of_a_firing_alert(make_event: EventFactory) -> None:
    message = render_message(AlertMessage.from_event(make_event()))
    payload = message.payload()
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "section", "section"]
    header = payload["blocks"][0]["text"]
    assert header["type"] == "plain_text"
    assert header["text"] == ":large_orange_circle: ERROR · orders: freshness violation"
    assert payload["blocks"][1]["text"]["text"] == "orders is 7h old (SLA 6h)"
    fields = [f["text"] for f in payload["blocks"][2]["fields"]]
    assert "*Contract*\norders v1.2.0" in fields
    assert "*Check*\nFreshness" in fields
    assert "*Element*\nupdated_at" in fields
    assert "*Expected*\n6h" in fields
    assert "*Actual*\n7h" in fields
    assert "*Owner*\ndata-platform" in fields
    assert "*Affected consumers*\nfinance-dashboard, ml-features" in fields
    assert payload["blocks"][3]["text"]["text"] == "<https://runbooks.example.com/orders|Runbook>"
    assert payload["text"].startswith(":large_orange_circle: ERROR · orders: freshness violation\n")
    assert message.problems() == []


@pytest.mark.parametrize("severity", list(Severity))
def test_emoji_carries_the_severity_colour(make_event: EventFactory, severity: Severity) -> None:
    message = render_message(AlertMessage.from_event(make_event(severity=severity)))
    assert message.blocks[0]["text"]["text"].startswith(SEVERITY_EMOJI[severity] + " ")
    assert len(set(SEVERITY_EMOJI.values())) == len(Severity)


def test_resolved_alert_has_a_green_check_and_a_note(make_event: EventFactory) -> None:
    event = make_event(status="resolved")
    message = render_message(AlertMessage.from_event(event), note="Resolves incident `x`")
    assert status_emoji(event.severity, EventStatus.RESOLVED) == ":white_check_mark:"
    assert message.blocks[0]["text"]["text"].startswith(":white_check_mark: RESOLVED")
    assert message.blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Resolves incident `x`"}],
    }


def test_mentions_come_from_config_and_lead_text_and_summary(make_event: EventFactory) -> None:
    message = render_message(
        AlertMessage.from_event(make_event()), mentions=("U0ALICE", "S0ONCALL")
    )
    assert message.blocks[1]["text"]["text"].startswith("<@U0ALICE> <!subteam^S0ONCALL> orders")
    assert message.text.startswith("<@U0ALICE> <!subteam^S0ONCALL> ")


@pytest.mark.parametrize(
    "field", ["contract_name", "message", "element", "expected_value", "actual_value", "owner"]
)
def test_contract_text_cannot_inject_markup(make_event: EventFactory, field: str) -> None:
    event = make_event(**{field: HOSTILE})
    payload = render_message(AlertMessage.from_event(event)).payload()
    body = json.dumps(payload)
    for raw in ("<!channel>", "<@U123>", "<!subteam", "<http://evil", "<script>"):
        assert raw not in body
    joined = "\n".join(_texts(payload))
    assert "&lt;!channel&gt;" in joined
    assert "&lt;http://evil.example|click&gt;" in joined
    assert "&amp; done" in joined


def test_link_urls_and_titles_cannot_break_out() -> None:
    message = AlertMessage(
        title="t",
        summary="s",
        severity=Severity.INFO,
        status=EventStatus.FIRING,
        links=(
            Link(title="<!channel> x|y", url="https://a.example/p|<!here>"),
            Link(title="ok", url="https://b.example/?a=1&b=2"),
        ),
    )
    links = render_message(message).blocks[-1]["text"]["text"]
    assert links == (
        "<https://a.example/p%7C&lt;!here&gt;|&lt;!channel&gt; x|y>"
        " · <https://b.example/?a=1&amp;b=2|ok>"
    )


def test_crlf_is_folded_in_the_header_and_normalised_in_prose(make_event: EventFactory) -> None:
    event = make_event(contract_name="orders\r\nX-Injected: 1", message="line1\r\nline2\rline3")
    message = render_message(AlertMessage.from_event(event))
    assert "\n" not in message.blocks[0]["text"]["text"]
    assert "\r" not in json.dumps(message.payload())
    assert message.blocks[1]["text"]["text"] == "line1\nline2\nline3"


def test_a_100kb_message_is_truncated_visibly(make_event: EventFactory) -> None:
    event = make_event(message="x" * 100_000, actual_value="y" * 100_000, contract_name="c" * 500)
    message = render_message(AlertMessage.from_event(event))
    payload = message.payload()
    assert message.problems() == []
    header = payload["blocks"][0]["text"]["text"]
    assert len(header) == HEADER_TEXT_LIMIT
    assert header.endswith(TRUNCATION_MARKER)
    summary = payload["blocks"][1]["text"]["text"]
    assert len(summary) == SECTION_TEXT_LIMIT
    assert summary.endswith(TRUNCATION_MARKER)
    actual = next(
        f["text"] for f in payload["blocks"][2]["fields"] if f["text"].startswith("*Actual*")
    )
    assert len(actual) == FIELD_TEXT_LIMIT
    assert actual.endswith(TRUNCATION_MARKER)
    assert len(payload["text"]) == TEXT_LIMIT
    assert payload["text"].endswith(TRUNCATION_MARKER)
    assert sum(len(t) for b in payload["blocks"] for t in block_texts(b)) <= BLOCK_TEXT_BUDGET


def test_escaping_counts_against_the_limit(make_event: EventFactory) -> None:
    # "<" becomes "&lt;": four times longer once escaped, still within the limit.
    message = render_message(AlertMessage.from_event(make_event(message="<" * 5000)))
    summary = message.blocks[1]["text"]["text"]
    assert len(summary) <= SECTION_TEXT_LIMIT
    assert summary.endswith(TRUNCATION_MARKER)
    assert "&l" + TRUNCATION_MARKER not in summary  # never an entity cut in half


def test_long_fields_share_the_budget_and_short_ones_stay_whole() -> None:
    fields = tuple(
        MessageField(label=f"F{i}", value=("v" * 9000 if i % 2 else "short")) for i in range(12)
    )
    message = AlertMessage(
        title="t",
        summary="s" * 5000,
        severity=Severity.ERROR,
        status=EventStatus.FIRING,
        fields=fields,
    )
    rendered = render_message(message)
    texts = [f["text"] for b in rendered.blocks for f in b.get("fields", [])]
    assert len(texts) == 12
    assert [b["type"] for b in rendered.blocks].count("section") == 3  # summary + 10 + 2
    assert all(len(t) <= FIELD_TEXT_LIMIT for t in texts)
    assert texts[0] == "*F0*\nshort"
    long = [t for t in texts if t.startswith(("*F1*", "*F3*"))]
    assert all(t.endswith(TRUNCATION_MARKER) for t in long)
    assert rendered.problems() == []


def test_a_huge_digest_keeps_within_50_blocks(make_event: EventFactory) -> None:
    events = [
        make_event(element=f"col_{i}", message=f"value {i} out of range " * 5) for i in range(600)
    ]
    rendered = render_message(AlertMessage.digest(events))
    assert rendered.problems() == []
    assert len(rendered.blocks) <= MAX_BLOCKS
    fields = [f["text"] for b in rendered.blocks for f in b.get("fields", [])]
    assert all(len(b.get("fields", [])) <= FIELDS_LIMIT for b in rendered.blocks)
    assert fields[-1].startswith("*…*\n")
    hidden = int(fields[-1].split("\n")[1].split()[0])
    assert hidden + len(fields) - 1 == 600


def test_too_many_links_are_counted_not_cut() -> None:
    links = tuple(
        Link(title=f"link {i}", url=f"https://example.com/{'p' * 80}/{i}") for i in range(100)
    )
    message = AlertMessage(
        title="t", summary="s", severity=Severity.INFO, status=EventStatus.FIRING, links=links
    )
    text = render_message(message).blocks[-1]["text"]["text"]
    assert text.endswith("more link(s) not shown")
    shown = text.count("<https://")
    assert 0 < shown < 100
    assert f"… {100 - shown} more link(s) not shown" in text
    assert text.count("<") == text.count(">")  # no link cut in half


def test_empty_summary_still_gives_a_valid_section() -> None:
    message = AlertMessage(title="t", summary="", severity=Severity.INFO, status=EventStatus.FIRING)
    rendered = render_message(message)
    assert rendered.blocks[1]["text"]["text"] == "(no message)"
    assert rendered.problems() == []


def test_emoji_and_non_ascii_pass_through(make_event: EventFactory) -> None:
    rendered = render_message(
        AlertMessage.from_event(make_event(message="Bestellungen 🚨 über 7h — 注文"))
    )
    assert rendered.blocks[1]["text"]["text"] == "Bestellungen 🚨 über 7h — 注文"


def test_rendered_text_helper_collects_every_text(make_event: EventFactory) -> None:
    payload = render_message(AlertMessage.from_event(make_event()), note="n").payload()
    text = rendered_text(payload)
    assert text.startswith(payload["text"])
    assert "*Owner*\ndata-platform" in text
    assert text.endswith("\nn")


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=400),
    summary=st.text(max_size=6000),
    values=st.lists(st.text(max_size=3000), max_size=25),
)
def test_any_text_renders_within_every_limit(title: str, summary: str, values: list[str]) -> None:
    message = AlertMessage(
        title=title,
        summary=summary,
        severity=Severity.CRITICAL,
        status=EventStatus.FIRING,
        fields=tuple(MessageField(label=v[:30] or "x", value=v) for v in values),
    )
    rendered = render_message(message, mentions=("U0ABC",))
    assert rendered.problems() == []
    body = json.dumps(rendered.payload())
    assert "<!channel>" not in body
