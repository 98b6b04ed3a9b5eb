"""Skip the outputs whose inputs have not changed: a cache keyed by content.

Each output file (``dist/NAME.pdf``, ``dist/NAME.epub``) gets a key, the hash
of everything that can change its bytes:

* every file under the project's ``book/``, ``seeds/`` and ``templates/``
  (outline, sources, claims, timeline, template overrides; added and removed
  files count too), and the project stylesheets that format is given;
* every other file the renderer read while making it (what the PDF sandbox
  fetched: ``@import``-ed styles, fonts and images named by ``url()``),
  recorded with the hash of the bytes actually read and checked again each time;
* bookmaker itself: its version and the bytes of every file of the package
  (code, bundled styles, templates, fonts), and the installed versions of the
  libraries it runs on (WeasyPrint, EbookLib, ... and theirs);
* the environment variables a build reads (``SOURCE_DATE_EPOCH``);
* the build options, as a mapping: every parameter of :func:`bookmaker.build`
  except those in :data:`UNKEYED`, so an option added later is keyed unasked.

Modification times play no part.  The manifest, ``.bookmaker-cache.json`` in
the output folder, holds for each output its key, the files read and the hash
of the output itself, so an output edited or deleted by hand is built again.
Project files are hashed before they are loaded: a file saved during a build
makes the next build render again instead of serving what was made from the
older text.  Like Typst's comemo, a hit is proven by the inputs, never assumed.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from . import __version__
from .errors import BookError
from .files import ProjectFiles, Stylesheet

if TYPE_CHECKING:
    from .output import OutputFolder

MANIFEST = ".bookmaker-cache.json"
CACHE_VERSION = 1
# The project folders whose every file is an input.  styles/ is not here: each
# format is keyed by the stylesheets it is given, and whatever those load is
# recorded as it is read.
INPUT_DIRS = ("book", "seeds", "templates")
WATCHED_DIRS = (*INPUT_DIRS, "styles")  # what can change an output (the preview watches these)
ENVIRONMENT = ("SOURCE_DATE_EPOCH",)
# Parameters of build() that cannot change an output's bytes: the project is
# keyed by its contents, the output folder holds the manifest, each format has
# its own entry, --force only decides whether to look, and --strict fails the
# build before the cache is consulted.
UNKEYED = frozenset({"project", "out", "formats", "force", "strict", "jobs"})
PACKAGE_DIR = Path(__file__).resolve().parent
DIST_INFO = re.compile(r"^(.+?)-(\d[^-]*?)\.(?:dist|egg)-info$")
log = logging.getLogger("bookmaker")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str | None:
    """The hash of a file's bytes, or None when it cannot be read (also an input state)."""
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def _tree(root: Path, files: ProjectFiles | None = None) -> dict[str, str | None]:
    """Every file under ``root`` (recursively, symlinks followed), by posix path relative to it.

    With ``files``, a project folder: each file is read through them (regular
    files inside the project only, so a FIFO or a link out gives no digest,
    and the build reports it), and folders linked from outside are not entered.
    """
    found: dict[str, str | None] = {}
    for folder, dirs, names in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__"
                         and (files is None or files.inside(Path(folder, d)) is not None))
        for name in sorted(names):
            path = Path(folder, name)
            found[path.relative_to(root).as_posix()] = (file_digest(path) if files is None
                                                        else project_digest(files, path))
    return found


def project_digest(files: ProjectFiles, path: Path) -> str | None:
    try:
        return digest(files.read_bytes(path))
    except BookError:
        return None


@dataclass(frozen=True)
class Inputs:
    """The project's input files, hashed once per build, before anything reads them."""

    project: Path
    files: Mapping[str, str | None]  # project-relative posix path -> digest

    @classmethod
    def snapshot(cls, project_files: ProjectFiles) -> "Inputs":
        project = project_files.root
        files: dict[str, str | None] = {}
        for name in WATCHED_DIRS:
            if (project / name).is_dir() and project_files.inside(project / name) is not None:
                files.update({f"{name}/{rel}": d
                              for rel, d in _tree(project / name, project_files).items()})
        return cls(project, files)

    def digest_of(self, label: str) -> str | None:
        """The current digest of a recorded file: project-relative, or an absolute path."""
        if label in self.files:
            return self.files[label]
        path = Path(label) if os.path.isabs(label) else self.project / label
        return file_digest(path)

    def label(self, path: Path) -> str | None:
        """How a file the renderer read is recorded; None for bookmaker's own files (keyed anyway)."""
        resolved = Path(os.path.realpath(path))
        for root, prefix in ((PACKAGE_DIR, None), (self.project, "")):
            try:
                rel = resolved.relative_to(os.path.realpath(root)).as_posix()
            except ValueError:
                continue
            return None if prefix is None else rel
        return str(resolved)


@functools.lru_cache(maxsize=1)
def toolchain() -> str:
    """bookmaker's version and files, and the versions of the libraries it runs on."""
    return digest(json.dumps({"version": __version__, "package": _tree(PACKAGE_DIR),
                              "libraries": _libraries("bookmaker")}, sort_keys=True).encode())


def _libraries(root: str) -> dict[str, str | None]:
    """The installed distributions and their versions, as the import path holds them.

    Read from the names of the ``*.dist-info`` folders (``weasyprint-70.0.dist-info``)
    rather than from each distribution's metadata, which costs a no-change
    rebuild 50 ms: every installed library is keyed, those bookmaker runs on
    among them, so upgrading any of them renders again.  ``root`` (bookmaker
    itself) is keyed by its files already.
    """
    seen: dict[str, str | None] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, or a folder that is gone
            continue
        for name in names:
            match = DIST_INFO.match(name)
            if match:
                key = re.sub(r"[-_.]+", "-", match.group(1)).lower()
                seen.setdefault(key, match.group(2))
    return dict(sorted(seen.items()))


def keyed_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options that go into the key: all but :data:`UNKEYED`, as JSON values."""
    return json.loads(json.dumps({k: v for k, v in options.items() if k not in UNKEYED},
                                 default=str, sort_keys=True))


def key(inputs: Inputs, fmt: str, stylesheets: Sequence[Stylesheet], options: Mapping[str, Any]) -> str:
    """The key of one output: what it is made from, except the files found only while rendering."""
    sheets = {}
    for sheet in stylesheets:
        label = inputs.label(Path(sheet.path))
        sheets[label or f"bookmaker:{Path(sheet.path).name}"] = inputs.digest_of(label) if label else None
    payload = {
        "cache": CACHE_VERSION,
        "format": fmt,
        "toolchain": toolchain(),
        "environment": {name: os.environ.get(name) for name in ENVIRONMENT},
        "options": keyed_options(options),
        "files": {k: v for k, v in inputs.files.items() if k.split("/", 1)[0] in INPUT_DIRS},
        "stylesheets": sheets,
    }
    return digest(json.dumps(payload, sort_keys=True).encode())


@dataclass
class Reads:
    """The files a renderer read while making one output, with the hash of what it read."""

    inputs: Inputs
    files: dict[str, str] = field(default_factory=dict)

    def __call__(self, path: Path, data: bytes) -> None:
        label = self.inputs.label(path)
        if label is not None:
            self.files[label] = digest(data)


class BuildCache:
    """The manifest of one output folder: which outputs are up to date, and recording new ones."""

    def __init__(self, out_dir: Path, inputs: Inputs, options: Mapping[str, Any]) -> None:
        self.path = out_dir / MANIFEST
        self.inputs = inputs
        self.options = dict(options)
        self.entries = self._read()

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or damaged: every output is built
            return {}
        if not isinstance(data, dict) or data.get("cache") != CACHE_VERSION:
            return {}
        outputs = data.get("outputs")
        return {k: v for k, v in outputs.items() if isinstance(v, dict)} if isinstance(outputs, dict) else {}

    def fresh(self, fmt: str, target: Path, stylesheets: Sequence[Stylesheet]) -> bool:
        """Whether ``target`` is exactly what building ``fmt`` now would write."""
        entry = self.entries.get(self._entry(target))
        if not entry or entry.get("key") != key(self.inputs, fmt, stylesheets, self.options):
            return False
        reads = entry.get("reads")
        if not isinstance(reads, dict) or any(self.inputs.digest_of(label) != d
                                              for label, d in reads.items()):
            return False
        return file_digest(target) == entry.get("output")

    def reads(self, read: Mapping[str, str] | None = None) -> Reads:
        """A recorder to hand the renderer (called with each file it reads), or,
        given ``read`` (path -> digest, from a worker process), what it recorded."""
        recorder = Reads(self.inputs)
        for path, data_digest in (read or {}).items():
            label = self.inputs.label(Path(path))
            if label is not None:
                recorder.files[label] = data_digest
        return recorder

    def _entry(self, target: Path) -> str:
        """An output's name in the manifest: its path in the output folder."""
        return Path(os.path.relpath(target, self.path.parent)).as_posix()

    def warnings(self, target: Path) -> list[str]:
        """The warnings given while ``target`` was made, for a build that leaves it as it is."""
        warned = self.entries.get(self._entry(target), {}).get("warnings")
        return [w for w in warned if isinstance(w, str)] if isinstance(warned, list) else []

    def record(self, fmt: str, target: Path, written: Path, stylesheets: Sequence[Stylesheet],
               reads: Reads, warnings: Sequence[str] = (),
               kept: Mapping[str, Any] | None = None) -> None:
        """Remember that ``written`` (the file about to become ``target``) was made now,
        giving ``warnings``.

        The bytes are hashed before the rename, so the entry names exactly the
        file this build made; ``kept`` is stored with the entry (JSON values);
        :meth:`stage` writes the manifest with the outputs.
        """
        entry = {"key": key(self.inputs, fmt, stylesheets, self.options),
                 "reads": dict(sorted(reads.files.items())), "output": file_digest(written)}
        if warnings:
            entry["warnings"] = list(warnings)
        entry.update(kept or {})
        self.entries[self._entry(target)] = entry

    def kept(self, target: Path, name: str) -> Any:
        """What was kept with ``target``'s entry under ``name`` (see :meth:`record`),
        or None.  A PDF keeps where its pages begin (the EPUB's page list), an
        EPUB the hash of the page starts it followed."""
        return self.entries.get(self._entry(target), {}).get(name)

    def stage(self, folder: "OutputFolder") -> None:
        """Stage the manifest in ``folder``, to be placed together with the outputs.

        A manifest that cannot be written costs a rebuild next time, never a stale
        file, so it is a warning rather than a failed build.
        """
        body = json.dumps({"cache": CACHE_VERSION, "outputs": self.entries}, indent=1, sort_keys=True)
        tmp = folder.stage(MANIFEST)
        try:
            tmp.write_text(body + "\n", encoding="utf-8")
        except OSError as exc:
            folder.discard(tmp)
            log.warning("%s: cannot write the build cache (%s); the next build renders again",
                        self.path, exc.strerror)
