"""bookmaker import: saved pages, PDFs and text files, what is written, every refusal."""
import hashlib
import re
import zipfile

import pytest
from importing import (FIXTURES, REPORT, body, browser_texts, front_matter, make_pdf, make_scan,
                       quote_outline, run, snapshot)

from bookmaker import api
from bookmaker.errors import BookError, BuildFailed, UsageError, display_path as shown
from bookmaker.importer import import_sources
from bookmaker.scaffold import new_project

ARTICLE = FIXTURES / "news-article.html"
SAVED = FIXTURES / "saved-complete"
SAVED_PAGE = SAVED / "Fährplan – Inselbote.html"
CLUTTER = ["We use cookies", "Accept all cookies", "Skip to main content", "Subscribe", "Opinion",
           "Share on Facebook", "Email this story", "Morning Briefing", "Sign up for our free newsletter",
           "More from the Courier", "Three bus routes", "Typical council", "gullislander",
           "Comments (3)", "All rights reserved", "Privacy policy", "Advertisement", "Topics:"]


@pytest.fixture
def project(tmp_path):
    new_project(tmp_path / "reader", title="Island ferries")
    return tmp_path / "reader"


def imported(done, project, sid):
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return project / "seeds" / f"{sid}.md"


# ---- web pages ----------------------------------------------------------------

def test_saved_page_main_text_metadata_and_original(project):
    done = run("import", ARTICLE, "--project", project)
    path = imported(done, project, "harbour-council-votes-to-keep")
    meta = front_matter(path)
    assert meta == {
        "id": "harbour-council-votes-to-keep",
        "title": "Harbour council votes to keep the night ferry running",
        "author": ["Mira Holt", "Tomás Ferreira"], "outlet": "The Coastal Courier",
        "published": "2024-03-05", "url": "https://courier.example/news/2024/03/05/night-ferry-vote",
        "language": "en-GB", "accessed": None,
        "original": "originals/harbour-council-votes-to-keep.html",
        "sha256": hashlib.sha256(ARTICLE.read_bytes()).hexdigest()}
    original = project / "seeds" / meta["original"]
    assert original.read_bytes() == ARTICLE.read_bytes()
    text = body(path)
    paragraphs = text.strip().split("\n\n")
    assert paragraphs[0] == "Harbour council votes to keep the night ferry running"
    assert "The motion passed by seven votes to four." in text
    assert "“We have bought ourselves a summer, not a solution,” said" in text  # the blockquote
    assert "A subsidy with an end date" in paragraphs  # the sub-heading, a paragraph of its own
    assert paragraphs[-1] == ("The council will publish the minutes of the meeting, with the full "
                              "voting record, next week.")
    for clutter in CLUTTER:
        assert clutter not in text, clutter
    # What the page does not say is null, with a warning naming the line to fill in.
    assert f"{path.name}:9: 'accessed' is null" in done.stderr
    assert "wrote seeds/harbour-council-votes-to-keep.md" in done.stdout.replace(shown(project) + "/", "")
    assert "outlet:    The Coastal Courier" in done.stdout
    assert api.check(project)


def test_a_sentence_copied_from_the_browser_is_quotable(project, tmp_path):
    """Every sentence of the article as Chromium shows it matches with quote:."""
    import_sources(project, [str(ARTICLE)], source_id="ferry")
    shown = browser_texts(ARTICLE, ".standfirst, .story-body > p, .story-body > blockquote", tmp_path)
    assert len(shown) == 9 and "only way home" in shown[2]
    sentences = [s for text in shown for s in re.split(r"(?<=[.!?”])\s+(?=[“A-Z])", text) if s]
    assert len(sentences) >= 15
    quote_outline(project, [("ferry", s) for s in sentences])
    book = api.check(project)
    quoted = [x.paragraphs[0] for x in book.chapters[0].excerpts()]
    # Every one found, and as the browser showed it (white space aside: its no-break spaces)
    assert [" ".join(q.split()) for q in quoted] == [" ".join(s.split()) for s in sentences]


def test_saved_complete_page_folder_encoding_and_saved_from_address(project):
    """A 'web page, complete' folder, in windows-1252 as its <meta> says, German."""
    for given in (SAVED, SAVED / "Fährplan – Inselbote_files"):
        done = run("import", given, "--project", project, "--id", "faehre", "--force")
        path = imported(done, project, "faehre")
    meta = front_matter(path)
    assert (meta["title"], meta["author"], meta["outlet"], meta["language"], meta["published"]) == (
        "Neuer Winterfahrplan für die Inselfähre", ["Jana Krüger"], "Inselbote", "de", "2023-11-02")
    assert meta["url"] == "https://inselbote.example/lokales/2023/11/fahrplan-winter"  # saved from
    text = body(path)
    assert "„Wir wollen die Verbindung erhalten, aber nicht um jeden Preis“, sagte ein Sprecher." in text
    for clutter in ("Cookies", "Startseite", "Newsletter", "kostenlos anmelden", "Kommentare",
                    "Endlich sagt es", "Verlag"):
        assert clutter not in text
    assert (project / "seeds" / "originals" / "faehre.html").read_bytes() == SAVED_PAGE.read_bytes()
    assert sorted(p.name for p in (project / "seeds" / "originals").iterdir()) == ["faehre.html"]
    api.check(project)


def test_page_without_metadata_is_refused_until_given_what_the_format_needs(project):
    page = FIXTURES / "bare-page.html"
    before = snapshot(project)
    refused = run("import", page, "--project", project)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"{shown(page)}: the web page does not say its outlet or language; nothing was written" \
        in refused.stderr
    assert '--outlet "..." --language en' in refused.stderr
    assert snapshot(project) == before
    done = run("import", page, "--project", project, "--outlet", "Harbour notes", "--language", "en")
    path = imported(done, project, "notes-on-the-tide-tables")
    meta = front_matter(path)
    assert (meta["author"], meta["published"], meta["url"]) == (None, None, None)
    for key, line in (("author", 4), ("published", 6), ("url", 7), ("accessed", 9)):
        assert f"notes-on-the-tide-tables.md:{line}: '{key}' is null" in done.stderr
    assert body(path).startswith("Notes on the tide tables\n\nThe tide tables printed")
    assert "Contact the webmaster" not in body(path) and "Archive" not in body(path)


def test_a_page_that_names_no_outlet_gets_its_address_with_a_warning(project, tmp_path):
    page = tmp_path / "tides.html"
    page.write_bytes((FIXTURES / "bare-page.html").read_bytes().replace(
        b"<html>", b"<!-- saved from url=(0039)https://www.harbour-notes.example/tides -->\n<html lang=en>"))
    done = run("import", page, "--project", project, "--id", "tides")
    meta = front_matter(imported(done, project, "tides"))
    assert (meta["outlet"], meta["url"]) == ("harbour-notes.example", "https://www.harbour-notes.example/tides")
    assert "the page does not name its outlet; 'outlet' is its site's address" in done.stderr


def test_options_replace_what_the_page_says(project):
    done = run("import", ARTICLE, "--project", project, "--id", "courier", "--title", "Ferry vote",
               "--author", "M. Holt", "--author", "T. Ferreira", "--published", "2024-03",
               "--outlet", "Coastal Courier (print)", "--language", "en")
    meta = front_matter(imported(done, project, "courier"))
    assert (meta["title"], meta["author"], meta["published"], meta["outlet"], meta["language"]) == (
        "Ferry vote", ["M. Holt", "T. Ferreira"], "2024-03", "Coastal Courier (print)", "en")


# ---- PDFs ---------------------------------------------------------------------

def test_pdf_paragraphs_rebuilt_without_headers_footers_or_page_numbers(project, tmp_path):
    pdf = make_pdf(tmp_path / "report.pdf")
    done = run("import", pdf, "--project", project, "--outlet", "Harbour Council")
    path = imported(done, project, "the-night-ferry-a-report")
    meta = front_matter(path)
    assert (meta["title"], meta["author"], meta["language"], meta["outlet"]) == (
        "The night ferry: a report", ["Harbour Council staff"], "en", "Harbour Council")
    assert meta["published"] is None and "'published' is null" in done.stderr
    paragraphs = body(path).strip().split("\n\n")
    expected = ["The night ferry: a report"]
    for heading, paragraph in REPORT:
        expected += [heading, paragraph] if heading else [paragraph]
    assert paragraphs == expected  # headers, footers and "Page N of M" left out; pages joined
    assert (project / "seeds" / "originals" / "the-night-ferry-a-report.pdf").read_bytes() == pdf.read_bytes()
    api.check(project)


def test_pdf_in_two_columns_is_read_column_by_column(project, tmp_path):
    """Headings at the same height in both columns, paragraphs going on into the next column."""
    pdf = make_pdf(tmp_path / "columns.pdf", columns=2, repeat=2)
    import pdfminer.high_level

    assert pdfminer.high_level.extract_text(str(pdf)).count("Page ") == 2  # two pages
    import_sources(project, [str(pdf)], source_id="columns", metadata={"outlet": "Harbour Council"})
    expected = ["The night ferry: a report"] + [x for h, p in REPORT * 2 for x in (h, p) if x]
    assert body(project / "seeds" / "columns.md").strip().split("\n\n") == expected


def test_pdf_words_hyphenated_at_line_ends_are_joined_on_evidence(project, tmp_path):
    pdf = make_pdf(tmp_path / "hyphenated.pdf", hyphens="auto")
    import pdfminer.high_level

    layer = pdfminer.high_level.extract_text(str(pdf))
    assert re.search(r"\w\u2010\n", layer), "the test PDF should break words at line ends"
    done = run("import", pdf, "--project", project, "--outlet", "Harbour Council", "--id", "report")
    text = body(imported(done, project, "report"))
    kept = re.findall(r"(\w+)\u2010(\w+)", text)  # left as printed, and named in a warning
    for head, tail in kept:
        assert f"{head}\u2010{tail}" in done.stderr
        text = text.replace(f"{head}\u2010{tail}", head + tail)
    expected = "\n\n".join(["The night ferry: a report"] + [x for h, p in REPORT for x in (h, p) if x])
    assert text.strip() == expected


def test_pdf_without_a_text_layer_is_refused(project, tmp_path):
    scan = make_scan(tmp_path / "scan.pdf")
    before = snapshot(project)
    done = run("import", scan, "--project", project, "--outlet", "O")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{shown(scan)}: the PDF has no text layer" in done.stderr and "OCR" in done.stderr
    assert snapshot(project) == before


def test_password_protected_pdf_is_refused(project, tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(make_pdf(tmp_path / "open.pdf"))))
    writer.encrypt(user_password="secret", owner_password="owner")
    with open(tmp_path / "locked.pdf", "wb") as f:
        writer.write(f)
    done = run("import", tmp_path / "locked.pdf", "--project", project, "--outlet", "O")
    assert done.returncode == 1 and "protected by a password" in done.stderr


@pytest.mark.parametrize("name, data, message", [
    ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n%%EOF garbage \x00\xff",
     "the PDF is damaged and cannot be read"),
    ("renamed.pdf", b"<html><body><p>A page saved with the wrong name.</p></body></html>",
     "not a PDF, or a damaged one"),
    ("binary.html", b"<html>\x00\x01\x02\x00\x9c\x00 not a page" * 20, "not an HTML page"),
    ("latin1.txt", "Caf\u00e9 au lait".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 3)"),
    ("report.docx", b"PK\x03\x04" + b"\x00" * 100, "unknown kind of file (.docx)"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "unknown kind of file (.png)"),
    ("empty.html", (FIXTURES / "empty-page.html").read_bytes(), "no text found in the web page"),
    ("blank.txt", b"\n\n   \n", "no text found in the text file"),
])
def test_damaged_unknown_and_empty_files_are_refused(project, tmp_path, name, data, message):
    (tmp_path / name).write_bytes(data)
    before = snapshot(project)
    done = run("import", tmp_path / name, "--project", project, "--title", "T", "--outlet", "O",
               "--language", "en")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"{shown(tmp_path / name)}: {message}" in done.stderr
    assert snapshot(project) == before


def test_a_file_over_the_size_limit_is_refused_unread(project, tmp_path):
    big = tmp_path / "huge.html"
    with open(big, "wb") as f:  # sparse: 60 MB that take no room
        f.write(b"<html><body>")
        f.truncate(60 * 2**20)
    before = snapshot(project)
    done = run("import", big, "--project", project)
    assert done.returncode == 1 and "the file is 60 MB, over the limit of 50 MB" in done.stderr
    assert snapshot(project) == before
    small = tmp_path / "page.html"
    small.write_bytes(ARTICLE.read_bytes())
    with pytest.raises(BuildFailed, match=r"the file is 7\.\d KB, over the limit of 1 KB"):
        import_sources(project, [str(small)], max_bytes=1024)


# ---- text files -----------------------------------------------------------------

def test_text_file_kept_as_written(project, tmp_path):
    txt = tmp_path / "letter.txt"
    txt.write_bytes("\ufeffDear editors,\r\n\r\nThe ferry matters to us.\r\nIt is our only way home."
                    "\r\n\r\n\r\nYours, the islanders\r\n".encode())
    done = run("import", txt, "--project", project, "--title", "A letter to the Courier",
               "--outlet", "Letters to the editor", "--language", "en", "--published", "2024-03-08")
    path = imported(done, project, "a-letter-to-the-courier")
    assert body(path) == ("Dear editors,\n\nThe ferry matters to us.\nIt is our only way home.\n\n"
                          "Yours, the islanders\n")
    assert front_matter(path)["published"] == "2024-03-08"
    assert (project / "seeds" / "originals" / "a-letter-to-the-courier.txt").read_bytes() == txt.read_bytes()
    quote_outline(project, [("a-letter-to-the-courier", "The ferry matters to us. It is our only way home.")])
    api.check(project)


def test_markdown_file_as_its_rendering_shows_it(project, tmp_path):
    md = tmp_path / "post.md"
    md.write_text("---\ntitle: Why we need the late boat\nauthor: [Ines Moreau]\ndate: 2024-02-28\n"
                  "site: Island Voices\nlang: en\n---\n# Why we need the late boat\n\n"
                  "The *last* boat is the **only** way home for [many of us](https://example.org).\n"
                  "It leaves at `23:40`.\n\n- Nurses\n- Cooks and cleaners\n\n> Keep it running.\n\n"
                  "<!-- a note to myself -->\n", encoding="utf-8")
    done = run("import", md, "--project", project)
    path = imported(done, project, "why-we-need-the-late-boat")
    meta = front_matter(path)
    assert (meta["title"], meta["author"], meta["published"], meta["outlet"], meta["language"]) == (
        "Why we need the late boat", ["Ines Moreau"], "2024-02-28", "Island Voices", "en")
    assert body(path) == ("Why we need the late boat\n\nThe last boat is the only way home for many of us.\n"
                          "It leaves at 23:40.\n\nNurses\n\nCooks and cleaners\n\nKeep it running.\n")
    quote_outline(project, [("why-we-need-the-late-boat",
                             "The last boat is the only way home for many of us. It leaves at 23:40.")])
    api.check(project)


def test_markdown_title_from_its_first_heading(project, tmp_path):
    md = tmp_path / "notes.md"
    md.write_text("Some words first.\n\n# The real title\n\nMore words.\n", encoding="utf-8")
    import_sources(project, [str(md)], metadata={"outlet": "Notes", "language": "en"})
    assert front_matter(project / "seeds" / "the-real-title.md")["title"] == "The real title"


# ---- ids, --force, several sources -------------------------------------------------

def test_an_existing_id_is_refused_and_force_replaces_it(project, tmp_path):
    first = run("import", ARTICLE, "--project", project, "--id", "ferry")
    imported(first, project, "ferry")
    before = snapshot(project)
    again = run("import", FIXTURES / "bare-page.html", "--project", project, "--id", "ferry",
                "--outlet", "O", "--language", "en")
    assert again.returncode == 1 and "the project already has a source 'ferry' (ferry.md)" in again.stderr
    assert "--force" in again.stderr and snapshot(project) == before
    pdf = make_pdf(tmp_path / "r.pdf")
    forced = run("import", pdf, "--project", project, "--id", "ferry", "--outlet", "O", "--force")
    path = imported(forced, project, "ferry")
    assert front_matter(path)["original"] == "originals/ferry.pdf"
    assert sorted(p.name for p in (project / "seeds" / "originals").iterdir()) == ["ferry.pdf"]
    api.check(project)


def test_an_original_left_without_its_source_is_not_overwritten(project):
    (project / "seeds" / "originals").mkdir()
    (project / "seeds" / "originals" / "ferry.html").write_text("kept by hand")
    before = snapshot(project)
    done = run("import", ARTICLE, "--project", project, "--id", "ferry")
    assert done.returncode == 1 and "seeds/originals/ferry.html already exists" in done.stderr
    assert snapshot(project) == before
    imported(run("import", ARTICLE, "--project", project, "--id", "ferry", "--force"), project, "ferry")
    assert (project / "seeds" / "originals" / "ferry.html").read_bytes() == ARTICLE.read_bytes()


def test_an_id_given_by_another_file_is_not_replaced_even_with_force(project):
    (project / "seeds" / "mine.md").write_text((project / "seeds" / "example.md").read_text()
                                               .replace("id: example", "id: ferry"))
    (project / "seeds" / "example.md").unlink()
    done = run("import", ARTICLE, "--project", project, "--id", "ferry", "--force")
    assert done.returncode == 1 and "already has a source 'ferry' (mine.md)" in done.stderr
    assert not (project / "seeds" / "ferry.md").exists()


def test_several_sources_at_once_and_nothing_when_one_fails(project, tmp_path):
    pdf = make_pdf(tmp_path / "r.pdf")
    before = snapshot(project)
    done = run("import", ARTICLE, SAVED_PAGE, pdf, tmp_path / "missing.html", "--project", project)
    assert done.returncode == 1
    assert f"{shown(pdf)}: the PDF does not say its outlet" in done.stderr
    assert f"{shown(tmp_path / 'missing.html')}: no such file" in done.stderr
    assert "2 errors; nothing was written" in done.stderr and snapshot(project) == before
    done = run("import", ARTICLE, SAVED_PAGE, pdf, "--project", project, "--outlet", "Harbour Council")
    assert done.returncode == 0, done.stderr
    assert {s.id for s in api.check(project).sources} == {
        "example", "harbour-council-votes-to-keep", "neuer-winterfahrplan-fur-die",
        "the-night-ferry-a-report"}


def test_usage_errors(project, tmp_path):
    two = run("import", ARTICLE, SAVED_PAGE, "--project", project, "--id", "x")
    assert two.returncode == 2 and "--id names one source" in two.stderr
    not_project = run("import", ARTICLE, "--project", tmp_path)
    assert not_project.returncode == 2 and "not a book project" in not_project.stderr
    assert run("import", ARTICLE, "--project", project, "--id", "../x").returncode == 2
    assert run("import", ARTICLE, "--project", project, "--published", "March").returncode == 2
    with pytest.raises(UsageError):
        import_sources(project, [str(ARTICLE)], metadata={"colour": "red"})


def test_import_from_the_project_folder_by_default(project):
    done = run("import", ARTICLE, "--id", "ferry", cwd=project)
    imported(done, project, "ferry")


def test_written_source_feeds_a_build(project, tmp_path):
    """Imported sources, quoted, make a PDF and an EPUB that EPUBCheck passes."""
    from helpers import assert_valid_epub

    import_sources(project, [str(ARTICLE)], source_id="ferry")
    import_sources(project, [str(make_pdf(tmp_path / "r.pdf"))], source_id="report",
                   metadata={"outlet": "Harbour Council"})
    quote_outline(project, [("ferry", "The motion passed by seven votes to four."),
                            ("report", REPORT[0][1])])
    result = api.build(project)
    assert_valid_epub(result.outputs["epub"])
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        chapter = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert "The motion passed by seven votes" in chapter
    assert "Mira Holt" in chapter and "Harbour Council staff" in chapter


def test_error_without_location_names_the_source(project, tmp_path):
    with pytest.raises(BuildFailed) as exc:
        import_sources(project, [str(tmp_path / "nothing.pdf")])
    assert [str(e) for e in exc.value.errors] == [f"{shown(tmp_path / 'nothing.pdf')}: no such file"]
    with pytest.raises(BookError):
        raise exc.value.errors[0]


def test_a_title_that_gives_no_id_asks_for_one(project, tmp_path):
    page = tmp_path / "Паром.html"
    page.write_text('<html lang="ru"><head><meta charset="utf-8"><title>Ночной паром</title>'
                    '<meta property="og:site_name" content="Островной вестник"></head><body><article>'
                    "<p>Совет решил сохранить ночной паром до конца октября, после долгих споров.</p>"
                    "</article></body></html>", encoding="utf-8")
    done = run("import", page, "--project", project)
    assert done.returncode == 1 and "cannot make an id from the title" in done.stderr
    assert "--id" in done.stderr
    done = run("import", page, "--project", project, "--id", "parom")
    meta = front_matter(imported(done, project, "parom"))
    assert (meta["title"], meta["outlet"], meta["language"]) == ("Ночной паром", "Островной вестник", "ru")
