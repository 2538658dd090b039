"""The search library: one function behind the CLI, the web pages and the API."""

from __future__ import annotations

import heapq
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh import sorting
from whoosh.idsets import DocIdSet

from indexer.index import whoosh_compat
from indexer.index.generations import current_generation, open_best_generation
from indexer.index.schema import NO_ROLE
from indexer.search import evaluate, postings
from indexer.search.highlight import match_spans, snippet_around, tokens_from_vector
from indexer.search.query import ParsedQuery, is_kanji, parse_query
from indexer.search.rescue import Rescue, WhooshWords, rescued
from indexer.search.synonyms import Synonyms
from indexer.text import topical
from indexer.text.normalize import normalize_name

log = logging.getLogger(__name__)

FACET_FIELDS = ("body", "role", "committee", "year")
SORTS = ("relevance", "date_desc", "date_asc")
MAX_LIMIT = 100
RERANK_WINDOW = 200  # leading matches weighed by topic; the rest keep their BM25 order below them
PROFILES_KEPT = 50_000  # utterance profiles (folded text and flags) kept per generation for that weighing


@dataclass
class SearchRequest:
    """What to search for: the query text, filters, order and the page wanted."""

    q: str = ""
    roles: list[str] = field(default_factory=list)
    committees: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)  # cities, towns, assemblies
    years: list[str] = field(default_factory=list)
    months: list[str] = field(default_factory=list)  # "YYYY-MM"
    committee_like: str | None = None  # part of a committee name (the NDL API's nameOfMeeting)
    speaker: str | None = None
    date_from: date | None = None
    date_until: date | None = None
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    expand: bool = True  # apply synonyms and abbreviations
    mode: str = "final"  # matching mode, see indexer.search.query.MODES


@dataclass
class Hit:
    """One matching utterance (seq 0 is the meeting's header: title, committee, agenda)."""

    meeting_id: str
    seq: int
    kind: str
    role: str | None
    speaker: str | None
    label: str | None
    committee: str
    date: str
    title: str
    url: str
    text: str
    body: str
    snippet: str
    score: float | None
    spans: list[tuple[int, int]] = field(default_factory=list, repr=False)  # where text matches

    def to_json(self) -> dict:
        """Return the hit in the shape of `minutes search --json`."""
        return {
            "meeting_id": self.meeting_id,
            "seq": self.seq,
            "role": self.role,
            "speaker": self.speaker,
            "committee": self.committee,
            "body": self.body,
            "date": self.date,
            "title": self.title,
            "url": self.url,
            "snippet": self.snippet,
        }


@dataclass
class SearchResult:
    """A page of hits, the total, and facet counts over every matching utterance."""

    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    parsed: ParsedQuery
    generation: str
    rescue: Rescue | None = None  # set when every word together found nothing and fewer words are shown

    def to_json(self) -> dict:
        """Return `{total, hits, facets}` as printed by `minutes search --json`, with `reading` when the
        query was read as content words and `rescue` when it found nothing as typed."""
        out: dict[str, Any] = {"total": self.total, "hits": [h.to_json() for h in self.hits], "facets": self.facets}
        if self.parsed.readings:
            out["reading"] = [{"text": r.text, "words": list(r.words)} for r in self.parsed.readings]
        if self.rescue is not None:
            out["rescue"] = self.rescue.to_json()
        return out


class LRUCache:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """Return the cached value or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value) -> None:
        """Cache a value, dropping the least recently used beyond the size."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()


class Generation:
    """One open index generation: a searcher per thread, column values by document number, and
    what searches on it have cached (filters, matching documents, results)."""

    def __init__(self, ix, name: str):
        self.ix = ix
        self.name = name
        self.users = 0  # searches running on it; SearchIndex closes a retired generation at 0
        self.retired = False
        self._local = threading.local()
        self._lock = threading.Lock()
        self._searchers: list = []
        self._columns: dict[str, tuple] = {}
        self._headers: dict[str, int] | None = None
        self.filters = LRUCache(128)  # filter key → AllowedDocs
        self.matches = LRUCache(64)  # (query, filter key) → matching document numbers
        self.results = LRUCache(256)  # request → SearchResult
        self.profiles = LRUCache(PROFILES_KEPT)  # document number → topical.Profile (False: a meeting header)

    def searcher(self):
        """Return this thread's searcher, opened on first use and kept until the generation closes
        (opening one reads each segment's term index: milliseconds that every search would pay)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = self.ix.searcher()
            with self._lock:
                self._searchers.append(searcher)
        return searcher

    def column(self, fieldname: str) -> tuple:
        """Return a sortable field's value for every document number, read once per generation."""
        values = self._columns.get(fieldname)
        if values is None:
            # A tuple of strings drops out of the cyclic garbage collector's sight; a list would be
            # walked, item by item, on every full collection.
            values = tuple(self.searcher().reader().column_reader(fieldname))
            self._columns[fieldname] = values
        return values

    def profile(self, docnum: int) -> topical.Profile | None:
        """Return what an utterance is (topical.profile), read once per generation; None for a header."""
        found = self.profiles.get(docnum)
        if found is None:
            doc = self.searcher().stored_fields(docnum)
            found = False if doc.get("kind") == "meeting" else topical.profile(doc.get("text") or "", doc.get("role"))
            self.profiles.put(docnum, found)
        return found or None

    def header_numbers(self) -> dict[str, int]:
        """Return each meeting's header document number (seq 0), found once per generation."""
        if self._headers is None:
            reader = self.searcher().reader()
            self._headers = {
                mid: d
                for d, (mid, seq) in enumerate(zip(self.column("meeting_id"), self.column("seq")))
                if seq == 0 and not reader.is_deleted(d)
            }
        return self._headers

    def warm(self) -> int:
        """Read the most frequent terms' postings ahead of the searches that will need them."""
        searcher = self.searcher()
        segments = searcher.subsearchers or [(searcher, 0)]
        total = max(1, searcher.doc_count_all())
        budget = postings.POSTINGS_BUDGET * postings.WARM_SHARE
        return sum(
            postings.warm(sub.reader(), ("text_ngram", "text"), int(budget * sub.doc_count_all() / total))
            for sub, _ in segments
        )

    def close(self) -> None:
        """Close every thread's searcher and the index."""
        with self._lock:
            for searcher in self._searchers:
                searcher.close()
            self._searchers.clear()
        self.ix.close()


class AllowedDocs(DocIdSet):
    """The documents a request's filters allow, tested on cached column values only for the
    documents a search meets, so a new date range costs nothing to set up."""

    def __init__(self, checks: list[tuple[Sequence[Any], frozenset[str] | tuple[str, str]]]):
        # (values by document number, a set of allowed values or a (low, high) range)
        self._sets = [(values, allowed) for values, allowed in checks if not isinstance(allowed, tuple)]
        self._ranges = [(values, *bounds) for values, bounds in checks if isinstance(bounds, tuple)]

    def __contains__(self, docnum: int) -> bool:
        for values, low, high in self._ranges:
            if not low <= values[docnum] <= high:
                return False
        for values, allowed in self._sets:
            if values[docnum] not in allowed:
                return False
        return True

    def __bool__(self) -> bool:
        return True  # Whoosh skips a filter that is falsy


class SearchIndex:
    """Searches the current index generation, reopening when a reindex switches generations."""

    def __init__(self, index_dir: Path, synonyms: Synonyms | None = None, warm_ahead: bool = False):
        self.index_dir = Path(index_dir)
        self.synonyms = synonyms if synonyms is not None else Synonyms.load()
        self.warm_ahead = warm_ahead  # read common terms in the background whenever a generation opens
        self._lock = threading.Lock()
        self._current: Generation | None = None
        self._marker: str | None = None  # what CURRENT said when the open generation was chosen
        self.problem: str | None = None  # why the current generation is not the one served
        self._parsed = LRUCache(256)  # (query text, expand, mode) → ParsedQuery; a page parses it 2-3 times

    @contextmanager
    def _generation(self):
        """Yield the generation to search, switching first if CURRENT changed."""
        marker = current_generation(self.index_dir)
        with self._lock:
            if self._current is None or marker != self._marker:
                ix, name, problem = open_best_generation(self.index_dir)
                old, self._current, self._marker = self._current, Generation(ix, name), marker
                self.problem = problem
                if self.warm_ahead:
                    threading.Thread(target=self._warm, args=(self._current,), daemon=True, name=f"warm {name}").start()
                if old is not None:
                    self._retire(old)
            generation = self._current
            generation.users += 1
        with self._holding(generation):
            yield generation

    @contextmanager
    def _holding(self, generation: Generation):
        """Release a generation taken for one search; a generation replaced while searches still ran
        on it is closed when the last of them ends."""
        try:
            yield generation
        finally:
            with self._lock:
                generation.users -= 1
                if generation.retired and generation.users == 0:
                    generation.close()

    @staticmethod
    def _retire(generation: Generation) -> None:
        """Mark a generation replaced (call with the lock held); close it now if no search uses it."""
        generation.retired = True
        if generation.users == 0:
            generation.close()

    def _warm(self, generation: Generation) -> None:
        with self._lock:
            if generation.retired:
                return
            generation.users += 1
        with self._holding(generation):
            try:
                read = generation.warm()
                log.info("read %d postings of %s ahead", read, generation.name)
            except Exception:  # a cache that is not warmed only makes searches slower
                log.exception("warming %s failed", generation.name)

    def warm(self) -> int:
        """Read the current generation's most frequent terms into memory now; return how many postings."""
        with self._generation() as generation:
            return generation.warm()

    def check(self) -> tuple[str, str | None]:
        """Open the index now; return (generation served, why the current one was passed over)."""
        with self._generation() as generation:
            return generation.name, self.problem

    @contextmanager
    def searcher(self):
        """Yield a Whoosh searcher over the current generation."""
        with self._generation() as generation:
            yield generation.searcher()

    @contextmanager
    def matching(self, request: SearchRequest, parsed: ParsedQuery | None = None, **search_options):
        """Yield (searcher, results, parsed) for a request: its query, filters and order applied, all
        on one generation. search_options go to Whoosh's search (limit, groupedby …)."""
        parsed = parsed or self.parse(request)
        with self._generation() as generation:
            searcher = generation.searcher()
            allowed = self._allowed(generation, request, parsed, searcher)
            search_options.setdefault("sortedby", sort_facets(request.sort))
            yield searcher, searcher.search(parsed.query, filter=allowed, **search_options), parsed

    def _allowed(self, generation: Generation, request: SearchRequest, parsed: ParsedQuery, searcher):
        """Return the documents a request's filters allow (None for no filter), kept per generation
        and filter values, so the speaker lexicon scan a filter needs is not repeated."""
        filters = Filters.of(request, parsed)
        if filters == NO_FILTERS:
            return None
        allowed = generation.filters.get(filters)
        if allowed is None:
            allowed = AllowedDocs([(generation.column(name), wanted) for name, wanted in filters.checks(searcher)])
            generation.filters.put(filters, allowed)
        return allowed

    def _matched(
        self, generation: Generation, request: SearchRequest, parsed: ParsedQuery
    ) -> tuple[Collection[int], dict[int, float] | None]:
        """Return every document number the request matches and, when `evaluate` could evaluate the
        query, each one's score (None: Whoosh must rank it)."""
        key = (repr(parsed.query), Filters.of(request, parsed))
        found = generation.matches.get(key)
        if found is None:
            searcher = generation.searcher()
            allowed = self._allowed(generation, request, parsed, searcher)
            try:
                scored = evaluate.scores(searcher, parsed.query)
                if allowed is not None:
                    scored = {d: s for d, s in scored.items() if d in allowed}
                found = (scored.keys(), scored)
            except evaluate.Unsupported:
                docnums = searcher.docs_for_query(parsed.query)
                found = ([d for d in docnums if d in allowed] if allowed is not None else list(docnums), None)
            generation.matches.put(key, found)
        return found

    def _ranked(
        self,
        generation: Generation,
        request: SearchRequest,
        scored: dict[int, float],
        count: int | None,
        parsed: ParsedQuery | None = None,
    ) -> list[int]:
        """Return the first count document numbers (all for None) in the request's order; by relevance,
        the leading matches weighed by how much each is about the topic (see topical.py)."""
        count = len(scored) if count is None else count
        if request.sort in ("date_desc", "date_asc"):
            dates, seqs = generation.column("date"), generation.column("seq")
            if request.sort == "date_desc":
                return heapq.nlargest(count, scored, key=lambda d: (dates[d], -seqs[d], -d))
            # A meeting of unknown date ("") comes last in either order.
            return heapq.nsmallest(count, scored, key=lambda d: (not dates[d], dates[d], seqs[d], d))
        if parsed is None or not parsed.patterns:
            return heapq.nsmallest(count, scored, key=lambda d: (-scored[d], d))
        weights = self._weights(generation, parsed, scored)
        plain = (topical.DISCUSSION, 1.0)

        def key(d: int) -> tuple[int, float, int]:
            tier, factor = weights.get(d, plain)
            return tier, -scored[d] * factor, d

        return heapq.nsmallest(count, scored, key=key)

    def _weights(
        self, generation: Generation, parsed: ParsedQuery, scored: dict[int, float]
    ) -> dict[int, tuple[int, float]]:
        """Return the topical (tier, factor) of the leading matches by score (the rest: discussion, 1)."""
        leading = heapq.nsmallest(RERANK_WINDOW, scored, key=lambda d: (-scored[d], d))
        needles = [needle for needle, _ in parsed.substrings if len(needle) >= 2]
        weights = {}
        for d in leading:
            found = generation.profile(d)
            if found is not None:
                weights[d] = topical.tier(found, topical.mentions(found, needles))
        return weights

    def counts(self, request: SearchRequest, fields: tuple[str, ...]) -> Counter:
        """Count every match by the values of sortable fields (one field: values; several: tuples)."""
        parsed = self.parse(request)
        with self._generation() as generation:
            docnums, _ = self._matched(generation, request, parsed)
            columns = [generation.column(name) for name in fields]
            if len(columns) == 1:
                return Counter(columns[0][d] for d in docnums)
            return Counter(tuple(column[d] for column in columns) for d in docnums)

    def close(self) -> None:
        """Release the open index."""
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None

    def search(self, request: SearchRequest) -> SearchResult:
        """Run one search; raises QueryError for queries a person must rephrase."""
        parsed = self.parse(request)  # a bad query fails here, before the cache is consulted
        with self._generation() as generation:
            key = repr(request)
            cached = generation.results.get(key)
            if cached is None:
                cached = self._search(generation, request, parsed)
                if cached.total == 0 and request.offset == 0:
                    cached = self._rescued(generation, request, parsed, cached)
                generation.results.put(key, cached)
        return cached

    def _rescued(
        self, generation: Generation, request: SearchRequest, parsed: ParsedQuery, empty: SearchResult
    ) -> SearchResult:
        """Return, for a search that found nothing, the best partial match (the most words kept) with
        the words left out and suggestions; or the empty result with suggestions alone; or, when the
        filters alone excluded every match, the empty result saying how many they excluded."""
        unfiltered = SearchRequest(q=request.q, expand=request.expand, mode=request.mode)
        return rescued(
            request.q,
            parsed,
            empty,
            filtered=Filters.of(request, parsed) != NO_FILTERS,
            count_unfiltered=lambda: len(self._matched(generation, unfiltered, replace(parsed, filters={}))[0]),
            count=lambda p: len(self._matched(generation, request, p)[0]),
            search=lambda p: self._search(generation, request, p),
            lexicon=WhooshWords(generation.searcher().reader()),
            synonyms=self.synonyms,
        )

    def _search(self, generation: Generation, request: SearchRequest, parsed: ParsedQuery) -> SearchResult:
        limit = max(1, min(request.limit, MAX_LIMIT))
        offset = max(0, request.offset)
        # The total and the facet counts come from every match, read off cached columns.
        docnums, scored = self._matched(generation, request, parsed)
        facet_counts = {
            name: _sorted_counts(Counter(map(generation.column(name).__getitem__, docnums))) for name in FACET_FIELDS
        }
        searcher = generation.searcher()
        if scored is not None:
            page = self._ranked(generation, request, scored, offset + limit, parsed)[offset:]
            hits = [
                _hit(searcher.stored_fields(d), scored[d], parsed, stored_tokens(searcher, d, parsed)) for d in page
            ]
        else:
            results = searcher.search(
                parsed.query,
                filter=self._allowed(generation, request, parsed, searcher),
                limit=offset + limit,
                sortedby=sort_facets(request.sort),
            )
            hits = [
                _hit(results[i], results.score(i), parsed, stored_tokens(searcher, results.docnum(i), parsed))
                for i in range(offset, min(offset + limit, results.scored_length()))
            ]
        return SearchResult(request, len(docnums), hits, facet_counts, parsed, generation.name)

    def ranked_ids(self, request: SearchRequest, limit: int | None = None) -> list[tuple[str, int]]:
        """Return (meeting id, seq) of every match in rank order (or the first limit)."""
        parsed = self.parse(request)
        with self._generation() as generation:
            _, scored = self._matched(generation, request, parsed)
            if scored is None:
                with self.matching(request, parsed, limit=limit) as (_, results, _parsed):
                    return [(hit["meeting_id"], hit["seq"]) for hit in results]
            meetings, seqs = generation.column("meeting_id"), generation.column("seq")
            return [(meetings[d], seqs[d]) for d in self._ranked(generation, request, scored, limit, parsed)]

    def parse(self, request: SearchRequest) -> ParsedQuery:
        """Parse the request's query with this index's synonyms (treat the result as read-only: it is
        shared by every request with the same query)."""
        key = (request.q, request.expand, request.mode)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = parse_query(request.q, synonyms=self.synonyms, expand=request.expand, mode=request.mode)
            self._parsed.put(key, parsed)
        return parsed

    def meeting_headers(self, meeting_ids: list[str]) -> dict[str, dict]:
        """Return the stored header document (title, committee, date …) of each meeting that has one."""
        with self._generation() as generation:
            numbers = generation.header_numbers()
            searcher = generation.searcher()
            return {mid: searcher.stored_fields(numbers[mid]) for mid in meeting_ids if mid in numbers}

    def meeting_documents(self, meeting_id: str, tokens: bool = False) -> list[dict]:
        """Return every stored document of one meeting in order (header first); with tokens, each
        carries its stored terms under "_tokens" for highlighting."""
        with self.searcher() as searcher:
            docs = []
            for docnum in searcher.document_numbers(meeting_id=meeting_id):
                doc = dict(searcher.stored_fields(docnum))
                if tokens:
                    doc["_tokens"] = stored_tokens(searcher, docnum)
                docs.append(doc)
        return sorted(docs, key=lambda d: d["seq"])

    @contextmanager
    def exported(self, request: SearchRequest, cap: int) -> Iterator[tuple[int, Iterator[dict]]]:
        """Yield (total, stored documents) of up to cap matches in the request's order (by Whoosh's own
        score for relevance), the generation held while they are read."""
        with self.matching(request, limit=cap) as (_, results, _parsed):
            scored = results.scored_length()
            total = len(results) if scored >= cap else scored  # count exactly only when the cap cut
            yield total, (dict(hit) for hit in results)

    def speakers(self, contains: str = "") -> list[tuple[str, int]]:
        """Return (speaker name, utterance count) for every speaker whose name contains the text."""
        wanted = normalize_name(contains) if contains else ""
        with self.searcher() as searcher:
            counts = [
                (term.decode("utf-8"), searcher.doc_frequency("speaker", term)) for term in searcher.lexicon("speaker")
            ]
        return sorted(((n, c) for n, c in counts if n and wanted in normalize_name(n)), key=lambda x: (-x[1], x[0]))

    def speaker_documents(self, name: str) -> list[dict]:
        """Return the stored documents of one speaker's utterances, newest first."""
        with self.searcher() as searcher:
            results = searcher.search(wq.Term("speaker", name), limit=None, sortedby=sort_facets("date_desc"))
            return [dict(hit) for hit in results]

    def bodies(self) -> list[tuple[str, int]]:
        """Return (body, meeting count) for every city, town or assembly, most meetings first
        (meetings filed under no body are counted under "")."""
        with self.searcher() as searcher:
            counts = Counter(
                searcher.stored_fields(d).get("body", "") for d in searcher.document_numbers(kind="meeting")
            )
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def all_meetings(self) -> list[dict]:
        """Return every meeting's header document, newest first."""
        with self.searcher() as searcher:
            results = searcher.search(
                wq.Term("kind", "meeting"), limit=None, sortedby=sorting.FieldFacet("date", reverse=True)
            )
            return [dict(hit) for hit in results]


def sort_facets(sort: str):
    """Return Whoosh's sortedby for a SearchRequest.sort (None: by relevance)."""
    if sort == "date_desc":
        return [sorting.FieldFacet("date", reverse=True), sorting.FieldFacet("seq")]
    if sort == "date_asc":
        return [sorting.FieldFacet("date"), sorting.FieldFacet("seq")]
    return None


@dataclass(frozen=True)
class Filters:
    """Every filter of a request, from its form fields and from inside its query (role:委員長)."""

    roles: tuple[str, ...] = ()
    committees: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()  # parts of names
    committee_like: str | None = None  # part of a committee name
    date_from: date | None = None
    date_until: date | None = None

    @classmethod
    def of(cls, request: SearchRequest, parsed: ParsedQuery) -> Filters:
        """Return the filters of a request and its parsed query."""
        inside = parsed.filters
        return cls(
            roles=(*request.roles, *inside.get("role", [])),
            committees=(*request.committees, *inside.get("committee", [])),
            bodies=(*request.bodies, *inside.get("body", [])),
            years=(*request.years, *inside.get("year", [])),
            months=tuple(request.months),
            speakers=(*([request.speaker] if request.speaker else []), *inside.get("speaker", [])),
            committee_like=request.committee_like or None,
            date_from=request.date_from,
            date_until=request.date_until,
        )

    def exact(self) -> list[tuple[str, tuple[str, ...]]]:
        """Return (field, allowed values) for each filter by whole values (role, committee, body, year, month)."""
        fields = (
            ("role", self.roles),
            ("committee", self.committees),
            ("body", self.bodies),
            ("year", self.years),
            ("month", self.months),
        )
        return [(fieldname, values) for fieldname, values in fields if values]

    def checks(self, searcher) -> list[tuple[str, frozenset[str] | tuple[str, str]]]:
        """Return (field, allowed values or (low, high) range) for each filter."""
        checks: list[tuple[str, frozenset[str] | tuple[str, str]]] = [
            (fieldname, frozenset(values)) for fieldname, values in self.exact()
        ]
        for speaker in self.speakers:
            checks.append(("speaker", _partial_values(searcher, "speaker", speaker)))
        if self.committee_like:
            checks.append(("committee", _partial_values(searcher, "committee", self.committee_like)))
        if self.date_from or self.date_until:
            low = self.date_from.isoformat() if self.date_from else "0"
            high = self.date_until.isoformat() if self.date_until else "9999"
            checks.append(("date", (low, high)))
        return checks


NO_FILTERS = Filters()


def _sorted_counts(groups: dict) -> dict[str, int]:
    counts = {(k if k not in (None, NO_ROLE) else ""): v for k, v in groups.items()}
    counts.pop("", None)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _partial_values(searcher, fieldname: str, text: str) -> frozenset[str]:
    """Return the values of a facet field that contain the text, variants folded (山田 finds 山田太郎)."""
    wanted = normalize_name(text)
    values = [term.decode("utf-8") for term in searcher.lexicon(fieldname)]
    return frozenset(value for value in values if value and wanted in normalize_name(value))


def stored_tokens(searcher, docnum: int, parsed: ParsedQuery | None = None):
    """Return a document's terms with positions and spans from its term vector (None if absent).

    With a parsed query, only what its highlights need is decoded: the terms of its patterns, and
    for exact text that must begin a word, its prefixes and the terms beginning like it (a word
    starting there is one of them). A long speech has thousands of terms; a query needs a few.
    """
    if not searcher.has_vector(docnum, "text"):
        return None
    # Read the matcher directly: whoosh3 3.54's vector_as decodes with the field's posting format
    # (Positions) instead of its vector format (Characters).
    vector = searcher.vector(docnum, "text")
    decode = vector.format.decoder("characters")
    pairs = []
    if parsed is None:
        while vector.is_active():
            pairs.append((vector.id(), decode(vector.value())))
            vector.next()
        return tokens_from_vector(pairs)
    exact = {term for pattern in parsed.patterns for term, _ in pattern}
    prefixes = set()
    for needle, word_start in parsed.substrings:
        if word_start and needle:
            # A word starting where the needle does is one of its prefixes (都 of 都教育委員会) or
            # begins with its first two characters; after one kanji and kana, an inflected verb's
            # base form may differ, so then every term beginning with the kanji is read.
            exact.update(needle[:j] for j in range(1, len(needle) + 1))
            prefixes.add(needle[:2] if len(needle) > 1 and (needle[1].isascii() or is_kanji(needle[1])) else needle[0])
    for key in sorted(exact | prefixes):
        # A long speech's vector has thousands of terms: seek each one (see whoosh_compat.seek_vector).
        whoosh_compat.seek_vector(vector, key)
        if not vector.is_active():
            break
        while vector.is_active() and (vector.id() == key or (key in prefixes and vector.id().startswith(key))):
            pairs.append((vector.id(), decode(vector.value())))
            vector.next()
    return tokens_from_vector(pairs)


def _hit(doc, score, parsed: ParsedQuery, tokens=None) -> Hit:
    text = doc.get("text", "")
    spans = match_spans(text, parsed.patterns, parsed.substrings, tokens)
    return Hit(
        meeting_id=doc["meeting_id"],
        seq=doc["seq"],
        kind=doc.get("kind", ""),
        role=doc.get("role") or None,
        speaker=doc.get("speaker") or None,
        label=doc.get("label"),
        committee=doc.get("committee", ""),
        body=doc.get("body", ""),
        date=doc.get("date", ""),
        title=doc.get("title", ""),
        url=doc.get("url", ""),
        text=text,
        snippet=snippet_around(text, spans),
        score=score,
        spans=spans,
    )
