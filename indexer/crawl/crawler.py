"""Crawl one site profile: follow listing pages, fetch minutes pages into the raw store."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup

from indexer.crawl.fetch import Fetcher
from indexer.crawl.profiles import SiteProfile
from indexer.parse.charset import charset_from_content_type, decode_html
from indexer.parse.pdf import is_pdf
from indexer.store.raw_store import RawStore

log = logging.getLogger(__name__)


@dataclass
class CrawlReport:
    """What a crawl did, page by page category."""

    fetched: int = 0  # 200 responses stored (listing and minutes pages)
    not_modified: int = 0  # 304 answers to conditional GETs
    new: int = 0  # minutes pages seen for the first time
    changed: int = 0  # minutes pages whose content changed
    unchanged: int = 0  # minutes pages fetched again with the same content
    gone: list[str] = field(default_factory=list)  # 404/410
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    robots_blocked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # off-site links and redirects
    ignored: int = 0  # on-site links matching neither pattern
    requests: int = 0


def extract_anchors(body: bytes, base_url: str, content_type: str | None) -> dict[str, str]:
    """Return {absolute, fragment-less link target: its link text} of a page, in order, first text kept."""
    if is_pdf(body):
        return {}  # a PDF is read as minutes, never for links
    soup = BeautifulSoup(decode_html(body, charset_from_content_type(content_type)), "lxml")
    anchors: dict[str, str] = {}
    for anchor in soup.find_all("a", href=True):
        href = cast(str, anchor["href"]).strip()  # href is single-valued: a str, never a list
        if not href or href.startswith(("mailto:", "tel:", "javascript:")):
            continue
        target = urldefrag(urljoin(base_url, href))[0]
        anchors.setdefault(target, " ".join(anchor.get_text(" ").split())[:200])
    return anchors


def extract_links(body: bytes, base_url: str, content_type: str | None) -> list[str]:
    """Return the absolute, fragment-less link targets of a page, in order, without repeats."""
    return list(extract_anchors(body, base_url, content_type))


def crawl_site(
    profile: SiteProfile, raw: RawStore, fetcher: Fetcher, progress: Callable[[str], None] | None = None
) -> CrawlReport:
    """Crawl a site: listing pages are followed for links, minutes pages are kept in the raw store."""
    report = CrawlReport()
    queue: deque[tuple[str, str, str | None]] = deque((url, "listing", None) for url in profile.start_urls)
    seen = set(profile.start_urls)
    fetched_pages = 0
    while queue and fetched_pages < profile.max_pages:
        url, kind, link_text = queue.popleft()
        if progress:
            progress(url)
        if not fetcher.robots_allows(url):
            report.robots_blocked.append(url)
            continue
        previous = raw.get(url)
        result = fetcher.fetch(
            url, etag=previous.etag if previous else None, last_modified=previous.last_modified if previous else None
        )
        fetched_pages += 1
        body = None
        if result.error:
            if "allowed hosts" in result.error:
                report.refused.append(result.error)
            else:
                report.failed.append((url, result.error))
            if previous:
                raw.mark_status(url, result.status)
            continue
        if result.status in (404, 410):
            report.gone.append(url)
            if previous:
                raw.mark_status(url, result.status)
            continue
        if result.not_modified and previous:
            report.not_modified += 1
            raw.mark_status(url, 304)
            if kind == "listing":
                body = raw.body(previous)
            else:
                continue
        elif result.ok:
            report.fetched += 1
            page, changed = raw.put(
                url,
                result.body,
                final_url=result.final_url,
                status=200,
                headers=result.headers,
                site=profile.name,
                kind=kind,
                link_text=link_text if kind == "minutes" else None,
            )
            if kind == "minutes":
                if previous is None or previous.sha256 is None:
                    report.new += 1
                elif changed:
                    report.changed += 1
                else:
                    report.unchanged += 1
                continue
            body = result.body
        else:
            report.failed.append((url, f"{url}: HTTP {result.status}"))
            continue
        content_type = (result.headers or (previous.headers if previous else {})).get("content-type")
        for link, text in extract_anchors(body, result.final_url, content_type).items():
            if link in seen:
                continue
            seen.add(link)
            if not fetcher.host_allowed(link):
                if urlsplit(link).scheme in ("http", "https", "file", "ftp"):
                    report.refused.append(link)
                continue
            if profile.is_minutes(link):
                queue.append((link, "minutes", text))
            elif profile.is_listing(link):
                queue.append((link, "listing", None))
            else:
                report.ignored += 1
    if queue:
        log.warning(
            "%s: stopped at max_pages=%d with %d URLs still queued", profile.name, profile.max_pages, len(queue)
        )
    report.requests = len(fetcher.requests)
    return report


def fetcher_for(profile: SiteProfile, **overrides) -> Fetcher:
    """Build a Fetcher with a profile's politeness settings."""
    return Fetcher(
        user_agent=profile.user_agent,
        allowed_hosts=profile.allowed_hosts,
        delay_seconds=profile.delay_seconds,
        timeout_seconds=profile.timeout_seconds,
        max_bytes=profile.max_bytes,
        retries=profile.retries,
        backoff_seconds=profile.backoff_seconds,
        **overrides,
    )
