"""Read the source documents in ``seeds/``: front matter, then the text.

The text after the front matter is kept byte for byte; it is never parsed as
Markdown or HTML, so whatever markup it contains is shown as characters.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path, PurePosixPath
from typing import Iterator

from . import chars
from .errors import BookError, Errors, Location
from .files import ProjectFiles
from .match import closest_passage, find_all
from .model import Profile, Source
from .yamlsrc import Fields, LineIndex, MarkedDict, load_yaml

SOURCE_KEYS = ("id", "title", "author", "outlet", "published", "url", "language",
               "translator", "original_language", "accessed", "original", "sha256", "profile")
REQUIRED_KEYS = ("title", "author", "outlet", "published", "url", "language")
PROFILE_KEYS = ("outlet_kind", "author_note", "stance", "stance_evidence", "language_note",
                "text_state", "citations", "errors")
SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
FENCE = re.compile(r"^---[ \t]*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
log = logging.getLogger("bookmaker")


def load_sources(folder: Path, files: ProjectFiles, errors: Errors,
                 read_originals: bool = True) -> dict[str, Source]:
    """Every ``*.md`` in ``folder``, by id; problems go to ``errors``.

    Only the top level is read: ``seeds/originals/`` holds the bytes sources were
    imported from, which are not sources themselves.
    """
    sources: dict[str, Source] = {}
    if not folder.is_dir():
        errors.add("the project has no seeds/ folder of sources", Location(folder))
        return sources
    if files.inside(folder) is None:
        errors.add("refers outside the project", Location(folder),
                   "a project may read only its own files: make seeds/ a folder, not a link")
        return sources
    for path in sorted(folder.glob("*.md")):
        source = load_source(path, files, errors, read_originals)
        if source is None:
            continue
        if source.id in sources:
            errors.add(f"duplicate source id '{source.id}'", Location(path, 1),
                       f"also used by {os.path.basename(sources[source.id].path)}")
            continue
        sources[source.id] = source
    return sources


def load_source(path: Path, files: ProjectFiles, errors: Errors,
                read_original: bool = True) -> Source | None:
    try:
        raw = files.read_bytes(path)
    except BookError as exc:
        errors.items.append(exc)
        return None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.add(f"source is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                   Location(path, line), "save the file as UTF-8")
        return None
    return parse_source(content, path, errors, files if read_original else None)


def parse_source(content: str, path: Path, errors: Errors,
                 files: ProjectFiles | None = None) -> Source | None:
    """A source from its text, as if read from ``path``.

    The original it names is checked through ``files``; without them it is left
    unopened, for a source not yet written (bookmaker import checks what it
    will write this way).
    """
    # Lines end at '\n' only, as bookmaker counts them everywhere else: splitlines()
    # also breaks at '\r', '\f', U+2028 and more, so a file with old Mac line ends
    # got front-matter errors on lines past its end, and a '---' after a form feed
    # closed the front matter in the middle of a line.  Only the lines up to the
    # closing '---' are split off; the body, megabytes perhaps, is one slice.
    lines = _lines(content)
    first = next(lines, None)
    if first is None or not FENCE.match(first[0].rstrip("\r\n")):
        cr_only = re.match(r"---[ \t]*\r(?!\n)", content)
        errors.add("source must start with a front-matter block opened by '---'", Location(path, 1),
                   "save the file with '\\n' line ends, not '\\r' alone" if cr_only else
                   "add '---', the keys title, author, outlet, published, url, language, then '---'")
        return None
    front: list[str] = []
    for close, (line, body_start) in enumerate(lines, 1):
        if FENCE.match(line.rstrip("\r\n")):
            break
        front.append(line)
    else:
        errors.add("front matter is never closed", Location(path, 1),
                   "add a line '---' after the last front-matter key")
        return None
    before = len(errors.items)
    meta = load_front_matter("".join(front), path, errors)
    if meta is None or len(errors.items) > before:
        return None
    body = content[body_start:]
    check_characters(body, path, close + 2, errors)
    evidence_at, original_at = meta.pop("evidence_at"), meta.pop("original_at")
    source = Source(text=body, body_line=close + 2, path=str(path), **meta)
    check_profile(source, evidence_at, errors)
    if files is not None:
        check_original(source, files, original_at, errors)
    return source


def _lines(content: str) -> Iterator[tuple[str, int]]:
    """Each line of ``content`` with its '\\n', and the offset just after it."""
    start = 0
    while start < len(content):
        end = content.find("\n", start) + 1 or len(content)
        yield content[start:end], end
        start = end


def check_characters(body: str, path: Path, body_line: int, errors: Errors) -> None:
    """The body holds no character a book cannot hold (see chars.py).  The source
    is kept, so that its excerpts are still checked in the same run."""
    bad = chars.first_forbidden(body)
    if bad is None:
        return
    message, hint = chars.problem(body, bad)
    more = len(chars.FORBIDDEN.findall(body, bad + 1))
    errors.add(message + (f" (and {more} more in this source)" if more else ""),
               LineIndex(body, path, body_line - 1).at(bad), hint)


def load_front_matter(text: str, path: Path, errors: Errors) -> dict | None:
    try:
        data = load_yaml(text, path, line_offset=1)
    except BookError as exc:
        errors.items.append(exc)
        return None
    f = Fields(data, "front matter", Location(path, 1), errors, SOURCE_KEYS, REQUIRED_KEYS)
    if not f.ok:
        return None
    source_id = f.get("id", str, default=path.stem)
    if source_id is not None and not SOURCE_ID.match(source_id):
        errors.add(f"source id '{source_id}' may hold only letters, digits, '-' and '_'", f.where("id"),
                   "ids name sources in the outline; paths are not allowed")
    published = f.get("published", str, nullable=True)
    if published is not None and not DATE.match(published):
        errors.add(f"'published' must be YYYY, YYYY-MM or YYYY-MM-DD, not '{published}'",
                   f.where("published"))
    accessed = f.get("accessed", str, nullable=True)
    if accessed is not None and not re.match(r"^\d{4}-\d{2}-\d{2}$", accessed):
        errors.add(f"'accessed' must be YYYY-MM-DD, not '{accessed}'", f.where("accessed"))
    url = f.get("url", str, nullable=True)
    if url is not None and not URL.match(url):
        errors.add(f"'url' must be an http(s) address or null, not '{url}'", f.where("url"),
                   "spaces and the characters <>\"{}|\\^` must be percent-encoded")
    for key in ("language", "original_language"):
        lang = f.get(key, str)
        if lang is not None and not LANGUAGE.match(lang):
            errors.add(f"'{key}' must be a language tag such as 'en' or 'ru', not '{lang}'",
                       f.where(key))
    original, sha256 = f.get("original", str), f.get("sha256", str)
    if original is not None and not _inside(original):
        errors.add(f"'original' must be a path inside seeds/, such as 'originals/{source_id}.html', "
                   f"not '{original}'", f.where("original"))
    if sha256 is not None and not SHA256.match(sha256):
        errors.add("'sha256' must be 64 lowercase hexadecimal digits", f.where("sha256"))
    elif sha256 is not None and original is None:
        errors.add("'sha256' is the hash of the original: give 'original' too", f.where("sha256"))
    return {
        "id": source_id, "title": f.get("title", str), "authors": f.names("author", nullable=True) or (),
        "outlet": f.get("outlet", str), "published": published, "url": url,
        "language": f.get("language", str), "translators": f.names("translator", nullable=True) or (),
        "original_language": f.get("original_language", str), "accessed": accessed,
        "original": original, "sha256": sha256,
        "profile": load_profile(f, errors),
        "evidence_at": profile_key(f, "stance_evidence"), "original_at": f.where("original"),
    }


def _inside(original: str) -> bool:
    """A relative path that stays in the seeds folder (symlinks are checked on reading)."""
    path = PurePosixPath(original)
    return bool(original.strip()) and "\\" not in original and not path.is_absolute() \
        and ".." not in path.parts and path.parts[:1] != ("~",)


def check_original(source: Source, files: ProjectFiles, where: Location, errors: Errors) -> None:
    """The bytes a source was imported from are still there and unchanged.

    A missing or changed original is a warning (an error with --strict): the
    text may still be right, but it can no longer be traced to those bytes.
    """
    if source.original is None:
        return
    seeds = Path(source.path).parent
    path = seeds / source.original
    real = files.inside(path)
    if real is None or not real.is_relative_to(os.path.realpath(seeds)):
        errors.add(f"'original' points outside seeds/: {source.original}", where)
        return
    if not files.is_file(path):
        log.warning("%s: the original '%s' is missing", where, source.original)
        return
    try:
        data = files.read_bytes(path)  # regular files only, within the size limit
    except BookError as exc:
        log.warning("%s: the original '%s' cannot be read (%s)", where, source.original, exc.message)
        return
    if source.sha256 is not None and hashlib.sha256(data).hexdigest() != source.sha256:
        log.warning("%s: the original '%s' has changed since it was imported (its SHA-256 is not "
                    "the one in the front matter)", where, source.original)


def profile_key(f: Fields, key: str) -> Location:
    profile = f.map.get("profile")
    # Only a mapping has keys: a MarkedList has a where() too, but takes an index
    # (`profile: []` crashed with TypeError comparing the key to a number).
    return profile.where(key) if isinstance(profile, MarkedDict) else f.where("profile")


def load_profile(f: Fields, errors: Errors) -> Profile | None:
    if "profile" not in f.map:
        return None
    p = Fields(f.map["profile"], "profile", f.where("profile"), errors, PROFILE_KEYS)
    if not p.ok:
        return None
    listed = p.get("errors", list, default=[])
    for i, item in enumerate(listed):
        if not isinstance(item, str):
            errors.add("each of the profile's 'errors' must be a string", listed.where(i))
    return Profile(errors=tuple(str(e) for e in listed),
                   **{k: p.get(k, str) for k in PROFILE_KEYS if k != "errors"})


def check_profile(source: Source, where: Location, errors: Errors) -> None:
    """The stance evidence is a quotation, so it is checked like an excerpt."""
    evidence = source.profile.stance_evidence if source.profile else None
    count = len(find_all(source.text, evidence)) if evidence else 1
    if count != 1:
        near = closest_passage(source.text, evidence) if count == 0 else None
        errors.add("profile's stance_evidence " + ("is not in the text" if count == 0
                   else f"occurs {count} times in the text"), where,
                   f"closest passage: \"{near}\"" if near else
                   "quote a phrase that occurs exactly once in the source")
