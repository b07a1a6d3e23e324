"""The contract YAML loader keeps timestamps and ``9:30`` as written, and knows lines."""

from __future__ import annotations

import pytest
import yaml

from floe_monitoring.contracts import ContractYamlLoader, load_yaml_with_lines


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
