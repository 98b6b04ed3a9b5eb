"""Chapter selections: the SPEC of ``--chapters`` and of the outline's ``handouts:``.

A SPEC is a comma-separated list of chapter ids, 1-based positions and ranges
of positions (``3``, ``note-1954``, ``2-4``, ``introduction,5-6``); on the
command line an item may also name a handout of the outline.  Parsing needs
only the chapter ids, so the outline can check its handouts without opening a
source.  A selection keeps the book's order: ``5,2`` is chapters 2 and 5.
"""
from __future__ import annotations

import re
from typing import Mapping, Sequence

from .errors import did_you_mean

POSITION = re.compile(r"^(\d+)$")
RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")


class SpecError(Exception):
    """A SPEC that names no chapters, or chapters the book does not have."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f" ({self.hint})" if self.hint else "")


def resolve(spec: str, ids: Sequence[str],
            handouts: Mapping[str, Sequence[str]] | None = None) -> tuple[int, ...]:
    """The 0-based indices of the chapters ``spec`` selects, in book order.

    ``handouts`` maps a handout's name to its chapter ids; without it, items
    are chapter ids, positions and ranges only (as inside ``handouts:``).
    """
    count = len(ids)
    chosen: set[int] = set()
    items = [item.strip() for item in spec.split(",")]
    if not any(items):
        raise SpecError("the selection is empty",
                        "name chapters by id, position or range, such as 3, note-1954 or 2-4")
    for item in filter(None, items):
        if m := POSITION.match(item):
            chosen.add(_position(int(m.group(1)), count, item))
        elif m := RANGE.match(item):
            first, last = int(m.group(1)), int(m.group(2))
            if first > last:
                raise SpecError(f"the range {item} runs backwards", f"write {last}-{first}")
            chosen.update(range(_position(first, count, item), _position(last, count, item) + 1))
        elif item in ids:
            chosen.add(list(ids).index(item))
        elif handouts is not None and item in handouts:
            chosen.update(list(ids).index(i) for i in handouts[item])
        else:
            names = list(ids) + list(handouts or ())
            what = "chapter or handout" if handouts else "chapter"
            raise SpecError(f"unknown {what} '{item}'",
                            did_you_mean(item, names) or f"the chapters are {_listing(ids)}")
    return tuple(sorted(chosen))


def _position(number: int, count: int, item: str) -> int:
    if not 1 <= number <= count:
        raise SpecError(f"chapter {number} (in '{item}') is out of range",
                        f"the book has {count} chapter{'s' if count != 1 else ''}, 1-{count}")
    return number - 1


def _listing(ids: Sequence[str]) -> str:
    shown = ", ".join(f"{i} {cid}" for i, cid in enumerate(ids[:12], 1))
    return shown + (", ..." if len(ids) > 12 else "")


def runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive 0-based indices gathered into (first, last) runs."""
    found: list[list[int]] = []
    for i in sorted(indices):
        if found and i == found[-1][1] + 1:
            found[-1][1] = i
        else:
            found.append([i, i])
    return [(a, b) for a, b in found]


def label(indices: Sequence[int], ids: Sequence[str]) -> str:
    """A readable, file-safe name for a selection: the chapter's id for one
    chapter, else its positions as ranges (``chapters-2-4``, ``chapters-1+5-6``).

    Equal selections get equal names however they were written.
    """
    if len(indices) == 1:
        return ids[indices[0]]
    return "chapters-" + "+".join(f"{a + 1}" if a == b else f"{a + 1}-{b + 1}"
                                  for a, b in runs(indices))


def scope(indices: Sequence[int]) -> str:
    """The chapters of a selection in words: 'Chapter 3', 'Chapters 2–4 and 6'."""
    bits = [f"{a + 1}" if a == b else f"{a + 1}–{b + 1}" for a, b in runs(indices)]
    if len(indices) == 1:
        return f"Chapter {bits[0]}"
    listed = bits[0] if len(bits) == 1 else ", ".join(bits[:-1]) + " and " + bits[-1]
    return f"Chapters {listed}"
