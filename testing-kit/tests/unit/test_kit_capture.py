from __future__ import annotations

import asyncio
import logging
import time

from floe_testing_kit import LoopLagMonitor, capture_logs


async def test_loop_lag_monitor_sees_a_blocking_call() -> None:
    async with LoopLagMonitor() as lag:
        await asyncio.sleep(0.02)
        time.sleep(0.15)
        await asyncio.sleep(0.02)
    assert lag.max_lag >= 0.1


async def test_loop_lag_monitor_is_quiet_on_an_idle_loop() -> None:
    async with LoopLagMonitor() as lag:
        await asyncio.sleep(0.1)
    assert lag.samples > 3
    assert lag.max_lag < 0.1


def test_capture_logs_sees_every_level_and_tracebacks() -> None:
    with capture_logs() as logs:
        logging.getLogger("some.channel").debug("debug %s", "arg")
        try:
            raise ValueError("inside")
        except ValueError:
            logging.getLogger("x").exception("failed")
    assert "DEBUG some.channel debug arg" in logs.text
    assert "ValueError: inside" in logs.text
    assert len(logs.records) == 2
