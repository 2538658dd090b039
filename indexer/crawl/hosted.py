"""The hosted minutes systems a profile's kind can name, each an adapter module with the same two calls:
crawl_tenant(profile, raw, fetcher, progress) -> CrawlReport, and parse_stored(profile, raw, records,
progress) -> IngestReport (offline, from the raw store)."""

from __future__ import annotations

from types import ModuleType

from indexer.crawl import dbsearch, discussnet, kensakusystem, voices

ADAPTERS: dict[str, ModuleType] = {
    "dbsearch": dbsearch,
    "discussnet": discussnet,
    "kensakusystem": kensakusystem,
    "voices": voices,
}
