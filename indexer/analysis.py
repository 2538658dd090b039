"""The one Japanese analysis chain, shared by indexing and querying.

Text is normalised once at ingest (`normalize_text`) and stored that way, so token offsets point
at the characters a reader sees. Janome splits it; particles, auxiliaries and symbols are dropped
but still advance the position counter, so a phrase query for データセンター never matches
データのセンター; verbs and adjectives are indexed by their base form; terms are case-folded.
"""

from __future__ import annotations

import gc
import re
import threading
import unicodedata
from typing import Iterator, NamedTuple

from whoosh.analysis import Token, Tokenizer

# Bump when anything here changes what the index stores; recorded beside each index.
ANALYZER_VERSION = "janome-0.5.0/v2"

DROPPED_POS = ("助詞", "助動詞", "記号", "フィラー", "その他")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\ufeff]")
_SPACES = re.compile(r"[ \t]+")

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


def normalize_text(text: str) -> str:
    """Return the stored form of text: NFKC, no control characters, runs of spaces folded."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# Variant and old-style kanji common in names (髙橋/高橋, 山﨑/山崎, 渡邊/渡辺, 國/国 …): one form.
VARIANT_KANJI = str.maketrans({
    "髙": "高", "﨑": "崎", "嵜": "崎", "邊": "辺", "邉": "辺", "國": "国", "澤": "沢", "濱": "浜",
    "濵": "浜", "齋": "斎", "齊": "斉", "廣": "広", "櫻": "桜", "嶋": "島", "槇": "槙", "冨": "富",
    "德": "徳", "惠": "恵", "眞": "真", "實": "実", "將": "将", "髮": "髪", "龍": "竜", "藏": "蔵",
    "曻": "昇", "瀨": "瀬", "舘": "館",
})
_KATAKANA = re.compile(r"^[\u30a1-\u30fa\u30fc]+$")


def _is_katakana(ch: str) -> bool:
    return "\u30a1" <= ch <= "\u30fa" or ch == "\u30fc"


def fold_term(term: str) -> str:
    """Return the index form of one token: case-folded, variant kanji unified, 々 spelled out,
    and a final long-vowel mark dropped from katakana words (サーバー = サーバ)."""
    term = term.casefold().translate(VARIANT_KANJI)
    if "々" in term:
        term = re.sub(r"(.)々", r"\1\1", term)
    if len(term) >= 3 and term.endswith("ー") and _KATAKANA.match(term):
        term = term.rstrip("ー")
    return term


# A long-vowel mark after katakana and before none; written to start with the mark itself, so the
# regex engine jumps from mark to mark instead of trying the lookbehind at every character.
_FINAL_LONG_VOWEL = re.compile("\u30fc(?<=[\u30a1-\u30fa\u30fc]\u30fc)(?![\u30a1-\u30fa\u30fc])")
_VARIANT_CHAR = re.compile("[" + "".join(map(chr, VARIANT_KANJI)) + "]")
_REPEAT_MARKS = re.compile("々+")


def fold_chars(text: str) -> tuple[str, list[int]]:
    """Fold stored text character by character for substring matching, with each folded
    character's offset in text: the same rules as fold_term, applied without a tokenizer."""
    lowered = text.casefold()
    if len(lowered) != len(text):
        return _fold_chars_one_by_one(text)  # a character that case-folds to several (ß → ss)
    dropped = [m.start() for m in _FINAL_LONG_VOWEL.finditer(text)]
    if dropped:
        offsets, previous = [], 0
        for at in dropped:
            offsets.extend(range(previous, at))
            previous = at + 1
        offsets.extend(range(previous, len(text)))
        lowered = _FINAL_LONG_VOWEL.sub("", lowered)  # casefolding leaves katakana where it was
    else:
        offsets = range(len(text))
    # translate() looks every character up in a dict; most texts have no variant kanji at all.
    folded = lowered.translate(VARIANT_KANJI) if _VARIANT_CHAR.search(lowered) else lowered
    if "々" in folded:
        folded = _REPEAT_MARKS.sub(lambda m: _repeated(folded, m), folded)
    return folded, offsets


def _repeated(text: str, marks: re.Match) -> str:
    """Spell out a run of 々 as the character before it (a run at the very start stays)."""
    return text[marks.start() - 1] * len(marks.group()) if marks.start() else marks.group()


def _fold_chars_one_by_one(text: str) -> tuple[str, list[int]]:
    folded: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        if ch == "ー" and index > 0 and _is_katakana(text[index - 1]) and (
                index + 1 == len(text) or not _is_katakana(text[index + 1])):
            continue  # the final long-vowel mark of a katakana run
        if ch == "々" and folded:
            ch = folded[-1]
        lowered = ch.casefold()
        folded.append((lowered if len(lowered) == 1 else ch).translate(VARIANT_KANJI))
        offsets.append(index)
    return "".join(folded), offsets


def normalize_name(name: str) -> str:
    """Return a speaker name in the form names are compared: no spaces, folded characters."""
    return fold_chars(unicodedata.normalize("NFKC", name).replace(" ", "").replace("\u3000", ""))[0]


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
        yield AnalyzedToken(fold_term(base), position, start, offset, surface, pos_tags,
                            getattr(token, "node_type", "SYS_DICT") != "UNKNOWN")


class _ItemTokenizer(Tokenizer):
    """A Whoosh tokenizer over items(value) → (term, position, start, end); it holds no Janome
    object, so it pickles into the schema, and it reuses one Token as Whoosh expects."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def items(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        items = self.items(value) if tokenize else [(value, 0, 0, len(value))]
        for term, position, start, end in items:
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class JapaneseTokenizer(_ItemTokenizer):
    """Janome words as `analyze` reads them."""

    def items(self, value: str):
        return ((t.term, t.pos, t.start, t.end) for t in analyze(value))


def japanese_analyzer() -> JapaneseTokenizer:
    """Return the Whoosh analyzer used for every Japanese text field."""
    return JapaneseTokenizer()


# Marks a bigram that begins a Janome word, so a kanji query (京都) can insist on starting where
# a word starts and never match inside another word (東京都).
WORD_START = "^"


def bigrams(text: str, word_starts: set[int] | None = None) -> Iterator[tuple[str, int, int, int]]:
    """Yield (term, position, start, end) character bigrams of folded text; a bigram that begins a
    word (its offset in word_starts) is yielded a second time with WORD_START in front."""
    folded, offsets = fold_chars(text)
    for i in range(len(folded) - 1):
        pair = folded[i:i + 2]
        if pair.isspace() or " " in pair or "\n" in pair:
            continue
        start, end = offsets[i], offsets[i + 1] + 1
        yield pair, i, start, end
        if word_starts is not None and offsets[i] in word_starts:
            yield WORD_START + pair, i, start, end


class BigramTokenizer(_ItemTokenizer):
    """Folded character bigrams, those that begin a word also marked (see `bigrams`)."""

    def items(self, value: str):
        return bigrams(value, {t.start for t in analyze(value)})


def bigram_analyzer() -> BigramTokenizer:
    """Return the Whoosh analyzer of the character-bigram field."""
    return BigramTokenizer()
