"""Which extractor reads a SOURCE given to import, and the refusals before any.

An http(s) address is downloaded (:mod:`fetch`); a file is known by its first
bytes (a PDF) or its suffix; a folder is the page of a "web page, complete".
Whatever is not a sound web page, PDF or text file is refused here, naming it.
"""
from __future__ import annotations

from pathlib import Path

from .errors import BookError, Location
from .extract import Extracted, extract_text_file
from .fetch import fetch, is_address, size_text

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
TEXT_SUFFIXES = {".txt": False, ".text": False, ".md": True, ".markdown": True}


def read_source(origin: str, timeout: float, max_bytes: int) -> Extracted:
    """Extract one file or address, refusing what is not a supported, sound document."""
    from .pdftext import extract_pdf
    from .webpage import extract_page

    if is_address(origin):
        got = fetch(origin, timeout, max_bytes)
        if got.suffix == ".pdf":
            found = extract_pdf(got.data, origin)
            found.meta["url"] = found.meta["url"] or got.final_url
        elif got.suffix == ".html":
            found = extract_page(got.data, origin, url=got.final_url, content_type=got.content_type)
        else:
            found = extract_text_file(got.data, origin, markdown=got.suffix == ".md")
            found.meta["url"] = got.final_url
        found.accessed = got.accessed
        return _require_text(found, origin)
    path = page_file(Path(origin))
    data = read_limited(path, max_bytes)
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF-"):
        found = extract_pdf(data, path)
    elif suffix == ".pdf":
        raise BookError("not a PDF, or a damaged one (it does not start with %PDF-)",
                        Location(path), "download or export it again")
    elif suffix in HTML_SUFFIXES or (suffix not in TEXT_SUFFIXES and _looks_like_html(data)):
        found = extract_page(data, path)
    elif suffix in TEXT_SUFFIXES:
        found = extract_text_file(data, path, markdown=TEXT_SUFFIXES[suffix])
    else:
        raise BookError(f"unknown kind of file{f' ({suffix})' if suffix else ''}", Location(path),
                        "bookmaker imports web pages saved from a browser (.html, .htm), PDFs "
                        "with a text layer, and .txt or .md files; save the document as one of these")
    return _require_text(found, path)


def page_file(path: Path) -> Path:
    """The file to read for SOURCE: itself, or the page of a 'web page, complete' folder."""
    if path.is_dir():
        if path.name.endswith("_files"):  # the folder of a page's images and styles
            stem = path.name[: -len("_files")]
            pages = [path.with_name(stem + s) for s in HTML_SUFFIXES if path.with_name(stem + s).is_file()]
        else:
            pages = sorted(p for p in path.iterdir() if p.suffix.lower() in HTML_SUFFIXES and p.is_file())
        if len(pages) != 1:
            raise BookError("a folder, and not one of a saved web page" if not pages else
                            f"the folder holds {len(pages)} web pages", Location(path),
                            "import the page's .html file itself")
        return pages[0]
    if not path.exists():
        raise BookError("no such file", Location(path))
    if not path.is_file():
        raise BookError("not a file", Location(path))
    return path


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; one over the limit is refused before it is read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BookError(f"the file is {size_text(size)}, over the limit of {size_text(max_bytes)}",
                            Location(path), "bookmaker imports articles and reports, not archives")
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise BookError(f"cannot read the file: {exc.strerror}", Location(path)) from None
    if len(data) > max_bytes:
        raise BookError(f"the file is over the limit of {size_text(max_bytes)}", Location(path))
    return data


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<!-- saved from url"))


def _require_text(found: Extracted, where: Path | str) -> Extracted:
    if not found.paragraphs:
        raise BookError(f"no text found in the {found.kind}", Location(where) if isinstance(where, Path)
                        else None, "a page whose scripts draw its text is empty when saved or "
                        "downloaded: save it from the browser once it has loaded, or print it to "
                        "PDF and import that" if found.kind == "web page" else None)
    return found
