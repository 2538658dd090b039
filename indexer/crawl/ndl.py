"""The National Diet Library minutes API (国会会議録検索システム, speech endpoint) as a source."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

from indexer.crawl.fetch import Fetcher
from indexer.crawl.profiles import SiteProfile
from indexer.store.raw_store import RawStore

log = logging.getLogger(__name__)

QUERY_KEYS = {
    "nameOfMeeting",
    "nameOfHouse",
    "any",
    "speaker",
    "from",
    "until",
    "speakerRole",
    "speakerPosition",
    "speakerGroup",
    "sessionFrom",
    "sessionTo",
    "issueFrom",
    "issueTo",
}


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
        raw.put(url, result.body, final_url=result.final_url, headers=result.headers, site=profile.name, kind="api")
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
