"""Exact highlights: find where the query's term sequences occur in a stored text."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from operator import itemgetter
from typing import NamedTuple

from indexer.text.analysis import analyze
from indexer.text.normalize import fold_chars

Pattern = list[tuple[str, int]]  # (term, position relative to the pattern's first term)
Substring = tuple[str, bool]  # (folded text, must begin where a word begins)


def _substring_spans(text: str, tokens, substrings: list[Substring]) -> list[tuple[int, int]]:
    folded, offsets = fold_chars(text)
    starts = {t.start for t in tokens}
    spans = []
    for needle, word_start in substrings:
        at = folded.find(needle)
        while at >= 0 and needle:
            start, end = offsets[at], offsets[at + len(needle) - 1] + 1
            while end < len(text) and text[end] == "ー" and text[end - 1] != "ー":
                end += 1  # the long-vowel mark folding dropped belongs to the word
            if not word_start or start in starts:
                spans.append((start, end))
            at = folded.find(needle, at + 1)
    return spans


class StoredToken(NamedTuple):
    """A term read back from the index's term vector: term, position and character span."""

    term: str
    pos: int
    start: int
    end: int


def tokens_from_vector(pairs) -> list[StoredToken]:
    """Turn (term, [(pos, start, end), ...]) pairs of a "characters" term vector into tokens."""
    tokens = [StoredToken(term, *place) for term, places in pairs for place in places]
    tokens.sort(key=itemgetter(1))
    return tokens


def match_spans(
    text: str, patterns: list[Pattern], substrings: Sequence[Substring] = (), tokens=None
) -> list[tuple[int, int]]:
    """Return merged (start, end) character spans where any pattern or substring occurs in text;
    tokens, when given (from the term vector), spare analysing the text again."""
    if not patterns and not substrings:
        return []
    tokens = analyze(text) if tokens is None else tokens
    by_position = {t.pos: t for t in tokens}
    spans: list[tuple[int, int]] = _substring_spans(text, tokens, list(substrings))
    for token in tokens:
        for pattern in patterns:
            first_term, _ = pattern[0]
            if token.term != first_term:
                continue
            matched = [by_position.get(token.pos + offset) for _, offset in pattern]
            if all(m is not None and m.term == term for m, (term, _) in zip(matched, pattern)):
                first, last = matched[0], matched[-1]
                assert first is not None and last is not None
                spans.append((first.start, last.end))
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


def snippet(
    text: str, patterns: list[Pattern], width: int = 160, substrings: Sequence[Substring] = (), tokens=None
) -> str:
    """Return an HTML snippet of about width characters around the first match, matches marked."""
    return snippet_around(text, match_spans(text, patterns, substrings, tokens), width)


def snippet_around(text: str, spans: list[tuple[int, int]], width: int = 160) -> str:
    """Return an HTML snippet of about width characters around the first of the spans, all marked."""
    if len(text) <= width:
        return mark(text, spans)
    anchor = spans[0][0] if spans else 0
    start = max(0, anchor - width // 4)
    end = min(len(text), start + width)
    start = max(0, end - width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + mark(text, spans, start, end) + suffix
