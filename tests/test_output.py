"""The pair of outputs is replaced together or not at all, and builds share a folder safely."""
import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from helpers import copy_project

from bookmaker import build
from bookmaker import output as output_module
from bookmaker.errors import BookError
from bookmaker.output import OutputFolder

BOOKMAKER = [sys.executable, "-m", "bookmaker"]
NAMES = ["the-harbour-treaty.epub", "the-harbour-treaty.pdf"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The small book built once; each test copies the project and its dist/."""
    project = copy_project(tmp_path_factory.mktemp("built") / "p")
    build(project)
    return project


@pytest.fixture
def project(built, tmp_path):
    copy = tmp_path / "p"
    shutil.copytree(built, copy)
    # Make the next build's outputs differ from the ones in dist/.
    outline = copy / "book" / "outline.yaml"
    outline.write_text(outline.read_text().replace("A small test reader", "A changed subtitle"))
    return copy


def snapshot(folder):
    """Every entry of the folder, hidden ones included, with the digest of each file."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in folder.iterdir()}


def run(*args, **kw):
    return subprocess.run([*BOOKMAKER, *map(str, args)], capture_output=True, text=True, timeout=300, **kw)


def test_a_folder_in_the_way_of_the_epub_leaves_the_old_pdf(project):
    dist = project / "dist"
    (dist / NAMES[0]).unlink()
    (dist / NAMES[0]).mkdir()
    before = snapshot(dist)
    done = run("build", ".", cwd=project)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot write dist/the-harbour-treaty.epub: Is a directory" in done.stderr, done.stderr
    assert snapshot(dist) == before


def test_a_rename_failing_half_way_puts_the_first_output_back(project, monkeypatch):
    dist = project / "dist"
    before = snapshot(dist)
    real_replace = os.replace
    failed = []

    def replace(src, dst):
        # The PDF has been placed by now; placing the new EPUB fails (once: the
        # old EPUB must still go back).
        if str(dst).endswith(".epub") and str(src).endswith(".bookmaker-tmp") and not failed:
            failed.append(dst)
            raise PermissionError(errno.EPERM, "Operation not permitted")
        return real_replace(src, dst)

    monkeypatch.setattr(output_module.os, "replace", replace)
    with pytest.raises(BookError) as exc:
        build(project, formats=("pdf", "epub"))
    monkeypatch.undo()
    assert failed, "the EPUB was never placed"
    assert "cannot write" in exc.value.message and "Operation not permitted" in exc.value.message
    assert snapshot(dist) == before


def test_a_full_disk_is_one_clean_error_and_nothing_changes(project, monkeypatch):
    import bookmaker.render.epub

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(bookmaker.render.epub, "write_epub", full)
    dist = project / "dist"
    before = snapshot(dist)
    with pytest.raises(BookError) as exc:
        build(project)
    assert str(exc.value).startswith("cannot write") and "No space left on device" in str(exc.value)
    assert snapshot(dist) == before


def test_an_immutable_old_file_leaves_both_as_they_were(project):
    dist = project / "dist"
    target = dist / NAMES[0]
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable files")
    try:
        before = snapshot(dist)
        done = run("build", ".", cwd=project)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "cannot write dist/the-harbour-treaty.epub" in done.stderr, done.stderr
        assert snapshot(dist) == before
    finally:
        subprocess.run(["chattr", "-i", str(target)])


def test_sigterm_is_handled_like_ctrl_c(project):
    dist = project / "dist"
    before = snapshot(dist)
    proc = subprocess.Popen([*BOOKMAKER, "build", str(project)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(p.name.endswith(".bookmaker-tmp") for p in dist.iterdir()):
        time.sleep(0.01)
    time.sleep(0.3)  # well into rendering
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted; previous outputs are untouched" in err and "Traceback" not in err
    assert snapshot(dist) == before  # every temporary file removed, both outputs as they were


def test_a_second_build_waits_and_does_not_sweep_the_firsts_files(tmp_path):
    first = OutputFolder(tmp_path).__enter__()
    staged = first.stage("book.pdf")
    entered = threading.Event()

    def second():
        with OutputFolder(tmp_path):
            entered.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    assert not entered.is_set(), "the second build must wait for the lock"
    assert staged.exists(), "the first build's temporary file must survive"
    first.__exit__(None, None, None)
    thread.join(10)
    assert entered.is_set()


def test_temporary_files_of_a_killed_build_are_swept_by_the_next(tmp_path):
    (tmp_path / ".book.pdf.abc.bookmaker-tmp").write_text("left by a killed build")
    (tmp_path / ".work.abc.bookmaker-tmp").mkdir()
    with OutputFolder(tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []


def test_concurrent_builds_into_one_folder_both_succeed(built, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(built, project)
    for _ in range(3):
        procs = [subprocess.Popen([*BOOKMAKER, "build", str(project), "--force"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        for p in procs:
            p.stderr.close()
        assert [code for code, _ in results] == [0, 0], results
        assert sorted(snapshot(project / "dist")) == [".bookmaker-cache.json", *NAMES]
