"""--handouts: one file per chapter, loaded once, the same bytes on one core or two;
and every command of the README on the shipped book and the large test book."""
import hashlib
import os
import re
import subprocess
import sys

import pytest
from helpers import SHIPPED, assert_valid_epub, copy_project, pdf_pages
from pypdf import PdfReader

from bookmaker import api, build
from bookmaker.errors import BookError, BuildFailed
from bookmaker.output import OutputFolder

BOOKMAKER = [sys.executable, "-m", "bookmaker"]
MM = 72 / 25.4


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder):
    """The outputs under ``folder`` (not the build cache's manifest) and their digests."""
    return {str(p.relative_to(folder)): sha(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".bookmaker-cache.json"}


@pytest.fixture
def small(tmp_path):
    return copy_project(tmp_path / "small")


def test_one_pdf_and_epub_per_chapter_and_nothing_else(small, tmp_path):
    result = build(small, out=tmp_path / "out2", handouts=True)
    assert sorted(tree(tmp_path / "out2")) == [
        "handouts/01-the-signing.epub", "handouts/01-the-signing.pdf",
        "handouts/02-markup.epub", "handouts/02-markup.pdf"]
    assert result.outputs == {} and set(result.handouts) == {"the-signing", "markup"}
    for chapter, files in result.handouts.items():
        assert_valid_epub(files["epub"])
        text = " ".join(pdf_pages(files["pdf"]))
        title = next(c.title for c in result.book.chapters if c.id == chapter)
        assert f"Chapter {1 if chapter == 'the-signing' else 2}: {title}" in text
        ours, theirs = "The sources disagree on the year", "<script>alert(1)</script>"
        if chapter == "markup":
            ours, theirs = theirs, ours
        assert ours in text and theirs not in text
        assert re.search(r"(^| )1\. (Ana Lúcia Pereira|No byline)", text)  # numbered from 1 in each


def test_handouts_are_the_same_bytes_on_one_core_or_several(small, tmp_path):
    build(small, out=tmp_path / "serial", handouts=True, jobs=1)
    build(small, out=tmp_path / "parallel", handouts=True, jobs=2)
    serial, parallel = tree(tmp_path / "serial"), tree(tmp_path / "parallel")
    assert len(serial) == 4 and serial == parallel


def test_the_project_is_loaded_and_checked_once(small, tmp_path, monkeypatch):
    calls = []
    real = api.load_book

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "load_book", counting)
    build(small, formats=("epub",), out=tmp_path, handouts=True, jobs=1)
    assert len(calls) == 1
    assert len(list((tmp_path / "handouts").iterdir())) == 2
    for path in (tmp_path / "handouts").iterdir():
        assert_valid_epub(path)


def test_a_failed_handouts_build_keeps_the_previous_handouts(small, tmp_path):
    out = tmp_path / "out"
    build(small, formats=("pdf",), out=out, handouts=True)
    before = tree(out)
    outline = small / "book" / "outline.yaml"
    outline.write_text(outline.read_text(encoding="utf-8").replace("four port towns", "five towns"),
                       encoding="utf-8")
    with pytest.raises(BuildFailed):
        build(small, formats=("pdf",), out=out, handouts=True)
    assert tree(out) == before


def test_handouts_where_a_file_is_in_the_way_write_nothing(small, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "handouts").write_text("not a folder", encoding="utf-8")
    with pytest.raises(BookError, match="cannot write .*handouts: Not a directory"):
        build(small, formats=("pdf",), out=out, handouts=True)
    assert sorted(p.name for p in out.iterdir()) == ["handouts"]


def test_outputs_in_a_subfolder_are_committed_all_or_none(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "book.pdf").write_text("old", encoding="utf-8")
    with OutputFolder(out) as folder:
        folder.stage("book.pdf").write_text("new", encoding="utf-8")
        folder.stage("handouts/01-a.pdf").write_text("a", encoding="utf-8")
        folder.stage("late.pdf").write_text("late", encoding="utf-8")
        (out / "late.pdf").mkdir()  # the last rename fails
        (out / "late.pdf" / "x").write_text("x", encoding="utf-8")
        with pytest.raises(BookError, match="cannot write"):
            folder.commit()
    assert (out / "book.pdf").read_text(encoding="utf-8") == "old"
    assert not (out / "handouts").exists()  # made by the failed commit, removed again
    assert sorted(p.name for p in out.iterdir() if p.name != ".bookmaker-cache.json") == ["book.pdf", "late.pdf"]
    with pytest.raises(ValueError):
        with OutputFolder(out) as folder:
            folder.stage("../outside.pdf")


# ---- the README's commands, on the shipped book and on the large test book -------

def run(*args, cwd=None):
    done = subprocess.run([*BOOKMAKER, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**os.environ})
    assert done.returncode == 0, done.stderr
    return done


def sheet_mm(path):
    box = PdfReader(str(path)).pages[0].mediabox
    return round(float(box.width) / MM), round(float(box.height) / MM)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("shipped-handouts") / "reader", SHIPPED)


def test_readme_commands_on_the_shipped_book(shipped):
    dist = shipped / "dist"
    run("build", shipped, "--chapters", "3", "--paper", "a4")
    assert sheet_mm(dist / "knocking-on-natos-door.note-1954.pdf") == (210, 297)
    assert_valid_epub(dist / "knocking-on-natos-door.note-1954.epub")
    run("build", shipped, "--chapters", "note-and-pact", "--format", "pdf", "--paper", "letter")
    packet = pdf_pages(dist / "knocking-on-natos-door.note-and-pact.pdf")
    assert "Chapters 3\u20135" in packet[0] and "Contents" in packet[0]
    run("build", shipped, "--handouts", "--format", "pdf", cwd=shipped)
    assert sorted(p.name for p in (dist / "handouts").iterdir()) == [
        "01-introduction.pdf", "02-alliance-and-stalin.pdf", "03-note-1954.pdf",
        "04-western-reply.pdf", "05-warsaw-pact.pdf", "06-yeltsin.pdf", "07-putin.pdf",
        "08-debate-2010.pdf", "09-whos-who.pdf"]
    run("build", shipped, "--booklet", "--format", "pdf")
    assert sheet_mm(dist / "knocking-on-natos-door-booklet.pdf") == (297, 210)
    assert not (dist / "knocking-on-natos-door.pdf").exists()  # the booklet run wrote only that


def test_every_command_on_the_large_book(large_project, tmp_path):
    out = tmp_path / "out"
    run("build", large_project, "--out", out, "--format", "pdf")
    whole = pdf_pages(out / "the-harbour-council.pdf")
    run("build", large_project, "--out", out, "--chapters", "3", "--paper", "a4")
    assert_valid_epub(out / "the-harbour-council.ch03.epub")
    run("build", large_project, "--out", out, "--chapters", "late", "--booklet")
    assert sheet_mm(out / "the-harbour-council.late-booklet.pdf") == (297, 210)
    assert_valid_epub(out / "the-harbour-council.late.epub")
    run("build", large_project, "--out", out, "--handouts", "--format", "pdf", "--paper", "letter")
    handouts = sorted((out / "handouts").iterdir())
    assert [p.name for p in handouts] == [f"{i:02d}-ch{i:02d}.pdf" for i in range(1, 15)]
    for i, path in enumerate(handouts, 1):
        text = " ".join(pdf_pages(path))
        assert f"Entry {i} of" in text and f"Entry {i % 14 + 1} of" not in text
        assert sheet_mm(path) == (216, 279)
    run("build", large_project, "--out", out, "--booklet", "--paper", "letter", "--format", "pdf")
    sides = len(PdfReader(str(out / "the-harbour-council-booklet.pdf")).pages)
    assert sides >= len(whole) // 2  # half-Letter pages hold less than A5 ones
    assert sides % 2 == 0
    listed = run("build", large_project, "--out", tmp_path / "two", "--handouts", "--chapters",
                 "first-week", "--format", "epub").stdout.split()
    assert [p.rsplit("/", 1)[-1] for p in listed if p != "wrote"] == [
        "01-ch01.epub", "02-ch02.epub", "03-ch03.epub"]
    for path in (tmp_path / "two" / "handouts").iterdir():
        assert_valid_epub(path)


def test_help_documents_the_options():
    helped = subprocess.run([*BOOKMAKER, "build", "--help"], capture_output=True, text=True).stdout
    for option in ("--chapters SPEC", "--paper {a5,b5,a4,letter,legal}", "--handouts", "--booklet",
                   "--jobs N", "half-size"):
        assert option in helped, option


def test_handouts_left_by_an_earlier_build_are_named_not_deleted(small, tmp_path):
    out = tmp_path / "out"
    run("build", small, "--out", out, "--handouts", "--format", "epub")
    outline = small / "book" / "outline.yaml"
    outline.write_text(outline.read_text(encoding="utf-8").replace("id: markup", "id: markup-text"),
                       encoding="utf-8")
    done = run("build", small, "--out", out, "--handouts", "--format", "epub")
    assert "02-markup.epub was left by an earlier build" in done.stderr
    assert sorted(p.name for p in (out / "handouts").iterdir()) == [
        "01-the-signing.epub", "02-markup-text.epub", "02-markup.epub"]
    for path in (out / "handouts").iterdir():
        assert_valid_epub(path)
