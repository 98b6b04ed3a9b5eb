"""A web page's main text and metadata, by trafilatura.

trafilatura finds the article and leaves out navigation, cookie notices,
newsletter boxes, share bars, related links and comments; its metadata reader
takes title, authors, date, canonical address and site name from JSON-LD,
OpenGraph and <meta>.  The language, which it does not report, is read here
from the same places and ``<html lang>``.  The encoding is decided as a
browser decides it (w3lib): byte order mark, HTTP header, <meta>, then UTF-8.
"""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from .errors import BookError
from .extract import Extracted, clean_paragraphs, located
from .sources import LANGUAGE, URL

# trafilatura and htmldate log every page they find nothing in; bookmaker says it once.
for _name in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->", re.I)
# trafilatura's XML: these hold blocks; every other element is a block of text.
CONTAINERS = {"body", "div", "list", "quote", "table", "doc", "main"}
# Never article text, by HTML's own meaning; without them a page with no article
# (its text drawn by scripts) gives its menus as text instead of no text at all.
NOT_TEXT = ["//noscript", "//nav", '//*[@role="navigation"]']


def extract_page(data: bytes, where: Path | str, url: str | None = None,
                 content_type: str | None = None) -> Extracted:
    """The page in ``data`` (from the file or address ``where``; ``url`` if downloaded)."""
    import trafilatura
    from trafilatura.metadata import extract_metadata

    html = decode_html(data, content_type, where)
    tree = trafilatura.load_html(html)
    if tree is None:
        raise BookError("not an HTML page, or a damaged one", located(where),
                        "import a page saved from a browser (.html), a PDF, or a text file")
    saved_from = SAVED_FROM.search(html[:4096])
    found = extract_metadata(tree, default_url=url or (saved_from and saved_from.group(1)),
                             extensive=False)  # dates from the markup only, never the prose
    doc = trafilatura.bare_extraction(tree, include_comments=False, include_tables=True,
                                      include_images=False, include_links=False,
                                      include_formatting=False, deduplicate=False,
                                      prune_xpath=NOT_TEXT)
    paragraphs = clean_paragraphs(blocks(doc.body)) if doc is not None and doc.body is not None else []
    notes = []
    outlet = found.sitename
    if outlet and _is_address_of(outlet, found.url):  # trafilatura's stand-in for a missing name
        notes.append(f"the page does not name its outlet; 'outlet' is its site's address, "
                     f"{outlet}: give the outlet's name")
    meta = {
        "title": _text(found.title),
        "author": [a.strip() for a in (found.author or "").split(";") if a.strip()] or None,
        "outlet": _text(outlet),
        "published": found.date,
        "url": found.url if found.url and URL.match(found.url) else None,
        "language": page_language(tree),
    }
    return Extracted("web page", paragraphs, data, ".html", meta, notes=notes)


def decode_html(data: bytes, content_type: str | None, where: Path | str) -> str:
    from w3lib.encoding import html_to_unicode

    _, html = html_to_unicode(content_type, data, auto_detect_fun=_detect)
    if "\x00" in html:
        raise BookError("not an HTML page (it holds binary data)", located(where),
                        "is the file damaged, or of another kind with an .html name?")
    return html


def _detect(data: bytes) -> str | None:
    """A page that declares no encoding: UTF-8 if it is, else what charset_normalizer finds."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        return best.encoding if best else None


def blocks(element) -> Iterator[str]:
    """The text of each paragraph, heading, list item, quote and table row, in order."""
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "row":
            yield "\t".join(_inline(cell) for cell in child)  # cells as a browser copies them
        elif tag == "item" and any(c.tag in CONTAINERS for c in child):
            yield _inline(child, skip=CONTAINERS)
            yield from blocks(child)
        elif tag in CONTAINERS:
            yield from blocks(child)
        elif tag:
            yield _inline(child)


def _inline(element, skip: set[str] = frozenset()) -> str:
    """An element's text with its line breaks (<lb/>), leaving out nested blocks in ``skip``."""
    parts = [element.text or ""]
    for child in element:
        if child.tag in skip:
            parts.append(child.tail or "")
            continue
        parts.append("\n" if child.tag == "lb" else _inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def page_language(tree) -> str | None:
    """The article's language tag: JSON-LD inLanguage, <html lang>, then <meta> and og:locale."""
    candidates = list(_jsonld_languages(tree))
    candidates += tree.xpath("/html/@lang | /html/@xml:lang",
                             namespaces={"xml": "http://www.w3.org/XML/1998/namespace"})
    candidates += tree.xpath('//meta[translate(@http-equiv, "CONTENT-LAGU", "content-lagu")'
                             '="content-language"]/@content')
    candidates += tree.xpath('//meta[@name="language" or @name="dc.language" or '
                             '@name="DC.language"]/@content')
    candidates += tree.xpath('//meta[@property="og:locale"]/@content')
    for value in candidates:
        tag = str(value).strip().replace("_", "-").split(",")[0].strip()
        if LANGUAGE.match(tag) and tag.lower() not in ("und", "mul", "zxx"):
            primary, *rest = tag.split("-")
            return "-".join([primary.lower(), *rest])
    return None


def _jsonld_languages(tree) -> Iterator[str]:
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script, strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                lang = item.get("inLanguage")
                if isinstance(lang, dict):
                    lang = lang.get("alternateName")
                if isinstance(lang, str):
                    yield lang
                stack.extend(v for v in item.values() if isinstance(v, (list, dict)))


def _is_address_of(name: str, url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    hosts = {h.lower().removeprefix("www.") for h in (parts.netloc, parts.hostname or "") if h}
    return name.lower().removeprefix("www.") in hosts


def _text(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None
