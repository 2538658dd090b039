"""The one Japanese analysis chain, shared by indexing and querying.

Text is normalised once at ingest (`indexer.text.normalize.normalize_text`) and stored that way, so
token offsets point at the characters a reader sees. Janome splits it; particles, auxiliaries and
symbols are dropped but still advance the position counter, so a phrase query for データセンター
never matches データのセンター; verbs and adjectives are indexed by their base form; terms are
case-folded. Character bigrams of the folded text back exact-substring search.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import NamedTuple

from indexer.text.normalize import fold_chars, fold_term

# Bump when anything here changes what the index stores; recorded beside each index.
ANALYZER_VERSION = "janome-0.5.0/v2"

DROPPED_POS = ("助詞", "助動詞", "記号", "フィラー", "その他")

_local = threading.local()
_janome_lock = threading.Lock()
_janome_tokenizer = None


def _janome_tokens(text: str) -> list:
    """Tokenize with the process's one Janome tokenizer (a lock keeps threads from sharing a lattice;
    a tokenizer per thread would cost each web-server thread tens of megabytes)."""
    global _janome_tokenizer
    with _janome_lock:
        if _janome_tokenizer is None:
            from janome.tokenizer import Tokenizer as JanomeTokenizer

            _janome_tokenizer = JanomeTokenizer()
            # Janome's dictionary lives as long as the process and holds millions of list items (a
            # 1316 × 1317 connection matrix, the entries' index); frozen, the cyclic garbage collector
            # stops walking them on every full collection (about 25 ms each, at random searches).
            gc.freeze()
        return list(_janome_tokenizer.tokenize(text))


def morphemes(text: str) -> list:
    """Return Janome's morphemes for text (surface, part_of_speech, base_form)."""
    return _janome_tokens(text)


class AnalyzedToken(NamedTuple):
    """A term as the index stores it, with its position and its span in the stored text."""

    term: str
    pos: int
    start: int
    end: int
    surface: str
    part_of_speech: str
    known: bool = True  # False for words Janome's dictionary does not have (DX, new katakana words)


def analyze(text: str) -> list[AnalyzedToken]:
    """Return the terms the index stores for already-normalised text, with positions and spans."""
    # Both text fields of a document analyse the same text; Janome runs once for the two.
    cached = getattr(_local, "last", None)
    if cached is not None and cached[0] is text:
        return cached[1]
    tokens = list(_analyze(text))
    _local.last = (text, tokens)
    return tokens


def _analyze(text: str) -> Iterator[AnalyzedToken]:
    offset = 0
    position = -1
    for token in _janome_tokens(text):
        surface = token.surface
        start, offset = offset, offset + len(surface)
        pos_tags = token.part_of_speech
        if surface.isspace():
            continue
        position += 1
        if pos_tags.startswith(DROPPED_POS):
            continue
        base = token.base_form if token.base_form not in ("*", "") else surface
        yield AnalyzedToken(
            fold_term(base),
            position,
            start,
            offset,
            surface,
            pos_tags,
            getattr(token, "node_type", "SYS_DICT") != "UNKNOWN",
        )


# Marks a bigram that begins a Janome word, so a kanji query (京都) can insist on starting where
# a word starts and never match inside another word (東京都).
WORD_START = "^"


def bigrams(text: str, word_starts: set[int] | None = None) -> Iterator[tuple[str, int, int, int]]:
    """Yield (term, position, start, end) character bigrams of folded text; a bigram that begins a
    word (its offset in word_starts) is yielded a second time with WORD_START in front."""
    folded, offsets = fold_chars(text)
    for i in range(len(folded) - 1):
        pair = folded[i : i + 2]
        if pair.isspace() or " " in pair or "\n" in pair:
            continue
        start, end = offsets[i], offsets[i + 1] + 1
        yield pair, i, start, end
        if word_starts is not None and offsets[i] in word_starts:
            yield WORD_START + pair, i, start, end
