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

from whoosh import query as wq
from whoosh.scoring import BM25FScorer

from indexer.positions import TermSequence, sequence_docs
from indexer.postings import at_docs, postings, remembered


class Unsupported(Exception):
    """The query has a part this module does not evaluate; run it through Whoosh."""


def _lengths(searcher, fieldname: str) -> list[int]:
    """Return every document's length in a field, read once per segment."""
    reader = searcher.reader()
    return remembered(reader, "lengths", fieldname, lambda: [
        searcher.doc_field_length(d, fieldname, 1) or 1 for d in range(reader.doc_count_all())])


def term_scores(searcher, fieldname: str, text: str, boost: float = 1.0, only=None) -> dict[int, float]:
    """Return {document number: BM25F score × boost} for one term in one (segment) searcher, for
    every document holding it or only those in `only`."""
    reader = searcher.reader()
    if only is None:
        found = postings(reader, fieldname, text)
        ids, weights = found.ids, found.weights
    else:
        found = at_docs(reader, fieldname, text, only)
        ids, weights = list(found), [weight for weight, _ in found.values()]
    if not ids:
        return {}
    scorer = searcher.weighting.scorer(searcher, fieldname, text)
    lengths = _lengths(searcher, fieldname)
    if type(scorer) is BM25FScorer:
        idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        # whoosh.scoring.bm25, written out so the loop stays in one comprehension
        return {d: boost * (idf * ((w * (k1 + 1)) / (w + k1 * ((1 - b) + b * lengths[d] / avgfl))))
                for d, w in zip(ids, weights)}
    score = scorer._score
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


def _evaluate(searcher, q: wq.Query) -> dict[int, float]:
    boost = getattr(q, "boost", 1.0)
    if isinstance(q, type(wq.NullQuery)):
        return {}
    if type(q) is wq.Term:
        return term_scores(searcher, q.fieldname, q.text, boost)
    if type(q) is TermSequence:
        docs = sequence_docs(searcher.reader(), q.fieldname, q.words, q.offsets)
        total: dict[int, float] = dict.fromkeys(docs, 0.0)
        if not docs:
            return total
        for word in q.words:
            for d, s in term_scores(searcher, q.fieldname, word, only=docs).items():
                total[d] += s
        return _boosted(total, boost)
    if type(q) is wq.Or and getattr(q, "minmatch", 0) in (0, None, 1) and getattr(q, "scale", None) in (None, 0.0):
        total = {}
        for child in q.subqueries:
            for d, s in _evaluate(searcher, child).items():
                total[d] = total.get(d, 0.0) + s
        return _boosted(total, boost)
    if type(q) is wq.And:
        positive = [c for c in q.subqueries if not isinstance(c, wq.Not)]
        negative = [c for c in q.subqueries if isinstance(c, wq.Not)]
        if not positive:
            raise Unsupported("an AND of negations only")
        parts = sorted((_evaluate(searcher, c) for c in positive), key=len)
        total = dict(parts[0])
        for part in parts[1:]:
            total = {d: s + part[d] for d, s in total.items() if d in part}
        for child in negative:
            excluded = _evaluate(searcher, child.query)
            # Whoosh's inverse matcher scores each document it lets through at the NOT's boost.
            total = {d: s + child.boost for d, s in total.items() if d not in excluded}
        return _boosted(total, boost)
    raise Unsupported(type(q).__name__)


def _boosted(total: dict[int, float], boost: float) -> dict[int, float]:
    return {d: s * boost for d, s in total.items()} if boost != 1.0 else total
