"""Bring pages into the data directory: keep them raw, parse them, store the records."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.parse.charset import charset_from_content_type
from indexer.parse.hints import NO_HINTS, ParseHints
from indexer.parse.page import NotMinutesError, ParseError, parser_version, time_limit
from indexer.parse.pdf import is_pdf, parse_document
from indexer.records import Meeting
from indexer.settings import Settings
from indexer.store.raw_store import RawPage, RawStore
from indexer.store.record_store import RecordStore

log = logging.getLogger(__name__)

PARSE_SECONDS = 60.0  # per page; a page that takes longer is reported and skipped

HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
PAGE_SUFFIXES = HTML_SUFFIXES | {".pdf"}  # what a folder is searched for; each file is read by its content


@dataclass
class IngestReport:
    """What one ingest or parse pass did."""

    parsed: int = 0
    new_or_changed: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    suspect: list[tuple[str, str]] = field(default_factory=list)  # (url, warnings): kept, but doubtful
    meeting_ids: set[str] = field(default_factory=set)
    changed_ids: set[str] = field(default_factory=set)

    @property
    def meetings(self) -> int:
        """Distinct meetings produced (two pages with one canonical url are one meeting)."""
        return len(self.meeting_ids)


def page_files(paths: list[Path]) -> list[Path]:
    """Expand files and folders into the HTML and PDF files they hold, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in PAGE_SUFFIXES and p.is_file()))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return found


def _parse_stored(raw: RawStore, page: RawPage, hints: ParseHints) -> Meeting:
    """Parse a stored page (HTML or PDF) from its body, as fetched: its final url, declared charset and listing link."""
    return parse_document(
        raw.body(page),
        page.final_url or page.url,
        charset=charset_from_content_type(page.content_type),
        hints=hints,
        link_text=page.link_text,
    )


def parse_into(
    raw: RawStore,
    records: RecordStore,
    report: IngestReport,
    url: str,
    version: str,
    parse: Callable[[], Meeting],
    not_minutes: bool = False,
) -> None:
    """Save the meeting parse() reads from the page stored under url, recording the outcome in the manifest
    (with the parser version) and in report; a parser's failure or crash stops no other page, and with
    not_minutes a NotMinutesError is recorded as such rather than as an error."""
    try:
        meeting = parse()
    except ParseError as error:
        unread = not_minutes and isinstance(error, NotMinutesError)
        raw.mark_parsed(url, "not_minutes" if unread else "error", error=error.reason, parser_version=version)
        report.failed.append((url, str(error)))
        log.warning("not minutes: %s" if unread else "parse failed: %s", error)
        return
    except Exception as error:  # a parser bug must not stop the other pages
        raw.mark_parsed(url, "error", error=f"{type(error).__name__}: {error}", parser_version=version)
        report.failed.append((url, f"{url}: unexpected {type(error).__name__}: {error}"))
        log.exception("parser crashed on %s", url)
        return
    changed = records.save(meeting)
    # "ok" or "suspect": a doubtful parse is kept and searchable, and says so in the manifest.
    raw.mark_parsed(url, meeting.quality.status, meeting_id=meeting.id, parser_version=version)
    if meeting.quality.status != "ok":
        report.suspect.append((url, "; ".join(meeting.quality.warnings)))
    report.parsed += 1
    report.meeting_ids.add(meeting.id)
    if changed:
        report.new_or_changed += 1
        report.changed_ids.add(meeting.id)
    else:
        report.unchanged += 1


def parse_page(
    raw: RawStore,
    records: RecordStore,
    page: RawPage,
    report: IngestReport,
    seconds: float = PARSE_SECONDS,
    hints: ParseHints = NO_HINTS,
    body: str | None = None,
) -> None:
    """Parse one stored page into the record store, recording the outcome in the manifest; hints are
    its site profile's corrections, body the city or assembly its meeting is filed under."""
    version = parser_version(hints, body)

    def parse() -> Meeting:
        with time_limit(seconds, page.url):
            meeting = _parse_stored(raw, page, hints)
            meeting.body = body or None
        return meeting

    parse_into(raw, records, report, page.url, version, parse, not_minutes=True)


def ingest_paths(
    paths: list[Path],
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    body: str | None = None,
) -> IngestReport:
    """Store local HTML and PDF files in the raw store and parse each into the record store, calling progress(done, total)."""
    raw = RawStore(settings.raw_dir)
    records = RecordStore(settings.records_dir)
    report = IngestReport()
    try:
        files = page_files(paths)
        if progress:
            progress(0, len(files))
        for done, path in enumerate(files, 1):
            url = path.resolve().as_uri()
            content = path.read_bytes()
            headers = {"content-type": "application/pdf"} if is_pdf(content) else None
            page, _changed = raw.put(url, content, status=None, headers=headers, site="local")
            parse_page(raw, records, page, report, body=body)
            if progress:
                progress(done, len(files))
    finally:
        raw.close()
    return report


@dataclass
class PageCheck:
    """How one stored page parses now: status (ok, suspect, error, not_minutes), confidence, turns."""

    url: str
    status: str
    confidence: float = 0.0
    turns: int = 0
    utterances: int = 0
    date: str | None = None
    detail: str = ""


def check_site(raw: RawStore, site: str, hints: ParseHints = NO_HINTS) -> list[PageCheck]:
    """Re-parse a site's stored minutes pages with its hints, writing nothing, and say how each one reads."""
    checks = []
    for page in raw.pages():
        if page.site != site or page.kind not in (None, "minutes") or page.sha256 is None:
            continue
        try:
            meeting = _parse_stored(raw, page, hints)
        except NotMinutesError as error:
            checks.append(PageCheck(page.url, "not_minutes", detail=error.reason))
            continue
        except ParseError as error:
            checks.append(PageCheck(page.url, "error", detail=error.reason))
            continue
        turns = sum(1 for u in meeting.utterances if u.role)
        checks.append(
            PageCheck(
                page.url,
                meeting.quality.status,
                meeting.quality.confidence,
                turns,
                len(meeting.utterances),
                meeting.date.isoformat() if meeting.date else None,
                "; ".join(meeting.quality.warnings),
            )
        )
    return checks
