"""Views over every match or every document: hits per meeting, trends, speakers, the meeting list."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from indexer.search.backends import SearchBackend
from indexer.search.engine import SearchRequest

SPLITS = ("committee", "role", "body")  # what a trend can be split by


@dataclass
class MeetingGroup:
    """One meeting in the grouped view: its header fields and how many utterances matched."""

    meeting_id: str
    title: str
    committee: str
    body: str
    date: str
    url: str
    hits: int
    best_seq: int


def grouped_by_meeting(engine: SearchBackend, request: SearchRequest) -> tuple[int, list[MeetingGroup]]:
    """Return (number of meetings, one page of meetings) for a search, ordered like the request
    (a meeting ranks where its best utterance does)."""
    ranked = engine.ranked_ids(request)
    counts = Counter(mid for mid, _ in ranked)
    best: dict[str, int] = {}
    for mid, seq in ranked:
        best.setdefault(mid, seq)
    page = list(best)[request.offset : request.offset + request.limit]
    headers = engine.meeting_headers(page)
    groups = []
    for mid in page:
        header = headers.get(mid, {})
        groups.append(
            MeetingGroup(
                mid,
                header.get("title", ""),
                header.get("committee", ""),
                header.get("body", ""),
                header.get("date", ""),
                header.get("url", ""),
                counts[mid],
                best[mid],
            )
        )
    return len(best), groups


def trend(
    engine: SearchBackend, request: SearchRequest, period: str = "year", split: str | None = None
) -> dict[str, Counter]:
    """Return {period: Counter({series: hits})} over every match; series is "" unless split by
    "committee", "role" or "body"."""
    field = "month" if period == "month" else "year"
    fields = (field, split) if split in SPLITS else (field,)
    series: dict[str, Counter] = defaultdict(Counter)
    for key, count in engine.counts(request, fields).items():
        when, name = key if isinstance(key, tuple) else (key, "")
        if when:
            series[when][name or ""] += count
    return dict(sorted(series.items()))


def speaker_profile(engine: SearchBackend, name: str, limit: int = 200) -> dict:
    """Return a speaker's utterances by date (newest first) and their counts per committee."""
    docs = engine.speaker_documents(name)
    committees = Counter(d["committee"] for d in docs)
    roles = Counter(d["role"] for d in docs if d.get("role"))
    return {
        "name": name,
        "total": len(docs),
        "committees": dict(committees.most_common()),
        "roles": dict(roles.most_common()),
        "utterances": docs[:limit],
    }


def speakers(engine: SearchBackend, contains: str = "") -> list[tuple[str, int]]:
    """Return (speaker name, utterance count) for every speaker whose name contains the text."""
    return engine.speakers(contains)


def bodies(engine: SearchBackend) -> list[tuple[str, int]]:
    """Return (body, meeting count) for every city, town or assembly in the index, most meetings first
    (meetings filed under no body are counted under "")."""
    return engine.bodies()


def all_meetings(engine: SearchBackend) -> list[dict]:
    """Return every meeting's header document, newest first."""
    return engine.all_meetings()
