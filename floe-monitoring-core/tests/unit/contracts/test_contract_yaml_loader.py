"""The contract YAML loader: scalars kept as written, lines known, aliases refused."""

from __future__ import annotations

import pytest
import yaml

from floe_monitoring.contracts import ContractYamlLoader, load_yaml_with_lines
from floe_monitoring.contracts.yaml_loader import UnacceptableCharacterError, escape_name


def test_timestamps_and_sexagesimal_values_stay_strings() -> None:
    data, _ = load_yaml_with_lines(
        "when: 2022-05-12T09:30:10-08:00\nday: 2022-05-12\nat: 9:30\nwindow: 09:00-08:00\n"
    )
    assert data == {
        "when": "2022-05-12T09:30:10-08:00",
        "day": "2022-05-12",
        "at": "9:30",
        "window": "09:00-08:00",
    }


def test_plain_numbers_booleans_and_nulls_still_resolve() -> None:
    data, _ = load_yaml_with_lines("a: 12\nb: 1.5\nc: true\nd: null\ne: 0x1f\nf: 1_000\ng: .inf\n")
    assert data == {"a": 12, "b": 1.5, "c": True, "d": None, "e": 31, "f": 1000, "g": float("inf")}


def test_the_standard_safe_loader_is_left_alone() -> None:
    assert yaml.safe_load("at: 9:30") == {"at": 570}
    assert yaml.load("at: 9:30", Loader=ContractYamlLoader) == {"at": "9:30"}  # noqa: S506


def test_every_value_and_key_has_its_line() -> None:
    _, lines = load_yaml_with_lines("a:\n  b:\n    - x\n    - y: 1\n")
    assert lines[("a",)] == 2
    assert lines[("a", "b", 0)] == 3
    assert lines[("a", "b", 1, "y")] == 4
    assert lines[("a", "<key>")] == 1


def test_duplicate_keys_are_an_error_with_their_line() -> None:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        load_yaml_with_lines("id: a\nname: x\nid: b\n")
    assert caught.value.problem_mark is not None
    assert caught.value.problem_mark.line + 1 == 3
    assert "duplicate key 'id'" in str(caught.value)


def test_empty_document() -> None:
    assert load_yaml_with_lines("") == (None, {})


def test_aliases_are_refused_at_their_line() -> None:
    """D6: an alias bomb is refused at its first alias, never expanded."""
    levels = ['x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]" for i in range(1, 9)]
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        load_yaml_with_lines("\n".join(levels) + "\n")
    assert caught.value.problem == "YAML aliases are not supported"
    assert caught.value.problem_mark is not None
    assert caught.value.problem_mark.line + 1 == 2


def test_an_anchor_without_an_alias_is_still_fine() -> None:
    data, _ = load_yaml_with_lines("a: &base [1, 2]\nb: 3\n")
    assert data == {"a": [1, 2], "b": 3}


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [("\x1f", 1, "#x001f"), ("a: 1\nb: 2\nc: x\x07y\n", 3, "#x0007"), ("a: 1\n\x00", 2, "#x0000")],
)
def test_a_character_yaml_refuses_is_reported_with_its_line(
    text: str, line: int, code: str
) -> None:
    """D14: PyYAML's ReaderError knows only an offset; the loader names the line."""
    with pytest.raises(UnacceptableCharacterError) as caught:
        load_yaml_with_lines(text)
    assert isinstance(caught.value, yaml.MarkedYAMLError)
    assert caught.value.problem_mark is not None
    assert caught.value.problem_mark.line + 1 == line
    assert (
        caught.value.problem == f"unacceptable character {code}: special characters are not allowed"
    )


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("plain_name", "plain_name"),
        ("naïve", "naïve"),
        ("tags\nline two", "tags\\nline two"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("lone \ud800", "lone \\ud800"),
        ("rtl\u202e", "rtl\\u202e"),
    ],
)
def test_escape_name_keeps_printable_text_and_escapes_the_rest(name: str, shown: str) -> None:
    assert escape_name(name) == shown
    assert escape_name(name).isprintable()
