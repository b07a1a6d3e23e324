import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from floe_alert_email import EmailConfig
from floe_alert_email.render import (
    MAX_FIELDS,
    MAX_SUMMARY_CHARS,
    render_digest,
    render_event,
    subject_line,
    thread_id_for,
)
from floe_monitoring import TRUNCATION_MARKER, ContractViolationEvent

CONFIG = EmailConfig(
    host="smtp.example.com",
    from_address="alerts@example.com",
    from_name="Floe · Alerts",
    to=("data@example.com",),
)
TO = ["data@example.com", "oncall@example.com"]


def _event(**overrides: Any) -> ContractViolationEvent:
    values: dict[str, Any] = {
        "contract_name": "orders",
        "contract_version": "1.2.0",
        "violation_type": "freshness",
        "severity": "error",
        "message": "orders is 7h old (SLA 6h)",
        "timestamp": "2026-01-31T09:30:00Z",
        "links": [{"title": "Runbook", "url": "https://runbooks.example/orders?a=1&b=2"}],
    }
    values.update(overrides)
    return ContractViolationEvent.model_validate(values)


def _parse(data: bytes) -> EmailMessage:
    parsed = message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): str(part.get_content()).replace("\r\n", "\n")
        for part in message.walk()
        if not part.is_multipart()
    }


def test_multipart_alternative_with_text_first_and_html_last() -> None:
    message = _parse(render_event(CONFIG, _event(), TO).data)
    assert message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = _parts(message)["text/plain"]
    assert text.startswith("ERROR · orders: freshness violation\n\norders is 7h old (SLA 6h)")
    assert "Contract: orders v1.2.0" in text
    assert "Runbook: https://runbooks.example/orders?a=1&b=2" in text


def test_headers_identify_thread_and_mark_the_mail_automatic() -> None:
    event = _event()
    rendered = render_event(CONFIG, event, TO)
    message = _parse(rendered.data)
    assert message["Message-ID"] == f"<{event.event_id}@example.com>" == rendered.message_id
    thread = thread_id_for(event.dedup_key, "example.com")
    assert message["In-Reply-To"] == thread
    assert message["References"] == thread
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["X-Floe-Severity"] == "error"
    assert message["X-Floe-Status"] == "firing"
    assert message["X-Floe-Event-Id"] == str(event.event_id)
    assert message["From"] == "Floe · Alerts <alerts@example.com>"
    assert message["To"] == "data@example.com, oncall@example.com"
    assert message["Date"] == "Sat, 31 Jan 2026 09:30:00 +0000"
    assert message["Subject"] == "[ERROR] orders: orders is 7h old (SLA 6h)"


def test_firing_and_resolved_share_a_thread_other_incidents_do_not() -> None:
    firing = _event()
    resolved = firing.with_changes(event_id=uuid.uuid4(), status="resolved")
    other = _event(element="orders.updated_at")
    ids = [_parse(render_event(CONFIG, e, TO).data) for e in (firing, resolved, other)]
    assert ids[0]["References"] == ids[1]["References"] != ids[2]["References"]
    assert ids[0]["Message-ID"] != ids[1]["Message-ID"]
    assert ids[1]["Subject"] == "[RESOLVED] orders: orders is 7h old (SLA 6h)"
    assert ids[1]["X-Floe-Status"] == "resolved"


def test_the_same_event_renders_to_identical_bytes() -> None:
    event = _event(message="naïve — ünïcode " * 40)
    first = render_event(CONFIG, event, TO).data
    assert render_event(CONFIG, event, TO).data == first
    assert b"\r\n" in first
    assert b"\n" not in first.replace(b"\r\n", b"")


def test_wire_bytes_are_seven_bit_and_the_subject_is_rfc2047_encoded() -> None:
    event = _event(contract_name="Bestellübersicht", message="Daten sind 7 h alt – 注文")
    rendered = render_event(CONFIG, event, TO)
    assert all(byte < 128 for byte in rendered.data)
    assert b"=?utf-8?" in rendered.data
    message = _parse(rendered.data)
    assert message["Subject"] == "[ERROR] Bestellübersicht: Daten sind 7 h alt – 注文"
    assert "Daten sind 7 h alt – 注文" in _parts(message)["text/html"]


def test_long_non_ascii_subjects_keep_every_space() -> None:
    # CPython's own folder loses the space between two encoded words ("alt –注文").
    message = "Daten sind alt – 注文 ✓ " * 6
    event = _event(contract_name="Bestellübersicht", message=message)
    rendered = render_event(CONFIG, event, TO)
    headers = rendered.data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\n =?utf-8?" in headers  # folded over several lines
    assert max(len(line) for line in headers.split(b"\r\n")) <= 78
    parsed = _parse(rendered.data)
    assert parsed["Subject"] == f"[ERROR] Bestellübersicht: {message.strip()}"


def test_header_injection_through_the_contract_name_is_neutralised() -> None:
    name = "orders\r\nBcc: victim@example.net\r\nX-Evil: 1"
    rendered = render_event(CONFIG, _event(contract_name=name), TO)
    message = _parse(rendered.data)
    assert message["Bcc"] is None
    assert message["X-Evil"] is None
    headers = rendered.data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in headers
    assert b"\r\nX-Evil:" not in headers
    # The header may be folded before its value (RFC 5322 unfolding makes that the same
    # as "Subject: [ERROR]..."); Python's parser then keeps the leading space.
    subject = str(message["Subject"]).strip()
    assert "\r" not in subject
    assert "\n" not in subject
    assert subject.startswith("[ERROR] orders Bcc: victim@example.net X-Evil: 1: ")
    # In the text part, a forged line cannot pass for a field of its own.
    text = _parts(message)["text/plain"]
    assert "\nBcc:" not in text
    assert "Contract: orders\n  Bcc: victim@example.net\n  X-Evil: 1" in text


def test_html_part_escapes_untrusted_text() -> None:
    event = _event(
        contract_name="<script>alert(1)</script>",
        message='<img src=x onerror="steal()"> & <b>',
        element='"><a href="javascript:x">',
        links=[{"title": "<i>dash</i>", "url": 'https://d.example/?q="><script>'}],
    )
    html = _parts(_parse(render_event(CONFIG, event, TO).data))["text/html"]
    assert "<script>" not in html
    assert "<img" not in html
    assert "<i>" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;steal()&quot;&gt; &amp; &lt;b&gt;" in html
    assert 'href="https://d.example/?q=&quot;&gt;&lt;script&gt;"' in html


def test_subject_is_capped_with_a_visible_marker() -> None:
    event = _event(message="x" * 5000)
    subject = str(_parse(render_event(CONFIG, event, TO).data)["Subject"])
    assert len(subject) == CONFIG.subject_max_length
    assert subject.endswith(TRUNCATION_MARKER)
    assert subject_line("INFO", "c", "s", 40) == "[INFO] c: s"


def test_long_text_is_truncated_never_refused() -> None:
    event = _event(message="m" * (MAX_SUMMARY_CHARS + 500), actual_value="v" * 50_000)
    parts = _parts(_parse(render_event(CONFIG, event, TO).data))
    assert TRUNCATION_MARKER in parts["text/plain"]
    assert "m" * (MAX_SUMMARY_CHARS + 1) not in parts["text/plain"]
    assert "v" * 2001 not in parts["text/html"]


def test_control_characters_and_lone_surrogates_are_cleaned() -> None:
    event = _event(message="bell\x07 nul\x00 esc\x1b[31m sur\ud800rogate")
    rendered = render_event(CONFIG, event, TO)
    text = _parts(_parse(rendered.data))["text/plain"]
    assert "\x07" not in text
    assert "\x00" not in text
    assert "\x1b" not in text
    assert "sur\ufffdrogate" in text


def test_digest_renders_events_of_one_contract_in_one_message() -> None:
    events = [
        _event(element="a", severity="warning"),
        _event(element="b", severity="critical"),
        _event(element="c", status="resolved"),
    ]
    rendered = render_digest(CONFIG, events, TO)
    message = _parse(rendered.data)
    assert message["Subject"] == "[CRITICAL] orders: 3 notifications (2 firing, 1 resolved)"
    assert message["References"] == " ".join(
        thread_id_for(e.dedup_key, "example.com") for e in events
    )
    assert message["In-Reply-To"] == thread_id_for(events[0].dedup_key, "example.com")
    assert str(message["Message-ID"]).startswith("<digest-")
    assert message["X-Floe-Event-Id"] is None
    text = _parts(message)["text/plain"]
    assert "Freshness (b): [firing/critical] orders is 7h old (SLA 6h)" in text
    # The same batch keeps its id and bytes; another batch gets another id.
    assert render_digest(CONFIG, events, TO).data == rendered.data
    assert render_digest(CONFIG, events[:2], TO).message_id != rendered.message_id


def test_a_resolved_only_digest_of_several_contracts() -> None:
    events = [
        _event(contract_name="orders", status="resolved"),
        _event(contract_name="customers", status="resolved"),
    ]
    message = _parse(render_digest(CONFIG, events, TO).data)
    assert message["Subject"] == "[RESOLVED] 2 contracts: 2 notifications (0 firing, 2 resolved)"


def test_a_digest_of_one_event_is_that_event() -> None:
    event = _event()
    assert render_digest(CONFIG, [event], TO) == render_event(CONFIG, event, TO)
    with pytest.raises(ValueError, match="at least one"):
        render_digest(CONFIG, [], TO)


def test_a_huge_digest_shows_a_bounded_number_of_rows() -> None:
    events = [_event(element=f"e{i}") for i in range(MAX_FIELDS + 5)]
    text = _parts(_parse(render_digest(CONFIG, events, TO).data))["text/plain"]
    assert f"Freshness (e{MAX_FIELDS - 1})" in text
    assert f"Freshness (e{MAX_FIELDS})" not in text
    assert "Not shown: 5 more" in text
    references = str(_parse(render_digest(CONFIG, events, TO).data)["References"])
    assert len(references.split()) == 20
