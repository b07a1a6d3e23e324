"""Reading `floe-monitor.yaml`: bad files are one line naming the file, the line and the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from floe_monitoring.config import ConfigFileError, load_config
from floe_monitoring.config.model import to_duration


def _error(tmp_path: Path, text: str) -> ConfigFileError:
    path = tmp_path / "floe-monitor.yaml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    assert message.isprintable()  # one line, and nothing that drives a terminal
    return caught.value


def test_a_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "floe-monitor.yaml"
    path.write_text("monitoring:\n  check_timeout: 45s\n")
    assert load_config(path, env={}).monitoring.check_timeout == timedelta(seconds=45)


def test_an_alias_bomb_is_refused_at_its_first_alias(tmp_path: Path) -> None:
    """D6: the config shares the contracts' loader; aliases are refused, not expanded."""
    bomb = ['  x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    bomb += [f"  x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]" for i in range(1, 9)]
    error = _error(tmp_path, "contracts: []\nx:\n" + "\n".join(bomb) + "\n")
    assert (error.line, error.reason) == (4, "invalid YAML: YAML aliases are not supported")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("\x1f", 1, "unacceptable character #x001f"),
        ("contracts: []\nstate:\n  url: a\x07b\n", 3, "unacceptable character #x0007"),
        ("contracts: []\n\x7f\n", 2, "unacceptable character #x007f"),
    ],
)
def test_a_character_yaml_refuses_names_line_and_code(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    """D14: not "invalid YAML: ReaderError", but the line and the character."""
    error = _error(tmp_path, text)
    assert error.line == line
    assert error.reason == f"invalid YAML: {reason}: special characters are not allowed"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('catalog:\n  "\\n":\n    type: sql\n', "catalog.\\n"),
        ('"tags\\nline two": 1\n', "tags\\nline two"),
        ('monitoring:\n  "\\e[31mred": 1\n', "monitoring.\\x1b[31mred"),
        ('"\\u2028": 1\n', "\\u2028"),
    ],
)
def test_unknown_keys_with_control_characters_are_echoed_escaped(
    tmp_path: Path, text: str, key: str
) -> None:
    """D13: a key holding a newline or an escape sequence is echoed escaped, on one line."""
    error = _error(tmp_path, text)
    assert (error.key, error.reason) == (key, "unknown key")
    assert error.line is not None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("monitoring:\n  check_timeout: 100000000000000000000000\n", "monitoring.check_timeout"),
        ("monitoring:\n  check_timeout: 1.0e+300\n", "monitoring.check_timeout"),
        ("service:\n  shutdown_grace: PT99999999999999999999H\n", "service.shutdown_grace"),
        ("monitoring:\n  intervals:\n    freshness: 1000000000000000d\n", "monitoring.intervals"),
    ],
)
def test_a_duration_out_of_range_is_a_validation_error(tmp_path: Path, text: str, key: str) -> None:
    """D15: a timedelta overflow is a one-line error naming the key, not a traceback."""
    error = _error(tmp_path, text)
    assert error.key is not None
    assert error.key.startswith(key)
    assert "duration out of range" in error.reason


def test_to_duration_raises_value_error_when_out_of_range() -> None:
    assert to_duration(90) == timedelta(seconds=90)
    with pytest.raises(ValueError, match=r"^duration out of range$"):
        to_duration(10**23)
    with pytest.raises(ValueError, match=r"^duration out of range$"):
        to_duration(float("inf"))


def test_retention_tiers_default_to_days_and_a_week(tmp_path: Path) -> None:
    path = tmp_path / "floe-monitor.yaml"
    path.write_text("monitoring:\n  retention: 4d\n")
    monitoring = load_config(path, env={}).monitoring
    assert (monitoring.retention, monitoring.hourly_retention) == (
        timedelta(days=4),
        timedelta(days=8),
    )


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("monitoring:\n  retention: 1d\n", "monitoring.retention", "at least 3 days"),
        (
            "monitoring:\n  retention: 10d\n  hourly_retention: 9d\n",
            "monitoring.hourly_retention",
            "at least as long as retention",
        ),
    ],
)
def test_retention_tiers_out_of_order_name_the_key(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    error = _error(tmp_path, text)
    assert key in str(error)
    assert reason in str(error)


def test_catalog_processes_reach_the_table_source(tmp_path: Path) -> None:
    path = tmp_path / "floe-monitor.yaml"
    path.write_text("monitoring:\n  catalog_processes: 2\n")
    assert load_config(path, env={}).table_source_config().processes == 2
    path.write_text("monitoring: {}\n")
    assert load_config(path, env={}).table_source_config().processes == 0  # threads only


def test_negative_catalog_processes_name_the_key(tmp_path: Path) -> None:
    error = _error(tmp_path, "monitoring:\n  catalog_processes: -1\n")
    assert "monitoring.catalog_processes" in str(error)
