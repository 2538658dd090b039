"""kensakusystem.jp (会議録検索システム, www.kensakusystem.jp) as a source: one body's browse tree → sittings →
full text, fetched politely into the raw store, then parsed offline from it.

How the system is laid out (from open-source crawlers of it read on GitHub: their notes and test fixtures,
e.g. ZARUJU/local-council-system tests/fixtures/adapters/kensaku, chinjouojisan/takasago-kaigiroku-lab's
probe scripts and the speaker-index frame saved in ../shared/real-pages (takasago_speakers), and a
prefectural-minutes project's survey of its 三重, 兵庫 and 愛媛 tenants; and from the print-all page in
../shared/real-pages, fuchu_kensaku_printall):

- One host serves some 140 bodies, each under a path: /<tenant>/ (/fuchu-c/, /takasago/, /hyogopref/). Every
  page is Shift_JIS HTML (declared as x-sjis or Shift_JIS) from CGI programs (.exe) in the tenant's
  cgi-bin3/ (cgi-bin2/ or cgi-bin/ on older installs), laid out in frames.
- The tenant's landing page /<tenant>/index.html links the viewer as cgi-bin3/See.exe?Code=<code>. The
  Code is a session token that every CGI URL carries; crawlers read it from the landing page each run
  rather than keep it, since it may rotate. So the raw store keys a CGI answer by its URL without the Code.
- See.exe is the browse tree (閲覧). A node is named by its label, sent back as `treedepth`: in a browser
  by a form POST (`<form name="viewtree">`, the label set by onClick="…treedepth.value='令和 7年'", or
  data-depth="…" on newer tenants), but See.exe takes the same fields as a GET query, with the label
  percent-encoded in cp932. See.exe?Code=C lists the years; &treedepth=令和 7年 lists that year's
  meetings (定例会, 委員会); &treedepth=令和 7年 第2回定例会 (the trailing space belongs to the label) links
  the meeting's sittings as ResultFrame.exe?Code=C&fileName=R070610A&startPos=0, the day as link text.
  The file name carries the date: era letter, YYMMDD, a serial (R070610A is 令和7年6月10日; R080318B01).
- ResultFrame.exe is a frameset: the speech index (r_Speakers.exe, one row per speech) and the text
  (r_TextFrame.exe → GetText3.exe, one speech). The navigation frame's 全文表示 (print all) is
  GetText3.exe?Code=C&fileName=F&startPos=0&keyMode=10&searchMode=1&FUNC=PRINT_ALL: the whole sitting in
  one HTML page, one <BR> per line, labels ○議長（山田太郎）. This adapter reads that: one request a sitting.
- A missing document is answered with HTTP 200 and a page reading "ERROR:ファイルの読込みに失敗しました。";
  such an answer is reported as a failure and never stored.
- robots.txt: www.kensakusystem.jp has none (404), so nothing is disallowed and no `permission` is needed;
  pages carry <meta name="robots" content="follow,index">. Should one appear that disallows the landing
  page or the CGI, the run stops before fetching from it unless the profile holds `permission`.
- No validators are known for the CGI answers and the tree carries no revision date. So a run fetches the
  landing page (conditional GET), the tree (its root, each chosen year, each meeting of those years), and
  a sitting's full text only when its file name is new, when its tree entry changed (its day label or
  node), or when the stored copy is older than `recheck_days`.

Parsing (parse_stored) reads only the raw store: a sitting's full text with its node and day from the
stored tree pages, so `minutes reindex` re-parses without fetching.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import parse_qs, quote, urlsplit

from indexer.crawl.crawler import CrawlReport
from indexer.crawl.fetch import Fetcher
from indexer.crawl.hosted_common import Answer, Walk, context_version, parse_pending
from indexer.crawl.profiles import SiteProfile
from indexer.parse.kensakusystem import (
    PARSER_VERSION,
    Sitting,
    is_year_node,
    meeting_from_print_all,
    page_text,
    session_code,
    sittings_from_tree,
    tree_nodes,
    vendor_error,
    year_of,
)
from indexer.records import Meeting
from indexer.store.ingest import IngestReport
from indexer.store.raw_store import RawPage, RawStore
from indexer.store.record_store import RecordStore
from indexer.text.normalize import normalize_text

log = logging.getLogger(__name__)

LANDING = "index.html"
TREE = "See.exe"
TEXT = "GetText3.exe"
VIEW = "ResultFrame.exe"
CGI_DIRS = ("cgi-bin3", "cgi-bin2", "cgi-bin")
MINUTES_KIND = "kensakusystem"  # the manifest kind of a sitting's full text; tree pages are "listing"


def tenant_root(profile: SiteProfile) -> str:
    """Return the body's folder on the system: https://www.kensakusystem.jp/<tenant>/."""
    return f"{profile.base_url}/{profile.tenant}/"


def landing_url(profile: SiteProfile) -> str:
    """Return the tenant's landing page, which links the viewer with the session code."""
    return tenant_root(profile) + LANDING


def tree_url(cgi_root: str, code: str, node: str | None = None) -> str:
    """Return See.exe for one node of the browse tree (the root when node is None), its label in cp932."""
    url = f"{cgi_root}{TREE}?Code={code}"
    return url if node is None else f"{url}&treedepth={quote(node.encode('cp932', errors='replace'), safe='')}"


def text_url(cgi_root: str, code: str, file_name: str) -> str:
    """Return the print-all (全文表示) page of one sitting."""
    return f"{cgi_root}{TEXT}?Code={code}&fileName={file_name}&startPos=0&keyMode=10&searchMode=1&FUNC=PRINT_ALL"


def view_url(cgi_root: str, file_name: str) -> str:
    """Return the viewer's page of one sitting without the session code: the meeting's url (and so its id)."""
    return f"{cgi_root}{VIEW}?fileName={file_name}&startPos=0"


def store_key(url: str) -> str:
    """Return the raw store's key of a CGI URL: the URL without its session code (Code=…)."""
    base, _, query = url.partition("?")
    kept = [part for part in query.split("&") if part and not part.startswith("Code=")]
    return f"{base}?{'&'.join(kept)}" if kept else base


@dataclass
class _Walk(Walk):
    """One run over a tenant, with the tree's state: the session code, the nodes opened and still to open."""

    cgi_root: str = ""
    code: str = ""
    opened: set[str] = field(default_factory=set)  # tree nodes fetched this run
    years: list[str] = field(default_factory=list)  # year nodes still to open
    seen: set[str] = field(default_factory=set)  # sittings handled this run

    def served(self, path: str) -> str:
        return "where kensakusystem.jp serves the minutes" if ".exe" in path else "which the crawl needs"

    def stored_final_url(self, key: str, url: str, final_url: str) -> str:
        return key if final_url == url else store_key(final_url)

    def rejected(self, key: str, url: str, body: bytes) -> str | None:
        """Return the error page a CGI program answers with 200 (a missing document), as a failure."""
        error = vendor_error(page_text(body)) if url.endswith(".exe") or ".exe?" in url else None
        return f"{key}: the system answered {error!r}" if error else None

    def fetch(self, url: str, kind: str, link_text: str | None = None) -> Answer:
        """GET one URL, keeping a 200 under its key (the URL without the session code)."""
        return self.get(store_key(url), url, kind, link_text)


def crawl_tenant(
    profile: SiteProfile, raw: RawStore, fetcher: Fetcher, progress: Callable[[str], None] | None = None
) -> CrawlReport:
    """Walk one tenant: its landing page (for the session code), the browse tree of the chosen years, and
    the full text of the sittings that are new, changed in the tree, or due for a recheck."""
    walk = _Walk(profile, raw, fetcher, CrawlReport(), progress)
    root = tenant_root(profile)
    watched = [landing_url(profile), *(f"{root}{cgi}/{TREE}" for cgi in CGI_DIRS)]  # the landing page first
    return walk.run(root, watched, lambda: _walk_tenant(walk))


def _walk_tenant(walk: _Walk) -> None:
    profile, report = walk.profile, walk.report
    landing = landing_url(profile)
    body = walk.fetch(landing, "listing").body
    if body is None:
        return
    found = session_code(page_text(body))
    if found is None:
        report.failed.append((landing, f"{landing}: no link to the viewer (cgi-bin*/See.exe?Code=…) on it"))
        return
    cgi, walk.code = found
    walk.cgi_root = f"{tenant_root(profile)}{cgi}/"
    walk.allowed(walk.cgi_root + TREE)  # the data paths: refuse before fetching any of them
    answer = walk.fetch(tree_url(walk.cgi_root, walk.code), "listing")
    if answer.body is None:
        return
    _queue_years(walk, page_text(answer.body))
    while walk.years and walk.budget_left():
        _open(walk, walk.years.pop(0))
    walk.warn_if_spent()


def _queue_years(walk: _Walk, markup: str) -> None:
    """Queue the year nodes of a tree page that the profile's years choose and that are not opened yet."""
    for label in tree_nodes(markup):
        if not is_year_node(label) or label in walk.opened or label in walk.years:
            continue
        if not walk.profile.years or year_of(label) in walk.profile.years:
            walk.years.append(label)


def _open(walk: _Walk, node: str) -> None:
    """Fetch one tree node: handle the sittings it links, then open the nodes below it, depth first."""
    walk.opened.add(node)
    url = tree_url(walk.cgi_root, walk.code, node)
    before = _stored_sittings(walk.raw, store_key(url), node)
    body = walk.fetch(url, "listing", link_text=normalize_text(node)).body
    if body is None:
        return
    markup = page_text(body)
    sittings, others = sittings_from_tree(markup, node)
    skipped = [name for name in others if "." not in name]  # dotted names are documents (決議案.html)
    if skipped:
        log.warning("%s: %r links files that are not sittings, skipped: %s", walk.profile.name, node, skipped)
    for sitting in sittings:
        if not walk.budget_left():
            return
        _sitting(walk, sitting, before.get(sitting.file_name))
    _queue_years(walk, markup)  # a year tab may reveal years it groups
    for child in tree_nodes(markup):
        if child in walk.opened or is_year_node(child):
            continue
        if child.startswith(node) and child.strip() != node.strip() and walk.budget_left():
            _open(walk, child)


def _stored_sittings(raw: RawStore, key: str, node: str) -> dict[str, Sitting]:
    """Return the sittings a tree page stored under key listed before this run, by file name."""
    page = raw.get(key)
    if page is None or page.sha256 is None:
        return {}
    try:
        sittings, _ = sittings_from_tree(page_text(raw.body(page)), node)
    except OSError:
        return {}
    return {s.file_name: s for s in sittings}


def _sitting(walk: _Walk, sitting: Sitting, listed_before: Sitting | None) -> None:
    """Fetch a sitting's full text when it is new, relisted differently, or due for a recheck."""
    if sitting.file_name in walk.seen:
        return  # listed under two nodes: fetched once
    walk.seen.add(sitting.file_name)
    url = text_url(walk.cgi_root, walk.code, sitting.file_name)
    link_text = normalize_text(f"{sitting.node} {sitting.label}")
    walk.minutes(store_key(url), url, MINUTES_KIND, sitting, listed_before, link_text)


def _query(url: str) -> dict[str, str]:
    """Return a stored key's query fields, decoded as the system encodes them (cp932)."""
    fields = parse_qs(urlsplit(url).query, encoding="cp932", errors="replace")
    return {name: values[0] for name, values in fields.items()}


def _context_version(sitting: Sitting, body: str = "") -> str:
    """Return the parser version stored beside a parsed sitting: the parser's, and its tree entry's and
    body's, so a renamed meeting, a relabelled day or a renamed body re-parses the sitting."""
    return context_version(PARSER_VERSION, f"{sitting.fingerprint()}|{body}")


def parse_stored(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Parse the tenant's stored sittings that are new, changed, or read with another parser or tree
    context, into the record store; read nothing but the raw store."""
    root = tenant_root(profile)
    rows = [p for p in raw.pages() if p.site == profile.name and p.sha256 is not None and p.url.startswith(root)]
    listed: dict[str, Sitting] = {}
    for page in rows:
        if page.kind != "listing" or not urlsplit(page.url).path.endswith("/" + TREE):
            continue
        node = _query(page.url).get("treedepth")
        if not node:
            continue
        for sitting in sittings_from_tree(page_text(raw.body(page)), node)[0]:
            current = listed.get(sitting.file_name)
            if current is None or len(sitting.node) > len(current.node):  # the most specific node
                listed[sitting.file_name] = sitting
    stored = []
    for page in rows:
        if page.kind != MINUTES_KIND or not urlsplit(page.url).path.endswith("/" + TEXT):
            continue
        file_name = _query(page.url).get("fileName", "")
        sitting = listed.get(file_name) or Sitting(file_name, "", "")
        stored.append((page, _context_version(sitting, profile.body), partial(_read, profile, raw, page, sitting)))
    return parse_pending(raw, records, stored, progress)


def _read(profile: SiteProfile, raw: RawStore, page: RawPage, sitting: Sitting) -> Meeting:
    """Read a stored print-all page as the meeting of the sitting's viewer page, filed under the profile's body."""
    cgi_root = page.url.partition("?")[0].rsplit("/", 1)[0] + "/"
    meeting = meeting_from_print_all(raw.body(page), url=view_url(cgi_root, sitting.file_name), sitting=sitting)
    meeting.body = profile.body or None
    return meeting
