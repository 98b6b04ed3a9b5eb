"""``bookmaker import``: sources from saved pages, addresses, PDFs and text files.

Each SOURCE is read and extracted in memory (:mod:`reading`), given an id and
front matter, and checked as bookmaker will read it.  Only when every SOURCE
of the run succeeded are the files written: ``seeds/ID.md`` and, beside it,
the bytes it came from in ``seeds/originals/`` with their SHA-256.  A refusal
writes nothing.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml

from .errors import BookError, BuildFailed, Errors, Location, UsageError
from .extract import META_KEYS, Extracted
from .fetch import MAX_BYTES, TIMEOUT, is_address
from .files import ProjectFiles
from .outline import slugify
from .reading import read_source
from .scaffold import project_folder
from .sources import DATE, LANGUAGE, SOURCE_ID, URL, load_sources, parse_source

log = logging.getLogger("bookmaker")
NEEDED = ("title", "outlet", "language")  # the source format has no null for these
OPTION = {"title": '--title "..."', "outlet": '--outlet "..."', "language": "--language en"}
WHY_NULL = {"author": "the {kind} names no author: fill it in, or leave it null for no byline",
            "published": "the {kind} gives no date of publication: fill it in",
            "url": "the {kind} gives no address: fill it in, or leave it null if it has none",
            "accessed": "when was this copy made? fill in the date (YYYY-MM-DD)"}


@dataclass(frozen=True)
class Imported:
    """One source written by an import."""

    id: str
    path: Path      # seeds/ID.md
    original: Path  # seeds/originals/ID.<suffix>
    origin: str     # the file or address given
    kind: str
    meta: dict
    paragraphs: int
    words: int
    warnings: tuple[str, ...] = field(default=())


def import_sources(project: Path | str, sources: Sequence[str], source_id: str | None = None,
                   force: bool = False, metadata: dict[str, object] | None = None,
                   timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> list[Imported]:
    """Import every SOURCE into the project, or (on any refusal) none of them.

    ``metadata`` gives values that replace or complete what the documents say
    (keys of :data:`extract.META_KEYS`).
    """
    root = project_folder(project)
    metadata = check_metadata(metadata or {}, len(sources), source_id)
    seeds = root / "seeds"
    errors, planned = Errors(), []
    existing = existing_ids(seeds)
    for origin in sources:
        try:
            found = read_source(origin, timeout, max_bytes)
            planned.append(plan(seeds, origin, found, metadata, source_id, force, existing, planned))
        except BookError as exc:
            errors.items.append(exc if exc.where else BookError(
                exc.message if exc.message.startswith(origin) else f"{origin}: {exc.message}",
                None, exc.hint))
    errors.check()
    return [write(seeds, item) for item in planned]


def check_metadata(metadata: dict[str, object], count: int, source_id: str | None) -> dict:
    given = {k: v for k, v in metadata.items() if v not in (None, "", [], ())}
    unknown = set(given) - set(META_KEYS)
    if unknown:
        raise UsageError(f"unknown metadata {', '.join(sorted(unknown))}")
    single = [k for k in ("title", "url", "published") if k in given] + (["id"] if source_id else [])
    if count > 1 and single:
        raise UsageError(f"--{single[0]} names one source; import the sources one at a time")
    if source_id is not None and not SOURCE_ID.match(source_id):
        raise UsageError(f"--id '{source_id}' may hold only letters, digits, '-' and '_'")
    for key, pattern, form in (("published", DATE, "YYYY, YYYY-MM or YYYY-MM-DD"),
                               ("language", LANGUAGE, "a language tag such as 'en'"),
                               ("url", URL, "an http(s) address")):
        if key in given and not pattern.match(str(given[key])):
            raise UsageError(f"--{key} must be {form}, not '{given[key]}'")
    if isinstance(given.get("author"), str):
        given["author"] = [given["author"]]
    return given


class FrontMatterDumper(yaml.SafeDumper):
    """Keys one per line, as in the sources people write; lists of names on one line."""


FrontMatterDumper.add_representer(list, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=True))


@dataclass
class Planned:
    id: str
    origin: str
    found: Extracted
    text: str        # the whole seeds/ID.md
    front: dict
    replaces: Path | None  # the original of the source it replaces (--force)


@dataclass(frozen=True)
class Taken:
    path: Path               # the file in seeds/ that has the id
    original: str | None     # its original, relative to seeds/


def plan(seeds: Path, origin: str, found: Extracted, metadata: dict, source_id: str | None,
         force: bool, existing: dict[str, Taken], planned: list[Planned]) -> Planned:
    """The file to write for one extracted source, checked as bookmaker will read it."""
    at = None if is_address(origin) else Location(Path(origin))
    meta = {**sane(found), **metadata}
    missing = [k for k in NEEDED if not meta.get(k)]
    if missing:
        raise BookError(f"the {found.kind} does not say its {_either(missing)}; nothing was written",
                        at, f"give {'it' if len(missing) == 1 else 'them'} with "
                        + " ".join(OPTION[k] for k in missing))
    sid = source_id or make_id(str(meta["title"]), origin)
    if sid in {p.id for p in planned}:
        raise BookError(f"two sources of this import would both be '{sid}'", at,
                        "import them one at a time, each with its own --id")
    own = seeds / f"{sid}.md"
    if sid in existing and not (force and existing[sid].path == own):
        raise BookError(f"the project already has a source '{sid}' ({existing[sid].path.name})", at,
                        "choose another id with --id ID" + (", or replace it with --force"
                                                            if existing[sid].path == own else ""))
    kept = f"originals/{sid}{found.suffix}"
    if os.path.lexists(seeds / kept) and not force:
        raise BookError(f"seeds/{kept} already exists, the original of no source", at,
                        "move it away, or replace it with --force")
    front = {"id": sid, "title": meta["title"], "author": meta.get("author"),
             "outlet": meta["outlet"], "published": meta.get("published"), "url": meta.get("url"),
             "language": meta["language"], "accessed": found.accessed,
             "original": kept,
             "sha256": hashlib.sha256(found.original).hexdigest()}
    text = "---\n" + yaml.dump(front, Dumper=FrontMatterDumper, sort_keys=False, allow_unicode=True,
                               width=10**6, default_flow_style=False) + "---\n" + found.text
    errors = Errors()
    if parse_source(text, own, errors) is None or errors:
        raise BuildFailed([BookError(f"bookmaker made a source it cannot read back: {e}")
                           for e in errors.items])  # a bug in bookmaker, not in the document
    old = existing.get(sid)
    return Planned(sid, origin, found, text, front,
                   seeds / old.original if old is not None and old.original else None)


def sane(found: Extracted) -> dict[str, object]:
    """The document's metadata in the source format; a value that cannot be is dropped, with a note."""
    meta = dict(found.meta)
    for key in ("title", "outlet"):
        if isinstance(meta[key], str):
            meta[key] = " ".join(meta[key].split()) or None
    checks = (("published", DATE, "a date"), ("language", LANGUAGE, "a language tag"),
              ("url", URL, "an http(s) address"))
    for key, pattern, what in checks:
        value = meta[key]
        if key == "published" and value is not None:
            value = _date_part(str(value)) or value
        if value is not None and not pattern.match(str(value)):
            found.notes.append(f"the {found.kind} gives '{value}' as its {key}, which is not {what}")
            value = None
        meta[key] = value
    return meta


def make_id(title: str, origin: str) -> str:
    """An id from the title's first words, else from the file or address's last part."""
    for text in (title, re.split(r"[?#]", origin.rstrip("/"))[0].rsplit("/", 1)[-1].rsplit(".", 1)[0]):
        slug = slugify(text)
        if len(slug) > 30:  # an id is typed in every excerpt: a few words are enough
            slug = slug[:31].rsplit("-", 1)[0]
        if slug:
            return slug
    raise BookError(f"{origin}: cannot make an id from the title", None, "give one with --id ID")


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _date_part(value: str) -> str | None:
    """'2024-03-05T18:30:00+00:00' -> '2024-03-05'."""
    match = re.match(r"(\d{4}(-\d{2}(-\d{2})?)?)(?:$|T|\s)", value.strip())
    return match.group(1) if match and DATE.match(match.group(1)) else None


def existing_ids(seeds: Path) -> dict[str, Taken]:
    """Ids taken in seeds/: every file's name, and the id each readable source gives itself."""
    if not seeds.is_dir():
        return {}
    taken = {p.stem: Taken(p, None) for p in seeds.glob("*.md")}
    # Their problems are check's.
    sources = load_sources(seeds, ProjectFiles(seeds.parent), Errors(), read_originals=False)
    taken.update({s.id: Taken(Path(s.path), s.original) for s in sources.values()})
    return taken


def write(seeds: Path, item: Planned) -> Imported:
    """Write the original, then the source (each through a temporary file); warn of the nulls."""
    path, original = seeds / f"{item.id}.md", seeds / item.front["original"]
    try:
        original.parent.mkdir(parents=True, exist_ok=True)
        _atomic(original, item.found.original)
        _atomic(path, item.text.encode("utf-8"))
        if item.replaces is not None and item.replaces.resolve() != original.resolve() \
                and item.replaces.resolve().is_relative_to(seeds.resolve()):
            item.replaces.unlink(missing_ok=True)
    except OSError as exc:
        raise BookError(f"cannot write the source: {exc.strerror}",
                        Location(Path(exc.filename) if exc.filename else path)) from None
    warnings = [f"{Location(path, _line(item.text, key))}: '{key}' is null; "
                + WHY_NULL[key].format(kind=item.found.kind) for key in WHY_NULL if item.front[key] is None]
    warnings += [f"{Location(path, 1)}: {note}" for note in item.found.notes]
    for warning in warnings:
        log.warning("%s", warning)
    words = len(item.found.text.split())
    return Imported(item.id, path, original, item.origin, item.found.kind, item.front,
                    len(item.found.paragraphs), words, tuple(warnings))


def _atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bookmaker-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _line(text: str, key: str) -> int:
    match = re.search(rf"^{key}:", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 1
