"""Normalise text once at ingest, and fold it the way terms and names are compared.

Text is stored in its normalised form (`normalize_text`), so offsets found in it point at the
characters a reader sees; folding (`fold_term`, `fold_chars`) unifies case, variant kanji, 々 and a
final long-vowel mark for matching, keeping each folded character's offset.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\ufeff]")
_SPACES = re.compile(r"[ \t]+")


def normalize_text(text: str) -> str:
    """Return the stored form of text: NFKC, no control characters, runs of spaces folded."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# Variant and old-style kanji common in names (髙橋/高橋, 山﨑/山崎, 渡邊/渡辺, 國/国 …): one form.
VARIANT_KANJI = str.maketrans(
    {
        "髙": "高",
        "﨑": "崎",
        "嵜": "崎",
        "邊": "辺",
        "邉": "辺",
        "國": "国",
        "澤": "沢",
        "濱": "浜",
        "濵": "浜",
        "齋": "斎",
        "齊": "斉",
        "廣": "広",
        "櫻": "桜",
        "嶋": "島",
        "槇": "槙",
        "冨": "富",
        "德": "徳",
        "惠": "恵",
        "眞": "真",
        "實": "実",
        "將": "将",
        "髮": "髪",
        "龍": "竜",
        "藏": "蔵",
        "曻": "昇",
        "瀨": "瀬",
        "舘": "館",
    }
)
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


def fold_chars(text: str) -> tuple[str, Sequence[int]]:
    """Fold stored text character by character for substring matching, with each folded
    character's offset in text: the same rules as fold_term, applied without a tokenizer."""
    lowered = text.casefold()
    if len(lowered) != len(text):
        return _fold_chars_one_by_one(text)  # a character that case-folds to several (ß → ss)
    dropped = [m.start() for m in _FINAL_LONG_VOWEL.finditer(text)]
    offsets: Sequence[int]
    if dropped:
        kept: list[int] = []
        previous = 0
        for at in dropped:
            kept.extend(range(previous, at))
            previous = at + 1
        kept.extend(range(previous, len(text)))
        offsets = kept
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
        if (
            ch == "ー"
            and index > 0
            and _is_katakana(text[index - 1])
            and (index + 1 == len(text) or not _is_katakana(text[index + 1]))
        ):
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
