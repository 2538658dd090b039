"""Search on Xapian: the same queries, filters, facets and results as SearchIndex, over the shard databases
`indexer.index.xapian_build` writes, opened from local folders or served by `xapian-tcpsrv`.

The query is parsed by `parse_query` as for Whoosh, and its tree is translated node for node:

- Term → the prefixed term (W Janome word, G bigram, XR/XC/XB/XY/XS for a negated filter);
- And / Or → OP_AND / OP_OR, its NOT children → OP_AND_NOT of their OR; AndMaybe → OP_AND_MAYBE;
  Every → MatchAll; a boost → OP_SCALE_WEIGHT;
- TermSequence with consecutive offsets (a phrase, an exact substring's bigrams) → OP_PHRASE, whose
  window equals its length, so the terms must stand exactly one after the other;
- TermSequence with gaps (particles or symbols dropped between Janome words) → OP_PHRASE over the whole
  span (the terms in order, anything between), then every candidate's positions are checked exactly
  against the offsets on this side and the documents that pass are required by their Q terms, so the
  matched set is Whoosh's. Inside AndMaybe's optional part, which only adds to scores, the span phrase
  is used unchecked.

Filters (role, committee, body, year, month, speaker and committee by part of the name, dates) are
boolean terms and a value range under OP_FILTER. The total and the facet counts come from one pass over
every match (check-at-least the whole collection) with a ValueCountMatchSpy per facet field (the trend
counts: one on the facet key value), so they are exact on remote shards too. What a page shows (stored
fields, the Janome words for highlights, the profiles the topic tiers read) is read from value slots: from
remote shards through a ValueCountMatchSpy over the documents' Q terms, one answer per shard, never by
fetching documents (a round trip each); from shards in this process, from each matched document.

Weighting is BM25 with Whoosh's b and k1 doubled (postings carry wdf 2, headers 1); scores differ from
Whoosh's BM25F (Xapian has one length per document, Whoosh one per field), and the leading 200 are
reordered by topic tiers (topical.py) as SearchIndex does, so the top hits largely agree.
"""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import xapian
from whoosh import query as wq

from indexer.index.generations import IndexUnavailable
from indexer.index.xapian_build import (
    FACET_KEY_FIELDS,
    FACET_SEPARATOR,
    FACET_SLOTS,
    LAYOUT_VERSION,
    PREFIXES,
    SLOT_COMMITTEE,
    SLOT_FACETS,
    SLOT_FIELDS,
    SLOT_KEY,
    SLOT_NEWEST,
    SLOT_OLDEST,
    SLOT_SPEAKER,
    SLOT_TOPIC,
    SLOT_WORDS,
    UTTERANCE_WDF,
    shard_dirs,
    term,
    unpack_fields,
    unpack_topic,
    unpack_words,
)
from indexer.search.engine import (
    FACET_FIELDS,
    MAX_LIMIT,
    NO_FILTERS,
    PROFILES_KEPT,
    RERANK_WINDOW,
    Filters,
    LRUCache,
    SearchRequest,
    SearchResult,
    _hit,
    _sorted_counts,
)
from indexer.search.highlight import StoredToken
from indexer.search.query import TEXT_FIELD, ParsedQuery, is_kanji, parse_query
from indexer.search.rescue import rescued
from indexer.search.sequences import TermSequence
from indexer.search.synonyms import Synonyms
from indexer.text import topical
from indexer.text.analysis import ANALYZER_VERSION
from indexer.text.normalize import normalize_name

log = logging.getLogger(__name__)

UNPACK: dict[int, Callable[[bytes], tuple[str, Any]]] = {
    SLOT_FIELDS: unpack_fields,
    SLOT_WORDS: unpack_words,
    SLOT_TOPIC: unpack_topic,
}

# Whoosh's BM25F has B 0.75 and K1 1.2; every posting here counts twice (wdf 2), so k1 is doubled too.
BM25 = (1.2 * UTTERANCE_WDF, 0.0, 1.0, 0.75, 0.5)  # k1, k2, k3, b, min_normlen
RECHECK_SECONDS = 2.0  # how often a thread asks whether the shards changed (reopen)
TIMEOUT_MS = 10_000  # per operation on a shard server
T = TypeVar("T")


class XapianIndex:
    """Searches Xapian shard databases: local folders or `xapian-tcpsrv` servers, one database to Enquire."""

    def __init__(self, shards: Sequence[str], synonyms: Synonyms | None = None, folder: Path | None = None):
        # Each shard is "host:port" or a folder; replicas of one shard are joined by "|" (the first that opens).
        # With a folder instead, its shard-K databases, listed again at every connection.
        self.shards = [tuple(part.strip() for part in shard.split("|") if part.strip()) for shard in shards]
        self.folder = folder
        self.synonyms = synonyms if synonyms is not None else Synonyms.load()
        self.name = "xapian:" + (str(folder) if folder else ",".join("|".join(replicas) for replicas in self.shards))
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[xapian.Database] = []
        self._epoch = 0  # bumped when the shards change; every cache key holds it
        self._parsed = LRUCache(256)
        self._results = LRUCache(256)  # (epoch, request) → SearchResult
        self._counted = LRUCache(64)  # (epoch, query, filters) → (total, facet key counts)
        self._by_field = LRUCache(64)  # (epoch, query, filters) → (total, {facet field: value counts}) of a search
        self._sequences = LRUCache(256)  # (epoch, gapped sequence) → document ids matching it exactly
        self._facts = LRUCache(16)  # (epoch, name) → lexicons and value counts over the whole collection
        self._profiles = LRUCache(PROFILES_KEPT)  # (epoch, doc id) → topical.Profile (False: a meeting header)

    @classmethod
    def open(cls, xapian_dir: Path, shards: Sequence[str] = (), synonyms: Synonyms | None = None) -> XapianIndex:
        """Return the index of the shard servers given, or of the shard folders under xapian_dir."""
        return cls(shards, synonyms) if shards else cls([], synonyms, folder=Path(xapian_dir))

    # ------------------------------------------------------------------ the databases

    def _connect(self) -> xapian.Database:
        """Open every shard (a replica that answers) and return them as one database."""
        if self.folder is not None:
            self.shards = [(str(path),) for path in shard_dirs(self.folder)]
        if not self.shards:
            raise IndexUnavailable(f"no Xapian shards in {self.folder}: run `minutes xapian-build`")
        combined = xapian.Database()
        for replicas in self.shards:
            combined.add_database(_open_shard(replicas))
        with self._lock:
            self._open.append(combined)
        return combined

    def _db(self) -> xapian.Database:
        """Return this thread's database, asking every few seconds whether the shards changed."""
        db = getattr(self._local, "db", None)
        now = time.monotonic()
        if db is None:
            db = self._local.db = self._connect()
            self._local.checked, self._local.state = now, _state(db)
        elif now - self._local.checked > RECHECK_SECONDS:
            self._local.checked = now
            db.reopen()
            state = _state(db)
            if state != self._local.state:
                self._local.state = state
                self._changed()
        return db

    def _changed(self) -> None:
        with self._lock:
            self._epoch += 1

    def _run(self, work: Callable[[xapian.Database], T]) -> T:
        """Run work on this thread's database; reopen or reconnect once if a shard changed or dropped."""
        for attempt in (0, 1):
            try:
                return work(self._db())
            except xapian.DatabaseModifiedError as error:
                if attempt:
                    raise IndexUnavailable(f"xapian: {error}") from error
                self._local.db.reopen()
                self._changed()
            except (xapian.NetworkError, xapian.DatabaseError) as error:
                self._drop()  # a shard server went away: connect again (another replica, if listed)
                if attempt:
                    raise IndexUnavailable(f"xapian: {error}") from error
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        """Forget this thread's connections."""
        db, self._local.db = getattr(self._local, "db", None), None
        if db is None:
            return
        with self._lock:
            if db in self._open:
                self._open.remove(db)
        try:
            db.close()
        except xapian.Error:
            pass

    def check(self) -> tuple[str, str | None]:
        """Open every shard now; return (the shards served, None)."""
        return self._run(lambda db: (f"{self.name} ({db.get_doccount()} documents)", None))

    def warm(self) -> int:
        """Ask the system to read local shard files into its page cache (in the background); return their bytes.
        A shard server's files are its own machine's to cache: nothing is read for them."""
        if self.folder is None:
            return 0
        size = 0
        for path in (p for shard in shard_dirs(self.folder) for p in shard.iterdir() if p.is_file()):
            with open(path, "rb") as source:
                os.posix_fadvise(source.fileno(), 0, 0, os.POSIX_FADV_WILLNEED)
            size += path.stat().st_size
        return size

    def close(self) -> None:
        """Close every thread's connection to the shards."""
        with self._lock:
            for db in self._open:
                db.close()
            self._open.clear()
        self._local = threading.local()

    # ------------------------------------------------------------------ queries

    def parse(self, request: SearchRequest) -> ParsedQuery:
        """Parse the request's query with this index's synonyms (shared: treat it as read-only)."""
        key = (request.q, request.expand, request.mode)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = parse_query(request.q, synonyms=self.synonyms, expand=request.expand, mode=request.mode)
            self._parsed.put(key, parsed)
        return parsed

    def _query(self, db: xapian.Database, parsed: ParsedQuery, filters: Filters) -> xapian.Query:
        """Return the Xapian query of a parsed query with its filters."""
        query = self._translate(db, parsed.query)
        allowed = self._filter(db, filters)
        return query if allowed is None else xapian.Query(xapian.Query.OP_FILTER, query, allowed)

    def _translate(self, db: xapian.Database, q: wq.Query, scoring_only: bool = False) -> xapian.Query:
        """Translate a Whoosh query tree; scoring_only where a part only adds to scores (AndMaybe's optional part)."""
        boost = getattr(q, "boost", 1.0)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return xapian.Query.MatchNothing
        if type(q) is wq.Term:
            return _scaled(xapian.Query(field_term(q.fieldname, q.text)), boost)
        if type(q) is wq.Every:
            return xapian.Query.MatchAll
        if type(q) is TermSequence:
            return _scaled(self._sequence(db, q, scoring_only), boost)
        if type(q) is wq.AndMaybe:
            required = self._translate(db, q.a, scoring_only)
            return _scaled(xapian.Query(xapian.Query.OP_AND_MAYBE, required, self._translate(db, q.b, True)), boost)
        if (type(q) is wq.And or type(q) is wq.Or) and len(q.subqueries) <= 1:
            # Whoosh runs a compound of one query as that query, without the compound's boost.
            return self._translate(db, q.subqueries[0], scoring_only) if q.subqueries else xapian.Query.MatchNothing
        if type(q) is wq.Or:
            children = [self._translate(db, child, scoring_only) for child in q.subqueries]
            return _scaled(xapian.Query(xapian.Query.OP_OR, children), boost)
        if type(q) is wq.And:
            positive = [self._translate(db, c, scoring_only) for c in q.subqueries if not isinstance(c, wq.Not)]
            negative = [self._translate(db, c.query, False) for c in q.subqueries if isinstance(c, wq.Not)]
            query = (
                xapian.Query(xapian.Query.OP_AND, positive)
                if len(positive) > 1
                else (positive[0] if positive else xapian.Query.MatchAll)
            )
            if negative:
                query = xapian.Query(xapian.Query.OP_AND_NOT, query, xapian.Query(xapian.Query.OP_OR, negative))
            return _scaled(query, boost)
        if isinstance(q, wq.Not):
            return xapian.Query(xapian.Query.OP_AND_NOT, xapian.Query.MatchAll, self._translate(db, q.query))
        raise TypeError(f"no Xapian translation for {type(q).__name__} ({q!r})")

    def _sequence(self, db: xapian.Database, q: TermSequence, scoring_only: bool) -> xapian.Query:
        """Match terms at fixed offsets: a phrase when they are consecutive, else checked positions."""
        terms = [field_term(q.fieldname, word) for word in q.words]
        span = q.offsets[-1] - q.offsets[0] + 1
        phrase = xapian.Query(xapian.Query.OP_PHRASE, terms, span)
        if q.offsets == list(range(len(q.words))) or scoring_only:
            return phrase
        key = (self._epoch, q.fieldname, tuple(q.words), tuple(q.offsets))
        ids = self._sequences.get(key)
        if ids is None:
            ids = self._exact_sequence(db, q, phrase)
            self._sequences.put(key, ids)
        if not ids:
            return xapian.Query.MatchNothing
        exact = xapian.Query(xapian.Query.OP_OR, [xapian.Query(term("Q", doc_id)) for doc_id in sorted(ids)])
        return xapian.Query(xapian.Query.OP_FILTER, phrase, exact)

    def _exact_sequence(self, db: xapian.Database, q: TermSequence, phrase: xapian.Query) -> frozenset[str]:
        """Return the document ids where the sequence's terms stand exactly at its offsets, checking the
        candidates the span phrase finds (its terms in order within the span)."""
        enquire = xapian.Enquire(db)
        enquire.set_query(phrase)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        found = []
        if q.fieldname == TEXT_FIELD:  # the Janome words with their positions, read in one answer per shard
            for doc_id, (terms, numbers) in _values(db, phrase, SLOT_WORDS).items():
                places: dict[str, set[int]] = {}
                for i, text in enumerate(terms):
                    places.setdefault(text, set()).add(numbers[3 * i])
                if _at_offsets(places, q.words, q.offsets):
                    found.append(doc_id)
            return frozenset(found)
        enquire.set_collapse_key(SLOT_KEY, 1)  # each candidate carries its doc id
        for item in enquire.get_mset(0, db.get_doccount()):
            places = {
                word: {p - 1 for p in db.positionlist(item.docid, field_term(q.fieldname, word))} for word in q.words
            }
            if _at_offsets(places, q.words, q.offsets):
                found.append(item.collapse_key.decode("utf-8"))
        return frozenset(found)

    def _filter(self, db: xapian.Database, filters: Filters) -> xapian.Query | None:
        """Return the boolean query of a request's filters (None for none)."""
        if filters == NO_FILTERS:
            return None
        parts = [_any_of(PREFIXES[name], values) for name, values in filters.exact()]
        for speaker in filters.speakers:
            parts.append(_any_of(PREFIXES["speaker"], self._containing(db, SLOT_SPEAKER, speaker)))
        if filters.committee_like:
            parts.append(_any_of(PREFIXES["committee"], self._containing(db, SLOT_COMMITTEE, filters.committee_like)))
        if filters.date_from or filters.date_until:
            # The value is the date and the seq ("9999…" undated): "~" sorts after every digit of the seq.
            low = filters.date_from.isoformat() if filters.date_from else "0"
            high = filters.date_until.isoformat() + "~" if filters.date_until else "9999"
            parts.append(xapian.Query(xapian.Query.OP_VALUE_RANGE, SLOT_OLDEST, low, high))
        return parts[0] if len(parts) == 1 else xapian.Query(xapian.Query.OP_AND, parts)

    def _containing(self, db: xapian.Database, slot: int, text: str) -> list[str]:
        """Return the values of a field that contain the text, variants folded (山田 finds 山田太郎)."""
        wanted = normalize_name(text)
        return [value for value in self._value_counts(db, slot) if value and wanted in normalize_name(value)]

    def _value_counts(self, db: xapian.Database, slot: int) -> dict[str, int]:
        """Return {value: documents} of a value slot over the whole collection (kept until the shards change)."""
        key = (self._epoch, "values", slot)
        counts = self._facts.get(key)
        if counts is None:
            counts, _ = _spied(db, xapian.Query.MatchAll, slot)
            self._facts.put(key, counts)
        return counts

    def _enquire(self, db: xapian.Database, query: xapian.Query, sort: str = "relevance") -> xapian.Enquire:
        enquire = xapian.Enquire(db)
        enquire.set_query(query)
        enquire.set_weighting_scheme(xapian.BM25Weight(*BM25))
        enquire.set_docid_order(xapian.Enquire.ASCENDING)
        if sort == "date_desc":
            enquire.set_sort_by_value(SLOT_NEWEST, True)  # an undated meeting comes last
        elif sort == "date_asc":
            enquire.set_sort_by_value(SLOT_OLDEST, False)  # undated sorts as 9999
        return enquire

    # ------------------------------------------------------------------ searching

    def search(self, request: SearchRequest) -> SearchResult:
        """Run one search; raises QueryError for queries a person must rephrase."""
        parsed = self.parse(request)
        return self._run(lambda db: self._search_cached(db, request, parsed))

    def _search_cached(self, db: xapian.Database, request: SearchRequest, parsed: ParsedQuery) -> SearchResult:
        key = (self._epoch, repr(request))
        result = self._results.get(key)
        if result is None:
            result = self._search(db, request, parsed)
            if result.total == 0 and request.offset == 0:
                result = self._rescued(db, request, parsed, result)
            self._results.put(key, result)
        return result

    def _search(self, db: xapian.Database, request: SearchRequest, parsed: ParsedQuery) -> SearchResult:
        limit = max(1, min(request.limit, MAX_LIMIT))
        offset = max(0, request.offset)
        filters = Filters.of(request, parsed)
        query = self._query(db, parsed, filters)
        reranked = request.sort == "relevance" and bool(parsed.patterns)
        enquire = self._enquire(db, query, request.sort)
        spies = {name: xapian.ValueCountMatchSpy(FACET_SLOTS[name]) for name in FACET_FIELDS}
        for spy in spies.values():
            enquire.add_matchspy(spy)
        if self.folder is None:
            # Every key is unique, so nothing collapses, but each hit carries its doc id (a document fetch from a
            # remote shard is a round trip). In this process reading the leading hits' ids costs less than the
            # key Xapian would read for every match.
            enquire.set_collapse_key(SLOT_KEY, 1)
        mset = enquire.get_mset(0, offset + limit + (RERANK_WINDOW if reranked else 0), db.get_doccount())
        total = spies[FACET_FIELDS[0]].get_total()
        if self.folder is None:
            keys = [item.collapse_key for item in mset]
        else:
            keys = [db.get_document(item.docid).get_value(SLOT_KEY) for item in mset]
        items = [(key.decode("utf-8"), item.weight) for key, item in zip(keys, mset)]
        docids = {doc_id: item.docid for (doc_id, _), item in zip(items, mset)}
        if reranked:
            items = self._reranked(db, items, parsed, offset + limit, docids)
        page = items[offset : offset + limit]
        fields = self._read(db, [doc_id for doc_id, _ in page], SLOT_FIELDS, docids)
        words = self._read(db, [doc_id for doc_id, _ in page], SLOT_WORDS, docids)
        wanted = _highlighted(parsed)
        hits = [_hit(fields[doc_id], weight, parsed, _tokens(words.get(doc_id), wanted)) for doc_id, weight in page]
        by_field = {name: _spy_counts(spy) for name, spy in spies.items()}
        self._by_field.put((self._epoch, repr(parsed.query), filters), (total, by_field))
        facets = {name: _sorted_counts(counts) for name, counts in by_field.items()}
        return SearchResult(request, total, hits, facets, parsed, self.name)

    def _rescued(
        self, db: xapian.Database, request: SearchRequest, parsed: ParsedQuery, empty: SearchResult
    ) -> SearchResult:
        """Return, for a search that found nothing, what SearchIndex._rescued returns: how many the filters
        excluded, or the best partial match with the words left out, and suggestions."""
        unfiltered = SearchRequest(q=request.q, expand=request.expand, mode=request.mode)
        return rescued(
            request.q,
            parsed,
            empty,
            filtered=Filters.of(request, parsed) != NO_FILTERS,
            count_unfiltered=lambda: self._matched(db, unfiltered, replace(parsed, filters={}))[0],
            count=lambda p: self._matched(db, request, p)[0],
            search=lambda p: self._search(db, request, p),
            lexicon=_Words(self, db),
            synonyms=self.synonyms,
        )

    def _matched(self, db: xapian.Database, request: SearchRequest, parsed: ParsedQuery) -> tuple[int, Counter]:
        """Return (total, facet key counts) of every match of a request."""
        filters = Filters.of(request, parsed)
        key = (self._epoch, repr(parsed.query), filters)
        found = self._counted.get(key)
        if found is None:
            counts, total = _spied(db, self._query(db, parsed, filters), SLOT_FACETS)
            found = (total, Counter(counts))
            self._counted.put(key, found)
        return found

    def counts(self, request: SearchRequest, fields: tuple[str, ...]) -> Counter:
        """Count every match by the values of facet fields (one field: values; several: tuples)."""
        parsed = self.parse(request)
        if len(fields) == 1:  # a page's default chart (by year): the search it shows has counted it
            searched = self._by_field.get((self._epoch, repr(parsed.query), Filters.of(request, parsed)))
            if searched is not None and fields[0] in searched[1]:
                total, by_field = searched
                counts = Counter(by_field[fields[0]])
                if total > sum(counts.values()):  # a document holds one value of a field or none
                    counts[""] = total - sum(counts.values())
                return counts
        _, combos = self._run(lambda db: self._matched(db, request, parsed))
        return _projected(combos, fields)

    def ranked_ids(self, request: SearchRequest, limit: int | None = None) -> list[tuple[str, int]]:
        """Return (meeting id, seq) of every match in rank order (or the first limit)."""
        parsed = self.parse(request)

        def ranked(db: xapian.Database) -> list[tuple[str, int]]:
            enquire = self._enquire(db, self._query(db, parsed, Filters.of(request, parsed)), request.sort)
            enquire.set_collapse_key(SLOT_KEY, 1)  # every key is unique: nothing collapses, each hit carries its doc id
            mset = enquire.get_mset(0, db.get_doccount() if limit is None else limit)
            items = [(item.collapse_key.decode("utf-8"), item.weight) for item in mset]
            if request.sort == "relevance" and parsed.patterns:
                items = self._reranked(db, items, parsed, len(items))
            return [_key(doc_id) for doc_id, _ in items]

        return self._run(ranked)

    @contextmanager
    def exported(self, request: SearchRequest, cap: int) -> Iterator[tuple[int, Iterator[dict]]]:
        """Yield (total, stored documents) of up to cap matches in the request's order (by BM25 alone for relevance)."""
        parsed = self.parse(request)

        def matches(db: xapian.Database) -> tuple[int, list[dict]]:
            enquire = self._enquire(db, self._query(db, parsed, Filters.of(request, parsed)), request.sort)
            enquire.set_collapse_key(SLOT_KEY, 1)
            spy = xapian.ValueCountMatchSpy(SLOT_FACETS)  # counts every match: the total
            enquire.add_matchspy(spy)
            mset = enquire.get_mset(0, cap, db.get_doccount())
            order = [item.collapse_key.decode("utf-8") for item in mset]
            fields = self._read(db, order, SLOT_FIELDS)
            return spy.get_total(), [fields[doc_id] for doc_id in order]

        total, docs = self._run(matches)
        yield total, iter(docs)

    # ------------------------------------------------------------------ documents and lists

    def _reranked(
        self,
        db: xapian.Database,
        items: list[tuple[str, float]],
        parsed: ParsedQuery,
        count: int,
        docids: dict[str, int] | None = None,
    ) -> list[tuple[str, float]]:
        """Return the first count of (doc id, weight) in rank order by relevance, the leading matches weighed
        by how much each is about the topic, as SearchIndex._ranked does (see topical.py; each utterance's
        profile was read at build time)."""
        leading = [doc_id for doc_id, _ in items[:RERANK_WINDOW]]
        profiles = {doc_id: self._profiles.get((self._epoch, doc_id)) for doc_id in leading}
        unknown = [doc_id for doc_id, found in profiles.items() if found is None]
        read = self._read(db, unknown, SLOT_TOPIC, docids)
        for doc_id in unknown:
            profiles[doc_id] = found = read.get(doc_id, False)  # a meeting's header has none
            self._profiles.put((self._epoch, doc_id), found)
        needles = [needle for needle, _ in parsed.substrings if len(needle) >= 2]
        weights = {
            doc_id: topical.tier(found, topical.mentions(found, needles)) for doc_id, found in profiles.items() if found
        }
        plain = (topical.DISCUSSION, 1.0)

        def key(ranked: tuple[int, tuple[str, float]]) -> tuple[int, float, int]:
            rank, (doc_id, weight) = ranked
            tier, factor = weights.get(doc_id, plain)
            return tier, -weight * factor, rank

        return [item for _, item in heapq.nsmallest(count, enumerate(items), key=key)]

    def _read(
        self, db: xapian.Database, doc_ids: Sequence[str], slot: int, docids: dict[str, int] | None = None
    ) -> dict[str, Any]:
        """Return {doc id: value} of a packed value slot for documents named by id, in one answer per shard; with
        their Xapian docids (from the search's matches) and the shards in this process, from each document."""
        if not doc_ids:
            return {}
        if docids is not None and self.folder is not None:
            unpack = UNPACK[slot]
            values = (db.get_document(docids[doc_id]).get_value(slot) for doc_id in doc_ids)
            return dict(unpack(value) for value in values if value)
        wanted = xapian.Query(xapian.Query.OP_OR, [xapian.Query(term("Q", doc_id)) for doc_id in doc_ids])
        return _values(db, wanted, slot)

    def meeting_headers(self, meeting_ids: list[str]) -> dict[str, dict]:
        """Return the stored header document (title, committee, date …) of each meeting that has one."""
        if not meeting_ids:
            return {}
        docs = self._run(lambda db: self._read(db, [f"{mid}:0" for mid in meeting_ids], SLOT_FIELDS))
        return {doc["meeting_id"]: doc for doc in docs.values()}

    def meeting_documents(self, meeting_id: str, tokens: bool = False) -> list[dict]:
        """Return every stored document of one meeting in order (header first); with tokens, each
        carries its terms under "_tokens" for highlighting."""

        def read(db: xapian.Database) -> list[dict]:
            query = xapian.Query(term("XI", meeting_id))
            docs = _values(db, query, SLOT_FIELDS)
            if tokens:
                words = _values(db, query, SLOT_WORDS)
                for doc_id, doc in docs.items():
                    doc["_tokens"] = _tokens(words.get(doc_id))
            return list(docs.values())

        return sorted(self._run(read), key=lambda d: d["seq"])

    def speakers(self, contains: str = "") -> list[tuple[str, int]]:
        """Return (speaker name, utterance count) for every speaker whose name contains the text."""
        wanted = normalize_name(contains) if contains else ""
        counts = self._run(lambda db: self._value_counts(db, SLOT_SPEAKER))
        return sorted(
            ((n, c) for n, c in counts.items() if n and wanted in normalize_name(n)), key=lambda x: (-x[1], x[0])
        )

    def speaker_documents(self, name: str) -> list[dict]:
        """Return the stored documents of one speaker's utterances, newest first."""
        docs = self._run(lambda db: _values(db, xapian.Query(term("XS", name)), SLOT_FIELDS))
        return _newest_first(docs.values())

    def bodies(self) -> list[tuple[str, int]]:
        """Return (body, meeting count) for every city, town or assembly, most meetings first."""
        combos = self._run(lambda db: Counter(_spied(db, xapian.Query(term("XK", "meeting")), SLOT_FACETS)[0]))
        return sorted(_projected(combos, ("body",)).items(), key=lambda kv: (-kv[1], kv[0]))

    def all_meetings(self) -> list[dict]:
        """Return every meeting's header document, newest first."""
        return _newest_first(
            self._run(lambda db: _values(db, xapian.Query(term("XK", "meeting")), SLOT_FIELDS)).values()
        )

    def _word_list(self, db: xapian.Database, length: int) -> list[str]:
        """Return the index's Janome words of a length (read once until the shards change)."""
        key = (self._epoch, "words")
        by_length: dict[int, list[str]] | None = self._facts.get(key)
        if by_length is None:
            by_length = {}
            prefix = PREFIXES["text"]
            for item in db.allterms(prefix):
                word = item.term.decode("utf-8")[len(prefix) :]
                by_length.setdefault(len(word), []).append(word)
            self._facts.put(key, by_length)
        return by_length.get(length, [])


class _Words:
    """The Janome words of the shards, as zero-hit suggestions look them up."""

    def __init__(self, index: XapianIndex, db: xapian.Database):
        self.index, self.db = index, db

    def frequency(self, text: str) -> int:
        return self.db.get_termfreq(field_term(TEXT_FIELD, text))

    def near(self, text: str) -> list[str]:
        return [word for word in self.index._word_list(self.db, len(text)) if _one_edit(word, text)]


def field_term(fieldname: str, text: str) -> str:
    """Return the Xapian term of a schema field's term."""
    prefix = PREFIXES.get(fieldname)
    if prefix is None:
        raise TypeError(f"no Xapian prefix for the field {fieldname!r}")
    return term(prefix, text)


def _open_shard(replicas: tuple[str, ...]) -> xapian.Database:
    """Open the first replica of a shard that answers and was written by this analyzer and layout."""
    problems = []
    for place in replicas:
        try:
            host, _, port = place.rpartition(":")
            if host and port.isdigit() and not Path(place).exists():
                db = xapian.remote_open(host, int(port), TIMEOUT_MS)
            else:
                db = xapian.Database(place)
        except xapian.Error as error:
            problems.append(f"{place}: {error}")
            continue
        analyzer = db.get_metadata("minutes.analyzer_version").decode("utf-8")
        layout = db.get_metadata("minutes.layout_version").decode("utf-8")
        if (analyzer, layout) != (ANALYZER_VERSION, LAYOUT_VERSION):
            db.close()
            problems.append(
                f"{place} was written by analyzer {analyzer or '?'} layout {layout or '?'}, this is "
                f"{ANALYZER_VERSION} layout {LAYOUT_VERSION}: run `minutes xapian-build`"
            )
            continue
        return db
    raise IndexUnavailable("no replica of a Xapian shard could be opened: " + "; ".join(problems))


def _state(db: xapian.Database) -> tuple:
    """Return what changes when a shard is rebuilt or updated."""
    return db.get_uuid(), db.get_doccount(), db.get_lastdocid(), db.get_total_length()


def _scaled(query: xapian.Query, boost: float) -> xapian.Query:
    return query if boost == 1.0 else xapian.Query(xapian.Query.OP_SCALE_WEIGHT, query, boost)


def _any_of(prefix: str, values: Sequence[str]) -> xapian.Query:
    if not values:
        return xapian.Query.MatchNothing
    return xapian.Query(xapian.Query.OP_OR, [xapian.Query(term(prefix, value)) for value in values])


def _at_offsets(places: dict[str, set[int]], words: list[str], offsets: list[int]) -> bool:
    """Tell whether every word stands at its offset from some position of the first."""
    first = places.get(words[0], set())
    rest = list(zip(words[1:], offsets[1:]))
    return any(all(p + offset - offsets[0] in places.get(word, ()) for word, offset in rest) for p in first)


def _spy_over(db: xapian.Database, query: xapian.Query, slot: int) -> xapian.ValueCountMatchSpy:
    """Return a spy that has seen a value slot of every document a query matches (nothing scored or ranked)."""
    enquire = xapian.Enquire(db)
    enquire.set_query(query)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    spy = xapian.ValueCountMatchSpy(slot)
    enquire.add_matchspy(spy)
    enquire.get_mset(0, 0, db.get_doccount())
    return spy


def _spied(db: xapian.Database, query: xapian.Query, slot: int) -> tuple[dict[str, int], int]:
    """Return ({value: matches}, total matches) of a query, counted over every match."""
    spy = _spy_over(db, query, slot)
    return _spy_counts(spy), spy.get_total()


def _spy_counts(spy: xapian.ValueCountMatchSpy) -> Counter:
    return Counter({item.term.decode("utf-8"): item.termfreq for item in spy.values()})


def _projected(combos: Counter, fields: tuple[str, ...]) -> Counter:
    """Return facet key counts summed by some of the facet fields (one field: values; several: tuples)."""
    try:
        indexes = [FACET_KEY_FIELDS.index(name) for name in fields]
    except ValueError as error:
        raise ValueError(f"the Xapian backend counts only by {', '.join(FACET_KEY_FIELDS)}: {fields}") from error
    out: Counter = Counter()
    for key, count in combos.items():
        values = key.split(FACET_SEPARATOR)
        out[values[indexes[0]] if len(indexes) == 1 else tuple(values[i] for i in indexes)] += count
    return out


def _key(doc_id: str) -> tuple[str, int]:
    meeting_id, _, seq = doc_id.rpartition(":")
    return meeting_id, int(seq)


def _values(db: xapian.Database, query: xapian.Query, slot: int) -> dict[str, Any]:
    """Return {doc id: value} of the fields or words slot for every document a query matches: a
    ValueCountMatchSpy brings them in one answer per shard (fetching each document would cost a round trip each)."""
    unpack = UNPACK[slot]
    return dict(unpack(item.term) for item in _spy_over(db, query, slot).values())


def _tokens(
    words: tuple[list[str], array] | None, wanted: tuple[frozenset[str], tuple[str, ...]] | None = None
) -> list[StoredToken] | None:
    """Return a document's Janome words as the highlighter takes them (None when its text has none); with
    wanted (exact words, beginnings), only those words and the words so beginning (a long speech has
    thousands; a query's highlights need a few)."""
    if not words or not words[0]:
        return None
    terms, numbers = words
    if wanted is None:
        kept = set(terms)
    else:
        exact, starts = wanted
        distinct = set(terms)
        kept = distinct & exact
        if starts:
            kept.update(text for text in distinct if text.startswith(starts))
    return [
        StoredToken(text, numbers[3 * i], numbers[3 * i + 1], numbers[3 * i + 2])
        for i, text in enumerate(terms)
        if text in kept
    ]


def _highlighted(parsed: ParsedQuery) -> tuple[frozenset[str], tuple[str, ...]]:
    """Return which words a query's highlights need, as engine.stored_tokens reads them from a term vector:
    the terms of its patterns and, for exact text that must begin a word, its prefixes and the words beginning
    like it (with one kanji and then kana, every word beginning with the kanji): (words, beginnings)."""
    exact = {text for pattern in parsed.patterns for text, _ in pattern}
    prefixes = set()
    for needle, word_start in parsed.substrings:
        if word_start and needle:
            exact.update(needle[:j] for j in range(1, len(needle) + 1))
            prefixes.add(needle[:2] if len(needle) > 1 and (needle[1].isascii() or is_kanji(needle[1])) else needle[0])
    return frozenset(exact), tuple(prefixes)


def _newest_first(docs: Iterable[dict]) -> list[dict]:
    """Return stored documents by date, newest first (undated last), then by seq."""
    by_seq = sorted(docs, key=lambda d: (d["seq"], d.get("meeting_id", "")))
    return sorted(by_seq, key=lambda d: d.get("date") or "", reverse=True)  # stable: seq order kept within a date


def _one_edit(word: str, text: str) -> bool:
    """Tell whether two words of one length differ by one character or by two neighbours swapped."""
    differ = [i for i, (a, b) in enumerate(zip(word, text)) if a != b]
    if len(differ) == 1:
        return True
    i = differ[0] if len(differ) == 2 else -1
    return len(differ) == 2 and differ[1] == i + 1 and word[i] == text[i + 1] and word[i + 1] == text[i]
