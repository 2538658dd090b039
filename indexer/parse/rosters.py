"""What is never a speech turn though it follows a label: attendance and member lists, head counts, names."""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.parse.roles import leading_surname

_HONORIFIC = re.compile(r"(君|さん|氏|様)$")


@lru_cache(maxsize=8192)
def person_name(token: str) -> bool:
    """Tell whether a token is a person's name alone (田中, 佐藤ようこ): Janome reads it as a name."""
    from indexer.text.analysis import morphemes

    plain = _HONORIFIC.sub("", token).strip().replace(" ", "")
    tokens = list(morphemes(plain)) if plain else []
    return (
        bool(tokens)
        and "人名" in tokens[0].part_of_speech
        and all("人名" in t.part_of_speech or t.part_of_speech.startswith("名詞,固有名詞") for t in tokens)
    )


_NAME_CHARS = re.compile(r"^[\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f ]{2,10}$")


def honoured_name(token: str) -> bool:
    """Tell whether a token is a name with its honorific (川﨑周太郎氏, 鈴木さん): only people are so called."""
    return bool(_HONORIFIC.search(token)) and bool(_NAME_CHARS.match(token[:-1] if token[-1] != "ん" else token[:-2]))


_ROSTER_SPLIT = re.compile(r"[、,，・\s]+")
_HEADCOUNT = re.compile(r"^[\d０-９〇一二三四五六七八九十]+\s*[名人]$")


def is_roster(text: str) -> bool:
    """Tell whether what follows a label is a list of people (attendance, members) or a head count, not speech."""
    if _HEADCOUNT.match(text.strip()):
        return True
    if "。" in text:
        return False
    items = [item for item in _ROSTER_SPLIT.split(re.sub(r"[(（][^()（）]*[)）]", "", text)) if item]
    if len(items) < 3:
        return False
    listed = sum(1 for item in items if len(item) <= 16 and not re.search(r"[\u3040-\u309f]", item))
    return listed / len(items) >= 0.8


def names_only(text: str) -> bool:
    """Tell whether what follows a label is a person's name and nothing else (財政課長　鈴木一郎)."""
    text = text.strip()
    if not text or len(text) > 12 or re.search(r"[、。,.!?！？「」]", text):
        return False
    return person_name(text) or honoured_name(text) or leading_surname(text.replace(" ", "")) is not None
