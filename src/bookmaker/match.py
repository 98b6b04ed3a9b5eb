"""Find an excerpt's words in its source, tolerating only typography.

Both texts are normalised (white space runs become one space; typographic
quotes, apostrophes and dashes become their plain forms), with a map from each
normalised character back to its offset in the original, so the excerpt that
reaches the book is the source's own text, not the outline's spelling of it.

Normalising runs in C (regular expressions, ``str.find`` and ``str.replace``),
never character by character in Python: folding keeps every character where
it is, so only the white space runs longer than one character move the text,
and the map back is kept as one shift per such run (two ``array('l')``),
looked up by bisection for the few offsets a match needs.  The runs are found
from the characters that can start one (any white space but the plain space,
or two spaces), which are rare, rather than at every space between words.
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

_FOLD = {
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02", '"'),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\uff07`\u00b4", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
}


def _fold(text: str) -> str:
    # Each typographic character present is replaced in one str.replace, a scan at
    # memory speed; a regular expression calling back for each, or str.translate
    # with a table, took several times longer on a source of megabytes.
    for ch in [ch for ch in _FOLD if ch in text]:
        text = text.replace(ch, _FOLD[ch])
    return text


# White space is str.isspace(), what str.split() splits at and \s of a str pattern
# matches: the plain space and these (tests/test_match.py checks the list).
OTHER_SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003"
                "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# A run holding other white space, from its first such character on.
_OTHER_RUN = re.compile("[" + re.escape(OTHER_SPACES) + r"]\s*")
_SPACE_RUN = re.compile(r"\s+")
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def _long_runs(text: str, lo: int, hi: int) -> tuple[list[tuple[int, int]], set[str]]:
    """The white space runs of two or more characters in ``text[lo:hi]`` as (start, end),
    in order, and the characters other than a space that stand alone as a run."""
    runs: dict[int, int] = {}
    alone: set[str] = set()
    for m in _OTHER_RUN.finditer(text, lo, hi):
        start, end = m.span()
        while start > lo and text[start - 1] == " ":  # other white space would be in the last match
            start -= 1
        if end - start > 1:
            runs[start] = end
        else:
            alone.add(text[start])
    at = text.find("  ", lo, hi)  # runs of spaces only (and the others again, found twice)
    while at != -1:
        start, end = at, _SPACE_RUN.match(text, at, hi).end()
        while start > lo and text[start - 1].isspace():
            start -= 1
        runs[start] = end
        at = text.find("  ", end, hi)
    return sorted(runs.items()), alone


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
    lead = len(original) - len(original.lstrip())
    end = lead + len(original.strip())
    starts, shifts = array("l", [0]), array("l", [lead])
    shift = lead
    pieces, done = [], lead
    # A run of L white space characters at original s becomes one space at s - shift;
    # from the next character on, the text lies L - 1 further on in the original.
    runs, alone = _long_runs(original, lead, end)
    for s, e in runs:
        pieces.append(original[done:s])
        done = e
        starts.append(s - shift + 1)
        shift += e - s - 1
        shifts.append(shift)
    pieces.append(original[done:end])
    text = " ".join(pieces)
    for ch in alone:  # a line break or tab alone becomes a space, in place
        text = text.replace(ch, " ")
    return Normalised(_fold(text), starts, shifts)


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


def first_after(haystack: str, needle: str, start: int, end: int) -> tuple[int, int] | None:
    """The first occurrence of ``needle`` in ``haystack`` that starts at or after
    offset ``start`` and ends after ``end``, where ``start`` is the offset of an
    occurrence found before (of the passage's first words): found by searching
    on from there, not the whole source."""
    hay = normalise(haystack)
    key = _key(needle)
    if not key:
        return None
    # Where the original's offset ``start`` is in the normalised text (the map is increasing).
    at = hay.text.find(key, bisect_left(range(len(hay.text)), start, key=hay.offset))
    while at != -1:
        found = hay.offset(at), hay.offset(at + len(key) - 1) + 1
        if found[1] > end:
            return found
        at = hay.text.find(key, at + 1)
    return None


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
    from rapidfuzz import fuzz  # only for a quote that is not found: not imported before

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
