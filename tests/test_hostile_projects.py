"""Projects passed around: templates, symlinks and special files stay inside the project.

Each case starts from ``tests/books/hostile-project`` (its own templates and
styles), adds what git cannot hold (symlinks out of the project, FIFOs) or a
hostile template, and builds both outputs, each on its own.
"""
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from helpers import BOOKS, assert_valid_epub, pdf_pages

from bookmaker import build, check
from bookmaker.errors import BookError, BuildFailed

PROJECT = BOOKS / "hostile-project"
SECRET = "SECRET-7f3a-outside-the-project"
BOOKMAKER = [sys.executable, "-m", "bookmaker"]


@pytest.fixture
def project(tmp_path):
    copy = tmp_path / "borrowed"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("dist"))
    return copy


@pytest.fixture
def secret(tmp_path):
    """A file outside the project that no build may read."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"{SECRET}\n---\ntitle: x\n---\n", encoding="utf-8")
    return path


def run(*args, timeout=120, **kw):
    return subprocess.run([*BOOKMAKER, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kw)


def errors_of(project, fmt):
    with pytest.raises((BookError, BuildFailed)) as exc:
        build(project, formats=(fmt,))
    return [exc.value] if isinstance(exc.value, BookError) else exc.value.errors


def output_text(path: Path) -> str:
    if path.suffix == ".pdf":
        return " ".join(pdf_pages(path))
    with zipfile.ZipFile(path) as z:
        return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


# ---- the project as it is builds, with its own templates ----------------------------

def test_the_borrowed_project_builds_with_its_own_templates(project):
    result = build(project)
    assert_valid_epub(result.outputs["epub"])
    for path in result.outputs.values():
        assert "From the project's templates: A BORROWED PROJECT, 1 excerpt(s)." in output_text(path)
    # Nothing but the two outputs is left in the output folder, no scratch files.
    assert sorted(p.name for p in (project / "dist").iterdir()) == [
        ".bookmaker-cache.json", "a-borrowed-project.epub", "a-borrowed-project.pdf"]


# ---- templates: plain data, allow-listed attributes, loaded by name ------------------

HOSTILE_TEMPLATES = [
    ("{{ book.project.joinpath('/etc/passwd').read_text() }}", "joinpath"),
    ("{{ book.sources[0].path.read_text() }}", "read_text"),
    ("{{ chapter.blocks[0].loc.file.read_text() }}", "read_text"),
    ("{% set p = book.project %}{{ p.__class__.__mro__ }}", "__class__"),
    ("{{ ''.__class__.__base__.__subclasses__() }}", "__class__"),
    ("{{ book.chapters.__len__() }}", "__len__"),
    ("{{ cycler.__init__.__globals__ }}", "__init__"),
    ("{{ names.__globals__ }}", "__globals__"),
    ("{{ sources.pop('notes') }}", "pop"),
    ("{{ book.chapters[0].blocks.index.__self__ }}", "__self__"),
    ("{{ lipsum.__module__ }}", "__module__"),
]


@pytest.mark.parametrize("fmt", ["pdf", "epub"])
@pytest.mark.parametrize("template, attribute", HOSTILE_TEMPLATES)
def test_templates_cannot_reach_files_or_python(project, secret, fmt, template, attribute):
    (project / "templates" / "chapter.html").write_text(
        f"<p>line one</p>\n{template.replace('/etc/passwd', str(secret))}\n", encoding="utf-8")
    [error] = errors_of(project, fmt)
    assert Path(error.where.file) == project / "templates" / "chapter.html"
    assert error.where.line == 2, str(error)
    assert attribute in error.message or "undefined" in error.message, str(error)
    assert not (project / "dist").exists() or not any((project / "dist").iterdir())


def test_a_template_cannot_write_files(project, tmp_path):
    target = tmp_path / "written-by-a-template"
    (project / "templates" / "chapter.html").write_text(
        f"{{{{ book.project.__class__('{target}').write_text('x') }}}}\n"
        f"{{{{ book.sources[0].path.replace('x', 'y') }}}}", encoding="utf-8")
    errors_of(project, "epub")
    assert not target.exists()


@pytest.mark.parametrize("include", ["/etc/passwd", "../../../../etc/passwd", "../book/outline.yaml",
                                     "templates/banner.html", "banner.html/..", "SECRET"])
def test_include_and_import_load_templates_by_name_only(project, secret, include):
    name = str(secret) if include == "SECRET" else include
    (project / "templates" / "chapter.html").write_text(
        f'{{% include "{name}" %}}\n{{% import "{name}" as x %}}\n', encoding="utf-8")
    [error] = errors_of(project, "epub")
    assert "template not found" in error.message and error.where.line == 1, str(error)


def test_an_included_template_of_the_package_still_loads_by_name(project):
    (project / "templates" / "chapter.html").write_text(
        '{% import "blocks.html" as blocks with context %}<h1>{{ chapter.title }}</h1>'
        '{% for b in chapter.blocks %}{{ blocks.block(b, sources) }}{% endfor %}', encoding="utf-8")
    assert build(project, formats=("epub",)).outputs["epub"].exists()


# ---- template errors are located, and found by `check` -------------------------------

TEMPLATE_ERRORS = [
    ("<p>\n{% for x in chapter.blocks %}\n<p>never closed</p>\n", 3, "Unexpected end of template"),
    ("<p>\n\n{{ chapter.title | nosuchfilter }}\n", 3, "nosuchfilter"),
    ("<p>\n{% include 'nothere.html' %}\n", 2, "template not found: 'nothere.html'"),
    ("<p>\n\n{{ chapter.nosuchfield.x }}\n", 3, "nosuchfield"),
    ("<p>\n{% include 'chapter.html' %}\n", 2, "without end"),
    ("<p>\n{{ names(1, 2, 3, 4) }}\n", 2, "template error"),
]


@pytest.mark.parametrize("text, line, message", TEMPLATE_ERRORS)
def test_template_errors_name_the_template_and_line(project, text, line, message):
    (project / "templates" / "chapter.html").write_text(text, encoding="utf-8")
    done = run("build", project)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"templates/chapter.html:{line}" in done.stderr and message in done.stderr, done.stderr
    assert not (project / "dist").exists() or not any((project / "dist").iterdir())


def test_check_compiles_the_project_templates(project):
    (project / "templates" / "banner.html").write_text("<p>\n{% if %}\n", encoding="utf-8")
    done = run("check", project)
    assert done.returncode == 1 and "templates/banner.html:2" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_template_that_is_not_utf8_is_located(project):
    (project / "templates" / "banner.html").write_bytes(b"<p>ok</p>\n<p>\xff</p>\n")
    with pytest.raises((BookError, BuildFailed)) as exc:
        check(project)
    error = exc.value if isinstance(exc.value, BookError) else exc.value.errors[0]
    assert "not UTF-8" in error.message and error.where.line == 2 and error.where.name == "banner.html"


# ---- symlinks out of the project ---------------------------------------------------

LINKS = ["templates/chapter.html", "templates/banner.html", "styles/print.css", "styles/epub.css",
         "seeds/notes.md", "seeds/extra.md", "book/claims.yaml", "book/timeline.yaml",
         "book/outline.yaml"]


@pytest.mark.parametrize("fmt", ["pdf", "epub"])
@pytest.mark.parametrize("name", LINKS)
def test_symlinks_out_of_the_project_are_refused(project, secret, fmt, name):
    link = project / name
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    errors = errors_of(project, fmt)
    assert any("refers outside the project" in e.message and Path(e.where.file) == link
               for e in errors), [str(e) for e in errors]
    dist = project / "dist"
    assert not dist.exists() or not any(dist.iterdir())


@pytest.mark.parametrize("folder", ["seeds", "templates", "styles"])
def test_a_symlinked_folder_out_of_the_project_is_refused(project, tmp_path, folder):
    outside = tmp_path / f"outside-{folder}"
    shutil.move(project / folder, outside)
    (project / folder).symlink_to(outside)
    errors = errors_of(project, "epub")
    assert any("refers outside the project" in e.message for e in errors), [str(e) for e in errors]


def test_a_symlink_inside_the_project_is_followed(project):
    (project / "originals").mkdir()
    shutil.move(project / "seeds" / "notes.md", project / "originals" / "notes.md")
    (project / "seeds" / "notes.md").symlink_to("../originals/notes.md")
    assert build(project, formats=("epub",)).outputs["epub"].exists()


def test_the_cli_says_which_file_refers_outside(project, secret):
    (project / "styles" / "print.css").unlink()
    (project / "styles" / "print.css").symlink_to(secret)
    done = run("build", project, "--format", "pdf")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "styles/print.css: refers outside the project" in done.stderr
    assert SECRET not in done.stderr + done.stdout


# ---- endless and oversized inputs ------------------------------------------------------

@pytest.mark.parametrize("name", ["seeds/fifo.md", "book/outline.yaml", "book/claims.yaml",
                                  "templates/banner.html", "styles/epub.css"])
def test_fifos_are_refused_not_waited_for(project, name):
    path = project / name
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    done = run("build", project, "--format", "epub", timeout=60)
    assert done.returncode == 1, done.stderr
    assert f"{name}: cannot read file: it is a FIFO, not a regular file" in done.stderr, done.stderr


def test_a_fifo_named_by_a_stylesheet_is_refused(project):
    os.mkfifo(project / "styles" / "endless.png")
    (project / "styles" / "print.css").write_text("body { background: url(endless.png); }")
    done = run("build", project, "--format", "pdf", timeout=120)
    assert done.returncode == 1 and "FIFO" in done.stderr, done.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("name", ["seeds/endless.md", "book/claims.yaml"])
def test_links_to_endless_devices_are_refused(project, device, name):
    path = project / name
    path.unlink(missing_ok=True)
    path.symlink_to(device)
    done = run("check", project, timeout=60)
    assert done.returncode == 1 and "refers outside the project" in done.stderr, done.stderr


def test_files_over_the_size_limit_are_refused(project):
    big = project / "seeds" / "big.md"
    big.write_text((project / "seeds" / "notes.md").read_text() + "word " * 300_000)  # 1.5 MB
    done = run("check", project, env={**os.environ, "BOOKMAKER_MAX_FILE_MB": "1"})
    assert done.returncode == 1
    assert "seeds/big.md: file is larger than the limit of 1 MB" in done.stderr, done.stderr
    assert "BOOKMAKER_MAX_FILE_MB" in done.stderr
    assert run("check", project).returncode == 0, "20 MB is the default limit"


def test_a_bad_size_limit_is_a_usage_error(project):
    done = run("check", project, env={**os.environ, "BOOKMAKER_MAX_FILE_MB": "lots"})
    assert done.returncode == 2 and "BOOKMAKER_MAX_FILE_MB" in done.stderr


# ---- fonts, dates and layout ------------------------------------------------------------

def pdf_font_names(path: Path) -> set[str]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0].split("+", 1)[-1] for line in out.splitlines()[2:] if line.strip()}


def test_only_bundled_fonts_are_used_and_missing_glyphs_are_reported(project):
    notes = project / "seeds" / "notes.md"
    notes.write_text(notes.read_text() + "\nArrows → and stars ★, Arabic سلام, emoji 🦜 and 日本.\n")
    outline = project / "book" / "outline.yaml"
    outline.write_text(outline.read_text().replace(
        "      - note: The year is right; see the sources.",
        '      - excerpt: notes\n        quote: "Arrows → and stars ★, Arabic سلام, emoji 🦜 and 日本."\n'
        "      - note: The year is right; see the sources."))
    done = run("build", project, "--format", "pdf")
    assert done.returncode == 0, done.stderr
    line = next(i for i, text in enumerate(outline.read_text().splitlines(), 1) if "Arrows" in text) - 1
    assert f"book/outline.yaml:{line}:9: the excerpt from 'notes' has 3 characters that no bundled " \
           "font can draw (U+65E5 CJK UNIFIED IDEOGRAPH-65E5, U+672C CJK UNIFIED IDEOGRAPH-672C, " \
           "U+1F99C PARROT)" in done.stderr, done.stderr
    fonts = pdf_font_names(project / "dist" / "a-borrowed-project.pdf")
    assert fonts and fonts <= {"Libertine", "Libertine-Italic", "Libertine-Bold", "Libertine-BoldItalic",
                               "Libertine-Bold-Italic",
                               "Biolinum", "Biolinum-Bold", "Biolinum-Italic", "DejaVu-Sans"}, fonts
    assert "DejaVu-Sans" in fonts  # the bundled fallback draws the arrows, the star and the Arabic
    strict = run("build", project, "--format", "pdf", "--strict")
    assert strict.returncode == 1 and "no bundled font can draw" in strict.stderr


def test_no_temporary_files_outside_the_output_folder(project, tmp_path):
    """WeasyPrint's font folder and EbookLib's file go to the build's own scratch
    folder in the output folder, so even a killed build leaves nothing in TMPDIR."""
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    dist = project / "dist"
    proc = subprocess.Popen([*BOOKMAKER, "build", str(project)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    fonts = None
    while time.monotonic() < deadline and proc.poll() is None:
        fonts = next(dist.glob(".work.*.bookmaker-tmp/**/font-faces/*"), None) if dist.exists() else None
        if fonts:
            break
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert fonts is not None, "the build never wrote its @font-face fonts"
    assert list(scratch.iterdir()) == []
    done = run("build", project, env=env)
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in dist.iterdir()) == [  # the killed build's scratch swept
        ".bookmaker-cache.json", "a-borrowed-project.epub", "a-borrowed-project.pdf"]


def test_attachments_a_template_adds_carry_the_books_date(project):
    from pypdf import PdfReader

    book = (Path(__file__).parent.parent / "src/bookmaker/templates/book.html").read_text()
    (project / "templates" / "book.html").write_text(
        book.replace("</head>", '<link rel="attachment" href="seeds/notes.md"/>\n</head>'))
    outline = project / "book" / "outline.yaml"
    outline.write_text(outline.read_text().replace("language: en\n", 'language: en\ndate: "2024-02-03"\n'))
    first = build(project, formats=("pdf",)).outputs["pdf"]
    data = first.read_bytes()
    reader = PdfReader(str(first))
    assert list(reader.attachments) == ["notes.md"]
    assert b"/CreationDate (D:20240203000000Z)" in data and b"/ModDate (D:20240203000000Z)" in data
    os.utime(project / "seeds" / "notes.md", (1e9, 1e9))  # the file's own times do not count
    assert build(project, formats=("pdf",)).outputs["pdf"].read_bytes() == data


def test_long_words_and_urls_stay_inside_the_page(project):
    word = "Z" * 240
    notes = project / "seeds" / "notes.md"
    notes.write_text(notes.read_text() + f"\nA word {word} in the middle.\n")
    outline = project / "book" / "outline.yaml"
    outline.write_text(outline.read_text().replace(
        "      - note: The year is right; see the sources.",
        f'      - excerpt: notes\n        quote: "A word {word} in the middle."\n'
        f'      - note: "A link that never breaks: https://example.org/{"x" * 200}"\n'
        "        kind: context\n"
        "      - note: The year is right; see the sources."))
    pdf = build(project, formats=("pdf",)).outputs["pdf"]
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))
    right_edges = [float(x) for x in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"', out)]
    assert right_edges and max(right_edges) <= width - 10 * 72 / 25.4, (max(right_edges), width)
    assert "Z" * 40 in out  # the word is there, broken across lines


def test_right_to_left_text_keeps_its_order_around_the_footnote_call(project):
    result = build(project)
    pdf = result.outputs["pdf"]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub("[\u202a-\u202e\u200e\u200f]", "", text)
    assert "והנה משפט שני עם מילה אחרונה" in " ".join(text.split())
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        chapter = z.read("EPUB/right-to-left.xhtml").decode()
    assert 'lang="he" xml:lang="he" dir="rtl"' in chapter



def test_the_coverage_table_is_the_fonts_own():
    """fonts/coverage.txt (read on every check, instead of the fonts' cmaps) says
    exactly what the bundled fonts hold: regenerate it when a font changes with
    python -c 'from bookmaker import fontcheck as f; f.COVERAGE.write_text(f.coverage_text(f.measure_coverage()))'"""
    from bookmaker import fontcheck

    assert fontcheck.COVERAGE.read_text(encoding="ascii") == fontcheck.coverage_text(
        fontcheck.measure_coverage())
