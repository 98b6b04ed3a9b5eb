"""Hostile input: markup in sources and notes stays text; the renderer stays in its sandbox."""
import os
import zipfile
from pathlib import Path

import pytest
from helpers import assert_valid_epub, copy_project, pdf_pages
from lxml import etree
from pypdf import PdfReader

from bookmaker import build
from bookmaker.errors import BookError
from bookmaker.render.pdf import allowed_path

FORBIDDEN = ("script", "img", "iframe", "object", "embed", "link", "style", "input", "svg", "form")


@pytest.fixture(scope="module")
def hostile(hostile_book):
    return hostile_book[0]


def test_no_markup_from_sources_or_notes_reaches_the_epub(hostile):
    assert_valid_epub(hostile.outputs["epub"])
    with zipfile.ZipFile(hostile.outputs["epub"]) as z:
        for name in z.namelist():
            if not name.endswith(".xhtml"):
                continue
            tree = etree.fromstring(z.read(name))
            for el in tree.iter("{*}*"):
                local = etree.QName(el).localname
                assert local not in FORBIDDEN or (local == "link" and el.get("rel") == "stylesheet"
                                                  and el.get("href") == "style/book.css") or (
                    # bookmaker's own cover page shows the cover picture, and nothing else does
                    local == "img" and name == "EPUB/cover.xhtml"
                    and el.get("src") == "images/cover.png"), (name, local)
                href = el.get("href") or el.get("src") or ""
                assert not href.startswith(("file:", "javascript:", "/")), (name, href)
            text = "".join(tree.itertext())
            if "everything-is" in name:
                assert '<script>alert(1)</script>' in text  # shown as the characters it is
                assert "![secret](file:///etc/passwd)" in text


def test_no_file_content_or_attachment_in_the_pdf(hostile):
    reader = PdfReader(str(hostile.outputs["pdf"]))
    assert not reader.attachments
    text = " ".join(pdf_pages(hostile.outputs["pdf"]))
    assert "root:" not in text and "<script>alert(1)</script>" in text
    raw = Path(hostile.outputs["pdf"]).read_bytes()
    assert b"/EmbeddedFile" not in raw and b"/JavaScript" not in raw


@pytest.mark.parametrize("url, inside", [
    ("file:///project/styles/a.css", True),
    ("file:///project/styles/../seeds/x.md", True),
    ("file:///project/../etc/passwd", False),
    ("file:///project/%2e%2e/etc/passwd", False),
    ("file:///project/styles/%2E%2E/%2e%2e/etc/passwd", False),
    ("file:///etc/passwd", False),
    ("file://evil.example/project/a.css", False),
    ("http://127.0.0.1/project/a.css", False),
    ("ftp://example.org/x", False),
])
def test_allowed_path(url, inside):
    assert (allowed_path(url, [Path("/project")]) is not None) == inside


def small_copy(tmp_path):
    return copy_project(tmp_path / "p")


@pytest.mark.parametrize("css", [
    '@import url("file:///etc/passwd");',
    "body { background: url(../../../../../../etc/passwd); }",
    "body { background: url(%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd); }",
    "@font-face { font-family: X; src: url(http://127.0.0.1:9/x.woff); } body { font-family: X; }",
    "body { background: url(ftp://127.0.0.1/x.png); }",
])
def test_project_styles_cannot_leave_the_project(tmp_path, css):
    project = small_copy(tmp_path)
    (project / "styles").mkdir()
    (project / "styles" / "print.css").write_text(css)
    with pytest.raises(BookError) as exc:
        build(project, formats=("pdf",))
    assert "refused to load" in exc.value.message
    assert not (project / "dist" / "the-harbour-treaty.pdf").exists()


def test_symlink_out_of_the_project_is_refused(tmp_path):
    project = small_copy(tmp_path)
    (project / "styles").mkdir()
    os.symlink("/etc/passwd", project / "styles" / "secret.png")
    (project / "styles" / "print.css").write_text("body { background: url(secret.png); }")
    with pytest.raises(BookError):
        build(project, formats=("pdf",))


def test_project_files_are_allowed(tmp_path):
    project = small_copy(tmp_path)
    (project / "styles").mkdir()
    (project / "styles" / "extra.css").write_text("h1 { letter-spacing: 0.1em; }")
    (project / "styles" / "print.css").write_text('@import "extra.css";')
    result = build(project, formats=("pdf",))
    assert result.outputs["pdf"].exists()


def test_missing_style_import_is_an_error_naming_the_file(tmp_path):
    project = small_copy(tmp_path)
    (project / "styles").mkdir()
    (project / "styles" / "print.css").write_text('@import "nothere.css";')
    with pytest.raises(BookError) as exc:
        build(project, formats=("pdf",))
    assert "cannot read" in exc.value.message and exc.value.where.name == "nothere.css"


def test_unreadable_style_file(tmp_path):
    project = small_copy(tmp_path)
    (project / "styles").mkdir()
    (project / "styles" / "epub.css").write_bytes(b"body { color: \xff; }")
    with pytest.raises(BookError) as exc:
        build(project, formats=("epub",))
    assert "not UTF-8" in exc.value.message and exc.value.where.name == "epub.css"
