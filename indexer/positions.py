"""Terms at fixed distances from each other (phrases, exact substrings), matched without span objects.

Whoosh matches a phrase by building span lists for every document that holds all its terms, in
Python, on every search: for a common word that is most of a query's time. A `TermSequence` finds
its documents once per index reader with a tight positions check and remembers them; it then
matches and scores as the AND of its terms kept to those documents, which is exactly how Whoosh
scores a phrase (the sum of its terms' scores).
"""

from __future__ import annotations

from whoosh import matching
from whoosh import query as wq

from indexer.postings import postings, reader_cache

_CACHE_SIZE = 512  # sequences remembered per reader


class TermSequence(wq.Query):
    """Match documents where the terms occur at the given offsets from the first one."""

    def __init__(self, fieldname: str, words: list[str], offsets: list[int] | None = None, boost: float = 1.0):
        self.fieldname = fieldname
        self.words = list(words)
        self.offsets = list(offsets) if offsets is not None else list(range(len(self.words)))
        self.boost = boost

    def __eq__(self, other):
        return (other.__class__ is self.__class__ and self.fieldname == other.fieldname
                and self.words == other.words and self.offsets == other.offsets and self.boost == other.boost)

    def __hash__(self):
        return hash((self.fieldname, tuple(self.words), tuple(self.offsets), self.boost))

    def __repr__(self):
        return (f"{self.__class__.__name__}({self.fieldname!r}, {self.words!r}, {self.offsets!r}, "
                f"boost={self.boost!r})")

    def __str__(self):
        return f'{self.fieldname}:"{" ".join(self.words)}"'

    def has_terms(self):
        return True

    def terms(self, phrases=True):
        if phrases:
            for word in self.words:
                yield self.fieldname, word

    def estimate_size(self, ixreader):
        return min(ixreader.doc_frequency(self.fieldname, w) for w in self.words)

    def _and_query(self) -> wq.Query:
        return wq.And([wq.Term(self.fieldname, w) for w in self.words])

    def docs(self, searcher):
        return iter(sorted(sequence_docs(searcher.reader(), self.fieldname, self.words, self.offsets)))

    def matcher(self, searcher, context=None):
        found = sequence_docs(searcher.reader(), self.fieldname, self.words, self.offsets)
        if not found:
            return matching.NullMatcher()
        return matching.FilterMatcher(self._and_query().matcher(searcher, context), found, boost=self.boost)


def sequence_docs(reader, fieldname: str, words: list[str], offsets: list[int]) -> frozenset[int]:
    """Return the reader's document numbers holding every word at its offset (remembered per reader)."""
    cache = reader_cache(reader)
    key = (fieldname, tuple(words), tuple(offsets))
    found = cache.sequences.get(key)
    if found is None:
        found = frozenset(_scan(reader, fieldname, words, offsets))
        with cache.lock:
            if len(cache.sequences) >= _CACHE_SIZE:
                cache.sequences.pop(next(iter(cache.sequences)))
            cache.sequences[key] = found
    return found


def _scan(reader, fieldname: str, words: list[str], offsets: list[int]) -> set[int]:
    # Whole posting lists, read block by block, beat skipping through them matcher by matcher.
    lists = [postings(reader, fieldname, w) for w in words]
    if any(not ids for ids, _, _ in lists):
        return set()
    candidates = set(lists[0][0])
    for ids, _, _ in lists[1:]:
        candidates.intersection_update(ids)
    if not candidates:
        return set()
    decode = reader.schema[fieldname].format.decoder("positions")
    by_doc = [{d: v for d, v in zip(ids, values) if d in candidates} for ids, _, values in lists]
    found = set()
    for doc in candidates:
        starts = None
        for places, offset in zip(by_doc, offsets):
            shifted = {p - offset for p in decode(places[doc])}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                break
        if starts:
            found.add(doc)
    return found
