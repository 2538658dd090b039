"""What journalists need beyond a hit list: context, answers, speakers, trends, meeting lists, KWIC."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from html import escape

from whoosh import query as wq
from whoosh import sorting

from indexer.highlight import match_spans
from indexer.search import SearchIndex, SearchRequest

# Turns that answer a member's question; the chair's turns (委員長, 議長 …) between them are skipped.
ANSWER_ROLES = {"事務局", "事務局長", "説明員", "市長", "副市長", "町長", "副町長", "村長", "区長", "知事",
                "副知事", "教育長", "部長", "課長", "局長", "室長", "所長", "次長", "参事", "主幹", "係長",
                "大臣", "政府参考人", "参考人", "長官", "審議官", "政務官", "技監", "総監", "市場長", "証人"}
MEMBER_ROLES = {"委員", "議員", "理事", "副委員長"}
CHAIR_ROLES = {"委員長", "議長", "副議長", "会長", "副会長", "部会長", "座長", "副座長"}


def context(engine: SearchIndex, meeting_id: str, seq: int, before: int = 3, after: int = 3) -> dict:
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
        "before": docs[max(0, position - before):position],
        "after": docs[position + 1:position + 1 + after],
        "answers": answers_to(docs, position),
    }


def answers_to(docs: list[dict], position: int) -> list[dict]:
    """Return the turns answering the member's utterance at position, until the next member speaks."""
    if docs[position].get("role") not in MEMBER_ROLES:
        return []
    found = []
    for doc in docs[position + 1:]:
        role = doc.get("role") or ""
        if role in MEMBER_ROLES:
            break
        if role in ANSWER_ROLES or (role and role not in CHAIR_ROLES):
            found.append(doc)
    return found


@dataclass
class MeetingGroup:
    """One meeting in the grouped view: its header fields and how many utterances matched."""

    meeting_id: str
    title: str
    committee: str
    date: str
    url: str
    hits: int
    best_seq: int


def grouped_by_meeting(engine: SearchIndex, request: SearchRequest) -> tuple[int, list[MeetingGroup]]:
    """Return (number of meetings, one page of meetings) for a search, ordered like the request
    (a meeting ranks where its best utterance does)."""
    ranked = engine.ranked_ids(request)
    counts = Counter(mid for mid, _ in ranked)
    best: dict[str, int] = {}
    for mid, seq in ranked:
        best.setdefault(mid, seq)
    page = list(best)[request.offset:request.offset + request.limit]
    headers = engine.meeting_headers(page)
    groups = []
    for mid in page:
        header = headers.get(mid, {})
        groups.append(MeetingGroup(mid, header.get("title", ""), header.get("committee", ""),
                                   header.get("date", ""), header.get("url", ""), counts[mid], best[mid]))
    return len(best), groups


def trend(engine: SearchIndex, request: SearchRequest, period: str = "year",
          split: str | None = None) -> dict[str, Counter]:
    """Return {period: Counter({series: hits})} over every match; series is "" unless split by
    "committee" or "role"."""
    field = "month" if period == "month" else "year"
    fields = (field, split) if split in ("committee", "role") else (field,)
    series: dict[str, Counter] = defaultdict(Counter)
    for key, count in engine.counts(request, fields).items():
        when, name = key if isinstance(key, tuple) else (key, "")
        if when:
            series[when][name or ""] += count
    return dict(sorted(series.items()))


def speaker_profile(engine: SearchIndex, name: str, limit: int = 200) -> dict:
    """Return a speaker's utterances by date (newest first) and their counts per committee."""
    with engine.searcher() as searcher:
        results = searcher.search(wq.Term("speaker", name), limit=None,
                                  sortedby=[sorting.FieldFacet("date", reverse=True), sorting.FieldFacet("seq")])
        docs = [dict(hit) for hit in results]
    committees = Counter(d["committee"] for d in docs)
    roles = Counter(d["role"] for d in docs if d.get("role"))
    return {"name": name, "total": len(docs), "committees": dict(committees.most_common()),
            "roles": dict(roles.most_common()), "utterances": docs[:limit]}


def speakers(engine: SearchIndex, contains: str = "") -> list[tuple[str, int]]:
    """Return (speaker name, utterance count) for every speaker whose name contains the text."""
    from indexer.analysis import normalize_name

    wanted = normalize_name(contains) if contains else ""
    with engine.searcher() as searcher:
        counts = [(term.decode("utf-8"), searcher.doc_frequency("speaker", term))
                  for term in searcher.lexicon("speaker")]
    return sorted(((n, c) for n, c in counts if n and wanted in normalize_name(n)), key=lambda x: (-x[1], x[0]))


def all_meetings(engine: SearchIndex) -> list[dict]:
    """Return every meeting's header document, newest first."""
    with engine.searcher() as searcher:
        results = searcher.search(wq.Term("kind", "meeting"), limit=None,
                                  sortedby=sorting.FieldFacet("date", reverse=True))
        return [dict(hit) for hit in results]


def kwic_lines(text: str, parsed, width: int = 30, spans=None) -> list[tuple[str, str, str]]:
    """Return (left, keyword, right) for every match in text: keyword in context, one per occurrence;
    spans, when the search found them already (Hit.spans), spare analysing the text again."""
    lines = []
    flat = re.sub(r"\s", " ", text)  # one character for one, so the spans still fit
    if spans is None:
        spans = match_spans(flat, parsed.patterns, parsed.substrings)
    for start, end in spans:
        lines.append((flat[max(0, start - width):start], flat[start:end], flat[end:end + width]))
    return lines


def svg_bar_chart(data: dict[str, Counter], link_for, title: str, width: int = 720, height: int = 240) -> str:
    """Render counts per period as an accessible SVG bar chart (stacked by series), each bar a link."""
    periods = list(data)
    series = sorted({name for counts in data.values() for name in counts})
    palette = ["#0b5cad", "#e07b00", "#2e8b57", "#b03060", "#6a5acd", "#8b6914", "#008b8b", "#777777"]
    colour = {name: palette[i % len(palette)] for i, name in enumerate(series)}
    top = max((sum(c.values()) for c in data.values()), default=0) or 1
    left, bottom, plot_h = 40, 30, height - 60
    bar_w = max(4, min(48, (width - left - 10) // max(1, len(periods)) - 4))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" class="trend">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#999"/>',
             f'<text x="{left - 6}" y="{height - bottom - plot_h + 4}" text-anchor="end" font-size="11">{top}</text>']
    for i, period in enumerate(periods):
        x = left + 4 + i * (bar_w + 4)
        y = height - bottom
        total = sum(data[period].values())
        parts.append(f'<a href="{escape(link_for(period))}"><g class="bar"><title>{escape(period)}: {total}件</title>')
        for name in series:
            count = data[period].get(name, 0)
            if not count:
                continue
            h = count / top * plot_h
            y -= h
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar_w}" height="{h:.1f}" fill="{colour[name]}"/>')
        parts.append("</g></a>")
        if len(periods) <= 24 or i % max(1, len(periods) // 12) == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                         f'font-size="10">{escape(period)}</text>')
    if len(series) > 1 or (series and series[0]):
        x = left
        for name in series[:8]:
            label = name[:14]
            parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour[name]}"/>'
                         f'<text x="{x + 14}" y="13" font-size="10">{escape(label)}</text>')
            x += 24 + 11 * len(label)
    parts.append("</svg>")
    return "".join(parts)
