"""Build the e-mail: headers, a text part and an HTML part, and the bytes sent on the wire.

Everything here is deterministic: the same event renders to the same bytes on every
retry (``Date`` comes from the event, the MIME boundary from the event ids), so a
receiver or an archive can recognise a duplicate by ``Message-ID`` and content alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime

from floe_alert_email.config import EmailConfig
from floe_monitoring import (
    AlertMessage,
    ContractViolationEvent,
    EventStatus,
    MessageField,
    Severity,
    clean_text,
    escape_html,
    header_safe,
    truncate,
)

__all__ = [
    "MAX_FIELDS",
    "MAX_SUMMARY_CHARS",
    "MAX_VALUE_CHARS",
    "RenderedMail",
    "message_id_for",
    "render_digest",
    "render_event",
    "subject_line",
    "thread_id_for",
]

#: Longest summary (the event message) kept, in characters.
MAX_SUMMARY_CHARS = 10_000
#: Longest field value kept, in characters.
MAX_VALUE_CHARS = 2_000
#: Most fields (digest rows) shown; the rest are counted in a final row.
MAX_FIELDS = 200
# A digest's References lists one thread per incident; beyond this, clients gain nothing.
_MAX_REFERENCES = 20
_MAX_TITLE_CHARS = 500
_MAX_LABEL_CHARS = 200


class _SMTPPolicy(EmailPolicy):
    """`email.policy.SMTP` with a correct encoding of non-ASCII subjects.

    CPython's modern folder (3.11 to at least 3.13) drops the space between two
    RFC 2047 encoded words when it folds a long subject ("alt – 注文" arrives as
    "alt –注文"). The legacy `Header` encoder keeps every space inside the encoded words.
    """

    def fold_binary(self, name: str, value: str) -> bytes:
        """Fold one header to bytes; non-ASCII subjects go through `Header`."""
        if name.lower() == "subject" and not str(value).isascii():
            encoded = Header(str(value), "utf-8", header_name=name).encode(
                linesep=self.linesep, maxlinelen=self.max_line_length
            )
            return f"{name}: {encoded}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


# CRLF line ends and folded headers. Bodies are quoted-printable, so the bytes are 7-bit
# clean and no server needs 8BITMIME.
_POLICY = _SMTPPolicy(linesep="\r\n")

_COLOURS = {
    Severity.INFO: "#1565c0",
    Severity.WARNING: "#ef6c00",
    Severity.ERROR: "#c62828",
    Severity.CRITICAL: "#6a1b9a",
}
_RESOLVED_COLOUR = "#2e7d32"


@dataclass(frozen=True)
class RenderedMail:
    """One message ready to send.

    Attributes:
        message_id: The ``Message-ID`` header value, angle brackets included.
        subject: The subject, before RFC 2047 encoding.
        thread_ids: The incident thread ids in ``References`` (first one in
            ``In-Reply-To``).
        data: The complete message as sent (CRLF line ends, 7-bit).
    """

    message_id: str
    subject: str
    thread_ids: tuple[str, ...]
    data: bytes


def message_id_for(key: str, domain: str) -> str:
    """``<key@domain>``: the Message-ID of one notification (key: event id or digest id)."""
    return f"<{key}@{domain}>"


def thread_id_for(dedup_key: str, domain: str) -> str:
    """The id every message of one incident refers to, derived from its `dedup_key`.

    The key is hashed: it comes from contract names, so it may hold any text, and a
    header id must be plain ASCII without spaces or brackets.
    """
    digest = hashlib.sha256(dedup_key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"<incident-{digest}@{domain}>"


def subject_line(label: str, contract: str, summary: str, max_length: int) -> str:
    """``[LABEL] contract: summary`` on one line, at most `max_length` characters."""
    return header_safe(f"[{label}] {contract}: {summary}", max_length)


def render_event(
    config: EmailConfig, event: ContractViolationEvent, recipients: Sequence[str]
) -> RenderedMail:
    """Render one event: Message-ID from `event_id`, thread from `dedup_key`."""
    message = AlertMessage.from_event(event)
    label = "RESOLVED" if event.is_resolved else event.severity.value.upper()
    return _render(
        config,
        message,
        subject=subject_line(label, event.contract_name, event.message, config.subject_max_length),
        message_id=message_id_for(str(event.event_id), config.domain),
        thread_ids=(thread_id_for(event.dedup_key, config.domain),),
        date=event.timestamp,
        recipients=recipients,
        seed=str(event.event_id),
        headers={"X-Floe-Event-Id": str(event.event_id)},
    )


def render_digest(
    config: EmailConfig, events: Sequence[ContractViolationEvent], recipients: Sequence[str]
) -> RenderedMail:
    """Render several events as one digest (a single event renders as `render_event`).

    The digest refers to the thread of every incident it mentions, and its Message-ID
    is derived from the event ids, so a retried digest keeps its id.

    Raises:
        ValueError: No events were given.
    """
    if not events:
        raise ValueError("a digest needs at least one event")
    if len(events) == 1:
        return render_event(config, events[0], recipients)
    message = AlertMessage.digest(events)
    names = sorted({e.contract_name for e in events})
    contract = names[0] if len(names) == 1 else f"{len(names)} contracts"
    resolved = message.status is EventStatus.RESOLVED
    label = "RESOLVED" if resolved else message.severity.value.upper()
    summary = f"{len(events)} notifications ({message.summary})"
    ids = ",".join(str(e.event_id) for e in events)
    digest_id = "digest-" + hashlib.sha256(ids.encode("ascii")).hexdigest()[:32]
    threads = dict.fromkeys(thread_id_for(e.dedup_key, config.domain) for e in events)
    return _render(
        config,
        message,
        subject=subject_line(label, contract, summary, config.subject_max_length),
        message_id=message_id_for(digest_id, config.domain),
        thread_ids=tuple(threads)[:_MAX_REFERENCES],
        date=max(e.timestamp for e in events),
        recipients=recipients,
        seed=ids,
        headers={},
    )


def _render(
    config: EmailConfig,
    message: AlertMessage,
    *,
    subject: str,
    message_id: str,
    thread_ids: tuple[str, ...],
    date: datetime,
    recipients: Sequence[str],
    seed: str,
    headers: Mapping[str, str],
) -> RenderedMail:
    bounded = _bounded(message)
    mail = EmailMessage(policy=_POLICY)
    mail["From"] = Address(display_name=config.from_name, addr_spec=config.from_address)
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = subject
    mail["Date"] = format_datetime(date)
    mail["Message-ID"] = message_id
    mail["In-Reply-To"] = thread_ids[0]
    mail["References"] = " ".join(thread_ids)
    # RFC 3834: no vacation replies or other auto-answers to an alert. Outlook ignores
    # that header and reads its own.
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    mail["X-Floe-Severity"] = message.severity.value
    mail["X-Floe-Status"] = message.status.value
    for name, value in headers.items():
        mail[name] = value
    mail.set_content(_text(bounded), subtype="plain", charset="utf-8", cte="quoted-printable")
    mail.add_alternative(_html(bounded), subtype="html", charset="utf-8", cte="quoted-printable")
    # A fixed boundary keeps retries byte-identical. It starts with "==", which never
    # occurs in quoted-printable text (there "=" is always followed by two hex digits).
    mail.set_boundary("==floe-" + hashlib.sha256(seed.encode("ascii")).hexdigest()[:32])
    return RenderedMail(
        message_id=message_id,
        subject=subject,
        thread_ids=thread_ids,
        data=mail.as_bytes(policy=_POLICY),
    )


def _bounded(message: AlertMessage) -> AlertMessage:
    # Cut untrusted text to the limits once, so text and HTML parts show the same thing.
    # Title and labels are folded to one line: a contract name with a line break must
    # not be able to forge extra "Label: value" lines in the text part.
    fields = [
        MessageField(
            label=header_safe(f.label, _MAX_LABEL_CHARS),
            value=truncate(_newlines(clean_text(f.value)), MAX_VALUE_CHARS),
        )
        for f in message.fields[:MAX_FIELDS]
    ]
    hidden = len(message.fields) - MAX_FIELDS
    if hidden > 0:
        fields.append(MessageField(label="Not shown", value=f"{hidden} more"))
    return message.model_copy(
        update={
            "title": header_safe(message.title, _MAX_TITLE_CHARS),
            "summary": truncate(_newlines(clean_text(message.summary)), MAX_SUMMARY_CHARS),
            "fields": tuple(fields),
        }
    )


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text(message: AlertMessage) -> str:
    # AlertMessage.as_text() with one change: continuation lines of a multi-line value are
    # indented, so they cannot pass for fields of their own.
    lines = [message.title, "", message.summary, ""]
    lines += [f"{f.label}: {_indent(f.value)}" for f in message.fields]
    if message.links:
        lines.append("")
        lines += [f"{header_safe(link.title)}: {link.url}" for link in message.links]
    lines += ["", "-- ", "Sent by floe monitoring", ""]
    return "\n".join(lines)


def _indent(value: str) -> str:
    return value.replace("\n", "\n  ")


def _html(message: AlertMessage) -> str:
    resolved = message.status is EventStatus.RESOLVED
    colour = _RESOLVED_COLOUR if resolved else _COLOURS[message.severity]
    rows = "".join(
        '<tr><th align="left" valign="top" style="padding:4px 12px 4px 0;color:#555">'
        f"{escape_html(f.label)}</th>"
        f'<td style="padding:4px 0;white-space:pre-wrap">{escape_html(f.value)}</td></tr>\n'
        for f in message.fields
    )
    links = "".join(
        f'<li><a href="{escape_html(link.url)}">{escape_html(link.title)}</a></li>\n'
        for link in message.links
    )
    title = escape_html(message.title)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222">\n'
        f'<div style="border-left:4px solid {colour};padding:4px 16px">\n'
        f'<h2 style="margin:0 0 8px 0;color:{colour}">{title}</h2>\n'
        f'<p style="white-space:pre-wrap">{escape_html(message.summary)}</p>\n'
        f'<table cellspacing="0" style="border-collapse:collapse">\n{rows}</table>\n'
        + (f"<ul>\n{links}</ul>\n" if links else "")
        + '<p style="color:#888;font-size:12px">Sent by floe monitoring</p>\n'
        "</div>\n</body></html>\n"
    )
