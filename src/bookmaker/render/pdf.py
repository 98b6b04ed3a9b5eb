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
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from ..errors import BookError, Location
from ..files import ProjectFiles, Stylesheet
from ..model import Book, Compare, Heading, excerpts_of
from .html import PACKAGE_DIR, RenderedBook
from .templates import render


MAX_RELAYOUTS = 3
log = logging.getLogger("bookmaker")


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


def make_fetcher(files: ProjectFiles, refused: list[tuple[str, str]]):
    """WeasyPrint's fetcher, confined to the project and bookmaker's own styles and fonts.

    Project files are read through ``files``: regular files only, within the
    size limit (a FIFO named by a url() would otherwise hang the build).
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
            return URLFetcherResponse(path.as_uri(), body=body)

    return SandboxFetcher()


def drifted_footnotes(document, book: Book) -> dict[int, tuple[str, str]]:
    """Excerpts whose footnote WeasyPrint put on another page than the call.

    WeasyPrint 70 sometimes defers a footnote to the next page although it
    fits (after backtracking for a page break, or inside flex items).  Each
    call carries the anchor ``callN`` and each note ``fnN``; the document's
    public ``Page.anchors`` tell where they landed.  Returns the excerpt number
    mapped to the id of the block to move to a new page (its figure or its
    compare group, or the sub-heading right before it, which must not stay
    behind alone) and the id of the block itself.
    """
    page_of: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            page_of.setdefault(name, index)
    drifted = {}
    for chapter in book.chapters:
        previous = None
        for block in chapter.blocks:
            group = excerpts_of(block)
            for excerpt in group:
                n = excerpt.number
                if page_of.get(f"call{n}") != page_of.get(f"fn{n}"):
                    own = f"cmp{group[0].number}" if isinstance(block, Compare) else f"x{n}"
                    # the heading goes with its block
                    drifted[n] = (previous.id if isinstance(previous, Heading) else own, own)
            previous = block
    return drifted


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


def book_time(book: Book) -> dt.datetime:
    return dt.datetime.fromisoformat(book.date)


def write_pdf(rendered: RenderedBook, target: Path, stylesheets: list[Stylesheet],
              workdir: Path) -> None:
    """Render the whole book into ``target`` (a temporary path the caller renames).

    ``workdir`` is scratch space inside the output folder, removed by the caller.
    """
    import weasyprint

    book = rendered.book
    project = Path(book.project)
    html = render(rendered.env, "book.html", book=book, parts=rendered.parts("pdf"))
    refused: list[tuple[str, str]] = []
    fetcher = make_fetcher(rendered.files, refused)
    try:
        fonts = private_fonts(workdir)  # one for CSS and layout, or @font-face is ignored
        # From the text read (and checked) once, never by file name: CSS(filename=)
        # would read past the fetcher, and follow a symlink out of the project.
        css = [weasyprint.CSS(string=sheet.text, base_url=Path(sheet.path).as_uri(),
                              url_fetcher=fetcher, font_config=fonts) for sheet in stylesheets]
        source = weasyprint.HTML(string=html, base_url=project.as_uri() + "/", url_fetcher=fetcher)
        document = source.render(stylesheets=css, font_config=fonts)
        breaks: list[str] = []  # selectors of the elements that start a new page
        drifted = drifted_footnotes(document, book)
        for _ in range(MAX_RELAYOUTS):
            if not drifted:
                break
            # Start each block whose footnote drifted on a fresh page, and lay out again.
            # A block that drifts although it starts a page already gets the page to
            # itself: WeasyPrint gives up a footnote when what follows competes for room.
            for anchor, own in drifted.values():
                wanted = f"#{anchor}" if f"#{anchor}" not in breaks else f"#{own} + *"
                if wanted not in breaks:
                    breaks.append(wanted)
            log.info("laying out again: footnotes %s drifted from their page", sorted(drifted))
            extra = weasyprint.CSS(string=", ".join(breaks) + " { break-before: page; }",
                                   font_config=fonts)
            document = source.render(stylesheets=[*css, extra], font_config=fonts)
            drifted = drifted_footnotes(document, book)
        for number in drifted:
            log.warning("%s: the footnote of excerpt %d is not on the page of its excerpt",
                        project, number)
        for attachment in document.metadata.attachments:
            # WeasyPrint dates an attachment with the clock; the book's date keeps the bytes stable.
            attachment.created = attachment.modified = book_time(book)
        document.write_pdf(target, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    except weasyprint.urls.FatalURLFetchingError:
        what, url = refused[-1] if refused else ("refused to load", "a resource")
        if what == "refused to load":
            raise BookError(f"refused to load {url}: the renderer reads only files inside the "
                            "project and bookmaker's own styles and fonts", Location(project),
                            "copy the file into the project and refer to it with a relative path"
                            ) from None
        raise BookError(f"{what}: {url}", Location(Path(unquote(urlsplit(url).path))),
                        "check the file named by a url() or @import in the project's styles") from None
