"""Download one http(s) address for import: a timeout, a size limit, a type check.

The bytes are returned exactly as received, to be kept beside the source
with their SHA-256, as web archives keep a capture.  Every failure becomes a
:class:`BookError` that names the address and says plainly what went wrong
(no network, no such host, no answer, a refusal from the server).
"""
from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPException

from . import __version__
from .errors import BookError

MAX_BYTES = 50 * 2**20
TIMEOUT = 30.0
# Media types bookmaker imports, and the suffix of the original it keeps.
ACCEPTED = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
            "text/plain": ".txt", "text/markdown": ".md", "text/x-markdown": ".md"}
OFFLINE = "check the address and the network; without a network, save the page from a browser " \
          "and import the file"


@dataclass(frozen=True)
class Download:
    url: str           # the address asked for
    final_url: str     # after redirects
    data: bytes        # as received
    media_type: str    # e.g. "text/html"
    content_type: str  # the whole header, with its charset
    suffix: str        # of the original to keep: ".html", ".pdf", ...
    accessed: str      # YYYY-MM-DD


def fetch(url: str, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> Download:
    """GET ``url``; waits at most ``timeout`` seconds for each answer and ten times that in all."""
    request = urllib.request.Request(url, headers={
        "User-Agent": f"bookmaker/{__version__} (+import of a source)",
        "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8",
        "Accept-Encoding": "identity",  # the bytes kept are the bytes of the page itself
    })
    deadline = time.monotonic() + 10 * timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only)
            header = response.headers.get("Content-Type", "")
            media_type = _media_type(header)
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise _too_big(url, int(length), max_bytes)
            chunks, size = [], 0
            while chunk := response.read1(64 * 1024):  # what has come, so the clock is read often
                size += len(chunk)
                if size > max_bytes:
                    raise _too_big(url, size, max_bytes, more=True)
                if time.monotonic() > deadline:
                    raise socket.timeout
                chunks.append(chunk)
            data, final_url = b"".join(chunks), response.geturl()
    except urllib.error.HTTPError as exc:
        raise BookError(f"{url}: the server answered {exc.code} {exc.reason}", None,
                        "the page may need a login, or refuse programs: open it in a browser, "
                        "save it, and import the file" if exc.code in (401, 403, 429) else
                        "check the address") from None
    except urllib.error.URLError as exc:
        raise BookError(f"{url}: {_reason(exc.reason, timeout)}", None, OFFLINE) from None
    except (socket.timeout, TimeoutError):
        raise BookError(f"{url}: no answer within {timeout:g} s (or the download took too long)",
                        None, OFFLINE) from None
    except (HTTPException, OSError) as exc:
        raise BookError(f"{url}: the download failed ({_reason(exc, timeout)})", None, OFFLINE) from None
    suffix = ACCEPTED.get(media_type)
    if suffix is None and media_type in ("application/octet-stream", "") and data.startswith(b"%PDF-"):
        suffix, media_type = ".pdf", "application/pdf"  # servers often send PDFs untyped
    if suffix is None:
        raise BookError(f"{url}: the server sent {media_type or 'an untyped file'}, not a web page, "
                        "a PDF or text", None, "bookmaker imports web pages, PDFs and text files")
    return Download(url, final_url, data, media_type, header, suffix, dt.date.today().isoformat())


def _media_type(header: str) -> str:
    message = Message()
    message["Content-Type"] = header or "application/octet-stream"
    return message.get_content_type() if header else ""


def _too_big(url: str, size: int, limit: int, more: bool = False) -> BookError:
    return BookError(f"{url}: the download is " + (f"larger than the limit of {size_text(limit)}" if more
                     else f"{size_text(size)}, over the limit of {size_text(limit)}"), None,
                     "save the file with a browser and import it from the disk")


def size_text(size: int) -> str:
    """52428800 -> '50 MB', 7627 -> '7.4 KB'."""
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if size >= scale or unit == "KB":
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def _reason(reason: object, timeout: float) -> str:
    """A plain sentence for why a connection failed."""
    if isinstance(reason, socket.gaierror):
        return "cannot find the server: there is no network, or no such host"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "the server refused the connection"
    if isinstance(reason, ssl.SSLError):
        return f"the secure connection failed ({getattr(reason, 'reason', None) or reason})"
    if isinstance(reason, OSError) and reason.errno in (101, 113):  # ENETUNREACH, EHOSTUNREACH
        return "the network is unreachable: there is no network connection"
    return str(getattr(reason, "strerror", None) or reason)


def is_address(text: str) -> bool:
    """Whether a SOURCE given to import is an http(s) address rather than a file."""
    return urllib.parse.urlsplit(text).scheme.lower() in ("http", "https") and "://" in text
