"""Links that would leave a selection become plain text naming the full book.

A note may point at another chapter (``[chapter 4](#warsaw-pact)``), the
claims table at a source's profile, the timeline at a claim.  In a selection
(:mod:`bookmaker.selection`) the target may be missing, and a dead link is a
broken EPUB and a click that goes nowhere in the PDF.  Such a link becomes its
own words followed by where the reader finds the target: "(chapter 4 of
*Knocking on NATO's Door*)", or "(in *Knocking on NATO's Door*)" once after a
list of such names ("Kartsev, Polonsky (in ...)").

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
# Stands for " (in <cite>BOOK</cite>)" until the marks inside a list are dropped.
MARK = "\x00"
LISTED = re.compile(MARK + r'(?=(?:,\s*|;\s*|\s+and\s+)<span class="elsewhere">'
                    r'(?:(?!</span>).)*</span>' + MARK + ")", re.S)


EMPTY_LINK = re.compile(r'<a href="#([^"]+)"></a>')
LINK_HREF = re.compile(r'(<a\b[^>]*?\shref=")#([^"]+)(")')


def fill(parts: Sequence, targets: dict) -> tuple:
    """``parts`` with each empty link ``[](#id)`` given its words and a class the
    print style adds the page to ("chapter 4, p. 23"), and each link to a claim
    or slip by its bare id (``#c7``) pointed at its row of the claims table.

    ``targets`` maps ids to :class:`~bookmaker.references.Target`; the ids were
    checked when the book was loaded, so one not found is a link the project's
    own templates made, and is left as it is.
    """
    def empty(m: re.Match) -> str:
        target = targets.get(m.group(1))
        if target is None:
            return m.group(0)
        return f'<a class="xref" href="#{escape(target.anchor)}">{escape(target.label)}</a>'

    def href(m: re.Match) -> str:
        target = targets.get(m.group(2))
        if target is None or target.anchor == m.group(2):
            return m.group(0)
        return f"{m.group(1)}#{escape(target.anchor)}{m.group(3)}"

    return tuple(replace(p, body=LINK_HREF.sub(href, EMPTY_LINK.sub(empty, p.body))) for p in parts)


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
    cite = f"<cite>{escape(book.title)}</cite>"

    def fix(m: re.Match) -> str:
        target, words = m.group(1), m.group(2)
        if target in present:
            return m.group(0)
        filled = 'class="xref"' in m.group(0)  # words bookmaker wrote: "chapter 4"
        return (f'<span class="elsewhere">{words}</span>'
                f'{elsewhere(target, words, extract, cite, filled)}')

    def confined(body: str) -> str:
        return LISTED.sub("", LOCAL_LINK.sub(fix, body)).replace(MARK, f" (in {cite})")

    return tuple(replace(p, body=confined(p.body)) for p in parts)


def elsewhere(target: str, words: str, extract: Extract, cite: str, filled: bool = False) -> str:
    """Where in the full book ``target`` is, as text to follow the link's words:
    its chapter when it is a chapter or one of its sections, else :data:`MARK`."""
    for ref in extract.chapters:
        if target == ref.id or target in ref.anchors:
            if filled and target == ref.id:  # "chapter 4", written by bookmaker for [](#id)
                return f" of {cite}"
            if TAG.sub("", words).strip() == str(escape(ref.title)):
                return f" (chapter {ref.number} of {cite})"
            return f" (\u201c{escape(ref.title)}\u201d, chapter {ref.number} of {cite})"
    return MARK
