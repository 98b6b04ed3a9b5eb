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
  page of the part before (``@page bookmaker-prelude { counter-reset: page N }``
  and ``html { break-before: recto | verso }``), dropped when joining;
* the named strings (running heads) as they stood at the end of the part
  before, seeded into WeasyPrint's layout context on that prelude page;
* the page of every anchor it links to in another part (contents entries,
  "p. N" cross-references): empty *stub* anchors on the prelude page, whose
  page numbers are handed to WeasyPrint's target collector before layout.

Each part is laid out once, every page of it once: the stubs come before the
text that looks them up, their numbers are known from the start, and two
slips in WeasyPrint's bookkeeping that made it lay out again every page
showing a cross-reference are put right (:func:`untangle_missing_counters`).

Numbers of later parts are only guessed (from the amount of text) until they
have been laid out.  A guess that turns out wrong is corrected in place when
the right number takes the same room (the same digits in tabular figures,
say: :meth:`BookLayout._renumber`); else that part is laid out again.
Projects whose styles need the whole book in one layout (``counter(pages)``,
running elements), or whose parts do not start on a page of their own,
return ``None`` from :func:`split` and keep the single-document path.

The pages kept for the book are long-lived: once a part is laid out, its
leftovers are collected and what survives is moved out of the garbage
collector's sight (:func:`long_lived`), so later collections scan the part being
laid out, not every page before it.
"""
from __future__ import annotations

import gc
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping
from xml.etree.ElementTree import Element

if TYPE_CHECKING:
    from ..errors import Location

log = logging.getLogger("bookmaker")

MAX_RELAYOUTS = 3   # new layouts of one part for drifted footnotes
MAX_PASSES = 4      # passes over the book until every page number holds
PRELUDE = "bookmaker-prelude"
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
    at: dict[str, int] = field(default_factory=dict)  # anchor -> characters of text before it
    breaks: list[str] = field(default_factory=list)  # CSS selectors that start a new page
    laid: bool = False            # laid out at least once
    layouts: int = 0              # times laid out
    offset: int = -1              # pages before this piece when it was laid out
    strings_in: dict = field(default_factory=dict)
    strings_out: dict = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)  # ref -> number its layout used
    shown: dict[str, list | None] = field(default_factory=dict)  # ref -> text boxes printing it
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
        at: dict[str, int] = {}
        for child in children:
            for el in child.iter():
                if el.get("id"):
                    ids.add(el.get("id"))
                    at.setdefault(el.get("id"), size)
                if el.tag == "a" and el.get("name"):
                    ids.add(el.get("name"))
                    at.setdefault(el.get("name"), size)
                href = el.get("href") or ""
                if href.startswith("#") and len(href) > 1:
                    refs.append(href[1:])
                size += len(el.text or "") + len(el.tail or "")
        calls = {n: block for n, block in block_of.items() if f"call{n}" in ids}
        pieces.append(Piece(children, frozenset(ids),
                            tuple(dict.fromkeys(r for r in refs if r not in ids)), calls, size,
                            at=at))
    return pieces


class BookLayout:
    """Lays out the pieces of one book with shared stylesheets and fonts."""

    def __init__(self, root: Element, pieces: list[Piece], make_html, stylesheets: list,
                 fonts, progress: Progress | None = None,
                 places: Mapping[int, Location] | None = None,
                 settle: Callable[[], None] = lambda: None) -> None:
        import weasyprint

        self.weasyprint = weasyprint
        self.root = root
        self.pieces = pieces
        self.make_html = make_html      # ElementTree root -> weasyprint.HTML
        self.stylesheets = stylesheets
        self.fonts = fonts
        self.progress = progress
        self.places = places or {}  # excerpt number -> where it is written, named in warnings
        self.settle = settle  # called once a part is laid out (see long_lived)
        self.values: dict[str, int] = {}  # anchor -> page number, as last laid out
        self.layouts = 0
        self.renumbered = 0  # pieces whose numbers were changed in place, without a layout
        self.metadata = None  # an empty copy of the front matter's document
        self.rtl = root.get("dir") == "rtl"

    # ---- the passes ----------------------------------------------------------------

    def run(self) -> None:
        """Lay out every piece until all page numbers and running heads hold."""
        for _ in range(MAX_PASSES):
            changed = False
            offset, strings = 0, {}
            for index, piece in enumerate(self.pieces):
                moved = {a: number for a, v in piece.used.items()
                         if (number := self.value(a, index, offset)) != v} if piece.laid else {}
                if (not piece.laid or piece.offset != offset or piece.strings_in != strings
                        or (moved and not self._renumber(piece, moved))):
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

    def _renumber(self, piece: Piece, moved: dict[str, int]) -> bool:
        """Print the new numbers of ``moved`` references in the laid-out pages of
        ``piece``, if each takes exactly the room of the old one (the same number of
        digits in tabular figures, say); else False, and the piece is laid out again.
        A changed number the layout never printed, or printed where this cannot
        find it, also means a new layout."""
        plans = []
        for ref, number in moved.items():
            boxes = piece.shown.get(ref)
            if not boxes:
                return False
            for box in boxes:
                text = renumbered(box.text, piece.used[ref], number)
                if text is None or not same_width(box.text, text, box.style):
                    return False
                plans.append((box, text))
        for box, text in plans:
            box.text = text
            box.pango_layout.text = text  # what the box is drawn from
        piece.used.update(moved)
        self.renumbered += 1
        return True

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
        # Pages per character of the parts laid out so far; not the front matter's,
        # whose title page and contents are pages of little text.
        laid = [p for p in self.pieces[1:] if p.laid]
        per_char = (sum(len(p.pages) for p in laid) / max(1, sum(p.size for p in laid))
                    if laid else 1 / 2500)
        pages = offset
        for piece in self.pieces[index:]:
            if anchor in piece.ids:  # as far into its part as its text is (a list of sources)
                return pages + 1 + int(piece.at.get(anchor, 0) * per_char)
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
        del document  # its prelude pages and layout context: garbage for settle() to collect
        self.settle()

    def _render(self, index: int, piece: Piece, offset: int, strings: dict):
        wp = self.weasyprint
        seed = {ref: self.value(ref, index, offset) for ref in piece.refs}
        root = Element("html", self.root.attrib)
        root.extend(self.root.findall("head"))
        body_src = self.root.find("body")
        body = Element("body", body_src.attrib)
        root.append(body)
        rules = []
        prelude = index > 0 or bool(seed)
        if prelude:
            # The anchors of other parts come first, as empty stubs on the prelude page,
            # so that every lookup finds its target already built; their page numbers
            # are given to WeasyPrint before it lays out (see render_document).
            first = Element("div", {"id": PRELUDE, "style": f"page: {PRELUDE}"})
            for ref in seed:
                first.append(Element("div", {"id": ref}))
            body.append(first)
            side = "recto" if offset % 2 == 1 else "verso"
            rules.append(f"html {{ break-before: {side} }} "
                         f"@page {PRELUDE} {{ counter-reset: page {offset} }}")
        body.extend(piece.children)
        if piece.breaks:
            rules.append(", ".join(piece.breaks) + " { break-before: page }")
        extra = [wp.CSS(string="\n".join(rules), font_config=self.fonts)] if rules else []
        sheets = [*self.stylesheets, *extra]
        where = self.places.get(min(piece.calls)) if piece.calls else None
        document, context = guarded(
            lambda more: render_document(self.make_html(root), [*sheets, *more], self.fonts,
                                 strings if index > 0 else {}, seed),
            lambda: wp.CSS(string=FOOTNOTE_FALLBACK, font_config=self.fonts), where)
        self.layouts += 1
        piece.layouts += 1
        start = 1 + next(i for i, page in enumerate(document.pages)
                         if PRELUDE in page.anchors) if prelude else 0
        pages = document.pages[start:]
        for page in document.pages[:start]:
            if any(name in piece.ids for name in page.anchors):
                raise Unsplittable("a part does not start on a page of its own")
        if index > 0 and not pages:
            raise Unsplittable("an empty part")
        # The references whose page number the layout printed (target-counter):
        # the part is laid out again if one of those numbers turns out other.
        looked_up = {name for item in context.target_collector.counter_lookup_items.values()
                     for name, counters in item.missing_target_counters.items()
                     if "page" in counters}
        used = {ref: number for ref, number in seed.items() if ref in looked_up}
        piece.shown = shown_numbers(pages, used)
        strings_out = dict(strings)
        for name, by_page in context.string_set.items():
            filled = [p for p, values in by_page.items() if values]
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


class LongLived:
    """What :func:`long_lived` yields: ``settle()`` once a part is laid out,
    ``release()`` when the parts laid out so far are dropped."""

    def __init__(self, active: bool) -> None:
        self.active = active

    def settle(self) -> None:
        """Collect the garbage there is and set every object left aside."""
        if self.active:
            gc.collect()
            gc.freeze()

    def release(self) -> None:
        """Put what was set aside back in the collector's sight, to be freed."""
        if self.active:
            gc.unfreeze()


@contextmanager
def long_lived():
    """Yields a :class:`LongLived`, whose ``settle()`` sets the objects there are
    aside from later garbage collections, until the block ends (or ``release()``).

    CPython's collector scans every object it tracks now and then.  The pages of
    a long book are millions of objects that live until the PDF is written: left
    in its sight, they made the collections a quarter of a 900-page build, and the
    cost of a page grow with the pages before it.  A program that has set objects
    aside itself (``gc.freeze``) is left as it is: ``settle`` does nothing.
    """
    kept = LongLived(active=not gc.get_freeze_count() and gc.isenabled())
    try:
        yield kept
    finally:
        kept.release()


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


def render_document(html, stylesheets: list, fonts, strings: dict, seed: Mapping[str, int]):
    """WeasyPrint's ``HTML.render``, keeping the layout context it makes.

    The context holds what a later piece needs (the named strings at the end,
    which anchors ``target-counter`` looked up); ``strings`` are seeded as set
    on page 1, the prelude, so they stand for the pages of the parts before.
    ``seed`` gives the page number of each stub anchor (of another part): it is
    what ``target-counter`` prints for it from the start, and the stub's own
    page (the prelude) never overrides it.  WeasyPrint would otherwise learn
    the number only when it lays out the stub's page, and lay out again every
    page that printed it.
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
            targets = context.target_collector
            for name, number in seed.items():
                item = targets.target_lookup_items.get(name)
                if item is not None:
                    item.cached_page_counter_values = {"page": [number]}
            cache = targets.cache_target_page_counters

            def cache_unless_seeded(name, *args):
                if name not in seed:
                    cache(name, *args)

            targets.cache_target_page_counters = cache_unless_seeded
            check = targets.check_pending_targets

            def check_then_untangle():
                check()
                untangle_missing_counters(targets)

            targets.check_pending_targets = check_then_untangle  # called once boxes are built
            made.append(context)
            return context

    options = dict(DEFAULT_OPTIONS, stylesheets=stylesheets)
    document = Rendering._render(html, fonts, None, None, options)
    return document, made[0]


def target_names(box) -> list[str | None]:
    """The anchors the ``target-counter()`` values of ``box``'s content name,
    resolved as WeasyPrint's ``TargetCollector.lookup_target`` resolves them."""
    from weasyprint.css.targets import anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    names = []
    for kind, value in box.style["content"]:
        if kind not in ("target-counter()", "target-counters()"):
            continue
        anchor = value[0]
        if anchor[0] == "attr()":
            name, type_, fallback = anchor[1]
            attr = box.element.get(name, fallback)
            anchor = (("string", attr) if type_ == "string"
                      else ("url", get_url_tuple(attr, box.style.base_url)))
        names.append(anchor_name_from_token(anchor))
    return names


def shown_numbers(pages: list, used: Mapping[str, int]) -> dict[str, list | None]:
    """For each reference of ``used``, the laid-out text boxes that print its page
    number, or None where one cannot be changed in place (not one decimal
    ``target-counter`` in the content, or the number not found in its text)."""
    from weasyprint.formatting_structure.boxes import TextBox

    found: dict[str, list | None] = {}
    for box, names in counter_boxes(pages):
        ref = names[0] if len(names) == 1 else None
        if ref not in used or found.get(ref, []) is None:
            continue
        decimal = all(value[-1] == "decimal" for kind, value in box.style["content"]
                      if kind == "target-counter()")
        texts = [t for t in box.descendants() if isinstance(t, TextBox)
                 and renumbered(t.text, used[ref], used[ref]) is not None]
        found[ref] = [*found.get(ref, []), *texts] if decimal and len(texts) == 1 else None
    return found


def counter_boxes(pages: list):
    """Each laid-out box of ``pages`` whose content prints a ``target-counter()``,
    with the anchors it names (:func:`target_names`)."""
    from weasyprint.formatting_structure.boxes import TextBox

    for page in pages:
        for box in page._page_box.descendants():
            content = box.style["content"]
            if (box.element is None or isinstance(box, TextBox) or not isinstance(content, tuple)
                    or not any(kind == "target-counter()" for kind, _ in content)):
                continue
            yield box, target_names(box)


def renumbered(text: str, old: int, new: int) -> str | None:
    """``text`` with its one run of digits, ``old``, made ``new``; None if it has
    no such run or more than one."""
    runs = re.findall(r"\d+", text)
    if runs != [str(old)]:
        return None
    return re.sub(r"\d+", str(new), text)


def same_width(old: str, new: str, style) -> bool:
    """Whether the two strings take the same room set in ``style`` (within 0.001 px)."""
    from weasyprint.text.line_break import Layout, line_size

    widths = []
    for text in (old, new):
        layout = Layout(style)
        layout.set_text(text)
        widths.append(line_size(layout.get_first_line()[0], style)[0])
        layout.deactivate()
    return abs(widths[0] - widths[1]) < 1e-3


def untangle_missing_counters(targets) -> None:
    """Repair two slips of WeasyPrint 70's bookkeeping of ``target-counter`` boxes.

    ``compute_content_list`` files a box's missing target counters under the
    name of the *unresolved* token, which for ``target-counter(attr(href), page)``
    is ``None``, so the news that a target's page is known reaches no box; and it
    rebinds its list of the box's own missing counters to that list, so the box
    seems to show ``counter(page)``.  By luck the second slip mends the first: every
    page with a cross-reference is laid out three times over (again because its
    "own" page counter is new, and again because ``pages`` changed after the first
    loop), and so picks up its targets' numbers.  Here the targets are filed under
    the anchor names WeasyPrint's ``lookup_target`` resolves, and a box keeps only
    the counters its ``content`` names itself: a page is laid out again only when
    a target it shows moved, and the layout knows which anchors each part shows.
    """
    for (box, token), item in targets.counter_lookup_items.items():
        content = box.style["content"]
        if token != "content" or not isinstance(content, tuple):
            continue
        if None in item.missing_target_counters:
            counters = item.missing_target_counters.pop(None)
            for name in target_names(box):
                if name is not None:
                    item.missing_target_counters.setdefault(name, list(counters))
        own = {value[0] for kind, value in content if kind in ("counter()", "counters()")}
        item.missing_counters = [name for name in item.missing_counters if name in own]
