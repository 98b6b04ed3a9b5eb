"""Paper sizes for the PDF: page size, type size and margins chosen together.

A Letter page is not an A5 page blown up.  For each size the type size and
the margins are set so that a line of the body text holds about 60-75
characters (the measured figures are in tests/test_paper.py): the larger
sheets get a larger type and wide margins rather than a long line.  Every
other size in the print style is in ``rem``, so it follows the type size.

The generated stylesheet comes after bookmaker's ``print.css`` (whose own
``@page`` rule is A5, the default) and before a project's ``styles/print.css``,
which may still override it.
"""
from __future__ import annotations

from dataclasses import dataclass

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Paper:
    """A page size with the type size and margins (mm) that suit it."""

    name: str
    label: str
    width: float   # mm
    height: float  # mm
    type_pt: float
    top: float
    bottom: float
    inner: float   # the margin at the fold or binding
    outer: float

    @property
    def measure(self) -> float:
        """The width of the text block, mm."""
        return self.width - self.inner - self.outer

    def css(self) -> str:
        """The ``@page`` rules and root type size for this paper."""
        # :right pages (odd, the first) have the binding on the left.
        return (f"/* bookmaker paper: {self.label} */\n"
                f"@page {{ size: {self.width}mm {self.height}mm; "
                f"margin: {self.top}mm {self.outer}mm {self.bottom}mm {self.inner}mm; }}\n"
                f"@page :left {{ margin-left: {self.outer}mm; margin-right: {self.inner}mm; }}\n"
                f"@page :right {{ margin-left: {self.inner}mm; margin-right: {self.outer}mm; }}\n"
                f"html {{ font-size: {self.type_pt}pt; }}\n")


def _inches(name: str, label: str, w: float, h: float, **layout: float) -> Paper:
    return Paper(name, label, round(w * MM_PER_INCH, 1), round(h * MM_PER_INCH, 1), **layout)


# The sizes --paper and the outline's `paper:` accept.
PAPERS: dict[str, Paper] = {p.name: p for p in (
    Paper("a5", "A5", 148, 210, type_pt=10.5, top=17, bottom=19, inner=19.5, outer=24),
    Paper("b5", "B5", 176, 250, type_pt=11, top=20, bottom=23, inner=29, outer=36),
    Paper("a4", "A4", 210, 297, type_pt=12, top=24, bottom=27, inner=40, outer=51),
    _inches("letter", "Letter", 8.5, 11, type_pt=12, top=22, bottom=25, inner=43, outer=54),
    _inches("legal", "Legal", 8.5, 14, type_pt=12, top=24, bottom=28, inner=43, outer=54),
)}
DEFAULT = "a5"

# Pages a booklet of a US size is made of: a Letter or Legal sheet folded once.
HALF_SIZES: dict[str, Paper] = {p.name: p for p in (
    _inches("half-letter", "half-Letter", 5.5, 8.5, type_pt=10, top=14, bottom=16, inner=16, outer=19.5),
    _inches("half-legal", "half-Legal", 7, 8.5, type_pt=11, top=17, bottom=19, inner=30, outer=37),
)}


@dataclass(frozen=True)
class BookletLayout:
    """The page a booklet is typeset on and the sheet two of them share."""

    page: Paper
    sheet_width: float   # mm, landscape
    sheet_height: float  # mm
    sheet_label: str


# With --booklet, an ISO size names the page (A5 pages on A4 sheets, A4 on A3,
# B5 on B4), a US size names the sheet, as US printers mean it (half-Letter
# pages on Letter, half-Legal pages on Legal): nobody feeds Tabloid for a handout.
BOOKLETS: dict[str, tuple[str, float, float, str]] = {
    "a5": ("a5", 297, 210, "A4"),
    "a4": ("a4", 420, 297, "A3"),
    "b5": ("b5", 353, 250, "B4"),
    "letter": ("half-letter", 279.4, 215.9, "Letter"),
    "legal": ("half-legal", 355.6, 215.9, "Legal"),
}


def paper(name: str) -> Paper:
    """The paper of a name in :data:`PAPERS` (KeyError otherwise)."""
    return PAPERS[name]


def booklet(name: str) -> BookletLayout:
    """Page and sheet of a booklet for ``--paper NAME --booklet``."""
    page, width, height, label = BOOKLETS[name]
    return BookletLayout(PAPERS.get(page) or HALF_SIZES[page], width, height, label)
