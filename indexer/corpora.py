"""Read the shared JSON corpora (Tokyo Metropolitan Assembly, National Diet) into Meeting records."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Iterator

from indexer.analysis import normalize_text
from indexer.dates import find_times
from indexer.parser import committee_name
from indexer.records import Meeting, Utterance, meeting_id_for
from indexer.roles import ROLES, canonical_role, parse_label

_LABEL_END = re.compile(r"^[○◯〇]\s*(?P<label>[^\s　。、「」]{1,40}?(?:君[)）]|[)）])?)[\s　]")


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
        utterances, header = [], ""
        for turn in record.get("Proceeding", []):
            text = normalize_text(turn.get("Utterance") or "")
            label = turn.get("Speaker")
            if not label or label == "null":
                header += text + "\n"
                continue
            speaker = parse_label(label)
            utterances.append(Utterance(
                meeting_id, len(utterances) + 1, speaker.role if speaker else label,
                speaker.name if speaker else None, text, label,
            ))
        start, _ = find_times(header.split("開議")[0]) if "開議" in header else (None, None)
        yield Meeting(
            id=meeting_id, url=url, title=title, committee=committee_name(title), meeting_name=title,
            date=date(year, month, day), start_time=start, utterances=utterances,
        )


def _speech_order(record: dict) -> int:
    info = record.get("meeting_info") or {}
    if "speech_order" in info:
        return int(info["speech_order"])
    return int(record["id"].rsplit("_", 1)[1])


def _strip_label(text: str, name: str | None) -> tuple[str, str | None]:
    """Split "○小泉委員長　これより…" into (speech, label); the space after the label may be missing."""
    match = _LABEL_END.match(text)
    if match:
        return text[match.end():].strip(), match["label"]
    if not text.startswith(("○", "◯", "〇")):
        return text, None
    head = text[1:40]
    paren = re.match(r"^[^()（）]{1,20}[(（][^()（）]{1,20}君[)）]", head)
    if paren:
        return text[1 + paren.end():].strip(), paren.group(0)
    # No space: the label ends at the first role word (longest at that place) or at 君.
    ends = []
    found = [(head.find(role), -len(role), role) for role in ROLES if 0 <= head.find(role) <= 25]
    if found:
        at, negative_length, _ = min(found)
        ends.append(at - negative_length)
    kun = re.match(r"^[^()（）、。]{1,12}君", head)
    if kun:
        ends.append(kun.end())
    if ends:
        end = min(ends)
        return text[1 + end:].strip(), head[:end]
    return text, None


def load_diet(paths: list[Path]) -> Iterator[Meeting]:
    """Yield meetings from Diet speeches files, grouping speeches by issue id (files overlap)."""
    by_issue: dict[str, dict[str, dict]] = defaultdict(dict)
    for path in paths:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        for record in payload.get("data") or payload.get("speeches") or []:
            by_issue[record["id"].rsplit("_", 1)[0]][record["id"]] = record
    for issue_id, by_id in by_issue.items():
        speeches = sorted(by_id.values(), key=_speech_order)
        first = speeches[0]
        info = first.get("meeting_info") or {}
        house, committee = first.get("house") or "", first.get("committee") or ""
        number = info.get("issue") or ""
        url = f"https://kokkai.ndl.go.jp/txt/{issue_id}"
        meeting_id = meeting_id_for(url)
        utterances = []
        for record in speeches:
            if _speech_order(record) == 0:
                continue
            text, label = _strip_label(normalize_text(record.get("text") or ""), record.get("speaker"))
            speaker = parse_label(label) if label else None
            position = record.get("position")
            role = (canonical_role(position) or position) if position else None
            role = role or (speaker.role if speaker else None) or "発言者"
            utterances.append(Utterance(meeting_id, len(utterances) + 1, role,
                                        record.get("speaker") or (speaker.name if speaker else None),
                                        text, label))
        title = normalize_text(f"第{first.get('session', '')}回国会 {house} {committee} {number}".strip())
        yield Meeting(
            id=meeting_id, url=url, title=title, committee=f"{house} {committee}".strip(),
            meeting_name=f"{house}{committee}", date=date.fromisoformat(first["date"]),
            utterances=utterances,
        )


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
