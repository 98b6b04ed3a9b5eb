"""The book model handed from stage to stage: frozen, complete, file-free.

The outline parser produces the ``*Spec`` classes (what the outline asks for,
no source opened yet); the loader turns them into a :class:`Book` whose
excerpts hold the verified words of their sources.  Renderers receive a Book
and never read project files themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Union

from .errors import Location

NOTE_KINDS = ("context", "bias", "reliability", "correction")
VERDICTS = ("correct", "wrong", "doubtful", "unverified", "unsupported")
# Notes of these kinds may answer a flagged claim or slip.
ANSWERING_KINDS = ("correction", "reliability")


# ---- what the outline asks for ------------------------------------------------

@dataclass(frozen=True)
class ExcerptSpec:
    source: str
    loc: Location
    quote: str | None = None
    start: str | None = None  # the outline's `from`
    end: str | None = None    # the outline's `to`


@dataclass(frozen=True)
class HeadingSpec:
    title: str
    loc: Location


@dataclass(frozen=True)
class CompareSpec:
    excerpts: tuple[ExcerptSpec, ...]
    loc: Location


# Notes and text need no source, so the outline produces them in their final form.
BlockSpec = Union[ExcerptSpec, "Note", "Text", HeadingSpec, CompareSpec]


@dataclass(frozen=True)
class ChapterSpec:
    id: str
    title: str
    blocks: tuple[BlockSpec, ...]
    loc: Location


@dataclass(frozen=True)
class Handout:
    """A named selection of the outline's ``handouts:`` (``week-3: "2-3"``)."""

    name: str
    spec: str                  # as written, for messages
    chapters: tuple[str, ...]  # the chapter ids it selects, in book order
    loc: Location


@dataclass(frozen=True)
class Outline:
    path: Path
    title: str
    subtitle: str | None
    editors: tuple[str, ...]
    language: str
    date: str | None
    chapters: tuple[ChapterSpec, ...]
    handouts: tuple[Handout, ...] = ()
    paper: str | None = None  # the outline's `paper:`, a name of bookmaker.paper.PAPERS


# ---- sources and the editorial data -----------------------------------------

@dataclass(frozen=True)
class Profile:
    outlet_kind: str | None = None
    author_note: str | None = None
    stance: str | None = None
    stance_evidence: str | None = None
    language_note: str | None = None
    text_state: str | None = None
    citations: str | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    id: str
    path: str  # the file, as text: the model holds no objects that can open files
    title: str
    authors: tuple[str, ...]  # empty: no byline
    outlet: str
    published: str | None
    url: str | None
    language: str
    text: str       # the body, exactly as in the file
    body_line: int  # line of the file where the body starts
    translators: tuple[str, ...] = ()
    original_language: str | None = None
    accessed: str | None = None
    original: str | None = None  # the bytes imported from, relative to seeds/
    sha256: str | None = None    # their SHA-256, hex
    profile: Profile | None = None


@dataclass(frozen=True)
class ClaimSite:
    source: str
    text: str
    loc: Location


@dataclass(frozen=True)
class Claim:
    id: str
    claim: str
    verdict: str
    explanation: str
    reference: str | None
    made_by: tuple[ClaimSite, ...]
    loc: Location

    @property
    def flagged(self) -> bool:
        return self.verdict != "correct"


@dataclass(frozen=True)
class Slip:
    id: str
    site: ClaimSite
    correction: str
    reference: str | None
    loc: Location


@dataclass(frozen=True)
class Event:
    date: str
    event: str
    claims: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    loc: Location | None = None


@dataclass(frozen=True)
class Editorial:
    claims: tuple[Claim, ...] = ()
    slips: tuple[Slip, ...] = ()
    events: tuple[Event, ...] = ()


# ---- the resolved book ----------------------------------------------------------

@dataclass(frozen=True)
class Excerpt:
    source: str
    paragraphs: tuple[str, ...]  # verbatim words of the source
    number: int                  # footnote number, in reading order
    lang: str
    loc: Location
    first_of_source: bool = False


@dataclass(frozen=True)
class Note:
    kind: str
    markdown: str
    claims: tuple[str, ...]
    loc: Location
    number: int = 0  # in reading order over the book: the note's anchor is ``noteN``


@dataclass(frozen=True)
class Text:
    markdown: str
    loc: Location


@dataclass(frozen=True)
class Heading:
    title: str
    id: str
    loc: Location | None = None


@dataclass(frozen=True)
class Compare:
    excerpts: tuple[Excerpt, ...]


Block = Union[Excerpt, Note, Text, Heading, Compare]


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    blocks: tuple[Block, ...]
    loc: Location | None = None

    def excerpts(self) -> list[Excerpt]:
        return [e for block in self.blocks for e in excerpts_of(block)]


def excerpts_of(block: Block) -> tuple[Excerpt, ...]:
    """The excerpts a block shows: itself, those of a compare group, or none."""
    if isinstance(block, Compare):
        return block.excerpts
    return (block,) if isinstance(block, Excerpt) else ()


@dataclass(frozen=True)
class ChapterRef:
    """A chapter of the full book, as a selection of it names the chapter."""

    id: str
    title: str
    number: int                 # 1-based position in the full book
    included: bool              # whether the selection holds it
    anchors: tuple[str, ...]    # the ids of its sub-headings
    sources: tuple[str, ...]    # the sources it quotes


@dataclass(frozen=True)
class Extract:
    """What a selection was taken from: named in its title block, and wherever
    one of its links would lead to a part it does not hold."""

    name: str                   # the handout's name, or a readable form of the selection
    handout: bool               # whether ``name`` is a handout of the outline
    title: str                  # the document's own title, for metadata
    scope: str                  # its chapters in words: "Chapter 3", "Chapters 2–3 and 5"
    chapters: tuple[ChapterRef, ...]  # every chapter of the full book, in order
    # The full book's sources this selection does not quote: the claims table
    # and the timeline still name them (as text, not as links).
    other_sources: tuple["Source", ...] = ()


@dataclass(frozen=True)
class Book:
    project: str  # the project folder, as text (see Source.path)
    title: str
    subtitle: str | None
    editors: tuple[str, ...]
    language: str
    date: str  # ISO date for metadata: SOURCE_DATE_EPOCH, the outline, or the sources
    chapters: tuple[Chapter, ...]
    sources: tuple[Source, ...]
    editorial: Editorial = field(default_factory=Editorial)
    handouts: tuple[Handout, ...] = ()
    paper: str | None = None     # the outline's paper size for the PDF
    extract: Extract | None = None  # set on a selection (bookmaker.selection)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def chapters_quoting(self, source_id: str) -> list[Chapter]:
        return list(self._quoting.get(source_id, ()))

    @cached_property
    def _quoting(self) -> dict[str, list[Chapter]]:
        """The chapters quoting each source, in order: found once for the book, not
        once per source (the sources appendix asks for every source)."""
        found: dict[str, list[Chapter]] = {}
        for chapter in self.chapters:
            for source_id in dict.fromkeys(e.source for e in chapter.excerpts()):
                found.setdefault(source_id, []).append(chapter)
        return found
