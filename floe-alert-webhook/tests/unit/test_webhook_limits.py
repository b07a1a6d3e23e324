"""Size limits: oversized free text is cut visibly and deterministically; the rest is exact."""

from __future__ import annotations

import json

from floe_alert_webhook import WebhookMode, read_webhook_events
from floe_alert_webhook.encoding import EncodedBody, _encode, encode_batch, encode_event
from floe_alert_webhook.limits import (
    MAX_BODY_BYTES,
    MAX_CONSUMERS,
    MAX_NAME_CHARS,
    TRUNCATED_KEY,
    event_budget,
    fit_event,
    surely_fits,
)
from floe_monitoring import TRUNCATION_MARKER, ContractViolationEvent
from floe_testing_kit.events import large_event, make_event

ONE_MB = "x" * (1 << 20)


def test_an_event_within_the_limits_is_sent_unchanged() -> None:
    event = large_event()  # the kit's 100 kB message, non-ASCII included: fits
    assert fit_event(event) is event
    [received] = read_webhook_events(*_wire(encode_event(event, WebhookMode.JSON)))
    assert received == event


def test_a_1_mb_text_is_cut_with_the_marker_and_the_cut_is_named() -> None:
    event = make_event(message=ONE_MB, expected_value=ONE_MB, metadata={"note": ONE_MB, "n": 1})
    fitted = fit_event(event)
    data = fitted.to_json_data()
    assert len(json.dumps(data)) <= MAX_BODY_BYTES
    for text in (fitted.message, fitted.expected_value, fitted.metadata["note"]):
        assert isinstance(text, str)
        assert text.endswith(TRUNCATION_MARKER)
        assert ONE_MB.startswith(text.removesuffix(TRUNCATION_MARKER))
        assert len(text) > 50_000  # cut to the longest common length that fits, not to nothing
    assert fitted.metadata[TRUNCATED_KEY] == "message, expectedValue, metadata.note"
    # Identity and everything short are untouched.
    assert fitted.event_id == event.event_id
    assert fitted.dedup_key == event.dedup_key
    assert fitted.contract_name == event.contract_name
    assert fitted.actual_value == event.actual_value
    assert fitted.metadata["n"] == 1


def test_cutting_is_deterministic_so_a_retry_sends_the_same_bytes() -> None:
    event = make_event(message=ONE_MB + "é🚨" * 1000)
    for mode in WebhookMode:
        first, again = encode_event(event, mode), encode_event(event, mode)
        assert first.body == again.body
        assert first.headers == again.headers
        assert len(first.body) < MAX_BODY_BYTES + 4096  # the envelope is small


def test_non_ascii_text_is_measured_as_sent() -> None:
    # json.dumps escapes é as 6 bytes and 🚨 as 12: the budget counts what is sent.
    event = make_event(message="é🚨" * 200_000)
    encoded = encode_event(event, WebhookMode.JSON)
    assert len(encoded.body) <= MAX_BODY_BYTES
    [received] = read_webhook_events(*_wire(encoded))
    assert received.message.endswith(TRUNCATION_MARKER)


def test_names_are_cut_at_the_name_limit_even_in_a_small_event() -> None:
    long_name = "n" * 5000
    event = make_event(contract_name=long_name, owner=long_name, affected_consumers=[long_name])
    fitted = fit_event(event)
    assert len(fitted.contract_name) == MAX_NAME_CHARS
    assert fitted.contract_name.endswith(TRUNCATION_MARKER)
    assert len(fitted.owner or "") == MAX_NAME_CHARS
    assert [len(c) for c in fitted.affected_consumers] == [MAX_NAME_CHARS]
    assert fitted.message == event.message
    assert fitted.metadata[TRUNCATED_KEY] == "contractName, owner, affectedConsumers"
    # The CloudEvents subject (a header in binary mode) is the cut name.
    encoded = encode_event(event, WebhookMode.BINARY)
    assert len(encoded.headers["ce-subject"]) <= 3 * MAX_NAME_CHARS


def test_a_structure_too_large_to_cut_drops_metadata_and_shortens_lists() -> None:
    event = make_event(
        metadata={f"k{i}": i for i in range(50_000)},
        affected_consumers=[f"consumer-{i}" for i in range(20_000)],
    )
    fitted = fit_event(event)
    assert len(json.dumps(fitted.to_json_data())) <= MAX_BODY_BYTES
    assert set(fitted.metadata) == {TRUNCATED_KEY}
    assert "metadata" in str(fitted.metadata[TRUNCATED_KEY])
    assert "affectedConsumers" in str(fitted.metadata[TRUNCATED_KEY])
    assert fitted.affected_consumers == event.affected_consumers[:MAX_CONSUMERS]
    assert fitted.message == event.message


def test_a_batch_shares_one_body_budget() -> None:
    events = [make_event(message=ONE_MB) for _ in range(4)]
    for mode in (WebhookMode.STRUCTURED, WebhookMode.JSON):
        encoded = encode_batch(events, mode)
        assert len(encoded.body) < MAX_BODY_BYTES + 4 * 4096
        received = read_webhook_events(*_wire(encoded))
        assert [e.event_id for e in received] == [e.event_id for e in events]
        for event in received:
            assert event.message.endswith(TRUNCATION_MARKER)
            assert len(json.dumps(event.to_json_data())) <= event_budget(len(events))


def _wire(encoded: EncodedBody) -> tuple[dict[str, str], bytes]:
    return encoded.headers, encoded.body


def _slow_path(event: ContractViolationEvent, mode: WebhookMode) -> bytes:
    """What `encode_event` would send if it always sized the event first."""
    return _encode(fit_event(event), mode, message_id=str(event.event_id)).body


def test_the_fast_path_sends_what_fitting_first_would_send() -> None:
    cases = [
        make_event(),
        large_event(),  # 100 kB: past the fast path's margin, sized and found to fit
        make_event(contract_name="n" * (MAX_NAME_CHARS + 1)),  # small, but a name is cut
        make_event(affected_consumers=("c" * (MAX_NAME_CHARS + 5),)),
        make_event(message=ONE_MB),
    ]
    for event in cases:
        for mode in WebhookMode:
            assert encode_event(event, mode).body == _slow_path(event, mode), (event, mode)


def test_only_names_decide_whether_an_event_surely_fits() -> None:
    assert surely_fits(make_event(message=ONE_MB))  # the size is checked on the bytes
    assert not surely_fits(make_event(contract_name="n" * (MAX_NAME_CHARS + 1)))
    assert not surely_fits(make_event(affected_consumers=("c" * (MAX_NAME_CHARS + 1),)))
