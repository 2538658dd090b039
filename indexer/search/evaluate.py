"""Match and score a query over whole posting blocks: the same BM25F scores Whoosh gives, without
walking matchers one document at a time.

Whoosh scores every matching document through a chain of Python matcher objects (microseconds
each), and a results page with facet counts needs every match. Here each term's postings are read
block by block into arrays, scored with one comprehension, and combined with set and dict
operations; phrases and exact substrings (`TermSequence`) keep their documents and score as the
sum of their terms, as Whoosh's phrase matcher does. Queries of other kinds raise `Unsupported`
and the caller lets Whoosh run them.
"""

from __future__ import annotations

from array import array

from whoosh import query as wq

from indexer.index.whoosh_compat import BM25FScorer, raw_score
from indexer.search.postings import at_docs, frequency, postings, remembered
from indexer.search.sequences import TermSequence


class Unsupported(Exception):
    """The query has a part this module does not evaluate; run it through Whoosh."""


def _lengths(searcher, fieldname: str) -> array:
    """Return every document's length in a field, read once per segment."""
    reader = searcher.reader()
    return remembered(reader, "lengths", fieldname, lambda: array("I", [
        searcher.doc_field_length(d, fieldname, 1) or 1 for d in range(reader.doc_count_all())]))


def term_scores(searcher, fieldname: str, text: str, boost: float = 1.0, only=None) -> dict[int, float]:
    """Return {document number: BM25F score × boost} for one term in one (segment) searcher, for
    every document holding it or only those in `only`."""
    reader = searcher.reader()
    if only is None:
        found = postings(reader, fieldname, text)
        return _scored(searcher, fieldname, text, found.ids, found.weights, boost)
    found = at_docs(reader, fieldname, text, only, values=False)
    return _scored(searcher, fieldname, text, list(found), [w for w, _ in found.values()], boost)


def _scored(searcher, fieldname: str, text: str, ids, weights, boost: float = 1.0) -> dict[int, float]:
    """Return {document: score × boost} of one term at the given documents and weights."""
    if not ids:
        return {}
    scorer = searcher.weighting.scorer(searcher, fieldname, text)
    lengths = _lengths(searcher, fieldname)
    if type(scorer) is BM25FScorer:
        idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        # whoosh.scoring.bm25, written out so the loop stays in one comprehension
        return {d: boost * (idf * ((w * (k1 + 1)) / (w + k1 * ((1 - b) + b * lengths[d] / avgfl))))
                for d, w in zip(ids, weights)}
    score = raw_score(scorer)
    if score is None:
        raise Unsupported(f"{type(scorer).__name__} scores from more than weight and length")
    return {d: boost * score(w, lengths[d]) for d, w in zip(ids, weights)}


def scores(searcher, q: wq.Query) -> dict[int, float]:
    """Return {global document number: score} of every document the query matches."""
    result: dict[int, float] = {}
    for sub, offset in searcher.subsearchers or [(searcher, 0)]:  # None for a one-segment index
        segment = _evaluate(sub, q)
        if offset:
            result.update({d + offset: s for d, s in segment.items()})
        else:
            result.update(segment)
    return result


def _evaluate(searcher, q: wq.Query, only=None) -> dict[int, float]:
    """Score q's matches in one segment; with `only`, just those among these documents."""
    boost = getattr(q, "boost", 1.0)
    if isinstance(q, type(wq.NullQuery)):
        return {}
    if type(q) is wq.Term:
        return term_scores(searcher, q.fieldname, q.text, boost, only)
    if type(q) is TermSequence:
        found = q.matches(searcher.reader(), only)
        total: dict[int, float] = dict.fromkeys(found, 0.0)
        if not found:
            return total
        docs = list(found)
        for i, word in enumerate(q.words):
            for d, s in _scored(searcher, q.fieldname, word, docs, [found[d][i] for d in docs]).items():
                total[d] += s
        return _boosted(total, boost)
    if type(q) is wq.Or and getattr(q, "minmatch", 0) in (0, None, 1) and getattr(q, "scale", None) in (None, 0.0):
        total = {}
        for child in q.subqueries:
            for d, s in _evaluate(searcher, child, only).items():
                total[d] = total.get(d, 0.0) + s
        return _boosted(total, boost)
    if type(q) is wq.And:
        positive = [c for c in q.subqueries if not isinstance(c, wq.Not)]
        negative = [c for c in q.subqueries if isinstance(c, wq.Not)]
        if not positive:
            raise Unsupported("an AND of negations only")
        # The likely smallest part is matched in full; every other part only at its documents, so
        # a common word ANDed with a rare one is never scored across its whole posting list.
        reader = searcher.reader()
        positive.sort(key=lambda c: _estimate(reader, c))
        total = _evaluate(searcher, positive[0], only)
        for child in positive[1:]:
            if not total:
                return total
            part = _evaluate(searcher, child, total.keys())
            total = {d: s + part[d] for d, s in total.items() if d in part}
        for child in negative:
            excluded = _evaluate(searcher, child.query, total.keys()) if total else {}
            # Whoosh's inverse matcher scores each document it lets through at the NOT's boost.
            total = {d: s + child.boost for d, s in total.items() if d not in excluded}
        return _boosted(total, boost)
    raise Unsupported(type(q).__name__)


def _estimate(reader, q: wq.Query) -> int:
    """Return an upper bound on how many of the segment's documents q matches, without reading postings."""
    if type(q) is wq.Term:
        return frequency(reader, q.fieldname, q.text)
    if type(q) is TermSequence:
        return min(frequency(reader, q.fieldname, w) for w in q.words)
    if type(q) is wq.Or:
        return sum(_estimate(reader, c) for c in q.subqueries)
    if type(q) is wq.And:
        return min((_estimate(reader, c) for c in q.subqueries if not isinstance(c, wq.Not)),
                   default=reader.doc_count_all())
    return reader.doc_count_all()


def _boosted(total: dict[int, float], boost: float) -> dict[int, float]:
    return {d: s * boost for d, s in total.items()} if boost != 1.0 else total
