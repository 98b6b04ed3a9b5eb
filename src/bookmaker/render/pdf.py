"""Print PDF through WeasyPrint.  The only module that imports WeasyPrint.

WeasyPrint is imported inside :func:`write_pdf`, so an EPUB-only build or a
``bookmaker check`` never pays for it.  Rendering is sandboxed: the fetcher
below serves only files inside the project and the package's own styles and
fonts, and refuses every other URL (network, other files, ``..`` escapes).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from ..errors import BookError, Location
from ..model import Book, Compare, excerpts_of
from .html import PACKAGE_DIR, RenderedBook


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


def make_fetcher(roots: list[Path], refused: list[str],
                 record: Callable[[Path, bytes], None] | None = None):
    """WeasyPrint's URL fetcher, limited to ``roots``; ``record`` sees every file it reads."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class SandboxFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):  # noqa: D401 (WeasyPrint's signature)
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = allowed_path(url, roots)
            if path is None:
                refused.append(("refused to load", url))
                raise FatalURLFetchingError(f"refused to fetch {url}")
            try:
                body = path.read_bytes()
            except OSError as exc:
                refused.append((f"cannot read ({exc.strerror})", url))
                raise FatalURLFetchingError(f"cannot read {url}") from None
            if record is not None:  # the build cache keys the output by what was read
                record(path, body)
            return URLFetcherResponse(path.as_uri(), body=body)

    return SandboxFetcher()


def drifted_footnotes(document, book: Book) -> dict[int, str]:
    """Excerpts whose footnote WeasyPrint put on another page than the call.

    WeasyPrint 70 sometimes defers a footnote to the next page although it
    fits (after backtracking for a page break, or inside flex items).  Each
    call carries the anchor ``callN`` and each note ``fnN``; the document's
    public ``Page.anchors`` tell where they landed.  Returns the excerpt number
    mapped to the id of the block to move: its figure, or its compare group.
    """
    page_of: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            page_of.setdefault(name, index)
    drifted = {}
    for chapter in book.chapters:
        for block in chapter.blocks:
            group = excerpts_of(block)
            for excerpt in group:
                n = excerpt.number
                if page_of.get(f"call{n}") != page_of.get(f"fn{n}"):
                    drifted[n] = f"cmp{group[0].number}" if isinstance(block, Compare) else f"x{n}"
    return drifted


def write_pdf(rendered: RenderedBook, target: Path, stylesheets: list[Path],
              record: Callable[[Path, bytes], None] | None = None) -> None:
    """Render the whole book into ``target`` (a temporary path the caller renames).

    ``record``, if given, is called with each file the renderer reads and its bytes.
    """
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    book = rendered.book
    html = rendered.env.get_template("book.html").render(book=book, parts=rendered.parts("pdf"))
    refused: list[tuple[str, str]] = []
    fetcher = make_fetcher([book.project, PACKAGE_DIR / "styles", PACKAGE_DIR / "fonts"], refused,
                           record)
    try:
        fonts = FontConfiguration()  # one for CSS and layout, or @font-face is ignored
        css = [weasyprint.CSS(filename=str(p), url_fetcher=fetcher, font_config=fonts)
               for p in stylesheets]
        source = weasyprint.HTML(string=html, base_url=str(book.project) + os.sep, url_fetcher=fetcher)
        document = source.render(stylesheets=css, font_config=fonts)
        breaks: list[str] = []
        drifted = drifted_footnotes(document, book)
        for _ in range(MAX_RELAYOUTS):
            if not drifted:
                break
            # Start each block whose footnote drifted on a fresh page, and lay out again.
            breaks += [anchor for anchor in drifted.values() if anchor not in breaks]
            log.info("laying out again: footnotes %s drifted from their page", sorted(drifted))
            extra = weasyprint.CSS(string=", ".join(f"#{a}" for a in breaks) +
                                   " { break-before: page; }", font_config=fonts)
            document = source.render(stylesheets=[*css, extra], font_config=fonts)
            drifted = drifted_footnotes(document, book)
        for number in drifted:
            log.warning("%s: the footnote of excerpt %d is not on the page of its excerpt",
                        book.project, number)
        document.write_pdf(target, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    except weasyprint.urls.FatalURLFetchingError:
        what, url = refused[-1] if refused else ("refused to load", "a resource")
        if what == "refused to load":
            raise BookError(f"refused to load {url}: the renderer reads only files inside the "
                            "project and bookmaker's own styles and fonts", Location(book.project),
                            "copy the file into the project and refer to it with a relative path"
                            ) from None
        raise BookError(f"{what}: {url}", Location(Path(unquote(urlsplit(url).path))),
                        "check the file named by a url() or @import in the project's styles") from None
