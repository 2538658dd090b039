"""The speaker-role vocabulary, and splitting a printed label into speaker name and role."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from indexer.text.normalize import VARIANT_KANJI

# Canonical roles, longest first so 副委員長 wins over 委員長 and 委員. Anything else is kept as
# printed (the "other" case).
ROLES = (
    "副委員長",
    "委員長",
    "副部会長",
    "部会長",
    "副会長",
    "会長",
    "副議長",
    "議長",
    "副座長",
    "座長",
    "副市長",
    "市長",
    "副町長",
    "町長",
    "副村長",
    "村長",
    "副区長",
    "区長",
    "副知事",
    "知事",
    "教育長",
    "事務局長",
    "事務局",
    "説明員",
    "部長",
    "課長",
    "局長",
    "室長",
    "所長",
    "次長",
    "参事",
    "主幹",
    "係長",
    "理事",
    "監事",
    "幹事",
    "顧問",
    "参考人",
    "委員",
    "議員",
    "大臣",
    "政府参考人",
    "証人",
    "公述人",
    "司会",
    "オブザーバー",
    "事務総長",
    "政務官",
    "長官",
    "審議官",
    "総裁",
    "技監",
    "総監",
    "市場長",
)
# Printed titles that end in one of these words take that canonical role (産業労働局長 → 局長,
# 内閣総理大臣 → 大臣); listed separately so ROLES stays the vocabulary users filter by.
_ROLE_SUFFIXES = sorted(ROLES, key=len, reverse=True)
_SORTED_ROLE_CHARS = {"".join(sorted(role)): role for role in ROLES if len(role) > 1}

# 議長（中村俊介君） / 市長(田中一郎君)
_ROLE_THEN_NAME = re.compile(r"^(?P<title>[^()【】]{1,20}?)\s*[(（【](?P<name>[^()（）【】]{1,20}?)\s*君?\s*[)）】]$")
# 3番(山田太郎君) or 3番 山田太郎君
_SEAT_NUMBER = re.compile(
    r"^[\d〇一二三四五六七八九十百]{1,6}\s*番\s*(?:議員)?\s*[(（【]?(?P<name>[^()（）【】]*?)\s*君?\s*[)）】]?$"
)
_QUALIFIER = re.compile(r"\s*[(（][^()（）]{1,60}[)）]\s*$")
_ROLE_THEN_PSEUDONYM = re.compile(r"^(?P<title>[^\sA-Z0-9]{1,8}?)\s*(?P<tag>[A-Z]{1,2}|[0-9]{1,2})$")
# 田中（晃）委員長: two members share a surname, told apart by the first character of the given name.
_DISAMBIGUATED = re.compile(
    r"^(?P<surname>[^\s()（）]{1,4})[(（](?P<initial>[^\s()（）]{1,2})[)）](?P<title>\S{1,20})$"
)
# The head of the meeting's own secretariat speaks for it: 事務局長 → 事務局 (the gold convention too).
_OWN_SECRETARIAT = {"事務局長", "議会事務局長"}
_MEMBER_ROLES = {"委員", "委員長", "副委員長", "議員", "理事", "会長", "副会長", "座長", "議長", "副議長"}
_PSEUDONYM = re.compile(r"^[A-Z]{1,2}$")  # anonymised minutes: A委員, B委員
# A parenthesis after a role holds a name (議長(中村俊介君)) or an organisation (事務局(市)).
_ORGANISATION_END = "市町村県都府道区業課局部室係省庁会社団所"
# Kanji include the rarer planes (𠮷 U+20BB7, 﨑 U+FA11) that names are printed with.
_NAME_CHARS = re.compile(r"^[\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f ・]+$")


@dataclass(frozen=True)
class Speaker:
    """A label split into a canonical role, the speaker's name (or None) and the label as printed."""

    role: str
    name: str | None
    label: str


def canonical_role(title: str) -> str | None:
    """Map a printed title to a vocabulary role: exact, by suffix, or as a garbled anagram."""
    title = _QUALIFIER.sub("", title).strip()
    if not title:
        return None
    if title in _OWN_SECRETARIAT:
        return "事務局"  # the meeting's own secretariat; 監査事務局長 and the like stay 事務局長
    if title in ROLES:
        return title
    garbled = _SORTED_ROLE_CHARS.get("".join(sorted(title)))
    if garbled:
        return garbled
    for role in _ROLE_SUFFIXES:
        if title.endswith(role):
            return role
    # 担当部長国際大会準備担当部長兼務, 会長代理: the role comes before the acting/concurrent mark.
    trimmed = re.sub(r"(兼務|事務取扱|心得|代理|職務代理者)$", "", title)
    if trimmed != title:
        return canonical_role(trimmed)
    return None


def is_role_word(text: str) -> bool:
    """Tell whether text is a bare role, optionally qualified: 委員, 事務局(市), 長委員 (garbled)."""
    bare = _QUALIFIER.sub("", text).strip()
    return bare in ROLES or "".join(sorted(bare)) in _SORTED_ROLE_CHARS


def _split_name(label: str, role: str) -> tuple[str | None, str]:
    """Split 山田委員長 → (山田, 委員長) and 前田産業労働局長 → (前田, 産業労働局長)."""
    from indexer.text.analysis import morphemes

    name_part = label[: len(label) - len(role)].strip()
    if not name_part:
        return None, label
    if _PSEUDONYM.match(name_part):
        return name_part, role
    if " " in name_part and _NAME_CHARS.match(name_part):
        # 関 三郎委員長: a space between family and given name marks the whole part as the name.
        return name_part, role
    surname = leading_surname(name_part)
    if surname:
        rest = name_part[len(surname) :]
        # The rest is a given name (中村太郎委員) or part of a title (前田道路管理部長 → 道路管理部長).
        if rest and all("人名" in t.part_of_speech for t in morphemes(rest)):
            return name_part, role
        return surname, rest + role
    # Names Janome does not know (たきぐち学, いのつめまさみ) on members' labels, never on a
    # department title such as こども部長.
    if role in _MEMBER_ROLES and _NAME_CHARS.match(name_part) and len(name_part) <= 8:
        return name_part, role
    return None, label


def _same_kana_script(a: str, b: str) -> bool:
    hiragana = lambda ch: "\u3040" <= ch <= "\u309f"
    katakana = lambda ch: "\u30a0" <= ch <= "\u30ff"
    return (hiragana(a) and hiragana(b)) or (katakana(a) and katakana(b))


@lru_cache(maxsize=8192)
def leading_surname(text: str) -> str | None:
    """Return the longest prefix (up to 4 characters) that Janome reads as one person-name word."""
    from indexer.text.analysis import morphemes

    for length in range(min(4, len(text)), 0, -1):
        if length < len(text) and (length == 1 or _same_kana_script(text[length - 1], text[length])):
            continue  # neither 総|務 nor たき|ぐち: a one-character or mid-kana cut is no name
        # Janome knows 浜田, not 濵田: old and variant kanji are looked up in their common form.
        tokens = list(morphemes(text[:length].translate(VARIANT_KANJI)))
        if len(tokens) == 1 and "人名" in tokens[0].part_of_speech:
            return text[:length]
    return None


def _is_office(text: str) -> bool:
    """Tell whether a parenthesis holds an office or title (飛島村村長, 代理:…) rather than a name."""
    text = text.strip()
    return ":" in text or "：" in text or (canonical_role(text) is not None and not text.endswith("君"))


def _name_in_parentheses(text: str) -> str | None:
    text = text.strip()
    if text.endswith("君"):
        return text[:-1].strip() or None
    if _NAME_CHARS.match(text) and 2 <= len(text) <= 10 and text[-1] not in _ORGANISATION_END:
        return text
    return None


# Pure, and its Speaker is frozen: a page asks about the same text in several passes (record start, label
# styles, segmentation), each asking Janome.
@lru_cache(maxsize=8192)
def parse_label(label: str) -> Speaker | None:
    """Split a printed speaker label into role and name, or return None if it is not a label."""
    label = label.strip().strip("○◎〇●◯").strip()
    label = re.sub(r"^[【\[［〔(（]\s*(.*?)\s*[】\]］〕)）]$", r"\1", label)
    if not label or len(label) > 60:
        return None
    pseudonymous = _ROLE_THEN_PSEUDONYM.match(label)
    if pseudonymous and canonical_role(pseudonymous["title"]) in ROLES:
        # 委員A, 委員1, 委員Ｂ: anonymised minutes number their members after the role.
        # cast: the role was just found in ROLES, so it is not None.
        return Speaker(cast(str, canonical_role(pseudonymous["title"])), pseudonymous["tag"], label)
    disambiguated = _DISAMBIGUATED.match(label)
    if disambiguated:
        role = canonical_role(disambiguated["title"])
        if role:
            return Speaker(role, f"{disambiguated['surname']}({disambiguated['initial']})", label)
    seat = _SEAT_NUMBER.match(label)
    if seat:
        return Speaker("議員", seat["name"].strip() or None, label)
    paren = _ROLE_THEN_NAME.match(label)
    # 久野会長(飛島村村長): a title in the parenthesis qualifies the label; it is nobody's name.
    if paren and not _is_office(paren["name"]):
        role = canonical_role(paren["title"])
        if role:
            return Speaker(role, _name_in_parentheses(paren["name"]), label)
    if is_role_word(label):
        return Speaker(canonical_role(label) or label, None, label)
    bare = _QUALIFIER.sub("", label).strip()
    role = canonical_role(bare)
    if role and not bare.endswith(role):
        bare = re.sub(r"(兼務|事務取扱|心得|代理|職務代理者)$", "", bare)
    if role and bare.endswith(role):
        name, title = _split_name(bare, role)
        if name is not None:
            return Speaker("事務局" if title in _OWN_SECRETARIAT else role, name, label)
        # A title with no name we can split off: 産業労働局長, 内閣総理大臣.
        return Speaker(role, None, label)
    if bare.endswith("君") and _NAME_CHARS.match(bare[:-1]) and 2 <= len(bare) <= 10:
        # Council records label members by name alone: ○山田太郎君.
        return Speaker("議員", bare[:-1].strip(), label)
    return None


_LABEL_END = re.compile(r"^[○◯〇]\s*(?P<label>[^\s　。、「」]{1,40}?(?:君[)）]|[)）])?)[\s　]")


def split_speech_label(text: str) -> tuple[str, str | None]:
    """Split "○小泉委員長　これより…" into (speech, label); the space after the label may be missing."""
    match = _LABEL_END.match(text)
    if match:
        return text[match.end() :].strip(), match["label"]
    if not text.startswith(("○", "◯", "〇")):
        return text, None
    head = text[1:40]
    paren = re.match(r"^[^()（）]{1,20}[(（][^()（）]{1,20}君[)）]", head)
    if paren:
        return text[1 + paren.end() :].strip(), paren.group(0)
    # No space: the label ends at the first role word (longest at that place) or at 君.
    ends = []
    found = [(head.find(role), -len(role), role) for role in ROLES if 0 <= head.find(role) <= 25]
    if found:
        at, negative_length, _ = min(found)
        ends.append(at - negative_length)
    kun = re.match(r"^[^()（）、。]{1,12}君", head)
    if kun:
        ends.append(kun.end())
    if ends:
        end = min(ends)
        return text[1 + end :].strip(), head[:end]
    return text, None


_ATTENDEE = re.compile(r"(?P<name>[^\s君()（）、。:：]{1,12}(?: [^\s君()（）、。:：]{1,8})?)\s*君")


def attendance_names(header_text: str) -> list[str]:
    """Return the full names listed as "…君" in a council record's header (委員長山下 太郎君)."""
    names = []
    for line in header_text.splitlines():
        for match in _ATTENDEE.finditer(line):
            name = match["name"]
            for role in _ROLE_SUFFIXES:  # 委員長山下 太郎 → 山下 太郎
                if name.startswith(role) and len(name) > len(role):
                    name = name[len(role) :]
                    break
            names.append(name.strip())
    return list(dict.fromkeys(n for n in names if n))


def resolve_full_names(header_text: str, speakers: list[str | None], listed: Sequence[str] = ()) -> list[str | None]:
    """Replace each surname label (山下) by the one full name in the attendance list (or among the names
    listed elsewhere on the page) that starts with it (山下太郎); leave it when there are none or several."""
    names = list(dict.fromkeys([*attendance_names(header_text), *listed]))
    resolved = []
    for speaker in speakers:
        if not speaker or " " in speaker:
            resolved.append(speaker)
            continue
        initial = re.match(r"^(.+)\((.+)\)$", speaker)
        if initial:
            surname, first = initial.groups()
            matches = {
                n.replace(" ", "")
                for n in names
                if n.replace(" ", "").startswith(surname) and n.replace(" ", "")[len(surname) :].startswith(first)
            }
            resolved.append(matches.pop() if len(matches) == 1 else speaker)
            continue
        matches = {
            n.replace(" ", "")
            for n in names
            if (n.split(" ")[0] == speaker if " " in n else n.startswith(speaker)) and n.replace(" ", "") != speaker
        }
        resolved.append(matches.pop() if len(matches) == 1 else speaker)
    return resolved
