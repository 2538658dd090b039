"""Zero-hit rescue: when every word together finds nothing, the best partial match and what to try instead."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any, Protocol, TypeVar

from whoosh import query as wq
from whoosh.reading import IndexReader

from indexer.search.postings import frequency
from indexer.search.query import TEXT_FIELD, ParsedQuery
from indexer.search.synonyms import Synonyms
from indexer.text.analysis import analyze
from indexer.text.normalize import normalize_text

R = TypeVar("R", bound=Any)  # a backend's SearchResult, a dataclass with a rescue field

# Beyond this many words, only one word is left out at a time (then all but one kept), not every subset.
MAX_SUBSET_WORDS = 6
MAX_SUGGESTIONS = 5
TIPS = "語を減らす、別の言い方（例: 子供 → 子ども）を試す、期間や会議の絞り込みを外す、などをお試しください。"


@dataclass
class Suggestion:
    """Another query to try: the query text and why it is offered."""

    query: str
    why: str

    def to_json(self) -> dict:
        return {"query": self.query, "why": self.why}


@dataclass
class Rescue:
    """What a zero-hit search showed instead: the words kept, the words left out, and suggestions."""

    kept: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    unfiltered: int = 0  # matches of the query as typed without the request's filters

    def describe(self, total: int) -> str:
        """Say in one sentence what is shown instead of nothing."""
        if self.unfiltered:
            return f"絞り込みの条件に合う発言はありません（条件を外すと {self.unfiltered} 件）。"
        if not self.kept:
            words = "".join(f"「{w}」" for w in self.left_out)
            return f"{words}を含む発言は見つかりませんでした。" + TIPS
        left = "".join(f"「{w}」" for w in self.left_out)
        return f"すべての語を含む発言はありません。{left}を除いた {total} 件を表示しています。"

    def to_json(self) -> dict:
        return {
            "unfiltered": self.unfiltered,
            "kept": self.kept,
            "left_out": self.left_out,
            "suggestions": [s.to_json() for s in self.suggestions],
        }


def partial_queries(parsed: ParsedQuery) -> Iterator[tuple[list[int], ParsedQuery]]:
    """Yield (indexes of the words kept, the query keeping them), most words first, for a query whose
    top-level words must all occur; negations and filters stay as they were."""
    parts = parsed.parts
    count = len(parts)
    if count < 2:
        return
    negations = _negations(parsed.query)
    sizes = range(count - 1, 0, -1) if count <= MAX_SUBSET_WORDS else (count - 1, 1)
    for size in sizes:
        for kept in combinations(range(count), size):
            queries = [parts[i][1] for i in kept] + negations
            query = queries[0] if len(queries) == 1 else wq.And(queries)
            yield list(kept), replace(parsed, query=query)


def _negations(query: wq.Query) -> list[wq.Query]:
    """Return the NOT clauses of a top-level AND."""
    if type(query) is wq.And:
        return [child for child in query.subqueries if isinstance(child, wq.Not)]
    return []


def best_partial(parsed: ParsedQuery, count: Callable[[ParsedQuery], int]) -> tuple[list[int], ParsedQuery] | None:
    """Return the partial query that keeps the most words and, among those, finds the most utterances."""
    best: tuple[int, list[int], ParsedQuery] | None = None
    for kept, partial in partial_queries(parsed):
        if best is not None and len(kept) < len(best[1]):
            break
        found = count(partial)
        if found and (best is None or found > best[0]):
            best = (found, kept, partial)
    return (best[1], best[2]) if best else None


class Words(Protocol):
    """The index's Janome words, as suggestions look them up (each backend has its own)."""

    def frequency(self, term: str) -> int:
        """Return how many documents hold the word."""
        ...

    def near(self, term: str) -> Iterable[str]:
        """Return the words one edit away (Damerau-Levenshtein) from term, in any order."""
        ...


class WhooshWords:
    """The Janome words of a Whoosh index reader."""

    def __init__(self, reader: IndexReader):
        self.reader = reader

    def frequency(self, term: str) -> int:
        return frequency(self.reader, TEXT_FIELD, term)

    def near(self, term: str) -> Iterable[str]:
        return self.reader.terms_within(TEXT_FIELD, term, 1)


def suggest(lexicon: Words, q: str, words: Sequence[str], synonyms: Synonyms, already: set[str]) -> list[Suggestion]:
    """Offer other queries for words that found nothing: a synonym or variant the index holds, a term
    the index holds one character away, or the exact string when the input was read as words."""
    offered: list[Suggestion] = []
    for word in words:
        for alternative in synonyms.alternatives(word):
            if alternative not in already and _held(lexicon, alternative):
                offered.append(Suggestion(q.replace(word, alternative), f"「{word}」の言い換え"))
        if _held(lexicon, word):
            continue
        script = _other_script(word)
        if script and _held(lexicon, script):
            offered.append(Suggestion(q.replace(word, script), f"「{word}」の別の表記"))
        if len(word) < 4:
            continue  # one character away from a short word is another word, not a typo
        folded = normalize_text(word).lower()
        near = sorted(
            (t for t in lexicon.near(folded) if t != folded and len(t) == len(folded)),
            key=lambda term: -lexicon.frequency(term),
        )
        for term in near[:2]:
            offered.append(Suggestion(q.replace(word, term), f"「{word}」に近い表記"))
    unique = {s.query: s for s in offered if s.query != q}
    return list(unique.values())[:MAX_SUGGESTIONS]


def rescued(
    q: str,
    parsed: ParsedQuery,
    empty: R,
    *,
    filtered: bool,
    count_unfiltered: Callable[[], int],
    count: Callable[[ParsedQuery], int],
    search: Callable[[ParsedQuery], R],
    lexicon: Words,
    synonyms: Synonyms,
) -> R:
    """Return what a search that found nothing shows instead (empty and search's results are a backend's
    SearchResult): when filters alone excluded every match, how many; else the best partial match (the most
    words kept) with the words left out and suggestions; else the empty result with suggestions alone."""
    if filtered:
        excluded = count_unfiltered()
        if excluded:
            return replace(empty, rescue=Rescue(unfiltered=excluded))
    partial = best_partial(parsed, count)
    labels = [label for label, _ in parsed.parts]
    words = labels or parsed.reading_words() or [q.strip()]
    if partial is None:
        offered = suggest(lexicon, q, words, synonyms, set(words))
        return replace(empty, rescue=Rescue([], labels, offered)) if offered or labels else empty
    kept, partial_query = partial
    left_out = [labels[i] for i in range(len(labels)) if i not in kept]
    offered = suggest(lexicon, q, left_out, synonyms, set(words))
    return replace(search(partial_query), rescue=Rescue([labels[i] for i in kept], left_out, offered))


def _other_script(word: str) -> str | None:
    """Return a kana word in the other kana script (くじら → クジラ, クジラ → くじら), else None."""
    if all("\u3041" <= ch <= "\u3096" or ch == "ー" for ch in word):
        return "".join(chr(ord(ch) + 0x60) if ch != "ー" else ch for ch in word)
    if all("\u30a1" <= ch <= "\u30f6" or ch == "ー" for ch in word):
        return "".join(chr(ord(ch) - 0x60) if ch != "ー" else ch for ch in word)
    return None


def _held(lexicon: Words, word: str) -> bool:
    """Tell whether the index holds every analysed term of a word."""
    tokens = analyze(normalize_text(word))
    return bool(tokens) and all(lexicon.frequency(t.term) for t in tokens)
