"""The benchmark's query sets, drawn from the corpus itself, and the substring oracle for recall.

Kinds: noun (one noun), compound (two or more nouns written together), phrase (a quoted run of
words with a particle inside), and (two nouns from one utterance). Each kind is also run with a
random date range of day precision (so no filter cache can help), facet counts included.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from indexer.text.analysis import morphemes
from indexer.text.normalize import fold_chars, normalize_text

KINDS = ("noun", "compound", "phrase", "and")
_NOUN = ("名詞,一般", "名詞,サ変接続", "名詞,固有名詞", "名詞,形容動詞語幹")
_PARTICLES = ("の", "を", "に", "が", "と", "は", "で")


@dataclass(frozen=True)
class BenchQuery:
    """One benchmark query: its kind, the text typed, the words it needs, and an optional date range."""

    kind: str
    q: str
    words: tuple[str, ...]  # each must occur in a matching utterance (the oracle's needles)
    date_from: date | None = None
    date_until: date | None = None

    @property
    def label(self) -> str:
        return self.kind + ("+date" if self.date_from else "")


def _is_word(surface: str) -> bool:
    return len(surface) >= 2 and all(ch.isalpha() for ch in surface)


def make_queries(texts: list[str], dates: list[date], per_kind: int, seed: int = 7) -> list[BenchQuery]:
    """Return per_kind distinct queries of each kind, then each again with a random date range."""
    rng = random.Random(seed)
    nouns: dict[str, int] = {}
    compounds: set[str] = set()
    phrases: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    order = list(range(len(texts)))
    rng.shuffle(order)
    for i in order:
        tokens = morphemes(texts[i][:400])
        in_text = []
        run: list[str] = []
        for n, token in enumerate(tokens):
            surface, pos = token.surface, token.part_of_speech
            noun = pos.startswith(_NOUN) and _is_word(surface)
            if noun:
                nouns[surface] = nouns.get(surface, 0) + 1
                in_text.append(surface)
            if (
                pos.startswith("名詞")
                and not pos.startswith(("名詞,数", "名詞,非自立", "名詞,代名詞"))
                and all(ch.isalpha() for ch in surface)
            ):
                run.append(surface)
            else:
                joined = "".join(run)
                if len(run) >= 2 and 4 <= len(joined) <= 10:
                    compounds.add(joined)
                run = []
            if (
                noun
                and n + 2 < len(tokens)
                and tokens[n + 1].surface in _PARTICLES
                and tokens[n + 2].part_of_speech.startswith(_NOUN)
                and _is_word(tokens[n + 2].surface)
            ):
                phrases.add(surface + tokens[n + 1].surface + tokens[n + 2].surface)
        distinct = sorted(set(in_text))
        if len(distinct) >= 2:
            a, b = rng.sample(distinct, 2)
            pairs.add((a, b))
        if min(len(compounds), len(phrases), len(pairs)) >= per_kind and len(nouns) >= 3 * per_kind:
            break
    common_nouns = sorted((w for w, c in nouns.items() if c >= 2), key=lambda w: (-nouns[w], w))
    chosen = {
        "noun": [(w, (w,)) for w in rng.sample(common_nouns, min(per_kind, len(common_nouns)))],
        "compound": [(c, (c,)) for c in rng.sample(sorted(compounds), min(per_kind, len(compounds)))],
        "phrase": [(f'"{p}"', (p,)) for p in rng.sample(sorted(phrases), min(per_kind, len(phrases)))],
        "and": [(f"{a} {b}", (a, b)) for a, b in rng.sample(sorted(pairs), min(per_kind, len(pairs)))],
    }
    first, last = min(dates), max(dates)
    span = max(1, (last - first).days)
    queries = [BenchQuery(kind, q, words) for kind in KINDS for q, words in chosen[kind]]
    for query in list(queries):
        start = first + timedelta(days=rng.randrange(span))
        end = min(last, start + timedelta(days=rng.randrange(30, 5 * 365)))
        queries.append(BenchQuery(query.kind, query.q, query.words, start, end))
    return queries


def fold(text: str) -> str:
    """Fold text as the index compares it (normalised, case and variants folded, no spaces)."""
    return fold_chars(normalize_text(text).replace(" ", ""))[0]


class SubstringOracle:
    """The utterances holding every word of a query as a normalised substring, found by plain scan."""

    def __init__(self, docs: list[tuple[tuple[str, int], str, str]]):
        # (key, date, folded text) per document; a text repeated (a replicated corpus) is folded once
        folded: dict[str, str] = {}
        self.docs = [(key, day, folded.get(text) or folded.setdefault(text, fold(text))) for key, day, text in docs]

    def matching(self, query: BenchQuery) -> set[tuple[str, int]]:
        """Return the keys of the documents holding all of the query's words within its date range."""
        needles = [fold(w) for w in query.words]
        low = query.date_from.isoformat() if query.date_from else ""
        high = query.date_until.isoformat() if query.date_until else "9999"
        return {key for key, day, text in self.docs if low <= day <= high and all(n in text for n in needles)}
