"""A term's postings read block by block into lists, remembered per index reader."""

from __future__ import annotations

import threading
import weakref

from whoosh.matching import FilterMatcher
from whoosh.reading import TermNotFound

_TERM_CACHE = 64  # postings kept per reader: common terms recur across queries


class _ReaderCache:
    """Per segment reader: BM25 length norms per field and recently read postings."""

    def __init__(self):
        self.lock = threading.Lock()
        self.lengths: dict[str, list[int]] = {}
        self.sequences: dict[tuple, frozenset] = {}
        self.postings: dict[tuple[str, str], tuple] = {}


_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def reader_cache(reader) -> _ReaderCache:
    """Return what is remembered for one index reader (dropped with the reader)."""
    with _caches_lock:
        cache = _caches.get(reader)
        if cache is None:
            cache = _caches[reader] = _ReaderCache()
        return cache


def postings(reader, fieldname: str, text: str) -> tuple[list[int], list[float], list]:
    """Return a term's (document numbers, weights, encoded values) in this reader, deletions removed."""
    cache = reader_cache(reader)
    key = (fieldname, text)
    found = cache.postings.get(key)
    if found is not None:
        return found
    ids: list[int] = []
    weights: list[float] = []
    values: list = []
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        matcher = None
    deleted = None
    if isinstance(matcher, FilterMatcher):  # how a reader hides deleted documents
        deleted, matcher = matcher._ids, matcher.child
    if matcher is not None and hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        # whoosh3's block reader: take each block's arrays whole.
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            matcher._read_values()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            values.extend(matcher._values)
            matcher._next_block()
    elif matcher is not None:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
    if deleted:
        kept = [i for i, d in enumerate(ids) if d not in deleted]
        ids, weights, values = [ids[i] for i in kept], [weights[i] for i in kept], [values[i] for i in kept]
    found = (ids, weights, values)
    with cache.lock:
        if len(cache.postings) >= _TERM_CACHE:
            cache.postings.pop(next(iter(cache.postings)))
        cache.postings[key] = found
    return found


def weights_at(reader, fieldname: str, text: str, docs) -> tuple[list[int], list[float]]:
    """Return (documents, weights) of a term at the given documents only: from its postings when
    they are read already or the documents are many, else by skipping its matcher to each one."""
    cached = reader_cache(reader).postings.get((fieldname, text))
    if cached is not None or len(docs) * 8 > reader.doc_frequency(fieldname, text):
        ids, weights, _ = postings(reader, fieldname, text)
        pairs = [(d, w) for d, w in zip(ids, weights) if d in docs]
    else:
        try:
            matcher = reader.postings(fieldname, text)
        except TermNotFound:
            return [], []
        pairs = []
        for doc in sorted(docs):
            if not matcher.is_active():
                break
            if matcher.id() < doc:
                matcher.skip_to(doc)
                if not matcher.is_active():
                    break
            if matcher.id() == doc:
                pairs.append((doc, matcher.weight()))
    return [d for d, _ in pairs], [w for _, w in pairs]
