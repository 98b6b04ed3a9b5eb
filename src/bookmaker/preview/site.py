"""The preview's pages: the book's shared HTML as web pages, or the errors in its place.

Each build of the site checks the project exactly as ``bookmaker check`` does,
then renders the parts the EPUB is made of (EPUB-style footnotes suit the
web: a call in the text, the attribution right after the excerpt).  One page
per part, plus a title page with the contents; ``#id`` links that point into
another part are pointed at that part's page.  A project that does not check
out gives a :class:`Site` whose every page is the error view, listing the same
``FILE:LINE:COLUMN: message`` lines the command line prints.
"""
from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..api import load
from ..errors import BookError, BuildFailed, Location, UsageError, WarningRecorder
from ..model import Book
from ..render.html import Part, RenderedBook
from ..render.templates import render

ASSETS = Path(__file__).resolve().parent / "assets"
ID_ATTR = re.compile(r'\sid="([^"]+)"')
LOCAL_HREF = re.compile(r'href="#([^"]+)"')
log = logging.getLogger("bookmaker")


@dataclass(frozen=True)
class Site:
    """One build of the preview: pages by URL path, the book's CSS, or the errors."""

    version: int
    pages: dict[str, bytes] = field(default_factory=dict)
    css: bytes = b""
    errors: tuple[str, ...] = ()
    error_page: bytes = b""
    title: str = ""
    chapters: frozenset[str] = frozenset()  # ids with a one-chapter PDF

    @property
    def broken(self) -> bool:
        return bool(self.errors)


@functools.lru_cache(maxsize=1)
def shell() -> jinja2.Environment:
    """The preview's own page template (not the project's: it frames the book)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(ASSETS)), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def build_site(project: Path, version: int) -> Site:
    """Check and render the project; never raises for a problem in the project."""
    warnings = _Warnings()
    log.addHandler(warnings)
    try:
        loaded = load(project)
        book = loaded.book
        rendered = RenderedBook(book, loaded.files)
        parts = rendered.parts("epub")
        title_page = render(rendered.env, "titlepage.html", book=book)
        css = "\n".join(sheet.text for sheet in loaded.styles["epub"])
    except BuildFailed as exc:
        return _broken(version, exc.errors)
    except BookError as exc:
        return _broken(version, [exc])
    except UsageError as exc:  # e.g. book/outline.yaml deleted: said as the command line says it
        return _broken(version, [BookError(f"bookmaker: {exc}")])
    except jinja2.TemplateSyntaxError as exc:  # a project template override that does not parse
        where = Location(Path(exc.filename), exc.lineno) if exc.filename else None
        return _broken(version, [BookError(f"template error: {exc.message}", where)])
    except (jinja2.TemplateError, OSError) as exc:
        return _broken(version, [BookError(f"cannot render the book: {exc}", Location(project))])
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the server; say what broke
        log.debug("preview build failed", exc_info=True)
        return _broken(version, [BookError(f"cannot render the book: {type(exc).__name__}: {exc}",
                                           hint="run bookmaker build --debug for the traceback")])
    finally:
        log.removeHandler(warnings)
    return Site(version, pages(book, parts, Markup(title_page), version, warnings.messages),
                css.encode(), title=book.title, chapters=frozenset(c.id for c in book.chapters))


def pages(book: Book, parts: tuple[Part, ...], title_page: Markup, version: int,
          warnings: list[str]) -> dict[str, bytes]:
    files = {p.id: page_path(p.id) for p in parts}
    owner = {anchor: files[p.id] for p in parts for anchor in [p.id, *ID_ATTR.findall(p.body)]}
    template = shell().get_template("page.html")
    common = dict(book=book, parts=parts, files=files, version=version, warnings=warnings,
                  excerpts=sum(len(ch.excerpts()) for ch in book.chapters), errors=())
    out = {"/": template.render(common, current=None, title_page=title_page,
                                previous=None, next=parts[0] if parts else None)}
    for i, part in enumerate(parts):
        body = Markup(link(part.body, files[part.id], owner))
        out[files[part.id]] = template.render(
            common, current=part, body=body, previous=parts[i - 1] if i else None,
            next=parts[i + 1] if i + 1 < len(parts) else None)
    return {path: html.encode() for path, html in out.items()}


def page_path(part_id: str) -> str:
    return f"/{part_id}.html"


def link(body: str, own_page: str, owner: dict[str, str]) -> str:
    """Point ``#id`` links at the page that holds the id, when it is another part's."""
    def fix(m: re.Match) -> str:
        page = owner.get(m.group(1))
        return m.group(0) if page in (None, own_page) else f'href="{page}#{m.group(1)}"'
    return LOCAL_HREF.sub(fix, body)


def _broken(version: int, errors: list[BookError]) -> Site:
    return Site(version, errors=tuple(str(e) for e in errors), error_page=error_page(errors, version))


def error_page(errors: list[BookError], version: int) -> bytes:
    """The error view: each error as the command line prints it, its place set apart."""
    lines = [ErrorLine(str(e.where) if e.where else None, e.message, e.hint) for e in errors]
    return shell().get_template("page.html").render(
        book=None, parts=(), files={}, version=version, warnings=[], excerpts=0,
        errors=lines, current=None, previous=None, next=None).encode()


@dataclass(frozen=True)
class ErrorLine:
    """One error, in the parts the page styles; together they read as ``str(BookError)``."""

    where: str | None
    message: str
    hint: str | None


class _Warnings(WarningRecorder):
    """bookmaker's warnings while this thread builds the site, to show them in the page."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            super().emit(record)
