"""Exact highlights: find where the query's term sequences occur in a stored text."""

from __future__ import annotations

from html import escape

from indexer.analysis import analyze

Pattern = list[tuple[str, int]]  # (term, position relative to the pattern's first term)


def match_spans(text: str, patterns: list[Pattern]) -> list[tuple[int, int]]:
    """Return merged (start, end) character spans where any pattern occurs in text."""
    if not patterns:
        return []
    tokens = list(analyze(text))
    by_position = {t.pos: t for t in tokens}
    spans: list[tuple[int, int]] = []
    for token in tokens:
        for pattern in patterns:
            first_term, _ = pattern[0]
            if token.term != first_term:
                continue
            matched = [by_position.get(token.pos + offset) for _, offset in pattern]
            if all(m is not None and m.term == term for m, (term, _) in zip(matched, pattern)):
                spans.append((matched[0].start, matched[-1].end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """Return text[start:end] HTML-escaped, with each span wrapped in <mark>."""
    end = len(text) if end is None else end
    out, cursor = [], start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        out.append(escape(text[cursor:span_start]))
        out.append("<mark>" + escape(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    out.append(escape(text[cursor:end]))
    return "".join(out)


def snippet(text: str, patterns: list[Pattern], width: int = 160) -> str:
    """Return an HTML snippet of about width characters around the first match, matches marked."""
    spans = match_spans(text, patterns)
    if len(text) <= width:
        return mark(text, spans)
    anchor = spans[0][0] if spans else 0
    start = max(0, anchor - width // 4)
    end = min(len(text), start + width)
    start = max(0, end - width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + mark(text, spans, start, end) + suffix
