"""kill -9 the monitor during a burst of notifications to a flapping receiver: nothing is lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.store import OutboxStatus, StateStore
from floe_testing_kit import FakeHTTPServer, RecordedRequest, ScriptedResponse

CONTRACTS = 150
SCRIPT = Path(__file__).with_name("monitor_process.py")

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:kill9:c{i}
name: c{i}
version: 1.0.0
servers:
  - server: lake
    type: iceberg
    catalog: default
    namespace: crash
schema:
  - name: t{i}
    properties:
      - name: id
        logicalType: integer
"""


class FlappingReceiver:
    """Answers 503 and 429 to half of the requests; records the event ids it accepted."""

    def __init__(self) -> None:
        self.count = 0
        self.accepted: list[str] = []

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        self.count += 1
        if self.count % 4 == 1:
            return ScriptedResponse(503)
        if self.count % 4 == 3:
            return ScriptedResponse(429, {"Retry-After": "0"})
        self.accepted.append(json.loads(request.body)["eventId"])
        return ScriptedResponse(200)


def _config(tmp: Path, state_url: str, receiver_url: str) -> Path:
    folder = tmp / "contracts"
    folder.mkdir()
    for i in range(CONTRACTS):
        (folder / f"c{i}.yaml").write_text(CONTRACT.format(i=i))
    config: dict[str, Any] = {
        "contracts": [str(folder / "*.yaml")],
        "state": {"url": state_url},
        "channels": {
            "hook": {
                "type": "webhook",
                "url": f"{receiver_url}/in",
                "mode": "json",
                "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "allow_insecure_http": True,
            }
        },
        "routing": [{"channel": "hook"}],
        "monitoring": {
            "rate_limit": None,
            "delivery": {
                "initial_delay": 0.05,
                "max_delay": 0.2,
                "send_timeout": 2,
                "lease_margin": 1,
            },
        },
    }
    path = tmp / "config.json"
    path.write_text(json.dumps(config))
    return path


async def _start(config: Path, mode: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        str(config),
        mode,
        stdout=asyncio.subprocess.PIPE,
        env=os.environ.copy(),
    )


async def _wait_for_line(
    process: asyncio.subprocess.Process, word: str, timeout: float = 120
) -> None:
    assert process.stdout is not None
    async with asyncio.timeout(timeout):
        while True:
            line = await process.stdout.readline()
            assert line, f"the monitor exited before printing {word} (code {await process.wait()})"
            if line.decode().strip() == word:
                return


async def test_every_event_is_delivered_after_kill9(tmp_path: Path, state_url: str) -> None:
    receiver = FlappingReceiver()
    async with FakeHTTPServer(receiver) as server:
        config = _config(tmp_path, state_url, server.url)
        kills = 0
        process = await _start(config, "enqueue")
        await _wait_for_line(process, "ENQUEUED")
        # Kill it twice mid-burst, at different depths, then let a last run finish.
        for threshold in (CONTRACTS // 4, CONTRACTS // 2):
            async with asyncio.timeout(60):
                while len(receiver.accepted) < threshold:
                    await asyncio.sleep(0.005)
            process.send_signal(signal.SIGKILL)
            assert await process.wait() == -signal.SIGKILL
            kills += 1
            process = await _start(config, "resume")
        await _wait_for_line(process, "DONE")
        assert await process.wait() == 0

    store = StateStore(state_url)
    rows = await store.outbox.rows(limit=None)
    await store.close()
    expected = {str(e.event_id) for row in rows for e in row.events}
    assert kills == 2
    assert len(expected) == CONTRACTS
    assert {row.status for row in rows} == {OutboxStatus.DELIVERED}
    assert expected <= set(receiver.accepted), "an event was lost"
    duplicates = len(receiver.accepted) - len(set(receiver.accepted))
    # At most the in-flight sends of each killed process (the default policy's bound).
    assert duplicates <= 2 * RetryPolicy().max_in_flight
