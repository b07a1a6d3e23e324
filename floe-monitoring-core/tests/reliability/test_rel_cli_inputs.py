"""Every `floe` command with missing, empty, binary and huge inputs.

The command tree is walked, so a command added later is covered too. Each command runs
through the console script's own entry point (`floe_monitoring.cli:main`) in process,
with its config file missing, empty, binary, not UTF-8 and over the 5 MB limit; a few
runs repeat it as real processes. Then the inputs a command reads besides the config:
its arguments (1 MB, control characters, empty) and the contract files (empty,
binary, not a mapping, 8 MB (the config's limit is 5 MB), a 600-byte YAML alias bomb).

Proved: bad input is one line on stderr starting ``error:`` (click's usage errors: its
usage text), the exit code is 4, never a traceback; an empty config is a valid config.
"""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click
import pytest

from floe_monitoring.cli.app import sla

from .conftest import FLOE, Figures, run

EXIT_INPUT = 4
ONE_MB = "x" * (1 << 20)
# Commands that do not read the config (schema, demo) or that serve until stopped.
NOT_CONFIG_READERS = {("config", "schema"), ("demo",)}
SERVES = {("monitor",)}
CONFIGS: dict[str, bytes | None] = {
    "missing": None,
    "binary": b"\x00\x01\x02\xff\xfe binary",
    "not utf-8": b"contracts: [\xff\xfe]\n",
    "huge": b"contracts: ['" + b"x" * (6 << 20) + b"']\n",
}


def _leaves(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _leaves(command, (*prefix, name))
        else:
            yield (*prefix, name)


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = sla
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def _required_args(path: tuple[str, ...]) -> list[str]:
    """A value for every required argument and option (so the config is what is wrong)."""
    args: list[str] = []
    for param in _command(path).params:
        if isinstance(param, click.Argument) and param.required:
            args.append("x")
        elif isinstance(param, click.Option) and param.required:
            value = param.type.choices[0] if isinstance(param.type, click.Choice) else "x"
            args += [param.opts[0], str(value)]
    if path == ("deliveries", "replay"):
        args.append("--all-dead")
    return args


COMMANDS = [p for p in _leaves(sla) if p not in NOT_CONFIG_READERS]


def _assert_one_line_error(code: int, stderr: str, *must_contain: str) -> str:
    assert code == EXIT_INPUT, (code, stderr)
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    for text in must_contain:
        assert text in lines[0], (text, lines[0])
    return lines[0]


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_every_command_with_a_bad_config_file(tmp_path: Path, kind: str, figures: Figures) -> None:
    data = CONFIGS[kind]
    if data is not None:
        (tmp_path / "cfg.yaml").write_bytes(data)
    seen: dict[str, str] = {}
    for path in COMMANDS:
        code, _out, err = run(
            "sla", "--config", "cfg.yaml", *path, *_required_args(path), cwd=tmp_path
        )
        if path == ("channels", "list"):
            # Listing installed channel types works without a config; it says why none show.
            assert code == 0, err
            assert "no configured channels shown: cfg.yaml:" in err
            continue
        seen[" ".join(path)] = _assert_one_line_error(code, err, "cfg.yaml")
    figures.update({"input": kind, "commands": len(seen), "messages": sorted(set(seen.values()))})
    assert len(seen) == len(COMMANDS) - 1
    assert len(set(seen.values())) == 1  # the same clear sentence from every command


def test_every_command_with_an_empty_config_file(tmp_path: Path, figures: Figures) -> None:
    (tmp_path / "cfg.yaml").write_bytes(b"")
    codes: dict[str, int] = {}
    for path in COMMANDS:
        if path in SERVES:
            continue
        code, _out, err = run(
            "sla", "--config", "cfg.yaml", *path, *_required_args(path), cwd=tmp_path
        )
        codes[" ".join(path)] = code
        assert "Traceback" not in err
        if code:  # only "no such ..." for commands naming something that cannot exist
            line = _assert_one_line_error(code, err)
            assert "no such" in line or "no configured channel" in line or "no contract" in line
    figures.update({"exit_codes": codes})
    assert codes["check"] == 0
    assert codes["status"] == 0
    assert codes["config validate"] == 0
    assert codes["incidents ack"] == EXIT_INPUT


def test_huge_binary_and_empty_arguments(tmp_path: Path, figures: Figures) -> None:
    (tmp_path / "cfg.yaml").write_text("contracts: [contracts/*.yaml]\n")
    cases = [
        ("history", "--contract", ONE_MB),
        ("incidents", "ack", ONE_MB),
        ("incidents", "resolve", "\x01\x02\x1b[31m"),
        ("deliveries", "replay", ONE_MB),
        ("channels", "test", ONE_MB),
        ("silence", "add", "--contract", "x", "--comment", "c", "--duration", "9" * 400),
        ("silence", "add", "--contract", "x", "--comment", "c", "--duration", ""),
        ("silence", "remove", ONE_MB),
        ("report", "--since", ONE_MB),
        ("report", "--since", ""),
        ("report", "--contract", ONE_MB),
        ("check", "--contract", ONE_MB),
        ("config", "validate", ONE_MB),
        ("config", "validate", str(tmp_path)),
    ]
    longest = 0
    for argv in cases:
        code, _out, err = run("sla", "--config", "cfg.yaml", *argv, cwd=tmp_path)
        line = _assert_one_line_error(code, err)
        longest = max(longest, len(line))
    usage = run(
        "sla", "--config", "cfg.yaml", "deliveries", "list", "--limit", "9" * 30, cwd=tmp_path
    )
    assert usage[0] == EXIT_INPUT
    assert "Invalid value for '--limit'" in usage[2]
    figures.update({"cases": len(cases), "longest_error_line": longest})


def test_an_unknown_check_type_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "cfg.yaml").write_text("contracts: [contracts/*.yaml]\n")
    code, out, err = run(
        "sla", "--config", "cfg.yaml", "check", "--check", "freshnes", cwd=tmp_path
    )
    assert code == EXIT_INPUT, f"a misspelt --check ran nothing and exited {code}: {out}{err}"
    assert "Traceback" not in err
    assert "freshnes" in err  # one "error:" line, or click's usage error naming the value


CONTRACT_FILES: dict[str, bytes] = {
    "empty": b"",
    "binary": b"\x00\xff\xfe\x01",
    "not a mapping": b"- 1\n- 2\n",
    "8 MB": b"apiVersion: v3.1.0\nkind: DataContract\nid: urn:big\nversion: 1.0.0\n"
    + b"description:\n  purpose: '"
    + b"x" * (8 << 20)
    + b"'\n",
}


@pytest.mark.parametrize("kind", sorted(CONTRACT_FILES))
def test_check_with_a_bad_contract_file_is_bad_input(
    tmp_path: Path, kind: str, figures: Figures
) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "bad.yaml").write_bytes(CONTRACT_FILES[kind])
    (tmp_path / "cfg.yaml").write_text("contracts: [contracts/*.yaml]\n")
    began = time.monotonic()
    code, _out, err = run("sla", "--config", "cfg.yaml", "check", cwd=tmp_path)
    seconds = time.monotonic() - began
    figures.update(
        {"file": kind, "exit_code": code, "seconds": round(seconds, 2), "stderr": err[:300]}
    )
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    said = lines[0][:200] if lines else "nothing on stderr: the file was accepted"
    assert code == EXIT_INPUT, (
        f"an unusable contract file ({kind}), yet `floe sla check` exited {code} "
        f"(a CI job would pass): {said}"
    )
    assert len(lines) == 1, err
    assert "bad.yaml" in lines[0]


# -- real processes ------------------------------------------------------------------


def _limited() -> None:  # pragma: no cover - runs in the child
    # A runaway child must fail, not take the machine down with it.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _real(root: Path, env: dict[str, str], *argv: str, timeout: float = 60) -> Any:
    try:
        return subprocess.run(
            [FLOE, *argv],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            preexec_fn=_limited,
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, -1, "", f"still running after {timeout}s")


def _alias_bomb(levels: int) -> list[str]:
    lines = ['x0: &x0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 9) + "]")
    return lines


def test_real_processes_with_bad_files(
    tmp_path: Path, subprocess_env: dict[str, str], figures: Figures
) -> None:
    (tmp_path / "huge.yaml").write_bytes(CONFIGS["huge"] or b"")
    (tmp_path / "binary.yaml").write_bytes(CONFIGS["binary"] or b"")
    huge = _real(tmp_path, subprocess_env, "sla", "--config", "huge.yaml", "status")
    binary = _real(tmp_path, subprocess_env, "sla", "--debug", "--config", "binary.yaml", "check")
    missing = _real(tmp_path, subprocess_env, "sla", "--config", "nope.yaml", "deliveries", "list")
    _assert_one_line_error(huge.returncode, huge.stderr, "huge.yaml", "at most 5242880")
    _assert_one_line_error(missing.returncode, missing.stderr, "nope.yaml: config file not found")
    assert binary.returncode == EXIT_INPUT
    assert binary.stderr.strip().splitlines()[-1].startswith("error: binary.yaml:")
    assert "Traceback" in binary.stderr  # --debug shows it, and only --debug
    figures.update({"exit_codes": [huge.returncode, binary.returncode, missing.returncode]})


def test_a_yaml_alias_bomb_is_refused_quickly(
    tmp_path: Path, subprocess_env: dict[str, str], figures: Figures
) -> None:
    """About 600 bytes that expand to 9^9 values: refused, not expanded."""
    bomb = _alias_bomb(9)
    (tmp_path / "contracts").mkdir()
    contract = [
        "apiVersion: v3.1.0",
        "kind: DataContract",
        "id: urn:bomb",
        "name: bomb",
        "version: 1.0.0",
        "customProperties:",
        "  - property: anchors",
        "    value:",
        *("      " + line for line in bomb),
    ]
    (tmp_path / "contracts" / "bomb.yaml").write_text("\n".join(contract) + "\n")
    (tmp_path / "good.yaml").write_text("contracts: [contracts/*.yaml]\n")
    (tmp_path / "bomb-config.yaml").write_text(
        "\n".join(
            ["contracts: []", "monitoring:", "  silences: []", "x:", *("  " + b for b in bomb)]
        )
        + "\n"
    )

    def timed(*argv: str) -> tuple[Any, float]:
        began = time.monotonic()
        # A guard against a hang (the unfixed loader ran for minutes and 10 GB), not a
        # stopwatch: the refusal is asserted by its message below.
        done = _real(tmp_path, subprocess_env, "sla", *argv, timeout=120)
        return done, time.monotonic() - began

    with ThreadPoolExecutor(2) as pool:  # both at once: each may run into its limits
        check = pool.submit(timed, "--config", "good.yaml", "check")
        validate = pool.submit(timed, "--config", "bomb-config.yaml", "config", "validate")
        (checked, check_seconds), (validated, validate_seconds) = check.result(), validate.result()
    figures.update(
        {
            "bytes": len("\n".join(contract)),
            "check": [checked.returncode, round(check_seconds, 1), checked.stderr[-200:]],
            "config_validate": [
                validated.returncode,
                round(validate_seconds, 1),
                validated.stderr[-200:],
            ],
        }
    )
    for done in (checked, validated):
        assert "Traceback" not in done.stderr, done.stderr[-500:]
        assert done.returncode == EXIT_INPUT, (done.returncode, done.stderr[-300:])
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr[-500:]
        assert "YAML aliases are not supported" in done.stderr, done.stderr[-500:]
