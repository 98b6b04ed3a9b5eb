"""What a note can refer to by id, and which notes answer which claims.

A note or text block may write ``[](#c7)`` or ``[](#warsaw-pact)``: an empty
link to a claim, a slip, a chapter or a section of one.  bookmaker writes the
words ("c7", "chapter 4", "“Who applied?” in chapter 3") and, in the PDF, the
page (``render/xref.py`` fills the links, ``print.css`` adds the page).  The
ids are checked with the rest of the project: an unknown one is an error
naming the outline's line.  The notes that list claims answer them; the
claims table links back to each.

Chapters are numbered by their place in the full book, also in a selection
of it, so that "chapter 4" means the same in a handout as in the book.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Errors, did_you_mean
from .markup import local_links, typographic
from .model import Book, Chapter, Editorial, Heading, Note, Text


@dataclass(frozen=True)
class Target:
    """What an id names: the anchor it stands at, and the words for an empty link."""

    anchor: str
    label: str


@dataclass(frozen=True)
class NoteRef:
    """A note that answers a claim or slip: its anchor and its chapter's number."""

    anchor: str
    chapter: int
    label: str = ""  # "chapter 3", or "a later note" for the next in the same chapter


def chapter_numbers(book: Book) -> dict[str, int]:
    """Chapter id -> its number in the full book."""
    if book.extract is not None:
        return {ref.id: ref.number for ref in book.extract.chapters}
    return {chapter.id: i for i, chapter in enumerate(book.chapters, 1)}


def _chapter_targets(chapters, numbers: dict[str, int], language: str) -> dict[str, Target]:
    found = {}
    for chapter in chapters:
        n = numbers.get(chapter.id, 0)
        found[chapter.id] = Target(chapter.id, f"chapter {n}")
        for block in chapter.blocks:
            if isinstance(block, Heading):
                title = typographic(block.title, language)
                found[block.id] = Target(block.id, f"\u201c{title}\u201d in chapter {n}")
    return found


def _claim_targets(editorial: Editorial) -> dict[str, Target]:
    found = {c.id: Target(f"claim-{c.id}", c.id) for c in editorial.claims}
    found.update({s.id: Target(f"slip-{s.id}", s.id) for s in editorial.slips})
    return found


def targets(book: Book) -> dict[str, Target]:
    """Every id an empty link ``[](#id)`` may name in ``book``, with what it becomes.

    In a selection, chapters it does not hold are still named (by number); the
    link is then made plain text naming the full book (:mod:`.render.xref`).
    """
    numbers = chapter_numbers(book)
    found = _chapter_targets(book.chapters, numbers, book.language)
    if book.extract is not None:
        for ref in book.extract.chapters:
            if not ref.included:
                found[ref.id] = Target(ref.id, f"chapter {ref.number}")
                found.update({a: Target(a, f"chapter {ref.number}") for a in ref.anchors})
    found.update(_claim_targets(book.editorial))
    return found


def answers(book: Book) -> dict[str, tuple[NoteRef, ...]]:
    """Claim or slip id -> the notes that list it, in reading order."""
    numbers = chapter_numbers(book)
    found: dict[str, list[NoteRef]] = {}
    for chapter in book.chapters:
        for block in chapter.blocks:
            if isinstance(block, Note) and block.number:
                for claim in dict.fromkeys(block.claims):
                    found.setdefault(claim, []).append(
                        NoteRef(f"note{block.number}", numbers.get(chapter.id, 0)))
    labelled = {}
    for claim, refs in found.items():
        seen: set[int] = set()
        labelled[claim] = tuple(
            NoteRef(r.anchor, r.chapter, "a later note" if r.chapter in seen or seen.add(r.chapter)
                    else f"chapter {r.chapter}") for r in refs)
    return labelled


def check(chapters: tuple[Chapter, ...], editorial: Editorial, errors: Errors) -> None:
    """Every ``[](#id)`` of the notes and text names a chapter, section, claim or
    slip, and every id in a note's ``claims:`` a claim or slip."""
    known = {**_chapter_targets(chapters, {}, "en"), **_claim_targets(editorial)}
    claim_ids = {c.id for c in editorial.claims} | {s.id for s in editorial.slips}
    for chapter in chapters:
        for block in chapter.blocks:
            if not isinstance(block, (Note, Text)):
                continue
            for target, words in local_links(block.markdown):
                if not words.strip() and target not in known:
                    errors.add(f"unknown id '{target}' in [](#{target})", block.loc,
                               did_you_mean(target, known)
                               or "an empty link names a chapter, a section, a claim or a slip by its id")
            if isinstance(block, Note):
                for claim in block.claims:
                    if claim not in claim_ids:
                        errors.add(f"unknown claim or slip id '{claim}' in the note's claims",
                                   block.loc, did_you_mean(claim, claim_ids)
                                   or ("claims and slips are listed in book/claims.yaml"
                                       if claim_ids else "book/claims.yaml lists none"))
