"""Print PDF through WeasyPrint.  The only module that imports WeasyPrint.

WeasyPrint is imported inside :func:`write_pdf`, so an EPUB-only build or a
``bookmaker check`` never pays for it.  Rendering is sandboxed: the fetcher
below serves only files inside the project and the package's own styles and
fonts, and refuses every other URL (network, other files, ``..`` escapes).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from ..errors import BookError, Location
from ..files import ProjectFiles, Stylesheet
from ..model import Book, Compare, Heading, excerpts_of
from . import layout
from .html import PACKAGE_DIR, RenderedBook
from .pages import PageStart, page_starts
from .templates import render


log = logging.getLogger("bookmaker")
progress_log = logging.getLogger("bookmaker.progress")


def allowed_path(url: str, roots: list[Path]) -> Path | None:
    """The local file a URL names, if it lies inside one of ``roots``.

    Percent-escapes are decoded and the path resolved with realpath *before*
    comparing, so neither ``%2e%2e`` segments nor symlinks can step outside.
    """
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(os.path.realpath(unquote(parts.path)))
    for root in roots:
        real_root = os.path.realpath(root)
        if os.path.commonpath([real_root, str(path)]) == real_root:
            return path
    return None


def make_fetcher(files: ProjectFiles, refused: list[tuple[str, str]],
                 record: Callable[[Path, bytes], None] | None = None):
    """WeasyPrint's fetcher, confined to the project and bookmaker's own styles and fonts.

    Project files are read through ``files``: regular files only, within the
    size limit (a FIFO named by a url() would otherwise hang the build).
    ``record`` sees every file it reads, with its bytes (for the build cache).
    """
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    builtin = [PACKAGE_DIR / "styles", PACKAGE_DIR / "fonts"]

    class SandboxFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):  # noqa: D401 (WeasyPrint's signature)
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = allowed_path(url, [files.root, *builtin])
            if path is None:
                refused.append(("refused to load", url))
                raise FatalURLFetchingError(f"refused to fetch {url}")
            try:
                body = (files.read_bytes(path) if files.inside(path) is not None
                        else path.read_bytes())
            except BookError as exc:
                refused.append((f"cannot read ({exc.message})", url))
                raise FatalURLFetchingError(f"cannot read {url}") from None
            except OSError as exc:
                refused.append((f"cannot read ({exc.strerror})", url))
                raise FatalURLFetchingError(f"cannot read {url}") from None
            if record is not None:  # the build cache keys the output by what was read
                record(path, body)
            return URLFetcherResponse(path.as_uri(), body=body)

    return SandboxFetcher()


def blocks_of(book: Book) -> layout.Blocks:
    """Each excerpt's number mapped to what starts a new page if its footnote
    drifts (its figure or compare group, or the sub-heading right before it,
    which must not stay behind alone) and the id of the block itself.

    WeasyPrint 70 sometimes defers a footnote to the next page although it
    fits (after backtracking for a page break, or inside flex items).
    """
    found = {}
    for chapter in book.chapters:
        previous = None
        for block in chapter.blocks:
            group = excerpts_of(block)
            for excerpt in group:
                own = f"cmp{group[0].number}" if isinstance(block, Compare) else f"x{excerpt.number}"
                found[excerpt.number] = (previous.id if isinstance(previous, Heading) else own, own)
            previous = block
    return found


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig><dir>{fonts}</dir></fontconfig>
"""


def private_fonts(workdir: Path):
    """A WeasyPrint font configuration that knows the bundled fonts and nothing else.

    WeasyPrint starts from the system's fontconfig set-up, so a glyph missing
    from the bundled fonts was drawn from whatever fonts the machine had, and
    the same project gave other bytes elsewhere.  fontconfig reads
    ``FONTCONFIG_FILE`` when the configuration is made, so it is pointed at a
    file naming only our fonts folder for exactly that moment.  The fonts of
    ``@font-face`` rules are copied to ``workdir``, not to the system's
    temporary folder.
    """
    from weasyprint.text.fonts import FontConfiguration

    conf = workdir / "fonts.conf"
    conf.write_text(FONTS_CONF.format(fonts=escape(str(PACKAGE_DIR / "fonts"))), encoding="utf-8")
    saved = os.environ.get("FONTCONFIG_FILE")
    os.environ["FONTCONFIG_FILE"] = str(conf)
    try:
        fonts = FontConfiguration()
    finally:
        if saved is None:
            os.environ.pop("FONTCONFIG_FILE", None)
        else:
            os.environ["FONTCONFIG_FILE"] = saved
    folder = workdir / "font-faces"
    folder.mkdir()
    fonts._folder = folder  # WeasyPrint would make a folder in /tmp on first @font-face
    return fonts


def remembered_page_references() -> None:
    """Make pydyf's ``PDF.page_references`` build its tuple once per page count.

    pydyf 0.13's property builds the references of every page on every read,
    and WeasyPrint's PDF/UA tagging reads it for every structure element and
    every anchor: writing grew with the square of the pages (35 of 110 s at 936
    pages).  The tuple only changes when a page is added, so it is kept with
    the count of the page tree's kids it was made from: the same bytes.
    """
    import pydyf

    if getattr(pydyf.PDF.page_references.fget, "bookmaker", False):
        return

    def page_references(self):
        kids = self.pages["Kids"]
        kept = self.__dict__.get("_bookmaker_page_references")
        if kept is None or kept[0] != len(kids):
            kept = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
            self.__dict__["_bookmaker_page_references"] = kept
        return kept[1]

    page_references.bookmaker = True
    pydyf.PDF.page_references = property(page_references)


def import_weasyprint():
    """WeasyPrint, imported without ctypes' library search where the libraries
    load by their own names (Linux).

    WeasyPrint opens pango, harfbuzz and fontconfig by trying a list of names,
    the Windows and macOS ones first; for each name that does not load, cffi
    asks ``ctypes.util.find_library``, which on Linux runs ``ldconfig``, ``gcc``
    and ``ld`` (54 processes, gcc writing its scratch files to the system's
    temporary folder) before the name that does load, the library's soname, is
    tried.  That was a third of WeasyPrint's start-up, on every PDF build.  The
    search is turned off for the import, so the names that fail do so at once;
    if the import fails that way, it is done again with the search.
    """
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        return weasyprint
    import ctypes.util
    import io
    from contextlib import redirect_stdout

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with redirect_stdout(io.StringIO()):  # WeasyPrint prints its advice on failure
            import weasyprint
    except OSError:
        log.debug("WeasyPrint's libraries did not load by their sonames; searching for them")
    else:
        return weasyprint
    finally:
        ctypes.util.find_library = search
    import weasyprint

    return weasyprint


def book_time(book: Book) -> dt.datetime:
    return dt.datetime.fromisoformat(book.date)


def write_pdf(rendered: RenderedBook, target: Path, stylesheets: list[Stylesheet],
              workdir: Path, record: Callable[[Path, bytes], None] | None = None
              ) -> list[PageStart]:
    """Render the whole book into ``target`` (a temporary path the caller renames);
    returns where each page begins (:mod:`.pages`), for the EPUB's page list.

    ``workdir`` is scratch space inside the output folder, removed by the caller;
    ``record``, if given, is called with each file the renderer reads and its bytes.
    """
    weasyprint = import_weasyprint()

    book = rendered.book
    project = Path(book.project)
    html = render(rendered.env, "book.html", book=book, parts=rendered.parts("pdf"))
    refused: list[tuple[str, str]] = []
    fetcher = make_fetcher(rendered.files, refused, record)
    try:
        fonts = private_fonts(workdir)  # one for CSS and layout, or @font-face is ignored
        # From the text read (and checked) once, never by file name: CSS(filename=)
        # would read past the fetcher, and follow a symlink out of the project.
        css = [weasyprint.CSS(string=sheet.text, base_url=Path(sheet.path).as_uri(),
                              url_fetcher=fetcher, font_config=fonts) for sheet in stylesheets]
        with layout.long_lived() as kept:
            document = _lay_out(html, rendered, css, fonts, fetcher,
                                "\n".join(sheet.text for sheet in stylesheets), kept)
            for attachment in document.metadata.attachments:
                # WeasyPrint dates an attachment with the clock; the book's date keeps the bytes stable.
                attachment.created = attachment.modified = book_time(book)
            remembered_page_references()
            document.write_pdf(target, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
            return page_starts(document, [p.id for p in rendered.parts("pdf")])
    except weasyprint.urls.FatalURLFetchingError:
        what, url = refused[-1] if refused else ("refused to load", "a resource")
        if what == "refused to load":
            raise BookError(f"refused to load {url}: the renderer reads only files inside the "
                            "project and bookmaker's own styles and fonts", Location(project),
                            "copy the file into the project and refer to it with a relative path"
                            ) from None
        raise BookError(f"{what}: {url}", Location(Path(unquote(urlsplit(url).path))),
                        "check the file named by a url() or @import in the project's styles") from None


def _lay_out(html: str, rendered: RenderedBook, css: list, fonts, fetcher, style_text: str,
             kept: layout.LongLived):
    """The laid-out book: part by part (see :mod:`.layout`), or in one document
    when the project's templates or styles need that."""
    book = rendered.book
    base_url = Path(book.project).as_uri() + "/"
    root = layout.parse(html)
    # A selection's title block shares its first page with the first chapter, and a
    # handout is short: laid out in one piece.
    pieces = None if book.extract is not None else layout.split(
        root, [p.id for p in rendered.parts("pdf")], blocks_of(book), style_text)
    if pieces is not None:
        with terminal_progress(len(pieces)) as progress:
            book_layout = layout.BookLayout(
                root, pieces, lambda tree: layout.html_from_tree(tree, base_url, fetcher), css,
                fonts, progress=progress, places=places(book), settle=kept.settle)
            try:
                book_layout.run()
                return book_layout.joined()
            except layout.Unsplittable as exc:
                log.info("laying the book out in one piece: %s", exc)
        # The parts laid out so far are dropped, and freed before the book is laid out again;
        # here, not in the except clause, where the exception's traceback still holds them.
        pieces = book_layout = None
        kept.release()
    return _single_document(html, book, css, fonts, fetcher)


@contextmanager
def terminal_progress(parts: int):
    """A progress bar on stderr (parts laid out, pages so far) while the book is laid out.

    Only for a terminal, and only when the ``bookmaker.progress`` logger is on
    (the CLI turns it on, ``--quiet`` off; library calls leave it off).
    """
    if not (sys.stderr.isatty() and progress_log.isEnabledFor(logging.INFO)):
        yield None
        return
    from tqdm import tqdm

    # A terminal that reports no size (a bare pty) would get a bar of no characters.
    width, height = shutil.get_terminal_size((80, 24))
    with tqdm(total=parts, desc="laying out", unit="part", leave=False, file=sys.stderr,
              ncols=width, nrows=height) as bar:
        def update(done: int, total: int, pages: int) -> None:
            if done >= bar.n:  # later passes re-check the parts; the bar shows the first
                bar.n = done
                bar.set_postfix_str(f"{pages} pages", refresh=False)
                bar.refresh()
        yield update


def _single_document(html: str, book: Book, css: list, fonts, fetcher):
    """The whole book in one layout, laid out again while footnotes drift."""
    import weasyprint

    source = weasyprint.HTML(string=html, base_url=Path(book.project).as_uri() + "/",
                             url_fetcher=fetcher)
    first = min(places(book).items(), default=(0, None))[1]

    def render(more: list):
        # layout.render_document, not HTML.render: it mends WeasyPrint's repagination slips.
        return layout.guarded(
            lambda fallback: layout.render_document(source, [*more, *fallback], fonts, {}, {})[0],
            lambda: weasyprint.CSS(string=layout.FOOTNOTE_FALLBACK, font_config=fonts), first)

    document = render(css)
    blocks = blocks_of(book)
    breaks: list[str] = []  # CSS selectors of the elements that start a new page
    found = layout.drifted(document, blocks)
    for _ in range(layout.MAX_RELAYOUTS):
        if not found:
            break
        layout.add_breaks(found, breaks)  # and lay out again
        log.info("laying out again: footnotes %s drifted from their page", sorted(found))
        extra = weasyprint.CSS(string=", ".join(breaks) + " { break-before: page; }",
                               font_config=fonts)
        document = render([*css, extra])
        found = layout.drifted(document, blocks)
    layout.warn_drifted(sorted(found), places(book))
    return document


def places(book: Book) -> dict:
    """Where each excerpt is written (a Location), by its footnote number."""
    return {e.number: e.loc for chapter in book.chapters for e in chapter.excerpts()}
