"""Speaker labels: the styles a line may open a speech in, and which of them a page confirms.

A label is a mark (○ ◎ 〇 ◯ ◆ …) with a title or name, a bracket (【委員】), a colon (委員：), a role
alone on its line or before a space, a letter-spaced role (議 長), or a numbered row of a speech index.
Known roles open a speech in any style; in a style the page confirms with known roles, a title nobody
listed counts too. A site profile's hints (label regex, extra role words) come first.
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.parse.hints import NO_HINTS, ParseHints
from indexer.parse.html_lines import Line
from indexer.parse.roles import ROLES, Speaker, canonical_role, is_role_word, parse_label

# Marks before a speaker's label: ○ ◎ 〇 ● ◯ in councils, ◆ ◇ ■ □ on some cities' pages.
MARKS = "○◎〇●◯◆◇■□▼▽"
MARKED = re.compile(rf"^[{MARKS}]\s*(?P<rest>.+)$")
_BRACKET_LABEL = re.compile(
    r"^(?:(?P<open>【)\s*(?P<label>[^】]{1,24}?)\s*】|[\[［(（〈《<≪]\s*(?P<plain>[^\]］)）〉》>≫]{1,20}?)\s*"
    r"[\]］)）〉》>≫])\s*(?P<rest>.*)$"
)
_COLON_LABEL = re.compile(r"^(?P<label>[^:：。、「」]{1,24}?)\s*[:：]\s*(?P<rest>.*)$")


# A speech's running number before its mark: "2 ◯5番(三宅洋一) 議長。", "2: ◯藤井敏子君 …".
COUNTER = re.compile(r"^\d{1,4}\s*[:：.．]?\s+(?=[○◎〇●◯◆◇■□▼▽])")


_NAME_BEFORE_TITLE = re.compile(r"^[\u3005\u3040-\u30ff\u4e00-\u9fff\uf900-\ufaff]{1,8}$")
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
    text: str, confirmed: frozenset[str] = frozenset(), hints: ParseHints = NO_HINTS
) -> tuple[Speaker, str] | None:
    """Return (speaker, rest of line) if the line opens a speech, in any of the label styles; in a
    style the page confirms (see confirmed_styles), a title the role list does not know counts too."""
    text = COUNTER.sub("", text)
    hinted = _hinted_label(text, hints)
    if hinted is not None:
        return hinted
    marked = MARKED.match(text)
    if marked:
        found = _marked_label(marked["rest"])
        if found is None and "marked" in confirmed:
            found = _titled_label(marked["rest"])
        return found
    bracket = _BRACKET_LABEL.match(text)
    if bracket:
        label = bracket["label"] or bracket["plain"]
        speaker = parse_label(label)
        # 【…】 holds any label; a plain parenthesis only a bare role, since (拍手) or (休憩) are not.
        if speaker and (bracket["open"] or is_role_word(label)):
            return speaker, bracket["rest"].strip()
        if bracket["open"] and "bracket" in confirmed and _is_title(label):
            return _title_speaker(label), bracket["rest"].strip()
        return None
    colon = _COLON_LABEL.match(text)
    if colon:
        speaker = parse_label(colon["label"])
        rest = colon["rest"].strip()
        if speaker and is_known_role(speaker) and not _LEGEND.match(rest):
            return speaker, rest
        if "colon" in confirmed and _is_title(colon["label"]) and not _LEGEND.match(rest):
            return _title_speaker(colon["label"]), rest
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
    return None


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


def label_style(text: str) -> str | None:
    """Return the label style a line would open a speech in, judged by its shape alone."""
    if MARKED.match(text):
        return "marked"
    bracket = _BRACKET_LABEL.match(text)
    if bracket:
        return "bracket" if bracket["open"] else None
    return "colon" if _COLON_LABEL.match(text) else None


def confirmed_styles(lines: list[Line], hints: ParseHints = NO_HINTS) -> frozenset[str]:
    """Return the label styles (mark ○, 【】, colon) this page uses for speakers: those with at least two
    labels of a known role. In them, a title nobody listed (【担当課】, ○増田参事官) is a label too."""
    known: dict[str, int] = {}
    for line in lines:
        if line.kind == "row":
            continue
        style = label_style(line.text)
        if style and speech_start(line.text, hints=hints):
            known[style] = known.get(style, 0) + 1
    # A mark at the start of a line is strong evidence on its own; brackets and colons also open
    # headings and legends, so they need two.
    return frozenset(style for style, count in known.items() if count >= (1 if style == "marked" else 2))


# The last character of a title or office (参事官, 担当課, 構成員, 支配人, アドバイザー …): data, not rules.
_TITLE_ENDINGS = set("官長員者課係局部室監役師士人臣司事授ー")
_TITLE = re.compile(r"^[\u3005\u3040-\u30ff\u4e00-\u9fff\uf900-\ufaffA-Za-z・]{1,20}$")


@lru_cache(maxsize=8192)
def _is_title(text: str) -> bool:
    """Tell whether text reads as a speaker's title or name: a short run of nouns, no sentence."""
    from indexer.text.analysis import morphemes

    text = text.strip()
    if not _TITLE.match(text) or SENTENCE_END.search(text) or text[-1] not in _TITLE_ENDINGS:
        return False
    return all(t.part_of_speech.startswith(("名詞", "接頭詞")) for t in morphemes(text))


def _titled_label(rest: str) -> tuple[Speaker, str] | None:
    """Split ○増田内閣府少子化担当参事官 … into a title nobody listed, with the surname before it."""

    label, _, speech = rest.partition(" ")
    if not _is_title(label):
        return None
    return _title_speaker(label), speech.strip()


def _title_speaker(label: str) -> Speaker:
    """Return the speaker of a title nobody listed, with the surname in front of it split off (大江教授)."""
    from indexer.parse.roles import leading_surname

    surname = leading_surname(label)
    if surname and len(label) > len(surname):
        return Speaker(label[len(surname) :], surname, label)
    return Speaker(label, None, label)


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
