"""The documents one build writes, and their rendering.

A run writes the whole book, a selection (``--chapters``) or one handout per
chapter (``--handouts``), each in the formats asked for, the PDF on the chosen
paper and, with ``--booklet``, imposed for saddle-stitching.  The project is
loaded and checked once (:func:`bookmaker.api.build`); :func:`plan` turns the
checked book into documents, :func:`write` renders them into files staged in
the output folder.  Handouts are rendered on every core, in forked worker
processes that share the loaded project and the compiled templates; the files
are the same bytes as a serial run's (tests/test_handouts.py).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import jinja2

from .export import EXPORTS, write_export
from .errors import UsageError, WarningRecorder, did_you_mean, display_path, recording
from .files import ProjectFiles, Stylesheet
from .model import Book
from .outline import slugify
from .output import OutputFolder, cannot_write
from .render.pages import PageStart
from .paper import DEFAULT, PAPERS, Paper, booklet as booklet_layout
from .selection import parse, select

BUILTIN_STYLES = Path(__file__).resolve().parent / "styles"
HANDOUT_NAME = re.compile(r"^\d+-[A-Za-z][A-Za-z0-9_-]*\.(pdf|epub|json|bib)$")
log = logging.getLogger("bookmaker")
progress = logging.getLogger("bookmaker.progress")


@dataclass(frozen=True)
class Document:
    """One book of a run, full or selected, and its output name without extension."""

    book: Book
    stem: str                # relative to the output folder: "handouts/03-note-1954"
    chapter: str | None = None  # the chapter of a --handouts document


@dataclass(frozen=True)
class Layout:
    """How the PDFs of a run are printed."""

    page: Paper
    sheet: tuple[float, float] | None = None  # a booklet's sheet (mm, landscape)


def check_options(formats: Sequence[str], paper: str | None, booklet: bool) -> None:
    """Usage errors that need no project: refused before anything is read."""
    if paper is not None and paper.lower() not in PAPERS:
        hint = did_you_mean(paper, PAPERS)
        raise UsageError(f"unknown paper size '{paper}'; choose {', '.join(PAPERS)}"
                         + (f" ({hint})" if hint else ""))
    if booklet and "pdf" not in formats:
        raise UsageError("--booklet imposes the PDF; it cannot be used with "
                         f"--format {','.join(formats)}")


def layout(book: Book, paper: str | None, booklet: bool) -> Layout:
    """The paper of a run: ``paper`` (the command line), else the outline's, else A5."""
    name = (paper or book.paper or DEFAULT).lower()
    if not booklet:
        return Layout(PAPERS[name])
    spread = booklet_layout(name)
    return Layout(spread.page, (spread.sheet_width, spread.sheet_height))


def plan(book: Book, chapters: str | None = None, handouts: bool = False) -> list[Document]:
    """The documents a run writes; a bad ``chapters`` SPEC is a UsageError."""
    stem = slugify(book.title) or "book"
    if chapters is None and not handouts:
        return [Document(book, stem)]
    if chapters is not None:
        indices, name, named = parse(book, chapters)
    else:
        indices, name, named = tuple(range(len(book.chapters))), "", False
    if not handouts:
        return [Document(select(book, indices, name, named), f"{stem}.{name}")]
    width = max(2, len(str(len(book.chapters))))
    return [Document(select(book, [i], book.chapters[i].id),
                     f"handouts/{i + 1:0{width}d}-{book.chapters[i].id}", book.chapters[i].id)
            for i in indices]


def note_leftovers(out_dir: Path, written: list[dict[str, Path]]) -> None:
    """Say which handouts in ``OUT/handouts/`` this run did not write (a chapter
    renamed or removed since): they are left alone, as nothing is deleted."""
    folder = out_dir / "handouts"
    made = {path for files in written for path in files.values()}
    for path in sorted(folder.glob("*")) if folder.is_dir() else ():
        if HANDOUT_NAME.match(path.name) and path not in made:
            progress.info("note: %s was left by an earlier build", display_path(path))


def output_name(doc: Document, fmt: str, booklet: bool) -> str:
    return f"{doc.stem}{'-booklet' if booklet and fmt == 'pdf' else ''}.{EXPORTS.get(fmt, fmt)}"


def page_styles(sheets: list[Stylesheet], page: Paper) -> list[Stylesheet]:
    """The print stylesheets with the paper's rules after bookmaker's own, before the project's."""
    own = sum(1 for s in sheets if Path(s.path).parent == BUILTIN_STYLES)
    generated = Stylesheet(str(BUILTIN_STYLES / f"paper-{page.name}.css"), page.css())
    return [*sheets[:own], generated, *sheets[own:]]


@dataclass
class _Run:
    """Everything a document's rendering needs; a forked worker inherits it."""

    docs: list[Document]
    targets: list[dict[str, tuple[Path, Path]]]  # per document: format -> (staged, final)
    files: ProjectFiles
    env: jinja2.Environment
    styles: dict[str, list[Stylesheet]]
    layout: Layout
    workdir: Path
    known_pages: list[list[PageStart] | None]  # per document: kept from an earlier PDF, if any


_RUN: _Run | None = None  # set before worker processes are forked


Reads = dict[str, str]  # a file the renderer read (absolute path) -> the SHA-256 of its bytes


@dataclass(frozen=True)
class Made:
    """One output staged by :func:`write`: where it is, where it goes, what it was made from,
    and the warnings given while making it (a cached copy repeats them)."""

    staged: Path
    final: Path
    reads: Reads
    warnings: tuple[str, ...]
    kept: dict  # what the cache keeps of the page starts (:func:`page_record`)


def write(docs: list[Document], formats: Sequence[str], files: ProjectFiles,
          styles: dict[str, list[Stylesheet]], lay: Layout, folder: OutputFolder,
          jobs: int | None = None, known_pages: list[list[PageStart] | None] | None = None
          ) -> list[dict[str, Made]]:
    """Render every document into files staged in ``folder``; returns, per document,
    format -> what was made.  ``jobs`` processes (default: one per core) share the handouts.

    The EPUB's page list follows the PDF rendered with it, else ``known_pages``
    (per document: those the cache kept of an up-to-date PDF)."""
    from .render.html import environment

    global _RUN
    targets = []
    for doc in docs:
        staged = {}
        for fmt in formats:
            name = output_name(doc, fmt, lay.sheet is not None)
            staged[fmt] = (folder.stage(name), folder.path / name)
        targets.append(staged)
    sheets = {**styles, "pdf": page_styles(styles["pdf"], lay.page)} if "pdf" in styles else styles
    run = _Run(docs, targets, files, environment(files), sheets, lay, folder.workdir,
               known_pages or [None] * len(docs))
    jobs = min(jobs or os.cpu_count() or 1, len(docs))
    made: list[dict[str, tuple[Reads, list[str]]]] = []
    starts: list[list[PageStart] | None] = []
    forking = _fork_context() if jobs > 1 else None
    if forking is not None:
        from concurrent.futures import ProcessPoolExecutor

        _compile_templates(run.env)  # once, here: the workers inherit them compiled
        _RUN = run
        try:
            with ProcessPoolExecutor(jobs, mp_context=forking) as pool:
                futures = [pool.submit(_render_in_worker, i) for i in range(len(docs))]
                try:
                    for future in futures:
                        messages, (done, pages) = future.result()
                        for message in messages:
                            log.warning("%s", message)  # recorded here, for --strict
                        made.append(done)
                        starts.append(pages)
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
        finally:
            _RUN = None
    else:
        for i in range(len(docs)):
            done, pages = _render(run, i)
            made.append(done)
            starts.append(pages)
    return [{fmt: Made(tmp, final, *_reads_and_warnings(done.get(fmt)),
                       page_record(fmt, pages if "pdf" in staged else known))
             for fmt, (tmp, final) in staged.items()}
            for staged, done, pages, known in zip(targets, made, starts, run.known_pages)]


def _fork_context():
    """The context of forked worker processes, if the system has them (imported only for
    several documents: one book is rendered in this process)."""
    import multiprocessing

    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def _reads_and_warnings(done: tuple[Reads, list[str]] | None) -> tuple[Reads, tuple[str, ...]]:
    read, warned = done or ({}, [])
    return read, tuple(dict.fromkeys(warned))


def _compile_templates(env: jinja2.Environment) -> None:
    from .render.templates import BUILTIN_TEMPLATES

    for path in sorted(BUILTIN_TEMPLATES.glob("*.html")):
        try:
            env.get_template(path.name)
        except Exception:  # noqa: BLE001 - reported with its location when the template renders
            pass


def page_record(fmt: str, pages: list[PageStart] | None) -> dict:
    """What the cache keeps of a run's page starts: a PDF's own, and, for an
    EPUB, the hash of the page starts its page list follows."""
    if fmt == "pdf":
        return {"pages": [p.as_json() for p in pages]} if pages is not None else {}
    if fmt == "epub":
        return {"page_list": pages_digest(pages)}
    return {}


def pages_digest(pages: list[PageStart] | None) -> str | None:
    if pages is None:
        return None
    return hashlib.sha256(json.dumps([p.as_json() for p in pages]).encode()).hexdigest()


def pages_of(record: dict) -> list[PageStart] | None:
    """The page starts of a PDF's :func:`page_record`."""
    pages = record.get("pages") if isinstance(record, dict) else None
    try:
        return [PageStart.from_json(p) for p in pages] if isinstance(pages, list) else None
    except (TypeError, ValueError):
        return None


def kept_pages(pdfs: list[Path], fresh_pdf, cache) -> list[list[PageStart] | None]:
    """For EPUBs built without their PDFs: the page starts the cache kept with
    each PDF, if that PDF is up to date (``fresh_pdf(path)``)."""
    return [pages_of({"pages": cache.kept(pdf, "pages")}) if fresh_pdf(pdf) else None
            for pdf in pdfs]


def pages_hold(cache, epubs: list[Path], pages: list[list[PageStart] | None]) -> bool:
    """Whether each EPUB's page list followed exactly these page starts."""
    return all(cache.kept(epub, "page_list") == pages_digest(p) for epub, p in zip(epubs, pages))


def note_no_page_list(docs: list[Document], kept: list[list[PageStart] | None], out_dir: Path) -> None:
    for doc, pages in zip(docs, kept):
        if pages is None:
            pdf = out_dir / output_name(doc, "pdf", False)
            progress.info("note: %s gets no page list: there is no up-to-date %s to take the "
                          "print pages from (build the PDF with it)",
                          display_path(pdf.with_suffix(".epub")), display_path(pdf))


def _render_in_worker(index: int) -> tuple[list[str], tuple[dict, list[PageStart] | None]]:
    """Render one document in a worker; its warnings and reads go back to the main process."""
    assert _RUN is not None
    recorder = WarningRecorder()
    log.handlers, log.propagate = [recorder], False  # this process's copy of the logger
    read = _render(_RUN, index)
    return recorder.messages, read


def _render(run: _Run, index: int) -> tuple[dict[str, tuple[Reads, list[str]]],
                                             list[PageStart] | None]:
    """Render one document in every format; returns, per format, what its renderer
    read and the warnings it gave, and where the pages of the PDF begin (if it made one)."""
    from .render.html import RenderedBook

    doc = run.docs[index]
    rendered = RenderedBook(doc.book, run.files, run.env)  # shared by the formats
    workdir = run.workdir / f"doc{index}"  # each document's own scratch space
    workdir.mkdir(exist_ok=True)  # a second pass (the EPUBs after their PDFs) shares it
    made: dict[str, tuple[Reads, list[str]]] = {}
    starts = None  # the PDF's page starts, when this run makes it (it comes first)
    for fmt, (tmp, final) in run.targets[index].items():
        read: Reads = {}
        with recording(log) as warned:
            made[fmt] = (read, warned)
            try:
                if fmt == "pdf":
                    starts = _write_pdf(rendered, tmp, run, workdir, lambda path, data: read.__setitem__(
                        str(path), hashlib.sha256(data).hexdigest()))
                elif fmt in EXPORTS:
                    write_export(doc.book, fmt, tmp)
                else:
                    from .render.epub import write_epub
                    write_epub(rendered, tmp, run.styles[fmt], workdir,
                               starts if "pdf" in run.targets[index] else run.known_pages[index],
                               run.layout.page.name)
            except OSError as exc:  # the disk is full, the folder vanished, ...
                raise cannot_write(final, exc.strerror or str(exc)) from None
    return made, starts


def _write_pdf(rendered, tmp: Path, run: _Run, workdir: Path, record) -> list[PageStart]:
    from .render.pdf import write_pdf

    if run.layout.sheet is None:
        return write_pdf(rendered, tmp, run.styles["pdf"], workdir, record)
    from .impose import impose

    pages = workdir / "pages.pdf"
    starts = write_pdf(rendered, pages, run.styles["pdf"], workdir, record)
    book = rendered.book
    impose(pages, tmp, run.layout.sheet, book.extract.title if book.extract else book.title,
           book.date)
    pages.unlink()
    return starts
