"""bookmaker new: a project that builds at once, and refusals that change nothing."""
import hashlib
import re
import subprocess
import sys

import pytest
from helpers import BOOKS, assert_valid_epub, pdf_pages, squash
from pypdf import PdfReader

from bookmaker import api
from bookmaker.errors import BookError, Errors
from bookmaker.model import CompareSpec, ExcerptSpec, Note
from bookmaker.files import ProjectFiles
from bookmaker.outline import parse_outline
from bookmaker.scaffold import new_project, skeleton_files

BOOKMAKER = [sys.executable, "-m", "bookmaker"]
EXPECTED = {"README.md", ".gitignore", "book/outline.yaml", "book/claims.yaml",
            "book/timeline.yaml", "seeds/example.md", "styles/print.css", "styles/epub.css"}


def run(*args, cwd=None):
    return subprocess.run([*BOOKMAKER, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def tree(root):
    """Every file and folder under root, with a hash of each file's bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A project made by the command line, then built by it."""
    root = tmp_path_factory.mktemp("new") / "ferry-reader"
    done = run("new", root, "--title", "Ferries: a reader", "--editor", "Ann Teacher")
    assert done.returncode == 0, done.stderr
    built = run("build", root)
    assert built.returncode == 0, built.stderr
    return root, done


def test_new_writes_the_project_files(made):
    root, done = made
    written = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
               and "dist" not in p.parts}
    assert written == EXPECTED
    assert {str(rel) for _, rel in skeleton_files()} == EXPECTED
    for name in EXPECTED:
        assert f"wrote {root / name}" in done.stdout
    assert "bookmaker build" in done.stderr


def test_new_project_builds_a_checked_pdf_and_epub(made):
    root, _ = made
    assert_valid_epub(root / "dist" / "ferries-a-reader.epub")
    text = " ".join(pdf_pages(root / "dist" / "ferries-a-reader.pdf"))
    assert "Ferries: a reader" in text and "Edited by Ann Teacher" in text
    assert squash("Every source was written by someone, for someone, at some time.") in text
    assert squash("Who wrote it? A name is a start, not an answer.") in text  # from/to
    for label in ("CONTEXT", "BIAS", "RELIABILITY", "CORRECTION"):
        assert label in text.upper()


def test_new_outline_has_a_quote_a_from_to_and_a_note_of_each_kind(made):
    root, _ = made
    errors = Errors()
    outline = parse_outline(root / "book" / "outline.yaml", ProjectFiles(root), errors)
    assert not errors and outline.title == "Ferries: a reader" and outline.editors == ("Ann Teacher",)
    blocks = [b for ch in outline.chapters for b in ch.blocks]
    excerpts = [b for b in blocks if isinstance(b, ExcerptSpec)] + \
        [x for b in blocks if isinstance(b, CompareSpec) for x in b.excerpts]
    assert any(x.quote for x in excerpts) and any(x.start and x.end for x in excerpts)
    assert {b.kind for b in blocks if isinstance(b, Note)} == {"context", "bias", "reliability",
                                                                "correction"}


def test_new_claims_and_timeline_are_empty_with_examples_that_work(made, tmp_path):
    """Uncommenting the examples, as their comments say, gives a book that still checks."""
    root, _ = made
    claims, timeline = root / "book" / "claims.yaml", root / "book" / "timeline.yaml"
    book = api.check(root)
    assert book.editorial.claims == () and book.editorial.events == ()
    copy = tmp_path / "copy"
    for src in (p for p in root.rglob("*") if p.is_file() and "dist" not in p.parts):
        (copy / src.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
        (copy / src.relative_to(root)).write_bytes(src.read_bytes())

    def uncomment(section, key):
        return re.sub(r"^#(  [ -])", r"\1", section.replace(f"{key}: []\n", f"{key}:\n"), flags=re.M)

    first, rest = claims.read_text().split("\n\n", 1)  # the claims; the slips after them
    (copy / "book" / "claims.yaml").write_text(uncomment(first, "claims") + "\n\n" + rest)
    (copy / "book" / "timeline.yaml").write_text(uncomment(timeline.read_text(), "events"))
    outline = copy / "book" / "outline.yaml"
    with pytest.raises(Exception, match="no correction or reliability note follows it"):
        api.check(copy)  # the claim quoted, and not yet answered
    outline.write_text(outline.read_text().replace("# claims: [c1]", "claims: [c1]"))
    book = api.check(copy)
    assert [c.id for c in book.editorial.claims] == ["c1"]
    assert [e.sources for e in book.editorial.events] == [("example",)]


def test_new_commented_styles_take_effect_when_uncommented(made, tmp_path):
    root, _ = made
    assert "size: A4" in (root / "styles" / "print.css").read_text()
    project = tmp_path / "a4"
    new_project(project)
    css = project / "styles" / "print.css"
    css.write_text(css.read_text().replace("/* @page { size: A4;", "@page { size: A4;").replace(
        "22mm 20mm; } */", "22mm 20mm; }"))
    result = api.build(project, formats=("pdf",))
    box = PdfReader(str(result.outputs["pdf"])).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4, not A5


def test_new_title_is_kept_exactly_whatever_it_holds(tmp_path):
    title = 'Ferries: "night" & day #2 – a reader'
    new_project(tmp_path / "p", title=title)
    # The outline holds it exactly; the book prints it with typographic quotes.
    assert api.check(tmp_path / "p").title == 'Ferries: \u201cnight\u201d & day #2 \u2013 a reader'
    assert (tmp_path / "p" / "README.md").read_text().startswith(f"# {title}\n")


def test_new_title_defaults_to_the_folder_name(tmp_path):
    new_project(tmp_path / "island-ferries_reader")
    assert api.check(tmp_path / "island-ferries_reader").title == "Island ferries reader"


def test_new_into_a_folder_with_other_files_keeps_them(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    done = run("new", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert api.check(tmp_path).chapters


def test_new_refuses_a_folder_that_holds_a_project(tmp_path):
    project = tmp_path / "small"
    for src in (p for p in (BOOKS / "small").rglob("*") if p.is_file()):
        (project / src.relative_to(BOOKS / "small")).parent.mkdir(parents=True, exist_ok=True)
        (project / src.relative_to(BOOKS / "small")).write_bytes(src.read_bytes())
    before = tree(project)
    done = run("new", project)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "already holds a book project" in done.stderr and "book/outline.yaml" in done.stderr
    assert tree(project) == before


@pytest.mark.parametrize("existing", ["README.md", "styles/print.css", "seeds/example.md", ".gitignore"])
def test_new_refuses_a_folder_with_a_file_it_would_write(tmp_path, existing):
    (tmp_path / existing).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / existing).write_text("someone's own\n")
    before = tree(tmp_path)
    done = run("new", tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert existing in done.stderr and "nothing was changed" in done.stderr
    assert tree(tmp_path) == before


def test_new_refuses_a_path_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(BookError, match="not a folder"):
        new_project(tmp_path / "file")
    done = run("new", tmp_path / "p", "--language", "not a tag")
    assert done.returncode == 2 and not (tmp_path / "p").exists()


def test_new_refuses_a_file_where_it_needs_a_folder(tmp_path):
    (tmp_path / "seeds").write_text("a file, not a folder")
    before = tree(tmp_path)
    with pytest.raises(BookError, match="already has seeds"):
        new_project(tmp_path)
    assert tree(tmp_path) == before


def test_new_that_fails_part_way_removes_what_it_wrote(tmp_path, monkeypatch):
    """A disk that fills up after three files: the folder is left as it was."""
    import builtins

    from bookmaker import scaffold

    (tmp_path / "mine.txt").write_text("mine")
    before, calls = tree(tmp_path), []

    def full_disk(path, mode="r", *args, **kwargs):
        calls.append(path)
        if mode == "x" and len(calls) > 3:
            raise OSError(28, "No space left on device", str(path))
        return builtins.open(path, mode, *args, **kwargs)

    monkeypatch.setattr(scaffold, "open", full_disk, raising=False)
    with pytest.raises(BookError, match="cannot write the project: No space left on device"):
        new_project(tmp_path)
    assert tree(tmp_path) == before
