"""Parse and validate ``book/outline.yaml`` without opening a single source.

The result is an :class:`Outline` of specs; whether the quoted words exist is
the loader's business.  Every problem is collected, so one run reports all.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from .errors import Errors, Location, did_you_mean
from .files import ProjectFiles
from .model import (NOTE_KINDS, BlockSpec, ChapterSpec, CompareSpec, ExcerptSpec, Handout,
                    HeadingSpec, Note, Outline, Text)
from .paper import PAPERS
from .spec import SpecError, resolve
from .sources import DATE, LANGUAGE
from .yamlsrc import Fields, MarkedList, describe, load_data_file

BOOK_KEYS = ("title", "subtitle", "editors", "language", "date", "chapters", "handouts", "paper")
CHAPTER_KEYS = ("title", "id", "content")
BLOCK_KINDS = ("excerpt", "note", "text", "heading", "compare")
EXCERPT_KEYS = ("excerpt", "quote", "from", "to")
NOTE_KEYS = ("note", "kind", "claims")
# Ids the generated parts use; a chapter taking one would break links.
RESERVED_IDS = ("title-page", "contents", "claims-checked", "timeline", "sources", "titlepage",
                "nav", "toc", "slips")
GENERATED_ID = re.compile(r"^((x|fn|fnref|call|cmp|note)\d+|(src|claim|slip)-.*)$")


def parse_outline(path: Path, files: ProjectFiles, errors: Errors) -> Outline | None:
    data = load_data_file(path, files, errors, "the outline is empty",
                          "give at least title, editors, language and chapters")
    if data is None:
        return None
    book = Fields(data, "the outline", Location(path, 1), errors, BOOK_KEYS,
                  ("title", "editors", "language", "chapters"))
    if not book.ok:
        return None
    language = book.get("language", str)
    if language and not LANGUAGE.match(language):
        errors.add(f"'language' must be a language tag such as 'en', not '{language}'",
                   book.where("language"))
    date = book.get("date", str)
    if date is not None and not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
        errors.add(f"'date' must be YYYY-MM-DD, not '{date}'", book.where("date"))
    chapters = parse_chapters(book, errors)
    return Outline(path=path, title=book.get("title", str, default=""),
                   subtitle=book.get("subtitle", str), editors=book.names("editors") or (),
                   language=language or "en", date=date, chapters=chapters,
                   handouts=parse_handouts(book, chapters, errors), paper=parse_paper(book, errors))


def parse_paper(book: Fields, errors: Errors) -> str | None:
    """The outline's ``paper:``, one of the sizes of :mod:`bookmaker.paper`."""
    value = book.get("paper", str)
    if value is None:
        return None
    name = value.strip().lower()
    if name not in PAPERS:
        errors.add(f"unknown paper size '{value}'", book.where("paper"),
                   did_you_mean(name, PAPERS) or f"one of: {', '.join(PAPERS)}")
        return None
    return name


def parse_handouts(book: Fields, chapters: tuple[ChapterSpec, ...],
                   errors: Errors) -> tuple[Handout, ...]:
    """The named selections of ``handouts:``: name to SPEC (a string or a list)."""
    if "handouts" not in book.map:
        return ()
    raw = book.get("handouts", dict, default=None)
    if raw is None:
        return ()
    ids = [c.id for c in chapters]
    handouts = []
    for name, value in raw.items():
        where = raw.where(name)
        name = str(name)
        if not re.match(r"^[A-Za-z][A-Za-z0-9_-]*$", name):
            errors.add(f"handout name '{name}' must start with a letter and hold only letters, "
                       "digits, '-' and '_'", where, "it becomes part of the file name")
            continue
        if name in ids:
            errors.add(f"handout name '{name}' is also a chapter id", where,
                       "give the handout another name, so that --chapters means one thing")
            continue
        if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                           for v in value):
            spec = ",".join(str(v) for v in value)
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            spec = str(value)
        else:
            errors.add(f"handout '{name}' must be a SPEC such as \"2-3\" or a list of chapter ids, "
                       f"not {describe(value)}", where)
            continue
        try:
            chosen = resolve(spec, ids)
        except SpecError as exc:
            errors.add(f"handout '{name}': {exc.message}", where, exc.hint)
            continue
        handouts.append(Handout(name, spec, tuple(ids[i] for i in chosen), where))
    return tuple(handouts)


def parse_chapters(book: Fields, errors: Errors) -> tuple[ChapterSpec, ...]:
    items = book.get("chapters", list, default=None)
    if items is None:
        return ()
    if not items:
        errors.add("'chapters' is empty", book.where("chapters"), "add at least one chapter")
    chapters: list[ChapterSpec] = []
    seen: dict[str, Location] = {}
    for i, item in enumerate(items):
        loc = items.where(i)
        ch = Fields(item, "a chapter", loc, errors, CHAPTER_KEYS, ("title", "content"))
        if not ch.ok:
            continue
        title = ch.get("title", str, default="")
        chapter_id = ch.get("id", str) or slugify(title) or f"chapter-{i + 1}"
        if not re.match(r"^[A-Za-z][A-Za-z0-9_-]*$", chapter_id):
            errors.add(f"chapter id '{chapter_id}' must start with a letter and hold only "
                       "letters, digits, '-' and '_'", ch.where("id"))
        if chapter_id in RESERVED_IDS or GENERATED_ID.match(chapter_id):
            errors.add(f"chapter id '{chapter_id}' is reserved for bookmaker's own parts",
                       ch.where("id") if "id" in ch.map else loc, "give the chapter another 'id'")
        if chapter_id in seen:
            errors.add(f"duplicate chapter id '{chapter_id}'", ch.where("id") if "id" in ch.map else loc,
                       f"first used at line {seen[chapter_id].line}")
        seen[chapter_id] = loc
        content = ch.get("content", list, default=MarkedList())
        if "content" in ch.map and isinstance(ch.map["content"], list) and not content:
            errors.add("chapter 'content' is empty", ch.where("content"))
        blocks = tuple(b for j, raw in enumerate(content)
                       if (b := parse_block(raw, content.where(j), errors)) is not None)
        chapters.append(ChapterSpec(chapter_id, title, blocks, loc))
    return tuple(chapters)


def parse_block(raw: Any, loc: Location, errors: Errors, nested: bool = False) -> BlockSpec | None:
    if not isinstance(raw, dict):
        errors.add(f"a content block must be a mapping such as 'excerpt: ID', not {describe(raw)}", loc)
        return None
    kinds = [k for k in BLOCK_KINDS if k in raw]
    if len(kinds) != 1:
        unknown = next((k for k in raw if k not in BLOCK_KINDS + EXCERPT_KEYS + NOTE_KEYS), None)
        hint = did_you_mean(unknown, BLOCK_KINDS) if unknown else None
        what = "no block type" if not kinds else f"several block types ({', '.join(kinds)})"
        errors.add(f"content block has {what}", raw.where(unknown) if unknown else loc,
                   hint or f"a block is one of: {', '.join(BLOCK_KINDS)}")
        return None
    kind = kinds[0]
    if kind == "excerpt":
        return parse_excerpt(raw, loc, errors)
    if nested:
        errors.add(f"a compare block holds only excerpts, not '{kind}'", loc)
        return None
    if kind == "note":
        f = Fields(raw, "a note", loc, errors, NOTE_KEYS, ("kind",))
        note_kind = f.get("kind", str)
        if note_kind is not None and note_kind not in NOTE_KINDS:
            errors.add(f"unknown note kind '{note_kind}'", f.where("kind"),
                       did_you_mean(note_kind, NOTE_KINDS) or f"one of: {', '.join(NOTE_KINDS)}")
        return Note(note_kind or "context", f.get("note", str, default=""),
                        id_list(f, "claims", errors), loc)
    if kind == "text":
        f = Fields(raw, "a text block", loc, errors, ("text",))
        return Text(f.get("text", str, default=""), loc)
    if kind == "heading":
        f = Fields(raw, "a heading", loc, errors, ("heading",))
        return HeadingSpec(f.get("heading", str, default=""), loc)
    f = Fields(raw, "a compare block", loc, errors, ("compare",))
    items = f.get("compare", list, default=MarkedList())
    if isinstance(raw.get("compare"), list) and len(items) < 2:
        errors.add("a compare block needs at least two excerpts", f.where("compare"))
    parts = [parse_block(x, items.where(j), errors, nested=True) for j, x in enumerate(items)]
    return CompareSpec(tuple(p for p in parts if isinstance(p, ExcerptSpec)), loc)


def parse_excerpt(raw: dict, loc: Location, errors: Errors) -> ExcerptSpec | None:
    f = Fields(raw, "an excerpt", loc, errors, EXCERPT_KEYS, ("excerpt",))
    source = f.get("excerpt", str)
    quote, start, end = f.get("quote", str), f.get("from", str), f.get("to", str)
    # Which keys are given, not which values are good: `from: ""` is reported as
    # empty, and then not once more as missing.
    if "quote" in raw and ("from" in raw or "to" in raw):
        errors.add("an excerpt takes either 'quote' or 'from' and 'to', not both", loc)
    elif "quote" not in raw and ("from" in raw) != ("to" in raw):
        missing = "from" if "to" in raw else "to"
        errors.add(f"an excerpt with '{'from' if missing == 'to' else 'to'}' needs '{missing}' too", loc)
    elif not any(k in raw for k in ("quote", "from", "to")):
        errors.add("an excerpt needs 'quote', or 'from' and 'to'", loc,
                   "quote: \"the exact words\"  or  from: \"first words\" / to: \"last words\"")
    if source is None:
        return None
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", source):
        errors.add(f"'{source}' is not a source id", f.where("excerpt"),
                   "name a source by its id (the file name in seeds/ without .md), not by a path")
        return None
    return ExcerptSpec(source, loc, quote, start, end)


def id_list(f: Fields, key: str, errors: Errors) -> tuple[str, ...]:
    value = f.map.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(f"'{key}' must be a list of ids", f.where(key))
        return ()
    return tuple(value)


def slugify(text: str) -> str:
    text = re.sub(r"[\'\u2019]", "", text)  # "NATO's" -> "natos", not "nato-s"
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = re.sub(r"^[^a-z]+", "", slug)
    return slug[:60].rstrip("-")


__all__ = ["parse_outline", "slugify", "DATE"]
