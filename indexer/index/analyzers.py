"""The analysis chain as Whoosh tokenizers: the classes a schema pickles for its text fields.

They hold no Janome object (it is rebuilt lazily by `indexer.text.analysis`), so they pickle into
the index; moving or renaming them changes what an index unpickles, so it bumps SCHEMA_VERSION.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Token, Tokenizer

from indexer.index.kept import KeptText, kept_words
from indexer.text.analysis import analyze, bigrams


class _ItemTokenizer(Tokenizer):
    """A Whoosh tokenizer over items(value) → (term, position, start, end); it holds no Janome
    object, so it pickles into the schema, and it reuses one Token as Whoosh expects."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def items(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        raise NotImplementedError

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        items = self.items(value) if tokenize else [(value, 0, 0, len(value))]
        for term, position, start, end in items:
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]  # type: ignore[attr-defined]  # Token takes any attribute
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class JapaneseTokenizer(_ItemTokenizer):
    """Janome words as `analyze` reads them; a KeptText brings them from the store, or spools them."""

    def items(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        return iter(kept_words(value))


def japanese_analyzer() -> JapaneseTokenizer:
    """Return the Whoosh analyzer used for every Japanese text field."""
    return JapaneseTokenizer()


class BigramTokenizer(_ItemTokenizer):
    """Folded character bigrams, those that begin a word also marked (see `bigrams`)."""

    def items(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        if isinstance(value, KeptText) and value.tokens is not None:
            return bigrams(value, {start for _, _, start, _ in value.tokens})
        return bigrams(value, {t.start for t in analyze(value)})


def bigram_analyzer() -> BigramTokenizer:
    """Return the Whoosh analyzer of the character-bigram field."""
    return BigramTokenizer()
