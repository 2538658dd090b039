"""The parsed-record store: one JSON file per meeting, keyed by its stable id."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from indexer.fsutil import atomic_write_text
from indexer.records import Meeting


def record_text(meeting: Meeting) -> str:
    """Return the canonical JSON text a meeting is stored as."""
    return json.dumps(meeting.to_record(), ensure_ascii=False, indent=1, sort_keys=True)


def record_digest(meeting: Meeting) -> str:
    """Return the digest of a meeting's stored form; equal digests mean nothing to re-index."""
    return hashlib.sha256(record_text(meeting).encode("utf-8")).hexdigest()


class RecordStore:
    """Meetings as JSON files under one folder; saving the same id again replaces the meeting."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path_for(self, meeting_id: str) -> Path:
        """Return the file that holds one meeting."""
        return self.folder / f"{meeting_id}.json"

    def save(self, meeting: Meeting) -> bool:
        """Store a meeting; return True if it is new or its content changed."""
        text = record_text(meeting)
        path = self.path_for(meeting.id)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return False
        atomic_write_text(path, text)
        return True

    def get(self, meeting_id: str) -> Meeting | None:
        """Return one meeting, or None."""
        path = self.path_for(meeting_id)
        if not path.exists():
            return None
        return Meeting.from_record(json.loads(path.read_text(encoding="utf-8")))

    def delete(self, meeting_id: str) -> None:
        """Remove one meeting if present."""
        self.path_for(meeting_id).unlink(missing_ok=True)

    def digests(self) -> dict[str, str]:
        """Return {meeting id: digest} for every stored meeting."""
        return (
            {path.stem: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(self.folder.glob("*.json"))}
            if self.folder.exists()
            else {}
        )

    def ids(self) -> list[str]:
        """Return every stored meeting id, sorted."""
        if not self.folder.exists():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def listing(self) -> StoredMeetings:
        """Return the stored meetings as a sequence read one at a time, in the order iteration gives them."""
        return StoredMeetings(self, self.ids())

    def __iter__(self) -> Iterator[Meeting]:
        for meeting_id in self.ids():
            meeting = self.get(meeting_id)
            if meeting is not None:
                yield meeting

    def __len__(self) -> int:
        return len(self.ids())


class StoredMeetings:
    """The meetings of a record store by position, each read from its file when asked for."""

    def __init__(self, store: RecordStore, ids: list[str]):
        self.store = store
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, position: int) -> Meeting:
        meeting = self.store.get(self.ids[position])
        if meeting is None:
            raise LookupError(f"the record of {self.ids[position]} disappeared while it was being read")
        return meeting

    def __iter__(self) -> Iterator[Meeting]:
        return (self[i] for i in range(len(self)))
