"""Bounds on what one YAML file can make bookmaker do, checked while it is read.

PyYAML composes nested values recursively, shares an aliased value instead of
copying it, and turns an escape into a character with ``chr()``.  Each was a way
for a few bytes to crash or stall a run: a few hundred '[' escaped as
RecursionError; aliases of lists of aliases (a 3.7 KB outline) ran past 120 s at
4 GB, because every later stage walks a shared value once per alias; and
``"\\UFFFFFFFF"`` escaped as OverflowError.  :class:`BoundedLoader` refuses each
with the line and column it is written on.
"""
from __future__ import annotations

from typing import Any

import yaml

from .errors import BookError, Location

MAX_DEPTH = 64  # nesting levels of lists and mappings in one YAML file
# Values, and characters of strings, in one YAML file once every alias is replaced by
# the value it names.  A 10,000-chapter outline like the shipped book's holds about a
# million values; the alias bomb above held billions.
MAX_VALUES = 2_000_000
MAX_TEXT = 50_000_000


class BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer, counting the file as the later stages will see it.

    It composes the events of either parser: PyYAML's own (pure Python) or
    libyaml's (``yaml.cyaml.CParser``, in C), whose marks are the same character
    offsets.  Each loader below puts it before its parser, so that these
    methods, not the C parser's own composer, build the nodes.
    """

    def __init__(self) -> None:
        yaml.composer.Composer.__init__(self)
        self.depth = 0     # nesting level of the node being composed
        self.reached = 0   # deepest level reached inside it, aliases expanded
        self.values = self.text = self.aliases = 0  # the file so far, aliases expanded
        # Each anchored node's size, aliases expanded: (values, characters, levels).
        self.named: dict[yaml.Node, tuple[int, int, int]] = {}

    def locate(self, mark: yaml.Mark) -> Location:
        """Where a mark is in the project's file (lines as bookmaker counts them)."""
        raise NotImplementedError

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)  # refuses an unknown name
            self.repeat(node, event)
            return node
        # No book nests deeper than a dozen levels: refuse deep nesting where it starts.
        if self.depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"values nested more than {MAX_DEPTH} levels deep", event.start_mark)
        values, text, reached = self.values, self.text, self.reached
        self.reached = self.depth
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        self.count(1, len(node.value) if isinstance(node, yaml.ScalarNode) else 0, node.start_mark)
        if event.anchor is not None:
            levels = self.reached - self.depth + 1
            self.named[node] = (self.values - values, self.text - text, levels)
        self.reached = max(reached, self.reached)
        return node

    def repeat(self, node: yaml.Node, event: yaml.AliasEvent) -> None:
        """Count an alias as the whole value it names, as every later stage sees it."""
        if node not in self.named:
            raise BookError(f"the alias *{event.anchor} is used inside the value it names",
                            self.locate(event.start_mark), "a value cannot contain itself")
        values, text, levels = self.named[node]
        if self.depth + levels > MAX_DEPTH:
            raise BookError(f"values nested more than {MAX_DEPTH} levels deep once the alias "
                            f"*{event.anchor} is expanded", self.locate(event.start_mark))
        self.reached = max(self.reached, self.depth + levels - 1)
        self.aliases += 1
        self.count(values, text, event.start_mark)

    def count(self, values: int, text: int, mark: yaml.Mark) -> None:
        self.values += values
        self.text += text
        if self.values <= MAX_VALUES and self.text <= MAX_TEXT:
            return
        what = (f"{MAX_VALUES:,} values" if self.values > MAX_VALUES
                else f"{MAX_TEXT:,} characters of text")
        if self.aliases:
            raise BookError(f"the file holds more than {what} once its aliases are expanded",
                            self.locate(mark), "each alias (*name) repeats the whole value it "
                            "names; write out the parts the book needs instead")
        raise BookError(f"the file holds more than {what}", self.locate(mark),
                        "split the book into smaller books")



class BoundedLoader(BoundedComposer, yaml.SafeLoader):
    """The safe loader, all in Python: the one that reports a file's errors."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        BoundedComposer.__init__(self)

    def scan_flow_scalar_non_spaces(self, double: bool, start_mark: yaml.Mark) -> list[str]:
        try:
            return super().scan_flow_scalar_non_spaces(double, start_mark)
        except (ValueError, OverflowError):  # chr() of an escape past U+10FFFF
            at = self.get_mark()  # on the escape's eight digits, after '\U'
            raise yaml.scanner.ScannerError(
                "while scanning a double-quoted scalar", start_mark,
                f"the escape \\U{self.prefix(8)} names no character (the last is \\U0010FFFF)",
                yaml.Mark(at.name, at.index - 2, at.line, at.column - 2, None, None)) from None


if yaml.__with_libyaml__:
    class BoundedCLoader(BoundedComposer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor,
                         yaml.resolver.Resolver):
        """The same loader over libyaml's parser: several times faster on a large
        outline.  A file it refuses is read again by :class:`BoundedLoader`, whose
        messages and marks are the ones bookmaker reports."""

        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            BoundedComposer.__init__(self)
else:  # PyYAML built without libyaml
    BoundedCLoader = None  # type: ignore[assignment,misc]
