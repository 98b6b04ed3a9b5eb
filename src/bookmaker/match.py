"""Find an excerpt's words in its source, tolerating only typography.

Both texts are normalised (white space runs become one space; typographic
quotes, apostrophes and dashes become their plain forms), with a map from each
normalised character back to its offset in the original, so the excerpt that
reaches the book is the source's own text, not the outline's spelling of it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

_FOLD = {
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02", '"'),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\uff07`\u00b4", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
}
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class Normalised:
    text: str
    offsets: tuple[int, ...]  # offsets[i]: where normalised char i is in the original


@lru_cache(maxsize=64)
def normalise(original: str) -> Normalised:
    chars: list[str] = []
    offsets: list[int] = []
    in_space = True  # also drops leading white space
    for i, ch in enumerate(original):
        if ch.isspace():
            if not in_space:
                chars.append(" ")
                offsets.append(i)
            in_space = True
            continue
        in_space = False
        chars.append(_FOLD.get(ch, ch))
        offsets.append(i)
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return Normalised("".join(chars), tuple(offsets))


def find_all(haystack: str, needle: str) -> list[tuple[int, int]]:
    """Every occurrence of ``needle`` as (start, end) offsets into ``haystack``."""
    hay = normalise(haystack)
    key = normalise(needle).text
    spans: list[tuple[int, int]] = []
    if not key:
        return spans
    at = hay.text.find(key)
    while at != -1:
        end = at + len(key) - 1
        spans.append((hay.offsets[at], hay.offsets[end] + 1))
        at = hay.text.find(key, at + 1)
    return spans


def paragraphs(text: str) -> tuple[str, ...]:
    """Split a passage at blank lines; lines inside a paragraph are joined."""
    parts = PARAGRAPH_BREAK.split(text.strip())
    return tuple(" ".join(p.split()) if "\n" in p else p.strip() for p in parts if p.strip())


def closest_passage(haystack: str, needle: str, width: int = 160) -> str | None:
    """The part of the source that looks most like the words asked for."""
    hay = normalise(haystack)
    key = normalise(needle).text
    if not key or not hay.text:
        return None
    probe = key[:300]  # partial matching is quadratic; the start is enough to point
    found = fuzz.partial_ratio_alignment(probe, hay.text, score_cutoff=40)
    if found is None:
        return None
    start = hay.offsets[found.dest_start]
    stop = hay.offsets[max(found.dest_end - 1, found.dest_start)] + 1
    snippet = " ".join(haystack[start:max(stop, start + min(len(needle), width))].split())
    return snippet[:width] + ("…" if len(snippet) > width else "")


def clip(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
