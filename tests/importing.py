"""Shared by the import and find tests: projects, a local web server, PDFs made here."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BOOKMAKER = [sys.executable, "-m", "bookmaker"]
# The local server must be reached directly, whatever proxy the machine has.
ENV = {**os.environ, "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}

# A report of our own writing, for the PDFs the tests make: (heading or None, paragraph).
REPORT = [
    ("Summary", "The night ferry between the north quay and Gull Island carried 41,000 passengers "
     "last year, a third of them after ten in the evening. Most of the late passengers travel to "
     "work or home from it, and few of them have another way to cross."),
    (None, "This report sets out what the service costs, who uses it and what would change if the "
     "last two crossings were dropped. It draws on the operator's ticket counts and on a survey "
     "of passengers taken over four weeks in the autumn."),
    ("Who travels late", "On a weekday night the last boat carries cleaners, cooks, nurses and the "
     "staff of the island's care home, with a smaller number of students. On a Saturday night the "
     "boats fill with visitors returning from the town, and the crew is often doubled."),
    (None, "Four passengers in five told the survey that they had no car. Of those who did, most "
     "said they would not drive round by the causeway, which adds fifty minutes to the journey "
     "and is closed in high winds."),
    (None, "The care home said that without the last crossing it could not staff its night shift. "
     "It has asked the council to treat the ferry as part of the island's health services rather "
     "than as a transport subsidy."),
    ("What it costs", "The two late crossings cost the operator about 5,400 a month in fuel, crew "
     "and harbour dues, and bring in a little under 2,100 in fares. The gap has grown every year "
     "since fuel prices rose, and the operator has said it cannot carry it alone."),
    (None, "Three ways of closing the gap were put to the council: higher fares on the late boats, "
     "a subsidy from the council, or a shared subsidy with the regional transport board. None of "
     "them is cheap, and the first would fall hardest on those who earn least."),
    (None, "A fare rise large enough to close the gap would more than double the price of a late "
     "crossing. The survey suggests that many passengers would then stop travelling, so the gap "
     "would shrink less than the arithmetic promises."),
    ("What we recommend", "We recommend that the council keep both late crossings until the end of "
     "October, pay the gap for that time, and ask the transport board to share it from November. "
     "The council should publish the operator's figures so that the debate can be held in the open."),
    (None, "We also recommend a second survey in the spring, when the timetable is busier, so that "
     "the decision in September rests on more than one season of evidence."),
]

PDF_STYLE = """
@page { size: %(size)s; margin: 16mm 11mm 18mm 11mm;
  @top-center { content: "Night ferry report — Harbour Council"; font: 7pt sans-serif }
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font: 7pt sans-serif }
  @bottom-right { content: "Draft for the council"; font: 6pt sans-serif } }
body { font: 9pt/1.35 serif; text-align: justify; hyphens: %(hyphens)s; margin: 0;
       columns: %(columns)s; column-gap: 6mm }
p { margin: 0; text-indent: 1.4em }
h1 { font-size: 14pt; margin: 0 0 4mm } h2 { font-size: 11pt; margin: 4mm 0 1.5mm }
"""


def make_pdf(path: Path, hyphens: str = "manual", title: str = "The night ferry: a report",
             author: str = "Harbour Council staff", lang: str = "en", columns: int = 1,
             repeat: int = 1) -> Path:
    """A text PDF with a running header, a footer and page numbers, over several pages.

    ``columns=2`` sets it on A5 in two columns; ``repeat`` gives the report that many times.
    """
    import weasyprint

    body = [f"<h1>{title}</h1>"]
    for heading, paragraph in REPORT * repeat:
        if heading:
            body.append(f"<h2>{heading}</h2>")
        body.append(f"<p>{paragraph}</p>")
    style = PDF_STYLE % {"hyphens": hyphens, "columns": columns, "size": "A6" if columns == 1 else "A5"}
    html = (f'<html lang="{lang}"><head><title>{title}</title><meta name="author" content="{author}">'
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>")
    weasyprint.HTML(string=html).write_pdf(path)
    return path


def make_scan(path: Path) -> Path:
    """A PDF of a page as an image only, as a scanner makes it: no text layer."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (600, 840), "white")
    draw = ImageDraw.Draw(page)
    for i, (_, paragraph) in enumerate(REPORT[:4]):
        draw.text((40, 60 + i * 40), paragraph[:70], fill="black")
    page.save(path, "PDF", resolution=72)
    return path


def run(*args, cwd=None, env=None):
    return subprocess.run([*BOOKMAKER, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={**ENV, **(env or {})}, timeout=300)


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---\n", 2)[2]


def quote_outline(project: Path, quotes: list[tuple[str, str]]) -> None:
    """Replace the project's chapter by one quoting each (source id, words)."""
    blocks = "".join(f"      - excerpt: {sid}\n        quote: {json.dumps(q, ensure_ascii=False)}\n"
                     for sid, q in quotes)
    (project / "book" / "outline.yaml").write_text(
        "title: T\neditors: [E]\nlanguage: en\nchapters:\n  - title: C\n    content:\n" + blocks,
        encoding="utf-8")


def browser_texts(page: Path, selector: str, work: Path) -> list[str]:
    """The text of each element matching ``selector`` as Chromium shows it (innerText)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("chromium is not installed: scripts/setup.sh --test installs it")
    script = ("<script>const out=[...document.querySelectorAll(%s)].map(e=>e.innerText);"
              "document.body.innerHTML='';const pre=document.createElement('pre');pre.id='out';"
              "pre.textContent=JSON.stringify(out);document.body.appendChild(pre);</script>"
              % json.dumps(selector))
    copy = work / ("shown-" + page.name)
    copy.write_bytes(page.read_bytes().replace(b"</body>", script.encode() + b"</body>"))
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                           "--dump-dom", copy.as_uri()], capture_output=True, timeout=120)
    from lxml import html

    dom = html.fromstring(done.stdout)
    return json.loads(dom.get_element_by_id("out").text_content())


class Server:
    """A real HTTP server on 127.0.0.1 (an ephemeral port) with routes the tests set."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):  # noqa: N802 (the http.server API)
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                route(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def serve(data: bytes, content_type: str, length: int | None = None, status: int = 200,
          headers: dict[str, str] | None = None):
    """A route answering with ``data`` (and a Content-Length of ``length`` if given)."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        if length != -1:
            handler.send_header("Content-Length", str(len(data) if length is None else length))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        try:
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
    return route
