"""Decode fetched HTML bytes: BOM, then the declared charset, then the meta tag, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
# Shift_JIS pages nearly always use Microsoft's extensions (①, ㈱, 髙), so read them as cp932.
_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp",
}
_CANDIDATES = ("utf_8", "cp932", "euc_jp", "iso2022_jp")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = _ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """Return the charset parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", content_type, re.I)
    return match.group(1) if match else None


def decode_html(raw: bytes, declared: str | None = None) -> str:
    """Return the page's text, trusting a declared charset only if the bytes decode cleanly."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf_8"), (codecs.BOM_UTF16_LE, "utf_16"), (codecs.BOM_UTF16_BE, "utf_16")):
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace").lstrip("\ufeff")
    meta = _META_CHARSET.search(raw[:8192])
    tried = []
    for name in (declared, meta.group(1).decode("ascii", errors="replace") if meta else None, "utf_8"):
        codec = _codec(name)
        if codec and codec not in tried:
            tried.append(codec)
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                # A few stray bad bytes in an otherwise right charset: keep the page, mark them.
                text = raw.decode(codec, errors="replace")
                if text.count("\ufffd") <= max(3, len(text) // 1000):
                    return text
    best = from_bytes(raw, cp_isolation=list(_CANDIDATES)).best()
    if best is not None:
        return str(best)
    return raw.decode("cp932", errors="replace")
