"""Every file bookmaker reads for a project goes through :class:`ProjectFiles`.

A project is something people pass around, so reading it must be as safe as
opening a PDF.  A file is read only when, with every symlink resolved, it lies
inside the project folder; only regular files are read (a FIFO would block
forever, ``/dev/zero`` never ends); and each file has a size limit.  Files of
bookmaker's own package (built-in templates, styles and fonts) are read
directly, never through here.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import BookError, Location, UsageError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_BYTES_ENV = "BOOKMAKER_MAX_FILE_MB"


def max_bytes_from_env() -> int:
    """The per-file size limit: ``BOOKMAKER_MAX_FILE_MB`` megabytes, or 20 MB."""
    value = os.environ.get(MAX_BYTES_ENV)
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = -1
    if not 0 < megabytes <= 4096:
        raise UsageError(f"{MAX_BYTES_ENV} must be a number of megabytes from 0 to 4096, not '{value}'")
    return int(megabytes * 1024 * 1024)


@dataclass(frozen=True)
class Stylesheet:
    """A stylesheet read once: where it came from (for relative url()s) and its text."""

    path: str
    text: str


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


@dataclass(frozen=True)
class ProjectFiles:
    """Checked access to the files of one project folder."""

    root: Path
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(os.path.realpath(self.root)))

    def inside(self, path: Path) -> Path | None:
        """``path`` with every symlink resolved, if that lies inside the project."""
        real = Path(os.path.realpath(path))
        root = str(self.root)
        return real if os.path.commonpath([root, str(real)]) == root else None

    def refuse_outside(self, path: Path) -> Path:
        real = self.inside(path)
        if real is None:
            raise BookError("refers outside the project", Location(path),
                            "a project may read only its own files: copy the file into the project "
                            "instead of linking to it")
        return real

    def is_file(self, path: Path) -> bool:
        """Whether something (a file, a link, a FIFO...) stands at ``path``."""
        return path.is_symlink() or path.exists()

    def read_bytes(self, path: Path) -> bytes:
        """The bytes of a regular file inside the project, at most ``max_bytes``."""
        real = self.refuse_outside(path)
        try:
            # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
            fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise BookError("file not found", Location(path)) from None
        except OSError as exc:
            raise BookError(f"cannot read file: {exc.strerror}", Location(path)) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise BookError(f"cannot read file: it is {file_kind(info.st_mode)}, not a regular "
                                "file", Location(path), "bookmaker reads only regular files")
            if info.st_size > self.max_bytes:
                raise self._too_large(path)
            with os.fdopen(fd, "rb") as handle:
                fd = -1
                data = handle.read(self.max_bytes + 1)  # the file may grow while we read it
        except OSError as exc:
            raise BookError(f"cannot read file: {exc.strerror}", Location(path)) from None
        finally:
            if fd >= 0:
                os.close(fd)
        if len(data) > self.max_bytes:
            raise self._too_large(path)
        return data

    def read_text(self, path: Path) -> str:
        """A project text file as str; a non-UTF-8 byte is reported with its line."""
        raw = self.read_bytes(path)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line_start = raw.rfind(b"\n", 0, exc.start) + 1
            raise BookError(f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                            Location(path, raw.count(b"\n", 0, exc.start) + 1, exc.start - line_start + 1),
                            "save the file as UTF-8") from None

    def _too_large(self, path: Path) -> BookError:
        return BookError(f"file is larger than the limit of {megabytes(self.max_bytes)}", Location(path),
                         f"set {MAX_BYTES_ENV} to allow larger files")


def file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"
