"""The National Diet Library minutes API (国会会議録検索システム, speech endpoint) as a source."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from indexer.analysis import normalize_text
from indexer.fetch import Fetcher
from indexer.raw_store import RawStore
from indexer.records import Meeting, Utterance, meeting_id_for
from indexer.roles import ROLES, canonical_role, parse_label, split_speech_label
from indexer.sites import SiteProfile

log = logging.getLogger(__name__)

QUERY_KEYS = {"nameOfMeeting", "nameOfHouse", "any", "speaker", "from", "until", "speakerRole",
              "speakerPosition", "speakerGroup", "sessionFrom", "sessionTo", "issueFrom", "issueTo"}


@dataclass
class ApiReport:
    """What paging through the API fetched."""

    pages: int = 0
    records: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def page_url(profile: SiteProfile, start: int) -> str:
    """Return the API URL of the page of results beginning at record start."""
    query = {k: v for k, v in profile.query.items() if k in QUERY_KEYS}
    query.update(startRecord=start, maximumRecords=min(profile.maximum_records, 100), recordPacking="json")
    return f"{profile.api_url}?{urlencode(query)}"


def fetch_speeches(profile: SiteProfile, raw: RawStore, fetcher: Fetcher) -> tuple[list[dict], ApiReport]:
    """Page through the API with startRecord/nextRecordPosition, keeping every page in the raw store."""
    report = ApiReport()
    records: list[dict] = []
    start: int | None = 1
    while start is not None and report.pages < profile.max_pages:
        url = page_url(profile, start)
        result = fetcher.fetch(url)
        if not result.ok:
            report.failed.append((url, result.error or f"{url}: HTTP {result.status}"))
            break
        raw.put(url, result.body, final_url=result.final_url, headers=result.headers,
                site=profile.name, kind="api")
        report.pages += 1
        try:
            payload = json.loads(result.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            report.failed.append((url, f"{url}: not JSON ({error})"))
            break
        if "message" in payload and "speechRecord" not in payload:
            report.failed.append((url, f"{url}: API error: {payload.get('message')}"))
            break
        page = payload.get("speechRecord") or []
        records.extend(page)
        report.records += len(page)
        next_position = payload.get("nextRecordPosition")
        start = int(next_position) if next_position else None
    return records, report


def meetings_from_speeches(records: list[dict]) -> list[Meeting]:
    """Group speech records into meetings by issueID; speechOrder 0 is the header, not a speech."""
    by_issue: dict[str, dict[int, dict]] = defaultdict(dict)
    for record in records:
        by_issue[record["issueID"]][int(record.get("speechOrder", 0))] = record
    meetings = []
    for issue_id, speeches in sorted(by_issue.items()):
        first = speeches[min(speeches)]
        url = first.get("meetingURL") or f"https://kokkai.ndl.go.jp/txt/{issue_id}"
        meeting_id = meeting_id_for(url)
        house, name = first.get("nameOfHouse") or "", first.get("nameOfMeeting") or ""
        utterances = []
        for order in sorted(speeches):
            if order == 0:
                continue
            record = speeches[order]
            text, label = split_speech_label(normalize_text(record.get("speech") or ""))
            parsed = parse_label(label) if label else None
            # The printed label (○山田参考人) names the role in the sitting; speakerPosition may hold
            # an affiliation (…大学教授), so it is used only when the label says nothing.
            printed = record.get("speakerRole") or record.get("speakerPosition")
            if parsed and parsed.role in ROLES:
                role = parsed.role
            else:
                role = (canonical_role(printed) or printed) if printed else (parsed.role if parsed else "発言者")
            speaker = record.get("speaker") or (parsed.name if parsed else None)
            utterances.append(Utterance(meeting_id, len(utterances) + 1, role, speaker, text, label))
        title = normalize_text(f"第{first.get('session', '')}回国会 {house} {name} {first.get('issue', '')}")
        meetings.append(Meeting(
            id=meeting_id, url=url, title=title.strip(), committee=f"{house} {name}".strip(),
            meeting_name=f"{house}{name}", date=date.fromisoformat(first["date"]), utterances=utterances,
        ))
    return meetings
