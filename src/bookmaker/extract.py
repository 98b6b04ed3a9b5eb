"""What every extractor hands the importer, and the plain kinds: .txt and .md.

An extractor turns the bytes of one document into paragraphs of text and the
metadata the document itself states.  A key it cannot find is None: the
importer writes it as null with a warning, or refuses when the source format
needs a value; no extractor guesses one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from markdown_it import MarkdownIt

from .errors import BookError, Location
from .yamlsrc import MarkedDict, load_yaml

META_KEYS = ("title", "author", "outlet", "published", "url", "language")
# Characters a browser does not show: a sentence copied from the page has none
# of them, so the text written must not either, or the copy would not match.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))


@dataclass
class Extracted:
    """One document's text and what it says about itself."""

    kind: str        # "web page", "PDF", "text file"
    paragraphs: list[str]
    original: bytes  # the bytes read, kept beside the source
    suffix: str      # of the kept original: ".html", ".pdf", ".txt", ".md"
    meta: dict[str, object] = field(default_factory=lambda: dict.fromkeys(META_KEYS))
    accessed: str | None = None  # YYYY-MM-DD, for a download
    notes: list[str] = field(default_factory=list)  # warnings about the text itself

    @property
    def text(self) -> str:
        """The body of the source: paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs) + "\n"


def clean_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Paragraphs without invisible characters, trailing spaces or blank lines inside."""
    out = []
    for p in paragraphs:
        p = p.translate(INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
        lines = [line.rstrip() for line in p.split("\n")]
        p = "\n".join(line for line in lines if line.strip()).strip()
        if p:
            out.append(p)
    return out


def decode_text(data: bytes, where: Path | str) -> str:
    """UTF-8 text, or a refusal naming the first byte that is not."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BookError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                        located(where), "save the file as UTF-8 and import it again") from None
    if "\x00" in text:
        raise BookError("not a text file (it holds binary data)", located(where))
    return text


def extract_text_file(data: bytes, name: Path | str, markdown: bool) -> Extracted:
    """A .txt file as it is, or a .md file as its rendering shows it.

    A Markdown file's optional front matter gives its metadata; without a title
    there, its first level-one heading is its title.
    """
    text = decode_text(data, name)
    meta = dict.fromkeys(META_KEYS)
    kind = "Markdown file" if markdown else "text file"
    if markdown:
        text, meta = _front_matter(text, name)
        tokens = MarkdownIt("commonmark").enable("table").parse(text)
        paragraphs = markdown_paragraphs(tokens)
        if meta["title"] is None:
            meta["title"] = next((tokens[i + 1].content for i, t in enumerate(tokens)
                                  if t.type == "heading_open" and t.tag == "h1"), None)
    else:
        paragraphs = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return Extracted(kind, clean_paragraphs(paragraphs), data, ".md" if markdown else ".txt", meta)


def markdown_paragraphs(tokens) -> list[str]:
    """The text of each block (paragraph, heading, item, cell, code) as a browser shows it."""
    out = []
    for tok in tokens:
        if tok.type == "inline":
            out.append("".join(_inline(child) for child in tok.children or ()))
        elif tok.type in ("fence", "code_block"):
            out.append(tok.content)
        elif tok.type == "html_block":
            import lxml.html

            try:  # a browser shows the text of an HTML block, not its tags
                out.append(lxml.html.fromstring(tok.content).text_content())
            except Exception:  # noqa: BLE001 (a comment or a fragment lxml rejects shows nothing)
                continue
    return out


def _inline(tok) -> str:
    if tok.type in ("text", "code_inline"):
        return tok.content
    if tok.type in ("softbreak", "hardbreak"):
        return "\n"
    return ""  # markup (emphasis, links, inline HTML) and images show no text of their own


# Keys a Markdown file's front matter may use for bookmaker's metadata.
FRONT_MATTER = {"title": "title", "author": "author", "authors": "author", "outlet": "outlet",
                "site": "outlet", "publisher": "outlet", "published": "published",
                "date": "published", "url": "url", "language": "language", "lang": "language"}


def _front_matter(text: str, name: Path | str) -> tuple[str, dict[str, object]]:
    meta: dict[str, object] = dict.fromkeys(META_KEYS)
    match = re.match(r"---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(\r?\n|$)", text, re.S)
    if not match:
        return text, meta
    data = load_yaml(match.group(1) or "", Path(name), line_offset=1)
    if isinstance(data, MarkedDict):
        for key, value in data.items():
            target = FRONT_MATTER.get(str(key).lower())
            if target is None or value is None or meta[target] is not None:
                continue
            if target == "author":
                names = value if isinstance(value, list) else [value]
                meta[target] = [str(n).strip() for n in names if str(n).strip()] or None
            elif isinstance(value, (str, int, float)) and str(value).strip():
                meta[target] = str(value).strip()
    return text[match.end():], meta


def located(where: Path | str) -> Location | None:
    """The location of a file given to import; an address has none (the importer names it)."""
    return Location(where) if isinstance(where, Path) else None
