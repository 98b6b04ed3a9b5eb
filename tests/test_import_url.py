"""bookmaker import of http(s) addresses, from a real server on 127.0.0.1."""
import datetime as dt
import hashlib
import time

import pytest
from importing import FIXTURES, Server, body, front_matter, make_pdf, run, serve, snapshot

from bookmaker.errors import BuildFailed
from bookmaker.importer import import_sources
from bookmaker.scaffold import new_project

ARTICLE = (FIXTURES / "news-article.html").read_bytes()
BARE = (FIXTURES / "bare-page.html").read_bytes()


def slow(seconds):
    def route(handler):
        time.sleep(seconds)
        serve(BARE, "text/html")(handler)
    return route


def trickle(handler):
    """Headers at once, then a byte at a time, never done."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    try:
        for _ in range(200):
            handler.wfile.write(b"<p>more</p>\n")
            handler.wfile.flush()
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        pass


def redirect(to):
    def route(handler):
        handler.send_response(302)
        handler.send_header("Location", to)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return route


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pdf = make_pdf(tmp_path_factory.mktemp("pdf") / "report.pdf").read_bytes()
    with Server() as s:
        s.routes.update({
            "/news/ferry-vote": serve(ARTICLE, "text/html; charset=utf-8"),
            "/tides": serve(BARE, "text/html"),
            "/moved": redirect("/tides"),
            "/report.pdf": serve(pdf, "application/pdf"),
            "/untyped.pdf": serve(pdf, "application/octet-stream"),
            "/letter.txt": serve(b"Dear editors,\n\nKeep the late boat.\n", "text/plain; charset=utf-8"),
            "/photo.jpg": serve(b"\xff\xd8\xff\xe0" + b"\x00" * 500, "image/jpeg"),
            "/data.json": serve(b'{"text": "not a page"}', "application/json"),
            "/huge": serve(b"<html>", "text/html", length=60 * 2**20),
            "/endless": serve(b"<html><body>" + b"<p>more words</p>\n" * 4000, "text/html", length=-1),
            "/slow": slow(3),
            "/trickle": trickle,
            "/gone": serve(b"gone", "text/html", status=410),
            "/private": serve(b"no", "text/html", status=403),
        })
        yield s


@pytest.fixture
def project(tmp_path):
    new_project(tmp_path / "reader")
    return tmp_path / "reader"


def test_url_import_keeps_the_bytes_received_with_hash_and_access_date(server, project):
    done = run("import", server.base + "/news/ferry-vote", "--project", project, "--id", "ferry")
    assert done.returncode == 0, done.stderr
    meta = front_matter(project / "seeds" / "ferry.md")
    assert meta["url"] == "https://courier.example/news/2024/03/05/night-ferry-vote"  # canonical
    assert meta["accessed"] == dt.date.today().isoformat()
    assert meta["original"] == "originals/ferry.html"
    assert meta["sha256"] == hashlib.sha256(ARTICLE).hexdigest()
    assert (project / "seeds" / "originals" / "ferry.html").read_bytes() == ARTICLE
    assert "The motion passed by seven votes to four." in body(project / "seeds" / "ferry.md")
    assert "'accessed' is null" not in done.stderr
    assert run("check", project).returncode == 0


def test_url_without_canonical_address_keeps_the_address_after_redirects(server, project):
    import_sources(project, [server.base + "/moved"], metadata={"outlet": "Harbour notes", "language": "en"})
    meta = front_matter(project / "seeds" / "notes-on-the-tide-tables.md")
    assert meta["url"] == server.base + "/tides"


def test_url_of_a_pdf_and_of_plain_text(server, project):
    for sid in ("report", "untyped"):
        import_sources(project, [f"{server.base}/{sid}.pdf"], source_id=sid, metadata={"outlet": "Council"})
    import_sources(project, [server.base + "/letter.txt"], source_id="letter",
                   metadata={"title": "A letter", "outlet": "Letters", "language": "en"})
    for sid, suffix in (("report", "pdf"), ("untyped", "pdf"), ("letter", "txt")):
        meta = front_matter(project / "seeds" / f"{sid}.md")
        assert meta["original"] == f"originals/{sid}.{suffix}"
        assert meta["url"].startswith(server.base)
    assert body(project / "seeds" / "report.md").startswith("The night ferry: a report\n\nSummary\n\n")
    assert body(project / "seeds" / "letter.md") == "Dear editors,\n\nKeep the late boat.\n"


@pytest.mark.parametrize("path, message", [
    ("/photo.jpg", "the server sent image/jpeg, not a web page, a PDF or text"),
    ("/data.json", "the server sent application/json"),
    ("/huge", "the download is 60 MB, over the limit of 50 MB"),
    ("/gone", "the server answered 410"),
    ("/private", "the server answered 403"),
    ("/missing", "the server answered 404"),
])
def test_url_refusals_write_nothing(server, project, path, message):
    before = snapshot(project)
    done = run("import", server.base + path, "--project", project, "--outlet", "O", "--language", "en")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{server.base}{path}: {message}" in done.stderr
    assert snapshot(project) == before


def test_url_download_without_length_stops_at_the_limit(server, project):
    before = snapshot(project)
    with pytest.raises(BuildFailed, match="the download is larger than the limit of 64 KB"):
        import_sources(project, [server.base + "/endless"], max_bytes=64 * 1024)
    assert snapshot(project) == before


def test_url_that_does_not_answer_times_out(server, project):
    started = time.monotonic()
    with pytest.raises(BuildFailed, match=r"no answer within 0\.5 s"):
        import_sources(project, [server.base + "/slow"], timeout=0.5)
    assert time.monotonic() - started < 2.5  # the server answers after 3 s
    started = time.monotonic()
    with pytest.raises(BuildFailed, match=r"no answer within 0\.3 s \(or the download took too long\)"):
        import_sources(project, [server.base + "/trickle"], timeout=0.3)
    assert time.monotonic() - started < 6  # ten times the timeout in all, not the 20 s it trickles


def test_without_a_network_the_error_says_so(project):
    """A host that cannot be found (.invalid never resolves): no network, or no such host."""
    before = snapshot(project)
    done = run("import", "https://bookmaker-test.invalid/article", "--project", project)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "https://bookmaker-test.invalid/article: cannot find the server: there is no network, " \
           "or no such host" in done.stderr
    assert "save the page from a browser and import the file" in done.stderr
    assert snapshot(project) == before


def test_connection_refused(project):
    with Server() as s:
        closed = s.base
    with pytest.raises(BuildFailed, match="the server refused the connection"):
        import_sources(project, [closed + "/x"])
