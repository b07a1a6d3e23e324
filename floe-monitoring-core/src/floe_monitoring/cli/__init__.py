"""The `floe` command: `floe sla check|monitor|status|report|...`.

Errors for bad input are one line on stderr and a non-zero exit; ``--debug`` adds the
traceback and debug logging.
"""

from __future__ import annotations

import sys

import click

from floe_monitoring.cli.app import floe
from floe_monitoring.cli.context import EXIT_INPUT

__all__ = ["floe", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `floe` console script.

    Usage errors exit with 4 (bad input), because 2 means "a check failed".
    """
    try:
        floe.main(args=argv, prog_name="floe", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_INPUT)
    except SystemExit:
        raise
