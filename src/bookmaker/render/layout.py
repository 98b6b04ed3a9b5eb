"""Lay the print book out one part at a time and join the pages into one document.

Every chapter and appendix starts on a new page, so the book is cut there
into documents (the front matter, then one per part) that WeasyPrint lays out
one by one, in order.  A footnote that drifts from its excerpt's page then
costs a new layout of its own part only, and a long book never holds the
layout state of more than one part.  The pages are joined with WeasyPrint's
own ``Document.copy`` and written once, so the PDF keeps one structure tree
(PDF/UA-1), one outline and working links across parts.

What one part needs from the others is given to it when it is laid out:

* its first page number and side: a *prelude* page standing for the last
  page of the part before (``@page :first { counter-reset: page N }`` and
  ``html { break-before: recto | verso }``), dropped when joining;
* the named strings (running heads) as they stood at the end of the part
  before, seeded into WeasyPrint's layout context on that prelude page;
* the page of every anchor it links to in another part (contents entries,
  "p. N" cross-references): empty *stub* anchors on pages of their own
  numbered like the real ones, also dropped when joining.

Numbers of later parts are only known after a first pass, so a part whose
``target-counter`` used a number that turned out wrong is laid out again
(the contents always are; the rest is rare).  Projects whose styles need the
whole book in one layout (``counter(pages)``, running elements), or whose
parts do not start on a page of their own, return ``None`` from :func:`split`
and keep the single-document path.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping
from xml.etree.ElementTree import Element

if TYPE_CHECKING:
    from ..errors import Location

log = logging.getLogger("bookmaker")

MAX_RELAYOUTS = 3   # new layouts of one part for drifted footnotes
MAX_PASSES = 4      # passes over the book until every page number holds
STUB_PAGE = "bookmaker-stub-"
# Styles only a single layout of the whole book can honour.
WHOLE_BOOK = re.compile(r"counters?\(\s*pages\b|\brunning\(|\belement\(")

Progress = Callable[[int, int, int], None]  # (parts laid out, parts, pages so far)


Blocks = dict[int, tuple[str, str]]  # excerpt number -> (id to start a page with, the block's id)


def drifted(document, blocks: Blocks) -> Blocks:
    """The excerpts of ``blocks`` whose footnote landed on another page than the call.

    Each call carries the anchor ``callN`` and each note ``fnN``; the
    document's public ``Page.anchors`` tell where they landed.
    """
    page_of: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            page_of.setdefault(name, number)
    return {n: ids for n, ids in blocks.items() if page_of.get(f"call{n}") != page_of.get(f"fn{n}")}


def warn_drifted(numbers: Iterable[int], places: Mapping[int, Location]) -> None:
    """One warning per excerpt whose footnote stayed off its page, naming where it is written."""
    for number in numbers:
        log.warning("%s: the footnote of this excerpt (note %d) is not on the page of its "
                    "excerpt (is the footnote longer than a page?)", places.get(number, "?"), number)


def add_breaks(found: Blocks, breaks: list[str]) -> None:
    """Add to ``breaks`` (CSS selectors) what moves each drifted block to a fresh page.

    The block starts a page (with the sub-heading before it, which must not stay
    behind alone); a block that drifts although it starts a page already gets
    the page to itself: WeasyPrint gives up a footnote when what follows
    competes for room.
    """
    for anchor, own in found.values():
        wanted = f"#{anchor}" if f"#{anchor}" not in breaks else f"#{own} + *"
        if wanted not in breaks:
            breaks.append(wanted)


class Unsplittable(Exception):
    """The book cannot be laid out part by part; use one document."""


@dataclass(eq=False)
class Piece:
    """One document of the book: the front matter, or one chapter or appendix."""

    children: list[Element]
    ids: frozenset[str]           # anchors defined here
    refs: tuple[str, ...]         # anchors linked to in other pieces
    calls: Blocks                 # the excerpts called here, and what moves if one drifts
    size: int                     # characters of text, to estimate pages before layout
    breaks: list[str] = field(default_factory=list)  # CSS selectors that start a new page
    laid: bool = False            # laid out at least once
    offset: int = -1              # pages before this piece when it was laid out
    strings_in: dict = field(default_factory=dict)
    strings_out: dict = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)  # ref -> number its layout used
    pages: list = field(default_factory=list)   # the pages kept for the book
    drifted: list[int] = field(default_factory=list)  # excerpts whose footnote stayed off its page


def split(html_root: Element, part_ids: list[str], block_of: Blocks,
          style_text: str) -> list[Piece] | None:
    """Cut the parsed book into the front matter and one piece per part, or None.

    ``block_of`` maps each excerpt number to what moves if its footnote drifts.
    """
    if WHOLE_BOOK.search(style_text):
        return None
    body = html_root.find("body")
    if body is None:
        return None
    groups: list[list[Element]] = [[]]
    wanted = set(part_ids)
    for child in body:
        if child.get("id") in wanted:
            groups.append([])
        groups[-1].append(child)
    if len(groups) != len(part_ids) + 1 or not groups[0]:
        return None
    pieces = []
    for children in groups:
        ids, refs = set(), []
        size = 0
        for child in children:
            for el in child.iter():
                if el.get("id"):
                    ids.add(el.get("id"))
                if el.tag == "a" and el.get("name"):
                    ids.add(el.get("name"))
                href = el.get("href") or ""
                if href.startswith("#") and len(href) > 1:
                    refs.append(href[1:])
                size += len(el.text or "") + len(el.tail or "")
        calls = {n: block for n, block in block_of.items() if f"call{n}" in ids}
        pieces.append(Piece(children, frozenset(ids),
                            tuple(dict.fromkeys(r for r in refs if r not in ids)), calls, size))
    return pieces


class BookLayout:
    """Lays out the pieces of one book with shared stylesheets and fonts."""

    def __init__(self, root: Element, pieces: list[Piece], make_html, stylesheets: list,
                 fonts, progress: Progress | None = None,
                 places: Mapping[int, Location] | None = None) -> None:
        import weasyprint

        self.weasyprint = weasyprint
        self.root = root
        self.pieces = pieces
        self.make_html = make_html      # ElementTree root -> weasyprint.HTML
        self.stylesheets = stylesheets
        self.fonts = fonts
        self.progress = progress
        self.places = places or {}  # excerpt number -> where it is written, named in warnings
        self.values: dict[str, int] = {}  # anchor -> page number, as last laid out
        self.layouts = 0
        self.metadata = None  # an empty copy of the front matter's document
        self.rtl = root.get("dir") == "rtl"

    # ---- the passes ----------------------------------------------------------------

    def run(self) -> None:
        """Lay out every piece until all page numbers and running heads hold."""
        for _ in range(MAX_PASSES):
            changed = False
            offset, strings = 0, {}
            for index, piece in enumerate(self.pieces):
                if (not piece.laid or piece.offset != offset
                        or piece.strings_in != strings
                        or any(self.value(a, index, offset) != v for a, v in piece.used.items())):
                    self._lay_out(index, piece, offset, strings)
                    changed = True
                self._record(piece, offset)
                offset += len(piece.pages)
                strings = piece.strings_out
                if self.progress:
                    self.progress(index + 1, len(self.pieces), offset)
            if not changed:
                break
        else:
            log.warning("page numbers of the contents or cross-references did not settle "
                        "after %d passes", MAX_PASSES)
        for piece in self.pieces:
            warn_drifted(piece.drifted, self.places)

    def _record(self, piece: Piece, offset: int) -> None:
        seen = set()
        for number, page in enumerate(piece.pages, start=offset + 1):
            for name in page.anchors:
                if name in piece.ids and name not in seen:
                    seen.add(name)
                    self.values[name] = number

    def value(self, anchor: str, index: int, offset: int) -> int:
        """The page number of ``anchor``: as laid out, else an estimate from text size."""
        if anchor in self.values:
            return self.values[anchor]
        laid = [p for p in self.pieces if p.laid]
        per_char = (sum(len(p.pages) for p in laid) / max(1, sum(p.size for p in laid))
                    if laid else 1 / 2500)
        pages = offset
        for piece in self.pieces[index:]:
            if anchor in piece.ids:
                return pages + 1
            pages += max(1, round(piece.size * per_char))
        return max(1, offset)

    # ---- one piece -----------------------------------------------------------------

    def _lay_out(self, index: int, piece: Piece, offset: int, strings: dict) -> None:
        for attempt in range(MAX_RELAYOUTS + 1):
            document, used, strings_out = self._render(index, piece, offset, strings)
            found = drifted(document, piece.calls) if piece.calls else {}
            if not found or attempt == MAX_RELAYOUTS:
                break
            add_breaks(found, piece.breaks)  # and lay out again
            log.info("laying out again: footnotes %s drifted from their page", sorted(found))
        kept = {name for page in piece.pages for name in page.anchors}
        if any(f"fn{n}" not in kept for n in found):
            raise Unsplittable("a footnote was pushed past the last page of its part")
        piece.drifted = sorted(found)  # warned about once the book has settled
        # Only the kept pages live on (and, for the front matter, the document's
        # metadata): the rest of a layout (the parsed tree's wrapper, the prelude and
        # stub pages, the layout context) is freed before the next part is laid out.
        if index == 0:
            self.metadata = document.copy([])
        piece.laid, piece.used, piece.strings_out = True, used, strings_out
        piece.offset, piece.strings_in = offset, dict(strings)

    def _render(self, index: int, piece: Piece, offset: int, strings: dict):
        wp = self.weasyprint
        stubs: dict[int, list[str]] = {}
        for ref in piece.refs:
            stubs.setdefault(self.value(ref, index, offset), []).append(ref)
        root = Element("html", self.root.attrib)
        root.extend(self.root.findall("head"))
        body_src = self.root.find("body")
        body = Element("body", body_src.attrib)
        root.append(body)
        rules = []
        if index > 0:
            body.append(Element("div", {"class": "bookmaker-prelude"}))
            side = "recto" if offset % 2 == 1 else "verso"
            rules.append(f"html {{ break-before: {side} }} "
                         f"@page :first {{ counter-reset: page {offset} }}")
        body.extend(piece.children)
        for k, (number, names) in enumerate(sorted(stubs.items())):
            stub = Element("div", {"style": f"page: {STUB_PAGE}{k}"})
            for name in names:
                stub.append(Element("div", {"id": name}))
            body.append(stub)
            rules.append(f"@page {STUB_PAGE}{k} {{ counter-reset: page {number} }}")
        if piece.breaks:
            rules.append(", ".join(piece.breaks) + " { break-before: page }")
        extra = [wp.CSS(string="\n".join(rules), font_config=self.fonts)] if rules else []
        sheets = [*self.stylesheets, *extra]
        where = self.places.get(min(piece.calls)) if piece.calls else None
        document, context = guarded(
            lambda more: _render(self.make_html(root), [*sheets, *more], self.fonts,
                                 strings if index > 0 else {}),
            lambda: wp.CSS(string=FOOTNOTE_FALLBACK, font_config=self.fonts), where)
        self.layouts += 1
        start = 1 if index > 0 else 0
        end = len(document.pages) - len(stubs)
        pages = document.pages[start:end]
        # A footnote deferred past the part's last page lands on a stub page: that is
        # a drift (the part is laid out again), not a reason to give up the split.
        notes = {f"fn{n}" for n in piece.calls}
        for page in (*document.pages[:start], *document.pages[end:]):
            if any(name in piece.ids and name not in notes for name in page.anchors):
                raise Unsplittable("a part does not start or end on a page of its own")
        if index > 0 and not pages:
            raise Unsplittable("an empty part")
        lookups = context.target_collector.target_lookup_items
        used = {ref: number for number, names in stubs.items() for ref in names
                if ref in lookups and lookups[ref].parse_again_functions}
        strings_out = dict(strings)
        for name, by_page in context.string_set.items():
            filled = [p for p, values in by_page.items() if values and p <= end]
            if filled:
                strings_out[name] = by_page[max(filled)][-1]
        piece.pages = pages
        return document, used, strings_out

    # ---- the result ----------------------------------------------------------------

    def joined(self):
        """One document of every piece's pages, with the front matter's metadata."""
        pages = [page for piece in self.pieces for page in piece.pages]
        return self.metadata.copy(pages)


# WeasyPrint 70 can fail inside its own layout (an AttributeError in a flex item's
# baseline) when a line cannot be placed with its footnote, as footnote-policy:
# line asks; laid out again with the footnote free to move, the part comes out.
FOOTNOTE_FALLBACK = "span.footnote { footnote-policy: auto }"


def guarded(render: Callable[[list], Any], fallback: Callable[[], Any], where: Location | None):
    """``render([])``; if WeasyPrint fails inside, ``render([fallback()])``; if that fails
    too, a BookError naming where the part begins, rather than a traceback."""
    from ..errors import BookError

    try:
        return render([])
    except (BookError, MemoryError, RecursionError):
        raise
    except Exception:  # noqa: BLE001 - an error inside WeasyPrint's layout
        log.info("WeasyPrint failed laying out a part; laying it out again without "
                 "footnote-policy: line")
    try:
        return render([fallback()])
    except (BookError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001
        raise BookError(f"WeasyPrint could not lay out the part that starts here "
                        f"({type(exc).__name__}: {exc})", where,
                        hint="run with --debug for WeasyPrint's traceback; "
                             "a very long footnote or a style of the project may be the cause") from exc


def html_from_tree(root: Element, base_url: str, fetcher):
    """A ``weasyprint.HTML`` over an already parsed tree (the book is parsed once)."""
    import cssselect2
    import weasyprint

    html = weasyprint.HTML.__new__(weasyprint.HTML)
    html.base_url = weasyprint._find_base_url(root, base_url)
    html.url_fetcher = fetcher
    html.media_type = "print"
    html.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    html.etree_element = html.wrapper_element.etree_element
    return html


def parse(html: str) -> Element:
    """The book's HTML parsed as WeasyPrint parses it."""
    import tinyhtml5

    return tinyhtml5.parse(html, namespace_html_elements=False)


def _render(html, stylesheets: list, fonts, strings: dict):
    """WeasyPrint's ``HTML.render``, keeping the layout context it makes.

    The context holds what a later piece needs (the named strings at the end,
    which anchors ``target-counter`` looked up); ``strings`` are seeded as set
    on page 1, the prelude, so they stand for the pages of the parts before.
    """
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.document import Document

    made = []

    class Rendering(Document):
        @classmethod
        def _build_layout_context(cls, *args, **kwargs):
            context = super()._build_layout_context(*args, **kwargs)
            for name, value in strings.items():
                context.string_set[name][1].append(value)
            made.append(context)
            return context

    options = dict(DEFAULT_OPTIONS, stylesheets=stylesheets)
    document = Rendering._render(html, fonts, None, None, options)
    return document, made[0]
