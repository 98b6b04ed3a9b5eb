"""``bookmaker preview``: a local web server around the same build, live.

A watcher thread (watchfiles) builds the site again on every save; open pages
hear of it over server-sent events and swap in the new page (preview.js).
The server answers only from a fixed table: the pages of the last build, the
preview's own assets and the bundled fonts, the event stream, and a PDF built
on demand into a temporary folder.  No URL is ever mapped onto the file
system, so there is no listing and no way out of the project; the user's
output folder is never written.  A broken project is shown as its errors and
the server lives on.  It binds 127.0.0.1 unless told otherwise and, bound to
the loopback, answers only requests addressed to the loopback (DNS rebinding).
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..api import build, project_dir
from ..cache import WATCHED_DIRS, Inputs
from ..errors import BookError, BuildFailed, UsageError
from ..files import ProjectFiles
from ..render.html import PACKAGE_DIR
from .site import ASSETS, Site, build_site, error_page, shell

ASSET_TYPES = {"preview.css": "text/css; charset=utf-8",
               "preview.js": "text/javascript; charset=utf-8"}
FONTS = {p.name: p for p in sorted((PACKAGE_DIR / "fonts").glob("*.otf"))}
LOOPBACK = ("127.0.0.1", "localhost", "::1")
KEEPALIVE_S = 15
log = logging.getLogger("bookmaker")


class Preview:
    """The state the server threads share: the current site, and who waits for the next."""

    def __init__(self, project: Path, scratch: Path) -> None:
        self.project = project
        self.scratch = scratch               # the on-demand PDF is built here, never in dist/
        self.inputs = Inputs.snapshot(ProjectFiles(project))  # what the current site was built from
        self.site = build_site(project, 1)
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.pdf_lock = threading.Lock()

    def rebuild(self, why: str) -> None:
        started = time.perf_counter()
        self.inputs = Inputs.snapshot(ProjectFiles(self.project))
        site = build_site(self.project, self.site.version + 1)
        with self.changed:
            self.site = site
            self.changed.notify_all()
        took = time.perf_counter() - started
        if site.broken:
            n = len(site.errors)
            say(f"{why}: {n} error{'s' if n != 1 else ''}, shown in the page")
        else:
            say(f"{why}: rebuilt in {took:.1f} s")

    def wait(self, seen: int, timeout: float) -> Site:
        with self.changed:
            self.changed.wait_for(lambda: self.site.version != seen or self.stopping.is_set(), timeout)
            return self.site

    def stop(self) -> None:
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()

    def watch(self) -> None:
        """Build again after each batch of saves; follow input folders as they come and go."""
        import watchfiles

        while not self.stopping.is_set():
            roots = [self.project / d for d in WATCHED_DIRS if (self.project / d).is_dir()]
            if not roots:
                self.stopping.wait(1)
                continue
            started = False
            try:
                for changes in watchfiles.watch(*roots, stop_event=self.stopping, step=50,
                                                rust_timeout=1000, yield_on_timeout=True,
                                                raise_interrupt=False):
                    now = [self.project / d for d in WATCHED_DIRS if (self.project / d).is_dir()]
                    missed = False
                    if not started:  # watching from now on; a save made before is found here
                        started = True
                        missed = Inputs.snapshot(ProjectFiles(self.project)).files != self.inputs.files
                    if changes or missed or now != roots:
                        self.rebuild(describe(changes, self.project) or "changed while not watched")
                    if now != roots:
                        break  # watch the new set of folders
            except (OSError, RuntimeError) as exc:  # a watched folder vanished under us
                log.debug("watcher restarts: %s", exc)
                self.stopping.wait(0.5)


class Handler(BaseHTTPRequestHandler):
    server: "PreviewServer"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.respond(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self.respond(head=True)

    def respond(self, head: bool) -> None:
        preview = self.server.preview
        if not self.host_allowed():
            return self.send(HTTPStatus.MISDIRECTED_REQUEST, b"wrong host\n", "text/plain", head)
        path = unquote(urlsplit(self.path).path)
        site = preview.site
        if path == "/_preview/events" and not head:
            return self.events()
        if path == "/_preview/book.pdf":
            return self.pdf(head)
        chapter = path[len("/_preview/pdf/"):-len(".pdf")] if path.startswith("/_preview/pdf/") \
            and path.endswith(".pdf") else None
        if chapter is not None and chapter in site.chapters:  # ids of this build's chapters only
            return self.pdf(head, chapter)
        if path == "/_preview/book.css":
            return self.send(HTTPStatus.OK, site.css, "text/css; charset=utf-8", head)
        if path.startswith("/_preview/") and path[10:] in ASSET_TYPES:
            return self.send(HTTPStatus.OK, (ASSETS / path[10:]).read_bytes(), ASSET_TYPES[path[10:]], head)
        if path.startswith("/_preview/fonts/") and path[16:] in FONTS:
            return self.send(HTTPStatus.OK, FONTS[path[16:]].read_bytes(), "font/otf", head,
                             cache="max-age=3600")
        if site.broken and (path == "/" or path.endswith(".html")):
            return self.send(HTTPStatus.OK, site.error_page, "text/html; charset=utf-8", head)
        if path in site.pages:
            return self.send(HTTPStatus.OK, site.pages[path], "text/html; charset=utf-8", head)
        self.send(HTTPStatus.NOT_FOUND, not_found(), "text/html; charset=utf-8", head)

    def host_allowed(self) -> bool:
        if self.server.host not in LOOPBACK:
            return True  # --host given: the user chose who may connect
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        return host in LOOPBACK

    def send(self, status: HTTPStatus, body: bytes, kind: str, head: bool,
             cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def events(self) -> None:
        """Server-sent events: the site's version now, then at every rebuild."""
        preview = self.server.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        seen = 0
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not preview.stopping.is_set():
                site = preview.wait(seen, KEEPALIVE_S)
                if site.version != seen:
                    seen = site.version
                    self.wfile.write(f"event: update\ndata: {seen}\n\n".encode())
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the page went away

    def pdf(self, head: bool, chapter: str | None = None) -> None:
        """The whole book, or one chapter as a handout, as the PDF build makes it, built
        now into the preview's own folder."""
        preview = self.server.preview
        with preview.pdf_lock:  # one PDF build at a time; the build cache makes repeats cheap
            try:
                result = build(preview.project, formats=("pdf",), out=preview.scratch / "pdf",
                               chapters=chapter)
                body = result.outputs["pdf"].read_bytes()
            except BuildFailed as exc:
                return self.send(HTTPStatus.OK, error_page(exc.errors, preview.site.version),
                                 "text/html; charset=utf-8", head)
            except BookError as exc:  # e.g. a style that loads a file outside the project
                return self.send(HTTPStatus.OK, error_page([exc], preview.site.version),
                                 "text/html; charset=utf-8", head)
        self.send(HTTPStatus.OK, body, "application/pdf", head)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        log.debug("preview: " + format, *args)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, preview: Preview) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.preview = preview
        super().__init__((host, port), Handler)


def describe(changes: set, project: Path) -> str:
    """A few of the changed files, for the log line."""
    names = sorted({os.path.relpath(path, project) for _, path in changes})
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def not_found() -> bytes:
    return shell().get_template("not-found.html").render().encode()


def say(message: str) -> None:
    print(f"preview: {message}", file=sys.stderr, flush=True)


def serve(project: Path | str = ".", host: str = "127.0.0.1", port: int = 8000,
          open_browser: bool = False) -> int:
    """Serve the project's book until Ctrl-C (or SIGTERM); returns the exit status."""
    root = project_dir(project)
    # ignore_cleanup_errors: a PDF build still running when Ctrl-C came may be writing there.
    with tempfile.TemporaryDirectory(prefix="bookmaker-preview-", ignore_cleanup_errors=True) as scratch:
        preview = Preview(root, Path(scratch))
        try:
            server = PreviewServer(host, port, preview)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}"
                             + ("; choose another port with --port" if port else "")) from None
        bound_host, bound_port = server.server_address[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        url = f"http://{shown}:{bound_port}/"
        print(f"bookmaker preview: {preview.site.title or 'the project'} at {url} (Ctrl-C to stop)",
              flush=True)
        if preview.site.broken:
            say(f"{len(preview.site.errors)} error(s) in the project, shown in the page")
        watcher = threading.Thread(target=preview.watch, name="preview-watch", daemon=True)
        watcher.start()
        if open_browser:
            webbrowser.open(url)
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            preview.stop()
            server.server_close()
            watcher.join(timeout=5)
        say("stopped")
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
