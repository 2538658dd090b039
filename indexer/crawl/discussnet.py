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

import logging
from collections.abc import Callable
from functools import partial
from urllib.parse import parse_qs, urlencode, urlsplit

from indexer.crawl.crawler import CrawlReport
from indexer.crawl.fetch import Fetcher
from indexer.crawl.hosted_common import Walk, context_version, parse_pending
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
from indexer.records import Meeting
from indexer.store.ingest import IngestReport
from indexer.store.raw_store import RawPage, RawStore
from indexer.store.record_store import RecordStore

log = logging.getLogger(__name__)

API_ROOT = "/dnp/search/"
COUNCILS = "councils/index"
SCHEDULES = "minutes/get_schedule"
MINUTES = "minutes/get_minute"
MINUTES_KIND = "discussnet"  # the manifest kind of a minutes answer; listings are "listing"


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


class _Walk(Walk):
    """One run over a tenant."""

    def served(self, path: str) -> str:
        return "where DiscussNet serves its data" if path.startswith(API_ROOT) else "which the crawl needs"


def crawl_tenant(
    profile: SiteProfile, raw: RawStore, fetcher: Fetcher, progress: Callable[[str], None] | None = None
) -> CrawlReport:
    """Walk one tenant: its id, the councils of the chosen years, their schedules, and the minutes that
    are new, changed in the listing, or due for a recheck; every answer is kept in the raw store."""
    walk = _Walk(profile, raw, fetcher, CrawlReport(), progress)
    return walk.run(profile.base_url + API_ROOT, [api_url(profile, COUNCILS)], lambda: _walk_tenant(walk))


def _walk_tenant(walk: _Walk) -> None:
    profile, report = walk.profile, walk.report
    script = tenant_script_url(profile)
    body = walk.get(script, script, "listing").body
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
    walk.warn_if_spent()


def _listing(walk: _Walk, call: str, form: dict[str, str], read):
    """Fetch one listing call and return what read makes of it, or None (the failure is reported)."""
    url = api_url(walk.profile, call)
    key = request_key(url, form)
    body = walk.get(key, url, "listing", form=form).body
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


def _walk_council(walk: _Walk, tenant_id: str, council: Council) -> None:
    form = {"tenant_id": tenant_id, "council_id": council.council_id}
    before = _stored_schedules(walk.raw, request_key(api_url(walk.profile, SCHEDULES), form))
    schedules = _listing(walk, SCHEDULES, form, schedules_from_payload)
    for schedule in schedules or []:
        if not walk.budget_left():
            return
        minutes_form = {**form, "schedule_id": schedule.schedule_id}
        url = api_url(walk.profile, MINUTES)
        link_text = f"{council.name} {schedule.name}"
        listed_before = before.get(schedule.schedule_id)
        walk.minutes(
            request_key(url, minutes_form), url, MINUTES_KIND, schedule, listed_before, link_text, minutes_form
        )


def _form_of(key: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(key).query).items()}


def _context_version(council: Council, schedule: Schedule, body: str = "") -> str:
    """Return the parser version stored beside a parsed answer: the parser's, and its listing context's and
    body's, so a renamed council, a changed schedule entry or a renamed body re-parses the sitting."""
    context = (
        f"{council.council_id}|{council.name}|{council.year}|{'/'.join(council.types)}|{schedule.fingerprint()}|{body}"
    )
    return context_version(PARSER_VERSION, context)


def parse_stored(
    profile: SiteProfile,
    raw: RawStore,
    records: RecordStore,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Parse the tenant's stored minutes answers that are new, changed, or read with another parser or
    listing context, into the record store; read nothing but the raw store."""
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
    stored = []
    for page in rows:
        if page.kind != MINUTES_KIND or not page.url.startswith(minutes_prefix):
            continue
        form = _form_of(page.url)
        council_id, schedule_id = form.get("council_id", ""), form.get("schedule_id", "")
        council = councils.get(council_id) or Council(council_id, "", None)
        schedule = schedules.get((council_id, schedule_id)) or Schedule(schedule_id, "")
        read = partial(_read, profile, raw, page, council, schedule)
        stored.append((page, _context_version(council, schedule, profile.body), read))
    return parse_pending(raw, records, stored, progress)


def _read(profile: SiteProfile, raw: RawStore, page: RawPage, council: Council, schedule: Schedule) -> Meeting:
    """Read a stored minutes answer as the meeting of its sitting's public page, filed under the profile's body."""
    url = view_url(profile, council.council_id, schedule.schedule_id)
    meeting = meeting_from_minutes(load_payload(raw.body(page), page.url), url=url, council=council, schedule=schedule)
    meeting.body = profile.body or None
    return meeting
