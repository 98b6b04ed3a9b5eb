"""Writing a build's outputs: all of them together, or none.

A build stages each output as a temporary file in the output folder and
:meth:`OutputFolder.commit` renames them into place only when every one was
made.  If a rename fails half-way (the name is taken by a folder, the old file
is immutable), the outputs already replaced are put back, so the folder holds
the previous set exactly as it was.  The folder is locked for the whole build:
a second build into the same folder waits, and only the holder of the lock
sweeps temporary files, which are then known to be left by a killed build.
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
from pathlib import Path

from .errors import BookError, Location, display_path

TMP_SUFFIX = ".bookmaker-tmp"
progress = logging.getLogger("bookmaker.progress")


class OutputFolder:
    """The output folder of one build, locked while the build runs (a context manager)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.staged: list[tuple[Path, Path]] = []  # (temporary file, final name)
        self._lock_fd: int | None = None
        self.workdir: Path | None = None  # scratch space for the renderers

    def __enter__(self) -> "OutputFolder":
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise self._unwritable(exc) from None
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress.info("waiting for another build that is writing to %s", display_path(self.path))
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            self._sweep()
            self.workdir = Path(tempfile.mkdtemp(prefix=".work.", suffix=TMP_SUFFIX, dir=self.path))
        except OSError as exc:
            self.__exit__(None, None, None)
            raise self._unwritable(exc) from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        for tmp, _ in self.staged:
            tmp.unlink(missing_ok=True)
        self.staged.clear()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the lock
            self._lock_fd = None

    def _unwritable(self, exc: OSError) -> BookError:
        return BookError(f"cannot write to the output folder: {exc.strerror}", Location(self.path),
                         "choose another folder with --out")

    def _sweep(self) -> None:
        """Remove what killed builds left: with the lock held, no build is writing these."""
        for stale in self.path.glob(f".*{TMP_SUFFIX}"):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)

    def stage(self, name: str) -> Path:
        """A temporary file for the output ``name``; refused early if the name is taken by a folder.

        ``name`` may lie in a subfolder (``handouts/01-introduction.pdf``); the
        subfolder is made at :meth:`commit`.  Temporary files always lie in the
        output folder itself, where a later build sweeps what a killed one left.
        """
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"an output name lies inside the output folder: {name!r}")
        target = self.path / name
        if target.is_dir() and not target.is_symlink():
            raise cannot_write(target, os.strerror(21))  # EISDIR: "Is a directory"
        for folder in target.parents:
            if folder == self.path:
                break
            if folder.exists() and not folder.is_dir():
                raise cannot_write(folder, os.strerror(20))  # ENOTDIR: "Not a directory"
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=self.path)
        os.close(fd)
        self.staged.append((Path(tmp), target))
        return Path(tmp)

    def discard(self, tmp: Path) -> None:
        """Drop a staged file: it will not be placed."""
        self.staged = [(t, target) for t, target in self.staged if t != tmp]
        tmp.unlink(missing_ok=True)

    def commit(self) -> list[Path]:
        """Rename every staged file into place, all or none."""
        mode = _file_mode()
        moved: list[tuple[Path, Path | None, bool]] = []  # (target, backup of the old file, placed)
        made: list[Path] = []  # subfolders this commit created, removed again if it fails
        target = self.path
        try:
            for index, (tmp, target) in enumerate(self.staged):
                if target.is_dir() and not target.is_symlink():
                    raise IsADirectoryError(21, os.strerror(21))
                made += _make_folders(target.parent, self.path)
                backup = None
                if target.exists() or target.is_symlink():
                    # The lock makes the name ours; the old file waits here until all are placed.
                    backup = self.path / f".{target.name}.old.{os.getpid()}.{index}{TMP_SUFFIX}"
                    os.replace(target, backup)
                moved.append((target, backup, False))
                os.chmod(tmp, mode)  # mkstemp makes 0600; outputs are ordinary files
                os.replace(tmp, target)
                moved[-1] = (target, backup, True)
        except OSError as exc:
            for placed_target, backup, placed in reversed(moved):
                if backup is not None:
                    os.replace(backup, placed_target)
                elif placed:
                    placed_target.unlink(missing_ok=True)
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:
                    pass
            raise cannot_write(target, exc.strerror or str(exc)) from None
        for _, backup, _ in moved:
            if backup is not None:
                backup.unlink(missing_ok=True)
        done = [final for _, final in self.staged]
        self.staged.clear()
        return done


def _make_folders(folder: Path, root: Path) -> list[Path]:
    """Make ``folder`` and any missing parents below ``root``; return those made, outermost first."""
    missing = []
    while folder != root and not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir()
    return list(reversed(missing))


def cannot_write(target: Path, reason: str) -> BookError:
    return BookError(f"cannot write {display_path(target)}: {reason}", None,
                     "the previous outputs were left as they were")


def _file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
