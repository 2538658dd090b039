"""Build the Whoosh index into a new generation folder and switch to it only when complete.

Layout under the index folder:
    gen-<stamp>/          one complete index, with VERSION.json beside Whoosh's files
    gen-<stamp>.building  a build in progress (removed by the next build if a run crashed)
    CURRENT               the name of the generation readers open (replaced atomically)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from indexer.analysis import ANALYZER_VERSION, japanese_analyzer
from indexer.fsutil import atomic_write_text, fsync_dir
from indexer.records import Meeting

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CURRENT_FILE = "CURRENT"
VERSION_FILE = "VERSION.json"
NO_ROLE = ""  # stored for narrative text, which has no speaker


class IndexUnavailable(RuntimeError):
    """The index is missing, incomplete or built by an incompatible version."""


def make_schema() -> Schema:
    """Return the schema: one document per utterance, carrying its meeting's fields."""
    return Schema(
        doc_id=ID(stored=True, unique=True),
        meeting_id=ID(stored=True),
        seq=NUMERIC(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        text=TEXT(analyzer=japanese_analyzer(), stored=True, phrase=True),
        role=ID(stored=True, sortable=True),
        speaker=ID(stored=True, sortable=True),
        label=STORED(),
        committee=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
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
    yield {**common, "doc_id": f"{meeting.id}:0", "seq": 0, "kind": "meeting", "text": header,
           "role": NO_ROLE, "speaker": "", "label": None, "meeting": details}
    for utterance in meeting.utterances:
        yield {
            **common,
            "doc_id": f"{meeting.id}:{utterance.seq}",
            "seq": utterance.seq,
            "kind": "speech" if utterance.role else "narrative",
            "text": utterance.text,
            "role": utterance.role or NO_ROLE,
            "speaker": utterance.speaker or "",
            "label": utterance.label,
        }


@dataclass
class BuildReport:
    """What one index build produced."""

    generation: str
    meetings: int
    documents: int
    characters: int
    seconds: float


def build_index(meetings: Iterable[Meeting], index_dir: Path, *, keep: int = 3,
                procs: int = 1, limitmb: int = 256) -> BuildReport:
    """Index meetings into a new generation and make it current once it is complete."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(index_dir)
    started = time.monotonic()
    name = "gen-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    building = index_dir / f"{name}.building"
    building.mkdir()
    ix = whoosh_index.create_in(str(building), make_schema())
    writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=procs > 1)
    meeting_count = documents = characters = 0
    try:
        for meeting in meetings:
            meeting_count += 1
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
    version = {
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "meetings": meeting_count,
        "documents": documents,
        "characters": characters,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    atomic_write_text(building / VERSION_FILE, json.dumps(version, ensure_ascii=False, indent=1))
    for path in building.iterdir():
        _fsync_file(path)
    final = index_dir / name
    os.replace(building, final)
    fsync_dir(index_dir)
    atomic_write_text(index_dir / CURRENT_FILE, name + "\n")
    _prune_generations(index_dir, keep=keep)
    return BuildReport(name, meeting_count, documents, characters, time.monotonic() - started)


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
    return whoosh_index.open_dir(str(path)), name
