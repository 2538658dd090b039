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

import logging
from collections.abc import Callable
from functools import partial
from urllib.parse import parse_qs, urlencode, urlsplit

from indexer.crawl.crawler import CrawlReport
from indexer.crawl.fetch import Fetcher
from indexer.crawl.hosted_common import Walk, context_version, parse_pending
from indexer.crawl.profiles import SiteProfile
from indexer.parse.page import ParseError
from indexer.parse.voices import PARSER_VERSION, Listing, Sitting, meeting_from_page, read_listing
from indexer.records import Meeting
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


class _Walk(Walk):
    """One run over an installation."""

    def served(self, path: str) -> str:
        return "where VOICES serves its listings and minutes"


def crawl_tenant(
    profile: SiteProfile, raw: RawStore, fetcher: Fetcher, progress: Callable[[str], None] | None = None
) -> CrawlReport:
    """Walk one installation: the listing of each chosen year (every page of it), and the texts of the
    sittings that are new, changed in the listing, or due for a recheck; every answer is kept."""
    walk = _Walk(profile, raw, fetcher, CrawlReport(), progress)
    years: list[int | None] = [*sorted(set(profile.years), reverse=True)] or [None]
    return walk.run(cgi_url(profile), [listing_url(profile, years[0])], lambda: _walk_years(walk, years))


def _walk_years(walk: _Walk, years: list[int | None]) -> None:
    before = _stored_sittings(walk.profile, walk.raw)
    seen: set[str] = set()
    for year in years:
        if not walk.budget_left():
            walk.warn_if_spent()
            break
        _walk_year(walk, year, before, seen)


def _listing(walk: _Walk, url: str) -> Listing | None:
    """Fetch one listing page and read it, or return None (the failure is reported)."""
    body = walk.get(url, url, "listing").body
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
    walk.minutes(url, url, MINUTES_KIND, sitting, listed_before, f"{sitting.session} {sitting.label}")


def _context_version(sitting: Sitting | None, body: str = "") -> str:
    """Return the parser version stored beside a parsed text: the parser's, and its listing row's and
    body's, so a renamed session, a changed row or a renamed body re-parses the sitting."""
    row = sitting.fingerprint() if sitting else ""
    context = f"{row}|{sitting.year if sitting else ''}|{body}"
    return context_version(PARSER_VERSION, context)


def parse_stored(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Parse the installation's stored texts that are new, changed, or read with another parser or
    listing context, into the record store; read nothing but the raw store."""
    rows = [p for p in raw.pages() if p.site == profile.name and p.sha256 is not None]
    text_prefix = f"{cgi_url(profile)}?ACT=203&"
    sittings = _stored_sittings(profile, raw)
    stored = []
    for page in rows:
        if page.kind != MINUTES_KIND or not page.url.startswith(text_prefix):
            continue
        fino = parse_qs(urlsplit(page.url).query).get("FINO", [""])[0]
        sitting = sittings.get(fino)
        stored.append((page, _context_version(sitting, profile.body), partial(_read, profile, raw, page, sitting)))
    return parse_pending(raw, records, stored, progress)


def _read(profile: SiteProfile, raw: RawStore, page: RawPage, sitting: Sitting | None) -> Meeting:
    """Read a stored text as the meeting of its sitting, filed under the profile's body."""
    meeting = meeting_from_page(raw.body(page), url=page.url, sitting=sitting)
    meeting.body = profile.body or None
    return meeting
