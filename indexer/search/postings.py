"""A term's postings read block by block into arrays, remembered per segment for the whole process.

Segment files never change once written, so what is read from one is shared by every thread's
reader and by later generations that still hold the segment (an incremental reindex copies them);
the number of live documents is part of the key, because deletions only ever grow.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator
from functools import partial
from itertools import accumulate
from typing import Any

from whoosh.matching import Matcher
from whoosh.reading import IndexReader, TermNotFound

from indexer.index import whoosh_compat

POSTINGS_BUDGET = 12_000_000  # postings kept in memory at once (about 20 bytes each with values)
WARM_SHARE = 0.5  # of the budget, read ahead when a generation opens (see warm)


class SegmentCache:
    """Least recently used postings, and per-segment facts (lengths, phrase matches), within a budget."""

    def __init__(self, budget: int = POSTINGS_BUDGET):
        self.budget = budget
        self.lock = threading.Lock()
        self._items: OrderedDict = OrderedDict()  # key → (cost, value)
        self._cost = 0

    def get(self, key: Hashable) -> Any:
        """Return a remembered value or None."""
        with self.lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: Hashable, value: Any, cost: int) -> None:
        """Remember a value that costs about `cost` postings of memory."""
        with self.lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._cost -= old[0]
            self._items[key] = (cost, value)
            self._cost += cost
            while self._cost > self.budget and len(self._items) > 1:
                _, (dropped, _) = self._items.popitem(last=False)
                self._cost -= dropped


CACHE = SegmentCache()


def segment_key(reader: IndexReader) -> tuple:
    """Identify a segment reader's content: its segment and how many of its documents are live."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:
        return ("reader", id(reader))  # not a segment reader: remember nothing beyond it
    return (segment.segment_id(), reader.doc_count())


class PackedValues:
    """A posting list's encoded values in one bytes object with end offsets: about 8 bytes of
    overhead per value instead of a bytes object's 33 (and nothing for the garbage collector)."""

    __slots__ = ("data", "ends")

    def __init__(self, chunks: list[bytes], lengths: Iterable[int]):
        self.data = b"".join(chunks)
        self.ends = array("I", accumulate(lengths))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> bytes:
        return self.data[self.ends[i - 1] if i else 0 : self.ends[i]]

    def __iter__(self) -> Iterator[bytes]:
        data, start = self.data, 0
        for end in self.ends:
            yield data[start:end]
            start = end


class Postings:
    """One term's postings in one segment: document numbers, weights and (optionally) encoded values."""

    __slots__ = ("ids", "weights", "values")

    def __init__(self, ids: array[int], weights: array[float], values: PackedValues | None):
        self.ids = ids
        self.weights = weights
        self.values = values


def postings(reader: IndexReader, fieldname: str, text: str, values: bool = False) -> Postings:
    """Return a term's postings in a segment reader, deletions removed; values only when asked."""
    key = (segment_key(reader), "postings", fieldname, text)
    found = CACHE.get(key)
    if found is not None and (found.values is not None or not values):
        return found
    found = _read(reader, fieldname, text, values)
    CACHE.put(key, found, len(found.ids))
    return found


def _open(reader: IndexReader, fieldname: str, text: str) -> tuple[Matcher | None, frozenset[int] | None]:
    """Return (the term's postings matcher, the deleted documents it hides or None); (None, None)
    for a term the segment does not have."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return None, None
    return whoosh_compat.unwrap_deletions(matcher)


def _read(reader: IndexReader, fieldname: str, text: str, with_values: bool) -> Postings:
    ids = array("i")
    weights = array("f")
    chunks: list[bytes] = []  # each block's values joined
    lengths = array("I")
    matcher, deleted = _open(reader, fieldname, text)
    if matcher is None:
        return Postings(ids, weights, PackedValues([], []) if with_values else None)
    if whoosh_compat.is_block_matcher(matcher):
        # whoosh3's block reader: take each block's arrays whole.
        while matcher.is_active():
            raw_ids, raw_weights, _, deltas = whoosh_compat.read_whole_block(matcher)
            ids.extend(accumulate(raw_ids) if deltas else raw_ids)
            weights.extend(raw_weights)
            if with_values:
                block = whoosh_compat.block_values(matcher)
                chunks.append(b"".join(block))
                lengths.extend(map(len, block))
            whoosh_compat.next_block(matcher)
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if with_values:
                chunks.append(matcher.value())
                lengths.append(len(chunks[-1]))
            matcher.next()
    values = PackedValues(chunks, lengths) if with_values else None
    if deleted:
        kept = [i for i, d in enumerate(ids) if d not in deleted]
        ids = array("i", (ids[i] for i in kept))
        weights = array("f", (weights[i] for i in kept))
        if with_values:
            assert values is not None  # made above when with_values
            kept_values = [values[i] for i in kept]
            values = PackedValues(kept_values, map(len, kept_values))
    return Postings(ids, weights, values)


def at_docs(
    reader: IndexReader, fieldname: str, text: str, docs: Collection[int], values: bool = True
) -> dict[int, tuple[float, object]]:
    """Return {document: (weight, encoded value or None)} of a term at the given documents only.

    Read from its postings when they are in memory or the documents are many; otherwise only the
    blocks that can hold one of the documents are decoded (a common term such as 長 or の has
    thousands of blocks, a query's candidates touch a few).
    """
    cached = CACHE.get((segment_key(reader), "postings", fieldname, text))
    if cached is not None and (cached.values is not None or not values):
        return _pick(cached, docs, values)
    if len(docs) * 16 > frequency(reader, fieldname, text):
        return _pick(postings(reader, fieldname, text, values=values), docs, values)
    matcher, deleted = _open(reader, fieldname, text)
    if matcher is None:
        return {}
    if not whoosh_compat.is_block_matcher(matcher):  # not whoosh3's block reader: read the list whole
        return _pick(postings(reader, fieldname, text, values=values), docs, values)
    wanted = sorted(d for d in docs if not deleted or d not in deleted)
    found = {}
    i = 0
    while i < len(wanted) and matcher.is_active():
        last = whoosh_compat.block_max_id(matcher)
        if last < wanted[i]:
            whoosh_compat.next_block(matcher)  # reads the next block's header only
            continue
        block_ids, block_weights, block_values = whoosh_compat.block_postings(matcher, values)
        where = {d: n for n, d in enumerate(block_ids)}
        while i < len(wanted) and wanted[i] <= last:
            n = where.get(wanted[i])
            if n is not None:
                found[wanted[i]] = (block_weights[n], block_values[n] if block_values is not None else None)
            i += 1
        whoosh_compat.next_block(matcher)
    return found


def _pick(found: Postings, docs: Collection[int], values: bool = True) -> dict[int, tuple[float, object]]:
    """Return {document: (weight, value or None)} from a posting list in memory, for the given documents."""
    ids = found.ids
    if len(docs) * 8 > len(ids):
        where = [i for i, d in enumerate(ids) if d in docs]
    else:
        # Few documents in a long list: look each one up (the ids are sorted) instead of walking it.
        wanted = list(docs)
        where = [i for d, i in zip(wanted, map(partial(bisect_left, ids), wanted)) if i < len(ids) and ids[i] == d]
    weights = found.weights
    if values and found.values is not None:
        packed = found.values
        return {ids[i]: (weights[i], packed[i]) for i in where}
    return {ids[i]: (weights[i], None) for i in where}


def frequency(reader: IndexReader, fieldname: str, text: str) -> int:
    """Return how many of a segment's documents hold a term (remembered: each lookup in the term
    index reads the segment file, and a search asks for the same terms several times)."""
    return remembered(
        reader, "frequency", (fieldname, text), lambda: reader.doc_frequency(fieldname, text), cost=lambda _: 8
    )


def known(reader: IndexReader, name: str, key: Hashable) -> Any:
    """Return a per-segment fact if it is remembered, else None (computing nothing)."""
    return CACHE.get((segment_key(reader), name, key))


def remembered(
    reader: IndexReader, name: str, key: Hashable, compute: Callable[[], Any], cost: Callable[[Any], int] = len
) -> Any:
    """Return compute() for a per-segment fact, computed once and kept within the budget."""
    full_key = (segment_key(reader), name, key)
    found = CACHE.get(full_key)
    if found is None:
        found = compute()
        CACHE.put(full_key, found, cost(found))
    return found


def warm(reader: IndexReader, fieldnames: tuple[str, ...], budget: int) -> int:
    """Read the most frequent terms' postings (with values) into the cache, up to `budget` postings
    over the given fields together; return how many were read. A common term is the slowest to read
    cold and the likeliest to be asked for again."""
    frequent = []
    for fieldname in fieldnames:
        for text, info in reader.iter_field(fieldname):
            frequent.append((info.doc_frequency(), fieldname, text))
    frequent.sort(reverse=True)
    read = 0
    for frequency, fieldname, text in frequent:
        if read + frequency > budget:
            continue
        word = text.decode("utf-8") if isinstance(text, bytes) else text
        read += len(postings(reader, fieldname, word, values=True).ids)
    return read
