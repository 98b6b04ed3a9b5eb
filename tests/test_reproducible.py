"""Two builds of the same project give the same bytes, wherever and whenever they run."""
import hashlib

from helpers import assert_valid_epub, copy_project

from bookmaker import build


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_copy(tmp_path, name, monkeypatch, epoch=None):
    project = copy_project(tmp_path / name / "project")
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    result = build(project)
    return {fmt: sha(path) for fmt, path in result.outputs.items()}, result


def test_two_clean_builds_are_byte_identical(tmp_path, monkeypatch):
    first, result = build_copy(tmp_path, "a", monkeypatch)
    # another folder, another day: file times and the clock must not matter
    import os, time
    for p in (tmp_path / "a").rglob("*"):
        os.utime(p, (time.time() - 86400 * 3, time.time() - 86400 * 3))
    second, _ = build_copy(tmp_path, "b", monkeypatch)
    assert first == second
    assert_valid_epub(result.outputs["epub"])


def test_source_date_epoch_sets_the_dates(tmp_path, monkeypatch):
    plain, _ = build_copy(tmp_path, "a", monkeypatch)
    dated, result = build_copy(tmp_path, "b", monkeypatch, epoch=1700000000)
    assert result.book.date == "2023-11-14"
    assert plain["pdf"] != dated["pdf"] and plain["epub"] != dated["epub"]
    again, _ = build_copy(tmp_path, "c", monkeypatch, epoch=1700000000)
    assert again == dated
    assert_valid_epub(result.outputs["epub"])
