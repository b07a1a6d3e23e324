"""The demo's loopback receiver over real sockets: signatures, keep-alive, bad requests."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

from floe_alert_webhook.signing import decode_signing_secret, standard_webhook_signature
from floe_monitoring.demo import ReceivedEvent, WebhookReceiver, check_receiver_log

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
EVENT: dict[str, Any] = {
    "specversion": "1.0",
    "type": "floe.contract.violation",
    "data": {
        "contractName": "orders",
        "violationType": "freshness",
        "severity": "error",
        "status": "firing",
        "message": "stale",
        "metadata": {"notification": "firing"},
    },
}


def _signed(body: bytes, message_id: str = "msg-1", secret: str = SECRET) -> dict[str, str]:
    key = decode_signing_secret(secret)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": "1767225600",
        "webhook-signature": standard_webhook_signature(key, message_id, 1767225600, body),
    }


def _request(
    body: bytes, headers: dict[str, str], *, method: str = "POST", path: str = "/events"
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(port: int, *requests: bytes) -> list[tuple[int, bytes]]:
    """Send requests on one connection; return each (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    try:
        for request in requests:
            writer.write(request)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            answers.append((status, await reader.readexactly(length)))
    finally:
        writer.close()
        await writer.wait_closed()
    return answers


async def test_signed_events_are_logged_and_announced_on_one_connection(tmp_path: Path) -> None:
    heard: list[ReceivedEvent] = []
    log = tmp_path / "events.jsonl"
    body = json.dumps(EVENT).encode()
    async with WebhookReceiver(log, secret=SECRET, on_event=heard.append) as receiver:
        assert receiver.url == f"http://127.0.0.1:{receiver.port}/events"
        answers = await _exchange(
            receiver.port,
            _request(body, _signed(body, "a")),
            _request(body, _signed(body, "b")),
        )
    assert [status for status, _ in answers] == [200, 200]
    assert [e.verified for e in heard] == [True, True]
    assert heard[0].event["contractName"] == "orders"
    assert heard[0].notification == "firing"
    lines = log.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [EVENT, EVENT]


async def test_a_wrong_signature_is_refused_and_not_logged(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    body = json.dumps(EVENT).encode()
    other = "whsec_" + base64.b64encode(b"another-secret-of-32-bytes-long!").decode()
    async with WebhookReceiver(log, secret=SECRET) as receiver:
        [(status, answer)] = await _exchange(
            receiver.port, _request(body, _signed(body, "x", other))
        )
        [(unsigned, _)] = await _exchange(receiver.port, _request(body, {}))
        assert receiver.events == []
    assert (status, unsigned) == (401, 401)
    assert b"signature" in answer
    assert log.read_text() == ""


async def test_bad_requests_get_clear_statuses(tmp_path: Path) -> None:
    async with WebhookReceiver(tmp_path / "events.jsonl") as receiver:
        answers = await _exchange(
            receiver.port,
            _request(b"", {}, method="GET"),
            _request(b"{}", {}, path="/elsewhere"),
            _request(b"not json", {}),
            _request(b"[1, 2]", {}),
        )
        assert receiver.events == []
    assert [status for status, _ in answers] == [405, 404, 400, 400]


async def test_a_chunked_body_without_a_secret_is_accepted_unverified(tmp_path: Path) -> None:
    body = json.dumps(EVENT).encode()
    head = b"POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:10], body[10:])
    )
    async with WebhookReceiver(tmp_path / "events.jsonl") as receiver:
        [(status, _)] = await _exchange(receiver.port, head + chunks + b"0\r\n\r\n")
        assert [e.verified for e in receiver.events] == [None]
    assert status == 200


async def test_a_connection_that_sends_nothing_is_harmless(tmp_path: Path) -> None:
    async with WebhookReceiver(tmp_path / "events.jsonl") as receiver:
        _, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.close()
        await writer.wait_closed()
        body = json.dumps(EVENT).encode()
        [(status, _)] = await _exchange(receiver.port, _request(body, {}))
    assert status == 200


def test_the_log_check_names_what_is_missing_and_what_leaked(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    data = {**EVENT["data"], "contractName": "customers", "violationType": "quality"}
    silenced = {"data": data}
    log.write_text(json.dumps(EVENT) + "\n" + json.dumps(silenced) + "\n")
    problems = check_receiver_log(log)
    assert "no firing notification for orders freshness with severity error" not in problems
    assert "no firing notification for customers schema_drift with severity critical" in problems
    assert "1 notification(s) for the silenced customers quality" in problems
    assert check_receiver_log(tmp_path / "missing.jsonl")[0].startswith("cannot read")
