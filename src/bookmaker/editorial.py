"""The editorial data: checked claims, slips and the timeline.

``book/claims.yaml`` and ``book/timeline.yaml`` are optional.  Every source id
they name must exist, every verdict must be known, and every ``text`` said to
be in a source must be found there exactly once, like an excerpt.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import Errors, Location, did_you_mean
from .files import ProjectFiles
from .match import clip, closest_passage, find_all
from .model import VERDICTS, Claim, ClaimSite, Editorial, Event, Source
from .sources import DATE
from .yamlsrc import Fields, MarkedList, describe, load_data_file

CLAIM_KEYS = ("id", "claim", "verdict", "explanation", "reference", "made_by", "date")
SLIP_KEYS = ("id", "source", "text", "correction", "reference")
EVENT_KEYS = ("date", "event", "claims", "sources")


def load_editorial(book_dir: Path, files: ProjectFiles, sources: dict[str, Source],
                   errors: Errors) -> Editorial:
    claims_path, timeline_path = book_dir / "claims.yaml", book_dir / "timeline.yaml"
    claims, slips = (load_claims(claims_path, files, sources, errors)
                     if files.is_file(claims_path) else ((), ()))
    known = {c.id for c in claims} | {s.id for s in slips}
    events = (load_timeline(timeline_path, files, sources, known, errors)
              if files.is_file(timeline_path) else ())
    return Editorial(claims, slips, events)


def _load(path: Path, files: ProjectFiles, top_key: str, errors: Errors,
          extra: tuple[str, ...] = ()) -> Fields | None:
    data = load_data_file(path, files, errors, f"the file is empty; expected a '{top_key}' list")
    if data is None:
        return None
    f = Fields(data, path.name, Location(path, 1), errors, (top_key, *extra), (top_key,))
    return f if f.ok else None


def site(f: Fields, sources: dict[str, Source], errors: Errors) -> ClaimSite | None:
    """A place where a source makes a claim; the text must occur there once."""
    source_id, text, loc = f.get("source", str), f.get("text", str), f.where("text")
    if source_id is None or text is None:
        return None
    if source_id not in sources:
        errors.add(f"unknown source id '{source_id}'", f.where("source"),
                   did_you_mean(source_id, sources) or f"sources: {', '.join(sorted(sources))}")
        return None
    count = len(find_all(sources[source_id].text, text))
    if count != 1:
        near = closest_passage(sources[source_id].text, text)
        errors.add(f"'{clip(text)}' " + ("is not in" if count == 0 else f"occurs {count} times in")
                   + f" source '{source_id}'", loc,
                   f"closest passage: \"{near}\"" if count == 0 and near else
                   "quote a longer phrase that occurs only once")
        return None
    return ClaimSite(source_id, text, loc)


def load_claims(path: Path, files: ProjectFiles, sources: dict[str, Source], errors: Errors):
    f = _load(path, files, "claims", errors, ("slips",))
    if f is None:
        return (), ()
    claims: list[Claim] = []
    ids: set[str] = set()
    items = f.get("claims", list, default=MarkedList())
    for i, raw in enumerate(items):
        c = Fields(raw, "a claim", items.where(i), errors, CLAIM_KEYS,
                   ("id", "claim", "verdict", "explanation", "made_by"))
        if not c.ok:
            continue
        cid = unique_id(c, ids, errors)
        verdict = c.get("verdict", str)
        if verdict is not None and verdict not in VERDICTS:
            errors.add(f"unknown verdict '{verdict}'", c.where("verdict"),
                       did_you_mean(verdict, VERDICTS) or f"one of: {', '.join(VERDICTS)}")
        made = c.get("made_by", list, default=MarkedList())
        sites = []
        for j, m in enumerate(made):
            s = Fields(m, "a made_by entry", made.where(j), errors, ("source", "text"), ("source", "text"))
            if s.ok:
                sites.append(site(s, sources, errors))
        claims.append(Claim(cid or "?", c.get("claim", str, default=""), verdict or "unverified",
                            c.get("explanation", str, default=""), c.get("reference", str),
                            tuple(x for x in sites if x), items.where(i)))
    from .model import Slip

    slips: list[Slip] = []
    items = f.get("slips", list, default=MarkedList())
    for i, raw in enumerate(items):
        s = Fields(raw, "a slip", items.where(i), errors, SLIP_KEYS, ("source", "text", "correction"))
        if not s.ok:
            continue
        sid = unique_id(s, ids, errors, default=f"s{i + 1}")
        where = site(s, sources, errors)
        if where:
            slips.append(Slip(sid or f"s{i + 1}", where, s.get("correction", str, default=""),
                              s.get("reference", str), items.where(i)))
    return tuple(claims), tuple(slips)


def unique_id(f: Fields, ids: set[str], errors: Errors, default: str | None = None) -> str | None:
    value = f.get("id", str, default=default)
    if value is None:
        return None
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", value):
        errors.add(f"id '{value}' may hold only letters, digits, '-' and '_'", f.where("id"))
    if value in ids:
        errors.add(f"duplicate id '{value}'", f.where("id"))
    ids.add(value)
    return value


def load_timeline(path: Path, files: ProjectFiles, sources: dict[str, Source], known: set[str],
                  errors: Errors) -> tuple[Event, ...]:
    f = _load(path, files, "events", errors)
    if f is None:
        return ()
    events: list[Event] = []
    items = f.get("events", list, default=MarkedList())
    for i, raw in enumerate(items):
        e = Fields(raw, "an event", items.where(i), errors, EVENT_KEYS, ("date", "event"))
        if not e.ok:
            continue
        date = e.get("date", str, default="")
        if date and not DATE.match(date):
            errors.add(f"'date' must be YYYY, YYYY-MM or YYYY-MM-DD, not '{date}'", e.where("date"))
        refs = {}
        for key, pool in (("claims", known), ("sources", set(sources))):
            value = e.get(key, list, default=[])
            for j, ref in enumerate(value):
                if not isinstance(ref, str):
                    # `claims: [[c1]]` gives a list item; testing it against the set of
                    # ids raised TypeError (unhashable) instead of reporting it.
                    errors.add(f"each of '{key}' must be an id, not {describe(ref)}", value.where(j))
                elif ref not in pool:
                    errors.add(f"unknown {key[:-1]} id '{ref}'", value.where(j), did_you_mean(str(ref), pool))
            refs[key] = tuple(str(v) for v in value)
        events.append(Event(date, e.get("event", str, default=""), refs["claims"], refs["sources"],
                            items.where(i)))
    dates = [ev.date for ev in events]
    if dates != sorted(dates):
        errors.add("timeline events are not in date order", Location(path, 1),
                   "order the events by date, earliest first")
    return tuple(events)
