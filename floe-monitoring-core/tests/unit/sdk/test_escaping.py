from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from floe_monitoring import (
    TRUNCATION_MARKER,
    clean_text,
    escape_html,
    escape_mrkdwn,
    header_safe,
    truncate,
    truncate_utf8,
)

HOSTILE = [
    "<!channel> <!here> <@U123ABC> <#C123> <http://evil.example|click me>",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "orders\r\nBcc: attacker@example.com\r\n\r\nbody",
    "🚨🔥 données périmées — 数据过期 ✓",
    "a & b < c > d \"quoted\" 'single'",
    "bell\x07 null\x00 esc\x1b[31m del\x7f",
    "lone surrogate \ud800 here",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_mrkdwn_escaping_neutralises_control_sequences(text: str) -> None:
    out = escape_mrkdwn(text)
    assert "<" not in out
    assert ">" not in out
    assert "&" not in out.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


def test_mrkdwn_escaping_keeps_the_text_readable() -> None:
    assert escape_mrkdwn("<!channel> & co") == "&lt;!channel&gt; &amp; co"
    assert escape_mrkdwn("🚨 données") == "🚨 données"


@pytest.mark.parametrize("text", HOSTILE)
def test_html_escaping_leaves_no_markup(text: str) -> None:
    out = escape_html(text)
    assert "<" not in out
    assert ">" not in out
    assert '"' not in out


def test_html_escaping_of_script() -> None:
    assert escape_html("<script>") == "&lt;script&gt;"


@pytest.mark.parametrize("text", HOSTILE)
def test_header_safe_is_one_line(text: str) -> None:
    out = header_safe(text)
    assert "\r" not in out
    assert "\n" not in out
    assert all(ch >= " " for ch in out)


def test_header_safe_folds_injection_into_one_line() -> None:
    assert header_safe("orders\r\nBcc: x@example.com") == "orders Bcc: x@example.com"
    assert header_safe("a\u2028b\u0085c") == "a b c"


def test_header_safe_caps_length_with_a_marker() -> None:
    out = header_safe("x" * 500, max_length=100)
    assert len(out) == 100
    assert out.endswith(TRUNCATION_MARKER)


def test_clean_text_replaces_lone_surrogates_so_utf8_encoding_works() -> None:
    out = clean_text("a\ud800b\x00c")
    assert out == "a\ufffdbc"
    assert out.encode("utf-8")


def test_truncate_100kb_keeps_the_limit_and_shows_the_marker() -> None:
    text = "é" * 100_000
    out = truncate(text, 3000)
    assert len(out) == 3000
    assert out.endswith(TRUNCATION_MARKER)


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("short", 10) == "short"


def test_truncate_with_escape_never_splits_an_entity() -> None:
    text = "&" * 1000
    out = truncate(text, 102, escape=escape_mrkdwn)
    assert len(out) <= 102
    body = out.removesuffix(TRUNCATION_MARKER)
    assert body == "&amp;" * (len(body) // 5)


def test_truncate_with_a_tiny_limit_returns_part_of_the_marker() -> None:
    assert truncate("abcdef", 3) == TRUNCATION_MARKER[:3]


def test_truncate_refuses_a_negative_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        truncate("x", -1)


def test_truncate_utf8_respects_bytes_and_characters() -> None:
    text = "🚨" * 1000  # 4 bytes each
    out = truncate_utf8(text, 1001)
    assert len(out.encode("utf-8")) <= 1001
    assert out.endswith(TRUNCATION_MARKER)
    assert "\ufffd" not in out


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_truncate_never_exceeds_the_limit(text: str, limit: int) -> None:
    assert len(truncate(text, limit)) <= limit
    assert len(truncate(text, limit, escape=escape_mrkdwn)) <= limit
    assert len(truncate(text, limit, escape=escape_html)) <= limit


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_truncate_utf8_never_exceeds_the_byte_budget(text: str, limit: int) -> None:
    assert len(truncate_utf8(text, limit).encode("utf-8")) <= limit


@given(st.text())
def test_escaped_text_never_contains_raw_angle_brackets(text: str) -> None:
    for out in (escape_mrkdwn(text), escape_html(text)):
        assert "<" not in out
        assert ">" not in out
    assert "\n" not in header_safe(text)
