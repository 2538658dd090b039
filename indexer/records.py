"""Plain records passed from the scraper to the indexer: one Meeting with its Utterances."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass
class Utterance:
    """One turn of the record: a speech, or narrative text when role and speaker are None."""

    meeting_id: str
    seq: int
    role: str | None
    speaker: str | None
    text: str
    label: str | None = None  # the speaker label as printed on the page


@dataclass
class ParseQuality:
    """How sure the parser is of a page: "ok" or "suspect", a confidence, the label convention it
    segmented the record by, and warnings a person can act on."""

    status: str = "ok"
    confidence: float = 1.0
    label_pattern: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """Return the `quality` object of `minutes parse --json`."""
        return {
            "status": self.status,
            "confidence": round(self.confidence, 3),
            "label_pattern": self.label_pattern,
            "warnings": list(self.warnings),
        }


@dataclass
class Meeting:
    """One meeting's minutes page, parsed."""

    id: str
    url: str
    title: str
    committee: str | None = None
    meeting_name: str | None = None
    date: date | None = None
    start_time: str | None = None  # "HH:MM"
    end_time: str | None = None
    place: str | None = None
    department: str | None = None
    agenda: list[str] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)
    quality: ParseQuality = field(default_factory=ParseQuality)
    # The city, town or assembly whose minutes these are (長崎市, 東京都議会, 国会): from the site profile,
    # `minutes ingest --body`, or the source; None when nobody said.
    body: str | None = None

    def to_json(self) -> dict:
        """Return the public JSON shape of `minutes parse --json` (a contract: keys are fixed)."""
        return {
            "url": self.url,
            "title": self.title,
            "committee": self.committee,
            "meeting_name": self.meeting_name,
            "date": self.date.isoformat() if self.date else None,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "place": self.place,
            "department": self.department,
            "agenda": list(self.agenda),
            "utterances": [
                {"seq": u.seq, "role": u.role, "speaker": u.speaker, "text": u.text} for u in self.utterances
            ],
            "quality": self.quality.to_json(),
        }

    def to_record(self) -> dict:
        """Return every field as plain JSON data, for the record store."""
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        return data

    @classmethod
    def from_record(cls, data: dict) -> Meeting:
        """Rebuild a Meeting from `to_record` output."""
        data = dict(data)
        data["date"] = date.fromisoformat(data["date"]) if data.get("date") else None
        data["utterances"] = [Utterance(**u) for u in data.get("utterances", [])]
        data["quality"] = ParseQuality(**data["quality"]) if data.get("quality") else ParseQuality()
        return cls(**data)


def meeting_id_for(url: str) -> str:
    """Derive a stable meeting id from the page's canonical url, so permalinks survive reindexing."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:12]
