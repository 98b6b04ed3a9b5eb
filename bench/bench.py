#!/usr/bin/env python3
"""Speed and memory of building the shipped book, against baselines in the same run.

    python3 bench/bench.py [--runs N] [--project DIR] [--scale 50,200 [--scale-runs N] [--bare 50]]

Every measured command runs in a fresh subprocess, N times (default 5); the
cases are interleaved run by run, so slow drift of the machine hits them all
alike.  For each case the table gives the median wall time, the range, the
peak resident set size (the largest over the runs) and, where a baseline
exists, the ratio of the medians:

  check                 bookmaker check (outline, sources, excerpts; no rendering)
  build epub            bookmaker build --format epub
  build pdf             bookmaker build --format pdf
  build all             bookmaker build --format all
  rebuild, no change    bookmaker build --format all into a folder it is up to date in
                        (the build cache: check, hash, nothing rendered or written);
                        its ratio is to build all, and the target is at most 0.05x
  bare WeasyPrint       the very HTML and stylesheets bookmaker gives WeasyPrint,
                        rendered by a ten-line script: bookmaker's own overhead
                        is build pdf / bare WeasyPrint
  pandoc epub           the same book content as Markdown, pandoc book.md -o book.epub
  pandoc pdf            the same Markdown through pandoc --pdf-engine=weasyprint
  python startup        python -c pass
  import bookmaker      python -c "import bookmaker"

With --scale, books of that many chapters are generated (bench/scalebook.py)
and a second table gives, per size, check, build epub, build pdf and (for the
sizes of --bare, default all: it takes minutes on a big book) bare WeasyPrint,
N runs each (--scale-runs, default 1, no warm-up: the shipped book's warmed it),
pages, milliseconds per page and peak memory, then the targets of issue 13:
the PDF against bare WeasyPrint, ms/page over every size, peak memory at the
first size of 450 pages or more, check and epub at 200 chapters, and whether
check and epub grow linearly (each further chapter costing about the same).

Outputs go to a temporary folder, never to the project's dist/.  Nothing here
uses the network.  pandoc is optional: without it its rows are skipped.
"""
from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable  # the interpreter itself, not a pyenv/venv shim script
GNU_TIME = "/usr/bin/time"

# The baseline: exactly what bookmaker.render.pdf.write_pdf asks of WeasyPrint
# (same HTML string, base URL, stylesheets with the paper's generated one, one
# FontConfiguration for CSS and layout that knows only the bundled fonts, PDF/UA-1),
# minus bookmaker: no loading, checking, templating, sandbox, footnote checks.
BARE_WEASYPRINT = """\
import os, sys, weasyprint
from weasyprint.text.fonts import FontConfiguration
html, base, fonts_conf, out, *sheets = sys.argv[1:]
os.environ["FONTCONFIG_FILE"] = fonts_conf
fonts = FontConfiguration()
css = [weasyprint.CSS(string=open(s, encoding="utf-8").read(), base_url=s, font_config=fonts)
       for s in sheets]
doc = weasyprint.HTML(string=open(html, encoding="utf-8").read(), base_url=base).render(
    stylesheets=css, font_config=fonts)
doc.write_pdf(out, pdf_variant="pdf/ua-1")
print(len(doc.pages))
"""

EPUB_IMPORTS = """\
import sys
from bookmaker import build
build(sys.argv[1], formats=("epub",), out=sys.argv[2])
heavy = ["weasyprint", "pydyf", "fontTools", "tinycss2", "cssselect2", "cffi"]
print(" ".join(m for m in heavy if m in sys.modules) or "-")
"""

CHECK_IMPORTS = """\
import sys
from bookmaker import check
check(sys.argv[1])
print(" ".join(m for m in ["weasyprint", "ebooklib"] if m in sys.modules) or "-")
"""


# ---- measuring -------------------------------------------------------------------

def gnu_time_works() -> bool:
    """GNU time with -f %M (peak RSS in KiB) and -o; busybox/BSD time lack them."""
    if not os.access(GNU_TIME, os.X_OK):
        return False
    with tempfile.NamedTemporaryFile("r") as f:
        try:
            r = subprocess.run([GNU_TIME, "-f", "%M", "-o", f.name, PY, "-c", "pass"],
                               capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return False
        return r.returncode == 0 and f.read().strip().isdigit()


# Fallback: a fresh Python process per run that runs the command and reports
# RUSAGE_CHILDREN.ru_maxrss, the peak of its (only) waited-for child tree, and
# the command's wall time, so that the wrapper's own start-up is not counted.
RUSAGE_WRAPPER = """\
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[2:])
t = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(f"{t!r}\\n{rss}\\n")
sys.exit(r.returncode)
"""


@dataclass
class Case:
    name: str
    argv: list[str]
    cwd: Path | None = None
    env: dict[str, str] | None = None
    times: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the command
    last_stdout: str = ""
    failed: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else 0.0


def children_cpu() -> float:
    """User + system time of every finished, waited-for descendant so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(case: Case, use_gnu_time: bool, rss_file: Path) -> None:
    if use_gnu_time:
        argv = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *case.argv]
    else:
        argv = [PY, "-c", RUSAGE_WRAPPER, str(rss_file), *case.argv]
    started, cpu = time.perf_counter(), children_cpu()
    r = subprocess.run(argv, cwd=case.cwd, env=case.env, capture_output=True, text=True,
                       timeout=600)
    elapsed = time.perf_counter() - started
    cpu = children_cpu() - cpu
    if r.returncode != 0:
        tail = (r.stderr.strip().splitlines() or ["(no output)"])[-1]
        case.failed = f"exit {r.returncode}: {tail}"
        return
    lines = rss_file.read_text().strip().splitlines()
    if not use_gnu_time:
        elapsed = float(lines[0])
    case.times.append(elapsed)
    case.cpu.append(cpu)
    case.rss_kib.append(int(lines[-1]) if lines and lines[-1].isdigit() else 0)
    case.last_stdout = r.stdout


# ---- the book as Markdown for pandoc --------------------------------------------

PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def md_escape(text: str) -> str:
    """Source text is text: escape all ASCII punctuation (pandoc's all_symbols_escapable)."""
    return PUNCT.sub(r"\\\1", " ".join(text.split()))


def book_markdown(book) -> str:
    """Chapters as headings, excerpts as block quotes footnoted to their authors,
    editors' notes and prose as paragraphs, and the back matter as plain lists."""
    from bookmaker.model import Compare, Excerpt, Heading, Note, Text

    sources = {s.id: s for s in book.sources}
    meta = {"title": md_escape(book.title), "lang": book.language, "date": book.date}
    if book.subtitle:
        meta["subtitle"] = md_escape(book.subtitle)
    # YAML's double-quoted scalars are JSON strings: no colon or quote can break them.
    out = ["---", *(f"{k}: {json.dumps(v)}" for k, v in meta.items()), "---", ""]
    notes: list[str] = []

    def attribution(e: Excerpt) -> str:
        s = sources[e.source]
        who = ", ".join(s.authors) if s.authors else "No byline"
        bits = [who, f"\u201c{s.title}\u201d", s.outlet, s.published or "undated"]
        return md_escape(", ".join(bits) + ".")

    def excerpt(e: Excerpt) -> None:
        paras = [md_escape(p) for p in e.paragraphs]
        paras[-1] += f"[^{e.number}]"
        out.append("\n>\n".join("> " + p for p in paras))
        out.append("")
        notes.append(f"[^{e.number}]: {attribution(e)}")

    for chapter in book.chapters:
        out += [f"# {md_escape(chapter.title)}", ""]
        for block in chapter.blocks:
            if isinstance(block, Excerpt):
                excerpt(block)
            elif isinstance(block, Compare):
                for e in block.excerpts:
                    excerpt(e)
            elif isinstance(block, Heading):
                out += [f"## {md_escape(block.title)}", ""]
            elif isinstance(block, Note):
                out += [f"**{block.kind.capitalize()}.** {block.markdown.strip()}", ""]
            elif isinstance(block, Text):
                out += [block.markdown.strip(), ""]
    ed = book.editorial
    if ed.claims or ed.slips:
        out += ["# Claims checked", ""]
        for c in ed.claims:
            out.append(f"- **{c.id}** {md_escape(c.claim)}: *{c.verdict}*. "
                       f"{md_escape(c.explanation)} {md_escape(c.reference or '')}")
        for s in ed.slips:
            out.append(f"- **{s.id}** {md_escape(s.site.text)}: {md_escape(s.correction)}")
        out.append("")
    if ed.events:
        out += ["# Timeline", ""]
        out += [f"- **{e.date}** {md_escape(e.event)}" for e in ed.events]
        out.append("")
    out += ["# Sources", ""]
    for s in book.sources:
        who = ", ".join(s.authors) if s.authors else "No byline"
        out.append(f"- {md_escape(who)}, *{md_escape(s.title)}*, {md_escape(s.outlet)}, "
                   f"{s.published or 'undated'}. {md_escape(s.url or '')}")
    out += ["", *notes, ""]
    return "\n".join(out)


# ---- reporting ---------------------------------------------------------------------

def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def page_count(pdf: Path | None) -> str | None:
    """Pages of a PDF, by pdfinfo (poppler) or pypdf, whichever is there."""
    if pdf is None or not pdf.exists():
        return None
    if shutil.which("pdfinfo"):
        r = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
        m = re.search(r"^Pages:\s+(\d+)", r.stdout, re.M)
        if m:
            return m.group(1)
    try:
        import pypdf
        return str(len(pypdf.PdfReader(str(pdf)).pages))
    except Exception:  # noqa: BLE001 - no reader: say nothing rather than guess
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="repetitions per case (default 5)")
    ap.add_argument("--project", type=Path, default=ROOT, help="book project (default: this repo)")
    ap.add_argument("--scale", default="", help="chapters of generated books, e.g. 50,200")
    ap.add_argument("--scale-runs", type=int, default=1, help="runs per generated book (default 1)")
    ap.add_argument("--bare", default=None,
                    help="the sizes of --scale that also get bare WeasyPrint (default: all)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    project = args.project.resolve()

    import bookmaker
    from bookmaker.files import ProjectFiles
    from bookmaker.loader import load_book

    use_gnu_time = gnu_time_works()
    pandoc = shutil.which("pandoc")
    # The weasyprint console script next to this interpreter (a pyenv shim would
    # add a bash start-up to every pandoc pdf run).
    bindir = Path(PY).parent
    wp_cli = (bindir / "weasyprint" if (bindir / "weasyprint").exists()
              else shutil.which("weasyprint"))

    with tempfile.TemporaryDirectory(prefix="bookmaker-bench-") as tmp_name:
        tmp = Path(tmp_name)
        rss_file = tmp / "rss"
        # Every child gets a private bytecode cache, warmed up below, so the figures are
        # those of an ordinary install whatever PYTHONDONTWRITEBYTECODE says, and no
        # __pycache__ is written into the repository.
        env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
                   PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)

        # Up front, once: the HTML and styles bookmaker feeds WeasyPrint, and the Markdown
        # for pandoc.
        book_html, sheets = bare_inputs(project, tmp)
        book = load_book(project, ProjectFiles(project))
        (tmp / "book.md").write_text(book_markdown(book), encoding="utf-8")

        def out(name: str) -> str:
            d = tmp / "out" / name
            d.mkdir(parents=True, exist_ok=True)
            return str(d)

        bm = [PY, "-m", "bookmaker"]

        def build_argv(fmt: str) -> list[str]:
            # --force: every run renders, though the last one left the folder up to date
            return [*bm, "build", str(project), "--format", fmt, "--out", out(fmt), "--force"]

        # The no-change rebuild's folder is made up to date once, here, before any run.
        nochange = [*bm, "build", str(project), "--format", "all", "--out", out("nochange")]
        subprocess.run(nochange, env=env, capture_output=True, check=True)

        cases = [
            Case("check", [*bm, "check", str(project)], env=env),
            Case("build epub", build_argv("epub"), env=env),
            Case("build pdf", build_argv("pdf"), env=env),
            Case("build all", build_argv("all"), env=env),
            Case("rebuild, no change", nochange, env=env),
            Case("bare WeasyPrint", [PY, "-c", BARE_WEASYPRINT, str(book_html),
                                     str(project) + os.sep, *sheets[:1], str(tmp / "bare.pdf"),
                                     *sheets[1:]], env=env),
        ]
        skipped: list[str] = []
        if pandoc:
            cases.append(Case("pandoc epub", [pandoc, "book.md", "-o", "pandoc.epub"],
                              cwd=tmp, env=env))
            if wp_cli:
                cases.append(Case("pandoc pdf", [pandoc, "book.md", "--pdf-engine=weasyprint",
                                                 "-o", "pandoc.pdf"], cwd=tmp, env=env))
            else:
                skipped.append("pandoc pdf: no weasyprint command on PATH "
                               "(pandoc needs a PDF engine)")
        else:
            skipped.append("pandoc: not installed (apt-get install pandoc)")
        cases += [Case("python startup", [PY, "-c", "pass"], env=env),
                  Case("import bookmaker", [PY, "-c", "import bookmaker"], env=env)]

        load_before = os.getloadavg()
        started = time.perf_counter()
        # Run 0 is an untimed warm-up of every case: bytecode cache, fontconfig, page cache.
        for i in range(args.runs + 1):
            for case in cases:
                if case.failed is None:
                    run_once(case, use_gnu_time, rss_file)
                    if i == 0 and case.times:
                        case.times.clear()
                        case.cpu.clear()
                        case.rss_kib.clear()
            print(f"{'warm-up' if i == 0 else f'run {i}/{args.runs}'} done "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        total = time.perf_counter() - started
        load_after = os.getloadavg()

        # One-off facts.
        epub_mods = subprocess.run([PY, "-c", EPUB_IMPORTS, str(project), out("imports")],
                                   capture_output=True, text=True, env=env)
        check_mods = subprocess.run([PY, "-c", CHECK_IMPORTS, str(project)],
                                    capture_output=True, text=True, env=env)
        importtime = subprocess.run([PY, "-X", "importtime", "-c", "import bookmaker"],
                                    capture_output=True, text=True, env=env)
        m = re.search(r"\|\s*(\d+)\s*\|\s*bookmaker\s*$", importtime.stderr, re.M)
        import_ms = f"{int(m.group(1)) / 1000:.0f} ms" if m else "?"
        bare = next(c for c in cases if c.name == "bare WeasyPrint")
        built = Path(out("all"))
        bm_pdf = next(built.glob("*.pdf"), None)
        pages = page_count(bm_pdf) or "?"
        others = {"bare WeasyPrint": bare.last_stdout.strip() or page_count(tmp / "bare.pdf"),
                  "pandoc": page_count(tmp / "pandoc.pdf")}
        sizes = {}
        for label, path in [("bookmaker pdf", bm_pdf),
                            ("bookmaker epub", next(built.glob("*.epub"), None)),
                            ("bare pdf", tmp / "bare.pdf"), ("pandoc epub", tmp / "pandoc.epub"),
                            ("pandoc pdf", tmp / "pandoc.pdf")]:
            if path and path.exists():
                sizes[label] = f"{path.stat().st_size / 1024:.0f} KiB"

        # ---- print ----
        by = {c.name: c for c in cases}

        def ratio(case: Case) -> tuple[str, str]:
            base = {"build pdf": "bare WeasyPrint", "build all": "bare WeasyPrint",
                    "pandoc pdf": "bare WeasyPrint", "build epub": "pandoc epub",
                    "rebuild, no change": "build all",
                    "import bookmaker": "python startup"}.get(case.name)
            b = by.get(base) if base else None
            if not case.times or not b or not b.times:
                return "", ""
            return f"{case.median / b.median:.2f}x", base

        print()
        print(f"bookmaker {bookmaker.__version__} benchmark: {project}, {args.runs} runs per case, "
              f"each in a fresh process")
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
        print(f"machine: {platform.machine()}, nproc {os.cpu_count()} (usable {usable}), "
              f"{platform.system()} {platform.release()}")
        print(f"python {platform.python_version()} ({PY}); weasyprint {version('weasyprint')}, "
              f"pydyf {version('pydyf')}, ebooklib {version('ebooklib')}, "
              f"jinja2 {version('jinja2')}, markdown-it-py {version('markdown-it-py')}")
        if pandoc:
            pv = subprocess.run([pandoc, "--version"], capture_output=True, text=True).stdout
            print(f"pandoc {pv.split()[1] if pv else '?'} ({pandoc}); "
                  f"pdf engine: {wp_cli or 'none'}")
        print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
              f"{total:.0f} s measuring (warm-up included)")
        rss_how = ("/usr/bin/time -f %M" if use_gnu_time
                   else "getrusage(RUSAGE_CHILDREN) in a wrapper process")
        print(f"peak RSS measured with: {rss_how}; bytecode cache: private, warmed up; "
              "cpu s: median user + system seconds (getrusage), a check on a loaded machine, "
              "where wall times stretch")
        print()
        header = (f"{'case':<18} {'median s':>9} {'min-max s':>13} {'cpu s':>7} "
                  f"{'peak RSS MB':>12} {'ratio':>7}  vs")
        print(header)
        print("-" * len(header))
        for c in cases:
            if not c.times:
                print(f"{c.name:<18} failed: {c.failed}")
                continue
            r, base = ratio(c)
            rss = max(c.rss_kib) / 1024
            print(f"{c.name:<18} {c.median:>9.2f} {min(c.times):>6.2f}-{max(c.times):<6.2f}"
                  f" {c.cpu_median:>7.2f} {rss:>12.1f} {r:>7}  {base}"
                  + (f"   ({c.failed})" if c.failed else ""))
        nc = by["rebuild, no change"]
        if nc.times and nc.last_stdout.count("up to date:") != 2:
            print("rebuild, no change: it rendered (not up to date), so its row is not a cache hit")
        print()
        print(f"PDF pages: {pages} ("
              + ", ".join(f"{k}: {v}" for k, v in others.items() if v) + ")")
        print("output sizes: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
        print(f"import bookmaker (-X importtime, cumulative): {import_ms}")
        if epub_mods.returncode == 0:
            mods = epub_mods.stdout.strip()
            print(f"weasyprint imported by an epub-only build: "
                  f"{'yes' if 'weasyprint' in mods.split() else 'no'}"
                  f" (PDF-side modules loaded: {mods})")
        else:
            print(f"weasyprint imported by an epub-only build: unknown (build failed: "
                  f"{(epub_mods.stderr.strip().splitlines() or ['?'])[-1]})")
        if check_mods.returncode == 0:
            print(f"renderers imported by check: {check_mods.stdout.strip()}")
        for s in skipped:
            print(s)
        print("ratios compare medians; pandoc's book is the same content in pandoc's own "
              "layout, so its rows are a yardstick, not a like-for-like comparison")
        shipped = {"pages": int(pages) if str(pages).isdigit() else 0,
                   "pdf": by["build pdf"], "bare": bare}
        if args.scale:
            sizes = [int(n) for n in args.scale.split(",") if n.strip()]
            bare_sizes = (set(sizes) if args.bare is None
                          else {int(n) for n in args.bare.split(",") if n.strip()})
            scale_table(sizes, args.scale_runs, tmp, env, use_gnu_time, rss_file, shipped,
                        bare_sizes)
    return 0


def bare_inputs(project: Path, tmp: Path) -> tuple[Path, list[str]]:
    """The HTML bookmaker gives WeasyPrint for ``project``, then the font configuration
    and the stylesheets it renders with, as files: bookmaker's own styles, the sheet it
    generates for the paper, the project's; a fonts.conf naming only the bundled fonts."""
    from xml.sax.saxutils import escape

    from bookmaker.api import stylesheets
    from bookmaker.documents import layout, page_styles
    from bookmaker.files import ProjectFiles
    from bookmaker.loader import load_book
    from bookmaker.render.html import PACKAGE_DIR, RenderedBook
    from bookmaker.render.pdf import FONTS_CONF

    files = ProjectFiles(project)
    book = load_book(project, files)
    rb = RenderedBook(book, files)
    html = rb.env.get_template("book.html").render(book=rb.book, parts=rb.parts("pdf"))
    path = tmp / f"{project.name}.html"
    path.write_text(html, encoding="utf-8")
    conf = tmp / f"{project.name}-fonts.conf"
    conf.write_text(FONTS_CONF.format(fonts=escape(str(PACKAGE_DIR / "fonts"))), encoding="utf-8")
    sheets = []
    for sheet in page_styles(stylesheets(files, "print"), layout(book, None, False).page):
        if Path(sheet.path).exists():  # url()s inside resolve against the sheet's own folder
            sheets.append(sheet.path)
        else:  # the paper's sheet, generated beside bookmaker's own
            generated = tmp / f"{project.name}-{Path(sheet.path).name}"
            generated.write_text(sheet.text, encoding="utf-8")
            sheets.append(str(generated))
    return path, [str(conf), *sheets]


def footnotes_off_page(pdf: Path) -> int:
    """Excerpts whose attribution footnote is on no page showing the excerpt's last words.

    Read back with pdftotext: the call is the number after the excerpt's last
    word, the note starts with the number and a full stop.
    """
    if not shutil.which("pdftotext"):
        return -1
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = text.split("\f")
    calls, notes = {}, {}
    for i, page in enumerate(pages):
        for m in re.finditer(r"^(\d+)\. ", page, re.M):
            notes.setdefault(int(m.group(1)), i)
        for m in re.finditer(r"[a-z.,\u201d](\d+)\s", page):
            calls.setdefault(int(m.group(1)), i)
    return sum(1 for n, i in notes.items() if calls.get(n, i) != i)


def scale_table(sizes: list[int], runs: int, tmp: Path, env: dict, use_gnu_time: bool,
                rss_file: Path, shipped: dict, bare_sizes: set[int]) -> None:
    """Generated books of each size: time, ms/page and peak memory, against bare
    WeasyPrint for the sizes in ``bare_sizes`` (it takes minutes on the big ones)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import scalebook

    books = []
    for chapters in sizes:
        project = scalebook.make(tmp / f"scale-{chapters}", chapters)
        out = tmp / f"scale-{chapters}-out"
        bm = [PY, "-m", "bookmaker"]
        cases = {
            "check": Case("check", [*bm, "check", str(project)], env=env),
            "epub": Case("epub", [*bm, "build", str(project), "--format", "epub", "--out",
                                  str(out / "epub")], env=env),
            "pdf": Case("pdf", [*bm, "build", str(project), "--format", "pdf", "--out",
                                str(out / "pdf")], env=env),
        }
        if chapters in bare_sizes:
            html, sheets = bare_inputs(project, tmp)
            cases["bare"] = Case("bare", [PY, "-c", BARE_WEASYPRINT, str(html),
                                          str(project) + os.sep, *sheets[:1],
                                          str(tmp / f"bare-{chapters}.pdf"), *sheets[1:]], env=env)
        books.append((chapters, project, out, cases))
    # Round by round over every size, not every run of one size and then the next:
    # the machine's drift over the minutes this takes then falls on every size alike,
    # and the cost per page of a small book is compared with a big one's of the same
    # minutes.
    for run in range(runs):
        for chapters, project, out, cases in books:
            for case in cases.values():
                if case.failed is None:
                    shutil.rmtree(out / case.name, ignore_errors=True)  # a full build, not the cache
                    run_once(case, use_gnu_time, rss_file)
        print(f"scale books, round {run + 1} of {runs} measured", file=sys.stderr, flush=True)
    rows = []
    for chapters, project, out, cases in books:
        pdf = next((out / "pdf").glob("*.pdf"), None)
        bare_pdf = tmp / f"bare-{chapters}.pdf"
        rows.append((chapters, int(page_count(pdf) or 0), cases,
                     footnotes_off_page(pdf) if pdf else -1,
                     footnotes_off_page(bare_pdf) if bare_pdf.exists() else -1,
                     sum(f.stat().st_size for f in (project / "seeds").iterdir()) / 1e6))

    print()
    print(f"generated books (bench/scalebook.py), {runs} run(s) per case, medians")
    header = (f"{'chapters':>8} {'pages':>6} {'src MB':>6} {'check s':>8} {'epub s':>7} "
              f"{'pdf s':>7} {'bare s':>7} {'ratio':>6} {'ms/p pdf':>9} {'ms/p bare':>9} "
              f"{'RSS pdf':>8} {'RSS bare':>8} {'fn off':>7}")
    print(header)
    print("-" * len(header))
    every = [("shipped", shipped["pages"], {"pdf": shipped["pdf"], "bare": shipped["bare"]})]
    done = []
    for chapters, pages, cases, off, bare_off, mb in rows:
        c = cases
        if any(not x.times for x in c.values()):
            print(f"{chapters:>8} failed: " + "; ".join(f"{k}: {x.failed}" for k, x in c.items()
                                                     if x.failed))
            continue
        pdf = c["pdf"].median
        bare = c["bare"].median if "bare" in c else None

        def cell(value, fmt, width):
            return f"{'-':>{width}}" if value is None else f"{value:>{width}{fmt}}"

        print(f"{chapters:>8} {pages:>6} {mb:>6.1f} {c['check'].median:>8.2f} "
              f"{c['epub'].median:>7.2f} {pdf:>7.2f} {cell(bare, '.2f', 7)} "
              f"{cell(bare and pdf / bare, '.2f', 5)}{'x' if bare else ' '} "
              f"{1000 * pdf / max(pages, 1):>9.1f} "
              f"{cell(bare and 1000 * bare / max(pages, 1), '.1f', 9)} "
              f"{max(c['pdf'].rss_kib) / 1024:>7.0f}M "
              f"{cell(bare and max(c['bare'].rss_kib) / 1024, '.0f', 7)}{'M' if bare else ' '} "
              f"{off:>3}/{bare_off if bare else '-':<3}")
        done.append((chapters, pages, c))
        if bare:
            every.append((chapters, pages, c))
    print("fn off: footnotes not on their excerpt's page, bookmaker/bare WeasyPrint")
    print("cpu s: median user + system seconds, pdf/bare: " + ", ".join(
        f"{n}: {c['pdf'].cpu_median:.1f}/{c['bare'].cpu_median:.1f}" for n, _, c in done
        if "bare" in c))

    print()
    print("targets (issue 13):")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    for label, pages, c in every:
        if c["pdf"].times and c["bare"].times:
            r = c["pdf"].median / c["bare"].median
            m = max(c["pdf"].rss_kib) / max(1, max(c["bare"].rss_kib))
            cpu = c["pdf"].cpu_median / max(c["bare"].cpu_median, 1e-9)
            print(f"  {label}: pdf {r:.2f}x bare (<= 1.15x: {verdict(r <= 1.15)}; "
                  f"cpu time {cpu:.2f}x; below bare: {'yes' if r < 1 else 'no'}); "
                  f"peak RSS {m:.2f}x bare (<= 1.2x: {verdict(m <= 1.2)})")
    per_page = [(pages, 1000 * c["pdf"].median / pages) for _, pages, c in done if pages]
    if len(per_page) > 1:
        low, high = min(v for _, v in per_page), max(v for _, v in per_page)
        print(f"  ms/page from {min(p for p, _ in per_page)} to {max(p for p, _ in per_page)} "
              f"pages: {low:.0f} to {high:.0f}, spread {100 * (high / low - 1):.0f} % "
              f"(<= 20 %: {verdict(high / low - 1 <= 0.2)})")
    big = [row for row in done if row[1] >= 450]
    if big:
        chapters, pages, c = min(big, key=lambda row: row[1])
        peak = max(c["pdf"].rss_kib) / 1024
        print(f"  pdf peak memory {peak:.0f} MB at {pages} pages, the first size of 450 or more "
              f"(< 500 MB at 450 pages: {verdict(peak < 500)})")
    for chapters, pages, c in done:
        if chapters == 200:
            print(f"  200 chapters: check {c['check'].median:.2f} s (<= 1 s: "
                  f"{verdict(c['check'].median <= 1)}), epub {c['epub'].median:.2f} s "
                  f"(<= 2 s: {verdict(c['epub'].median <= 2)})")
    if len(done) > 2:
        # Linear: a straight line through (chapters, seconds) by least squares, the
        # start-up its constant; every size within 15 % (or 0.1 s) of the line.
        for name in ("check", "epub"):
            xs = [n for n, _, _ in done]
            ys = [c[name].median for _, _, c in done]
            mx, my = statistics.fmean(xs), statistics.fmean(ys)
            slope = (sum((x - mx) * (y - my) for x, y in zip(xs, ys))
                     / sum((x - mx) ** 2 for x in xs))
            fit = [my + slope * (x - mx) for x in xs]
            worst = max(abs(y - f) / max(f, 1e-9) for y, f in zip(ys, fit))
            close = all(abs(y - f) <= max(0.15 * f, 0.1) for y, f in zip(ys, fit))
            print(f"  {name}: {1000 * slope:.1f} ms per chapter on a line through "
                  f"{my - slope * mx:.2f} s; sizes off the line by at most {100 * worst:.0f} % "
                  f"(linear, within 15 % or 0.1 s: {verdict(close)})")

if __name__ == "__main__":
    sys.exit(main())
