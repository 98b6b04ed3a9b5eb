"""The build cache: a no-change build writes nothing, and no input kind can be served stale."""
import hashlib
import os
import re
import shutil
import zipfile

import pytest
from helpers import BOOKS, copy_project, pdf_pages

from bookmaker.files import ProjectFiles
from bookmaker import api, build, cache
from bookmaker.cache import MANIFEST, BuildCache, Inputs, key

STEM = "the-harbour-treaty"


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "p")


def listing(folder):
    """Name -> (bytes' hash, mtime, inode) of every file, and the folder's own mtime."""
    files = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_ino)
             for p in folder.iterdir()}
    return files, folder.stat().st_mtime_ns


def epub_text(path):
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_no_change_build_is_up_to_date_and_writes_nothing(project):
    first = build(project)
    assert first.up_to_date == ()
    before = listing(project / "dist")
    again = build(project)
    assert again.up_to_date == ("pdf", "epub")
    assert again.outputs == first.outputs
    assert listing(project / "dist") == before  # same bytes, same files, nothing touched


def test_touching_files_is_not_a_change(project):
    build(project, formats=("epub",))
    for path in project.rglob("*"):
        os.utime(path, (1, 1))
    assert build(project, formats=("epub",)).up_to_date == ("epub",)


# Each kind of input: (what to change, a format it must rebuild, text the new output must hold).
def change_outline(p):
    edit(p / "book" / "outline.yaml", "The sources disagree", "The sources quarrel")
    return "The sources quarrel"


def change_source(p):
    edit(p / "seeds" / "alpha.md", "outlet: The Coastal Review", "outlet: The Renamed Review")
    return "Renamed"


def add_source(p):
    (p / "seeds" / "gamma.md").write_text(
        "---\ntitle: Gamma Papers\nauthor: null\noutlet: O\npublished: null\nurl: null\n"
        "language: en\n---\nNever quoted.\n", encoding="utf-8")
    return "Gamma Papers"


def change_claims(p):
    edit(p / "book" / "claims.yaml", "explanation: ", "explanation: Newly explained. ")
    return "Newly explained."


def change_timeline(p):
    edit(p / "book" / "timeline.yaml", "event: ", "event: Retold. ")
    return "Retold."


def add_template(p):
    (p / "templates").mkdir()
    body = (BOOKS.parent.parent / "src/bookmaker/templates/chapter.html").read_text(encoding="utf-8")
    (p / "templates" / "chapter.html").write_text(body + "<p>Template override here</p>\n",
                                                  encoding="utf-8")
    return "Template override here"


def change_included_template(p):
    """A file a template override loads, though no option names it."""
    (p / "templates").mkdir()
    body = (BOOKS.parent.parent / "src/bookmaker/templates/chapter.html").read_text(encoding="utf-8")
    (p / "templates" / "chapter.html").write_text(body + '{% include "colophon.html" %}\n',
                                                  encoding="utf-8")
    (p / "templates" / "colophon.html").write_text("<p>Set in Libertine</p>", encoding="utf-8")
    build(p, formats=("epub",))
    (p / "templates" / "colophon.html").write_text("<p>Set in Biolinum</p>", encoding="utf-8")
    return "Set in Biolinum"


def add_epub_style(p):
    (p / "styles").mkdir(exist_ok=True)
    (p / "styles" / "epub.css").write_text("h1 { color: #123456; }", encoding="utf-8")
    return "#123456"


@pytest.mark.parametrize("change", [change_outline, change_source, add_source, change_claims,
                                    change_timeline, add_template, change_included_template,
                                    add_epub_style])
def test_every_project_input_rebuilds(project, change):
    build(project, formats=("epub",))
    assert build(project, formats=("epub",)).up_to_date == ("epub",)
    expected = change(project)
    rebuilt = build(project, formats=("epub",))
    assert rebuilt.up_to_date == ()
    with zipfile.ZipFile(rebuilt.outputs["epub"]) as z:
        assert expected in "".join(z.read(n).decode() for n in z.namelist()
                                   if n.endswith((".xhtml", ".css")))
    assert build(project, formats=("epub",)).up_to_date == ("epub",)


def test_each_format_is_keyed_by_its_own_styles(project):
    build(project)
    (project / "styles").mkdir()
    (project / "styles" / "epub.css").write_text("p { color: red; }", encoding="utf-8")
    assert build(project).up_to_date == ("pdf",)  # print layout untouched by the EPUB's style
    (project / "styles" / "print.css").write_text("h1 { font-size: 30pt; }", encoding="utf-8")
    assert build(project).up_to_date == ("epub",)


def test_files_the_pdf_renderer_read_are_keyed(project):
    """What print.css imports, and what that imports, though no list names it."""
    (project / "styles").mkdir()
    (project / "art").mkdir()
    (project / "styles" / "print.css").write_text('@import "more.css";', encoding="utf-8")
    (project / "styles" / "more.css").write_text(
        '@import "../art/deep.css";', encoding="utf-8")
    (project / "art" / "deep.css").write_text(
        'h1.chapter-title::after { content: " first edition"; }', encoding="utf-8")
    first = build(project, formats=("pdf",))
    assert "first edition" in " ".join(pdf_pages(first.outputs["pdf"]))
    entry = BuildCache(project / "dist", Inputs.snapshot(ProjectFiles(project)), {}).entries[f"{STEM}.pdf"]
    assert set(entry["reads"]) == {"styles/more.css", "art/deep.css"}
    assert build(project, formats=("pdf",)).up_to_date == ("pdf",)
    (project / "art" / "deep.css").write_text(
        'h1.chapter-title::after { content: " second edition"; }', encoding="utf-8")
    again = build(project, formats=("pdf",))
    assert again.up_to_date == ()
    assert "second edition" in " ".join(pdf_pages(again.outputs["pdf"]))


def test_outputs_changed_or_deleted_by_hand_are_rebuilt(project):
    first = build(project)
    pdf, epub = first.outputs["pdf"], first.outputs["epub"]
    good = epub.read_bytes()
    epub.write_bytes(good[:-10] + b"0123456789")  # same size, other bytes
    assert build(project).up_to_date == ("pdf",)
    assert epub.read_bytes() == good
    pdf.unlink()
    assert build(project).up_to_date == ("epub",)
    assert pdf.exists()


def test_force_renders_anyway(project):
    build(project, formats=("epub",))
    assert build(project, formats=("epub",), force=True).up_to_date == ()


def test_damaged_or_missing_manifest_means_a_rebuild(project):
    build(project, formats=("epub",))
    (project / "dist" / MANIFEST).write_text("{not json", encoding="utf-8")
    assert build(project, formats=("epub",)).up_to_date == ()
    (project / "dist" / MANIFEST).unlink()
    assert build(project, formats=("epub",)).up_to_date == ()
    assert build(project, formats=("epub",)).up_to_date == ("epub",)


def test_source_date_epoch_rebuilds(project, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    build(project, formats=("epub",))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build(project, formats=("epub",)).up_to_date == ()
    assert build(project, formats=("epub",)).up_to_date == ("epub",)


def test_a_save_during_the_build_is_not_served_stale(project, monkeypatch):
    """The inputs are hashed before they are read: an edit that lands in between
    is in this build's output but not in its key, so the next build renders again."""
    real_load = api.load

    def load_after_a_save(*args, **kwargs):
        edit(project / "book" / "outline.yaml", "The sources disagree", "Saved mid-build")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(api, "load", load_after_a_save)
    build(project, formats=("epub",))
    monkeypatch.setattr(api, "load", real_load)
    assert build(project, formats=("epub",)).up_to_date == ()


def test_a_failed_build_keeps_the_manifest_of_the_last_good_one(project):
    build(project, formats=("epub",))
    manifest = (project / "dist" / MANIFEST).read_bytes()
    edit(project / "seeds" / "alpha.md", "signed in 1899", "signed in 1898")
    with pytest.raises(Exception):
        build(project, formats=("epub",))
    assert (project / "dist" / MANIFEST).read_bytes() == manifest
    edit(project / "seeds" / "alpha.md", "signed in 1898", "signed in 1899")
    assert build(project, formats=("epub",)).up_to_date == ("epub",)


# ---- the key itself, one input kind at a time ----------------------------------------

@pytest.fixture
def keyed(project):
    """key() of the small book's EPUB, recomputed after each change."""
    sheets = api.stylesheets(ProjectFiles(project), "epub")

    def current(options=None, fmt="epub"):
        cache.toolchain.cache_clear()
        return key(Inputs.snapshot(ProjectFiles(project)), fmt, sheets, options or {})
    return current


def test_key_changes_with_each_kind_of_project_file(project, keyed):
    seen = {keyed()}
    for change in (change_outline, change_source, add_source, change_claims, change_timeline,
                   add_template):
        change(project)
        seen.add(keyed())
    assert len(seen) == 7
    (project / "book" / "timeline.yaml").unlink()  # a file removed is a change too
    assert keyed() not in seen


def test_key_changes_with_options_given_as_any_mapping(keyed):
    base = keyed({"paper": "a4", "chapters": ("one",)})
    assert keyed({"paper": "a5", "chapters": ("one",)}) != base
    assert keyed({"paper": "a4", "chapters": ("one", "two")}) != base
    assert keyed({"paper": "a4", "chapters": ("one",), "booklet": True}) != base
    # Options that cannot change the bytes are left out.
    assert keyed({"paper": "a4", "chapters": ("one",), "force": True, "strict": True,
                  "out": "/elsewhere", "project": "/p", "formats": ("epub",)}) == base
    assert keyed(fmt="pdf") != keyed(fmt="epub")


def test_every_build_option_reaches_the_key(project, monkeypatch):
    """build() hands all its parameters to the cache, so new options need no wiring."""
    seen = {}
    real = BuildCache.__init__

    def spy(self, out_dir, inputs, options):
        seen.update(options)
        real(self, out_dir, inputs, options)

    monkeypatch.setattr(BuildCache, "__init__", spy)
    build(project, formats=("epub",))
    import inspect
    assert set(seen) == set(inspect.signature(build).parameters)


def test_key_changes_with_bookmaker_its_files_and_its_libraries(tmp_path, keyed, monkeypatch):
    base = keyed()
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert keyed() != base
    monkeypatch.undo()
    assert keyed() == base
    package = tmp_path / "package"
    shutil.copytree(cache.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    copy = keyed()
    for name in ("styles/print.css", "templates/blocks.html", "fonts/LinLibertine_R.otf", "cache.py"):
        with open(package / name, "ab") as f:
            f.write(b"\n")
        assert keyed() != copy, name
        copy = keyed()
    monkeypatch.setattr(cache, "_libraries", lambda root: {"weasyprint": "0.0"})
    assert keyed() != copy


def test_environment_is_keyed(keyed, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    base = keyed()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert keyed() != base


def test_an_output_left_as_it_was_repeats_its_warnings_and_fails_strict(project, caplog):
    """A footnote longer than a page cannot stand on its excerpt's page: the build says so,
    naming the excerpt's line; the next build, served from the cache, says so again, and a
    --strict build then fails instead of calling the book up to date."""
    edit(project / "seeds" / "alpha.md", 'title: "The Harbour Treaty: a report"',
         'title: "The Harbour Treaty: a report' + " with a great many more words" * 220 + '"')
    with caplog.at_level("WARNING", logger="bookmaker"):
        first = build(project, formats=("pdf",))
    warned = [r.getMessage() for r in caplog.records if "is not on the page" in r.getMessage()]
    assert warned and all(re.match(r"\S*book/outline\.yaml:\d+:\d+: the footnote", m) for m in warned)
    assert len(warned) == len(set(warned))  # once each, not once per layout pass
    assert first.up_to_date == ()
    caplog.clear()
    with caplog.at_level("WARNING", logger="bookmaker"):
        again = build(project, formats=("pdf",))
    assert again.up_to_date == ("pdf",)
    assert [r.getMessage() for r in caplog.records if "is not on the page" in r.getMessage()] == warned
    before = listing(project / "dist")
    with pytest.raises(api.BuildFailed) as failed:
        build(project, formats=("pdf",), strict=True)
    assert len(failed.value.errors) == len(warned)
    assert listing(project / "dist") == before
