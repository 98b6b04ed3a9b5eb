"""A selection of chapters as a book of its own: a transform ``Book -> Book``.

``bookmaker build --chapters SPEC`` and ``--handouts`` print part of a book as
a self-contained handout.  The selected book holds only its chapters, with
footnotes numbered from 1 and each source's full attribution at its first
excerpt *in the selection*; its back matter is reduced to what those chapters
use (their sources, the claims and slips they quote or answer, the timeline
events of their sources or claims).  It records in :class:`~bookmaker.model.Extract`
what it was taken from, so that its title block can say so and a link to a
part it does not hold can name the full book instead of leading nowhere
(:mod:`bookmaker.render.xref`).
"""
from __future__ import annotations

from dataclasses import replace
from itertools import count

from .errors import UsageError
from .match import find_all
from .model import (Block, Book, Chapter, ChapterRef, ClaimSite, Compare, Editorial, Excerpt,
                    Extract, Heading, Note, excerpts_of)
from .spec import SpecError, label, resolve, scope


def parse(book: Book, spec: str) -> tuple[tuple[int, ...], str, bool]:
    """The chapters ``--chapters SPEC`` names: (0-based indices, name, is a handout).

    A bad SPEC is a usage error (exit 2), with a 'did you mean' hint.
    """
    ids = [c.id for c in book.chapters]
    handouts = {h.name: h.chapters for h in book.handouts}
    try:
        indices = resolve(spec, ids, handouts)
    except SpecError as exc:
        raise UsageError(f"--chapters {spec.strip()!r}: {exc}") from None
    if spec.strip() in handouts:
        return indices, spec.strip(), True
    return indices, label(indices, ids), False


def select(book: Book, indices: tuple[int, ...] | list[int], name: str,
           handout: bool = False) -> Book:
    """The book made of the chapters at ``indices`` (0-based, book order)."""
    if book.extract is not None:
        raise ValueError("a selection is made from the full book, not from another selection")
    wanted = sorted(set(indices))
    if not wanted:
        raise UsageError("the selection is empty")
    renumber = _Renumber()
    chapters = tuple(replace(book.chapters[i], blocks=tuple(map(renumber.block, book.chapters[i].blocks)))
                     for i in wanted)
    sources = tuple(book.source(s) for s in renumber.order)
    title = (f"{book.title}: {chapters[0].title}" if len(chapters) == 1
             else f"{book.title}: {name if handout else scope(wanted)}")
    extract = Extract(name=name, handout=handout, title=title, scope=scope(wanted),
                      chapters=tuple(_ref(ch, i, i in wanted) for i, ch in enumerate(book.chapters)),
                      other_sources=tuple(s for s in book.sources if s.id not in renumber.order))
    return replace(book, chapters=chapters, sources=sources,
                   editorial=_editorial(book.editorial, chapters), extract=extract)


class _Renumber:
    """Numbers the excerpts of the selection from 1, in reading order, and
    marks each source's first excerpt, as the loader does for the full book."""

    def __init__(self) -> None:
        self.numbers = count(1)
        self.order: list[str] = []  # sources in order of first quotation

    def excerpt(self, x: Excerpt) -> Excerpt:
        first = x.source not in self.order
        if first:
            self.order.append(x.source)
        return replace(x, number=next(self.numbers), first_of_source=first)

    def block(self, block: Block) -> Block:
        if isinstance(block, Excerpt):
            return self.excerpt(block)
        if isinstance(block, Compare):
            return Compare(tuple(map(self.excerpt, block.excerpts)))
        return block


def _ref(chapter: Chapter, index: int, included: bool) -> ChapterRef:
    return ChapterRef(chapter.id, chapter.title, index + 1, included,
                      tuple(b.id for b in chapter.blocks if isinstance(b, Heading)),
                      tuple(dict.fromkeys(x.source for x in chapter.excerpts())))


def _editorial(editorial: Editorial, chapters: tuple[Chapter, ...]) -> Editorial:
    """The claims and slips the chapters' notes answer or their excerpts quote,
    and the timeline events told by their sources or bearing on those claims."""
    answered = {c for ch in chapters for b in ch.blocks if isinstance(b, Note) for c in b.claims}
    excerpts = [x for ch in chapters for b in ch.blocks for x in excerpts_of(b)]

    def quoted(site: ClaimSite) -> bool:
        return any(x.source == site.source and find_all("\n\n".join(x.paragraphs), site.text)
                   for x in excerpts)

    claims = tuple(c for c in editorial.claims
                   if c.id in answered or any(quoted(site) for site in c.made_by))
    slips = tuple(s for s in editorial.slips if s.id in answered or quoted(s.site))
    sources = {x.source for x in excerpts}
    kept = {c.id for c in claims} | {s.id for s in slips}
    events = tuple(e for e in editorial.events if sources & set(e.sources) or kept & set(e.claims))
    return Editorial(claims, slips, events)
