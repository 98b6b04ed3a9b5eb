"""YAML that remembers where each key and item came from.

PyYAML's safe loader forgets line numbers once it builds Python objects.  The
loader below builds :class:`MarkedDict` and :class:`MarkedList`, which keep the
location of every key and item, so later stages can point at the exact line of
a bad value.  It also refuses duplicate keys (PyYAML silently keeps the last)
and leaves dates as strings, since ``published: 2019-04`` must stay text.
"""
from __future__ import annotations

import bisect
import os
import re
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml

from . import chars
from .errors import BookError, Errors, Location, did_you_mean
from .yamlbounds import BoundedCLoader, BoundedLoader

if TYPE_CHECKING:
    from .files import ProjectFiles


class MarkedDict(dict):
    """A dict with the location of the mapping and of each of its keys."""

    loc: Location
    key_locs: dict[str, Location]

    def where(self, key: str) -> Location:
        return self.key_locs.get(key, self.loc)


class MarkedList(list):
    """A list with the location of the sequence and of each of its items."""

    loc: Location
    item_locs: list[Location]

    def where(self, index: int) -> Location:
        return self.item_locs[index] if index < len(self.item_locs) else self.loc


class LineIndex:
    """Turns a character index of a text into a line and column, lines ending at '\n'.

    PyYAML's own mark.line also breaks lines at U+0085, U+2028, U+2029 and a lone
    '\r', which no editor (nor grep -n, nor the rest of bookmaker) counts as line
    ends, so a file holding one got errors pointing at the wrong line, even past
    its end.  The mark's character index is exact; the line is found from it.
    The line starts are found once, and each position by bisection: counting the
    lines from the top for every node made a 10,000-chapter outline quadratic.
    """

    def __init__(self, text: str, path: Path, line_offset: int = 0) -> None:
        self.path = path
        self.file = os.fspath(path)  # once, not for each of the thousands of locations
        self.line_offset = line_offset
        self.length = len(text)
        # an array: a 20 MB file of short lines would need a list of a million ints
        self.starts = array("q", [0])
        self.starts.extend(m.end() for m in re.finditer("\n", text))

    def at(self, index: int) -> Location:
        index = max(0, min(index, self.length))
        line = bisect.bisect_right(self.starts, index) - 1
        return Location(self.file, line + 1 + self.line_offset, index - self.starts[line] + 1)


def _loader_class(text: str, lines: LineIndex, base: type = BoundedLoader) -> type:
    def location(mark: yaml.Mark) -> Location:
        return lines.at(mark.index)

    def expect(node: yaml.Node, kind: type, what: str) -> None:
        # An explicit tag puts any node here: `!!map title` or `!!seq {a: 1}`.  PyYAML's
        # own constructors check the node's kind; without the check these crashed with
        # ValueError or AttributeError instead of reporting the line.
        if not isinstance(node, kind):
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise yaml.constructor.ConstructorError(
                None, None, f"the tag {tag} needs {what}, not a {node.id}", node.start_mark)

    class Loader(base):
        # A copy of the resolvers without the timestamp rule: dates stay text.
        yaml_implicit_resolvers = {
            key: [r for r in rules if r[0] != "tag:yaml.org,2002:timestamp"]
            for key, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

        def locate(self, mark: yaml.Mark) -> Location:
            return location(mark)

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> MarkedDict:
            expect(node, yaml.MappingNode, "a mapping")
            result = MarkedDict()
            result.loc = location(node.start_mark)
            result.key_locs = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    # `? [a]: x` or `? ? ? x`: str() of a nested key repeats the quoting
                    # of each level, doubling its length per level, so a 60-byte outline
                    # ran out of memory.  No book key is a list or a mapping.
                    raise yaml.constructor.ConstructorError(
                        None, None, f"a key must be a plain word, not a {key_node.id}",
                        key_node.start_mark)
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = str(key)
                if key in result:
                    raise BookError(f"duplicate key '{key}'", location(key_node.start_mark),
                                    f"first given at line {result.key_locs[key].line}")
                result[key] = self.construct_object(value_node, deep=True)
                result.key_locs[key] = location(key_node.start_mark)
            return result

        def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> MarkedList:
            expect(node, yaml.SequenceNode, "a sequence")
            result = MarkedList(self.construct_object(n, deep=True) for n in node.value)
            result.loc = location(node.start_mark)
            result.item_locs = [location(n.start_mark) for n in node.value]
            return result

        def construct_scalar(self, node: yaml.Node) -> Any:
            # Every key and value, whatever its tag, is read through here: refuse the
            # characters no book can hold where they are written (see chars.py).
            value = super().construct_scalar(node)
            bad = chars.first_forbidden(value) if isinstance(value, str) else None
            if bad is not None:
                raw = text[node.start_mark.index:node.end_mark.index]
                offset = chars.scalar_offset(raw, node.style == '"') or 0
                message, hint = chars.problem(value, bad)
                raise BookError(message, lines.at(node.start_mark.index + offset), hint)
            return value

    Loader.add_constructor("tag:yaml.org,2002:map", Loader.construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", Loader.construct_sequence)
    return Loader


def load_yaml(text: str, path: Path, line_offset: int = 0) -> Any:
    """Parse YAML text; syntax errors become a :class:`BookError` with a location.

    ``line_offset`` shifts reported lines, for front matter inside a larger file.
    """
    lines = LineIndex(text, path, line_offset)
    if BoundedCLoader is not None:
        # libyaml first; a file it refuses is read again in Python below, whose
        # messages, marks and limits are the ones reported (and the tests know).
        try:
            return yaml.load(str(text), Loader=_loader_class(text, lines, BoundedCLoader))  # noqa: S506
        except (yaml.YAMLError, BookError):
            pass
    try:
        return yaml.load(text, Loader=_loader_class(text, lines))  # noqa: S506 (safe loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = lines.at(mark.index) if mark else Location(path, 1 + line_offset)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = None
        if "\\t" in problem or re.search(r"\btab", problem):  # not "unconstructable"
            hint = "YAML is indented with spaces; replace the tabs with spaces"
        elif "mapping values are not allowed" in problem:
            hint = "a value containing ': ' must be quoted"
        elif "expected <block end>" in problem or "indentation" in problem:
            hint = "check the indentation of this line against the lines above"
        raise BookError(f"YAML syntax error: {problem}", where, hint) from None
    except yaml.reader.ReaderError as exc:
        # A control character (NUL, ESC, ...) has no mark, only a position in the
        # text; without this it was reported with no line and PyYAML's
        # '"<unicode string>", position N' in the message.
        raise BookError(f"YAML error: character U+{exc.character:04X} is not allowed in YAML",
                        lines.at(exc.position),
                        "remove the control character, or write it as an escape in a "
                        "double-quoted string") from None
    except yaml.YAMLError as exc:  # errors without a mark
        raise BookError(f"YAML error: {exc}", Location(path, 1 + line_offset)) from None


def load_data_file(path: Path, files: "ProjectFiles", errors: Errors, empty: str,
                   hint: str | None = None) -> Any:
    """A project YAML file's data; None (with the problem in ``errors``) when
    it cannot be read or parsed, or holds nothing."""
    try:
        data = load_yaml(files.read_text(path), path)
    except BookError as exc:
        errors.items.append(exc)
        return None
    if data is None:
        errors.add(empty, Location(path, 1), hint)
    return data


TYPE_NAMES = {str: "a string", list: "a list", dict: "a mapping", int: "a number", bool: "true or false"}


class Fields:
    """Reads the fields of one YAML mapping, recording every problem found.

    It checks unknown keys (with a 'did you mean' hint), missing required keys
    and types; getters return None for a bad or missing value, so the caller
    carries on and more errors can be reported in the same run.
    """

    def __init__(self, mapping: Any, what: str, where: Location, errors: Errors,
                 known: Iterable[str], required: Iterable[str] = ()) -> None:
        self.errors = errors
        self.ok = isinstance(mapping, MarkedDict)
        self.map: MarkedDict = mapping if self.ok else MarkedDict()
        if not self.ok:
            errors.add(f"{what} must be a mapping of keys to values, not {describe(mapping)}", where)
            return
        known = list(known)
        for key in self.map:
            if key not in known:
                errors.add(f"unknown key '{key}' in {what}", self.map.where(key),
                           did_you_mean(key, known) or f"known keys: {', '.join(known)}")
        for key in required:
            if key not in self.map:
                errors.add(f"missing required key '{key}' in {what}", self.map.loc)

    def where(self, key: str) -> Location:
        return self.map.where(key)

    def get(self, key: str, kind: type, default: Any = None, nullable: bool = False) -> Any:
        if key not in self.map:
            return default
        value = self.map[key]
        if value is None and nullable:
            return None
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # `published: 2019` or a numeric title is still text
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.errors.add(f"'{key}' must be {TYPE_NAMES.get(kind, kind.__name__)}"
                            f"{' or null' if nullable else ''}, not {describe(value)}", self.where(key))
            return default
        if kind is str and not nullable and not chars.visible(value):
            # Zero-width spaces and joiners, soft hyphens, lone combining marks: a quote
            # of "\u200b\u200b" was found in a source holding them, and shown as nothing.
            unseen = ", ".join(f"U+{ord(c):04X}" for c in list(dict.fromkeys(value.strip()))[:3])
            self.errors.add(f"'{key}' must not be empty" + (
                f" (it holds only characters no reader can see: {unseen})" if unseen else ""),
                self.where(key))
            return default
        return value

    def names(self, key: str, nullable: bool = False) -> tuple[str, ...] | None:
        """A name or a list of names, as tuple; None when missing or null."""
        value = self.map.get(key)
        if value is None:
            return None if key not in self.map or nullable else self._bad_names(key, value)
        if isinstance(value, str) and chars.visible(value):
            return (value.strip(),)
        if isinstance(value, list) and value and all(isinstance(v, str) and chars.visible(v)
                                                     for v in value):
            return tuple(v.strip() for v in value)
        return self._bad_names(key, value)

    def _bad_names(self, key: str, value: Any) -> None:
        self.errors.add(f"'{key}' must be a name or a list of names, not {describe(value)}",
                        self.where(key))
        return None


def describe(value: Any) -> str:
    """Name a YAML value's type for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string '{value[:40]}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
