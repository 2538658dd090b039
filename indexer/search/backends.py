"""The search-backend seam: what the CLI, the web pages and the API call on a search engine, and the
one place that picks the engine from configuration.

Two engines answer it: `SearchIndex` (engine.py), Whoosh embedded in the process, the default; and
`XapianIndex` (xapian_engine.py), Xapian shard databases opened locally or served by `xapian-tcpsrv`
(README "Beyond one machine"). Both take the same ParsedQuery and return the same shapes; the choice is
passed in (a Settings path, the app's BACKEND config, `minutes search --backend`), never read here
from the environment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from indexer.search.engine import SearchIndex, SearchRequest, SearchResult
from indexer.search.query import ParsedQuery
from indexer.search.synonyms import Synonyms
from indexer.settings import Settings

BACKENDS = ("whoosh", "xapian")


class SearchBackend(Protocol):
    """A search engine as the CLI, the pages and the API use it."""

    def search(self, request: SearchRequest) -> SearchResult:
        """Run one search (a page of hits, the total, facet counts); raise QueryError for a bad query."""
        ...

    def ranked_ids(self, request: SearchRequest, limit: int | None = None) -> list[tuple[str, int]]:
        """Return (meeting id, seq) of every match (or the first limit) in rank order."""
        ...

    def counts(self, request: SearchRequest, fields: tuple[str, ...]) -> Counter:
        """Count every match by the values of facet fields (one field: values; several: tuples)."""
        ...

    def meeting_headers(self, meeting_ids: list[str]) -> dict[str, dict]:
        """Return the stored header document of each meeting that has one."""
        ...

    def meeting_documents(self, meeting_id: str, tokens: bool = False) -> list[dict]:
        """Return every stored document of one meeting, header first; with tokens, "_tokens" for highlights."""
        ...

    def exported(self, request: SearchRequest, cap: int) -> AbstractContextManager[tuple[int, Iterator[dict]]]:
        """Yield (total, stored documents of up to cap matches in the request's order)."""
        ...

    def speakers(self, contains: str = "") -> list[tuple[str, int]]:
        """Return (speaker, utterance count) of every speaker whose name contains the text."""
        ...

    def speaker_documents(self, name: str) -> list[dict]:
        """Return one speaker's stored utterances, newest first."""
        ...

    def all_meetings(self) -> list[dict]:
        """Return every meeting's header document, newest first."""
        ...

    def bodies(self) -> list[tuple[str, int]]:
        """Return (body, meeting count), most meetings first."""
        ...

    def parse(self, request: SearchRequest) -> ParsedQuery:
        """Parse the request's query with the engine's synonyms."""
        ...

    def check(self) -> tuple[str, str | None]:
        """Open the index now; return (what is served, why the newest was passed over or None)."""
        ...

    def warm(self) -> int:
        """Read what searches will need ahead of them; return how much was read."""
        ...

    def close(self) -> None:
        """Release what the engine holds open."""
        ...


def open_backend(
    settings: Settings,
    kind: str = "whoosh",
    *,
    shards: Sequence[str] = (),
    warm_ahead: bool = False,
    synonyms: Synonyms | None = None,
) -> SearchBackend:
    """Return the search engine of a kind: "whoosh" over settings.index_dir, or "xapian" over the shard
    servers given ("host:port", replicas of one shard joined by "|") or, with none given, the shard
    databases under settings.xapian_dir."""
    synonyms = synonyms if synonyms is not None else Synonyms.load(settings.synonyms_path)
    if kind == "whoosh":
        return SearchIndex(settings.index_dir, synonyms=synonyms, warm_ahead=warm_ahead)
    if kind == "xapian":
        from indexer.search.xapian_engine import XapianIndex  # needs the optional xapian bindings

        index = XapianIndex.open(settings.xapian_dir, shards=shards, synonyms=synonyms)
        if warm_ahead:
            index.warm()
        return index
    raise ValueError(f"unknown search backend {kind!r}: choose one of {', '.join(BACKENDS)}")


def shard_list(value: str | Sequence[str] | None) -> list[str]:
    """Return the shard servers of a setting: "host:port,host:port" or a list of them."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]
