"""The nightly job: crawl → parse → index → switch, one run at a time, every step resumable."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from indexer.crawl import hosted
from indexer.crawl.crawler import CrawlReport, crawl_site, fetcher_for
from indexer.crawl.ndl import fetch_speeches
from indexer.crawl.profiles import SiteProfile
from indexer.index.build import BuildProgress, sync_index
from indexer.index.kept import AnalysisStore
from indexer.parse.hints import NO_HINTS, ParseHints
from indexer.parse.ndl import meetings_from_speeches
from indexer.parse.page import parser_version
from indexer.settings import Settings
from indexer.store.ingest import IngestReport, parse_page
from indexer.store.raw_store import RawStore
from indexer.store.record_store import RecordStore

log = logging.getLogger(__name__)

LOCK_FILE = ".reindex.lock"


class AlreadyRunning(RuntimeError):
    """Another crawl or reindex holds the data directory's lock."""


@contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """Hold the data directory's lock for one run; raise AlreadyRunning at once if it is taken."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / LOCK_FILE
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        handle.close()
        raise AlreadyRunning(f"another crawl or reindex is running on {settings.data_dir} (lock {path})") from error
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@dataclass
class RunSummary:
    """The end-of-run summary printed for people and cron."""

    fetched: int = 0
    not_modified: int = 0
    new: int = 0
    changed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    suspect: list[tuple[str, str]] = field(default_factory=list)  # (url, warnings): parsed, kept, doubtful
    gone: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    robots_blocked: list[str] = field(default_factory=list)
    parsed: int = 0
    meetings_changed: int = 0
    meetings_removed: int = 0
    utterances_indexed: int = 0
    generation: str | None = None
    seconds: float = 0.0

    def add_crawl(self, report: CrawlReport) -> None:
        """Fold one site's crawl report into the summary."""
        self.fetched += report.fetched
        self.not_modified += report.not_modified
        self.new += report.new
        self.changed += report.changed
        self.failed += report.failed
        self.gone += report.gone
        self.refused += report.refused
        self.robots_blocked += report.robots_blocked

    def line(self) -> str:
        """Return the one-line summary."""
        return (
            f"fetched {self.fetched}, not modified {self.not_modified}, new {self.new}, "
            f"changed {self.changed}, failed {len(self.failed)}, suspect {len(self.suspect)}, gone {len(self.gone)}, "
            f"parsed {self.parsed}, meetings re-indexed {self.meetings_changed}, "
            f"utterances indexed {self.utterances_indexed}, {self.seconds:.1f}s"
        )


def _crawl_html(
    profile: SiteProfile, raw: RawStore, records: RecordStore, summary: RunSummary, progress, fetcher_options: dict
) -> None:
    fetcher = fetcher_for(profile, **fetcher_options)
    try:
        report = crawl_site(profile, raw, fetcher, progress)
    finally:
        fetcher.close()
    summary.add_crawl(report)
    if profile.drop_gone:
        for url in report.gone:
            page = raw.get(url)
            if page and page.meeting_id:
                log.info("%s is gone; dropping meeting %s as the profile asks", url, page.meeting_id)
                records.delete(page.meeting_id)


def _crawl_api(
    profile: SiteProfile, raw: RawStore, records: RecordStore, summary: RunSummary, fetcher_options: dict
) -> None:
    fetcher = fetcher_for(profile, **fetcher_options)
    try:
        speeches, report = fetch_speeches(profile, raw, fetcher)
    finally:
        fetcher.close()
    summary.fetched += report.pages
    summary.failed += report.failed
    if report.failed:
        return  # a partial answer must not look like meetings that lost speeches
    for meeting in meetings_from_speeches(speeches):
        meeting.body = profile.body or meeting.body
        existed = records.get(meeting.id) is not None
        if records.save(meeting):
            summary.changed += existed
            summary.new += not existed


def _crawl_hosted(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    summary: RunSummary,
    progress,
    parse_progress,
    fetcher_options: dict,
) -> None:
    fetcher = fetcher_for(profile, **fetcher_options)
    try:
        report = hosted.ADAPTERS[profile.kind].crawl_tenant(profile, raw, fetcher, progress)
    finally:
        fetcher.close()
    summary.add_crawl(report)
    parsed = hosted.ADAPTERS[profile.kind].parse_stored(profile, raw, records, parse_progress)
    summary.parsed += parsed.parsed
    summary.failed += parsed.failed
    summary.suspect += parsed.suspect


def parse_stored(
    raw: RawStore,
    records: RecordStore,
    summary: RunSummary,
    site: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    hints: ParseHints = NO_HINTS,
    body: str | None = None,
) -> None:
    """Parse every stored minutes page that is new, changed, or parsed by an older parser, other hints or
    under another body."""
    report = IngestReport()
    pages = raw.needing_parse(parser_version(hints, body), site)
    if progress and pages:
        progress(0, len(pages))
    for done, page in enumerate(pages, 1):
        parse_page(raw, records, page, report, hints=hints, body=body)
        if progress:
            progress(done, len(pages))
    summary.parsed += report.parsed
    summary.failed += report.failed
    summary.suspect += report.suspect


def crawl(
    settings: Settings,
    profiles: list[SiteProfile],
    *,
    progress: Callable[[str], None] | None = None,
    fetcher_options: dict | None = None,
    parse_progress: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Fetch every site into the raw store and parse what changed into records (progress gets each URL fetched)."""
    started = time.monotonic()
    summary = RunSummary()
    raw = RawStore(settings.raw_dir)
    records = RecordStore(settings.records_dir)
    try:
        for profile in profiles:
            log.info("crawling %s (%s)", profile.name, profile.kind)
            if profile.kind == "ndl":
                _crawl_api(profile, raw, records, summary, fetcher_options or {})
            elif profile.kind in hosted.ADAPTERS:
                _crawl_hosted(profile, raw, records, summary, progress, parse_progress, fetcher_options or {})
            else:
                _crawl_html(profile, raw, records, summary, progress, fetcher_options or {})
                parse_stored(raw, records, summary, profile.name, parse_progress, profile.hints, profile.body or None)
    finally:
        raw.close()
    summary.seconds = time.monotonic() - started
    return summary


def reindex(
    settings: Settings,
    profiles: list[SiteProfile],
    *,
    keep: int = 3,
    progress: Callable[[str], None] | None = None,
    fetcher_options: dict | None = None,
    parse_progress: Callable[[int, int], None] | None = None,
    index_progress: BuildProgress | None = None,
) -> RunSummary:
    """Crawl, parse, bring the index in line with the records, and switch to it."""
    started = time.monotonic()
    summary = crawl(
        settings, profiles, progress=progress, fetcher_options=fetcher_options, parse_progress=parse_progress
    )
    with AnalysisStore(settings.analysis_dir) as analysis:
        built = sync_index(
            RecordStore(settings.records_dir), settings.index_dir, keep=keep, progress=index_progress, analysis=analysis
        )
    summary.generation = built.generation
    if not built.skipped:
        summary.meetings_changed = built.updated
        summary.meetings_removed = built.removed
        summary.utterances_indexed = built.added_utterances
    summary.seconds = time.monotonic() - started
    return summary
