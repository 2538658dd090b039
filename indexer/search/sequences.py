"""Terms at fixed distances from each other (phrases, exact substrings), matched without span objects.

Whoosh matches a phrase by building span lists for every document that holds all its terms, in
Python, on every search: for a common word that is most of a query's time. A `TermSequence` finds
its documents once per segment with a tight positions check and remembers them; it then
matches and scores as the AND of its terms kept to those documents, which is exactly how Whoosh
scores a phrase (the sum of its terms' scores).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, cast

from whoosh import matching
from whoosh import query as wq
from whoosh.formats import Format
from whoosh.reading import IndexReader
from whoosh.searching import SearchContext, Searcher

from indexer.search.postings import at_docs, frequency, known, postings, remembered


class TermSequence(wq.Query):
    """Match documents where the terms occur at the given offsets from the first one.

    With `gram` > 0 each term is that many characters of an n-gram field starting at its offset
    (only the first may carry a marker such as WORD_START): terms that together cover every
    character then prove the match, so only their positions are checked.
    """

    def __init__(
        self, fieldname: str, words: list[str], offsets: list[int] | None = None, boost: float = 1.0, gram: int = 0
    ):
        self.fieldname = fieldname
        self.words = list(words)
        self.offsets = list(offsets) if offsets is not None else list(range(len(self.words)))
        self.boost = boost
        self.gram = gram

    def __eq__(self, other: Any) -> bool:
        return (
            other.__class__ is self.__class__
            and self.fieldname == other.fieldname
            and self.words == other.words
            and self.offsets == other.offsets
            and self.boost == other.boost
            and self.gram == other.gram
        )

    def __hash__(self) -> int:
        return hash((self.fieldname, tuple(self.words), tuple(self.offsets), self.boost, self.gram))

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.fieldname!r}, {self.words!r}, {self.offsets!r}, "
            f"boost={self.boost!r}, gram={self.gram!r})"
        )

    def __str__(self) -> str:
        return f'{self.fieldname}:"{" ".join(self.words)}"'

    def has_terms(self) -> bool:
        return True

    def terms(self, phrases: bool = True) -> Iterator[tuple[str, str]]:
        if phrases:
            for word in self.words:
                yield self.fieldname, word

    def estimate_size(self, ixreader: IndexReader) -> int:
        return min(ixreader.doc_frequency(self.fieldname, w) for w in self.words)

    def _and_query(self) -> wq.Query:
        return wq.And([wq.Term(self.fieldname, w) for w in self.words])

    def matches(self, reader: IndexReader, within: Collection[int] | None = None) -> dict[int, tuple[float, ...]]:
        """Return {document number: each word's weight there} for the segment, or only for the
        documents in `within`."""
        return sequence_matches(reader, self.fieldname, self.words, self.offsets, self.gram, within)

    def docs(self, searcher: Searcher) -> Iterator[int]:
        return iter(sorted(self.matches(searcher.reader())))

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> matching.Matcher:
        found = self.matches(searcher.reader())
        if not found:
            return matching.NullMatcher()
        return matching.FilterMatcher(self._and_query().matcher(searcher, context), found, boost=self.boost)


def sequence_matches(
    reader: IndexReader,
    fieldname: str,
    words: list[str],
    offsets: list[int],
    gram: int = 0,
    within: Collection[int] | None = None,
) -> dict[int, tuple[float, ...]]:
    """Return {document number: each word's weight} of the segment's documents (or those in
    `within`) holding every word at its offset. The whole segment's answer is remembered; a few
    documents are checked on their own."""
    key = (fieldname, tuple(words), tuple(offsets), gram)
    found = known(reader, "sequence", key)
    if found is None:
        if within is not None and len(within) * 4 < min(frequency(reader, fieldname, w) for w in words):
            return _scan(reader, fieldname, words, offsets, gram, within)
        found = remembered(
            reader,
            "sequence",
            key,
            lambda: _scan(reader, fieldname, words, offsets, gram),
            cost=lambda found: len(found) * len(words) + 1,
        )
    if within is None:
        return found
    return {d: found[d] for d in within if d in found}


def covering(offsets: list[int], gram: int) -> list[int]:
    """Return the indexes of terms whose `gram` characters at their offsets together cover every
    character of the sequence (the first term always among them); all of them if there is a gap."""
    order = sorted(range(len(offsets)), key=offsets.__getitem__)
    if gram <= 0 or order[0] != 0:
        return order
    chosen, end, k = [0], offsets[0] + gram, 1
    last = offsets[order[-1]] + gram
    while end < last:
        best = None
        while k < len(order) and offsets[order[k]] <= end:
            best, k = order[k], k + 1
        if best is None or offsets[best] + gram <= end:
            return order  # a gap no term covers: every term must be checked
        chosen.append(best)
        end = offsets[best] + gram
    return chosen


def _scan(
    reader: IndexReader,
    fieldname: str,
    words: list[str],
    offsets: list[int],
    gram: int,
    within: Collection[int] | None = None,
) -> dict[int, tuple[float, ...]]:
    frequencies = [frequency(reader, fieldname, w) for w in words]
    if not all(frequencies):
        return {}
    order = sorted(range(len(words)), key=frequencies.__getitem__)
    # The rarest term's postings are read whole; each other term only at the documents still in
    # play, rarest first, so a common term (長, の, 員会) is decoded only where it can matter.
    if within is None:
        lead = postings(reader, fieldname, words[order[0]], values=True)
        assert lead.values is not None  # asked for with values=True
        # {term index: {document: (weight, encoded positions)}}
        places: dict[int, dict[int, tuple[float, Any]]] = {
            order[0]: dict(zip(lead.ids, zip(lead.weights, lead.values)))
        }
    else:
        places = {order[0]: at_docs(reader, fieldname, words[order[0]], within)}
    candidates = set(places[order[0]])
    for i in order[1:]:
        places[i] = at_docs(reader, fieldname, words[i], candidates)
        candidates.intersection_update(places[i])
        if not candidates:
            return {}
    covers = set(covering(offsets, gram))
    checked = [i for i in order if i in covers]
    decode = cast(Format, reader.schema[fieldname].format).decoder("positions")  # a text field has a format
    # Positions are compared in the frame of the rarest checked term: its few positions are the
    # possible starts, and each other term must sit at its distance from one of them.
    lead_places, lead_offset = places[checked[0]], offsets[checked[0]]
    others = [(places[i], offsets[i] - lead_offset) for i in checked[1:]]
    every = [places[i] for i in range(len(words))]
    found = {}
    for doc in candidates:
        starts = decode(lead_places[doc][1])
        for place, distance in others:
            present = set(decode(place[doc][1]))
            starts = [p for p in starts if p + distance in present]
            if not starts:
                break
        if starts:
            found[doc] = tuple([place[doc][0] for place in every])
    return found
