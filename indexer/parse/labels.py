"""Speaker labels: the styles a line may open a speech in, read with the page's inferred convention.

A label is a mark (○ ◎ 〇 ◯ ◆ …) with a title or name, a bracket (【委員】), a colon (委員：), a role
alone on its line or before a space, a letter-spaced role (議 長), or a numbered row of a speech index.
Known roles open a speech in any style, except that on a page whose labels carry a mark, bracket or
colon, a role word alone or before a space does not (it is a call or a word in the speech). In a frame
the page's convention confirms (see conventions.py), a title, a name or a recurring label nobody listed
counts too. A site profile's hints (label regex, extra role words) come first.
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.parse.conventions import (
    BRACKET_LABEL,
    COLON_LABEL,
    MARKED,
    MARKS,
    NO_CONVENTION,
    Convention,
    frame_of,
    infer,
)
from indexer.parse.hints import NO_HINTS, ParseHints
from indexer.parse.html_lines import Line
from indexer.parse.roles import ROLES, Speaker, canonical_role, is_role_word, parse_label

__all__ = ["MARKED", "MARKS", "Convention", "NO_CONVENTION"]

# A speech's running number before its mark: "2 ◯5番(三宅洋一) 議長。", "2: ◯藤井敏子君 …".
COUNTER = re.compile(r"^\d{1,4}\s*[:：.．]?\s+(?=[○◎〇●◯◆◇■□▼▽])")


_NAME_BEFORE_TITLE = re.compile(
    r"^[\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]{1,8}$"
)
_LEGEND = re.compile(r"^[^\s()（）]{1,12}[(（][^()（）]+[)）]$")
SENTENCE_END = re.compile(r"[。!?！？]$")


# A speech's running number as a row's label: No.1, No. 12, 3, 第3.
_ROW_NUMBER = re.compile(r"^(?:No\.?\s*|第\s*)?\d{1,4}(?:\s*号)?$", re.IGNORECASE)


def numbered_speaker(line: Line) -> Speaker | None:
    """Return the speaker of a numbered row (No.3 | 岩見委員長), as speech indexes and some records list them."""
    if line.kind != "row" or not line.label or not line.text:
        return None
    if not _ROW_NUMBER.match(line.label.strip()):
        return None
    speaker = parse_label(line.text)
    return speaker if speaker is not None and is_known_role(speaker) else None


def speech_start(
    text: str, convention: Convention = NO_CONVENTION, hints: ParseHints = NO_HINTS
) -> tuple[Speaker, str] | None:
    """Return (speaker, rest of line) if the line opens a speech, in any of the label styles; in a
    frame the page's convention confirms, a title, a name or a recurring label nobody listed counts too."""
    text = COUNTER.sub("", text)
    hinted = _hinted_label(text, hints)
    if hinted is not None:
        return hinted
    marked = MARKED.match(text)
    if marked:
        return _marked_label(marked["rest"]) or _unlisted(text, convention)
    bracket = BRACKET_LABEL.match(text)
    if bracket:
        label = bracket["label"] or bracket["plain"]
        speaker = parse_label(label)
        # 【…】 holds any label; a plain parenthesis only a bare role, since (拍手) or (休憩) are not.
        if speaker and (bracket["open"] or is_role_word(label)):
            return speaker, bracket["rest"].strip()
        return _unlisted(text, convention)
    colon = COLON_LABEL.match(text)
    if colon:
        speaker = parse_label(colon["label"])
        rest = colon["rest"].strip()
        if speaker and is_known_role(speaker) and not _LEGEND.match(rest):
            return speaker, rest
        return None if _LEGEND.match(rest) else _unlisted(text, convention)
    if convention.marked_page():
        return None
    # A label alone on its line: a role (委員長), or a name and a known role (山田委員長), perhaps letter-spaced.
    if len(text) <= 20 and not re.search(r"[、。,.!?！？「」]", text):
        speaker = parse_label(unspaced(text) or text)
        if speaker and is_known_role(speaker) and not speaker.label.endswith("君"):
            return speaker, ""
    # A label, a space, then the speech: 会長 それでは始めます。 / 議 長 たった今…
    spaced = _SPACED_HEAD.match(text)
    if spaced:
        speaker = parse_label(spaced["head"].replace(" ", ""))
        if speaker and is_known_role(speaker):
            return speaker, spaced["rest"].strip()
    head, _, rest = text.partition(" ")
    if rest and len(head) <= 12 and not re.search(r"[、。,.!?！？「」]", head):
        speaker = parse_label(head)
        if speaker and is_known_role(speaker) and not speaker.label.endswith("君"):
            return speaker, rest.strip()
    return _unlisted(text, convention)


def _unlisted(text: str, convention: Convention) -> tuple[Speaker, str] | None:
    """Return the speaker of a label the role list does not know, when the page's convention accepts it."""
    if convention is NO_CONVENTION:
        return None
    candidate = frame_of(text)
    if candidate is None or not convention.accepts(candidate.frame, candidate.token, candidate.rest):
        return None
    speaker = unlisted_speaker(candidate.token)
    title, _, speech = candidate.rest.partition(" ")
    if speaker.role == UNTITLED_ROLE and is_title(title):
        # ○藤岡 会計管理者 …: a name, a space, then a title nobody listed.
        return Speaker(title, speaker.name, f"{candidate.token} {title}"), speech.strip()
    return speaker, candidate.rest


def unlisted_speaker(token: str) -> Speaker:
    """Return the speaker a token nobody listed stands for: a title (with its surname split off), a name
    alone (role 発言者), or the token itself as the role (Ｑ, 問, 意見)."""
    from indexer.parse.conventions import honoured_name, person_name, plain_token

    speaker = parse_label(token)
    if speaker is not None:
        return speaker
    plain = plain_token(token)
    if is_title(plain):
        return _title_speaker(plain, token)
    if person_name(token) or honoured_name(token):
        return Speaker(UNTITLED_ROLE, plain.replace(" ", ""), token)
    return Speaker(plain, None, token)


# The role of a speaker labelled by name alone (田中：, ○佐藤): the page says who, not in what office.
UNTITLED_ROLE = "発言者"


def _hinted_label(text: str, hints: ParseHints) -> tuple[Speaker, str] | None:
    """Read a label the site profile describes: its label regex, or one of its extra role words."""
    match = hints.label(text)
    if match is not None:
        role = match["role"].strip()
        name = (match.groupdict().get("name") or "").strip() or None
        return Speaker(canonical_role(role) or role, name, match.group(0).strip()), text[match.end() :].strip()
    for word in hints.role_words:
        # The word, perhaps after a mark or bracket and a short name, then a colon, a space or the line's end.
        found = re.match(
            rf"^[{MARKS}【\[［(（〈《<]?\s*(?P<name>[^\s、。:：]{{0,6}}?){re.escape(word)}\s*"
            rf"[】\]］)）〉》>]?(?:\s*[:：]\s*|\s+|$)",
            text,
        )
        if found:
            return Speaker(word, found["name"] or None, text[: found.end()].strip()), text[found.end() :].strip()
    return None


def is_known_role(speaker: Speaker) -> bool:
    return speaker.role in ROLES


# 会 長 / 三 浦 正 名: a label printed with a space between its characters.
_LETTER_SPACED = re.compile(r"^(?:[\u4e00-\u9fff\u3040-\u30ff]\s){1,6}[\u4e00-\u9fff\u3040-\u30ff]$")
_SPACED_HEAD = re.compile(r"^(?P<head>(?:[\u4e00-\u9fff]\s){1,3}[\u4e00-\u9fff])\s+(?P<rest>\S.*)$")


def unspaced(text: str) -> str | None:
    """Return a letter-spaced line without its spaces (会 長 → 会長), or None if it is not one."""
    text = text.strip()
    return text.replace(" ", "") if _LETTER_SPACED.match(text) else None


def convention_of(lines: list[Line], hints: ParseHints = NO_HINTS) -> Convention:
    """Infer the page's label convention from its lines, a known role's label counting as the vocabulary's hint."""
    return infer(
        [line for line in lines if line.kind != "row"], lambda text: speech_start(text, hints=hints) is not None
    )


# The last character of a title or office (参事官, 担当課, 構成員, 支配人, アドバイザー …): data, not rules.
_TITLE_ENDINGS = set("官長員者課係局部室監役師士人臣司事授ー")
_TITLE = re.compile(r"^[\u3005\u3040-\u30ff\u4e00-\u9fff\uf900-\ufaffA-Za-z・]{1,20}$")


@lru_cache(maxsize=8192)
def is_title(text: str) -> bool:
    """Tell whether text reads as a speaker's title or name: a short run of nouns, no sentence."""
    from indexer.text.analysis import morphemes

    text = text.strip()
    if not _TITLE.match(text) or SENTENCE_END.search(text) or text[-1] not in _TITLE_ENDINGS:
        return False
    return all(t.part_of_speech.startswith(("名詞", "接頭詞")) for t in morphemes(text))


def _title_speaker(title: str, label: str) -> Speaker:
    """Return the speaker of a title nobody listed, with the surname in front of it split off (大江教授)."""
    from indexer.parse.roles import leading_surname

    surname = leading_surname(title)
    if surname and len(title) > len(surname):
        return Speaker(title[len(surname) :], surname, label)
    return Speaker(title, None, label)


def _marked_label(rest: str) -> tuple[Speaker, str] | None:
    """Split ○山田委員長　発言… / ○議長（中村俊介君）発言… / 〇関 三郎委員長 発言… ."""
    paren = re.match(r"^(?P<label>[^\s()（）【】]{1,12}[(（【][^()（）【】]{1,20}[)）】])\s*(?P<rest>.*)$", rest)
    if paren:
        speaker = parse_label(paren["label"])
        if speaker:
            return speaker, paren["rest"]
    chunks = rest.split(" ", 2)
    if len(chunks) >= 2 and _NAME_BEFORE_TITLE.match(chunks[0]) and parse_label(chunks[0]) is None:
        # ◎松井一實 市長 … / ○塩谷 危機管理担当局長: a name, a space, then a title that holds no name.
        titled = parse_label(chunks[1])
        if titled and titled.name is None and not is_role_word(chunks[0]):
            return Speaker(titled.role, chunks[0], f"{chunks[0]} {chunks[1]}"), " ".join(chunks[2:]).strip()
    candidates = [(chunks[0], " ".join(chunks[1:]))]
    if len(chunks) >= 2 and len(chunks[0]) <= 4:
        candidates.append((chunks[0] + " " + chunks[1], " ".join(chunks[2:])))
    for label, speech in candidates:
        if SENTENCE_END.search(label) or "、" in label:
            continue
        speaker = parse_label(label)
        if speaker:
            return speaker, speech.strip()
    return None
