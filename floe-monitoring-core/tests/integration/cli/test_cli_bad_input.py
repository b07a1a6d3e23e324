"""Bad input to `floe sla check` and `floe sla config validate`: exit 4, one line on stderr.

Most cases run the console script's entry point (`floe_monitoring.cli:main`) in process;
the one whose point is what a person sees on stderr runs the real `floe` command.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from floe_monitoring.checks.base import CheckType
from floe_monitoring.cli import main

from .conftest import Project

EXIT_INPUT = 4


def _floe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path, *argv: str
) -> tuple[int, str, str]:
    """Run `floe` in process in `cwd`: (exit code, stdout, stderr)."""
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("FLOE_MONITOR_CONFIG", raising=False)
    capsys.readouterr()
    code = 0
    try:
        main(list(argv))
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else int(done.code is not None)
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(code: int, err: str) -> str:
    assert code == EXIT_INPUT, (code, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


def test_check_exits_4_when_a_contract_file_is_unusable_even_if_the_rest_pass(
    project: Project,
) -> None:
    """D7: a skipped contract was not checked, so `check` must not pass (a real process)."""
    (project.root / "contracts" / "broken.yaml").write_text("id: [\n")
    done = project.floe("sla", "check", "--format", "json")
    assert done.returncode == EXIT_INPUT, done.stderr
    data = json.loads(done.stdout)
    assert {r["status"] for r in data["results"]} == {"pass"}  # the good contracts ran
    assert data["summary"]["exit_code"] == EXIT_INPUT
    assert len(data["summary"]["contract_errors"]) == 1
    # Said once (not also by the engine's log), on one line naming file and line.
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("contract skipped: ")
    assert "broken.yaml:2: invalid YAML" in lines[0]


@pytest.mark.parametrize(
    "content",
    [b"\x00\xff\xfe\x01", b"- 1\n- 2\n", b"x0: &x0 [a, b]\nx1: [*x0, *x0]\n"],
    ids=["binary", "list", "alias"],
)
def test_check_exits_4_when_every_contract_file_is_unusable(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
) -> None:
    """D7 (and D6 for contracts): no usable contract is bad input, not "all passed"."""
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "bad.yaml").write_bytes(content)
    (tmp_path / "cfg.yaml").write_text("contracts: [contracts/*.yaml]\n")
    code, out, err = _floe(capsys, monkeypatch, tmp_path, "sla", "--config", "cfg.yaml", "check")
    assert code == EXIT_INPUT, (out, err)
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("contract skipped: ")
    assert "bad.yaml" in err
    assert "1 contract file(s) skipped" in out


def test_a_misspelt_check_type_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """D9: `--check freshnes` used to run nothing and exit 0."""
    (tmp_path / "cfg.yaml").write_text("contracts: []\n")
    code, out, err = _floe(
        capsys, monkeypatch, tmp_path, "sla", "--config", "cfg.yaml", "check", "--check", "freshnes"
    )
    assert code == EXIT_INPUT
    assert out == ""
    assert "Invalid value for '--check': 'freshnes' is not one of" in err
    assert "Traceback" not in err


def test_every_check_type_is_accepted_by_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cfg.yaml").write_text("contracts: []\n")
    selection = [arg for t in CheckType for arg in ("--check", t.value)]
    code, out, err = _floe(
        capsys, monkeypatch, tmp_path, "sla", "--config", "cfg.yaml", "check", *selection
    )
    assert code == 0, err
    assert "0 checks" in out


_BOMB = ['  x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'] + [
    f"  x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]" for i in range(1, 9)
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "contracts: []\nx:\n" + "\n".join(_BOMB) + "\n",
            "error: cfg.yaml:4: invalid YAML: YAML aliases are not supported",
        ),
        (
            "contracts: []\nstate:\n  url: a\x1fb\n",
            "error: cfg.yaml:3: invalid YAML: unacceptable character #x001f: "
            "special characters are not allowed",
        ),
        (
            'catalog:\n  "\\n":\n    type: sql\n',
            "error: cfg.yaml:2: catalog.\\n: unknown key",
        ),
        (
            "monitoring:\n  check_timeout: 100000000000000000000000\n",
            "error: cfg.yaml:2: monitoring.check_timeout: Value error, duration out of range",
        ),
        (
            "channels:\n  hook:\n    type: webhook\n    url: https://example.com/in\n"
            '    "secret\\n": x\n',
            "error: channel 'hook', field 'secret': Field required (also invalid: secret\\n)",
        ),
    ],
    ids=["alias bomb", "control character", "newline key", "huge duration", "channel key"],
)
def test_config_validate_reports_bad_files_on_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    expected: str,
) -> None:
    """D6, D13, D14, D15 through the CLI: exit 4 and one line naming file and line or key."""
    (tmp_path / "cfg.yaml").write_text(text)
    code, _out, err = _floe(capsys, monkeypatch, tmp_path, "sla", "config", "validate", "cfg.yaml")
    assert _one_error_line(code, err) == expected
