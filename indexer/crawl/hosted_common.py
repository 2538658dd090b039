"""What the hosted systems' adapters share: the walk over a tenant (robots.txt or the operator's permission,
conditional fetches into the raw store, the request budget, which sittings to fetch) and the parsing of what
it stored."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from indexer.crawl.crawler import CrawlReport
from indexer.crawl.fetch import Fetcher
from indexer.crawl.profiles import SiteProfile
from indexer.records import Meeting
from indexer.store.ingest import IngestReport, parse_into
from indexer.store.raw_store import RawPage, RawStore
from indexer.store.record_store import RecordStore


class Refused(Exception):
    """robots.txt forbids a path the crawl needs and the profile holds no permission."""


class Listed(Protocol):
    """A listing's entry for one sitting (or document), whose fingerprint changes when the entry does."""

    def fingerprint(self) -> str: ...


def refusal_message(profile: SiteProfile, url: str, what: str) -> str:
    """Say that robots.txt forbids url's path, what is there (what), and what the operator can do about it."""
    return (
        f"site {profile.name}: robots.txt of {profile.base_url} disallows {urlsplit(url).path}, {what}; nothing "
        f"was fetched from it. Ask the operator (the body, e.g. its assembly secretariat, or the system's vendor) "
        f'for consent, then record it in the site\'s profile as permission = "who granted it, when"'
    )


def context_version(parser_version: str, context: str) -> str:
    """Return the parser version stored beside a parsed sitting: the parser's, and a hash of the context
    (listing entry, body …) it was read in, so a change of either re-parses the sitting."""
    return f"{parser_version}+{hashlib.sha256(context.encode('utf-8')).hexdigest()[:10]}"


def _due(page: RawPage, recheck_days: float) -> bool:
    """Tell whether a stored answer is old enough to be fetched again."""
    try:
        fetched = datetime.fromisoformat(page.fetched_at)
    except ValueError:
        return True
    return (datetime.now(UTC) - fetched).total_seconds() >= recheck_days * 86400


@dataclass
class Answer:
    """What one request gave: the body (stored, or the stored one on a 304) and its type, or None on failure."""

    body: bytes | None
    content_type: str | None = None
    not_modified: bool = False
    changed: bool = False


@dataclass
class Walk:
    """One run over a tenant: its profile, stores, fetcher and the report being filled. An adapter subclasses
    it to say what its system serves where (for a refusal) and, where the system asks, how answers are kept."""

    profile: SiteProfile
    raw: RawStore
    fetcher: Fetcher
    report: CrawlReport
    progress: Callable[[str], None] | None
    calls: int = 0

    @property
    def log(self) -> logging.Logger:
        """Return the adapter's logger (its module's), under which a run's warnings are filed."""
        return logging.getLogger(type(self).__module__)

    # -- what an adapter may say or change ---------------------------------------------------------------

    def served(self, path: str) -> str:
        """Say what the system serves at a path robots.txt forbids, for the refusal."""
        return "which the crawl needs"

    def named(self, key: str, url: str) -> str:
        """Return how a failed request is named in its reason (the key it is stored under)."""
        return key

    def stored_final_url(self, key: str, url: str, final_url: str) -> str:
        """Return the final url kept beside an answer: its key when no redirect was followed."""
        return key if final_url == url else final_url

    def rejected(self, key: str, url: str, body: bytes) -> str | None:
        """Return why a 200 answer is a failure and not to be stored (the system's error page), or None."""
        return None

    def changed(self, answer: Answer, stored: RawPage) -> bool:
        """Tell whether minutes fetched again say something else than the stored ones."""
        return answer.changed

    # -- the walk ----------------------------------------------------------------------------------------

    def run(self, where: str, data_urls: list[str], walk: Callable[[], None]) -> CrawlReport:
        """Walk the tenant with walk() and return the report: first log the operator's permission (and whether
        robots.txt disallows any of data_urls), or else refuse before fetching anything when robots.txt forbids
        the first of them; a refusal, then or later, is reported as a failure at where."""
        profile = self.profile
        if profile.permission:
            forbidden = not all(self.fetcher.robots_allows(url) for url in data_urls)
            self.log.warning(
                "site %s: crawling %s%s with the permission of %s",
                profile.name,
                where,
                " (robots.txt disallows it)" if forbidden else "",
                profile.permission,
            )
        try:
            self.allowed(data_urls[0])  # the data path first: refuse before fetching anything else
            walk()
        except Refused as refusal:
            self.report.failed.append((where, str(refusal)))
        self.report.requests = len(self.fetcher.requests)
        return self.report

    def allowed(self, url: str) -> None:
        """Raise Refused when robots.txt forbids url and the profile holds no permission."""
        if self.profile.permission or self.fetcher.robots_allows(url):
            return
        self.report.robots_blocked.append(url)
        raise Refused(refusal_message(self.profile, url, self.served(urlsplit(url).path)))

    def budget_left(self) -> bool:
        """Tell whether max_pages leaves room for another request."""
        return self.calls < self.profile.max_pages

    def warn_if_spent(self) -> None:
        """Log that the run stopped at max_pages, when it has."""
        if not self.budget_left():
            self.log.warning("%s: stopped at max_pages=%d requests", self.profile.name, self.profile.max_pages)

    def get(
        self, key: str, url: str, kind: str, link_text: str | None = None, form: dict[str, str] | None = None
    ) -> Answer:
        """Fetch url (POST form when given) with the validators of the page stored under key; keep a 200 there."""
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
            return Answer(self.raw.body(previous), previous.content_type, not_modified=True)
        if not result.ok:
            self.report.failed.append((key, result.error or f"{self.named(key, url)}: HTTP {result.status}"))
            if previous:
                self.raw.mark_status(key, result.status)
            return Answer(None)
        reason = self.rejected(key, url, result.body)
        if reason:
            self.report.failed.append((key, reason))
            return Answer(None)
        self.report.fetched += 1
        _page, changed = self.raw.put(
            key,
            result.body,
            final_url=self.stored_final_url(key, url, result.final_url),
            headers=result.headers,
            site=self.profile.name,
            kind=kind,
            link_text=link_text,
        )
        return Answer(result.body, result.headers.get("content-type"), changed=changed)

    def minutes(
        self,
        key: str,
        url: str,
        kind: str,
        listed: Listed,
        listed_before: Listed | None,
        link_text: str,
        form: dict[str, str] | None = None,
    ) -> None:
        """Fetch a sitting's minutes when they are new, listed otherwise than before (listed_before), or due for
        a recheck, and count them as new, changed or unchanged."""
        stored = self.raw.get(key)
        known = stored is not None and stored.sha256 is not None
        if known and stored is not None:
            relisted = listed_before is not None and listed_before.fingerprint() != listed.fingerprint()
            if not relisted and not _due(stored, self.profile.recheck_days):
                return
        answer = self.get(key, url, kind, link_text=link_text, form=form)
        if answer.body is None or answer.not_modified:
            return
        if not known or stored is None:
            self.report.new += 1
        elif self.changed(answer, stored):
            self.report.changed += 1
        else:
            self.report.unchanged += 1


def parse_pending(
    raw: RawStore,
    records: RecordStore,
    stored: Iterable[tuple[RawPage, str, Callable[[], Meeting]]],
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Parse, of the stored minutes (page, the parser version its context asks for, how to read it), those
    never parsed or parsed with another version, into the record store, calling progress(done, total)."""
    pending = [(p, v, read) for p, v, read in stored if p.parse_status == "pending" or p.parser_version != v]
    report = IngestReport()
    if progress and pending:
        progress(0, len(pending))
    for done, (page, version, read) in enumerate(pending, 1):
        parse_into(raw, records, report, page.url, version, read)
        if progress:
            progress(done, len(pending))
    return report
