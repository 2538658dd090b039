"""Write the records into Xapian shard databases, fed with the project's own analysis.

Each document of `schema.meeting_documents` (a meeting's header, then one per utterance) becomes one
Xapian document whose terms are exactly what the Whoosh index holds, never Xapian's own stemmer or
term generator: the Janome words of `analyze` with their positions under the prefix "W", the folded
character bigrams of `bigrams` (word starts marked "^") with their positions under "G", and a boolean
term per facet value ("XB" body, "XR" role, "XC" committee, "XS" speaker, "XY" year, "XM" month, "XK"
kind, "XI" meeting id, "Q" document id). Values carry what is sorted or counted over every match: both
date orders as one value each, the facet key (body, role, committee, year and month in one value, so one
spy counts every trend split), each facet field alone (a page's facets), the speaker (and the committee) for
the partial-name filters, the doc id (read back as a collapse key), the stored fields, the Janome words with
their character spans (for highlights) and each utterance's topical profile (for ranking). Over a remote
shard a search never fetches a document (a round trip each): it reads those values for the documents it
weighs or shows in one answer per shard; with the shards in its own process it reads them from each
document. The document data stays empty.

Whoosh's header boost of 0.5 is kept by giving every utterance posting a wdf of 2 and a header's a wdf
of 1 (the search side doubles BM25's k1 to match). Documents are sharded by body: a stable hash (crc32)
of the body picks one of N shard databases, written beside the old ones and swapped in when complete.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import shutil
import struct
import sys
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha1
from pathlib import Path
from queue import Full
from typing import Any, Protocol, runtime_checkable

import xapian

from indexer.fsutil import atomic_write_text
from indexer.index.kept import AnalysisStore, kept_words, spooling
from indexer.index.schema import meeting_documents
from indexer.records import Meeting
from indexer.text import topical
from indexer.text.analysis import ANALYZER_VERSION, bigrams

log = logging.getLogger(__name__)

LAYOUT_VERSION = "6"  # bump when prefixes, values or the data's shape change, or topical.profile does
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
SLOT_BODY = 8
SLOT_ROLE = 9
SLOT_YEAR = 10
SLOT_TOPIC = 11  # the doc id, NUL, an utterance's topical profile (procedure or list, length, folded text)
# A page's facets are counted by one spy per field: over a large corpus the facet key has tens of thousands
# of values (every committee in every month of every year) and reading them all back costs more than the spies.
FACET_SLOTS = {"body": SLOT_BODY, "role": SLOT_ROLE, "committee": SLOT_COMMITTEE, "year": SLOT_YEAR}
SEQ_DIGITS = 9
TERM_SEPARATOR = "\x1e"  # between the terms of a words value (control characters never reach the text)
FACET_KEY_FIELDS = ("body", "role", "committee", "year", "month")
FACET_SEPARATOR = "\x1f"

UTTERANCE_WDF = 2  # a header's postings get half of this (Whoosh's _boost 0.5)
MAX_TERM_BYTES = 240  # Xapian refuses terms over 245 bytes
PARALLEL_BATCH = 16  # meetings handed to a writer process at a time


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


def pack_topic(doc_id: str, profile: topical.Profile) -> bytes:
    """Return the value of an utterance's topical profile, read once at build time instead of at every search:
    the doc id, NUL, flags (1 procedural, 2 listed), the length (32 bits) and the compressed folded text."""
    flags = (1 if profile.procedural else 0) | (2 if profile.listed else 0)
    folded = zlib.compress(profile.folded.encode("utf-8"), 1)
    return doc_id.encode("utf-8") + b"\0" + struct.pack("<BI", flags, profile.length) + folded


def unpack_topic(value: bytes) -> tuple[str, topical.Profile]:
    """Return (doc id, profile) of a topic value."""
    doc_id, _, packed = value.partition(b"\0")
    flags, length = struct.unpack_from("<BI", packed)
    folded = zlib.decompress(packed[5:]).decode("utf-8")
    return doc_id.decode("utf-8"), topical.Profile(bool(flags & 1), bool(flags & 2), length, folded)


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
    for slot, name in ((SLOT_SPEAKER, "speaker"), *((slot, name) for name, slot in FACET_SLOTS.items())):
        if doc.get(name):
            xdoc.add_value(slot, str(doc[name]))
    xdoc.add_value(SLOT_FIELDS, pack_fields(doc["doc_id"], stored_fields(doc)))
    if words:
        xdoc.add_value(SLOT_WORDS, pack_words(doc["doc_id"], words))
    if doc.get("kind") != "meeting":
        xdoc.add_value(SLOT_TOPIC, pack_topic(doc["doc_id"], topical.profile(doc["text"], doc.get("role"))))
    return xdoc


def built_shards(xapian_dir: Path) -> int | None:
    """Return how many shards the last complete build wrote under a folder (None when there is none)."""
    manifest = Path(xapian_dir) / SHARDS_FILE
    if not manifest.exists():
        return None
    return int(json.loads(manifest.read_text(encoding="utf-8"))["shards"])


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
    procs: int = 1,
) -> XapianBuildReport:
    """Write every meeting's documents into `shards` databases under xapian_dir (shard-0 …), sharded by body.

    The new databases are written under xapian_dir/.building, compacted, and renamed into place when all
    are complete; shards left over from an earlier build with more shards are removed. With an analysis
    store, Janome's words come from it where kept (and are kept for the next build). With procs > 1 and
    meetings readable by position, that many processes each write a run of the meetings, and compaction joins
    their parts in order, so the shards hold the same documents in the same order as one process writes them.
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
    total = len(meetings) if isinstance(meetings, Sized) else None
    # Parallel parts need the meetings by position (a list, RecordStore.listing()): each part is a run of them.
    procs = max(1, min(procs, total or 1)) if isinstance(meetings, ByPosition) else 1
    with spooling(analysis):
        try:
            if procs == 1:
                parts = _PartWriter(building, shards, 0)
                for _, k, docs in _documents(((0, m) for m in meetings), shards, analysis, report, total, progress):
                    parts.add(k, docs)
                parts.close()
            else:
                assert isinstance(meetings, ByPosition)
                runs = _interleaved(meetings, procs)
                _write_in_parallel(_documents(runs, shards, analysis, report, total, progress), building, shards, procs)
            for k in range(shards):
                # Compacted, a shard takes about half the space (every B-tree block full) and reads fewer blocks;
                # the parts of a parallel build are joined in order here.
                joined = xapian.Database()
                for part in range(procs):
                    joined.add_database(xapian.Database(str(building / f"raw-{k}-{part}")))
                joined.compact(str(building / f"{SHARD_PREFIX}{k}"))
                joined.close()
                for part in range(procs):
                    shutil.rmtree(building / f"raw-{k}-{part}")
        except BaseException:
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


Batch = list[tuple[int, list[tuple[dict, str]]]]  # (shard, [(index document, its text as the writer takes it)])


@runtime_checkable
class ByPosition(Protocol):
    """Meetings that can be read by position (a list, or a record store's listing)."""

    def __len__(self) -> int: ...

    def __getitem__(self, position: int) -> Meeting: ...


def _interleaved(meetings: ByPosition, procs: int) -> Iterator[tuple[int, Meeting]]:
    """Yield (part, meeting): part p holds the p-th run of len/procs meetings, and the runs are read in turn
    (one meeting of each) so that every writer process has work from the start."""
    per_part = -(-len(meetings) // procs)
    for offset in range(per_part):
        for part in range(procs):
            if part * per_part + offset < len(meetings):
                yield part, meetings[part * per_part + offset]


def _documents(
    meetings: Iterable[tuple[int, Meeting]],
    shards: int,
    analysis: AnalysisStore | None,
    report: XapianBuildReport,
    total: int | None,
    progress: Callable[[int, int | None, int], None] | None,
) -> Iterator[tuple[int, int, list[tuple[dict, str]]]]:
    """Yield (part, shard, [(document, text with its kept words)]) per (part, meeting), counting them into report."""
    for done, (part, meeting) in enumerate(meetings, 1):
        body = meeting.body or ""
        k = report.bodies.setdefault(body, shard_of(body, shards))
        docs = [
            (doc, analysis.wrap(doc["text"]) if analysis is not None else doc["text"])
            for doc in meeting_documents(meeting)
        ]
        yield part, k, docs
        report.documents += len(docs)
        report.shards[k] += len(docs)
        report.characters += sum(len(doc["text"]) for doc, _ in docs)
        report.meetings = done
        if progress:
            progress(done, total, report.characters)


class _PartWriter:
    """One process's part of every shard: raw-K-PART under the building folder."""

    def __init__(self, building: Path, shards: int, part: int):
        self.databases = [
            xapian.WritableDatabase(str(building / f"raw-{k}-{part}"), xapian.DB_CREATE) for k in range(shards)
        ]

    def add(self, k: int, docs: list[tuple[dict, str]]) -> None:
        for doc, text in docs:
            self.databases[k].add_document(make_document(doc, kept_words(text)))

    def close(self) -> None:
        for k, db in enumerate(self.databases):
            db.set_metadata("minutes.analyzer_version", ANALYZER_VERSION)
            db.set_metadata("minutes.layout_version", LAYOUT_VERSION)
            db.set_metadata("minutes.shard", f"{k}/{len(self.databases)}")
            db.commit()
            db.close()


def _write_part(building: str, shards: int, part: int, inbox: Any) -> None:
    """Write the batches a queue brings into this part's databases until it brings None (a worker process)."""
    writer = _PartWriter(Path(building), shards, part)
    while (batch := inbox.get()) is not None:
        for k, docs in batch:
            writer.add(k, docs)
    writer.close()


def _write_in_parallel(
    documents: Iterator[tuple[int, int, list[tuple[dict, str]]]], building: Path, shards: int, procs: int
) -> None:
    """Hand each (part, shard, documents) to the writer process of its part, in batches."""
    context = multiprocessing.get_context("spawn")
    queues = [context.Queue(maxsize=4) for _ in range(procs)]
    workers = [
        context.Process(target=_write_part, args=(str(building), shards, part, queues[part]), daemon=True)
        for part in range(procs)
    ]
    for worker in workers:
        worker.start()
    try:
        batches: list[Batch] = [[] for _ in range(procs)]
        for part, k, docs in documents:
            batches[part].append((k, docs))
            if len(batches[part]) >= PARALLEL_BATCH:
                _hand(queues[part], batches[part], workers[part])
                batches[part] = []
        for part in range(procs):
            if batches[part]:
                _hand(queues[part], batches[part], workers[part])
            _hand(queues[part], None, workers[part])
        for worker in workers:
            worker.join()
        failed = [part for part, worker in enumerate(workers) if worker.exitcode != 0]
        if failed:
            raise RuntimeError(f"the Xapian writer process of part {failed[0]} failed (see its error above)")
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()


def _hand(queue: Any, batch: Batch | None, worker: Any) -> None:
    """Put a batch on a worker's queue, failing if the worker has died (its queue would never drain)."""
    while True:
        try:
            queue.put(batch, timeout=1)
            return
        except Full:
            if not worker.is_alive():
                raise RuntimeError("a Xapian writer process died (see its error above)") from None


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
