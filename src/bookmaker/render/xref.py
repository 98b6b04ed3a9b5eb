"""Links that would leave a selection become plain text naming the full book.

A note may point at another chapter (``[chapter 4](#warsaw-pact)``), the
claims table at a source's profile, the timeline at a claim.  In a selection
(:mod:`bookmaker.selection`) the target may be missing, and a dead link is a
broken EPUB and a click that goes nowhere in the PDF.  Such a link becomes its
own words followed by where the reader finds the target: "(chapter 4 of
*Knocking on NATO's Door*)", or "(in *Knocking on NATO's Door*)".

The fragments are bookmaker's own well-formed XHTML, in which an ``<a>`` never
holds another, so a regular expression finds every link exactly.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from markupsafe import escape

from ..model import Book, Extract

ID_ATTR = re.compile(r'\sid="([^"]+)"')
LOCAL_LINK = re.compile(r'<a\b[^>]*?\shref="#([^"]*)"[^>]*>(.*?)</a>', re.S)
TAG = re.compile(r"<[^>]+>")
# Ids of book.html and titlepage.html, outside the parts.
FRAME_IDS = frozenset({"title-page", "contents"})


def confine(parts: Sequence, book: Book) -> tuple:
    """``parts`` with every link to an id none of them holds made plain text.

    The parts are :class:`~bookmaker.render.html.Part` objects; a full book
    (no ``extract``) is returned unchanged.
    """
    extract = book.extract
    if extract is None:
        return tuple(parts)
    present = set(FRAME_IDS)
    for part in parts:
        present.add(part.id)
        present.update(ID_ATTR.findall(part.body))

    def fix(m: re.Match) -> str:
        target, words = m.group(1), m.group(2)
        if target in present:
            return m.group(0)
        return f'<span class="elsewhere">{words}</span>{elsewhere(target, words, extract, book.title)}'

    return tuple(replace(p, body=LOCAL_LINK.sub(fix, p.body)) for p in parts)


def elsewhere(target: str, words: str, extract: Extract, title: str) -> str:
    """Where in the full book ``target`` is, as text to follow the link's words."""
    cite = f"<cite>{escape(title)}</cite>"
    for ref in extract.chapters:
        if target == ref.id or target in ref.anchors:
            if TAG.sub("", words).strip() == str(escape(ref.title)):
                return f" (chapter {ref.number} of {cite})"
            return f" (\u201c{escape(ref.title)}\u201d, chapter {ref.number} of {cite})"
    return f" (in {cite})"
