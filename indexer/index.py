"""Build the Whoosh index into a new generation folder and switch to it only when complete.

Layout under the index folder:
    gen-<stamp>/          one complete index, with VERSION.json beside Whoosh's files
    gen-<stamp>.building  a build in progress (removed by the next build if a run crashed)
    CURRENT               the name of the generation readers open (replaced atomically)
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import sys
import time
from array import array
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from itertools import accumulate
from typing import Iterable

from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.compound import SubFile
from whoosh.filedb.filestore import FileStorage
from whoosh.system import _INT_SIZE, pack_uint

from indexer.analysis import ANALYZER_VERSION, bigram_analyzer, japanese_analyzer
from indexer.fsutil import atomic_write_text, fsync_dir
from indexer.record_store import RecordStore, record_digest
from indexer.records import Meeting

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
CURRENT_FILE = "CURRENT"
VERSION_FILE = "VERSION.json"
MEETINGS_FILE = "meetings.json"  # {meeting id: digest of the record indexed}
NO_ROLE = ""  # stored for narrative text, which has no speaker


class IndexUnavailable(RuntimeError):
    """The index is missing, incomplete or built by an incompatible version."""


def _subfile_peek(self, size: int = 1) -> bytes:
    """Return up to 4 KB from the current position without moving it."""
    size = min(max(size, 1), 4096, self._length - self._pos)
    if size <= 0:
        return b""
    self._file.seek(self._offset + self._pos)
    return self._file.read(size)


# whoosh3 reads every posting block's header with pickle.load from a SubFile of the segment; with no
# peek() the unpickler reads it a byte or two at a time (about 20 reads per header). With one, it
# reads the header in one go.
SubFile.peek = _subfile_peek


class PackedPositions(formats.Positions):
    """Whoosh's Positions format with the positions packed as 32-bit deltas instead of pickled:
    phrase and exact-substring checks decode them for every candidate, about 2.4 times faster."""

    def encode(self, poslist) -> bytes:
        deltas = array("I", [b - a for a, b in zip([0, *poslist], poslist)])
        if sys.byteorder == "big":
            deltas.byteswap()
        return pack_uint(len(deltas)) + deltas.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        deltas = array("I")
        deltas.frombytes(valuestring[_INT_SIZE:])
        if sys.byteorder == "big":
            deltas.byteswap()
        return list(accumulate(deltas))


def _text_field(analyzer, **options) -> TEXT:
    field = TEXT(analyzer=analyzer, phrase=True, **options)
    field.format = PackedPositions(field_boost=field.format.field_boost)
    return field


def make_schema() -> Schema:
    """Return the schema: one document per utterance, carrying its meeting's fields."""
    return Schema(
        doc_id=ID(stored=True, unique=True),
        meeting_id=ID(stored=True, sortable=True),
        seq=NUMERIC(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        # Term vectors with character spans let highlights skip re-analysing each hit's text.
        text=_text_field(japanese_analyzer(), stored=True, vector=formats.Characters()),
        # The same text as folded character bigrams: exact substrings for compounds and unknown words.
        text_ngram=_text_field(bigram_analyzer(), stored=False),
        role=ID(stored=True, sortable=True),
        speaker=ID(stored=True, sortable=True),
        label=STORED(),
        committee=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        month=ID(stored=True, sortable=True),
        title=STORED(),
        meeting_name=STORED(),
        url=STORED(),
        meeting=STORED(),  # on the header document only: the meeting's other fields
    )


def meeting_documents(meeting: Meeting) -> Iterable[dict]:
    """Yield the index documents of one meeting: its header (seq 0), then each utterance."""
    common = {
        "meeting_id": meeting.id,
        "committee": meeting.committee or "",
        "date": meeting.date.isoformat() if meeting.date else "",
        "year": str(meeting.date.year) if meeting.date else "",
        "month": meeting.date.strftime("%Y-%m") if meeting.date else "",
        "title": meeting.title,
        "meeting_name": meeting.meeting_name,
        "url": meeting.url,
    }
    # The header makes the title, committee and agenda searchable (DX finds the DX推進委員会).
    header = "\n".join(dict.fromkeys(
        part for part in [meeting.title, meeting.meeting_name, meeting.committee, *meeting.agenda,
                          meeting.place] if part))
    details = {
        "place": meeting.place, "department": meeting.department, "agenda": list(meeting.agenda),
        "start_time": meeting.start_time, "end_time": meeting.end_time,
        "utterances": len(meeting.utterances),
    }
    # _boost: a header repeats the committee's name, so it would outrank what was said about it.
    yield {**common, "_boost": 0.5, "doc_id": f"{meeting.id}:0", "seq": 0, "kind": "meeting", "text": header,
           "text_ngram": header, "role": NO_ROLE, "speaker": "", "label": None, "meeting": details}
    for utterance in meeting.utterances:
        yield {
            **common,
            "doc_id": f"{meeting.id}:{utterance.seq}",
            "seq": utterance.seq,
            "kind": "speech" if utterance.role else "narrative",
            "text": utterance.text,
            "text_ngram": utterance.text,
            "role": utterance.role or NO_ROLE,
            "speaker": utterance.speaker or "",
            "label": utterance.label,
        }


@contextmanager
def _fewer_collections():
    """Run a build with the cyclic garbage collector collecting far less often: Whoosh's writer keeps
    hundreds of thousands of postings alive, and each full collection walked them all (about 9% of a
    build). Nothing a build makes depends on cycles being freed early; the settings return after."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@dataclass
class BuildReport:
    """What one index build or sync produced."""

    generation: str
    meetings: int
    documents: int
    characters: int
    seconds: float
    updated: int = 0  # meetings (re)indexed by a sync
    removed: int = 0
    added_utterances: int = 0  # utterance documents written (headers not counted)
    skipped: bool = False  # a sync that found nothing to do made no new generation


def build_index(meetings: Iterable[Meeting], index_dir: Path, *, keep: int = 3,
                procs: int = 1, limitmb: int = 256) -> BuildReport:
    """Index meetings into a new generation and make it current once it is complete."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(index_dir)
    started = time.monotonic()
    name = _new_generation_name()
    building = index_dir / f"{name}.building"
    building.mkdir()
    ix = whoosh_index.create_in(str(building), make_schema())
    digests: dict[str, str] = {}
    documents = characters = 0
    with _fewer_collections():  # set before the writer forks its processes, so they inherit it
        writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=procs > 1)
        try:
            for meeting in meetings:
                digests[meeting.id] = record_digest(meeting)
                for doc in meeting_documents(meeting):
                    writer.add_document(**doc)
                    documents += 1
                    characters += len(doc["text"])
            writer.commit()
        except BaseException:
            writer.cancel()
            shutil.rmtree(building, ignore_errors=True)
            raise
    ix.close()
    _publish(index_dir, building, name, digests, documents, characters, keep)
    return BuildReport(name, len(digests), documents, characters, time.monotonic() - started,
                       updated=len(digests), added_utterances=documents - len(digests))


def _publish(index_dir: Path, building: Path, name: str, digests: dict[str, str], documents: int,
             characters: int, keep: int) -> None:
    """Seal a finished build (version, digests, fsync), rename it, and point CURRENT at it."""
    version = {
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "meetings": len(digests),
        "documents": documents,
        "characters": characters,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    atomic_write_text(building / MEETINGS_FILE, json.dumps(digests, indent=0, sort_keys=True))
    atomic_write_text(building / VERSION_FILE, json.dumps(version, ensure_ascii=False, indent=1))
    for path in building.iterdir():
        _fsync_file(path)
    os.replace(building, index_dir / name)
    fsync_dir(index_dir)
    atomic_write_text(index_dir / CURRENT_FILE, name + "\n")
    _prune_generations(index_dir, keep=keep)


def _new_generation_name() -> str:
    return "gen-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def sync_index(records: RecordStore, index_dir: Path, *, keep: int = 3, procs: int = 1) -> BuildReport:
    """Bring the index in line with the record store, re-indexing only meetings whose record changed.

    The current generation is copied, changed and removed meetings are replaced in the copy, and
    the copy becomes current. With no usable current generation this is a full build. Whatever an
    earlier run left half-done, the index converges to the records.
    """
    index_dir = Path(index_dir)
    started = time.monotonic()
    current = current_generation(index_dir)
    try:
        if current is None:
            raise IndexUnavailable("no current generation")
        open_generation(index_dir, current)[0].close()  # a damaged current means a full build
        indexed = json.loads((index_dir / current / MEETINGS_FILE).read_text(encoding="utf-8"))
        version = read_version(index_dir / current)
    except (IndexUnavailable, FileNotFoundError, ValueError, OSError) as error:
        log.info("full index build: %s", error)
        return build_index(records, index_dir, keep=keep, procs=procs)
    wanted = records.digests()
    changed = sorted(mid for mid, digest in wanted.items() if indexed.get(mid) != digest)
    removed = sorted(mid for mid in indexed if mid not in wanted)
    if not changed and not removed:
        return BuildReport(current, len(indexed), version["documents"], version["characters"],
                           time.monotonic() - started, skipped=True)
    _remove_stale_builds(index_dir)
    name = _new_generation_name()
    building = index_dir / f"{name}.building"
    shutil.copytree(index_dir / current, building)
    with _fewer_collections():
        try:
            ix = whoosh_index.open_dir(str(building))
            writer = ix.writer(limitmb=256)
            documents, characters = version["documents"], version["characters"]
            added = 0
            with ix.searcher() as searcher:
                for mid in changed + removed:
                    for doc in searcher.documents(meeting_id=mid):
                        documents -= 1
                        characters -= len(doc.get("text", ""))
            for mid in changed + removed:
                writer.delete_by_term("meeting_id", mid)
                indexed.pop(mid, None)
            for mid in changed:
                meeting = records.get(mid)
                if meeting is None:
                    continue
                indexed[mid] = record_digest(meeting)
                for doc in meeting_documents(meeting):
                    writer.add_document(**doc)
                    documents += 1
                    characters += len(doc["text"])
                    added += doc["seq"] > 0
            writer.commit()
            ix.close()
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    _publish(index_dir, building, name, indexed, documents, characters, keep)
    return BuildReport(name, len(indexed), documents, characters, time.monotonic() - started,
                       updated=len(changed), removed=len(removed), added_utterances=added)


def _fsync_file(path: Path) -> None:
    if path.is_file():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _remove_stale_builds(index_dir: Path) -> None:
    for stale in index_dir.glob("gen-*.building"):
        log.warning("removing an unfinished index build left by an interrupted run: %s", stale.name)
        shutil.rmtree(stale, ignore_errors=True)


def generations(index_dir: Path) -> list[str]:
    """Return complete generation names, oldest first."""
    return sorted(p.name for p in Path(index_dir).glob("gen-*")
                  if p.is_dir() and not p.name.endswith(".building") and (p / VERSION_FILE).exists())


def _prune_generations(index_dir: Path, keep: int) -> None:
    current = current_generation(index_dir)
    complete = generations(index_dir)
    for name in complete[:-keep] if keep > 0 else []:
        if name != current:
            shutil.rmtree(index_dir / name, ignore_errors=True)


def current_generation(index_dir: Path) -> str | None:
    """Return the name in CURRENT, or None if no index has been built."""
    try:
        return (Path(index_dir) / CURRENT_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def read_version(generation_dir: Path) -> dict:
    """Return a generation's VERSION.json."""
    return json.loads((Path(generation_dir) / VERSION_FILE).read_text(encoding="utf-8"))


def open_generation(index_dir: Path, name: str | None = None):
    """Open a generation (the current one by default), checking it is complete and compatible."""
    index_dir = Path(index_dir)
    name = name or current_generation(index_dir)
    if name is None:
        raise IndexUnavailable(f"no index in {index_dir}: run `minutes index` first")
    path = index_dir / name
    try:
        version = read_version(path)
    except FileNotFoundError as error:
        raise IndexUnavailable(f"index generation {name} is incomplete (no {VERSION_FILE})") from error
    if version.get("schema_version") != SCHEMA_VERSION or version.get("analyzer_version") != ANALYZER_VERSION:
        raise IndexUnavailable(
            f"index generation {name} was built with schema {version.get('schema_version')} / "
            f"analyzer {version.get('analyzer_version')}; this version needs {SCHEMA_VERSION} / "
            f"{ANALYZER_VERSION}: run `minutes index` again"
        )
    try:
        # Without mmap: whoosh3 copies each file it opens out of a mapped segment into memory
        # (BufferFile wraps the view in BytesIO), which made every search copy hundreds of megabytes.
        # Reading from the map without copies was tried too: no faster, and it counts every mapped
        # page of every thread's searcher as resident memory.
        ix = FileStorage(str(path), supports_mmap=False, readonly=True).open_index()
        with ix.searcher() as searcher:
            count = searcher.doc_count()
    except Exception as error:  # whoosh raises many kinds on damaged files
        raise IndexUnavailable(f"index generation {name} is damaged ({type(error).__name__}: {error})") from error
    if count != version.get("documents"):
        ix.close()
        raise IndexUnavailable(f"index generation {name} is damaged: {count} documents, "
                               f"its VERSION.json says {version.get('documents')}")
    return ix, name


def open_best_generation(index_dir: Path):
    """Open the current generation, or if it is missing or damaged the newest older one that opens.

    Returns (index, name, problem) where problem says why the current one was passed over, or None.
    """
    index_dir = Path(index_dir)
    current = current_generation(index_dir)
    try:
        ix, name = open_generation(index_dir, current)
        return ix, name, None
    except IndexUnavailable as error:
        problem = str(error)
    for name in reversed(generations(index_dir)):
        if name == current:
            continue
        try:
            ix, name = open_generation(index_dir, name)
        except IndexUnavailable:
            continue
        log.error("%s; serving the previous generation %s instead", problem, name)
        return ix, name, problem
    raise IndexUnavailable(problem)
