"""VOICES (会議録検索システム, gijiroku.com) as a source: one body's year listings → sittings, fetched
politely into the raw store, then parsed offline from it.

How the system is laid out (from the VOICES pages in ../shared/real-pages/ (広島市議会: a committee and a
plenary sitting) and, read on GitHub for URL shapes, parameters, markup and robots.txt only: the 広島市
adapter and fixtures of ZARUJU/local-council-system, public crawlers of 伊東市, 遠賀町 and つくば市, and
a survey of prefectural assemblies' robots.txt):

- Each body has its own installation, on a gijiroku.com host (https://hiroshima.gijiroku.com/voices/,
  https://www13.gijiroku.com/kawasaki_council/, …/gikai/voices/) or on its own host
  (…/kaigiroku/voices/, …/VOICES/). So a body is base_url (the host) plus tenant (the installation's
  path: voices, gikai/voices). Its browse pages are ASP (index.asp, g08v_viewh.asp for plenary
  sessions, g08v_views.asp for committees); they show the data in an iframe from the CGI below.
- The data comes from one CGI, <installation>/cgi/voiweb.exe, by plain GET (no cookie, no POST), in
  Shift_JIS (a few installations EUC-JP); Japanese parameter values are percent-encoded Shift_JIS:
    ACT=100  the listing (会議日程一覧): KTYP=0,1,2,3, SORT=0, FYY/FMM/FDD–TYY/TMM/TDD (the span; a
             year is FYY=TYY=2025 with the rest empty), KGTP (the meeting types, per body: 1 定例会,
             2 臨時会, 3 委員会 on 広島市; TITL narrows by name). "N件の日程がヒットしました。", then a
             row per sitting: session name, then a link to ACT=200 with KGNO (the session), FINO (the
             sitting) and UNID (K_R07120200011: era, year, month, day, number) whose text is the day
             and number (12月02日-01号; 12月02日-目次 for a session's table of contents). A long
             listing goes on with PAGE=N&HIT=<hits>&AHIT=-1.
    ACT=200  the viewer of a sitting (frames); ACT=202 its speaker list;
    ACT=203  a sitting's whole text in one answer: FINO, HATSUGENMODE=1 (every speech), HYOUJIMODE=0,
             STYLE=0; one <A NAME="HUID…"> anchor per speech.
- robots.txt is the vendor's boilerplate: User-agent: *, Disallow: /voices/cgi/, /voices2/cgi/,
  /gikai/cgi/, /gikai/voices/cgi/, /gikai/voices2/cgi/. So the CGI, which serves every listing and
  every text, is disallowed: it is read only with the operator's consent (`permission`). An
  installation under another path (/kaigiroku/) is not covered by the letter of the file; its
  robots.txt is obeyed as written.
- No validators (ETag, Last-Modified) are known for the CGI. So a run fetches the listing of each chosen
  year (conditional headers sent anyway) and fetches a sitting's text only when its FINO is new, when
  its listing row changed (session, label, KGNO, UNID), or when the stored copy is older than
  `recheck_days`.

The raw store keys every request by its URL (the listing pages, and the text of a sitting:
…/cgi/voiweb.exe?ACT=203&FINO=5145&HATSUGENMODE=1&HYOUJIMODE=0&STYLE=0, which is also the meeting's
url). Parsing (parse_stored) reads only the raw store: the text with its row from the stored listings,
so `minutes reindex` re-parses without fetching. The profile's `query` may replace listing parameters
(e.g. query = { KGTP = "1,2" }).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from indexer.crawl.crawler import CrawlReport
from indexer.crawl.fetch import Fetcher
from indexer.crawl.profiles import SiteProfile
from indexer.parse.page import ParseError
from indexer.parse.voices import PARSER_VERSION, Listing, Sitting, meeting_from_page, read_listing
from indexer.store.ingest import IngestReport
from indexer.store.raw_store import RawPage, RawStore
from indexer.store.record_store import RecordStore

log = logging.getLogger(__name__)

CGI = "cgi/voiweb.exe"
MINUTES_KIND = "voices"  # the manifest kind of a sitting's text; listings are "listing"
LISTING = {"ACT": "100", "KTYP": "0,1,2,3", "SORT": "0"}
MEETING_TYPES = "1,2,3"  # KGTP when the profile's query names none
TEXT = {"HATSUGENMODE": "1", "HYOUJIMODE": "0", "STYLE": "0"}
MAX_LISTING_PAGES = 200


class Refused(Exception):
    """robots.txt forbids a path the crawl needs and the profile holds no permission."""


def cgi_url(profile: SiteProfile) -> str:
    """Return the URL of the installation's CGI, which serves every listing and text."""
    return f"{profile.base_url}/{profile.tenant.strip('/')}/{CGI}"


def _query(fields: list[tuple[str, str]]) -> str:
    return urlencode(fields, encoding="cp932", safe=",")


def listing_url(profile: SiteProfile, year: int | None, page: int = 1, hits: int | None = None) -> str:
    """Return the URL of a listing (ACT=100): one year's sittings, or every year's when year is None."""
    fields = dict(LISTING)
    if year is not None:
        fields.update(FYY=str(year), FMM="", FDD="", TYY=str(year), TMM="", TDD="")
    fields["KGTP"] = MEETING_TYPES
    fields.update({str(k): str(v) for k, v in profile.query.items()})
    if page > 1:
        fields.update(PAGE=str(page), HIT=str(hits or 0), AHIT="-1")
    return f"{cgi_url(profile)}?{_query(list(fields.items()))}"


def text_url(profile: SiteProfile, fino: str) -> str:
    """Return the URL of a sitting's whole text (ACT=203): the raw store's key and the meeting's url."""
    return f"{cgi_url(profile)}?{_query([('ACT', '203'), ('FINO', fino), *TEXT.items()])}"


def refusal_message(profile: SiteProfile, url: str) -> str:
    """Say that robots.txt forbids a path, and what the operator can do about it."""
    path = urlsplit(url).path
    return (
        f"site {profile.name}: robots.txt of {profile.base_url} disallows {path}, where VOICES serves its "
        f"listings and minutes; nothing was fetched from it. Ask the operator (the body, e.g. its assembly "
        f"secretariat, or the system's vendor) for consent, then record it in the site's profile as "
        f'permission = "who granted it, when"'
    )


@dataclass
class _Answer:
    """What one request gave: the body (stored, or the stored one on a 304), or None on failure."""

    body: bytes | None
    not_modified: bool = False
    changed: bool = False


@dataclass
class _Walk:
    """One run over an installation: its profile, stores, fetcher and the report being filled."""

    profile: SiteProfile
    raw: RawStore
    fetcher: Fetcher
    report: CrawlReport
    progress: Callable[[str], None] | None
    calls: int = 0

    def allowed(self, url: str) -> None:
        """Raise Refused when robots.txt forbids url and the profile holds no permission."""
        if self.profile.permission or self.fetcher.robots_allows(url):
            return
        self.report.robots_blocked.append(url)
        raise Refused(refusal_message(self.profile, url))

    def budget_left(self) -> bool:
        """Tell whether max_pages leaves room for another request."""
        return self.calls < self.profile.max_pages

    def get(self, url: str, kind: str, link_text: str | None = None) -> _Answer:
        """GET one URL with the manifest's validators; keep a 200 in the raw store."""
        self.allowed(url)
        previous = self.raw.get(url)
        if self.progress:
            self.progress(url)
        self.calls += 1
        result = self.fetcher.fetch(
            url,
            etag=previous.etag if previous else None,
            last_modified=previous.last_modified if previous else None,
        )
        if result.not_modified and previous and previous.sha256:
            self.report.not_modified += 1
            self.raw.mark_status(url, 304)
            return _Answer(self.raw.body(previous), not_modified=True)
        if not result.ok:
            self.report.failed.append((url, result.error or f"{url}: HTTP {result.status}"))
            if previous:
                self.raw.mark_status(url, result.status)
            return _Answer(None)
        self.report.fetched += 1
        _page, changed = self.raw.put(
            url,
            result.body,
            final_url=url if result.final_url == url else result.final_url,
            headers=result.headers,
            site=self.profile.name,
            kind=kind,
            link_text=link_text,
        )
        return _Answer(result.body, changed=changed)


def crawl_tenant(
    profile: SiteProfile, raw: RawStore, fetcher: Fetcher, progress: Callable[[str], None] | None = None
) -> CrawlReport:
    """Walk one installation: the listing of each chosen year (every page of it), and the texts of the
    sittings that are new, changed in the listing, or due for a recheck; every answer is kept."""
    report = CrawlReport()
    walk = _Walk(profile, raw, fetcher, report, progress)
    years: list[int | None] = [*sorted(set(profile.years), reverse=True)] or [None]
    data_path = listing_url(profile, years[0])
    if profile.permission:
        forbidden = not fetcher.robots_allows(data_path)
        log.warning(
            "site %s: crawling %s%s with the permission of %s",
            profile.name,
            cgi_url(profile),
            " (robots.txt disallows it)" if forbidden else "",
            profile.permission,
        )
    try:
        walk.allowed(data_path)  # the data path first: refuse before fetching anything else
        before = _stored_sittings(profile, raw)
        seen: set[str] = set()
        for year in years:
            if not walk.budget_left():
                log.warning("%s: stopped at max_pages=%d requests", profile.name, profile.max_pages)
                break
            _walk_year(walk, year, before, seen)
    except Refused as refusal:
        report.failed.append((cgi_url(profile), str(refusal)))
    report.requests = len(fetcher.requests)
    return report


def _listing(walk: _Walk, url: str) -> Listing | None:
    """Fetch one listing page and read it, or return None (the failure is reported)."""
    body = walk.get(url, "listing").body
    if body is None:
        return None
    try:
        return read_listing(body, url)
    except ParseError as error:
        walk.report.failed.append((url, str(error)))
        return None


def _stored_sittings(profile: SiteProfile, raw: RawStore) -> dict[str, Sitting]:
    """Return the rows of every listing page stored for the profile, by FINO (the latest fetch wins)."""
    prefix = f"{cgi_url(profile)}?ACT=100&"
    pages = [p for p in raw.pages() if p.site == profile.name and p.sha256 is not None and p.url.startswith(prefix)]
    sittings: dict[str, Sitting] = {}
    for page in sorted(pages, key=lambda p: p.fetched_at):
        try:
            sittings.update((s.fino, s) for s in read_listing(raw.body(page), page.url).sittings)
        except (ParseError, OSError) as error:
            log.warning("%s: stored listing unreadable: %s", page.url, error)
    return sittings


def _due(page: RawPage, recheck_days: float) -> bool:
    """Tell whether a stored answer is old enough to be fetched again."""
    try:
        fetched = datetime.fromisoformat(page.fetched_at)
    except ValueError:
        return True
    return (datetime.now(UTC) - fetched).total_seconds() >= recheck_days * 86400


def _walk_year(walk: _Walk, year: int | None, before: dict[str, Sitting], seen: set[str]) -> None:
    """Walk one year's listing (every page of it), and the sittings it lists; before holds the rows of the
    listings stored by earlier runs."""
    page, hits, rows = 1, None, 0
    while page <= MAX_LISTING_PAGES and walk.budget_left():
        url = listing_url(walk.profile, year, page, hits)
        listing = _listing(walk, url)
        if listing is None:
            return
        hits = listing.hits if listing.hits is not None else hits
        rows += len(listing.sittings)
        for sitting in listing.sittings:
            if not walk.budget_left():
                return
            if sitting.is_contents or sitting.fino in seen:
                continue
            seen.add(sitting.fino)
            _walk_sitting(walk, sitting, before.get(sitting.fino))
        if not listing.sittings or hits is None or rows >= hits:
            return
        page += 1


def _walk_sitting(walk: _Walk, sitting: Sitting, listed_before: Sitting | None) -> None:
    url = text_url(walk.profile, sitting.fino)
    stored = walk.raw.get(url)
    known = stored is not None and stored.sha256 is not None
    if known and stored is not None:
        relisted = listed_before is not None and listed_before.fingerprint() != sitting.fingerprint()
        if not relisted and not _due(stored, walk.profile.recheck_days):
            return
    answer = walk.get(url, MINUTES_KIND, link_text=f"{sitting.session} {sitting.label}")
    if answer.body is None or answer.not_modified:
        return
    if not known:
        walk.report.new += 1
    elif answer.changed:
        walk.report.changed += 1
    else:
        walk.report.unchanged += 1


def _context_version(sitting: Sitting | None, body: str = "") -> str:
    """Return the parser version stored beside a parsed text: the parser's, and its listing row's and
    body's, so a renamed session, a changed row or a renamed body re-parses the sitting."""
    row = sitting.fingerprint() if sitting else ""
    context = f"{row}|{sitting.year if sitting else ''}|{body}"
    return f"{PARSER_VERSION}+{hashlib.sha256(context.encode('utf-8')).hexdigest()[:10]}"


def parse_stored(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Parse the installation's stored texts that are new, changed, or read with another parser or
    listing context, into the record store; read nothing but the raw store."""
    report = IngestReport()
    rows = [p for p in raw.pages() if p.site == profile.name and p.sha256 is not None]
    text_prefix = f"{cgi_url(profile)}?ACT=203&"
    sittings = _stored_sittings(profile, raw)
    pending = []
    for page in rows:
        if page.kind != MINUTES_KIND or not page.url.startswith(text_prefix):
            continue
        fino = parse_qs(urlsplit(page.url).query).get("FINO", [""])[0]
        sitting = sittings.get(fino)
        version = _context_version(sitting, profile.body)
        if page.parse_status == "pending" or page.parser_version != version:
            pending.append((page, sitting, version))
    if progress and pending:
        progress(0, len(pending))
    for done, (page, sitting, version) in enumerate(pending, 1):
        _parse_one(profile, raw, records, report, page, sitting, version)
        if progress:
            progress(done, len(pending))
    return report


def _parse_one(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    report: IngestReport,
    page: RawPage,
    sitting: Sitting | None,
    version: str,
) -> None:
    try:
        meeting = meeting_from_page(raw.body(page), url=page.url, sitting=sitting)
    except ParseError as error:
        raw.mark_parsed(page.url, "error", error=error.reason, parser_version=version)
        report.failed.append((page.url, str(error)))
        log.warning("parse failed: %s", error)
        return
    except Exception as error:  # a parser bug must not stop the other sittings
        raw.mark_parsed(page.url, "error", error=f"{type(error).__name__}: {error}", parser_version=version)
        report.failed.append((page.url, f"{page.url}: unexpected {type(error).__name__}: {error}"))
        log.exception("parser crashed on %s", page.url)
        return
    meeting.body = profile.body or None
    changed = records.save(meeting)
    raw.mark_parsed(page.url, meeting.quality.status, meeting_id=meeting.id, parser_version=version)
    if meeting.quality.status != "ok":
        report.suspect.append((page.url, "; ".join(meeting.quality.warnings)))
    report.parsed += 1
    report.meeting_ids.add(meeting.id)
    if changed:
        report.new_or_changed += 1
        report.changed_ids.add(meeting.id)
    else:
        report.unchanged += 1
