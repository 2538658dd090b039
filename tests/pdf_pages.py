"""Minutes written here, drawn as PDF with reportlab's built-in Japanese CID fonts and as the HTML page of
the same text: the PDF tests and scripts/bench_pdf.py read both.

A drawn PDF comes with its source: per page, the lines in reading order, each a list of the pieces drawn
on it (a table row is [label, value]), so a reader's output can be checked against what was drawn.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

MINCHO, GOTHIC = "HeiseiMin-W3", "HeiseiKakuGo-W5"
for _font in (MINCHO, GOTHIC):
    pdfmetrics.registerFont(UnicodeCIDFont(_font))

WIDTH, HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 60.0, WIDTH - 60.0, HEIGHT - 80.0, 70.0
SIZE, PITCH = 10.5, 17.0
HANGING = "、。，．）」』】？！"  # never at a line's start: kept at the end of the line before (ぶら下げ)


@dataclass(frozen=True)
class Speech:
    """One paragraph of the record: a label (○山田委員長, 【事務局】, 委員：) and its text, or narrative."""

    label: str | None
    text: str

    def line(self) -> str:
        """Return the paragraph as printed: label, a full-width space unless the label closes itself, text."""
        if self.label is None:
            return self.text
        return self.label + ("" if self.label.endswith(("】", "：")) else "\u3000") + self.text


@dataclass
class Minutes:
    """A meeting's minutes: title, header fields (label, value lines), the record's heading and paragraphs."""

    title: str
    header: list[tuple[str, list[str]]]
    marker: str
    record: list[Speech]
    running_header: str = ""


def html_page(minutes: Minutes, *, table: bool = False) -> str:
    """Return the HTML page of the minutes: header fields as a table or as one paragraph per value line."""
    esc = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(minutes.title)}</title></head>"]
    parts.append(f"<body><main><h1>{esc(minutes.title)}</h1>")
    if table:
        rows = "".join(
            f"<tr><th>{esc(label)}</th><td>{'<br>'.join(map(esc, values))}</td></tr>"
            for label, values in minutes.header
        )
        parts.append(f"<table>{rows}</table>")
    else:
        for label, values in minutes.header:
            parts.append(f"<p>{esc(label)}\u3000{esc(values[0])}</p>")
            parts.extend(f"<p>{esc(value)}</p>" for value in values[1:])
    parts.append(f"<h2>{esc(minutes.marker)}</h2>")
    parts.extend(f"<p>{esc(speech.line())}</p>" for speech in minutes.record)
    parts.append("</main></body></html>")
    return "\n".join(parts)


def wrap(text: str, width: float, font: str = MINCHO, size: float = SIZE) -> list[str]:
    """Break text into lines no wider than width, hanging closing punctuation at a line's end."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and char not in HANGING and pdfmetrics.stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = ""
        current += char
    return lines + [current] if current else lines


@dataclass
class Drawn:
    """A drawn PDF and its source: per page, its lines in reading order, each the pieces drawn on it."""

    pdf: bytes
    pages: list[list[list[str]]] = field(default_factory=list)


class _Pages:
    """Lays lines out top to bottom over as many pages as they need, with a running header and page numbers."""

    def __init__(
        self,
        running_header: str,
        number_style: str,
        total: int | None = None,
        *,
        out_of_order: bool = False,
        per_glyph: bool = False,
        fonts: bool = False,
        tab: float = 0.0,
    ):
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, invariant=1)
        self.running_header, self.number_style, self.total = running_header, number_style, total
        self.out_of_order, self.per_glyph, self.fonts, self.tab = out_of_order, per_glyph, fonts, tab
        self.pages: list[list[list[str]]] = []
        self._footer: list[str] = []
        self.y = TOP
        self._start_page()

    def _start_page(self) -> None:
        self.pages.append([])
        self.y = TOP
        if self.out_of_order:
            self._page_number()  # drawn first, though it is read last
        else:
            self._running_header()

    def _running_header(self) -> None:
        if self.running_header:
            self.canvas.setFont(GOTHIC, 9)
            self.canvas.drawRightString(RIGHT, HEIGHT - 45, self.running_header)
            self.pages[-1].insert(0, [self.running_header])

    def _page_number(self) -> None:
        number = len(self.pages)
        wide = "".join(chr(0xFF10 + int(digit)) for digit in str(number))
        label = {"dash": f"- {number} -", "fraction": f"{number}/{self.total or 0}", "wide": f"−{wide}−"}[
            self.number_style
        ]
        self.canvas.setFont(MINCHO, 9)
        self.canvas.drawCentredString(WIDTH / 2, 35, label)
        self._footer = [label]  # read last, whenever it is drawn

    def _end_page(self) -> None:
        if self.out_of_order:
            self._running_header()  # drawn last, though it is read first
        self.pages[-1].append(self._footer)
        self.canvas.showPage()

    def need(self, height: float) -> None:
        """Start a new page unless height fits above the bottom margin."""
        if self.y - height < BOTTOM:
            if not self.out_of_order:
                self._page_number()
            self._end_page()
            self._start_page()

    def text(self, x: float, text: str, font: str = MINCHO, size: float = SIZE, *, justify: float = 0.0) -> None:
        """Draw one line at x on the current line, per glyph (spread over justify points) when asked."""
        self.canvas.setFont(font, size)
        if not self.per_glyph:
            self.canvas.drawString(x, self.y, text)
            return
        spare = max(0.0, justify - pdfmetrics.stringWidth(text, font, size)) if justify else 0.0
        gap = spare / (len(text) - 1) if len(text) > 1 else 0.0
        for char in text:
            self.canvas.drawString(x, self.y, char)
            x += pdfmetrics.stringWidth(char, font, size) + gap

    def paragraph(self, speech: Speech) -> None:
        """Draw a paragraph wrapped to the text width, its label in a fake-bold Gothic when fonts are mixed,
        or alone at the margin with the speech beside it at a tab stop (a hanging indent)."""
        if self.tab and speech.label:
            lines = wrap(speech.text, RIGHT - LEFT - self.tab)
            for index, line in enumerate(lines):
                self.need(PITCH)
                if index == 0:
                    self.text(LEFT, speech.label)
                self.text(LEFT + self.tab, line)
                self.pages[-1].append([speech.label, line] if index == 0 else [line])
                self.y -= PITCH
            return
        lines = wrap(speech.line(), RIGHT - LEFT)
        for index, line in enumerate(lines):
            self.need(PITCH)
            full = index < len(lines) - 1
            label = speech.label if index == 0 and self.fonts and speech.label else ""
            if label and line.startswith(label):
                self.text(LEFT, label, GOTHIC)
                self.text(LEFT + 0.3, label, GOTHIC)  # printed twice, a hair apart: a fake bold
                self.text(LEFT + pdfmetrics.stringWidth(label, MINCHO, SIZE), line[len(label) :])
            else:
                self.text(LEFT, line, justify=(RIGHT - LEFT) if full else 0.0)
            self.pages[-1].append([line])
            self.y -= PITCH

    def finish(self) -> Drawn:
        """Number the last page, close the document and return it with its source."""
        if not self.out_of_order:
            self._page_number()
        self._end_page()
        self.canvas.save()
        return Drawn(self.buffer.getvalue(), self.pages)


def _numbered(draw: Callable[[int | None], Drawn], number_style: str) -> Drawn:
    """Draw once, and again with the page count when page numbers say "3/12"."""
    drawn = draw(None)
    return draw(len(drawn.pages)) if number_style == "fraction" else drawn


def one_column_pdf(
    minutes: Minutes,
    *,
    number_style: str = "dash",
    out_of_order: bool = False,
    per_glyph: bool = False,
    mixed_fonts: bool = False,
    tab: float = 0.0,
) -> Drawn:
    """Draw the minutes in one column: a large title, "label　value" header lines, the record's heading and
    its paragraphs wrapped over lines and pages (the speech at a tab stop beside its label when tab is set),
    a running header and a page number on every page."""

    def draw(total: int | None) -> Drawn:
        pages = _Pages(
            minutes.running_header,
            number_style,
            total,
            out_of_order=out_of_order,
            per_glyph=per_glyph,
            fonts=mixed_fonts,
            tab=tab,
        )
        pages.canvas.setFont(GOTHIC, 16)
        pages.canvas.drawCentredString(WIDTH / 2, pages.y, minutes.title)
        pages.pages[-1].append([minutes.title])
        pages.y -= 36
        for label, values in minutes.header:
            head = label + "\u3000"
            indent = LEFT + pdfmetrics.stringWidth(head, MINCHO, SIZE)
            for index, value in enumerate(values):
                pages.need(PITCH)
                pages.text(LEFT if index == 0 else indent, head + value if index == 0 else value)
                pages.pages[-1].append([head + value if index == 0 else value])
                pages.y -= PITCH
        pages.y -= PITCH / 2
        _record(pages, minutes)
        return pages.finish()

    return _numbered(draw, number_style)


def table_pdf(minutes: Minutes, *, number_style: str = "fraction", column_wise: bool = True) -> Drawn:
    """Draw the minutes with the title above a ruled table of header fields (label | value lines, the labels
    drawn first when column_wise, as some writers do), then the record in one column."""

    def draw(total: int | None) -> Drawn:
        pages = _Pages(minutes.running_header, number_style, total)
        canvas = pages.canvas
        canvas.setFont(GOTHIC, 16)
        canvas.drawCentredString(WIDTH / 2, pages.y, minutes.title)
        pages.pages[-1].append([minutes.title])
        pages.y -= 30
        split = LEFT + 80
        rows = []
        top = pages.y + SIZE + 4
        for label, values in minutes.header:
            wrapped = [line for value in values for line in wrap(value, RIGHT - split - 12)]
            rows.append((label, wrapped, pages.y))
            pages.y -= PITCH * len(wrapped) + 8
        bottom = pages.y + SIZE + 4
        canvas.setLineWidth(0.6)
        canvas.rect(LEFT, bottom, RIGHT - LEFT, top - bottom)
        canvas.line(split, bottom, split, top)
        for _label, _wrapped, y in rows[1:]:
            canvas.line(LEFT, y + SIZE + 4, RIGHT, y + SIZE + 4)
        canvas.setFont(MINCHO, SIZE)
        cells = [(LEFT + 6, y, label) for label, _wrapped, y in rows]
        values = [(split + 6, y - PITCH * i, line) for _label, wrapped, y in rows for i, line in enumerate(wrapped)]
        for x, y, text in cells + values if column_wise else sorted(cells + values, key=lambda c: (-c[1], c[0])):
            canvas.drawString(x, y, text)
        for label, wrapped, _y in rows:
            pages.pages[-1].append([label, wrapped[0]])
            pages.pages[-1].extend([line] for line in wrapped[1:])
        pages.y -= PITCH
        _record(pages, minutes)
        return pages.finish()

    return _numbered(draw, number_style)


def _record(pages: _Pages, minutes: Minutes) -> None:
    pages.need(PITCH * 2)
    pages.text(LEFT, minutes.marker, GOTHIC, 12)
    pages.pages[-1].append([minutes.marker])
    pages.y -= PITCH * 1.5
    for speech in minutes.record:
        pages.paragraph(speech)


def image_only_pdf() -> bytes:
    """Return a two-page PDF holding only drawn shapes and an image: a scan, no text layer."""
    from reportlab.lib.utils import ImageReader

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    pixels = ImageReader(io.BytesIO(_tiny_png()))
    for _page in range(2):
        canvas.drawImage(pixels, LEFT, BOTTOM, RIGHT - LEFT, TOP - BOTTOM)
        canvas.rect(LEFT, BOTTOM, 100, 100, fill=1)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _tiny_png() -> bytes:
    """Return a 2×2 grey PNG, made without an image library."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80\x80" for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# Sentences written for these tests (no real minutes copied), combined into speeches of any length.
SENTENCES = (
    "ただいまから令和五年度第三回さくら市環境審議会を開会いたします。",
    "本日は委員十二名中十名の御出席をいただいておりますので、会議は成立しております。",
    "資料一の地球温暖化対策実行計画の進捗状況について、事務局から説明をお願いします。",
    "市の事務事業から排出される温室効果ガスは、基準年度と比べて十八パーセント減少しました。",
    "公共施設への太陽光発電設備の導入は、小学校六校と地区公民館三館で完了しております。",
    "一方で、電気自動車の導入台数は目標の半分にとどまっており、来年度に予算を要求する予定です。",
    "ごみの排出量について、家庭系は減っているものの事業系が増えている理由を伺います。",
    "飲食店の営業再開に伴い、事業系の可燃ごみが前年度より約四百トン増えたものと考えております。",
    "食品ロスの削減に向けて、事業者向けの啓発冊子を作成し、今年度中に配布いたします。",
    "緑のカーテン事業の参加世帯数が伸び悩んでいるようですが、周知の方法を工夫してはいかがでしょうか。",
    "広報紙に加えて、市の公式アプリや地域の回覧板でも参加を呼びかけてまいります。",
    "河川の水質調査の結果、全ての地点で環境基準を満たしておりました。",
    "外来植物の駆除には市民ボランティアの協力が欠かせず、今年は延べ二百名に御参加いただきました。",
    "次回の審議会では、計画の中間見直しに向けた骨子案をお示しする予定です。",
    "ほかに御意見、御質問はございませんか。",
    "それでは、本日の議事は全て終了いたしました。",
    "髙橋委員と山﨑委員から、㈱さくら環境サービスの約３０㎡の倉庫について①②の二点、午後２時～３時の見学会の質問がありました。",
)
SPEAKERS = ("○山田委員長", "○佐藤委員", "○鈴木環境政策課長", "○高橋委員", "○中村副委員長", "○伊藤廃棄物対策課長")


def long_minutes(speeches: int, *, seed: int = 1) -> Minutes:
    """Return minutes of a given number of speeches, each one to six sentences, for measuring readers."""
    import random

    rng = random.Random(seed)
    record = [
        Speech(rng.choice(SPEAKERS), "".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 6))))
        for _ in range(speeches)
    ]
    return Minutes(
        title="令和5年度第3回さくら市環境審議会会議録",
        header=[
            ("日時", ["令和5年6月2日（金）午後2時から午後3時30分まで"]),
            ("場所", ["さくら市役所本庁舎3階第1会議室"]),
            (
                "出席者",
                ["委員10名（山田委員長、中村副委員長、佐藤委員、高橋委員ほか）", "事務局 鈴木環境政策課長ほか3名"],
            ),
            ("議題", ["（1）地球温暖化対策実行計画の進捗状況について", "（2）ごみ処理基本計画の見直しについて"]),
        ],
        marker="議事の経過",
        record=record,
        running_header="さくら市環境審議会（令和5年6月2日）",
    )
