"""Lay a PDF's text lines out as a page's blocks: rows in reading order, running headers and page numbers
dropped, lines wrapped mid-sentence joined, label/value tables kept as rows, large first lines a title."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from indexer.parse.labels import MARKED, speech_start

BAND = 0.12  # the share of a page, at its top and at its bottom, where running headers and page numbers sit
_DASHES = "-‐‑‒–—―−ー~〜"
PAGE_NUMBER = re.compile(
    rf"^[{_DASHES}]*[(\[]?(?:p\.?|page|第)?\d{{1,4}}(?:/\d{{1,4}}|ページ|頁)?[)\]]?[{_DASHES}]*$", re.I
)
_SENTENCE_END = re.compile(r"[。.!?」』)]$")
# What opens a new line though the line before runs to the margin: a mark, a bracketed label, a short
# "label:" (the parser decides whether it is a speaker; a line break too many costs nothing).
_OPENS_LINE = re.compile(r"^(?:【[^】]{1,24}】|[^\s:。、「」]{1,12}:)")


@dataclass
class Piece:
    """A run of normalised text on one line, as the PDF places it (x in points from the page's left edge)."""

    x0: float
    x1: float
    text: str


@dataclass
class Row:
    """The pieces on one line of a page, left to right; top and bottom in points from the page's top."""

    page: int
    top: float
    bottom: float
    size: float
    pieces: list[Piece] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return self.pieces[0].x0

    @property
    def x1(self) -> float:
        return self.pieces[-1].x1

    @property
    def text(self) -> str:
        return " ".join(piece.text for piece in self.pieces)


@dataclass
class Block:
    """A block of the page to write: "title", "line" (one paragraph) or "row" (a table's label and values)."""

    kind: str
    text: str
    values: list[str] = field(default_factory=list)


def rows_of(page: int, lines: list[tuple[float, float, float, float, float, str]]) -> list[Row]:
    """Group a page's lines (x0, x1, top, bottom, font size, text) into rows, top to bottom, each left to right."""
    rows: list[Row] = []
    for x0, x1, top, bottom, size, text in sorted(lines, key=lambda line: (line[2] + line[3], line[0])):
        middle = (top + bottom) / 2
        row = next((r for r in reversed(rows[-3:]) if r.top <= middle <= r.bottom), None)
        if row is None:
            rows.append(Row(page, top, bottom, size, [Piece(x0, x1, text)]))
            continue
        twin = next((p for p in row.pieces if abs(p.x0 - x0) < size / 2 and _overprints(p.text, text)), None)
        if twin is not None:  # the same text printed again over itself (a fake bold): keep the longer run
            twin.x1, twin.text = max(twin.x1, x1), max(twin.text, text, key=len)
            continue
        row.pieces.append(Piece(x0, x1, text))
        row.pieces.sort(key=lambda piece: piece.x0)
        row.top, row.bottom, row.size = min(row.top, top), max(row.bottom, bottom), max(row.size, size)
    return rows


def _overprints(one: str, other: str) -> bool:
    """Tell whether one run of text starts the other (or is it): a fake bold's second printing."""
    return one.startswith(other) or other.startswith(one)


def drop_running(pages: list[list[Row]], heights: list[float]) -> list[list[Row]]:
    """Drop page numbers, and lines repeated at one place near the top or bottom of most pages (digits aside)."""

    def in_band(row: Row) -> bool:
        return row.bottom < heights[row.page] * BAND or row.top > heights[row.page] * (1 - BAND)

    def place(row: Row) -> tuple[str, int]:
        return re.sub(r"\d+", "#", row.text.replace(" ", "")), round(row.top / 4)

    seen = Counter(key for page in pages for key in {place(row) for row in page if in_band(row)})
    repeated = {key for key, count in seen.items() if count >= 2 and count >= len(pages) / 2}
    return [
        [
            row
            for row in page
            if not (in_band(row) and (PAGE_NUMBER.match(row.text.replace(" ", "")) or place(row) in repeated))
        ]
        for page in pages
    ]


def blocks(pages: list[list[Row]]) -> list[Block]:
    """Turn the rows of every page into blocks: a title, tables of label/value rows, and paragraphs."""
    rows = [row for page in pages for row in page]
    if not rows:
        return []
    body_size = statistics.median(row.size for row in rows)
    out = []
    first = 0
    while first < len(rows) and rows[first].page == rows[0].page and rows[first].size >= 1.2 * body_size:
        first += 1
    if first:
        out.append(Block("title", " ".join(row.text for row in rows[:first])))
    rows = rows[first:]
    margins = _Margins(rows)
    index, previous = 0, None
    while index < len(rows):
        table, index_after = _table(rows, index, margins)
        if table:
            out.extend(table)
            index, previous = index_after, None
            continue
        row = rows[index]
        if previous is not None and out[-1].kind == "line" and margins.continues(previous, row):
            out[-1].text += _joiner(out[-1].text, row.text) + row.text
        else:
            out.append(Block("line", row.text))
        index, previous = index + 1, row
    return out


class _Margins:
    """Where the text of each page ends (pages may differ: mirrored margins), and so which lines run on: a
    line that reaches the right margin was wrapped there."""

    def __init__(self, rows: list[Row]):
        def third(values: list[float]) -> float:
            return sorted(values)[-min(3, len(values))]

        self.right = third([row.x1 for row in rows]) if rows else 0.0
        pages: dict[int, list[Row]] = {}
        for row in rows:
            pages.setdefault(row.page, []).append(row)
        self.rights = {page: third([r.x1 for r in these]) for page, these in pages.items() if len(these) >= 8}

    def continues(self, above: Row, row: Row, start: float | None = None) -> bool:
        """Tell whether row carries on the line above it (whose text starts at start, else its x0): that line
        runs to the right margin, and row opens no speech (a mark, a bracketed label, "label:", a known role)
        nor a paragraph indented further than the line above after a sentence's end."""
        if above.x1 < self.rights.get(above.page, self.right) - 2 * above.size:
            return False
        text = row.text
        if MARKED.match(text) or _OPENS_LINE.match(text) or speech_start(text) is not None:
            return False
        start = above.x0 if start is None else start
        return not (_SENTENCE_END.search(above.text) and row.x0 > start + 0.8 * row.size)


def _cells(row: Row) -> tuple[str, list[Piece]] | None:
    """Split a row at its widest gap into a short label and its value, if it reads as a table's row."""
    if len(row.pieces) < 2:
        return None
    gap, at = max((b.x0 - a.x1, i) for i, (a, b) in enumerate(zip(row.pieces, row.pieces[1:]), 1))
    label = " ".join(piece.text for piece in row.pieces[:at])
    if gap < 1.5 * row.size or len(label.replace(" ", "")) > 20 or "。" in label:
        return None
    return label, row.pieces[at:]


def _table(rows: list[Row], start: int, margins: _Margins) -> tuple[list[Block], int]:
    """Read the table starting at rows[start]: label/value rows whose values line up, each value's further
    lines below it (joined where wrapped); return its rows (none unless two have labels) and the index after."""
    cells = _cells(rows[start])
    if cells is None:
        return [], start
    value_x = cells[1][0].x0
    table = [Block("row", cells[0], [" ".join(piece.text for piece in cells[1])])]
    index = start + 1
    while index < len(rows):
        row, above = rows[index], rows[index - 1]
        if row.page == above.page and row.top - above.bottom > 2 * above.size:
            break  # a gap below the table (a table carries on over a page break)
        cells = _cells(row)
        if cells is not None and abs(cells[1][0].x0 - value_x) <= row.size:
            table.append(Block("row", cells[0], [" ".join(piece.text for piece in cells[1])]))
        elif cells is None and row.x0 >= value_x - row.size / 2:
            if margins.continues(above, row, value_x):
                table[-1].values[-1] += _joiner(table[-1].values[-1], row.text) + row.text
            else:
                table[-1].values.append(row.text)
        else:
            break
        index += 1
    return (table, index) if len(table) >= 2 else ([], start)


def _joiner(before: str, after: str) -> str:
    """Return what goes between two halves of a wrapped line: a space between Latin words, else nothing."""
    return (
        " " if before[-1:].isascii() and before[-1:].isalnum() and after[:1].isascii() and after[:1].isalnum() else ""
    )
