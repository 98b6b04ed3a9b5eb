"""The book's sources as a bibliography: CSL-JSON and BibTeX.

``bookmaker build --format csl`` writes ``STEM.json`` (CSL-JSON, the format
citeproc processors, Zotero and pandoc read) and ``--format bibtex`` writes
``STEM.bib``: one entry per source of the book (or of the selection), with its
authors, title, outlet, date, address, translators and language.  Nothing is
invented: an undated source has no date, an unsigned one no author.

Names are split as the book's captions split them: the last word is the
family name, the words before it the given names; a one-word name is kept
whole (CSL ``literal``, a braced BibTeX name).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .model import Book, Source

# Format -> the extension of its file.
EXPORTS = {"csl": "json", "bibtex": "bib"}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Characters TeX reads as commands; written escaped in BibTeX values (not in url).
TEX_SPECIAL = re.compile(r"([&%$#_{}])|([~^\\])")
TEX_WORDS = {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def csl_name(name: str) -> dict[str, str]:
    """A CSL name: family and given, or a literal for a one-word name."""
    given, _, family = name.strip().rpartition(" ")
    return {"family": family, "given": given} if given else {"literal": family}


def date_parts(value: str) -> list[int]:
    """'2019-04-04' -> [2019, 4, 4]; '2019' -> [2019]."""
    return [int(bit) for bit in value.split("-")]


def csl_item(source: Source) -> dict[str, Any]:
    """One source as a CSL-JSON item."""
    item: dict[str, Any] = {"id": source.id, "type": "article-magazine",
                            "title": source.title}
    if source.authors:
        item["author"] = [csl_name(a) for a in source.authors]
    if source.translators:
        item["translator"] = [csl_name(t) for t in source.translators]
    item["container-title"] = source.outlet
    if source.published:
        item["issued"] = {"date-parts": [date_parts(source.published)]}
    if source.url:
        item["URL"] = source.url
    if source.accessed:
        item["accessed"] = {"date-parts": [date_parts(source.accessed)]}
    item["language"] = source.language
    if source.original_language:
        item["note"] = f"Original language: {source.original_language}"
    return item


def csl_json(book: Book) -> str:
    """The book's sources as a CSL-JSON array, in the order of the sources appendix."""
    return json.dumps([csl_item(s) for s in book.sources], ensure_ascii=False, indent=2) + "\n"


def tex(text: str) -> str:
    """Text as a BibTeX value: TeX's special characters escaped."""
    return TEX_SPECIAL.sub(lambda m: "\\" + m.group(1) if m.group(1) else TEX_WORDS[m.group(2)],
                           text)


def bib_name(name: str) -> str:
    parts = csl_name(name)
    if "literal" in parts:
        return "{" + tex(parts["literal"]) + "}"
    return f"{tex(parts['family'])}, {tex(parts['given'])}"


def bib_entry(source: Source):
    """One source as a bibtexparser entry (``@article``, the outlet as its journal)."""
    from bibtexparser.model import Entry, Field

    fields = []

    def add(key: str, value: str, braced: bool = True) -> None:
        fields.append(Field(key, "{" + value + "}" if braced else value))

    if source.authors:
        add("author", " and ".join(bib_name(a) for a in source.authors))
    add("title", tex(source.title))
    add("journal", tex(source.outlet))
    if source.published:
        parts = date_parts(source.published)
        add("year", str(parts[0]))
        if len(parts) > 1:
            add("month", MONTHS[parts[1] - 1], braced=False)  # BibTeX's month macro
        add("date", source.published)  # biblatex reads the whole date
    if source.url:
        add("url", source.url)  # verbatim: \url and biblatex take it as it is
    if source.accessed:
        add("urldate", source.accessed)
    if source.translators:
        add("translator", " and ".join(bib_name(t) for t in source.translators))
    add("language", source.language)
    if source.original_language:
        add("origlanguage", source.original_language)
    return Entry("article", source.id, fields)


def bibtex(book: Book) -> str:
    """The book's sources as BibTeX, written by bibtexparser."""
    import bibtexparser
    from bibtexparser import Library
    from bibtexparser.writer import BibtexFormat

    library = Library()
    for source in book.sources:
        library.add(bib_entry(source))
    style = BibtexFormat()
    style.indent = "  "
    style.block_separator = "\n"
    # The values are given braced already; bibtexparser's default middleware
    # would brace them again.
    return bibtexparser.write_string(library, unparse_stack=[], bibtex_format=style)


def write_export(book: Book, fmt: str, target: Path) -> None:
    """Write the ``fmt`` export of ``book``'s sources to ``target`` (a staged file)."""
    text = csl_json(book) if fmt == "csl" else bibtex(book)
    target.write_text(text, encoding="utf-8", newline="\n")
