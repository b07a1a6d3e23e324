"""`floe-conformance NAME`: test an installed channel by its entry-point name."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="floe-conformance",
        description="Run the floe alert-channel conformance kit against an installed channel.",
    )
    parser.add_argument("channel", help="the channel's entry-point name in floe.alert_channels")
    parser.add_argument(
        "--profile", help="ChannelProfile as module:Class (default: its entry point)"
    )
    parser.add_argument(
        "--variant", action="append", default=[], help="only this variant (repeatable)"
    )
    parser.add_argument("--strict", action="store_true", help="run the checks the profile bypasses")
    parser.add_argument("--junitxml", help="write a JUnit XML report")
    parser.add_argument("--json-report", help="write a JSON report")
    parser.add_argument("-k", dest="keyword", help="only checks matching this pytest -k expression")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more output")
    parser.add_argument("-q", "--quiet", action="store_true", help="less output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the kit; the exit code is pytest's (0 when every check passed)."""
    args = _parser().parse_args(argv)
    suite = Path(__file__).with_name("suite.py")
    # Hermetic: the project's own pytest settings and plugins must not change the kit.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    pytest_args = [
        str(suite),
        "-p",
        "floe_testing_kit.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "-c",
        str(Path(__file__).with_name("kit-pytest.ini")),
        "--rootdir",
        str(Path.cwd()),
        "--floe-channel",
        args.channel,
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    if args.profile:
        pytest_args += ["--floe-profile", args.profile]
    for variant in args.variant:
        pytest_args += ["--floe-variant", variant]
    if args.strict:
        pytest_args.append("--floe-strict")
    if args.junitxml:
        pytest_args += ["--junitxml", args.junitxml]
    if args.json_report:
        pytest_args += ["--floe-json-report", args.json_report]
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    if args.quiet:
        pytest_args.append("-q")
    pytest_args += ["-v"] * args.verbose
    return int(pytest.main(pytest_args))


if __name__ == "__main__":
    sys.exit(main())
