"""The command line as a user meets it: exit codes, messages, nothing lost."""
import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import assert_valid_epub, copy_project

from bookmaker.cache import MANIFEST

BOOKMAKER = [sys.executable, "-m", "bookmaker"]


def run(*args, cwd=None, env=None):
    return subprocess.run([*BOOKMAKER, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "book-project")


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_version_and_help():
    assert run("--version").stdout.startswith("bookmaker ")
    helped = run("build", "--help")
    assert helped.returncode == 0 and "--format" in helped.stdout and "--out" in helped.stdout


def test_usage_error_exits_2():
    assert run("build", "--format", "docx").returncode == 2
    missing = run("build", "/nonexistent/project")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_build_epub_only_and_pdf_only(project, tmp_path):
    out = tmp_path / "out"
    done = run("build", project, "--format", "epub", "--out", out)
    assert done.returncode == 0, done.stderr
    assert [p.suffix for p in out.iterdir() if p.name != MANIFEST] == [".epub"]
    assert_valid_epub(out / "the-harbour-treaty.epub")
    assert run("build", project, "--format", "pdf", "--out", out).returncode == 0
    assert sorted(p.suffix for p in out.iterdir() if p.name != MANIFEST) == [".epub", ".pdf"]


def test_default_output_folder_and_cwd_project(project):
    done = run("build", cwd=project)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (project / "dist").iterdir()) == [
        MANIFEST, "the-harbour-treaty.epub", "the-harbour-treaty.pdf"]
    assert_valid_epub(project / "dist" / "the-harbour-treaty.epub")


def test_bad_project_exits_1_with_location_and_no_traceback(project):
    outline = project / "book" / "outline.yaml"
    outline.write_text(outline.read_text().replace("excerpt: alpha", "exerpt: alpha", 1))
    done = run("build", project)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "book/outline.yaml:9:9: content block has no block type" in done.stderr
    assert "did you mean 'excerpt'?" in done.stderr
    debug = run("build", project, "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_check_is_quick_and_renders_nothing(project):
    done = run("check", project)
    assert done.returncode == 0 and done.stdout.startswith("ok:")
    assert not (project / "dist").exists()


def test_failed_build_leaves_previous_outputs(project):
    assert run("build", project).returncode == 0
    before = {p.name: digest(p) for p in (project / "dist").iterdir()}
    seed = project / "seeds" / "alpha.md"
    seed.write_text(seed.read_text().replace("signed in 1899", "signed in 1898"))
    failed = run("build", project)
    assert failed.returncode == 1
    assert {p.name: digest(p) for p in (project / "dist").iterdir()} == before


def test_killed_build_leaves_previous_outputs(project):
    assert run("build", project).returncode == 0
    dist = project / "dist"
    before = {p.name: digest(p) for p in dist.iterdir()}
    proc = subprocess.Popen([*BOOKMAKER, "build", str(project), "--force"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60  # kill it once it has started writing a temp file
    while time.monotonic() < deadline and not any(p.name.endswith(".bookmaker-tmp") for p in dist.iterdir()):
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = {p.name: digest(p) for p in dist.iterdir() if not p.name.endswith(".bookmaker-tmp")}
    assert after == before
    # The next build that writes sweeps the leftovers (one with nothing to do writes nothing).
    assert run("build", project, "--force").returncode == 0
    assert sorted(p.name for p in dist.iterdir()) == sorted(before)


def test_no_change_rebuild_says_up_to_date_and_force_renders(project):
    assert run("build", project).returncode == 0
    again = run("build", project, cwd=project)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["up to date: dist/the-harbour-treaty.pdf",
                                         "up to date: dist/the-harbour-treaty.epub"]
    assert "nothing changed" in again.stderr
    forced = run("build", project, "--force", "--format", "epub", cwd=project)
    assert forced.stdout.splitlines() == ["wrote dist/the-harbour-treaty.epub"]


def test_unwritable_output_folder(project, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    done = run("build", project, "--out", blocker / "dist")
    assert done.returncode == 1 and "cannot write to the output folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_strict_turns_warnings_into_errors(project):
    (project / "seeds" / "gamma.md").write_text(
        "---\ntitle: G\nauthor: null\noutlet: O\npublished: null\nurl: null\nlanguage: en\n---\nUnquoted.\n")
    assert run("check", project).returncode == 0
    strict = run("check", project, "--strict")
    assert strict.returncode == 1 and "never quoted" in strict.stderr


def test_bad_source_date_epoch_is_a_usage_error(project):
    done = run("check", project, env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert done.returncode == 2 and "SOURCE_DATE_EPOCH" in done.stderr and "Traceback" not in done.stderr


def test_an_internal_error_is_one_line_exit_3_and_outputs_stay(project, monkeypatch, capsys):
    """A bug of ours or of a library mid-build: a short message and status 3, no
    traceback (--debug shows it), and the previous outputs as they were."""
    from bookmaker import cli
    from bookmaker.render import epub

    assert cli.main(["build", str(project), "--format", "epub"]) == 0
    before = (project / "dist" / "the-harbour-treaty.epub").read_bytes()
    capsys.readouterr()

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(epub, "write_epub", broken)
    assert cli.main(["build", str(project), "--format", "epub", "--force"]) == 3
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: a bug" in err and "Traceback" not in err
    assert (project / "dist" / "the-harbour-treaty.epub").read_bytes() == before
    assert not [p for p in (project / "dist").iterdir() if p.name.startswith(".")
                and p.name != MANIFEST]  # no staged file left behind
    with pytest.raises(ZeroDivisionError):
        cli.main(["build", str(project), "--format", "epub", "--force", "--debug"])
