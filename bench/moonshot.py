#!/usr/bin/env python3
"""Issue 13's moonshot, measured: the print PDF laid out on two cores, merged into one tagged PDF.

    python bench/moonshot.py --chapters 50 [--runs 3] [--src DIR] [--keep DIR]

A generated book (bench/scalebook.py) is turned into the HTML and stylesheets
bookmaker gives WeasyPrint (bench.py's ``bare_inputs``), cut at its parts as
``layout.split`` cuts it, and built three ways, each in a fresh process, the
three interleaved run by run (median of ``--runs``, wall and CPU time):

  bare     WeasyPrint's own ``HTML.render().write_pdf`` on the whole HTML (PDF/UA-1)
  single   ``layout.BookLayout`` part by part, joined with ``Document.copy``, one write
  two      two forked workers; each lays out a contiguous half of the parts (by text
           size) and writes its own PDF/UA-1 file; the parent merges them (pikepdf)

The second worker cannot know its first page number (nor the running heads it
inherits, nor the page of any anchor in the other half) before the first has
laid its half out, and WeasyPrint's laid-out pages cannot cross a process
boundary (Pango objects).  So each worker lays out with estimates, reports
its page counts and the pages of its anchors, and gets back the true numbers;
then it corrects its pages *in place*, before drawing: it shifts a page to the
other side when the first page number's parity was wrong (the left and right
pages have the same measure; the content is moved by the margin difference and
the page takes the other side's @page style), builds the margin boxes again
(page numbers, running heads) from WeasyPrint's own page states with the page
counter shifted, and rewrites each ``target-counter`` number whose text keeps
its width.  A part whose number would change width, or whose page measure
differs between sides, is laid out again.  The rounds repeat until no page
count or anchor moves.  Links to anchors in the other half are kept by giving
each worker's document a stand-in anchor, dropped when merging.

The merge keeps ONE structure tree: the second file's pages are appended (qpdf
copies them and, with the same copier, the struct elements, whose /Pg then
point at the appended pages); its /Document element's kids join the first
file's /Document; its /StructParents and the annotations' /StructParent are
shifted past the first file's parent-tree keys and its /ParentTree entries
appended under the shifted keys; struct element /IDs (table headers) and the
/Headers naming them are prefixed so they stay unique; the named destinations
are merged taking each name from the file that owns the anchor; the outline's
top-level items are chained after the first file's.

The checks (printed after the table; tests/test_moonshot.py asserts the merge's
part of them on two small halves rendered apart):
qpdf --check; every marked-content id of every page maps through the parent
tree to a struct element that lists it and whose page is that page; every
struct element's /Pg is a page of the file and its /P its parent; every link
annotation's parent-tree entry is the Link element that holds its OBJR; every
internal link resolves, to the same page as in the single-process PDF; the
outline (titles, levels, target pages) and the text of every page (pdftotext)
equal the single-process PDF's, and so does its rendering, page by page (pdftoppm)
and, up to 200 pages, ``pdfinfo -struct-text``; pdffonts, pdfinfo -dests.

What it found (2 cores shared with other sessions; load noted per run; medians of 3
with the lead's single-pass layout of 2 Dec 2026 via --src):

  (bare WeasyPrint's page count is lower: it leaves footnotes off their excerpts' pages.)

  | book | bare WeasyPrint | single process | two processes | two / single |
  |---|---|---|---|---|
  | 50 chapters, 145 pages (load 1.2-2.0) | 56.9 s (1.00x) | 20.6 s (0.36x) | 16.9 s (0.30x) | 0.82 |
  | 200 chapters, 576 pages (load 1.8-5.5) | 177.9 s (1.00x) | 79.0 s (0.44x) | 44.9 s (0.25x) | 0.57 |

  Under the heavier load of an earlier set (4-8: the full suite ran beside it) two
  processes gained little or lost (50: 22.0 s against 20.0 s single; 200: 78.6 s
  against 91.8 s); in its one run at load 2, 33.8 s against 63.8 s.  CPU time of
  the two-process build is that of the single one within noise: the estimates,
  in-place corrections (1-2.6 s), the second write and the merge (0.5 s at 145
  pages, 1.3-2 s at 576) cost little; the serial parts are interpreter start-up,
  the parent's calibration (front matter and first chapter, 1.2-4 s) and the merge.

  The merged PDF keeps one structure tree: qpdf --check clean; every page's
  marked content and every link annotation reach it through the one parent tree;
  ``pdfinfo -struct-text`` (object numbers aside) equals the single-process PDF's;
  every page renders pixel for pixel as the single-process PDF's (pdftoppm), so its
  page numbers, running heads, contents and "p. N" numbers are right; every link
  resolves, to the same page; the outline is the same (titles, levels, pages).
  In practice the estimates were far off (second half guessed to start after page
  58, truly 75; 275 against 298 at 200 chapters), so the second worker moved 70
  (278) pages to the other side and rebuilt their margin boxes, the workers
  rewrote about 250 (1000) printed numbers in place, and 2 (1) parts whose numbers
  changed width were laid out again; one correction round sufficed every time.

  What it costs or breaks: each half embeds its own font subsets (12 fonts
  instead of 6, retagged so no two subsets share a tag; the file is larger:
  807 against 675 KB at 145 pages, 2649 against 2401 KB at 576); each worker keeps every part's layout
  context for the corrections (about 150 MB at 145 pages, 400 MB at 576, in each
  of two processes); it leans on WeasyPrint internals (page_maker states,
  make_margin_boxes, style_for) beyond what layout.py already does, and assumes
  left and right pages of one measure (else a part is laid out again); fork only
  (no Windows).  Not the merge's doing, and the same in bare WeasyPrint's PDF:
  WeasyPrint 70 tags the margin boxes (page numbers, running heads) as marked
  content under /NonStruct elements that no /K lists (231 such MCIDs in the
  single-process and merged PDFs of 145 pages, 209 in bare WeasyPrint's of 134),
  where PDF/UA wants artifacts.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable


def _use_src(argv: list[str]) -> None:
    """Put ``--src DIR`` (another checkout's src/, e.g. the lead's layout) first on the path."""
    if "--src" in argv:
        src = argv[argv.index("--src") + 1]
        sys.path.insert(0, str(Path(src).resolve()))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(Path(src).resolve()), *filter(None, [os.environ.get("PYTHONPATH")])])


# ---- inputs ----------------------------------------------------------------------

def prepare(project: Path, tmp: Path) -> Path:
    """The book's HTML, stylesheets, part ids and footnote blocks, as a JSON file."""
    sys.path.insert(0, str(HERE))
    import bench
    from bookmaker.files import ProjectFiles
    from bookmaker.loader import load_book
    from bookmaker.render.html import RenderedBook
    from bookmaker.render.pdf import blocks_of

    html, sheets = bench.bare_inputs(project, tmp)
    files = ProjectFiles(project)
    book = load_book(project, files)
    rendered = RenderedBook(book, files)
    prep = {"html": str(html), "base": project.resolve().as_uri() + "/",
            "conf": sheets[0], "sheets": sheets[1:],
            "parts": [p.id for p in rendered.parts("pdf")],
            "blocks": {str(n): list(b) for n, b in blocks_of(book).items()}}
    path = tmp / f"{project.name}-prep.json"
    path.write_text(json.dumps(prep), encoding="utf-8")
    return path


class Inputs:
    """What every way of building shares: fonts, stylesheets, the parsed and cut book."""

    def __init__(self, prep_path: str) -> None:
        prep = json.loads(Path(prep_path).read_text(encoding="utf-8"))
        os.environ["FONTCONFIG_FILE"] = prep["conf"]
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        from bookmaker.render import layout

        self.layout = layout
        self.prep = prep
        self.html_text = Path(prep["html"]).read_text(encoding="utf-8")
        self.fonts = FontConfiguration()
        texts = [Path(s).read_text(encoding="utf-8") for s in prep["sheets"]]
        self.css = [weasyprint.CSS(string=t, base_url=s, font_config=self.fonts)
                    for t, s in zip(texts, prep["sheets"])]
        self.style_text = "\n".join(texts)
        self.base = prep["base"]

    def cut(self):
        layout = self.layout
        root = layout.parse(self.html_text)
        blocks = {int(n): tuple(b) for n, b in self.prep["blocks"].items()}
        pieces = layout.split(root, self.prep["parts"], blocks, self.style_text)
        if pieces is None:
            raise SystemExit("moonshot: this book cannot be laid out part by part")
        return root, pieces

    def make_html(self, tree):
        return self.layout.html_from_tree(tree, self.base, None)


# ---- the three ways ---------------------------------------------------------------

def run_bare(inputs: Inputs, out: str) -> dict:
    import weasyprint

    t = time.perf_counter()
    doc = weasyprint.HTML(string=inputs.html_text, base_url=inputs.base).render(
        stylesheets=inputs.css, font_config=inputs.fonts)
    t1 = time.perf_counter()
    doc.write_pdf(out, pdf_variant="pdf/ua-1")
    return {"pages": len(doc.pages), "layout": t1 - t, "write": time.perf_counter() - t1}


def run_single(inputs: Inputs, out: str) -> dict:
    layout = inputs.layout
    t = time.perf_counter()
    root, pieces = inputs.cut()
    book = layout.BookLayout(root, pieces, inputs.make_html, inputs.css, inputs.fonts)
    book.run()
    doc = book.joined()
    t1 = time.perf_counter()
    doc.write_pdf(out, pdf_variant="pdf/ua-1")
    return {"pages": len(doc.pages), "layout": t1 - t, "write": time.perf_counter() - t1,
            "layouts": book.layouts}


def balance(pieces, workers: int = 2) -> list[tuple[int, int]]:
    """Contiguous ranges of pieces with about equal text each (the front matter counts
    as its text too: its contents are short lines, its title page nearly empty)."""
    sizes = [max(1, p.size) for p in pieces]
    total, ranges, lo, acc = sum(sizes), [], 0, 0
    for i, size in enumerate(sizes):
        acc += size
        if len(ranges) < workers - 1 and acc >= total * (len(ranges) + 1) / workers:
            ranges.append((lo, i + 1))
            lo = i + 1
    ranges.append((lo, len(pieces)))
    return ranges


def estimates(pieces, laid: int, values: dict, rate: float) -> tuple[list[int], dict[str, int]]:
    """Page offsets of the pieces and pages of every anchor: as laid out for the first
    ``laid`` pieces (``values``), else from text size at ``rate`` characters a page
    (every piece starts a page, so it takes a whole number of them)."""
    offsets, guessed, pages = [], dict(values), 0
    for index, piece in enumerate(pieces):
        offsets.append(pages)
        if index < laid:
            pages += len(piece.pages)
            continue
        for name in piece.ids:
            guessed[name] = pages + 1 + int(piece.at.get(name, 0) / rate)
        pages += max(1, math.ceil(piece.size / rate))
    return offsets, guessed


CALIBRATE = 2  # pieces the parent lays out before forking: the front matter and a chapter


def run_two(inputs: Inputs, out: str) -> dict:
    import multiprocessing as mp

    t = time.perf_counter()
    root, pieces = inputs.cut()
    ranges = balance(pieces)
    # The parent lays out the front matter and the first chapter (both the first
    # worker's; it inherits them with the fork): the front matter's page count is
    # then exact, and the chapter gives the characters per page of the estimates.
    book = _make_part_layout(inputs.layout)(inputs.layout, root, pieces, inputs.make_html,
                                            inputs.css, inputs.fonts)
    offset, strings = 0, {}
    calibrate = min(CALIBRATE, ranges[0][1])
    for index in range(calibrate):
        book._lay_out(index, pieces[index], offset, strings)
        book._record(pieces[index], offset)
        offset += len(pieces[index].pages)
        strings = pieces[index].strings_out
    sample = pieces[calibrate - 1] if calibrate > 1 else None
    rate = (sample.size / max(0.5, len(sample.pages) - 0.5)) if sample else 2500.0
    offsets, guessed = estimates(pieces, calibrate, book.values, rate)
    t_calibrated = time.perf_counter()
    ctx = mp.get_context("fork")
    tmp = Path(out).with_suffix("")
    parts = [f"{tmp}.part{k}.pdf" for k in range(len(ranges))]
    conns, procs = [], []
    for k, (lo, hi) in enumerate(ranges):
        mine, theirs = ctx.Pipe()
        first = calibrate if k == 0 else lo  # the first pieces are laid out already
        proc = ctx.Process(target=worker, args=(theirs, book, lo, first, hi, offsets[first],
                                                strings if k == 0 else {}, guessed, parts[k]))
        proc.start()
        conns.append(mine)
        procs.append(proc)
    reports = [c.recv() for c in conns]
    t_laid = time.perf_counter()
    rounds = 0
    while True:
        # The true numbers: pieces follow one another; each worker's anchors by page.
        start, values, strings, msgs = 0, {}, {}, []
        for (lo, hi), rep in zip(ranges, reports):
            msgs.append({"offset": start, "strings": strings})
            for name, rel in rep["anchors"].items():
                values.setdefault(name, start + rel + 1)
            start += sum(rep["pages"])
            strings = rep["strings_out"]
        stable = rounds > 0 and all(not r["changed"] for r in reports)
        if stable or rounds == 4:
            break
        rounds += 1
        for conn, msg in zip(conns, msgs):
            conn.send({"write": False, "values": values, **msg})
        reports = [c.recv() for c in conns]
    t_fixed = time.perf_counter()
    for conn in conns:
        conn.send({"write": True})
    done = [c.recv() for c in conns]
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"moonshot: a worker failed ({proc.exitcode})")
    t_written = time.perf_counter()
    merge(parts, out, [set(r["anchors"]) for r in reports])
    t_merged = time.perf_counter()
    for part in parts:
        os.unlink(part)
    return {"pages": start, "ranges": ranges, "rounds": rounds, "chars_per_page": round(rate),
            "calibrate": t_calibrated - t, "layout": t_laid - t_calibrated, "fix": t_fixed - t_laid, "write": t_written - t_fixed,
            "merge": t_merged - t_written,
            "workers": done,
            "offset_guess": offsets[ranges[1][0]] if len(ranges) > 1 else 0,
            "offset_true": sum(reports[0]["pages"])}


# ---- a worker ----------------------------------------------------------------------

def worker(conn, book, lo: int, first: int, hi: int, offset: int, strings: dict,
           guessed: dict, out: str) -> None:
    """Lay out pieces ``first`` to ``hi`` (those from ``lo`` are this worker's), then
    correct them with the true numbers until they hold, then write them as one PDF."""
    pieces = book.pieces
    times = {"layout": 0.0, "fix": 0.0, "write": 0.0}
    t = time.perf_counter()
    book.values = {k: v for k, v in guessed.items()
                   if k in book.values or not any(k in p.ids for p in pieces[lo:hi])}
    for index in range(first, hi):
        book._lay_out(index, pieces[index], offset, strings)
        book._record(pieces[index], offset)
        offset += len(pieces[index].pages)
        strings = pieces[index].strings_out
    times["layout"] = time.perf_counter() - t
    conn.send(book.report(lo, hi, changed=True))
    stats = {"relaid": 0, "patched_numbers": 0, "resided": 0, "margins": 0}
    while True:
        msg = conn.recv()
        if msg["write"]:
            break
        t = time.perf_counter()
        offset, strings, values = msg["offset"], msg["strings"], msg["values"]
        before = book.report(lo, hi)
        book.values = dict(values)
        for index in range(lo, hi):
            piece = pieces[index]
            if not book.fix(index, offset, strings, values, stats):
                stats["relaid"] += 1
                book._lay_out(index, piece, offset, strings)
            offset += len(piece.pages)
            strings = piece.strings_out
        after = book.report(lo, hi)
        changed = (before["pages"], before["anchors"]) != (after["pages"], after["anchors"])
        times["fix"] += time.perf_counter() - t
        conn.send({**after, "changed": changed})
    t = time.perf_counter()
    pages = [page for piece in pieces[lo:hi] for page in piece.pages]
    own = {name for page in pages for name in page.anchors}
    missing = {target for page in pages for kind, target, _, _ in page.links
               if kind == "internal" and target not in own}
    for name in sorted(missing):  # stand-ins, so that WeasyPrint keeps the links
        pages[0].anchors[name] = (0, 0, 0, 0)
    document = book.kept[lo][0].copy(pages)
    document.write_pdf(out, pdf_variant="pdf/ua-1")
    times["write"] = time.perf_counter() - t
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send({**times, **stats, "cpu": usage.ru_utime + usage.ru_stime,
               "rss_mb": usage.ru_maxrss / 1024, "pieces": hi - lo, "pages": len(pages)})
    conn.close()


def _make_part_layout(layout):
    class PartLayout(layout.BookLayout):
        """The book's layout for a range of its pieces, keeping each piece's layout
        context and HTML so that its pages can be corrected in place."""

        def __init__(self, layout_module, *args) -> None:
            super().__init__(*args)
            self.mod = layout_module
            self.kept: dict[int, tuple] = {}  # index -> (document, context, html, start)

        def _lay_out(self, index, piece, offset, strings):
            mod, made, htmls = self.mod, [], []
            real_render, real_html = mod.render_document, self.make_html

            def render(*args, **kwargs):
                made.append(real_render(*args, **kwargs))
                return made[-1]

            def make_html(tree):
                htmls.append(real_html(tree))
                return htmls[-1]

            mod.render_document, self.make_html = render, make_html
            try:
                super()._lay_out(index, piece, offset, strings)
            finally:
                mod.render_document, self.make_html = real_render, real_html
            document, context = made[-1]
            self.kept[index] = (document, context, htmls[-1],
                                len(document.pages) - len(piece.pages))

        def report(self, lo, hi, changed=False):
            anchors, base = {}, 0
            for piece in self.pieces[lo:hi]:
                for k, page in enumerate(piece.pages):
                    for name in page.anchors:
                        if name in piece.ids:
                            anchors.setdefault(name, base + k)
                base += len(piece.pages)
            return {"pages": [len(p.pages) for p in self.pieces[lo:hi]], "anchors": anchors,
                    "strings_out": self.pieces[hi - 1].strings_out, "changed": changed}

        def fix(self, index, offset, strings_in, values, stats) -> bool:
            """Correct the laid-out pages of one piece in place; False if it must be
            laid out again."""
            piece = self.pieces[index]
            document, context, html, start = self.kept[index]
            delta = offset - piece.offset
            heads = index > 0 and strings_in != piece.strings_in
            if heads:  # the running heads the piece starts with, as seeded on its prelude
                for name in set(strings_in) | set(piece.strings_in):
                    context.string_set[name][1] = (
                        [strings_in[name]] if name in strings_in else [])
            out = dict(strings_in)
            for name, by_page in context.string_set.items():
                filled = [p for p, found in by_page.items() if found and p > start]
                if filled:
                    out[name] = by_page[max(filled)][-1]
            plans = renumber_plans(self.mod, piece.pages, values)
            if plans is None:
                return False
            if delta or heads:
                from weasyprint.document import Page

                for j in range(start, len(document.pages)):
                    box = document.pages[j]._page_box
                    number = context.page_maker[j + 1][3][1]["page"][-1] + delta
                    side = "right" if (number % 2 == 1) != self.rtl else "left"
                    if box.page_type.side != side:
                        if not reside(context, html, box, side):
                            return False
                        stats["resided"] += 1
                    remargin(context, box, j, delta)
                    stats["margins"] += 1
                for box, text in plans:
                    box.text = box.pango_layout.text = text
                stats["patched_numbers"] += len(plans)
                for j in range(start, len(document.pages)):
                    document.pages[j] = Page(document.pages[j]._page_box)
                piece.pages = document.pages[start:]
            else:
                for box, text in plans:
                    box.text = box.pango_layout.text = text
                stats["patched_numbers"] += len(plans)
            piece.offset, piece.strings_in, piece.strings_out = offset, dict(strings_in), out
            self._record(piece, offset)
            return True

    return PartLayout


def renumber_plans(layout, pages, values) -> list | None:
    """(text box, new text) for every printed ``target-counter`` page number that is not
    its anchor's true page; None if one cannot be changed in place (its width would
    change, or its text is not one run of digits)."""
    from weasyprint.formatting_structure.boxes import TextBox

    plans = []
    for box, names in layout.counter_boxes(pages):
        if len(names) != 1 or names[0] not in values:
            continue
        texts = [t for t in box.descendants()
                 if isinstance(t, TextBox) and re.search(r"\d", t.text)]
        if len(texts) != 1:
            return None
        old = texts[0].text
        runs = re.findall(r"\d+", old)
        if len(runs) != 1:
            return None
        if int(runs[0]) == values[names[0]]:
            continue
        new = re.sub(r"\d+", str(values[names[0]]), old)
        if not layout.same_width(old, new, texts[0].style):
            return None
        plans.append((texts[0], new))
    return plans


def reside(context, html, box, side: str) -> bool:
    """Move a laid-out page to the other side: its @page style, margins and content
    position; False if the two sides' page areas differ in size (then lay out again)."""
    from weasyprint.formatting_structure.boxes import MarginBox
    from weasyprint.layout.page import page_height, page_width, set_page_type_computed_styles
    from weasyprint.layout.percent import resolve_percentages

    new_type = box.page_type._replace(side=side)
    set_page_type_computed_styles(new_type, html, context.style_for)
    style = context.style_for(new_type)
    style["overflow"] = box.style["overflow"]
    x0, y0, width, height = box.content_box_x(), box.content_box_y(), box.width, box.height
    old_type, old_style = box.page_type, box.style
    box.page_type, box.style = new_type, style
    resolve_percentages(box, style["size"])
    box.position_x = box.position_y = 0
    page_width(box, context, style["size"][0])
    page_height(box, context, style["size"][1])
    if abs(box.width - width) > 1e-6 or abs(box.height - height) > 1e-6:
        box.page_type, box.style = old_type, old_style
        return False
    dx, dy = box.content_box_x() - x0, box.content_box_y() - y0
    for child in box.children:
        if not isinstance(child, MarginBox):
            child.translate(dx, dy)
    return True


def remargin(context, box, index: int, delta: int) -> None:
    """Build the margin boxes of page ``index`` again, its page counter shifted by ``delta``."""
    from weasyprint.formatting_structure.boxes import MarginBox
    from weasyprint.layout.background import layout_backgrounds
    from weasyprint.layout.page import make_margin_boxes

    state = copy.deepcopy(context.page_maker[index + 1][3])
    counters = state[1]
    counters["page"] = [value + delta for value in counters["page"]]
    context.current_page = index + 1
    kept = [child for child in box.children if not isinstance(child, MarginBox)]
    box.children = tuple([*kept, *make_margin_boxes(context, box, state)])
    layout_backgrounds(box, context.get_image_from_uri)


# ---- the merge ---------------------------------------------------------------------

def merge(paths: list[str], out: str, owners: list[set[str]]) -> None:
    """One PDF of the files at ``paths``, in order, with one structure tree, parent
    tree, set of named destinations (each from the file in ``owners`` that has it)
    and outline."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, NameTree

    base = pikepdf.open(paths[0])
    tree = base.Root.StructTreeRoot
    document = tree.K[0]
    nums = tree.ParentTree.Nums
    next_key = max(int(nums[i]) for i in range(0, len(nums), 2)) + 1
    dests = {name: dest for name, dest in NameTree(base.Root.Names.Dests).items()
             if name in owners[0]}
    for n, (path, owned) in enumerate(zip(paths[1:], owners[1:]), start=1):
        other = pikepdf.open(path)

        def copied(obj):
            if isinstance(obj, pikepdf.Object) and obj.is_indirect:
                return base.copy_foreign(obj)
            if isinstance(obj, Array):
                return Array([copied(x) for x in obj])
            if isinstance(obj, Dictionary):
                return Dictionary({k: copied(v) for k, v in obj.items()})
            return obj

        prefix_ids(other.Root.StructTreeRoot, f"part{n}-")
        retag_fonts(other, n)
        first = len(base.pages)
        with warnings.catch_warnings():  # the named destinations are merged below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            base.pages.extend(other.pages)  # pages first: the struct elements' /Pg map onto them
        shift = next_key
        for page in base.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + shift
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + shift
        for kid in other.Root.StructTreeRoot.K[0].K:
            new = copied(kid)
            if isinstance(new, Dictionary) and "/P" in new:
                new.P = document
            document.K.append(new)
        theirs = other.Root.StructTreeRoot.ParentTree.Nums
        for i in range(0, len(theirs), 2):
            nums.append(int(theirs[i]) + shift)
            nums.append(copied(theirs[i + 1]))
            next_key = max(next_key, int(theirs[i]) + shift + 1)
        for name, dest in NameTree(other.Root.Names.Dests).items():
            if name in owned and name not in dests:
                dests[name] = copied(dest)
        if "/Outlines" in other.Root:
            chain(base, copied(other.Root.Outlines))
    tree.ParentTreeNextKey = next_key
    names = NameTree.new(base)
    for name in sorted(dests):
        names[name] = dests[name]
    base.Root.Names.Dests = names.obj
    base.save(out, deterministic_id=True, compress_streams=True,
              object_stream_mode=pikepdf.ObjectStreamMode.generate)


def chain(base, outlines) -> None:
    """Append the top-level items of ``outlines`` (already copied) to ``base``'s outline."""
    from pikepdf import Dictionary, Name

    if "/Outlines" not in base.Root:
        base.Root.Outlines = base.make_indirect(Dictionary(Type=Name.Outlines, Count=0))
    mine = base.Root.Outlines
    item = outlines.get("/First")
    if item is None:
        return
    while item is not None:
        item.Parent = mine
        item = item.get("/Next")
    if "/Last" in mine:
        mine.Last.Next = outlines.First
        outlines.First.Prev = mine.Last
    else:
        mine.First = outlines.First
    mine.Last = outlines.Last
    mine.Count = int(mine.get("/Count", 0)) + int(outlines.get("/Count", 0))


def retag_fonts(pdf, n: int) -> None:
    """Give the embedded font subsets of part ``n`` their own subset tags.

    WeasyPrint derives a subset's tag from the font, not from its glyphs, so both
    halves name their (different) subsets of a font alike; a PDF's subsets must
    have tags of their own (ISO 32000-1, 9.6.4).
    """
    import hashlib

    import pikepdf

    def tagged(name):
        text = str(name)[1:]
        if len(text) > 7 and text[6] == "+" and text[:6].isupper():
            digest = hashlib.sha256(f"{n}{text}".encode()).digest()
            text = "".join(chr(65 + b % 26) for b in digest[:6]) + text[6:]
        return pikepdf.Name("/" + text)

    seen = set()
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            if font.objgen in seen:
                continue
            seen.add(font.objgen)
            for f in [font, *font.get("/DescendantFonts", [])]:
                if "/BaseFont" in f:
                    f.BaseFont = tagged(f.BaseFont)
                descriptor = f.get("/FontDescriptor")
                if descriptor is not None and "/FontName" in descriptor:
                    descriptor.FontName = tagged(descriptor.FontName)


def prefix_ids(tree, prefix: str) -> None:
    """Prefix every struct element /ID, and the /Headers that name them, in place."""
    import pikepdf

    seen = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if "/ID" in node and node.get("/Type") != "/OBJR":
            node.ID = pikepdf.String(prefix + str(node.ID))
        attrs = node.get("/A")
        for attr in ([attrs] if isinstance(attrs, pikepdf.Dictionary) else list(attrs or [])):
            if isinstance(attr, pikepdf.Dictionary) and "/Headers" in attr:
                attr.Headers = pikepdf.Array([pikepdf.String(prefix + str(h))
                                              for h in attr.Headers])
        if "/K" in node:
            stack.append(node.K)


# ---- the checks ----------------------------------------------------------------------

def structure_report(path: str) -> dict:
    """What a PDF/UA checker looks at first, counted: problems listed, not raised."""
    import pikepdf

    pdf = pikepdf.open(path)
    problems: list[str] = []
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None:
        return {"problems": ["no /StructTreeRoot"]}
    nums = tree.ParentTree.Nums
    parent = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        problems.append("parent tree keys not ascending and unique")
    # The tree from the root: /P, /Pg, and which elements exist.
    elems, stack, ids = set(), [(tree.K, tree)], []
    while stack:
        node, up = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend((x, up) for x in node)
            continue
        if not isinstance(node, pikepdf.Dictionary) or node.get("/Type") in ("/OBJR", "/MCR"):
            continue
        if node.objgen in elems:
            problems.append(f"struct element {node.objgen} reached twice")
            continue
        elems.add(node.objgen)
        if node.get("/P") is None or node.P.objgen != up.objgen:
            problems.append(f"struct element {node.objgen}: /P is not its parent")
        if "/Pg" in node and node.Pg.objgen not in pages:
            problems.append(f"struct element {node.objgen}: /Pg is not a page of the file")
        if "/ID" in node:
            ids.append(str(node.ID))
        if "/K" in node:
            stack.append((node.K, node))
    if len(ids) != len(set(ids)):
        problems.append("struct element /IDs not unique")
    # Every marked-content sequence of every page, through the parent tree.
    mcids = 0
    for i, page in enumerate(pdf.pages):
        found = []
        for operands, op in pikepdf.parse_content_stream(page):
            if str(op) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) \
                    and "/MCID" in operands[1]:
                found.append(int(operands[1].MCID))
        if not found:
            continue
        if "/StructParents" not in page.obj:
            problems.append(f"page {i + 1}: marked content but no /StructParents")
            continue
        entry = parent.get(int(page.obj.StructParents))
        if entry is None:
            problems.append(f"page {i + 1}: /StructParents {int(page.obj.StructParents)} "
                            "not in the parent tree")
            continue
        for mcid in found:
            mcids += 1
            elem = entry[mcid] if mcid < len(entry) else None
            if elem is None or elem.objgen not in elems:
                problems.append(f"page {i + 1}: MCID {mcid} maps to no element of the tree")
                continue
            kids = elem.K if isinstance(elem.K, pikepdf.Array) else [elem.K]
            if not any(int(k) == mcid for k in kids if isinstance(k, int)) \
                    and not any(isinstance(k, pikepdf.Dictionary) and int(k.get("/MCID", -1)) == mcid
                                for k in kids):
                problems.append(f"page {i + 1}: element of MCID {mcid} does not list it")
            if "/Pg" in elem and pages.get(elem.Pg.objgen) != i:
                problems.append(f"page {i + 1}: element of MCID {mcid} is on another page")
    # Link annotations: their parent-tree entry holds their OBJR.
    links = 0
    dests = {name: pages.get(dest[0].objgen) for name, dest
             in pikepdf.NameTree(pdf.Root.Names.Dests).items()} if "/Names" in pdf.Root else {}
    targets: dict[str, int | None] = {}
    for i, page in enumerate(pdf.pages):
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            links += 1
            elem = parent.get(int(annot.get("/StructParent", -1)))
            if elem is None or elem.objgen not in elems:
                problems.append(f"page {i + 1}: a link's /StructParent maps to no element")
            else:
                kids = elem.K if isinstance(elem.K, pikepdf.Array) else [elem.K]
                if not any(isinstance(k, pikepdf.Dictionary) and "/Obj" in k
                           and k.Obj.objgen == annot.objgen for k in kids):
                    problems.append(f"page {i + 1}: a link's element has no OBJR to it")
            if "/Dest" in annot:
                name = str(annot.Dest)
                if dests.get(name) is None:
                    problems.append(f"page {i + 1}: link to #{name} resolves to no page")
                targets.setdefault(name, dests.get(name))
    outline = []
    with pdf.open_outline() as tree_:
        def walk(items, level):
            for item in items:
                dest = item.destination
                page = pages.get(dest[0].objgen) if isinstance(dest, pikepdf.Array) else None
                if page is None:
                    problems.append(f"outline entry {item.title!r} has no page")
                outline.append((level, item.title, page))
                walk(item.children, level + 1)
        walk(tree_.root, 0)
    return {"pages": len(pdf.pages), "elements": len(elems), "mcids": mcids, "links": links,
            "dests": len(dests), "link_targets": targets, "outline": outline,
            "problems": problems}


def tool(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True).stdout


def pixel_diff(a: str, b: str, dpi: int = 40) -> list[int]:
    """Pages (1-based) whose rendering at ``dpi`` differs between the two PDFs."""
    from PIL import Image, ImageChops

    with tempfile.TemporaryDirectory() as tmp:
        for name, path in (("a", a), ("b", b)):
            subprocess.run(["pdftoppm", "-r", str(dpi), "-png", path, f"{tmp}/{name}"], check=True)
        pngs = sorted(Path(tmp).glob("a-*.png"))
        differ = []
        for i, png in enumerate(pngs, start=1):
            other = png.with_name("b" + png.name[1:])
            if not other.exists() or ImageChops.difference(
                    Image.open(png).convert("RGB"), Image.open(other).convert("RGB")).getbbox():
                differ.append(i)
        return differ


def compare(merged: str, single: str) -> dict:
    """The merged PDF against the single-process one, as a reader would see them."""
    m, s = structure_report(merged), structure_report(single)
    text_m = tool("pdftotext", "-layout", merged, "-").split("\f")
    text_s = tool("pdftotext", "-layout", single, "-").split("\f")
    differing = [i + 1 for i, (a, b) in enumerate(zip(text_m, text_s)) if a != b]
    links = {k: v for k, v in m.get("link_targets", {}).items()
             if s.get("link_targets", {}).get(k) != v}
    check = subprocess.run(["qpdf", "--check", merged], capture_output=True, text=True)
    fonts = [line.split()[0] for line in tool("pdffonts", merged).splitlines()[2:]]
    struct = None
    if m["pages"] <= 200:  # poppler's -struct-text takes minutes on a longer file
        tree_text = [re.sub(r"Object \d+ \d+", "Object", tool("pdfinfo", "-struct-text", p))
                     for p in (merged, single)]
        struct = tree_text[0] == tree_text[1] and len(tree_text[0]) > 0
    return {
        "qpdf_check": check.returncode == 0,
        "qpdf_warnings": [l for l in check.stdout.splitlines() if "WARNING" in l][:5],
        "structure": {k: m.get(k) for k in ("pages", "elements", "mcids", "links", "dests")},
        "structure_single": {k: s.get(k) for k in ("pages", "elements", "mcids", "links", "dests")},
        # WeasyPrint 70's own slips (the same in the single-process PDF) apart:
        "problems_not_in_single": [p for p in m["problems"] if p not in s["problems"]][:20],
        "problems": len(m["problems"]), "problems_single": len(s["problems"]),
        "problem_kinds": sorted({re.sub(r"\d+", "N", p) for p in m["problems"]}),
        "text_pages_differing": differing if len(text_m) == len(text_s) else "page count",
        "links_to_other_pages": links,
        "outline_equal": m["outline"] == s["outline"],
        "struct_text_equal": struct,
        "pixels_differing_pages": pixel_diff(merged, single),
        "outline_entries": len(m["outline"]),
        "fonts": len(fonts), "font_names_unique": len(set(fonts)) == len(fonts),
        "fonts_single": len(tool("pdffonts", single).splitlines()[2:]),
        "size_kb": os.path.getsize(merged) // 1024, "size_kb_single": os.path.getsize(single) // 1024,
        "dests_pdfinfo": len(tool("pdfinfo", "-dests", merged).splitlines()) - 1,
        "dests_pdfinfo_single": len(tool("pdfinfo", "-dests", single).splitlines()) - 1,
    }


# ---- the harness -----------------------------------------------------------------------

MODES = {"bare": run_bare, "single": run_single, "two": run_two}


def timed(mode: str, prep: Path, out: Path) -> tuple[float, float, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([PY, __file__, "--run", mode, str(prep), str(out)],
                       capture_output=True, text=True, env=os.environ)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        raise SystemExit(f"moonshot: {mode} failed:\n{r.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(r.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--src", help="another checkout's src/ to import bookmaker from")
    parser.add_argument("--keep", help="folder to keep the book, inputs and PDFs in")
    parser.add_argument("--modes", default="bare,single,two")
    parser.add_argument("--no-check", action="store_true", help="time only; no comparison")
    parser.add_argument("--run", nargs=3, metavar=("MODE", "PREP", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        mode, prep, out = args.run
        inputs = Inputs(prep)
        if mode == "two" and not hasattr(inputs.layout, "render_document"):
            raise SystemExit("moonshot: needs bookmaker.render.layout with render_document "
                             "(the single-pass layout); pass --src")
        print(json.dumps(MODES[mode](inputs, out)))
        return 0
    sys.path.insert(0, str(HERE))
    import scalebook

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="moonshot-"))
    work.mkdir(parents=True, exist_ok=True)
    project = scalebook.make(work / f"scale-{args.chapters}", args.chapters)
    prep = prepare(project, work)
    modes = args.modes.split(",")
    results = {m: [] for m in modes}
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; "
          f"{os.cpu_count()} cores", flush=True)
    for run in range(args.runs):
        for mode in modes:
            wall, cpu, info = timed(mode, prep, work / f"{mode}.pdf")
            results[mode].append((wall, cpu, info))
            print(f"  run {run + 1} {mode:6} {wall:6.2f} s wall {cpu:6.2f} s cpu  "
                  f"load {os.getloadavg()[0]:.2f}  {json.dumps(info)}", flush=True)
    base = statistics.median(w for w, _, _ in results["bare"]) if "bare" in results else None
    print(f"\n{args.chapters} chapters, median of {args.runs}:")
    print("| way | pages | wall s | cpu s | wall / bare |")
    print("|---|---|---|---|---|")
    for mode in modes:
        wall = statistics.median(w for w, _, _ in results[mode])
        cpu = statistics.median(c for _, c, _ in results[mode])
        ratio = f"{wall / base:.2f}x" if base else "-"
        print(f"| {mode} | {results[mode][-1][2]['pages']} | {wall:.2f} | {cpu:.2f} | {ratio} |")
    if "two" in modes and "single" in modes and not args.no_check:
        print("\nmerged PDF against the single-process PDF:")
        print(json.dumps(compare(str(work / "two.pdf"), str(work / "single.pdf")), indent=1))
    print(f"\nfiles in {work}")
    return 0


if __name__ == "__main__":
    _use_src(sys.argv)
    sys.exit(main(sys.argv[1:]))
