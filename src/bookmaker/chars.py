"""Characters no book can hold, and text no reader can see.

Text enters bookmaker as YAML strings (escapes included) and as the bodies of
the sources.  Some characters in it break the outputs far from where they were
written: a lone surrogate cannot be encoded as UTF-8 (the build crashed with
UnicodeEncodeError), XML 1.0 cannot hold U+FFFE or most C0 controls (EPUBCheck
rejects the EPUB as FATAL), and the C1 controls and the noncharacters are
allowed by XML only as discouraged characters that no font draws.  They are
refused where they are written, with the line and column.
"""
from __future__ import annotations

import re
import unicodedata

import yaml

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls;
# surrogates; the noncharacters U+FDD0-U+FDEF and the last two code points of
# every plane.
_NONCHARACTERS = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}"
                         for plane in range(17))
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                       + _NONCHARACTERS + "]")
# The same in two steps, several times faster on megabytes of sources: a class of
# characters below U+10000 alone is matched from a bitmap, the full one is not.
_FORBIDDEN_BMP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
                            "\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# A double-quoted YAML scalar's escapes, as PyYAML's scanner reads them.
_ESCAPE = re.compile(r"\\(?:([xuU])([0-9A-Fa-f]+)|(.))", re.DOTALL)
# Letters that look like nothing: Hangul fillers and the blank Braille pattern.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def first_forbidden(text: str) -> int | None:
    """The index of the first character of ``text`` no book can hold, or None."""
    found = _FORBIDDEN_BMP.search(text)
    if _astral(text) and _ASTRAL.search(text, 0, found.start() if found else len(text)):
        found = FORBIDDEN.search(text)  # a noncharacter of another plane may come first
    return found.start() if found else None


def _astral(text: str) -> bool:
    """Whether ``text`` holds a character beyond U+FFFF: UTF-16 takes two units for
    each, and encoding is many times quicker than searching for one (and knowing
    that a text is ASCII quicker still: Python has kept note)."""
    return not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) > 2 * len(text)


def problem(text: str, index: int) -> tuple[str, str]:
    """The message and hint for the forbidden character at ``text[index]``."""
    ch = text[index]
    code = ord(ch)
    name = f"U+{code:04X}"
    if 0xD800 <= code <= 0xDFFF:
        message = f"character {name} (half of a UTF-16 surrogate pair) is not allowed in text"
        low = text[index + 1:index + 2]
        if code < 0xDC00 and low and 0xDC00 <= ord(low) <= 0xDFFF:
            whole = 0x10000 + ((code - 0xD800) << 10) + (ord(low) - 0xDC00)
            return message, (f"YAML escapes name whole characters: write \\U{whole:08X} "
                             f"(or the character {chr(whole)} itself) for this pair")
        return message, "a surrogate is no character on its own; remove it"
    if unicodedata.category(ch) == "Cc":
        message = f"control character {name} is not allowed in text"
        if 0x80 <= code <= 0x9F:
            meant = bytes([code]).decode("cp1252", errors="ignore")
            if meant:
                return message, (f"remove it; if the text was Windows-1252 read as Latin-1, "
                                 f"it stands for '{meant}'")
        if ch == "\f":
            return message, "a form feed is a page break: replace it with a blank line"
        return message, "remove it: an EPUB cannot hold it and a PDF cannot show it"
    return (f"character {name} (a noncharacter) is not allowed in text",
            "remove it: noncharacters are for a program's own use, never for text")


def scalar_offset(raw: str, double_quoted: bool) -> int | None:
    """Where in ``raw``, the YAML source of one scalar, its first forbidden
    character is written, literally or (in double quotes) as an escape."""
    pos = 0
    while pos < len(raw):
        escape = _ESCAPE.match(raw, pos) if double_quoted and raw[pos] == "\\" else None
        if escape is None:
            if FORBIDDEN.match(raw, pos):
                return pos
            pos += 1
            continue
        kind, digits, other = escape.groups()
        if kind:
            digits = digits[:{"x": 2, "u": 4, "U": 8}[kind]]
            value = chr(int(digits, 16)) if int(digits, 16) < 0x110000 else ""
            end = escape.start(2) + len(digits)
        else:
            value = yaml.scanner.Scanner.ESCAPE_REPLACEMENTS.get(other, "")
            end = escape.end()
        if value and FORBIDDEN.match(value):
            return pos
        pos = end
    return None


def visible(text: str) -> bool:
    """Whether ``text`` holds a character a reader can see: a letter, digit,
    punctuation mark or symbol, not only spaces, joiners and marks."""
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK for ch in text)
