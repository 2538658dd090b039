"""Build the index into a new generation folder, or bring a copy of the current one in line with
the records, and switch to it only when it is complete."""

from __future__ import annotations

import gc
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.index.generations import (
    MEETINGS_FILE,
    IndexUnavailable,
    current_generation,
    new_generation_name,
    open_generation,
    publish,
    read_version,
    remove_stale_builds,
)
from indexer.index.kept import AnalysisStore, spooling
from indexer.index.schema import make_schema, meeting_documents
from indexer.index.whoosh_compat import writer_codec
from indexer.records import Meeting
from indexer.store.record_store import RecordStore, record_digest

log = logging.getLogger(__name__)

# Called as meetings are handed to the writer: (meetings done, meetings in all or None, characters done).
BuildProgress = Callable[[int, int | None, int], None]


@contextmanager
def _fewer_collections() -> Iterator[None]:
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


def build_index(
    meetings: Iterable[Meeting],
    index_dir: Path,
    *,
    keep: int = 3,
    procs: int = 1,
    limitmb: int = 256,
    blocklimit: int | None = None,
    progress: BuildProgress | None = None,
    analysis: AnalysisStore | None = None,
) -> BuildReport:
    """Index meetings into a new generation and make it current once it is complete.

    With an analysis store, each text's Janome words come from it when it has them, and the words
    computed for the others are kept there for the next build.

    blocklimit caps the postings per block (Whoosh's default 128); tests set it small so that
    block skipping and reads across blocks are exercised on a small index. progress, if given, is
    called after each meeting is handed to the writer (the total is known when meetings has a length).
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(index_dir)
    started = time.monotonic()
    name = new_generation_name()
    building = index_dir / f"{name}.building"
    building.mkdir()
    ix = whoosh_index.create_in(str(building), make_schema())
    digests: dict[str, str] = {}
    documents = characters = 0
    total = len(meetings) if isinstance(meetings, Sized) else None
    # Fewer collections are set before the writer forks its processes, so they inherit them.
    with _fewer_collections(), spooling(analysis):
        writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=procs > 1, codec=writer_codec(blocklimit))
        try:
            if progress:
                progress(0, total, 0)
            for done, meeting in enumerate(meetings, 1):
                digests[meeting.id] = record_digest(meeting)
                for doc in meeting_documents(meeting):
                    writer.add_document(**_with_kept(doc, analysis))
                    documents += 1
                    characters += len(doc["text"])
                if progress:
                    progress(done, total, characters)
            writer.commit()
        except BaseException:
            writer.cancel()
            shutil.rmtree(building, ignore_errors=True)
            raise
    ix.close()
    publish(index_dir, building, name, digests, documents, characters, keep)
    return BuildReport(
        name,
        len(digests),
        documents,
        characters,
        time.monotonic() - started,
        updated=len(digests),
        added_utterances=documents - len(digests),
    )


def _with_kept(doc: dict, analysis: AnalysisStore | None) -> dict:
    """Return a document whose text fields carry their kept words (or a note to keep them); the stored
    text stays a plain str."""
    if analysis is None:
        return doc
    kept = analysis.wrap(doc["text"])
    return {**doc, "text": kept, "text_ngram": kept, "_stored_text": doc["text"]}


def sync_index(
    records: RecordStore,
    index_dir: Path,
    *,
    keep: int = 3,
    procs: int = 1,
    blocklimit: int | None = None,
    progress: BuildProgress | None = None,
    analysis: AnalysisStore | None = None,
) -> BuildReport:
    """Bring the index in line with the record store, re-indexing only meetings whose record changed.

    The current generation is copied, changed and removed meetings are replaced in the copy, and
    the copy becomes current. With no usable current generation this is a full build. Whatever an
    earlier run left half-done, the index converges to the records. progress is called as for
    build_index, counting the changed meetings.
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
        return build_index(
            records, index_dir, keep=keep, procs=procs, blocklimit=blocklimit, progress=progress, analysis=analysis
        )
    wanted = records.digests()
    changed = sorted(mid for mid, digest in wanted.items() if indexed.get(mid) != digest)
    removed = sorted(mid for mid in indexed if mid not in wanted)
    if not changed and not removed:
        return BuildReport(
            current, len(indexed), version["documents"], version["characters"], time.monotonic() - started, skipped=True
        )
    remove_stale_builds(index_dir)
    name = new_generation_name()
    building = index_dir / f"{name}.building"
    shutil.copytree(index_dir / current, building)
    with _fewer_collections(), spooling(analysis):
        try:
            ix = whoosh_index.open_dir(str(building))
            writer = ix.writer(limitmb=256, codec=writer_codec(blocklimit))
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
            added_characters = 0
            if progress:
                progress(0, len(changed), 0)
            for done, mid in enumerate(changed, 1):
                meeting = records.get(mid)
                if meeting is None:
                    continue
                indexed[mid] = record_digest(meeting)
                for doc in meeting_documents(meeting):
                    writer.add_document(**_with_kept(doc, analysis))
                    documents += 1
                    characters += len(doc["text"])
                    added_characters += len(doc["text"])
                    added += doc["seq"] > 0
                if progress:
                    progress(done, len(changed), added_characters)
            writer.commit()
            ix.close()
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    publish(index_dir, building, name, indexed, documents, characters, keep)
    return BuildReport(
        name,
        len(indexed),
        documents,
        characters,
        time.monotonic() - started,
        updated=len(changed),
        removed=len(removed),
        added_utterances=added,
    )
