"""The PDF laid out part by part and joined: one tagged document, right numbers, progress."""
import os
import pty
import re
import subprocess
import sys

import pypdf
import pytest
from helpers import BOOKS, copy_project, pdf_pages, squash

from bookmaker import build
from bookmaker.render import layout


def page_of_dests(path):
    reader = pypdf.PdfReader(str(path))
    names = reader.trailer["/Root"]["/Names"]["/Dests"]["/Names"]
    index = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    return {names[i]: index[names[i + 1].get_object()[0].idnum] for i in range(0, len(names), 2)}


def test_joined_pdf_has_one_structure_tree_and_links_to_the_right_pages(shipped_book):
    shipped_book = shipped_book[0]
    pdf = shipped_book.outputs["pdf"]
    reader = pypdf.PdfReader(str(pdf))
    root = reader.trailer["/Root"]
    tree = root["/StructTreeRoot"].get_object()
    [document] = tree["/K"]
    assert document.get_object()["/S"] == "/Document"
    # every page's marked content is in the one tree
    assert len(tree["/ParentTree"].get_object()["/Nums"]) // 2 >= len(reader.pages)
    pages = pdf_pages(pdf)
    dests = page_of_dests(pdf)
    for chapter in shipped_book.book.chapters:
        at = dests[chapter.id]
        assert squash(chapter.title).split()[0] in pages[at]
        # the page number printed on that page is its place in the book
        assert str(at + 1) in pages[at].split()


def test_contents_numbers_and_running_heads_cross_parts(shipped_book):
    shipped_book = shipped_book[0]
    pages = pdf_pages(shipped_book.outputs["pdf"])
    dests = page_of_dests(shipped_book.outputs["pdf"])
    contents = pages[1]
    for chapter in shipped_book.book.chapters:
        assert f"{dests[chapter.id] + 1}" in contents
    # the left running head (the book's title, set on the title page) reaches every part
    left = [p for i, p in enumerate(pages) if i % 2 == 1 and i > 2]
    assert sum(squash(shipped_book.book.title) in p for p in left) >= len(left) - len(dests)


def test_styles_needing_the_whole_book_keep_one_layout():
    root = layout.parse("<html><body><p>front</p><section id='a'>x</section></body></html>")
    assert layout.split(root, ["a"], {}, "@page { @bottom { content: counter(pages) } }") is None
    assert layout.split(root, ["b"], {}, "") is None
    [front, part] = layout.split(root, ["a"], {}, "")
    assert part.ids == {"a"} and front.refs == ()


def test_progress_on_a_terminal_only_and_not_with_quiet(tmp_path):
    project = copy_project(tmp_path / "p")

    def on_terminal(*extra):
        main, child = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "bookmaker", "build", str(project),
                                 "--format", "pdf", *extra], stdin=child, stdout=child,
                                stderr=child, close_fds=True)
        os.close(child)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=300)
        os.close(main)
        return proc.returncode, seen.decode("utf-8", "replace")

    code, shown = on_terminal()
    assert code == 0 and "laying out" in shown and "pages" in shown
    code, shown = on_terminal("--quiet")
    assert code == 0 and "laying out" not in shown and "built" not in shown
    piped = subprocess.run([sys.executable, "-m", "bookmaker", "build", str(project), "--format",
                            "pdf"], capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "laying out" not in piped.stderr


def generated_book(folder, chapters: int):
    """A book of ``chapters`` chapters made in ``folder`` by the bench's generator."""
    bench = str(BOOKS.parent.parent / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import scalebook

    return scalebook.make(folder, chapters)


@pytest.mark.parametrize("chapters", [3])
def test_generated_book_keeps_footnotes_on_their_pages(tmp_path, chapters):
    project = generated_book(tmp_path / "gen", chapters)
    result = build(project, formats=("pdf",))
    pages = pdf_pages(result.outputs["pdf"])
    for chapter in result.book.chapters:
        for excerpt in chapter.excerpts():
            tail = " ".join(excerpt.paragraphs[-1].split()[-3:])[:-1]
            shown = [i for i, p in enumerate(pages) if tail in " ".join(p.split())]
            # the footnote: the full attribution (Ann Author-1, ...) or its short form (Author-1 1950)
            call = re.compile(rf"(?<![\d.]){excerpt.number}\. (Ann )?Author-\d+\b")
            note = [i for i, p in enumerate(pages) if call.search(p)]
            assert note and shown and note[0] in shown, excerpt.number


def test_a_footnote_pushed_past_its_part_is_laid_out_again_not_given_up():
    # A footnote that no longer fits on its part's last page went to the page after,
    # a stub page of that part's layout, and the whole book fell back to one layout.
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    filler = "".join(f"<p>Line {i} of the part, long enough to be a line.</p>" for i in range(22))
    note = "A note long enough to need several lines at the foot of the page. " * 6
    html = ("<html lang='en'><head><title>T</title></head><body>"
            "<section id='front'><p id='top'>front</p></section>"
            f"<section id='a'>{filler}<p id='x1'>The quoted words"
            f"<span id='call1'><span class='fn' id='fn1'>{note}</span></span>, "
            "and <a href='#top'>a link back</a>.</p></section></body></html>")
    css = ("@page { size: 100mm 120mm; margin: 10mm } section { break-before: page } "
           "p { margin: 0; font-size: 8pt; line-height: 10pt; widows: 1; orphans: 1 } "
           ".fn { float: footnote }")
    fonts = FontConfiguration()
    root = layout.parse(html)
    pieces = layout.split(root, ["a"], {1: ("x1", "x1")}, css)
    book = layout.BookLayout(root, pieces, lambda tree: layout.html_from_tree(
        tree, "file:///", weasyprint.urls.URLFetcher()),
        [weasyprint.CSS(string=css, font_config=fonts)], fonts)
    book.run()  # raised Unsplittable before
    pages = book.joined().pages
    where = {name: i for i, page in enumerate(pages) for name in page.anchors}
    assert where["call1"] == where["fn1"]
    assert book.layouts > len(pieces)  # the part was laid out again


def lay_out_parts(html: str, css: str, part_ids: list[str]):
    """The book of ``html`` laid out part by part, and how many pages WeasyPrint made."""
    import weasyprint
    import weasyprint.layout.page as page_module
    from weasyprint.text.fonts import FontConfiguration

    made = []  # (layout, page index) of every page WeasyPrint made
    remake = page_module.remake_page

    def counting(index, context, *args):
        made.append((id(context), index))
        return remake(index, context, *args)

    page_module.remake_page = counting
    try:
        fonts = FontConfiguration()
        root = layout.parse(html)
        pieces = layout.split(root, part_ids, {}, css)
        book = layout.BookLayout(root, pieces, lambda tree: layout.html_from_tree(
            tree, "file:///", weasyprint.urls.URLFetcher()),
            [weasyprint.CSS(string=css, font_config=fonts)], fonts)
        book.run()
    finally:
        page_module.remake_page = remake
    return book, book.joined().pages, made


REFS_CSS = ("@page { size: 100mm 120mm; margin: 10mm; @bottom-center { content: counter(page) } } "
            "section { break-before: page } p { margin: 0; font: 8pt/10pt serif } "
            "a.ref::after { content: ', p. ' target-counter(attr(href), page) }")


def printed_refs(pages) -> dict[str, str]:
    """What each page says of the anchors it refers to: {anchor: 'p. N', ...}."""
    found = {}
    for page in pages:
        for box in page._page_box.descendants():
            if box.element_tag == "a::after":
                found[box.element.get("href")[1:]] = "".join(
                    t.text for t in box.descendants() if hasattr(t, "text"))
    return found


def filler(lines: int) -> str:
    return "".join(f"<p>Line {i} of the part, long enough to fill a line.</p>" for i in range(lines))


def book_html(*sections: str) -> str:
    return "<html lang='en'><head><title>T</title></head><body>" + "".join(sections) + "</body></html>"


def first_pages(pages) -> dict[str, int]:
    """The page number each anchor first appears on."""
    first: dict[str, int] = {}
    for i, page in enumerate(pages):
        for name in page.anchors:
            first.setdefault(name, i + 1)
    return first


def test_each_part_is_laid_out_once_and_later_numbers_are_printed_in_place():
    # Part a refers forward to an anchor of part c, whose page it can only guess from
    # the amount of text: part b's pages hold none, so the guess is short.  The guess has
    # as many digits as the right number, so the right one is printed in its place: no
    # part is laid out twice but the front matter (whose one-digit guesses were made
    # before any part was laid out), and no page twice within one layout (WeasyPrint's
    # own repagination made every page with a reference three times).
    html = book_html(
        "<section id='front'><p><a class='ref' href='#a'>A</a> <a class='ref' href='#c'>C</a></p>"
        "</section>",
        f"<section id='p0'>{filler(120)}</section>",
        "<section id='a'><p>See <a class='ref' href='#deep-c'>further</a>.</p></section>",
        "<section id='b'>" + "<div style='height: 90mm'></div>" * 5 + "</section>",
        f"<section id='c'>{filler(120)[:2000]}<p id='deep-c'>Deep in c.</p></section>")
    book, pages, made = lay_out_parts(html, REFS_CSS, ["p0", "a", "b", "c"])
    first, printed = first_pages(pages), printed_refs(pages)
    for anchor in ("a", "c", "deep-c"):
        assert printed[anchor] == f", p. {first[anchor]}", anchor
    assert first["deep-c"] >= 10
    assert [piece.layouts for piece in book.pieces[1:]] == [1, 1, 1, 1]
    assert book.renumbered >= 1
    assert len(made) == len(set(made))


def test_a_number_that_needs_more_room_is_laid_out_again():
    # A guess of one digit that turns out to need two cannot be put right in place:
    # the part is laid out again, and prints the right number.
    html = book_html(
        "<section id='front'><p>Front.</p></section>",
        "<section id='a'><p>See <a class='ref' href='#end'>the end</a>.</p></section>",
        "<section id='b'><p>short</p></section>",
        f"<section id='c'><p>{'word ' * 50}</p>{filler(200)}<p id='end'>The end.</p></section>")
    book, pages, _ = lay_out_parts(html, REFS_CSS, ["a", "b", "c"])
    end = first_pages(pages)["end"]
    assert end >= 10
    assert printed_refs(pages)["end"] == f", p. {end}"
    assert book.pieces[1].layouts == 2


def test_a_reference_within_one_part_gets_its_page():
    # Anchors of the same part are left to WeasyPrint's own bookkeeping, backwards and forwards.
    html = book_html(
        "<section id='front'><p>Front.</p></section>",
        f"<section id='a'><p id='top'>Top. See <a class='ref' href='#later'>later</a>.</p>"
        f"{filler(60)}<p id='later'>Later; back to <a class='ref' href='#top'>the top</a>.</p>"
        "</section>")
    book, pages, _ = lay_out_parts(html, REFS_CSS, ["a"])
    first, printed = first_pages(pages), printed_refs(pages)
    assert printed["later"] == f", p. {first['later']}" and first["later"] > first["top"]
    assert printed["top"] == f", p. {first['top']}"


def test_remembered_page_references_follow_the_pages_added():
    import pydyf

    from bookmaker.render.pdf import remembered_page_references

    remembered_page_references()
    pdf = pydyf.PDF()
    for _ in range(2):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = pdf.page_references
    assert pdf.page_references is first  # kept, not built again
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    numbers = pdf.pages["Kids"][::3]
    assert pdf.page_references == tuple(f"{n} 0 R".encode() for n in numbers) and len(numbers) == 3


def test_kept_pages_are_set_aside_from_the_collector_until_the_block_ends():
    import gc
    import weakref

    class Node:
        pass

    with layout.long_lived() as lived:
        kept = Node()
        kept.me = kept  # a cycle that lives on
        litter = Node()
        litter.me = litter  # a cycle that is garbage
        gone = weakref.ref(litter)
        del litter
        lived.settle()
        assert gone() is None  # the leftovers were collected before setting aside
        assert gc.get_freeze_count() > 0
        assert not any(o is kept for o in gc.get_objects())  # out of the collector's sight
    assert gc.get_freeze_count() == 0  # and back in it afterwards
    assert any(o is kept for o in gc.get_objects())


def test_a_program_that_froze_objects_itself_is_left_as_it_is():
    import gc

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with layout.long_lived() as lived:
            lived.settle()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_a_build_sets_each_parts_pages_aside_and_restores_the_collector(tmp_path, monkeypatch):
    import gc

    seen, books = [], []
    init = layout.BookLayout.__init__

    def counting(self, *args, **kwargs):
        init(self, *args, **kwargs)
        books.append(self)
        inner = self.settle
        self.settle = lambda: (inner(), seen.append(gc.get_freeze_count()))

    monkeypatch.setattr(layout.BookLayout, "__init__", counting)
    result = build(generated_book(tmp_path / "gen", 3), formats=("pdf",))
    [book] = books
    # once per part laid out (a drifted footnote can make one part two layouts)
    assert len(book.pieces) <= len(seen) <= book.layouts
    assert seen == sorted(seen) and seen[0] > 0  # each part's pages join those set aside
    assert gc.get_freeze_count() == 0
    assert len(pdf_pages(result.outputs["pdf"])) >= 8


def test_parts_given_up_for_one_layout_are_freed_before_it(tmp_path, monkeypatch):
    import gc
    import weakref

    from bookmaker.render import pdf

    laid, when_single = [], []
    run = layout.BookLayout.run

    def give_up(self):
        run(self)  # every part laid out and set aside, then found not to join
        laid.extend(weakref.ref(piece.pages[0]) for piece in self.pieces)
        raise layout.Unsplittable("as if a part did not start on a page of its own")

    single = pdf._single_document

    def recording(*args):
        gc.collect()
        when_single.append((gc.get_freeze_count(), sum(ref() is not None for ref in laid)))
        return single(*args)

    monkeypatch.setattr(layout.BookLayout, "run", give_up)
    monkeypatch.setattr(pdf, "_single_document", recording)
    result = build(generated_book(tmp_path / "gen", 2), formats=("pdf",))
    assert laid and when_single == [(0, 0)]  # nothing set aside, no page of the parts alive
    assert len(pdf_pages(result.outputs["pdf"])) >= 6


# Run in a fresh interpreter, so that WeasyPrint is imported there for the first time;
# every process it starts is counted, and whether its libraries work.
IMPORT_THEN_COUNT = """
import subprocess, sys
started = []
popen = subprocess.Popen.__init__
def counted(self, args, *rest, **kwargs):
    started.append(args[0] if isinstance(args, (list, tuple)) else args)
    popen(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = counted
{prepare}
from bookmaker.render.pdf import import_weasyprint
weasyprint = import_weasyprint()
from weasyprint.text.ffi import pango
print(pango.pango_version(), len(started), sorted(set(started)))
"""


def run_import(prepare: str = "") -> tuple[int, int, str]:
    done = subprocess.run([sys.executable, "-c", IMPORT_THEN_COUNT.format(prepare=prepare)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    version, count, names = done.stdout.strip().split(" ", 2)
    return int(version), int(count), names


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the search skipped is Linux's")
def test_weasyprint_is_imported_without_running_the_library_search():
    version, started, names = run_import()
    assert version >= 14400  # pango loaded and answers (1.44 is WeasyPrint's least)
    assert started == 0, names  # no ldconfig, gcc or ld


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the search skipped is Linux's")
def test_libraries_that_load_only_through_the_search_are_still_found():
    # A machine where the sonames do not load as such: every direct load fails while
    # the search is off, so the import must be done again with the search on.
    prepare = """
import ctypes.util, cffi
search, dlopen = ctypes.util.find_library, cffi.FFI.dlopen
def only_searched(self, name, *args):
    if ctypes.util.find_library is not search:
        raise OSError(f"cannot load library {name!r}")
    return dlopen(self, name, *args)
cffi.FFI.dlopen = only_searched
"""
    version, started, names = run_import(prepare)
    assert version >= 14400
    assert started > 0 and "ldconfig" in names  # the search ran the second time
