"""An utterance in its meeting: the turns around it, the answers to a question, keyword in context."""

from __future__ import annotations

import re

from indexer.search.backends import SearchBackend
from indexer.search.highlight import match_spans

# Turns that answer a member's question; the chair's turns (委員長, 議長 …) between them are skipped.
ANSWER_ROLES = {
    "事務局",
    "事務局長",
    "説明員",
    "市長",
    "副市長",
    "町長",
    "副町長",
    "村長",
    "区長",
    "知事",
    "副知事",
    "教育長",
    "部長",
    "課長",
    "局長",
    "室長",
    "所長",
    "次長",
    "参事",
    "主幹",
    "係長",
    "大臣",
    "政府参考人",
    "参考人",
    "長官",
    "審議官",
    "政務官",
    "技監",
    "総監",
    "市場長",
    "証人",
}
MEMBER_ROLES = {"委員", "議員", "理事", "副委員長"}
CHAIR_ROLES = {"委員長", "議長", "副議長", "会長", "副会長", "部会長", "座長", "副座長"}


def context(engine: SearchBackend, meeting_id: str, seq: int, before: int = 3, after: int = 3) -> dict:
    """Return the utterance, the ones around it, and the answers that follow it if it is a question."""
    everything = engine.meeting_documents(meeting_id, tokens=True)
    docs = [d for d in everything if d["seq"] > 0]
    position = next((i for i, d in enumerate(docs) if d["seq"] == seq), None)
    if position is None:
        return {}
    hit = docs[position]
    return {
        "meeting": everything[0],
        "hit": hit,
        "before": docs[max(0, position - before) : position],
        "after": docs[position + 1 : position + 1 + after],
        "answers": answers_to(docs, position),
    }


def answers_to(docs: list[dict], position: int) -> list[dict]:
    """Return the turns answering the member's utterance at position, until the next member speaks."""
    if docs[position].get("role") not in MEMBER_ROLES:
        return []
    found = []
    for doc in docs[position + 1 :]:
        role = doc.get("role") or ""
        if role in MEMBER_ROLES:
            break
        if role in ANSWER_ROLES or (role and role not in CHAIR_ROLES):
            found.append(doc)
    return found


def kwic_lines(text: str, parsed, width: int = 30, spans=None) -> list[tuple[str, str, str]]:
    """Return (left, keyword, right) for every match in text: keyword in context, one per occurrence;
    spans, when the search found them already (Hit.spans), spare analysing the text again."""
    lines = []
    flat = re.sub(r"\s", " ", text)  # one character for one, so the spans still fit
    if spans is None:
        spans = match_spans(flat, parsed.patterns, parsed.substrings)
    for start, end in spans:
        lines.append((flat[max(0, start - width) : start], flat[start:end], flat[end : end + width]))
    return lines
