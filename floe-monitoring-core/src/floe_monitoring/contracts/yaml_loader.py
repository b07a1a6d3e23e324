"""A YAML loader for contracts that keeps scalars as written, and remembers their lines.

PyYAML's SafeLoader follows YAML 1.1: an unquoted ``2022-05-12T09:30:10-08:00`` becomes a
`datetime` (which then fails ODCS validation, where the field is a string) and ``9:30``
becomes the base-60 integer 570. ODCS contracts are full of both, so this loader drops the
timestamp resolver and the base-60 forms of the int and float resolvers.

It also refuses aliases (``*name``): a few hundred bytes of nested aliases expand to
billions of values (the "billion laughs"), and neither contracts nor the monitor config
need them. Errors are `yaml.MarkedYAMLError`s, so callers can always name the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = [
    "ContractYamlLoader",
    "DuplicateKeyError",
    "LineIndex",
    "UnacceptableCharacterError",
    "data_path",
    "escape_name",
    "load_yaml_with_lines",
    "nearest_line",
]

#: A path into a parsed document: mapping keys and sequence indexes.
Path = tuple[str | int, ...]
#: 1-based line of each value, by path.
LineIndex = dict[Path, int]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

# The YAML 1.1 int and float patterns from PyYAML's resolver, without the base-60 branch.
_INT_NO_BASE60 = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_FLOAT_NO_BASE60 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping repeats a key (PyYAML would silently keep the last value)."""


class UnacceptableCharacterError(yaml.MarkedYAMLError):
    """The text holds a character YAML does not allow (a control character, say)."""


class ContractYamlLoader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps, base-60 numbers or aliases."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose the next node; an alias is an error at its own line.

        Raises:
            yaml.composer.ComposerError: The next event is an alias (``*name``).

        """
        if self.check_event(yaml.AliasEvent):
            # Refused before PyYAML shares the anchored node: an alias bomb is then
            # rejected at its first alias instead of being walked once per reference.
            # (check_event has just parsed the alias into current_event.)
            mark = self.current_event.start_mark
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not supported", mark)
        return super().compose_node(parent, index)


def _patched_resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    patched: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept: list[tuple[str, re.Pattern[str]]] = []
        for tag, pattern in resolvers:
            if tag == _TIMESTAMP:
                continue
            if tag == _INT:
                pattern = _INT_NO_BASE60
            elif tag == _FLOAT:
                pattern = _FLOAT_NO_BASE60
            kept.append((tag, pattern))
        patched[first] = kept
    return patched


# Assigned on the subclass only, so yaml.SafeLoader keeps its standard behaviour.
ContractYamlLoader.yaml_implicit_resolvers = _patched_resolvers()


def load_yaml_with_lines(text: str) -> tuple[Any, LineIndex]:
    """Parse one YAML (or JSON) document; return the data and the line of every value.

    Raises:
        yaml.MarkedYAMLError: On a syntax error, a duplicate key, an alias or a character
            YAML does not allow; always with the mark of the offending line.

    """
    try:
        loader = ContractYamlLoader(text)
    except yaml.reader.ReaderError as exc:
        # PyYAML checks the whole text up front and reports only an offset; turn it into
        # a line, the way every other YAML error is reported.
        raise _unacceptable_character(text, exc) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: LineIndex = {}
        _index(node, (), lines)
        return loader.construct_document(node), lines
    finally:
        loader.dispose()


def _unacceptable_character(text: str, exc: yaml.reader.ReaderError) -> yaml.MarkedYAMLError:
    position = int(exc.position)
    line = text.count("\n", 0, position)
    column = position - (text.rfind("\n", 0, position) + 1)
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    mark = yaml.Mark(str(exc.name), position, line, column, None, 0)
    return UnacceptableCharacterError(
        None, None, f"unacceptable character #x{code:04x}: {exc.reason}", mark
    )


def escape_name(name: str) -> str:
    r"""`name` with its non-printable characters escaped (``"a\nb"``), for one-line errors.

    Key names are echoed in error messages; a newline, an ANSI escape or a lone surrogate
    in one would break the one-line message (or the terminal printing it).
    """
    if name.isprintable():
        return name
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in name
    )


def _index(node: yaml.Node, path: Path, lines: LineIndex) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise DuplicateKeyError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key '{key}'",
                    key_node.start_mark,
                )
            seen.add(key)
            _index(value_node, (*path, key), lines)
            # The key's own line is the better pointer for "unknown field" errors.
            lines.setdefault((*path, key, "<key>"), key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*path, position), lines)


def data_path(loc: tuple[int | str, ...], data: Any) -> tuple[str | int, ...]:
    """The part of a pydantic error location that exists in `data` (a path into the file)."""
    # pydantic inserts union member names ('Team', 'list[TeamMember]', 'str') into
    # locations; keep only the parts that exist in the data, so the path matches the file.
    path: list[str | int] = []
    node = data
    for part in loc:
        in_mapping = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_mapping or in_list):
            continue
        node = node[part]
        path.append(part)
    return tuple(path)


def nearest_line(path: tuple[str | int, ...], lines: LineIndex) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    for end in range(len(path), -1, -1):
        if (line := lines.get(path[:end])) is not None:
            return line
    return None
