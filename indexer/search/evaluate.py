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
from collections.abc import Collection, Sequence

from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer.index.whoosh_compat import BM25FScorer, raw_score
from indexer.search.postings import at_docs, frequency, postings, remembered
from indexer.search.sequences import TermSequence


class Unsupported(Exception):
    """The query has a part this module does not evaluate; run it through Whoosh."""


def _lengths(searcher: Searcher, fieldname: str) -> array:
    """Return every document's length in a field, read once per segment."""
    reader = searcher.reader()
    return remembered(
        reader,
        "lengths",
        fieldname,
        lambda: array(
            "I",
            [
                # A Searcher copies doc_field_length from its reader at run time; its type does not declare it.
                searcher.doc_field_length(d, fieldname, 1) or 1  # type: ignore[attr-defined]
                for d in range(reader.doc_count_all())
            ],
        ),
    )


def term_scores(
    searcher: Searcher, fieldname: str, text: str, boost: float = 1.0, only: Collection[int] | None = None
) -> dict[int, float]:
    """Return {document number: BM25F score × boost} for one term in one (segment) searcher, for
    every document holding it or only those in `only`."""
    reader = searcher.reader()
    if only is None:
        found = postings(reader, fieldname, text)
        return _scored(searcher, fieldname, text, found.ids, found.weights, boost)
    picked = at_docs(reader, fieldname, text, only, values=False)
    return _scored(searcher, fieldname, text, list(picked), [w for w, _ in picked.values()], boost)


def _scored(
    searcher: Searcher, fieldname: str, text: str, ids: Sequence[int], weights: Sequence[float], boost: float = 1.0
) -> dict[int, float]:
    """Return {document: score × boost} of one term at the given documents and weights."""
    if not ids:
        return {}
    scorer = searcher.weighting.scorer(searcher, fieldname, text)
    lengths = _lengths(searcher, fieldname)
    if type(scorer) is BM25FScorer:
        idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        # whoosh.scoring.bm25, written out so the loop stays in one comprehension
        return {
            d: boost * (idf * ((w * (k1 + 1)) / (w + k1 * ((1 - b) + b * lengths[d] / avgfl))))
            for d, w in zip(ids, weights)
        }
    score = raw_score(scorer)
    if score is None:
        raise Unsupported(f"{type(scorer).__name__} scores from more than weight and length")
    return {d: boost * score(w, lengths[d]) for d, w in zip(ids, weights)}


def scores(searcher: Searcher, q: wq.Query) -> dict[int, float]:
    """Return {global document number: score} of every document the query matches."""
    result: dict[int, float] = {}
    for sub, offset in searcher.subsearchers or [(searcher, 0)]:  # None for a one-segment index
        segment = _evaluate(sub, q)
        if offset:
            result.update({d + offset: s for d, s in segment.items()})
        else:
            result.update(segment)
    return result


def _evaluate(searcher: Searcher, q: wq.Query, only: Collection[int] | None = None) -> dict[int, float]:
    """Score q's matches in one segment; with `only`, just those among these documents."""
    boost = getattr(q, "boost", 1.0)
    if isinstance(q, type(wq.NullQuery)):
        return {}
    if type(q) is wq.Term:
        return term_scores(searcher, q.fieldname, q.text, boost, only)
    if type(q) is wq.Every and q.fieldname in (None, "", "*"):
        # Whoosh lists every live document, each scored at the query's boost.
        every = searcher.reader().all_doc_ids()
        return dict.fromkeys(every if only is None else (d for d in every if d in only), boost)
    if isinstance(q, wq.And | wq.Or) and len(q.subqueries) <= 1:
        # Whoosh runs a compound of one query as that query alone, without the compound's boost.
        return _evaluate(searcher, q.subqueries[0], only) if q.subqueries else {}
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
    if type(q) is wq.AndMaybe and boost == 1.0:
        # The required part's matches, each plus the optional part's score where it matches too.
        total = dict(_evaluate(searcher, q.a, only))
        if total:
            for d, s in _evaluate(searcher, q.b, total.keys()).items():
                total[d] += s
        return total
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
            excluded = _documents(searcher, child.query, total.keys()) if total else set()
            # Whoosh's inverse matcher scores each document it lets through at 1.0, whatever the NOT's boost.
            total = {d: s + 1.0 for d, s in total.items() if d not in excluded}
        return _boosted(total, boost)
    raise Unsupported(type(q).__name__)


def _documents(searcher: Searcher, q: wq.Query, only: Collection[int]) -> Collection[int]:
    """Return which of the given documents q matches, unscored (a NOT needs no scores, and a filter
    field such as role has no lengths to score by)."""
    if type(q) is wq.Term:
        return at_docs(searcher.reader(), q.fieldname, q.text, only, values=False).keys()
    return _evaluate(searcher, q, only).keys()


def _estimate(reader: IndexReader, q: wq.Query) -> int:
    """Return an upper bound on how many of the segment's documents q matches, without reading postings."""
    if type(q) is wq.Term:
        return frequency(reader, q.fieldname, q.text)
    if type(q) is TermSequence:
        return min(frequency(reader, q.fieldname, w) for w in q.words)
    if type(q) is wq.Or:
        return sum(_estimate(reader, c) for c in q.subqueries)
    if type(q) is wq.And:
        return min(
            (_estimate(reader, c) for c in q.subqueries if not isinstance(c, wq.Not)), default=reader.doc_count_all()
        )
    if type(q) is wq.AndMaybe:
        return _estimate(reader, q.a)
    return reader.doc_count_all()


def _boosted(total: dict[int, float], boost: float) -> dict[int, float]:
    return {d: s * boost for d, s in total.items()} if boost != 1.0 else total
