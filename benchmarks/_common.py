"""What every scenario shares: arguments, runs in fresh processes, figures, JSON, tables.

A scenario module defines ``run_once(size, workdir) -> dict[str, float]`` (one run's raw
figures) and a list of `Figure` specs, then calls `main`. Each run executes in a fresh
interpreter (spawned), so peak RSS, caches and the garbage collector start clean for
every run; the reported value of a figure is the median over the runs, and ratios are
computed inside each run (same run, same conditions) before the median is taken.

Nothing here times anything on its own: the scenarios decide what a figure is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SIZES = ("tiny", "full")

#: The signing secret of the benchmarks' webhook channel: a throwaway value, not a secret.
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105


# -- figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One reported figure: how to read it, and the target it is judged against.

    Attributes:
        key: Name in the run's raw figures and in the JSON.
        label: What the table shows.
        unit: Unit shown after the value.
        target: Bound of the target, or None for a figure reported without one.
        better: ``"higher"`` (value must be >= target) or ``"lower"`` (<=).
        digits: Decimals shown.
        full_only: Judge only at full size (tiny runs are too small to mean anything).
    """

    key: str
    label: str
    unit: str = ""
    target: float | None = None
    better: str = "higher"
    digits: int = 0
    full_only: bool = True

    def verdict(self, value: float | None, size: str) -> str:
        """``met``, ``MISSED``, ``n/a`` (tiny size or no value) or ``-`` (no target)."""
        if self.target is None:
            return "-"
        if value is None or (self.full_only and size != "full"):
            return "n/a"
        ok = value >= self.target if self.better == "higher" else value <= self.target
        return "met" if ok else "MISSED"

    def show(self, value: float | None) -> str:
        if value is None:
            return "–"
        text = f"{value:,.{self.digits}f}"
        return f"{text} {self.unit}".rstrip()

    def show_target(self) -> str:
        if self.target is None:
            return ""
        sign = "≥" if self.better == "higher" else "≤"
        return f"{sign} {self.show(self.target)}"


# -- numbers ---------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The `pct` percentile (0-100) by linear interpolation, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def median(values: Sequence[float | None]) -> float | None:
    """Median of the values that are not None."""
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    """This process's resident set size now, in MiB (from /proc; 0 where unavailable)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


@contextlib.contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Wall (perf_counter) and CPU (process_time, all threads) seconds of a block."""
    times: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield times
    finally:
        times["wall"] = time.perf_counter() - wall
        times["cpu"] = time.process_time() - cpu


@contextlib.contextmanager
def profiled(name: str) -> Iterator[None]:
    """Profile the block when ``FLOE_BENCH_PROFILE`` names a folder (else do nothing).

    Uses pyinstrument when it is importable (statistical, sees the event loop's real
    stack), else cProfile. Writes ``<folder>/<name>.txt`` (or ``.prof``) and prints it.
    """
    folder = os.environ.get("FLOE_BENCH_PROFILE")
    if not folder:
        yield
        return
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()
            text = profiler.output_text(unicode=True, show_all=False)
            (target / f"{name}.txt").write_text(text, encoding="utf-8")
            print(text, file=sys.stderr)
        return
    import cProfile
    import pstats

    cprofile = cProfile.Profile()
    cprofile.enable()
    try:
        yield
    finally:
        cprofile.disable()
        cprofile.dump_stats(target / f"{name}.prof")
        stats = pstats.Stats(cprofile, stream=sys.stderr).strip_dirs()
        stats.sort_stats("tottime").print_stats(35)


def pin_to_one_core() -> int | None:
    """Restrict this process (and the threads it starts) to one CPU; returns which."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[-1]  # the last one: the receiver and the database get the others
    os.sched_setaffinity(0, {cpu})
    return cpu


# -- the machine -----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory, Python and OS: what the figures were measured on."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
    }


def describe_machine(info: dict[str, Any]) -> str:
    return (
        f"{info['cores']} cores, {info['cpu_model']}, {info['memory_gib']} GiB, "
        f"{info['implementation']} {info['python']}, {info['os']}"
    )


# -- running ---------------------------------------------------------------------------


RunOnce = Callable[[str, Path], dict[str, Any]]


def _child(run_once: RunOnce, size: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="floe-bench-") as workdir:
        return run_once(size, Path(workdir))


def run_isolated(run_once: RunOnce, size: str) -> dict[str, Any]:
    """One run in a freshly spawned interpreter (clean RSS, caches and GC)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_child, run_once, size).result()


def parse_args(description: str, default_runs: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", choices=SIZES, default="full", help="tiny: a smoke run")
    parser.add_argument(
        "--runs", type=int, default=None, help=f"runs to take medians of (full: {default_runs})"
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="folder the JSON is written to"
    )
    parser.add_argument(
        "--in-process", action="store_true", help="run in this process (for profilers)"
    )
    return parser.parse_args()


def main(
    name: str,
    title: str,
    run_once: RunOnce,
    figures: Sequence[Figure],
    *,
    default_runs: int = 3,
    notes: Callable[[list[dict[str, Any]]], list[str]] | None = None,
) -> int:
    """Parse arguments, run the scenario, print the table, write the JSON; exit code 0."""
    args = parse_args(title, default_runs)
    runs = args.runs or (default_runs if args.size == "full" else 1)
    info = machine()
    print(f"# {title} ({args.size}, {runs} run(s))", flush=True)
    print(f"# machine: {describe_machine(info)}", flush=True)
    raw: list[dict[str, Any]] = []
    for index in range(runs):
        began = time.perf_counter()
        load_before = os.getloadavg()[0]
        if args.in_process:
            result = _child(run_once, args.size)
        else:
            result = run_isolated(run_once, args.size)
        # Other work on the machine shows here: the figures are only as quiet as the box.
        result["loadavg_1min"] = (load_before, os.getloadavg()[0])
        raw.append(result)
        print(
            f"# run {index + 1}/{runs}: {time.perf_counter() - began:.1f} s "
            f"(load average {load_before:.1f} -> {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    values = {f.key: median([r.get(f.key) for r in raw]) for f in figures}
    rows = [
        (f.label, f.show(values[f.key]), f.show_target(), f.verdict(values[f.key], args.size))
        for f in figures
    ]
    print(format_table(("figure", "value", "target", "verdict"), rows))
    extra = notes(raw) if notes else []
    for line in extra:
        print(f"note: {line}")
    document = {
        "scenario": name,
        "title": title,
        "size": args.size,
        "runs": runs,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "figures": {
            f.key: {
                "label": f.label,
                "value": values[f.key],
                "unit": f.unit,
                "target": f.target,
                "better": f.better if f.target is not None else None,
                "verdict": f.verdict(values[f.key], args.size),
                "per_run": [r.get(f.key) for r in raw],
            }
            for f in figures
        },
        "notes": extra,
        "raw": raw,
    }
    write_json(args.results / f"{name}.json", document)
    return 0


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"# written {path}", flush=True)


# -- a receiver in its own process -----------------------------------------------------


def _serve(conn: Any) -> None:
    """Child: a FakeHTTPServer on loopback; reports arrival times when told to stop."""
    from floe_testing_kit import FakeHTTPServer

    async def serve() -> None:
        async with FakeHTTPServer() as server:
            conn.send(server.port)
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "stop":
                    break
                if command == "clear":
                    server.clear()
                    conn.send(0)
                elif command == "count":
                    conn.send(len(server.requests))
                elif command == "collect":
                    conn.send([(r.received_at, r.path, r.body) for r in server.requests])

    asyncio.run(serve())


class Receiver:
    """A loopback FakeHTTPServer in a separate process (its own core when there is one).

    Its `received_at` stamps are `time.monotonic()`, which on Linux is one clock for the
    whole machine, so they compare with this process's monotonic time.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self.port = 0

    def __enter__(self) -> Receiver:
        self._process.start()
        if not self._conn.poll(60):
            raise RuntimeError("the receiver did not start")
        self.port = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._conn.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ask(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def count(self) -> int:
        return int(self._ask("count"))

    def clear(self) -> None:
        self._ask("clear")

    def collect(self) -> list[tuple[float, str, bytes]]:
        return list(self._ask("collect"))

    async def wait_for(self, count: int, timeout: float) -> float:  # noqa: ASYNC109
        """Wait until `count` requests arrived; returns the monotonic time it was seen."""
        deadline = time.monotonic() + timeout
        while True:
            seen = await asyncio.to_thread(self.count)
            if seen >= count:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{seen} of {count} requests arrived within {timeout:g} s")
            await asyncio.sleep(0.02)


def run_main(main_fn: Callable[[], int]) -> None:
    """Exit with `main_fn`'s code (a script's last line)."""
    sys.exit(main_fn())
