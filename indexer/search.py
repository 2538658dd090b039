"""The search library: one function behind the CLI, the web pages and the API."""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from whoosh import query as wq
from whoosh.idsets import BitSet
from whoosh import sorting

from indexer.analysis import normalize_name
from indexer.highlight import snippet, tokens_from_vector
from indexer.index import NO_ROLE, current_generation, open_best_generation
from indexer.query import ParsedQuery, parse_query
from indexer.synonyms import Synonyms

FACET_FIELDS = ("role", "committee", "year")
SORTS = ("relevance", "date_desc", "date_asc")
MAX_LIMIT = 100


@dataclass
class SearchRequest:
    """What to search for: the query text, filters, order and the page wanted."""

    q: str = ""
    roles: list[str] = field(default_factory=list)
    committees: list[str] = field(default_factory=list)
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
    mode: str = "final"  # matching mode, see indexer.query.MODES


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
    snippet: str
    score: float | None

    def to_json(self) -> dict:
        """Return the hit in the shape of `minutes search --json`."""
        return {
            "meeting_id": self.meeting_id, "seq": self.seq, "role": self.role,
            "speaker": self.speaker, "committee": self.committee, "date": self.date,
            "title": self.title, "url": self.url, "snippet": self.snippet,
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

    def to_json(self) -> dict:
        """Return `{total, hits, facets}` as printed by `minutes search --json`."""
        return {"total": self.total, "hits": [h.to_json() for h in self.hits], "facets": self.facets}


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


class SearchIndex:
    """Searches the current index generation, reopening when a reindex switches generations."""

    def __init__(self, index_dir: Path, synonyms: Synonyms | None = None):
        self.index_dir = Path(index_dir)
        self.synonyms = synonyms if synonyms is not None else Synonyms.load()
        self._lock = threading.Lock()
        self._ix = None
        self._generation: str | None = None
        self._marker: str | None = None  # what CURRENT said when the open index was chosen
        self.problem: str | None = None  # why the current generation is not the one served
        self._results = LRUCache(256)  # (generation, request) → SearchResult
        self._filters = LRUCache(128)  # (generation, filter query) → documents it allows

    def _index(self):
        marker = current_generation(self.index_dir)
        with self._lock:
            if self._ix is None or marker != self._marker:
                ix, name, problem = open_best_generation(self.index_dir)
                old, self._ix, self._generation, self._marker = self._ix, ix, name, marker
                self.problem = problem
                self._results.clear()
                self._filters.clear()
                if old is not None:
                    old.close()
            return self._ix, self._generation

    def check(self) -> tuple[str, str | None]:
        """Open the index now; return (generation served, why the current one was passed over)."""
        _, generation = self._index()
        return generation, self.problem

    @contextmanager
    def searcher(self):
        """Yield a Whoosh searcher over the current generation."""
        ix, _ = self._index()
        with ix.searcher() as searcher:
            yield searcher

    @contextmanager
    def matching(self, request: SearchRequest, parsed: ParsedQuery | None = None, **search_options):
        """Yield (searcher, results, parsed) for a request: its query, filters and order applied, all
        on one generation. search_options go to Whoosh's search (limit, groupedby …)."""
        parsed = parsed or self.parse(request)
        ix, generation = self._index()
        with ix.searcher() as searcher:
            allowed = self._filter_docs(generation, request, parsed, searcher)
            search_options.setdefault("sortedby", sort_facets(request.sort))
            yield searcher, searcher.search(parsed.query, filter=allowed, **search_options), parsed

    def _filter_docs(self, generation: str, request: SearchRequest, parsed: ParsedQuery, searcher):
        """Return the documents a request's filters allow (None for no filter), cached per generation
        and keyed by the filter values, so neither the filter nor the speaker lexicon scan it needs is
        worked out again for a repeated date range, facet or speaker."""
        key = (generation, _filter_key(request, parsed))
        if key[1] == _NO_FILTER:
            return None
        docs = self._filters.get(key)
        if docs is None:
            allowed = list(searcher.docs_for_query(_filters(request, parsed, searcher)))
            size = searcher.doc_count_all()
            # Whoosh ignores a filter that is empty (it tests its truth), so an empty result allows
            # one document number past the end instead: truthy, and matching nothing.
            docs = BitSet(allowed or [size], size=size + 1)
            self._filters.put(key, docs)
        return docs

    def close(self) -> None:
        """Release the open index."""
        with self._lock:
            if self._ix is not None:
                self._ix.close()
                self._ix = None

    def search(self, request: SearchRequest) -> SearchResult:
        """Run one search; raises QueryError for queries a person must rephrase."""
        parsed = self.parse(request)  # a bad query fails here, before the cache is consulted
        _, generation = self._index()
        key = (generation, repr(request))
        cached = self._results.get(key)
        if cached is None:
            cached = self._search(request, parsed)
            self._results.put(key, cached)
        return cached

    def _search(self, request: SearchRequest, parsed: ParsedQuery) -> SearchResult:
        limit = max(1, min(request.limit, MAX_LIMIT))
        offset = max(0, request.offset)
        facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in (*FACET_FIELDS, "kind")}
        with self.matching(request, parsed, limit=offset + limit, groupedby=facets) as (searcher, results, _):
            total = sum(results.groups("kind").values())
            facet_counts = {name: _sorted_counts(results.groups(name)) for name in FACET_FIELDS}
            # Slice to the page before touching stored fields.
            hits = [_hit(results[i], results.score(i), parsed, stored_tokens(searcher, results.docnum(i)))
                    for i in range(offset, min(offset + limit, results.scored_length()))]
        return SearchResult(request, total, hits, facet_counts, parsed, self._generation)

    def ranked_ids(self, request: SearchRequest, limit: int | None = None) -> list[tuple[str, int]]:
        """Return (meeting id, seq) of every match in rank order (or the first limit)."""
        with self.matching(request, limit=limit) as (_, results, _parsed):
            return [(hit["meeting_id"], hit["seq"]) for hit in results]

    def parse(self, request: SearchRequest) -> ParsedQuery:
        """Parse the request's query with this index's synonyms."""
        return parse_query(request.q, synonyms=self.synonyms, expand=request.expand, mode=request.mode)

    def meeting_documents(self, meeting_id: str, tokens: bool = False) -> list[dict]:
        """Return every stored document of one meeting in order (header first); with tokens, each
        carries its stored terms under "_tokens" for highlighting."""
        ix, _ = self._index()
        with ix.searcher() as searcher:
            docs = []
            for docnum in searcher.document_numbers(meeting_id=meeting_id):
                doc = dict(searcher.stored_fields(docnum))
                if tokens:
                    doc["_tokens"] = stored_tokens(searcher, docnum)
                docs.append(doc)
        return sorted(docs, key=lambda d: d["seq"])


def sort_facets(sort: str):
    """Return Whoosh's sortedby for a SearchRequest.sort (None: by relevance)."""
    if sort == "date_desc":
        return [sorting.FieldFacet("date", reverse=True), sorting.FieldFacet("seq")]
    if sort == "date_asc":
        return [sorting.FieldFacet("date"), sorting.FieldFacet("seq")]
    return None


_NO_FILTER = ((), (), (), (), (), None, None, None)


def _filter_key(request: SearchRequest, parsed: ParsedQuery) -> tuple:
    """The values that decide a request's filter (and nothing else)."""
    return (
        tuple(request.roles) + tuple(parsed.filters.get("role", [])),
        tuple(request.committees) + tuple(parsed.filters.get("committee", [])),
        tuple(request.years) + tuple(parsed.filters.get("year", [])),
        tuple(request.months),
        (request.speaker,) * bool(request.speaker) + tuple(parsed.filters.get("speaker", [])),
        request.committee_like or None,
        request.date_from, request.date_until,
    )


def _sorted_counts(groups: dict) -> dict[str, int]:
    counts = {(k if k not in (None, NO_ROLE) else ""): v for k, v in groups.items()}
    counts.pop("", None)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _any_of(fieldname: str, values: list[str]) -> wq.Query:
    terms = [wq.Term(fieldname, v) for v in values]
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def _filters(request: SearchRequest, parsed: ParsedQuery, searcher) -> wq.Query | None:
    clauses: list[wq.Query] = []
    wanted = {
        "role": list(request.roles) + parsed.filters.get("role", []),
        "committee": list(request.committees) + parsed.filters.get("committee", []),
        "year": list(request.years) + parsed.filters.get("year", []),
        "month": list(request.months),
    }
    for fieldname, values in wanted.items():
        if values:
            clauses.append(_any_of(fieldname, values))
    speakers = ([request.speaker] if request.speaker else []) + parsed.filters.get("speaker", [])
    for speaker in speakers:
        clauses.append(_partial_query(searcher, "speaker", speaker))
    if request.committee_like:
        clauses.append(_partial_query(searcher, "committee", request.committee_like))
    if request.date_from or request.date_until:
        clauses.append(wq.TermRange(
            "date",
            request.date_from.isoformat() if request.date_from else None,
            request.date_until.isoformat() if request.date_until else None,
        ))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)


def _partial_query(searcher, fieldname: str, text: str) -> wq.Query:
    """Match values of a facet field that contain the text, variants folded (山田 finds 山田太郎)."""
    wanted = normalize_name(text)
    values = [term.decode("utf-8") for term in searcher.lexicon(fieldname)]
    matching = [value for value in values if value and wanted in normalize_name(value)]
    return _any_of(fieldname, matching) if matching else wq.NullQuery


def stored_tokens(searcher, docnum: int):
    """Return a document's terms with positions and spans from its term vector (None if absent)."""
    if not searcher.has_vector(docnum, "text"):
        return None
    # Read the matcher directly: whoosh3 3.54's vector_as decodes with the field's posting format
    # (Positions) instead of its vector format (Characters).
    vector = searcher.vector(docnum, "text")
    decode = vector.format.decoder("characters")
    pairs = []
    while vector.is_active():
        term = vector.id()
        pairs.append((term.decode("utf-8") if isinstance(term, bytes) else term, decode(vector.value())))
        vector.next()
    return tokens_from_vector(pairs)


def _hit(doc, score, parsed: ParsedQuery, tokens=None) -> Hit:
    text = doc.get("text", "")
    return Hit(
        meeting_id=doc["meeting_id"],
        seq=doc["seq"],
        kind=doc.get("kind", ""),
        role=doc.get("role") or None,
        speaker=doc.get("speaker") or None,
        label=doc.get("label"),
        committee=doc.get("committee", ""),
        date=doc.get("date", ""),
        title=doc.get("title", ""),
        url=doc.get("url", ""),
        text=text,
        snippet=snippet(text, parsed.patterns, substrings=parsed.substrings, tokens=tokens),
        score=score,
    )
