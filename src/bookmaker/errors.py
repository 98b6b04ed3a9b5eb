"""One error type that knows where it happened, and a collector for a run.

Every problem in a book project becomes a :class:`BookError` carrying the file,
line and column it points at plus an optional hint.  Validation stages collect
errors instead of raising the first one, so a user fixes a whole batch per run.
"""
from __future__ import annotations

import contextlib
import difflib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator


@dataclass(frozen=True)
class Location:
    """A place in a project file; line and column count from 1.

    The file is kept as a string, not a ``Path``: locations travel inside the
    book model into templates, which must see plain data with no file access.
    """

    file: str
    line: int | None = None
    column: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", os.fspath(self.file))

    @property
    def name(self) -> str:
        """The file's name without its folder."""
        return os.path.basename(self.file)

    def __str__(self) -> str:
        text = display_path(self.file)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


def display_path(path: Path | str) -> str:
    """Show a path relative to the working directory when that is shorter."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith("../..") else str(path)


class BookError(Exception):
    """A problem in a book project (exit status 1)."""

    def __init__(self, message: str, where: Location | Path | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        if isinstance(where, Path):
            where = Location(where)
        self.message = message
        self.where = where
        self.hint = hint

    def __reduce__(self):  # keep file, line and hint across processes (build --handouts)
        return (type(self), (self.message, self.where, self.hint))

    def __str__(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        return head + (f"\n    hint: {self.hint}" if self.hint else "")


class UsageError(Exception):
    """A problem with how bookmaker was called (exit status 2)."""


class BuildFailed(Exception):
    """Several :class:`BookError` found in one run, reported together."""

    def __init__(self, errors: Iterable[BookError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __reduce__(self):
        return (type(self), (self.errors,))


class Errors:
    """Collects the errors of a stage; ``check()`` raises them all at once."""

    def __init__(self) -> None:
        self.items: list[BookError] = []

    def add(self, message: str, where: Location | Path | None = None,
            hint: str | None = None) -> None:
        self.items.append(BookError(message, where, hint))

    def extend(self, errors: Iterable[BookError]) -> None:
        self.items.extend(errors)

    def __bool__(self) -> bool:
        return bool(self.items)

    def check(self) -> None:
        if self.items:
            raise BuildFailed(self.items)


class WarningRecorder(logging.Handler):
    """Remembers bookmaker's warnings (for --strict, or to show them elsewhere)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def recording(logger: logging.Logger) -> Iterator[list[str]]:
    """The warnings ``logger`` gives inside the block, while they go on to its other handlers too."""
    recorder = WarningRecorder()
    logger.addHandler(recorder)
    try:
        yield recorder.messages
    finally:
        logger.removeHandler(recorder)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known word, for misspelt keys and ids."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
