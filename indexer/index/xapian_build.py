"""Write the records into Xapian shard databases, fed with the project's own analysis.

Each document of `schema.meeting_documents` (a meeting's header, then one per utterance) becomes one
Xapian document whose terms are exactly what the Whoosh index holds, never Xapian's own stemmer or
term generator: the Janome words of `analyze` with their positions under the prefix "W", the folded
character bigrams of `bigrams` (word starts marked "^") with their positions under "G", and a boolean
term per facet value ("XB" body, "XR" role, "XC" committee, "XS" speaker, "XY" year, "XM" month, "XK"
kind, "XI" meeting id, "Q" document id). Values carry what is sorted or counted over every match: both
date orders as one value each, the facet key (body, role, committee, year and month in one value, so one
spy counts every facet and trend split), the speaker and committee (for the partial-name filters), the doc
id (read back as a collapse key), the stored fields and the Janome words with their character spans (for
highlights). A search never fetches a document (over a remote shard, a round trip each): it reads those
values for the documents it shows in one answer per shard, and the document data stays empty.

Whoosh's header boost of 0.5 is kept by giving every utterance posting a wdf of 2 and a header's a wdf
of 1 (the search side doubles BM25's k1 to match). Documents are sharded by body: a stable hash (crc32)
of the body picks one of N shard databases, written beside the old ones and swapped in when complete.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import sys
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha1
from pathlib import Path
from typing import Any

import xapian

from indexer.fsutil import atomic_write_text
from indexer.index.kept import AnalysisStore, kept_words, spooling
from indexer.index.schema import meeting_documents
from indexer.records import Meeting
from indexer.text.analysis import ANALYZER_VERSION, bigrams

log = logging.getLogger(__name__)

LAYOUT_VERSION = "4"  # bump when prefixes, values or the data's shape change
SHARDS_FILE = "SHARDS.json"
SHARD_PREFIX = "shard-"

# Term prefixes by schema field.
PREFIXES = {
    "text": "W",
    "text_ngram": "G",
    "body": "XB",
    "role": "XR",
    "committee": "XC",
    "speaker": "XS",
    "year": "XY",
    "month": "XM",
    "kind": "XK",
    "meeting_id": "XI",
    "doc_id": "Q",
}
BOOLEAN_FIELDS = ("body", "role", "committee", "speaker", "year", "month", "kind", "meeting_id", "doc_id")

# Value slots. Everything a search reads back is a value, so that it comes from a shard server in one answer for
# many documents (a ValueCountMatchSpy over their Q terms) rather than a round trip per document fetched.
SLOT_OLDEST = 0  # date (undated as 9999) then the seq: sorted ascending; the date range filter
SLOT_NEWEST = 1  # date (undated as 0000-00-00) then the seq inverted: sorted descending
SLOT_FACETS = 2  # FACET_KEY_FIELDS joined by FACET_SEPARATOR
SLOT_KEY = 3  # the doc id (meeting id:seq): the collapse key each hit carries, naming its Q term
SLOT_SPEAKER = 4  # for the speaker list and the partial-name filter
SLOT_COMMITTEE = 5  # for the partial committee filter (the NDL API's nameOfMeeting)
SLOT_FIELDS = 6  # the doc id, NUL, the stored fields (zlib-compressed JSON)
SLOT_WORDS = 7  # the doc id, NUL, the Janome words with their spans (zlib-compressed JSON), for highlights
SEQ_DIGITS = 9
TERM_SEPARATOR = "\x1e"  # between the terms of a words value (control characters never reach the text)
FACET_KEY_FIELDS = ("body", "role", "committee", "year", "month")
FACET_SEPARATOR = "\x1f"

UTTERANCE_WDF = 2  # a header's postings get half of this (Whoosh's _boost 0.5)
MAX_TERM_BYTES = 240  # Xapian refuses terms over 245 bytes


def term(prefix: str, text: str) -> str:
    """Return the Xapian term of a field's term: the prefix and the text, a long text cut and hashed."""
    whole = prefix + text
    if len(whole) * 4 <= MAX_TERM_BYTES or len(whole.encode("utf-8")) <= MAX_TERM_BYTES:
        return whole
    digest = sha1(text.encode("utf-8")).hexdigest()[:16]
    cut = whole.encode("utf-8")[: MAX_TERM_BYTES - 17].decode("utf-8", "ignore")
    return f"{cut}#{digest}"


def shard_of(body: str, shards: int) -> int:
    """Return the shard a body's documents go to: a hash that is the same on every machine and run."""
    return zlib.crc32(body.encode("utf-8")) % shards


def facet_key(doc: dict) -> str:
    """Return the value a document is counted by: its facet fields in one string."""
    return FACET_SEPARATOR.join(str(doc.get(name) or "") for name in FACET_KEY_FIELDS)


def pack_fields(doc_id: str, fields: dict) -> bytes:
    """Return the value of a document's stored fields: the doc id, NUL, then zlib-compressed JSON."""
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return doc_id.encode("utf-8") + b"\0" + zlib.compress(body, 3)


def unpack_fields(value: bytes) -> tuple[str, dict]:
    """Return (doc id, stored fields) of a fields value."""
    doc_id, _, body = value.partition(b"\0")
    return doc_id.decode("utf-8"), json.loads(zlib.decompress(body))


def pack_words(doc_id: str, words: Iterable[tuple[str, int, int, int]]) -> bytes:
    """Return the value of a text's Janome words: the doc id, NUL, then compressed (count, positions, starts
    and ends as little-endian 32-bit integers, the terms joined by RS): a long speech decodes in microseconds."""
    words = list(words)
    numbers = array("I", [n for _, position, start, end in words for n in (position, start, end)])
    if sys.byteorder == "big":
        numbers.byteswap()
    terms = TERM_SEPARATOR.join(text for text, *_ in words).encode("utf-8")
    body = struct.pack("<I", len(words)) + numbers.tobytes() + terms
    return doc_id.encode("utf-8") + b"\0" + zlib.compress(body, 3)


def unpack_words(value: bytes) -> tuple[str, tuple[list[str], array]]:
    """Return (doc id, (terms, [position, start, end, …])) of a words value."""
    doc_id, _, packed = value.partition(b"\0")
    body = zlib.decompress(packed)
    (count,) = struct.unpack_from("<I", body)
    numbers = array("I")
    numbers.frombytes(body[4 : 4 + 12 * count])
    if sys.byteorder == "big":
        numbers.byteswap()
    terms = body[4 + 12 * count :].decode("utf-8").split(TERM_SEPARATOR) if count else []
    return doc_id.decode("utf-8"), (terms, numbers)


def stored_fields(doc: dict) -> dict:
    """Return the fields Whoosh stores for an index document (None values and index-only fields left out)."""
    return {k: v for k, v in doc.items() if v is not None and k not in ("text_ngram", "_boost")}


def make_document(doc: dict, words: list[tuple[str, int, int, int]]) -> xapian.Document:
    """Return the Xapian document of one index document, given its text's Janome words."""
    xdoc = xapian.Document()
    wdf = max(1, round(UTTERANCE_WDF * doc.get("_boost", 1.0)))
    for text, position, _start, _end in words:
        xdoc.add_posting(term("W", text), position + 1, wdf)
    starts = {start for _, _, start, _ in words}
    for pair, position, _start, _end in bigrams(doc["text"], starts):
        xdoc.add_posting(term("G", pair), position + 1, wdf)
    for name in BOOLEAN_FIELDS:
        value = doc.get(name)
        if value not in (None, ""):
            xdoc.add_boolean_term(term(PREFIXES[name], str(value)))
    day, seq = doc.get("date") or "", doc["seq"]
    xdoc.add_value(SLOT_NEWEST, f"{day or '0000-00-00'}{10**SEQ_DIGITS - 1 - seq:0{SEQ_DIGITS}d}")
    xdoc.add_value(SLOT_OLDEST, f"{day or '9999'}{seq:0{SEQ_DIGITS}d}")
    xdoc.add_value(SLOT_FACETS, facet_key(doc))
    xdoc.add_value(SLOT_KEY, doc["doc_id"])
    for slot, name in ((SLOT_SPEAKER, "speaker"), (SLOT_COMMITTEE, "committee")):
        if doc.get(name):
            xdoc.add_value(slot, doc[name])
    xdoc.add_value(SLOT_FIELDS, pack_fields(doc["doc_id"], stored_fields(doc)))
    if words:
        xdoc.add_value(SLOT_WORDS, pack_words(doc["doc_id"], words))
    return xdoc


def shard_dirs(xapian_dir: Path) -> list[Path]:
    """Return the shard databases under a folder, in shard order."""
    found = [
        p for p in Path(xapian_dir).glob(SHARD_PREFIX + "*") if p.is_dir() and p.name[len(SHARD_PREFIX) :].isdigit()
    ]
    return sorted(found, key=lambda p: int(p.name[len(SHARD_PREFIX) :]))


@dataclass
class XapianBuildReport:
    """What one Xapian build wrote."""

    meetings: int = 0
    documents: int = 0
    characters: int = 0
    seconds: float = 0.0
    shards: list[int] = field(default_factory=list)  # documents per shard
    bodies: dict[str, int] = field(default_factory=dict)  # body → shard


def build_xapian(
    meetings: Iterable[Meeting],
    xapian_dir: Path,
    *,
    shards: int = 2,
    analysis: AnalysisStore | None = None,
    progress: Callable[[int, int | None, int], None] | None = None,
) -> XapianBuildReport:
    """Write every meeting's documents into `shards` databases under xapian_dir (shard-0 …), sharded by body.

    The new databases are written under xapian_dir/.building, compacted, and renamed into place when all
    are complete; shards left over from an earlier build with more shards are removed. With an analysis
    store, Janome's words come from it where kept (and are kept for the next build).
    """
    if shards < 1:
        raise ValueError("shards must be at least 1")
    xapian_dir = Path(xapian_dir)
    xapian_dir.mkdir(parents=True, exist_ok=True)
    building = xapian_dir / ".building"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    started = time.monotonic()
    report = XapianBuildReport(shards=[0] * shards)
    databases = [xapian.WritableDatabase(str(building / f"raw-{k}"), xapian.DB_CREATE) for k in range(shards)]
    total = len(meetings) if isinstance(meetings, Sized) else None
    with spooling(analysis):
        try:
            for done, meeting in enumerate(meetings, 1):
                body = meeting.body or ""
                k = report.bodies.setdefault(body, shard_of(body, shards))
                for doc in meeting_documents(meeting):
                    databases[k].add_document(make_document(doc, _words(doc["text"], analysis)))
                    report.documents += 1
                    report.shards[k] += 1
                    report.characters += len(doc["text"])
                report.meetings = done
                if progress:
                    progress(done, total, report.characters)
            for k, db in enumerate(databases):
                db.set_metadata("minutes.analyzer_version", ANALYZER_VERSION)
                db.set_metadata("minutes.layout_version", LAYOUT_VERSION)
                db.set_metadata("minutes.shard", f"{k}/{shards}")
                db.commit()
                db.close()
                # Compacted, a shard takes about half the space (every B-tree block full) and reads fewer blocks.
                xapian.Database(str(building / f"raw-{k}")).compact(str(building / f"{SHARD_PREFIX}{k}"))
                shutil.rmtree(building / f"raw-{k}")
        except BaseException:
            for db in databases:
                db.close()
            shutil.rmtree(building, ignore_errors=True)
            raise
    _swap_in(building, xapian_dir, shards)
    report.seconds = time.monotonic() - started
    manifest: dict[str, Any] = {
        "shards": shards,
        "analyzer_version": ANALYZER_VERSION,
        "layout_version": LAYOUT_VERSION,
        "documents": report.shards,
        "bodies": report.bodies,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write_text(xapian_dir / SHARDS_FILE, json.dumps(manifest, ensure_ascii=False, indent=1))
    return report


def _words(text: str, analysis: AnalysisStore | None) -> list[tuple[str, int, int, int]]:
    """Return a text's Janome words (term, position, start, end), from the analysis store when it keeps them."""
    return kept_words(analysis.wrap(text)) if analysis is not None else kept_words(text)


def _swap_in(building: Path, xapian_dir: Path, shards: int) -> None:
    """Rename each new shard into place (the old one removed after), and drop shards beyond the new count."""
    for k in range(shards):
        target = xapian_dir / f"{SHARD_PREFIX}{k}"
        old = xapian_dir / f".old-{SHARD_PREFIX}{k}"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        (building / f"{SHARD_PREFIX}{k}").rename(target)
        shutil.rmtree(old, ignore_errors=True)
    for extra in shard_dirs(xapian_dir)[shards:]:
        shutil.rmtree(extra, ignore_errors=True)
    shutil.rmtree(building, ignore_errors=True)
