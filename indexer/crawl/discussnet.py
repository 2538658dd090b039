"""DiscussNet (会議録検索システム, 会議録研究所 / NTT-AT; hosted at ssp.kaigiroku.net) as a source: one body's
councils → schedules → minutes, fetched politely into the raw store, then parsed offline from it.

How the system is laid out (from public write-ups and open-source crawlers of it, read on GitHub: notes on
its API by projects that index council minutes, and robots.txt surveys of prefectural assemblies):

- One host serves some 500 bodies. A body is a tenant with a slug: /tenant/<slug>/ holds the browser app
  (SpTop.html, MinuteBrowse.html; MinuteView.html?council_id=C&schedule_id=S is one sitting's page, and
  &minute_id=M one entry of it). The pages are a client-side app: they carry no data in their markup.
- The tenant's numeric id is assigned in /tenant/<slug>/js/tenant.js (`dnp.params.tenant_id = 123`).
- The data comes from a JSON API under /dnp/search/, each call a form POST that names the tenant_id:
    councils/index        tenant_id                          councils[].view_years[] {view_year: "2025",
                                                             council_type[] {council_type_name1..3,
                                                             councils[] {council_id, name}}}: every year
    minutes/get_schedule  tenant_id, council_id              council_schedules[] {schedule_id,
                                                             name: "06月13日－01号", page_no, member_list}
    minutes/get_minute    tenant_id, council_id, schedule_id tenant_minutes[] {minute_id, title,
                                                             minute_type_code, page_no, body: "<pre>…"}
  The app also calls councils/get_view_years, minute_searches/search, speakers/… (unused here). An answer
  may come wrapped in a JSONP callback when the request names one; this adapter names none.
- robots.txt disallows everything but /tenant/ (and, below it, /tenant/js/, /tenant/css/ …), so the API
  under /dnp/search/ is disallowed: it is read only with the operator's consent (`permission`).
- No validators (ETag, Last-Modified) are documented for the API and the listings carry no revision date.
  So a run fetches the listings (councils/index, one get_schedule per council of the chosen years) and
  fetches a sitting's minutes only when its id is new, when its listing entry changed (name, page_no,
  member_list), or when the stored copy is older than `recheck_days`; conditional headers are sent anyway.

The raw store keys a POST by its endpoint with the form fields as a sorted query string, so each call has
one manifest row (…/dnp/search/minutes/get_minute?council_id=3&schedule_id=2&tenant_id=77). Parsing
(parse_stored) reads only the raw store: the minutes answer with its council and schedule from the stored
listings, so `minutes reindex` re-parses without fetching.
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
from indexer.parse.discussnet import (
    PARSER_VERSION,
    Council,
    Schedule,
    councils_from_index,
    load_payload,
    meeting_from_minutes,
    schedules_from_payload,
    tenant_id_from_script,
)
from indexer.parse.page import ParseError
from indexer.store.ingest import IngestReport
from indexer.store.raw_store import RawPage, RawStore
from indexer.store.record_store import RecordStore

log = logging.getLogger(__name__)

API_ROOT = "/dnp/search/"
COUNCILS = "councils/index"
SCHEDULES = "minutes/get_schedule"
MINUTES = "minutes/get_minute"
MINUTES_KIND = "discussnet"  # the manifest kind of a minutes answer; listings are "listing"


class Refused(Exception):
    """robots.txt forbids a path the crawl needs and the profile holds no permission."""


def api_url(profile: SiteProfile, call: str) -> str:
    """Return the URL of one API call (councils/index …) on the profile's system."""
    return f"{profile.base_url}{API_ROOT}{call}"


def request_key(url: str, form: dict[str, str]) -> str:
    """Return the raw store's key of a POST: its URL with the form fields as a sorted query string."""
    return f"{url}?{urlencode(sorted(form.items()))}"


def tenant_script_url(profile: SiteProfile) -> str:
    """Return the URL of the tenant's script that assigns its numeric id."""
    return f"{profile.base_url}/tenant/{profile.tenant}/js/tenant.js"


def view_url(profile: SiteProfile, council_id: str, schedule_id: str) -> str:
    """Return the public page of one sitting: the meeting's canonical url (and so its id)."""
    return (
        f"{profile.base_url}/tenant/{profile.tenant}/MinuteView.html?council_id={council_id}&schedule_id={schedule_id}"
    )


def refusal_message(profile: SiteProfile, url: str) -> str:
    """Say that robots.txt forbids a path, and what the operator can do about it."""
    path = urlsplit(url).path
    what = "where DiscussNet serves its data" if path.startswith(API_ROOT) else "which the crawl needs"
    return (
        f"site {profile.name}: robots.txt of {profile.base_url} disallows {path}, {what}; nothing was fetched "
        f"from it. Ask the operator (the body, e.g. its assembly secretariat, or the system's vendor) for "
        f'consent, then record it in the site\'s profile as permission = "who granted it, when"'
    )


@dataclass
class _Answer:
    """What one request gave: the body (stored, or the stored one on a 304), or None on failure."""

    body: bytes | None
    not_modified: bool = False
    changed: bool = False


@dataclass
class _Walk:
    """One run over a tenant: its profile, stores, fetcher and the report being filled."""

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

    def get(self, key: str, url: str, form: dict[str, str] | None, kind: str, link_text: str | None = None) -> _Answer:
        """Fetch one URL (POST when form is given) with the manifest's validators; keep a 200 in the raw store."""
        self.allowed(url)
        previous = self.raw.get(key)
        if self.progress:
            self.progress(key)
        self.calls += 1
        result = self.fetcher.fetch(
            url,
            etag=previous.etag if previous else None,
            last_modified=previous.last_modified if previous else None,
            form=form,
        )
        if result.not_modified and previous and previous.sha256:
            self.report.not_modified += 1
            self.raw.mark_status(key, 304)
            return _Answer(self.raw.body(previous), not_modified=True)
        if not result.ok:
            reason = result.error or f"{key}: HTTP {result.status}"
            self.report.failed.append((key, reason))
            if previous:
                self.raw.mark_status(key, result.status)
            return _Answer(None)
        self.report.fetched += 1
        _page, changed = self.raw.put(
            key,
            result.body,
            final_url=key if result.final_url == url else result.final_url,
            headers=result.headers,
            site=self.profile.name,
            kind=kind,
            link_text=link_text,
        )
        return _Answer(result.body, changed=changed)


def crawl_tenant(
    profile: SiteProfile, raw: RawStore, fetcher: Fetcher, progress: Callable[[str], None] | None = None
) -> CrawlReport:
    """Walk one tenant: its id, the councils of the chosen years, their schedules, and the minutes that
    are new, changed in the listing, or due for a recheck; every answer is kept in the raw store."""
    report = CrawlReport()
    walk = _Walk(profile, raw, fetcher, report, progress)
    data_path = api_url(profile, COUNCILS)
    if profile.permission:
        forbidden = not fetcher.robots_allows(data_path)
        log.warning(
            "site %s: crawling %s%s with the permission of %s",
            profile.name,
            profile.base_url + API_ROOT,
            " (robots.txt disallows it)" if forbidden else "",
            profile.permission,
        )
    try:
        walk.allowed(data_path)  # the data path first: refuse before fetching anything else
        _walk_tenant(walk)
    except Refused as refusal:
        report.failed.append((profile.base_url + API_ROOT, str(refusal)))
    report.requests = len(fetcher.requests)
    return report


def _walk_tenant(walk: _Walk) -> None:
    profile, report = walk.profile, walk.report
    script = tenant_script_url(profile)
    body = walk.get(script, script, None, "listing").body
    if body is None:
        return
    tenant_id = tenant_id_from_script(body.decode("utf-8", errors="replace"))
    if tenant_id is None:
        report.failed.append((script, f"{script}: no tenant_id in the tenant's script"))
        return
    councils = _listing(walk, COUNCILS, {"tenant_id": tenant_id}, councils_from_index)
    if councils is None:
        return
    chosen = [c for c in councils if not profile.years or c.year in profile.years]
    for council in chosen:
        if not walk.budget_left():
            break
        _walk_council(walk, tenant_id, council)
    if not walk.budget_left():
        log.warning("%s: stopped at max_pages=%d requests", profile.name, profile.max_pages)


def _listing(walk: _Walk, call: str, form: dict[str, str], read):
    """Fetch one listing call and return what read makes of it, or None (the failure is reported)."""
    url = api_url(walk.profile, call)
    key = request_key(url, form)
    body = walk.get(key, url, form, "listing").body
    if body is None:
        return None
    try:
        return read(load_payload(body, key))
    except ParseError as error:
        walk.report.failed.append((key, str(error)))
        return None


def _stored_schedules(raw: RawStore, key: str) -> dict[str, Schedule]:
    """Return the schedules of the listing stored under key before this run, by id."""
    page = raw.get(key)
    if page is None or page.sha256 is None:
        return {}
    try:
        return {s.schedule_id: s for s in schedules_from_payload(load_payload(raw.body(page), key))}
    except (ParseError, OSError):
        return {}


def _due(page: RawPage, recheck_days: float) -> bool:
    """Tell whether a stored answer is old enough to be fetched again."""
    try:
        fetched = datetime.fromisoformat(page.fetched_at)
    except ValueError:
        return True
    return (datetime.now(UTC) - fetched).total_seconds() >= recheck_days * 86400


def _walk_council(walk: _Walk, tenant_id: str, council: Council) -> None:
    profile, raw, report = walk.profile, walk.raw, walk.report
    form = {"tenant_id": tenant_id, "council_id": council.council_id}
    before = _stored_schedules(raw, request_key(api_url(profile, SCHEDULES), form))
    schedules = _listing(walk, SCHEDULES, form, schedules_from_payload)
    for schedule in schedules or []:
        if not walk.budget_left():
            return
        minutes_form = {**form, "schedule_id": schedule.schedule_id}
        url = api_url(profile, MINUTES)
        key = request_key(url, minutes_form)
        stored = raw.get(key)
        known = stored is not None and stored.sha256 is not None
        if known and stored is not None:
            listed_before = before.get(schedule.schedule_id)
            relisted = listed_before is not None and listed_before.fingerprint() != schedule.fingerprint()
            if not relisted and not _due(stored, profile.recheck_days):
                continue
        answer = walk.get(key, url, minutes_form, MINUTES_KIND, link_text=f"{council.name} {schedule.name}")
        if answer.body is None or answer.not_modified:
            continue
        if not known:
            report.new += 1
        elif answer.changed:
            report.changed += 1
        else:
            report.unchanged += 1


def _form_of(key: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(key).query).items()}


def _context_version(council: Council, schedule: Schedule, body: str = "") -> str:
    """Return the parser version stored beside a parsed answer: the parser's, and its listing context's and
    body's, so a renamed council, a changed schedule entry or a renamed body re-parses the sitting."""
    context = (
        f"{council.council_id}|{council.name}|{council.year}|{'/'.join(council.types)}|{schedule.fingerprint()}|{body}"
    )
    return f"{PARSER_VERSION}+{hashlib.sha256(context.encode('utf-8')).hexdigest()[:10]}"


def parse_stored(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Parse the tenant's stored minutes answers that are new, changed, or read with another parser or
    listing context, into the record store; read nothing but the raw store."""
    report = IngestReport()
    rows = [p for p in raw.pages() if p.site == profile.name and p.sha256 is not None]
    councils_prefix = api_url(profile, COUNCILS) + "?"
    schedules_prefix = api_url(profile, SCHEDULES) + "?"
    minutes_prefix = api_url(profile, MINUTES) + "?"
    councils: dict[str, Council] = {}
    schedules: dict[tuple[str, str], Schedule] = {}
    for page in rows:
        try:
            if page.url.startswith(councils_prefix):
                councils.update((c.council_id, c) for c in councils_from_index(load_payload(raw.body(page))))
            elif page.url.startswith(schedules_prefix):
                council_id = _form_of(page.url).get("council_id", "")
                for s in schedules_from_payload(load_payload(raw.body(page))):
                    schedules[(council_id, s.schedule_id)] = s
        except ParseError as error:
            log.warning("%s: stored listing unreadable: %s", page.url, error)
    pending = []
    for page in rows:
        if page.kind != MINUTES_KIND or not page.url.startswith(minutes_prefix):
            continue
        form = _form_of(page.url)
        council_id, schedule_id = form.get("council_id", ""), form.get("schedule_id", "")
        council = councils.get(council_id) or Council(council_id, "", None)
        schedule = schedules.get((council_id, schedule_id)) or Schedule(schedule_id, "")
        version = _context_version(council, schedule, profile.body)
        if page.parse_status == "pending" or page.parser_version != version:
            pending.append((page, council, schedule, version))
    if progress and pending:
        progress(0, len(pending))
    for done, (page, council, schedule, version) in enumerate(pending, 1):
        _parse_one(profile, raw, records, report, page, council, schedule, version)
        if progress:
            progress(done, len(pending))
    return report


def _parse_one(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    report: IngestReport,
    page: RawPage,
    council: Council,
    schedule: Schedule,
    version: str,
) -> None:
    url = view_url(profile, council.council_id, schedule.schedule_id)
    try:
        meeting = meeting_from_minutes(
            load_payload(raw.body(page), page.url), url=url, council=council, schedule=schedule
        )
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
