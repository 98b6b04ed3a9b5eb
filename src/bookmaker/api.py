"""The library entry points: :func:`check` and :func:`build`.

A build gathers and checks everything first (outline, sources, excerpts,
editorial data, styles, the output folder), renders each requested format to
a temporary file in the output folder, and only when every format succeeded
renames them into place.  A failed or killed build leaves the previous outputs
exactly as they were.  Outputs whose inputs did not change are not rendered
again (:mod:`bookmaker.cache`).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from .errors import BookError, BuildFailed, Errors, UsageError, WarningRecorder
from .files import ProjectFiles, Stylesheet, max_bytes_from_env
from .export import EXPORTS
from .fontcheck import check_coverage
from .loader import load_book
from .model import Book

BOOK_FORMATS = ("pdf", "epub")  # the books; "all" on the command line
FORMATS = (*BOOK_FORMATS, *EXPORTS)  # and the bibliographies of their sources
BUILTIN_STYLES = Path(__file__).resolve().parent / "styles"
log = logging.getLogger("bookmaker")


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote: ``outputs`` maps each format to its file (the book or
    the selection); with ``handouts``, chapter id -> format -> file instead."""

    book: Book
    outputs: dict[str, Path]          # every requested format, written or up to date
    up_to_date: tuple[str, ...] = ()  # the formats left alone: their inputs had not changed
    handouts: dict[str, dict[str, Path]] = field(default_factory=dict)

    @property
    def paths(self) -> list[Path]:
        """Every file written, in order."""
        return [*self.outputs.values(), *(p for h in self.handouts.values() for p in h.values())]

    def format_of(self, path: Path) -> str | None:
        """The format of a file this build wrote or left up to date."""
        for files in (self.outputs, *self.handouts.values()):
            for fmt, written in files.items():
                if written == path:
                    return fmt
        return None


@contextmanager
def _strict(strict: bool) -> Iterator[None]:
    recorder = WarningRecorder()
    log.addHandler(recorder)
    try:
        yield
    finally:
        log.removeHandler(recorder)
    if strict and recorder.messages:
        raise BuildFailed([BookError(f"warning treated as error (--strict): {m}")
                           for m in recorder.messages])


def check(project: Path | str = ".", strict: bool = False) -> Book:
    """Validate outline, sources, excerpts, editorial data, styles and the
    project's templates without rendering."""
    return load(project, strict).book


@dataclass(frozen=True)
class Loaded:
    """A checked project: its book, its files and every format's stylesheets (read once)."""

    book: Book
    files: ProjectFiles
    styles: dict[str, list[Stylesheet]]


def load(project: Path | str, strict: bool = False) -> Loaded:
    """Read and check a project: everything a renderer needs, read once."""
    with _strict(strict):
        files = ProjectFiles(project_dir(project), max_bytes_from_env())
        book = load_book(files.root, files)
        check_coverage(book)
        styles = {fmt: stylesheets(files, "print" if fmt == "pdf" else fmt) for fmt in BOOK_FORMATS}
        errors = Errors()
        # Only a project's own templates can fail to compile; without a templates/
        # folder, `check` has no need of Jinja at all.
        if files.is_file(files.root / "templates"):
            from .render.html import environment
            from .render.templates import check_templates

            check_templates(environment(files), errors)
        errors.check()
    return Loaded(book, files, styles)


def build(project: Path | str = ".", formats: Sequence[str] = BOOK_FORMATS,
          out: Path | str | None = None, strict: bool = False, *, chapters: str | None = None,
          paper: str | None = None, handouts: bool = False, booklet: bool = False,
          jobs: int | None = None, force: bool = False) -> BuildResult:
    """Build the requested formats into ``out`` (default ``PROJECT/dist``): the
    books (``pdf``, ``epub``) and the bibliographies of their sources (``csl``:
    CSL-JSON as ``STEM.json``, ``bibtex``: ``STEM.bib``; see :mod:`bookmaker.export`).

    ``chapters`` selects chapters (a SPEC such as ``"3"``, ``"2-4"`` or a handout
    of the outline) into ``STEM.SELECTION.pdf``; ``handouts`` writes one file per
    chapter (of the selection, if given) into ``OUT/handouts/``; ``paper`` is a
    size of :data:`bookmaker.paper.PAPERS` (default: the outline's, else A5);
    ``booklet`` imposes the PDF for saddle-stitching as ``STEM-booklet.pdf``;
    ``jobs`` caps the processes that render handouts (default: one per core).

    An output whose inputs are unchanged since it was written, and whose bytes
    are those written, is left alone (see :mod:`bookmaker.cache`); ``force``
    renders every requested format anyway.
    """
    options = dict(locals())  # every parameter: an option added later joins the cache key by itself
    # What only a build needs is imported here: `check` starts sooner without it.
    from .cache import BuildCache, Inputs
    from .documents import (check_options, kept_pages, layout, note_leftovers, note_no_page_list,
                            output_name, pages_hold, pages_of, plan, write)
    from .output import OutputFolder

    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(f"unknown format {unknown[0] if unknown else '(none)'}; choose {', '.join(FORMATS)} or all")
    check_options(formats, paper, booklet)
    files = ProjectFiles(project_dir(project), max_bytes_from_env())
    inputs = Inputs.snapshot(files)  # hashed before anything reads them
    loaded = load(project, strict)  # every style and template checked, as by `check`
    book = loaded.book
    out_dir = Path(out) if out is not None else loaded.files.root / "dist"
    docs = plan(book, chapters, handouts)  # a bad SPEC stops the run before anything is written
    lay = layout(book, paper, booklet)
    names = [{fmt: out_dir / output_name(doc, fmt, booklet) for fmt in formats} for doc in docs]

    # -- the cache: skip the formats whose every output is up to date --
    cache = BuildCache(out_dir, inputs, options)
    fresh = () if force else tuple(f for f in formats if all(
        cache.fresh(f, n[f], loaded.styles.get(f, [])) for n in names))
    kept = None  # the page starts kept with the up-to-date PDFs, for the EPUBs' page lists
    if "epub" in formats and ("pdf" not in formats or "pdf" in fresh):
        pdfs = [n.get("pdf") or out_dir / output_name(doc, "pdf", False) for doc, n in zip(docs, names)]
        kept = kept_pages(pdfs, lambda pdf: cache.fresh("pdf", pdf, loaded.styles["pdf"]), cache)
        if "epub" in fresh and not pages_hold(cache, [n["epub"] for n in names], kept):
            fresh = tuple(f for f in fresh if f != "epub")
    todo = [f for f in formats if f not in fresh]
    if kept is not None and "epub" in todo:
        note_no_page_list(docs, kept, out_dir)
    with _strict(strict):  # an output left as it was repeats the warnings given while making it
        for message in dict.fromkeys(m for f in fresh for n in names for m in cache.warnings(n[f])):
            log.warning("%s", message)
    if todo:
        with OutputFolder(out_dir) as folder:
            with _strict(strict):  # a warning while rendering fails a strict build before commit
                written = write(docs, sorted(todo, key=FORMATS.index), loaded.files,
                                loaded.styles, lay, folder, jobs, kept)
                if "pdf" in todo and "epub" in fresh:  # does each EPUB's page list still hold?
                    new = [pages_of(w["pdf"].kept) for w in written]
                    if not pages_hold(cache, [n["epub"] for n in names], new):
                        more = write(docs, ["epub"], loaded.files, loaded.styles, lay, folder,
                                     jobs, new)
                        written = [{**w, **m} for w, m in zip(written, more)]
                        fresh = tuple(f for f in fresh if f != "epub")
            for files_of_doc in written:  # the cache: these bytes, from these inputs
                for fmt, made in files_of_doc.items():
                    cache.record(fmt, made.final, made.staged, loaded.styles.get(fmt, []),
                                 cache.reads(made.reads), made.warnings, made.kept)
            cache.stage(folder)  # the manifest is placed together with the outputs it describes
            folder.commit()
    # -- end of the cache's part --
    if handouts:
        note_leftovers(out_dir, names)
        return BuildResult(book, {}, fresh, {doc.chapter or "": n for doc, n in zip(docs, names)})
    return BuildResult(book, names[0], fresh)


def stylesheets(files: ProjectFiles, kind: str) -> list[Stylesheet]:
    """Built-in styles first, then the project's own ``styles/KIND.css`` if it has one."""
    names = (["fonts.css"] if kind == "print" else []) + [f"{kind}.css"]
    sheets = [Stylesheet(str(BUILTIN_STYLES / n), (BUILTIN_STYLES / n).read_text(encoding="utf-8"))
              for n in names]
    own = files.root / "styles" / f"{kind}.css"
    if files.is_file(own):
        sheets.append(Stylesheet(str(own), files.read_text(own)))
    return sheets


def project_dir(project: Path | str) -> Path:
    """The project folder, resolved; a UsageError if it is not a book project."""
    path = Path(project)
    if not path.is_dir():
        raise UsageError(f"{project}: no such project folder")
    if not (path / "book" / "outline.yaml").exists():
        raise UsageError(f"{project}: not a book project (there is no book/outline.yaml)")
    return path.resolve()
