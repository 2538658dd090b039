"""Rank what is about the topic first: a weight for each utterance from what kind of speech it is.

BM25 rewards a short text that holds the words, and the shortest texts holding a topic's words are
the chair reading an agenda title out or calling the next speaker. Here a procedural line (the chair
running the meeting, 異議なし, an agenda item read out) weighs least, a passing mention inside a list
of items less than a speech about the topic, and a question or answer that dwells on it the most.
So the leading matches are sorted in tiers (discussion, then passing mentions, then procedure) and by
score within a tier; nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.text.normalize import fold_chars

# The chair's roles: their short lines run the meeting.
CHAIR_ROLES = frozenset({"議長", "副議長", "委員長", "副委員長", "会長", "副会長", "部会長", "座長", "分科会長"})
_PROCEDURE = re.compile(
    r"(を議題と|議題といたします|発言を許します|御異議ありませんか|ご異議ありませんか|異議なし|"
    r"異議なしと認め|採決|賛成の方|起立|休憩|再開|散会|閉会|開会|日程第|これより|以上で|終わります|"
    r"次に、|御発言願います|ご発言願います|質疑を終|討論を終|挙手|着席)"
)
_LIST_SEPARATORS = re.compile(r"[、・，,]")
DISCUSSION, PASSING, PROCEDURAL = 0, 1, 2  # tiers, in rank order
DWELLING = 1.15  # score factor for a speech that returns to the topic
SHORT = 80  # characters: anybody's procedural line is short
CHAIR_LONG = 400  # characters: a chair's procedural turn (opening a sitting, reading out the agenda) runs longer


@dataclass(frozen=True)
class Profile:
    """What an utterance is, whatever the query: procedure or not, mostly a list or not, its length,
    and its folded text (to count a query's mentions in)."""

    procedural: bool
    listed: bool
    length: int
    folded: str


def profile(text: str, role: str | None) -> Profile:
    """Read an utterance once for what it is (see weigh for what that makes of a match). The Xapian shards
    keep each utterance's profile: bump xapian_build.LAYOUT_VERSION when this reads differently."""
    text = text.strip()
    procedural = (len(text) <= SHORT and (role in CHAIR_ROLES or bool(_PROCEDURE.search(text)))) or (
        role in CHAIR_ROLES and len(text) <= CHAIR_LONG and bool(_PROCEDURE.search(text))
    )
    return Profile(procedural, _listed(text), len(text), fold_chars(text)[0])


def mentions(found: Profile, needles: list[str]) -> int:
    """Return the most places any one of a query's folded words or phrases occurs in an utterance."""
    return max((found.folded.count(needle) for needle in needles), default=0)


def tier(found: Profile, mentioned: int) -> tuple[int, float]:
    """Return (tier, score factor) of an utterance matched in mentioned places: procedure, a passing
    mention in a list, or discussion, the last weighed up when it returns to the topic."""
    if found.procedural:
        return PROCEDURAL, 1.0
    if mentioned <= 1 and found.listed:
        return PASSING, 1.0
    if mentioned >= 3 and found.length > SHORT:
        return DISCUSSION, DWELLING
    return DISCUSSION, 1.0


def weight(text: str, role: str | None, mentioned: int) -> tuple[int, float]:
    """Return (tier, score factor) of one text matched in mentioned places."""
    return tier(profile(text, role), mentioned)


def _listed(text: str) -> bool:
    """Tell whether a text is mostly a list of items (names of bills, places, documents)."""
    sentences = [s for s in re.split(r"[。\n]", text) if s.strip()]
    if not sentences:
        return False
    listy = sum(1 for s in sentences if len(_LIST_SEPARATORS.findall(s)) >= 4 and len(s) / (s.count("、") + 1) < 14)
    return listy / len(sentences) >= 0.5
