"""Find an excerpt's words in its source, tolerating only typography.

Both texts are normalised (white space runs become one space; typographic
quotes, apostrophes and dashes become their plain forms), with a map from each
normalised character back to its offset in the original, so the excerpt that
reaches the book is the source's own text, not the outline's spelling of it.

Normalising runs in C (regular expressions and ``str.split``), never character by character in Python: folding keeps every
character where it is, so only the white space runs longer than one
character move the text, and the map back is kept as one shift per such run
(two ``array('l')``), looked up by bisection for the few offsets a match needs.
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

_FOLD = {
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02", '"'),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\uff07`\u00b4", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
}
# A regular expression finds the few typographic characters: str.translate with a
# table looks every character up, several times slower on a source of megabytes.
_FOLDED = re.compile("[" + re.escape("".join(_FOLD)) + "]")


def _fold(text: str) -> str:
    return _FOLDED.sub(lambda m: _FOLD[m.group()], text)
# \s of a str pattern is str.isspace(), the white space str.split() splits at.
_LONG_SPACE = re.compile(r"\s{2,}")
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class Normalised:
    """A normalised text and the way back to the original's offsets."""

    text: str
    # Normalised index n >= starts[k] (the last such k) is original n + shifts[k].
    starts: array
    shifts: array

    def offset(self, n: int) -> int:
        """Where normalised character ``n`` is in the original."""
        return n + self.shifts[bisect_right(self.starts, n) - 1]

    @property
    def offsets(self) -> tuple[int, ...]:
        """offsets[i]: where normalised char i is in the original (every one; for tests)."""
        return tuple(self.offset(n) for n in range(len(self.text)))


def _normalise(original: str) -> Normalised:
    body = original.strip()
    lead = len(original) - len(original.lstrip())
    starts, shifts = array("l", [0]), array("l", [lead])
    shift = lead
    # A run of L white space characters at original s becomes one space at s - shift;
    # from the next character on, the text lies L - 1 further on in the original.
    for m in _LONG_SPACE.finditer(original, lead, lead + len(body)):
        s, e = m.span()
        starts.append(s - shift + 1)
        shift += e - s - 1
        shifts.append(shift)
    return Normalised(" ".join(_fold(body).split()), starts, shifts)


@lru_cache(maxsize=64)
def normalise(original: str) -> Normalised:
    """``original`` normalised, cached: a source is normalised once for all its excerpts."""
    return _normalise(original)


def _key(needle: str) -> str:
    # The words looked for, normalised without the cache, which is kept for sources.
    return " ".join(_fold(needle).split())


def find_all(haystack: str, needle: str) -> list[tuple[int, int]]:
    """Every occurrence of ``needle`` as (start, end) offsets into ``haystack``."""
    hay = normalise(haystack)
    key = _key(needle)
    spans: list[tuple[int, int]] = []
    if not key:
        return spans
    at = hay.text.find(key)
    while at != -1:
        end = at + len(key) - 1
        spans.append((hay.offset(at), hay.offset(end) + 1))
        at = hay.text.find(key, at + 1)
    return spans


def paragraphs(text: str) -> tuple[str, ...]:
    """Split a passage at blank lines; lines inside a paragraph are joined."""
    parts = PARAGRAPH_BREAK.split(text.strip())
    return tuple(" ".join(p.split()) if "\n" in p else p.strip() for p in parts if p.strip())


def closest_passage(haystack: str, needle: str, width: int = 160) -> str | None:
    """The part of the source that looks most like the words asked for."""
    hay = normalise(haystack)
    key = _key(needle)
    if not key or not hay.text:
        return None
    probe = key[:300]  # partial matching is quadratic; the start is enough to point
    found = fuzz.partial_ratio_alignment(probe, hay.text, score_cutoff=40)
    if found is None:
        return None
    # The best window may cut a word (a shift by one scores the same): widen it to whole words.
    first, last = found.dest_start, max(found.dest_end - 1, found.dest_start)
    while first > 0 and hay.text[first - 1].isalnum():
        first -= 1
    while last + 1 < len(hay.text) and hay.text[last + 1].isalnum():
        last += 1
    start = hay.offset(first)
    stop = hay.offset(last) + 1
    snippet = " ".join(haystack[start:max(stop, start + min(len(needle), width))].split())
    return snippet[:width] + ("…" if len(snippet) > width else "")


def clip(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
