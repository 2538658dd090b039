"""The one Japanese analysis chain, shared by indexing and querying.

Text is normalised once at ingest (`normalize_text`) and stored that way, so token offsets point
at the characters a reader sees. Janome splits it; particles, auxiliaries and symbols are dropped
but still advance the position counter, so a phrase query for データセンター never matches
データのセンター; verbs and adjectives are indexed by their base form; terms are case-folded.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Iterator

from whoosh.analysis import Token, Tokenizer

# Bump when anything here changes what the index stores; recorded beside each index.
ANALYZER_VERSION = "janome-0.5.0/v1"

DROPPED_POS = ("助詞", "助動詞", "記号", "フィラー", "その他")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\ufeff]")
_SPACES = re.compile(r"[ \t]+")

_local = threading.local()


def _janome():
    # Janome loads its dictionary once per process; a Tokenizer per thread keeps lattices apart.
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from janome.tokenizer import Tokenizer as JanomeTokenizer

        tokenizer = _local.tokenizer = JanomeTokenizer()
    return tokenizer


def morphemes(text: str):
    """Yield Janome's morphemes for text (surface, part_of_speech, base_form)."""
    return _janome().tokenize(text)


def normalize_text(text: str) -> str:
    """Return the stored form of text: NFKC, no control characters, runs of spaces folded."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def fold_term(term: str) -> str:
    """Return the index form of one token's text."""
    return term.casefold()


@dataclass(frozen=True)
class AnalyzedToken:
    """A term as the index stores it, with its position and its span in the stored text."""

    term: str
    pos: int
    start: int
    end: int
    surface: str
    part_of_speech: str


def analyze(text: str) -> Iterator[AnalyzedToken]:
    """Yield the terms the index stores for already-normalised text, with positions and spans."""
    offset = 0
    position = -1
    for token in _janome().tokenize(text):
        surface = token.surface
        start, offset = offset, offset + len(surface)
        pos_tags = token.part_of_speech
        if surface.isspace():
            continue
        position += 1
        if pos_tags.startswith(DROPPED_POS):
            continue
        base = token.base_form if token.base_form not in ("*", "") else surface
        yield AnalyzedToken(fold_term(base), position, start, offset, surface, pos_tags)


class JapaneseTokenizer(Tokenizer):
    """Whoosh tokenizer over `analyze`; holds no Janome object, so it pickles into the schema."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for item in analyze(value):
            token.text = item.term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = item.surface
            if positions:
                token.pos = start_pos + item.pos
            if chars:
                token.startchar = start_char + item.start
                token.endchar = start_char + item.end
            yield token


def japanese_analyzer() -> JapaneseTokenizer:
    """Return the Whoosh analyzer used for every Japanese text field."""
    return JapaneseTokenizer()
