"""Make untrusted text (contract names, messages, data values) safe for each format.

Every channel uses these helpers instead of inventing its own: escaping is where
injection (`<!channel>`, `<script>`, CRLF headers) gets in, so it is written once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

__all__ = [
    "TRUNCATION_MARKER",
    "clean_text",
    "escape_html",
    "escape_mrkdwn",
    "header_safe",
    "truncate",
    "truncate_utf8",
]

#: Appended wherever text was cut, so a reader knows there was more.
TRUNCATION_MARKER = "… [truncated]"

# C0 controls except TAB/LF/CR, DEL and C1 controls: never meaningful in an alert.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Everything a header or one-line field must not contain (line breaks of every kind).
_LINE_BREAKS = re.compile(r"[\r\n\t\x0b\x0c\x85\u2028\u2029]+")
_SPACES = re.compile(r" {2,}")


def clean_text(text: str) -> str:
    """Drop control characters and replace lone surrogates with U+FFFD.

    Lone surrogates (from badly decoded bytes) cannot be encoded as UTF-8 and would make
    a send fail; controls can hide text or confuse terminals.
    """
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _CONTROL.sub("", text)


def escape_mrkdwn(text: str) -> str:
    """Escape Slack mrkdwn control characters (`&`, `<`, `>`).

    After this, `<!channel>`, `<@U123>` and `<http://x|y>` render as literal text.
    """
    return clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_html(text: str) -> str:
    """Escape text for HTML element content and attribute values."""
    return html.escape(clean_text(text), quote=True)


def header_safe(text: str, max_length: int | None = None) -> str:
    """Fold text to one line for a header or subject: no CR, LF or other breaks.

    Args:
        text: Untrusted text.
        max_length: Optional limit in characters (truncated with the marker).

    """
    line = _SPACES.sub(" ", clean_text(_LINE_BREAKS.sub(" ", text))).strip()
    return truncate(line, max_length) if max_length is not None else line


def truncate(
    text: str,
    limit: int,
    *,
    marker: str = TRUNCATION_MARKER,
    escape: Callable[[str], str] | None = None,
) -> str:
    """Cut text to at most `limit` characters, ending with a visible marker.

    With `escape`, the limit applies to the escaped result and the cut is made in the
    raw text, so an entity such as ``&amp;`` is never split.

    Args:
        text: The raw text.
        limit: Maximum length of the result, in characters.
        marker: What marks the cut.
        escape: Optional escaping applied to the kept text.

    Returns:
        The (escaped) text, whole when it fits, otherwise a prefix plus the marker.

    """
    if limit < 0:
        raise ValueError("limit must be >= 0")
    render = escape or (lambda s: s)
    whole = render(text)
    if len(whole) <= limit:
        return whole
    if len(marker) >= limit:
        return marker[:limit]
    budget = limit - len(marker)
    if escape is None:
        return text[:budget] + marker
    # Escaping only grows text, so the answer lies in [0, budget] raw characters.
    low, high = 0, min(len(text), budget)
    while low < high:
        mid = (low + high + 1) // 2
        if len(render(text[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return render(text[:low]) + marker


def truncate_utf8(text: str, max_bytes: int, *, marker: str = TRUNCATION_MARKER) -> str:
    """Cut text so its UTF-8 encoding is at most `max_bytes`, never splitting a character."""
    text = clean_text(text)
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    room = max_bytes - len(marker.encode("utf-8"))
    if room <= 0:
        return marker.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    return encoded[:room].decode("utf-8", "ignore") + marker
