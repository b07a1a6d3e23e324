"""What every `floe sla` command shares: the config, the error handling, the output."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec

import click
from pydantic import ValidationError
from rich.console import Console

from floe_monitoring.config import MonitorConfig, load_config
from floe_monitoring.errors import FloeError

__all__ = ["EXIT_INPUT", "CliContext", "command", "pass_cli", "print_json"]

#: Exit code for bad input (missing or invalid files, unknown names, bad options).
EXIT_INPUT = 4

P = ParamSpec("P")


@dataclass
class CliContext:
    """Options of the root command, and the config loaded once on demand."""

    config_path: str | None = None
    debug: bool = False
    console: Console = field(default_factory=lambda: _console(stderr=False))
    errors: Console = field(default_factory=lambda: _console(stderr=True))
    _config: MonitorConfig | None = None

    def config(self) -> MonitorConfig:
        """The monitor config (``--config``, ``$FLOE_MONITOR_CONFIG`` or ./floe-monitor.yaml)."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


def _console(*, stderr: bool) -> Console:
    # Piped output (CI logs, files) gets wide tables instead of 80 folded columns.
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 160
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


pass_cli = click.make_pass_decorator(CliContext, ensure=True)


def command(fn: Callable[P, Coroutine[Any, Any, int | None]]) -> Callable[P, None]:
    """Run an async command; bad input becomes one line on stderr and a non-zero exit.

    The coroutine may return an exit code.

    With ``--debug`` the traceback is printed too. Secrets never reach this message:
    every error the package raises on purpose is built without them.
    """

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        ctx = click.get_current_context().find_object(CliContext) or CliContext()
        try:
            code = asyncio.run(fn(*args, **kwargs))
        except (FloeError, ValidationError, OSError, ValueError) as exc:
            if ctx.debug:
                ctx.errors.print(traceback.format_exc(), markup=False)
            message = _one_line(exc)
            ctx.errors.print(f"error: {message}", markup=False)
            raise SystemExit(EXIT_INPUT) from None
        except KeyboardInterrupt:
            ctx.errors.print("interrupted", markup=False)
            raise SystemExit(130) from None
        if code:
            raise SystemExit(code)

    return run


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or type(exc).__name__}"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def print_json(ctx: CliContext, data: Any) -> None:
    """Machine output: one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()


def configure_logging(debug: bool) -> None:
    """Warnings (or everything with --debug) to stderr, one line each."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
