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
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from .cache import MANIFEST, BuildCache, Inputs
from .errors import BookError, BuildFailed, Location, UsageError
from .loader import load_book
from .model import Book
from .outline import slugify

FORMATS = ("pdf", "epub")
TMP_SUFFIX = ".bookmaker-tmp"
BUILTIN_STYLES = Path(__file__).resolve().parent / "styles"
log = logging.getLogger("bookmaker")


@dataclass(frozen=True)
class BuildResult:
    book: Book
    outputs: dict[str, Path]          # every requested format, written or up to date
    up_to_date: tuple[str, ...] = ()  # the formats left alone: their inputs had not changed


class _Recorder(logging.Handler):
    """Remembers bookmaker's warnings, for --strict."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _strict(strict: bool) -> Iterator[None]:
    recorder = _Recorder()
    log.addHandler(recorder)
    try:
        yield
    finally:
        log.removeHandler(recorder)
    if strict and recorder.messages:
        raise BuildFailed([BookError(f"warning treated as error (--strict): {m}")
                           for m in recorder.messages])


def check(project: Path | str = ".", strict: bool = False) -> Book:
    """Validate outline, sources, excerpts and editorial data without rendering."""
    return _load(project, strict)[0]


def _load(project: Path | str, strict: bool) -> tuple[Book, dict[str, list[Path]]]:
    """The checked book and, for every format, its stylesheets (read once, checked)."""
    with _strict(strict):
        book = load_book(_project_dir(project))
        styles = {fmt: stylesheets(book.project, "print" if fmt == "pdf" else fmt) for fmt in FORMATS}
    return book, styles


def build(project: Path | str = ".", formats: Sequence[str] = FORMATS,
          out: Path | str | None = None, strict: bool = False, force: bool = False) -> BuildResult:
    """Build the requested formats into ``out`` (default ``PROJECT/dist``).

    An output whose inputs are unchanged since it was written, and whose bytes
    are those written, is left alone (see :mod:`bookmaker.cache`); ``force``
    renders every requested format anyway.
    """
    options = dict(locals())  # every parameter: an option added later joins the cache key by itself
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(f"unknown format {unknown[0] if unknown else '(none)'}; choose pdf, epub or all")
    inputs = Inputs.snapshot(_project_dir(project))  # hashed before anything reads them
    book, styles = _load(project, strict)  # every style checked, as by `check`
    out_dir = Path(out) if out is not None else book.project / "dist"
    stem = slugify(book.title) or "book"
    targets = {fmt: out_dir / f"{stem}.{fmt}" for fmt in formats}

    # -- the cache: skip what is up to date; a no-change build writes nothing --
    cache = BuildCache(out_dir, inputs, options)
    fresh = () if force else tuple(f for f in formats if cache.fresh(f, targets[f], styles[f]))
    if len(fresh) == len(formats):
        return BuildResult(book, targets, fresh)
    reads = {fmt: cache.reads() for fmt in formats}
    # -- end of the cache's first part --

    _prepare(out_dir)
    from .render.html import RenderedBook

    rendered = RenderedBook(book)  # shared by every format
    done: dict[str, tuple[Path, Path]] = {}
    try:
        for fmt in formats:
            if fmt in fresh:
                continue
            target = targets[fmt]
            tmp = _temp_path(out_dir, target.name)
            done[fmt] = (tmp, target)
            if fmt == "pdf":
                from .render.pdf import write_pdf
                write_pdf(rendered, tmp, styles[fmt], reads[fmt])
            else:
                from .render.epub import write_epub
                write_epub(rendered, tmp, styles[fmt])
        for fmt, (tmp, target) in done.items():  # the cache: these bytes, from these inputs
            cache.record(fmt, target, tmp, styles[fmt], reads[fmt])
        mode = _file_mode()
        for tmp, target in done.values():
            os.chmod(tmp, mode)  # mkstemp makes 0600; outputs are ordinary files
            os.replace(tmp, target)
    finally:
        for tmp, _ in done.values():
            tmp.unlink(missing_ok=True)

    cache.save(lambda: _temp_path(out_dir, MANIFEST))  # the cache: once all is in place
    return BuildResult(book, targets, fresh)


def stylesheets(project: Path, kind: str) -> list[Path]:
    """Built-in styles first, then the project's own ``styles/KIND.css`` if it has one."""
    sheets = ([BUILTIN_STYLES / "fonts.css"] if kind == "print" else []) + [BUILTIN_STYLES / f"{kind}.css"]
    own = project / "styles" / f"{kind}.css"
    if own.exists() or own.is_symlink():
        try:
            own.read_bytes().decode("utf-8")
        except OSError as exc:
            raise BookError(f"cannot read style file: {exc.strerror}", Location(own)) from None
        except UnicodeDecodeError as exc:
            raise BookError(f"style file is not UTF-8 text (offset {exc.start})", Location(own)) from None
        sheets.append(own)
    return sheets


def _project_dir(project: Path | str) -> Path:
    path = Path(project)
    if not path.is_dir():
        raise UsageError(f"{project}: no such project folder")
    if not (path / "book" / "outline.yaml").exists():
        raise UsageError(f"{project}: not a book project (there is no book/outline.yaml)")
    return path.resolve()


def _prepare(out_dir: Path) -> None:
    """Create the output folder, prove it writable, and sweep temp files of killed builds."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for stale in out_dir.glob(f".*{TMP_SUFFIX}"):
            stale.unlink(missing_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise BookError(f"cannot write to the output folder: {exc.strerror}", Location(out_dir),
                        "choose another folder with --out") from None


def _file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_path(out_dir: Path, name: str) -> Path:
    fd, path = tempfile.mkstemp(prefix=f".{name}.", suffix=TMP_SUFFIX, dir=out_dir)
    os.close(fd)
    return Path(path)
