"""Characters the bundled fonts cannot draw, found before anything is rendered.

The PDF is drawn with bookmaker's bundled fonts only (see render/pdf.py), so
the same project gives the same bytes on every machine.  A character none of
those fonts holds would come out as an empty box; each one is reported here,
with the place it comes from, as a warning (an error with ``--strict``).
"""
from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from .errors import Location
from .model import Book, Compare, Excerpt, Heading, Note, Text

FONTS = Path(__file__).resolve().parent / "fonts"
SHOWN = 8  # characters named in one warning
log = logging.getLogger("bookmaker")


COVERAGE = FONTS / "coverage.txt"  # what the fonts cover, as ranges: reading cmaps costs 0.2 s


def font_files() -> list[Path]:
    return sorted([*FONTS.glob("*.otf"), *FONTS.glob("*.ttf")])


def measure_coverage() -> list[tuple[int, int]]:
    """The code points the bundled fonts have glyphs for, as (first, last) ranges,
    read from the fonts themselves (tests compare it with coverage.txt)."""
    from fontTools.ttLib import TTFont  # WeasyPrint's own dependency

    points: set[int] = set()
    for path in font_files():
        with TTFont(path, lazy=True) as font:
            points.update(font.getBestCmap())
    ranges: list[tuple[int, int]] = []
    for point in sorted(points):
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return ranges


def coverage_text(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"{a:X}-{b:X}\n" for a, b in ranges)


@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """Every code point some bundled font has a glyph for."""
    points: set[int] = set()
    for line in COVERAGE.read_text(encoding="ascii").split():
        first, last = (int(x, 16) for x in line.split("-"))
        points.update(range(first, last + 1))
    return frozenset(points)


@lru_cache(maxsize=1)
def _covered_characters() -> frozenset[str]:
    return frozenset(map(chr, covered()))


def drawable(ch: str, points: frozenset[int]) -> bool:
    # White space, controls and format characters (soft hyphen, joiners, bidi
    # marks) are laid out without a glyph of their own.
    return ord(ch) in points or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def texts(book: Book) -> Iterator[tuple[str, Location, str]]:
    """(what, where, text) for every piece of text that reaches an output."""
    outline = Location(Path(book.project) / "book" / "outline.yaml", 1)
    for value in (book.title, book.subtitle or "", *book.editors):
        yield "the book's title page", outline, value
    for chapter in book.chapters:
        yield "the chapter title", chapter.loc or outline, chapter.title
        for block in chapter.blocks:
            for part in (block.excerpts if isinstance(block, Compare) else (block,)):
                if isinstance(part, Excerpt):
                    yield f"the excerpt from '{part.source}'", part.loc, "\n".join(part.paragraphs)
                elif isinstance(part, (Note, Text)):
                    yield "the note" if isinstance(part, Note) else "the text", part.loc, part.markdown
                elif isinstance(part, Heading):
                    yield "the heading", part.loc or outline, part.title
    for source in book.sources:
        where = Location(source.path, 1)
        profile = source.profile
        fields = [source.title, source.outlet, *source.authors, *source.translators]
        if profile:
            fields += [v for k, v in vars(profile).items() if isinstance(v, str)] + list(profile.errors)
        yield f"the front matter of source '{source.id}'", where, "\n".join(fields)
    for claim in book.editorial.claims:
        yield f"claim {claim.id}", claim.loc, "\n".join((claim.claim, claim.explanation, claim.reference or ""))
    for slip in book.editorial.slips:
        yield f"slip {slip.id}", slip.loc, "\n".join((slip.site.text, slip.correction, slip.reference or ""))
    for event in book.editorial.events:
        yield "the timeline event", event.loc or outline, event.event


def check_coverage(book: Book) -> None:
    """Warn once per place about characters that no bundled font can draw."""
    points = covered()
    drawn = _covered_characters()
    for what, where, text in texts(book):
        # each character once; those a font holds taken out in one set difference
        missing = sorted(ch for ch in set(text) - drawn if not drawable(ch, points))
        if not missing:
            continue
        named = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip() for ch in missing[:SHOWN])
        more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
        log.warning("%s: %s has %s that no bundled font can draw (%s%s); the PDF would show "
                    "empty boxes", where, what,
                    "a character" if len(missing) == 1 else f"{len(missing)} characters", named, more)
