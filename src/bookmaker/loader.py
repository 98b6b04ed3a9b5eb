"""Resolve an outline against its sources into the finished :class:`Book`.

Order matters (mdBook's parse_summary, then load_book): the outline is parsed
and validated first, then the sources are read and every excerpt is found in
its source.  Nothing is rendered until the whole book checks out.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import replace
from pathlib import Path

from . import references
from .editorial import load_editorial
from .errors import Errors, Location, UsageError, did_you_mean
from .files import ProjectFiles, max_bytes_from_env
from .markup import typographic
from .match import clip, closest_passage, find_all, first_after, paragraphs
from .model import (ANSWERING_KINDS, Block, Book, Chapter, Compare, CompareSpec, Editorial,
                    ChapterSpec, Excerpt, ExcerptSpec, Heading, HeadingSpec, Note, Outline,
                    Source, excerpts_of)
from .outline import parse_outline, slugify
from .sources import load_sources

log = logging.getLogger("bookmaker")


def load_book(project: Path | str, files: ProjectFiles | None = None) -> Book:
    """Read and check a whole project; raises BuildFailed listing every problem.

    Every file is read through ``files`` (by default the project's own, with
    the size limit of ``BOOKMAKER_MAX_FILE_MB``), which refuses anything that
    is not a regular file inside the project.
    """
    project = Path(project)
    files = files or ProjectFiles(project, max_bytes_from_env())
    errors = Errors()
    outline = parse_outline(project / "book" / "outline.yaml", files, errors)
    if outline is None:  # an unreadable outline makes everything after it noise
        errors.check()
        raise AssertionError("unreachable: parse_outline returned None without an error")
    sources = load_sources(project / "seeds", files, errors)
    editorial = load_editorial(project / "book", files, sources, errors)
    resolver = Resolver(sources, errors, outline.language)
    chapters = tuple(resolver.chapter(spec) for spec in outline.chapters)
    check_answers(chapters, editorial, sources, errors)
    references.check(chapters, editorial, errors)
    errors.check()
    for source in sources.values():
        if source.id not in resolver.quoted:
            log.warning("%s: source '%s' is never quoted", Location(source.path, 1), source.id)
    # The editors' titles in the typography of the book's language (the sources' stay as published).
    return Book(project=str(project), title=typographic(outline.title, outline.language),
                subtitle=outline.subtitle and typographic(outline.subtitle, outline.language),
                editors=outline.editors, language=outline.language,
                date=book_date(outline, sources), chapters=chapters,
                sources=tuple(sources[s] for s in resolver.order) +
                tuple(s for k, s in sorted(sources.items()) if k not in resolver.quoted),
                editorial=editorial, handouts=outline.handouts, paper=outline.paper)


class Resolver:
    """Turns block specs into blocks, numbering footnotes in reading order."""

    def __init__(self, sources: dict[str, Source], errors: Errors, language: str = "en") -> None:
        self.sources = sources
        self.errors = errors
        self.language = language
        self.notes = 0  # notes numbered in reading order, for their anchors
        self.number = 0
        self.quoted: set[str] = set()
        self.order: list[str] = []  # sources in order of first quotation

    def chapter(self, spec: ChapterSpec) -> Chapter:
        blocks: list[Block] = []
        for b in spec.blocks:
            if isinstance(b, ExcerptSpec):
                blocks.extend(x for x in [self.excerpt(b)] if x)
            elif isinstance(b, CompareSpec):
                parts = [x for x in map(self.excerpt, b.excerpts) if x]
                blocks.append(Compare(tuple(parts)))
            elif isinstance(b, HeadingSpec):
                blocks.append(Heading(typographic(b.title, self.language),
                                      f"{spec.id}-{slugify(b.title) or 'section'}", b.loc))
            elif isinstance(b, Note):
                self.notes += 1
                blocks.append(replace(b, number=self.notes))
            else:  # Text comes from the outline as it is
                blocks.append(b)
        return Chapter(spec.id, typographic(spec.title, self.language), tuple(blocks), spec.loc)

    def excerpt(self, spec: ExcerptSpec) -> Excerpt | None:
        source = self.sources.get(spec.source)
        if source is None:
            self.errors.add(f"unknown source id '{spec.source}'", spec.loc,
                            did_you_mean(spec.source, self.sources)
                            or f"sources in seeds/: {', '.join(sorted(self.sources)) or 'none'}")
            return None
        span = self.locate(source, spec)
        if span is None:
            return None
        self.number += 1
        first = source.id not in self.quoted
        if first:
            self.quoted.add(source.id)
            self.order.append(source.id)
        return Excerpt(source.id, paragraphs(source.text[span[0]:span[1]]), self.number,
                       source.language, spec.loc, first)

    def locate(self, source: Source, spec: ExcerptSpec) -> tuple[int, int] | None:
        if spec.quote is not None:
            return self.unique(source, spec.quote, spec, "quote")
        if spec.start is None or spec.end is None:
            return None
        start = self.unique(source, spec.start, spec, "'from'")
        if start is None:
            return None
        # The passage runs from the start of 'from' to the end of the first 'to' that
        # ends after 'from' ends: a 'to' inside 'from' ("two" in "one two three") made
        # an excerpt shorter than its own 'from'.
        after = first_after(source.text, spec.end, *start)
        if after:
            return start[0], after[1]
        ends = find_all(source.text, spec.end)  # which mistake it is
        if any(e[0] >= start[0] for e in ends):
            self.errors.add(f"'to' (\"{clip(spec.end)}\") ends inside its 'from' "
                            f"(\"{clip(spec.start)}\") in source '{source.id}'", spec.loc,
                            "'to' gives the last words of the passage, after those of 'from'; "
                            "for a passage this short, use 'quote'")
        elif ends:
            self.errors.add(f"'to' (\"{clip(spec.end)}\") comes before its 'from' in source "
                            f"'{source.id}'", spec.loc, "swap 'from' and 'to', or pick later words")
        else:
            self.missing(source, spec.end, spec, "'to'")
        return None

    def unique(self, source: Source, words: str, spec: ExcerptSpec, what: str):
        spans = find_all(source.text, words)
        if len(spans) == 1:
            return spans[0]
        if not spans:
            self.missing(source, words, spec, what)
        else:
            lines = ", ".join(str(source.body_line + source.text.count("\n", 0, s)) for s, _ in spans)
            self.errors.add(f"{what} \"{clip(words)}\" occurs {len(spans)} times in source "
                            f"'{source.id}' (lines {lines} of {os.path.basename(source.path)})", spec.loc,
                            "quote more words, so that the passage is found only once")
        return None

    def missing(self, source: Source, words: str, spec: ExcerptSpec, what: str) -> None:
        near = closest_passage(source.text, words)
        self.errors.add(f"{what} \"{clip(words)}\" is not in source '{source.id}'", spec.loc,
                        f"closest passage: \"{near}\"" if near else "check the source text")


def check_answers(chapters: tuple[Chapter, ...], editorial: Editorial,
                  sources: dict[str, Source], errors: Errors) -> None:
    """Every quoted flagged claim or slip is answered by the notes right after it."""
    flags = [(c.id, s, f"claim {c.id} ({c.verdict})") for c in editorial.claims if c.flagged
             for s in c.made_by]
    flags += [(s.id, s.site, f"slip {s.id}") for s in editorial.slips]
    if not flags:
        return
    for chapter in chapters:
        blocks = chapter.blocks
        for i, block in enumerate(blocks):
            excerpts = excerpts_of(block)
            if not excerpts:
                continue
            answered: set[str] = set()
            for after in blocks[i + 1:]:
                if not isinstance(after, Note):
                    break
                if after.kind in ANSWERING_KINDS:
                    answered.update(after.claims)
            for ex in excerpts:
                words = "\n\n".join(ex.paragraphs)
                for flag_id, where, label in flags:
                    if where.source == ex.source and find_all(words, where.text) and flag_id not in answered:
                        errors.add(f"excerpt from '{ex.source}' quotes {label}, \"{clip(where.text)}\", "
                                   "but no correction or reliability note follows it", ex.loc,
                                   f"add a note with kind: correction and claims: [{flag_id}] after it")


def book_date(outline: Outline, sources: dict[str, Source]) -> str:
    """The book's date: SOURCE_DATE_EPOCH, else the outline's, else the latest source date.

    Never the clock: two builds of the same project must give the same bytes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH must be a number of seconds, not '{epoch}'") from None
    if outline.date:
        return outline.date
    dates = [d for s in sources.values() for d in (s.accessed, s.published) if d]
    latest = max(dates, default="1970-01-01")
    return (latest + "-01-01")[:10] if len(latest) < 10 else latest
