"""Figures of the back matter, laid out here and drawn by templates as SVG.

:func:`timeline_figure` places the timeline's events on a vertical time axis:
the years run down the left, broken where the events leave a long gap (empty
decades), each event a mark on the axis (a diamond when it answers a flagged
claim or slip), joined by a leader to its label; beside each label a dot in
the column of every source that tells it.  Labels are measured with the
bundled Biolinum (the PDF's font), wrapped, and stacked so that none
overlaps the next: a label starts at its event's height, or just below the
label before it, and a segment of the axis is made long enough to hold its
labels.  Everything is computed from the events alone, so the same timeline
gives the same figure.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html import unescape

from ..model import Book, Event
from .html import PACKAGE_DIR, short_name

WIDTH = 104.0           # user units: millimetres of an A5 text block
FONT = 2.45             # label size (about 7 pt)
LINE = 2.8              # label line height
GAP = 0.7               # between two labels
BREAK_YEARS = 5         # a gap this long or longer breaks the axis
BREAK_HEIGHT = 5.5      # the axis's break
PER_YEAR = 3.2          # the least length of a year on the axis
TOP = 12.0              # room for the column heads
AXIS_X = 13.0
COLUMN_W = 3.2
TAG = re.compile(r"<[^>]+>")
CLAUSE = re.compile(r"\s*[(;:]")
ABBREVIATION_END = re.compile(r"\b[A-Z]\.[A-Z]\.$")


@dataclass(frozen=True)
class Mark:
    """One event drawn: its mark on the axis and its label."""

    y: float                   # the event's height on the axis
    label_y: float             # the top of its label
    lines: tuple[str, ...]
    flagged: bool
    claims: str                # the ids of its claims and slips, as shown after the label
    sources: tuple[float, ...]  # x of each source column it has a dot in
    date: str


@dataclass(frozen=True)
class Tick:
    y: float
    year: int
    labelled: bool


@dataclass(frozen=True)
class Break:
    y: float                   # the middle of the break
    years: str                 # the years left out, "1956–1982"


@dataclass(frozen=True)
class Column:
    x: float
    abbreviation: str
    name: str


@dataclass(frozen=True)
class TimelineFigure:
    width: float
    height: float
    axis: tuple[tuple[float, float], ...]   # (top, bottom) of each piece of the axis
    ticks: tuple[Tick, ...]
    breaks: tuple[Break, ...]
    marks: tuple[Mark, ...]
    columns: tuple[Column, ...]
    label_x: float
    first_year: int
    last_year: int
    font: float = FONT
    line: float = LINE


@functools.lru_cache(maxsize=4)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(PACKAGE_DIR / "fonts" / "LinBiolinum_R.otf"), size)


def text_width(text: str, size: float = FONT) -> float:
    """The width of ``text`` in Biolinum at ``size`` user units."""
    return _font(100).getlength(text) * size / 100


def wrap(text: str, width: float, size: float = FONT) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def when(date: str) -> float:
    """'1954-03-31' as a fractional year."""
    bits = [int(b) for b in date.split("-")]
    month = bits[1] if len(bits) > 1 else 1
    day = bits[2] if len(bits) > 2 else 1
    return bits[0] + (month - 1) / 12 + (day - 1) / 366


def label_of(event: Event, md) -> str:
    """The figure's short label: the event's text up to its first aside."""
    text = unescape(TAG.sub("", md.renderInline(" ".join(event.event.split()))))
    head = CLAUSE.split(text, maxsplit=1)[0].strip()
    head = head if len(head) >= 12 else text.strip()
    return head if ABBREVIATION_END.search(head) else head.rstrip(".")


def abbreviations(names: list[str]) -> list[str]:
    """Short, distinct column heads: the first letter, or more where two share it."""
    letters = ["".join(ch for ch in n if ch.isalnum()) or n for n in names]  # no quote marks
    size = 1
    while size < 4 and len({n[:size] for n in letters}) < len(letters):
        size += 1
    return [n[:size] for n in letters]


def timeline_figure(book: Book, sources: dict) -> TimelineFigure | None:
    """The laid-out figure of ``book``'s timeline, or None when it has no events;
    ``sources`` maps every source the timeline may name to its ``Source``."""
    from .html import markdown

    md = markdown()
    events = sorted(book.editorial.events, key=lambda e: when(e.date))
    if not events:
        return None
    flagged = {c.id for c in book.editorial.claims if c.flagged} | {s.id for s in book.editorial.slips}
    told = [s for s in book.sources if any(s.id in e.sources for e in events)]
    told += [s for sid, s in sources.items() if s not in told and any(sid in e.sources for e in events)]
    names = [short_name(s) for s in told]
    columns_x = AXIS_X + 8.0
    columns = tuple(Column(columns_x + i * COLUMN_W + COLUMN_W / 2, a, n)
                    for i, (a, n) in enumerate(zip(abbreviations(names), names)))
    x_of = {s.id: c.x for s, c in zip(told, columns)}
    label_x = columns_x + len(columns) * COLUMN_W + 1.5
    # A reading system draws the EPUB's figure in its own sans-serif, which is
    # wider than Biolinum: the EPUB's style draws the labels smaller to match.
    label_w = WIDTH - label_x

    # Segments of the axis: runs of events without a gap of BREAK_YEARS.
    segments: list[list[Event]] = [[events[0]]]
    for previous, event in zip(events, events[1:]):
        if int(when(event.date)) - int(when(previous.date)) >= BREAK_YEARS:
            segments.append([])
        segments[-1].append(event)

    marks, ticks, breaks, axis = [], [], [], []
    y = TOP
    for index, segment in enumerate(segments):
        start = int(when(segment[0].date))
        end = int(when(segment[-1].date)) + 1
        texts = []
        for e in segment:
            ids = " ".join(e.claims)
            label = label_of(e, md)
            lines = wrap(f"{label} {ids}".strip(), label_w)
            texts.append((e, lines, ids))
        # Each year of the axis is as long as its labels need (at least
        # PER_YEAR): a crowded year is drawn longer, so labels stay near their marks.
        years = [PER_YEAR] * (end - start)
        for e, lines, _ in texts:
            years[int(when(e.date)) - start] += len(lines) * LINE + GAP
        years = [max(PER_YEAR, y_len - PER_YEAR) if y_len > PER_YEAR else PER_YEAR
                 for y_len in years]
        starts_at = [sum(years[:i]) for i in range(len(years) + 1)]
        length = starts_at[-1]
        top = y

        def at_time(t: float) -> float:
            i = min(int(t) - start, len(years) - 1)
            return top + starts_at[i] + (t - int(t)) * years[i]

        # Labels: each at its event's height, or below the one before; then,
        # from the last, pulled up where they run past the segment's end.
        wanted = [at_time(when(e.date)) for e, _, _ in texts]
        heights = [len(lines) * LINE for _, lines, _ in texts]
        placed: list[float] = []
        for want, height in zip(wanted, heights):
            at = max(want - LINE * 0.7, placed[-1] + heights[len(placed) - 1] + GAP if placed else top)
            placed.append(at)
        limit = top + length
        for i in range(len(placed) - 1, -1, -1):
            bound = limit - heights[i] if i == len(placed) - 1 else placed[i + 1] - GAP - heights[i]
            placed[i] = min(placed[i], bound)
        for (e, lines, ids), want, at in zip(texts, wanted, placed):
            marks.append(Mark(round(want, 2), round(at, 2), tuple(lines),
                              any(c in flagged for c in e.claims), ids,
                              tuple(x_of[s] for s in e.sources if s in x_of), e.date))
        for year in range(start, end + 1):
            ticks.append(Tick(round(top + starts_at[year - start], 2), year, True))
        axis.append((round(top, 2), round(top + length, 2)))
        y = top + length
        if index + 1 < len(segments):
            following = int(when(segments[index + 1][0].date))
            breaks.append(Break(round(y + BREAK_HEIGHT / 2, 2), f"{end + 1}\u2013{following - 1}"
                                if following - 1 > end + 1 else f"{end + 1}"))
            y += BREAK_HEIGHT
    # A tick that ends one segment and starts the next, or stands in a break, is drawn once.
    seen: set[int] = set()
    unique = []
    for tick in ticks:
        if tick.year not in seen:
            seen.add(tick.year)
            unique.append(tick)
    # Year labels need about 2.4 units: a label too near the one before is left out.
    last = -10.0
    shown = []
    for tick in unique:
        labelled = tick.y - last >= 2.6
        shown.append(Tick(tick.y, tick.year, labelled))
        last = tick.y if labelled else last
    unique = shown
    return TimelineFigure(WIDTH, round(y + 3.0, 2), tuple(axis), tuple(unique), tuple(breaks),
                          tuple(marks), columns, label_x, int(when(events[0].date)),
                          int(when(events[-1].date)))
