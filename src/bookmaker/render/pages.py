"""The print edition's page numbers, carried from the PDF into the EPUB.

After the PDF is laid out, :func:`page_starts` finds for each page the block
of the shared HTML in which the page begins: the first text or image of the
page's main flow (running heads and footnotes left aside), and of its
elements the innermost *block* (a paragraph, heading, list item, table row,
...).  A block is named by the part that holds it and its path of positions
among the block children from the part's section down, which is the same in
both outputs: the EPUB's footnote asides are not counted, and the PDF's
footnotes are inline.  :func:`insert_markers` then puts an EPUB page-break
marker right before that block, or at the start of it where nothing may stand
before it (a list item, a table row's first cell, a caption).

The granularity is the block: a page that begins in the middle of a
paragraph has its marker before that paragraph, so a reader who looks for
"page 14" starts reading at the paragraph that runs onto page 14.

Nothing here imports WeasyPrint; :func:`page_starts` only walks the boxes of
the pages it is given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

# The elements a page can begin in, at the granularity of the markers.
BLOCKS = frozenset({"section", "div", "figure", "blockquote", "p", "h1", "h2", "h3", "h4", "h5",
                    "h6", "ol", "ul", "li", "table", "thead", "tbody", "tfoot", "tr", "dl", "dt",
                    "dd", "nav", "figcaption", "svg", "pre", "header", "footer"})
# Blocks not entered further: the marker goes before (or into) them.
LEAVES = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "dt", "dd", "figcaption",
                    "svg", "pre"})
# Blocks before which nothing may stand: the marker goes at their start instead.
INSIDE = frozenset({"li", "tr", "dt", "dd", "figcaption", "thead", "tbody", "tfoot"})
REPLACED = ("BlockReplacedBox", "InlineReplacedBox")  # images, inline SVG
FRONT = ("title-page", "contents")  # the front matter's sections, outside any part
START_TAG = re.compile(r"<(?![/!?])")


@dataclass(frozen=True)
class PageStart:
    """Where printed page ``label`` begins: a block of part ``part`` (or of the
    front matter's ``title-page`` or ``contents``), by its path of block positions."""

    label: str
    part: str
    path: tuple[int, ...]

    def as_json(self) -> list:
        return [self.label, self.part, list(self.path)]

    @classmethod
    def from_json(cls, data: list) -> "PageStart":
        label, part, path = data
        return cls(str(label), str(part), tuple(int(i) for i in path))


def _tag(element: Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def block_children(element: Element) -> list[Element]:
    """The children of ``element`` that count in a path: blocks, not footnote asides."""
    return [child for child in element
            if _tag(child) in BLOCKS and not (_tag(child) == "aside"
                                               and "footnote" in (child.get("class") or ""))]


def _contents(page_box):
    """The boxes of text or image of a page's main flow, in order, with the root element."""
    for child in page_box.children:
        if type(child).__name__ in ("MarginBox", "FootnoteAreaBox"):
            continue
        for box in child.descendants():
            kind = type(box).__name__
            if ((kind == "TextBox" and box.text.strip()) or kind in REPLACED) \
                    and box.element is not None:
                yield child.element, box


def page_starts(document, part_ids: list[str] | tuple[str, ...]) -> list[PageStart]:
    """For each page of a laid-out WeasyPrint ``document``, the block it begins in.

    Pages whose start lies outside the parts and the front matter (none in
    bookmaker's own templates) are left out.
    """
    parts = set(part_ids) | set(FRONT)
    parents: dict[int, dict[Element, Element]] = {}
    found = []
    for number, page in enumerate(document.pages, start=1):
        for root, box in _contents(page._page_box):
            if id(root) not in parents:
                parents[id(root)] = {c: p for p in root.iter() for c in p}
            up = parents[id(root)]
            chain, element = [], box.element
            while element is not None and element.get("id") not in parts:
                chain.append(element)
                element = up.get(element)
            # A table's header repeated at the top of a page: the page begins below it.
            if element is not None and not any(_tag(e) in ("thead", "tfoot") for e in chain):
                break
        else:
            continue
        path, here = [], element
        for step in reversed(chain):
            if _tag(step) not in BLOCKS or step not in block_children(here):
                break
            path.append(block_children(here).index(step))
            here = step
            if _tag(step) in LEAVES:
                break
        found.append(PageStart(str(number), element.get("id"), tuple(path)))
    return found


def marker(label: str) -> str:
    """The EPUB page-break marker of printed page ``label``."""
    return (f'<span epub:type="pagebreak" role="doc-pagebreak" id="page-{label}" '
            f'aria-label="{label}" title="{label}"></span>')


def insert_markers(fragment: str, starts: list[PageStart]) -> str:
    """Put the marker of each of ``starts`` into ``fragment``, well-formed XHTML
    whose first element is the section of their part.

    The fragment is parsed only to find each block; the markers are inserted
    into the text itself, so every other byte stays as it was.
    """
    from lxml import etree

    if not starts:
        return fragment
    wrapper = etree.fromstring(f'<wrap xmlns="http://www.w3.org/1999/xhtml" '
                               f'xmlns:epub="http://www.idpf.org/2007/ops">{fragment}</wrap>')
    section = wrapper[0]
    order = {el: i for i, el in enumerate(e for e in wrapper.iter(etree.Element) if e is not wrapper)}
    tags = [m.start() for m in START_TAG.finditer(fragment)]
    inserts: list[tuple[int, int, str]] = []  # (offset, page order, text)
    for rank, start in enumerate(starts):
        block = section
        for index in start.path:
            children = block_children(block)
            if index >= len(children):
                break
            block = children[index]
        inside = _tag(block) in INSIDE or block is section
        if _tag(block) == "tr" and len(block):
            block = block[0]  # a row's first cell
        offset = tags[order[block]]
        if inside:
            offset = fragment.index(">", offset) + 1
        inserts.append((offset, rank, marker(start.label)))
    for offset, _, text in sorted(inserts, reverse=True):
        fragment = fragment[:offset] + text + fragment[offset:]
    return fragment
