"""Terms at fixed distances from each other (phrases, exact substrings), matched without span objects.

Whoosh matches a phrase by building span lists for every document that holds all its terms, in
Python, on every search: for a common word that is most of a query's time. A `TermSequence` finds
its documents once per segment with a tight positions check and remembers them; it then
matches and scores as the AND of its terms kept to those documents, which is exactly how Whoosh
scores a phrase (the sum of its terms' scores).
"""

from __future__ import annotations

from whoosh import matching
from whoosh import query as wq

from indexer.postings import at_docs, postings, remembered


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
    """Return the segment's document numbers holding every word at its offset (remembered)."""
    return remembered(reader, "sequence", (fieldname, tuple(words), tuple(offsets)),
                      lambda: frozenset(_scan(reader, fieldname, words, offsets)), cost=lambda docs: len(docs) + 1)


def _scan(reader, fieldname: str, words: list[str], offsets: list[int]) -> set[int]:
    frequencies = [reader.doc_frequency(fieldname, w) for w in words]
    if not all(frequencies):
        return set()
    order = sorted(range(len(words)), key=frequencies.__getitem__)
    # The rarest term's postings are read whole; each other term only at the documents still in
    # play, rarest first, so a common term (長, の, 員会) is decoded only where it can matter.
    lead = postings(reader, fieldname, words[order[0]], values=True)
    places = {order[0]: dict(zip(lead.ids, lead.values))}
    candidates = set(places[order[0]])
    for i in order[1:]:
        found = at_docs(reader, fieldname, words[i], candidates)
        places[i] = {d: value for d, (_, value) in found.items()}
        candidates.intersection_update(places[i])
        if not candidates:
            return set()
    decode = reader.schema[fieldname].format.decoder("positions")
    matches = set()
    for doc in candidates:
        starts = None
        for i in order:
            shifted = {p - offsets[i] for p in decode(places[i][doc])}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                break
        if starts:
            matches.add(doc)
    return matches
