"""`bookmaker preview` as a user meets it: a real server, real HTTP, Debian's chromium."""
import http.client
import os
import select
import signal
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

import pytest
from helpers import copy_project, squash
from pypdf import PdfReader

from bookmaker import check
from bookmaker.errors import BuildFailed
from bookmaker.preview.site import build_site

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
WAIT_MS = 20_000  # generous: the page updates within about a second on an idle machine


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "p")


@pytest.fixture
def server(project):
    """`bookmaker preview --port 0` in the project; yields (port, process); stops it with Ctrl-C."""
    proc = subprocess.Popen([sys.executable, "-m", "bookmaker", "preview", "--port", "0"],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        assert "http://127.0.0.1:" in line, f"no address printed: {line!r}"
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail("the preview did not stop on Ctrl-C")
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "preview: stopped" in err


def get(port, path, host=None):
    """A raw GET: the path is sent exactly as given, escapes and all."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host or f"127.0.0.1:{port}")
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type") or "", body


def listening_addresses(port):
    """Local addresses of every socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


def assert_alive_on_loopback_only(port, proc):
    assert proc.poll() is None, "the server died"
    assert listening_addresses(port) == ["0100007F"]  # 127.0.0.1, and nothing else
    assert get(port, "/")[0] == 200


# ---- the site, without a server ----------------------------------------------------------

def test_site_has_a_page_per_part_and_links_between_them(project):
    site = build_site(project, 1)
    assert not site.broken
    assert set(site.pages) == {"/", "/the-signing.html", "/markup.html", "/claims-checked.html",
                               "/timeline.html", "/sources.html"}
    chapter = site.pages["/the-signing.html"].decode()
    assert 'href="/sources.html#src-alpha"' in chapter      # into another part: its page
    assert 'href="#fn1"' in chapter and 'id="fn1"' in chapter  # a footnote: this page
    assert 'class="note note-correction"' in chapter and 'class="note note-context"' in chapter
    assert "claim-c1" in site.pages["/claims-checked.html"].decode()
    assert b"&lt;script&gt;" in site.pages["/markup.html"] and b"<script>alert" not in site.pages["/markup.html"]


def test_broken_site_shows_the_lines_the_command_line_prints(project):
    outline = project / "book" / "outline.yaml"
    outline.write_text(outline.read_text().replace("signed in 1899 by", "signed in 1898 by"))
    with pytest.raises(BuildFailed) as failed:
        check(project)
    site = build_site(project, 3)
    assert site.broken and site.version == 3
    assert site.errors == tuple(str(e) for e in failed.value.errors)
    page = site.error_page.decode()
    assert "book/outline.yaml" in page and ":9:" in page and "hint: closest passage" in page


# ---- over HTTP -------------------------------------------------------------------------

def test_serves_the_book_and_its_own_assets(server, project):
    port, proc = server
    status, kind, body = get(port, "/")
    assert status == 200 and kind.startswith("text/html") and b"The Harbour Treaty" in body
    assert get(port, "/the-signing.html")[0] == 200
    for path, kind in [("/_preview/preview.css", "text/css"), ("/_preview/preview.js", "text/javascript"),
                       ("/_preview/book.css", "text/css"), ("/_preview/fonts/LinLibertine_R.otf", "font/otf")]:
        status, got, body = get(port, path)
        assert status == 200 and got.startswith(kind) and body, path
    assert_alive_on_loopback_only(port, proc)


@pytest.mark.parametrize("path", [
    "/_preview/", "/_preview/fonts/", "/_preview/assets/", "/book/", "/book/outline.yaml",
    "/seeds/alpha.md", "/dist/", "/.bookmaker-cache.json", "/../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/_preview/fonts/../../cache.py", "/_preview/fonts/..%2f..%2fcache.py",
    "/_preview/fonts/%2e%2e/%2e%2e/api.py", "/_preview/..%2fpreview%2fserver.py",
    "//etc/passwd", "/_preview/preview.css/../../../../etc/passwd", "/sources.html/../../etc/passwd",
])
def test_nothing_but_the_book_is_served(server, path):
    port, proc = server
    status, _, body = get(port, path)
    assert status == 404, path
    assert b"root:" not in body and b"title:" not in body and b"import" not in body
    assert b"Not in this book" in body


def test_requests_for_another_host_are_refused(server):
    """A page on another site that rebinds its name to 127.0.0.1 cannot read the book."""
    port, _ = server
    assert get(port, "/", host="evil.example:80")[0] == 421
    assert get(port, "/", host=f"localhost:{port}")[0] == 200


def test_events_announce_each_rebuild(server, project):
    port, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/_preview/events")
    response = conn.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"

    def next_version():
        deadline = time.monotonic() + 60  # generous; keep-alive comments come every 15 s
        while time.monotonic() < deadline:
            line = response.fp.readline().decode()
            if line.startswith("data: "):
                return int(line[6:])
        pytest.fail("no update event")

    first = next_version()
    outline = project / "book" / "outline.yaml"
    outline.write_text(outline.read_text().replace("disagree on the", "differ on the"))
    assert next_version() > first
    conn.close()


def test_pdf_on_demand_never_touches_the_output_folder(server, project):
    port, proc = server
    status, kind, body = get(port, "/_preview/book.pdf")
    assert status == 200 and kind == "application/pdf" and body.startswith(b"%PDF")
    text = squash(" ".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages))
    assert "The Harbour Treaty" in text
    assert not (project / "dist").exists()


def test_a_one_chapter_pdf_on_demand(server, project):
    port, proc = server
    status, kind, page = get(port, "/markup.html")
    assert status == 200 and b'href="/_preview/pdf/markup.pdf"' in page
    status, kind, body = get(port, "/_preview/pdf/markup.pdf")
    assert status == 200 and kind == "application/pdf" and body.startswith(b"%PDF")
    text = squash(" ".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages))
    assert "Markup stays text" in text and "An extract from The Harbour Treaty" in text
    assert "The sources disagree on the year" not in text  # the other chapter is not in it
    for path in ("/_preview/pdf/nosuchchapter.pdf", "/_preview/pdf/../book.pdf",
                 "/_preview/pdf/claims-checked.pdf"):
        assert get(port, path)[0] == 404, path
    assert not (project / "dist").exists()


# ---- in a real browser -------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_the_page_follows_edits_shows_errors_and_recovers(server, project, browser):
    port, proc = server
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{port}/the-signing.html")
    assert page.locator("h1.chapter-title").inner_text() == "The signing"
    assert page.locator(".note-correction .note-kind").text_content() == "Correction"
    page.wait_for_function("document.getElementById('status').dataset.state === 'live'", timeout=WAIT_MS)
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again

    outline = project / "book" / "outline.yaml"
    good = outline.read_text(encoding="utf-8")
    outline.write_text(good.replace("The sources disagree on the", "The sources quarrel over the"),
                       encoding="utf-8")
    page.wait_for_selector("text=The sources quarrel over the", timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded") is True

    # A quote that is not in its source: the page shows the command line's error in place of the book.
    broken = good.replace('quote: "The Harbour Treaty was signed in 1899',
                          'quote: "The Harbour Treaty was signed in 1889')
    assert broken != good
    outline.write_text(broken, encoding="utf-8")
    page.wait_for_selector("body.broken", timeout=WAIT_MS)
    errors = page.locator("pre.error-lines").inner_text()
    excerpt_line = broken.splitlines().index("      - excerpt: alpha") + 1
    assert errors.startswith(f"book/outline.yaml:{excerpt_line}:9: quote \"The Harbour Treaty was "
                             "signed in 1889")
    cli = subprocess.run([sys.executable, "-m", "bookmaker", "check"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 1
    assert errors.strip().splitlines() == cli.stderr.strip().splitlines()[:-1]  # less "1 error; ..."
    assert page.locator("h1.chapter-title").count() == 0
    assert page.evaluate("window.notReloaded") is True

    outline.write_text(good, encoding="utf-8")  # fixed: the book comes back by itself
    page.wait_for_selector("body.book h1.chapter-title", timeout=WAIT_MS)
    assert "The sources disagree on the" in page.locator("main").inner_text()
    assert page.evaluate("window.notReloaded") is True

    page.click("text=Sources")  # links between parts work
    page.wait_for_url(f"http://127.0.0.1:{port}/sources.html", timeout=WAIT_MS)
    assert page.locator("#src-alpha").count() == 1
    page.close()
    assert_alive_on_loopback_only(port, proc)
