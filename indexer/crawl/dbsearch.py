"""DB-Search (会議録検索システム by 大和綜合電子; one host per body under dbsr.jp) as a source: one body's
result listings → the documents that hold speeches, fetched politely into the raw store, then parsed
offline from it.

How the system is laid out (facts from public GitHub crawlers of it and their notes: saved listing and
document pages of 廿日市市議会 and 広島県議会 and the source notes (docs) of ZARUJU/local-council-system; the
adapters and notes of mimidesunya/miyabe-tools, matsupiee/open-gikai and two 福岡 projects; a survey of
青森県議会's host quoting its robots.txt; and the two DB-Search pages in shared/real-pages):

- Each body has its own host: https://www.city.<name>.<pref>.dbsr.jp, https://www.pref.<name>.dbsr.jp
  (a few use sec., net., www2. …). Every page comes from /index.php/<number>?Template=…; the number is a
  navigation (session) id that the pages' own links change on every response, and a number opens any
  page whose query names what to show (the crawlers use 100000 or 1; so does this adapter, which keeps
  its keys stable). Hosts keep a session in a cookie.
- Template=list is a result listing: QueryType=New starts a new query, TermStart/TermEnd (YYYY-MM-DD)
  bound the dates held, Cabinet=<n> picks one kind of meeting (1 定例会, 2 臨時会; none: all), ListOrder=Asc
  oldest first. A page holds about ten rows. Its pagination links (…?Template=list&Page=N under a new
  navigation number) page through the query kept in the session: on 広島県議会's host the first URL with
  Page=N added answers page 1 again, so the pages after the first are reached by following those links,
  session cookie kept (one Fetcher per run keeps its cookies). Each row is one document: a link with
  DocumentID=<id> (Id=<id> on some hosts, e.g. 神戸市, 八王子市) whose text is the title
  (令和７年第２回定例会（第１日）　本文) beside the date held (2025-06-10, or 開催日：2025年06月10日). A sitting
  is filed as several documents (名簿, 本文, 資料): only 本文 holds the speeches.
- A document with every voice (speech) on one page: Template=document&VoiceType=all&DocumentID=<id> where
  the listing links Template=document (広島県議会); where it links frames (doc-one-frame, doc-all-frame,
  as 廿日市市 does, whose host answers 404 to Template=document), Template=doc-page&VoiceType=all&
  DocumentID=<id>, the frame that holds the voices. The page has a `command__title` heading and one block
  per voice (see indexer/parse/dbsearch.py). The Shift_JIS text download (Template=download) is not used.
  Pages are UTF-8 on the hosts described; decoding follows the declared charset, so a Shift_JIS host
  reads too.
- robots.txt: on prefecture hosts (青森県's, quoted in the survey) it disallows everything (Disallow: /)
  but the landing page (Allow: /$, /index.php$, /index.php/$), and www.dbsr.jp's disallows everything; so
  listings and documents are read only with the operator's consent (`permission`). Each host's own file
  is obeyed.
- No validators are documented and the listings carry no revision date. So a run fetches the listings of
  the chosen years (every page of each) and fetches a document only when its id is new, when its listing
  row changed (title, date), or when the stored copy is older than `recheck_days`; conditional headers are
  sent anyway. Pages change on every request (their links' navigation numbers), so a document fetched
  again counts as changed only when its title or voices changed.

The raw store keys each page by a URL under /index.php/100000: the first listing page by the URL asked,
a later one by that URL with &Page=N (the link followed is its manifest row's final_url), a document by
…/index.php/100000?Template=document&VoiceType=all&DocumentID=1101, which is also the meeting's url.
Parsing (parse_stored) reads only the raw store: the documents with their rows from the stored listings,
so `minutes reindex` re-parses without fetching.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from functools import partial
from urllib.parse import urlencode, urljoin

from indexer.crawl.crawler import CrawlReport
from indexer.crawl.fetch import Fetcher
from indexer.crawl.hosted_common import Answer, Walk, context_version, parse_pending
from indexer.crawl.profiles import SiteProfile
from indexer.parse.dbsearch import (
    PARSER_VERSION,
    Listed,
    Listing,
    document_digest,
    document_id_of,
    meeting_from_document,
    read_listing,
)
from indexer.parse.page import ParseError
from indexer.records import Meeting
from indexer.store.ingest import IngestReport
from indexer.store.raw_store import RawPage, RawStore
from indexer.store.record_store import RecordStore

log = logging.getLogger(__name__)

NAVIGATION = "100000"  # the /index.php/<number> every request names: any number serves the query
ROOT = f"/index.php/{NAVIGATION}"
MINUTES_KIND = "dbsearch"  # the manifest kind of a document; listings are "listing"
WHOLE_PERIOD_START = "1970-01-01"  # a listing without `years` covers every sitting since
MAX_LISTING_PAGES = 1000  # a guard against a pagination that never ends


def listing_url(profile: SiteProfile, year: int | None, page: int = 1) -> str:
    """Return one page of the result listing of a year (None: the whole period), oldest first."""
    start, end = (f"{year}-01-01", f"{year}-12-31") if year else (WHOLE_PERIOD_START, f"{date.today().year}-12-31")
    query = [("Template", "list"), ("QueryType", "New"), ("ListOrder", "Asc"), ("TermStart", start), ("TermEnd", end)]
    if page > 1:
        query.append(("Page", str(page)))
    return f"{profile.base_url}{ROOT}?{urlencode(query)}"


def document_url(profile: SiteProfile, row: Listed) -> str:
    """Return a document's page with every voice: the key it is stored under, and its meeting's url."""
    query = urlencode([("Template", row.template), ("VoiceType", "all"), (row.param, row.document_id)])
    return f"{profile.base_url}{ROOT}?{query}"


class _Walk(Walk):
    """One run over a body's host, whose pages change on every request (their links' navigation numbers)."""

    def served(self, path: str) -> str:
        return "where DB-Search serves its listings and minutes"

    def named(self, key: str, url: str) -> str:
        return url  # a later listing page: the link followed, not the key it is kept under

    def stored_final_url(self, key: str, url: str, final_url: str) -> str:
        return final_url

    def changed(self, answer: Answer, stored: RawPage) -> bool:
        """Tell whether a document fetched again has another title or other voices than the stored one."""
        old = document_digest(self.raw.body(stored), stored.content_type)
        return answer.body is not None and old != document_digest(answer.body, answer.content_type)


def crawl_tenant(
    profile: SiteProfile, raw: RawStore, fetcher: Fetcher, progress: Callable[[str], None] | None = None
) -> CrawlReport:
    """Walk one body's host: the listings of the chosen years, page by page, and the documents holding
    speeches that are new, changed in the listing, or due for a recheck; every page is kept in the raw store."""
    walk = _Walk(profile, raw, fetcher, CrawlReport(), progress)
    years: list[int | None] = [*sorted(profile.years, reverse=True)] or [None]
    return walk.run(
        f"{profile.base_url}/index.php/", [listing_url(profile, years[0])], lambda: _walk_years(walk, years)
    )


def _walk_years(walk: _Walk, years: list[int | None]) -> None:
    before = _stored_rows(walk.profile, walk.raw)
    for year in years:
        if not walk.budget_left():
            break
        _walk_year(walk, year, before)
    walk.warn_if_spent()


def _listing_prefix(profile: SiteProfile) -> str:
    return f"{profile.base_url}{ROOT}?Template=list&"


def _stored_rows(profile: SiteProfile, raw: RawStore) -> dict[str, Listed]:
    """Return every document row of the listings stored for this site, by DocumentID."""
    rows: dict[str, Listed] = {}
    prefix = _listing_prefix(profile)
    for page in raw.pages():
        if page.site != profile.name or page.sha256 is None or not page.url.startswith(prefix):
            continue
        try:
            listing = read_listing(raw.body(page), page.content_type)
        except (ParseError, OSError) as error:
            log.warning("%s: stored listing unreadable: %s", page.url, error)
            continue
        rows.update((row.document_id, row) for row in listing.documents)
    return rows


def _walk_year(walk: _Walk, year: int | None, before: dict[str, Listed]) -> None:
    """Fetch every page of one year's listing, following its pagination links, then the documents it lists
    that need fetching."""
    rows: dict[str, Listed] = {}
    url, page = listing_url(walk.profile, year), 1
    while page <= MAX_LISTING_PAGES and walk.budget_left():
        answer = walk.get(listing_url(walk.profile, year, page), url, "listing")
        if answer.body is None:
            break
        listing: Listing = read_listing(answer.body, answer.content_type, page)
        fresh = [row for row in listing.documents if row.document_id not in rows]
        rows.update((row.document_id, row) for row in fresh)
        if not fresh or not listing.next_href:
            break  # the last page, or the same rows again
        url, page = urljoin(url, listing.next_href), page + 1
    for row in rows.values():
        if not walk.budget_left():
            return
        if row.is_minutes:
            _walk_document(walk, row, before.get(row.document_id))


def _walk_document(walk: _Walk, row: Listed, listed_before: Listed | None) -> None:
    url = document_url(walk.profile, row)
    walk.minutes(url, url, MINUTES_KIND, row, listed_before, row.title)


def _context_version(row: Listed, body: str = "") -> str:
    """Return the parser version stored beside a parsed document: the parser's, and its listing row's and
    body's, so a retitled or redated document, or a renamed body, re-parses it."""
    return context_version(PARSER_VERSION, f"{row.fingerprint()}|{body}")


def parse_stored(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Parse the body's stored documents that are new, changed, or read with another parser or listing
    row, into the record store; read nothing but the raw store."""
    rows = _stored_rows(profile, raw)
    prefix = f"{profile.base_url}{ROOT}?"
    stored = []
    for page in raw.pages():
        if page.site != profile.name or page.sha256 is None or page.kind != MINUTES_KIND:
            continue
        if not page.url.startswith(prefix):
            continue
        document_id = document_id_of(page.url) or ""
        row = rows.get(document_id) or Listed(document_id, "")
        stored.append((page, _context_version(row, profile.body), partial(_read, profile, raw, page, row)))
    return parse_pending(raw, records, stored, progress)


def _read(profile: SiteProfile, raw: RawStore, page: RawPage, row: Listed) -> Meeting:
    """Read a stored document as the meeting of its listing row, filed under the profile's body."""
    meeting = meeting_from_document(raw.body(page), page.content_type, url=page.url, listed=row)
    meeting.body = profile.body or None
    return meeting
