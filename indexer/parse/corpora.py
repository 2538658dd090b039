"""Read the shared JSON corpora (Tokyo Metropolitan Assembly, National Diet) into Meeting records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from indexer.parse.dates import find_times
from indexer.parse.ndl import meetings_from_speeches
from indexer.parse.page import committee_name
from indexer.parse.roles import parse_label, resolve_full_names
from indexer.records import Meeting, Utterance, meeting_id_for
from indexer.text.normalize import normalize_text

TOKYO_ASSEMBLY = "東京都議会"


def load_tokyo(path: Path) -> Iterator[Meeting]:
    """Yield meetings from one NTCIR PoliInfo Tokyo Assembly file (Speaker "null" is the header)."""
    for record in json.loads(Path(path).read_text(encoding="utf-8")):
        title = normalize_text(record.get("ProceedingTitle") or "")
        parts = (record.get("Date") or "").split("/")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            continue  # a few entries are scraped listing pages, not minutes
        year, month, day = (int(x) for x in parts)
        url = record.get("URL") or f"urn:tokyo-assembly:{record['Date']}:{title}"
        meeting_id = meeting_id_for(url)
        utterances: list[Utterance] = []
        header = ""
        for turn in record.get("Proceeding", []):
            text = normalize_text(turn.get("Utterance") or "")
            label = turn.get("Speaker")
            if not label or label == "null":
                header += text + "\n"
                continue
            speaker = parse_label(label)
            utterances.append(
                Utterance(
                    meeting_id,
                    len(utterances) + 1,
                    speaker.role if speaker else label,
                    speaker.name if speaker else None,
                    text,
                    label,
                )
            )
        for utterance, full in zip(utterances, resolve_full_names(header, [u.speaker for u in utterances])):
            utterance.speaker = full
        start, _ = find_times(header.split("開議")[0]) if "開議" in header else (None, None)
        yield Meeting(
            id=meeting_id,
            url=url,
            title=title,
            committee=committee_name(title),
            meeting_name=title,
            date=date(year, month, day),
            start_time=start,
            utterances=utterances,
            body=TOKYO_ASSEMBLY,
        )


def _speech_order(record: dict) -> int:
    info = record.get("meeting_info") or {}
    if "speech_order" in info:
        return int(info["speech_order"])
    return int(record["id"].rsplit("_", 1)[1])


def diet_record_to_api(record: dict) -> dict:
    """Turn one corpus record into the NDL API's speechRecord shape."""
    info = record.get("meeting_info") or {}
    issue_id = record["id"].rsplit("_", 1)[0]
    return {
        "speechID": record["id"],
        "issueID": issue_id,
        "session": record.get("session"),
        "nameOfHouse": record.get("house"),
        "nameOfMeeting": record.get("committee"),
        "issue": info.get("issue") or "",
        "date": record["date"],
        "speechOrder": _speech_order(record),
        "speaker": record.get("speaker"),
        "speakerYomi": None,
        "speakerGroup": record.get("party"),
        "speakerPosition": record.get("position"),
        "speakerRole": None,
        "speech": record.get("text") or "",
        "speechURL": record.get("url"),
        "meetingURL": f"https://kokkai.ndl.go.jp/txt/{issue_id}",
    }


def diet_records(paths: list[Path]) -> list[dict]:
    """Read Diet corpus files into API-shaped speech records, one per speech id (files overlap)."""
    by_id: dict[str, dict] = {}
    for path in paths:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        for record in payload.get("data") or payload.get("speeches") or []:
            by_id[record["id"]] = diet_record_to_api(record)
    return list(by_id.values())


def load_diet(paths: list[Path]) -> Iterator[Meeting]:
    """Yield meetings from Diet corpus files, through the same code as the NDL API adapter."""
    yield from meetings_from_speeches(diet_records(paths))


def load_shared_corpora(root: Path) -> Iterator[Meeting]:
    """Yield every meeting under ../shared/corpora (tokyo-assembly/ and diet/)."""
    root = Path(root)
    seen: set[str] = set()
    for path in sorted((root / "tokyo-assembly").glob("*.json")):
        for meeting in load_tokyo(path):
            if meeting.id not in seen:  # a few meetings appear in two files
                seen.add(meeting.id)
                yield meeting
    yield from load_diet(sorted((root / "diet").glob("*.json")))
