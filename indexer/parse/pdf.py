"""Read PDF minutes: the text layer's lines (pdfminer.six) laid out as a minimal HTML page (pdf_layout.py)
and parsed by the HTML parser, so a PDF gives the Meeting its HTML page would."""

from __future__ import annotations

import html
import io
import re
from dataclasses import replace

from indexer.parse.hints import NO_HINTS, ParseHints
from indexer.parse.page import ParseError, parse_minutes
from indexer.parse.pdf_layout import Block, Row, blocks, drop_running, rows_of
from indexer.records import Meeting
from indexer.text.normalize import normalize_text

PDF_MAGIC = b"%PDF-"
_CID = re.compile(r"\(cid:\d+\)")  # pdfminer's stand-in for a glyph its font maps to no character


def is_pdf(body: bytes) -> bool:
    """Tell whether a body is a PDF by its magic bytes, which readers accept anywhere in the first kilobyte."""
    return PDF_MAGIC in body[:1024]


def readable_page(body: bytes, url: str | None) -> bytes | str:
    """Return what the HTML parser reads for a body: the body itself, or a PDF's text as a minimal HTML page."""
    return pdf_page(body, url) if is_pdf(body) else body


def parse_document(
    body: bytes,
    url: str | None = None,
    *,
    charset: str | None = None,
    hints: ParseHints = NO_HINTS,
    link_text: str | None = None,
) -> Meeting:
    """Parse an HTML page or a PDF into a Meeting, or raise ParseError saying why not (the same arguments as
    parse_minutes; a profile's content_selector is for its HTML pages and is not applied to a PDF)."""
    if is_pdf(body):
        hints = replace(hints, content_selector=None) if hints.content_selector else hints
    return parse_minutes(readable_page(body, url), url, charset=charset, hints=hints, link_text=link_text)


def pdf_page(body: bytes, url: str | None) -> str:
    """Return a PDF's text as a minimal HTML page (a title, one paragraph per line, tables of label rows),
    or raise ParseError when it has no text layer or cannot be read."""
    return _html(blocks(drop_running(*text_rows(body, url))))


def text_rows(body: bytes, url: str | None = None) -> tuple[list[list[Row]], list[float]]:
    """Return a PDF's rows of text page by page, in reading order, and each page's height, or raise
    ParseError saying why not (encrypted, damaged, no text layer)."""
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    # word_margin: a gap of a quarter em is a space (justified Japanese lines space their glyphs by less).
    params = LAParams(word_margin=0.25, boxes_flow=None, all_texts=True)
    pages: list[list[Row]] = []
    heights: list[float] = []
    decoded = undecoded = 0
    try:
        from pdfminer.high_level import extract_pages

        for number, layout in enumerate(extract_pages(io.BytesIO(body), laparams=params)):
            heights.append(layout.height)
            lines = []
            for x0, x1, top, bottom, size, text in _lines(layout):
                undecoded += len(_CID.findall(text))
                text = normalize_text(_CID.sub("", text))
                decoded += len(text)
                if text:
                    lines.append((x0, x1, top, bottom, size, text))
            pages.append(rows_of(number, lines))
    except ParseError:
        raise  # the time limit's alarm
    except PDFPasswordIncorrect as error:
        raise ParseError(url, "the PDF is encrypted with a password; it cannot be read") from error
    except Exception as error:  # a damaged file can fail anywhere in the reader
        raise ParseError(url, f"the PDF is damaged and cannot be read ({type(error).__name__}: {error})") from error
    if not pages:
        raise ParseError(url, "the PDF has no pages")
    if undecoded > decoded:
        raise ParseError(url, "the PDF's fonts map its text to no characters, so it reads as (cid:…) codes; no OCR")
    if not decoded:
        raise ParseError(url, f"the PDF has no text layer ({len(pages)} pages of images or drawings?); no OCR")
    return pages, heights


def _lines(layout) -> list[tuple[float, float, float, float, float, str]]:
    """Return every text line on a pdfminer page as (x0, x1, top, bottom, font size, text), top down from the page's top."""
    from pdfminer.layout import LTChar, LTContainer, LTTextLineHorizontal

    found = []
    stack = [layout]
    while stack:
        item = stack.pop()
        if isinstance(item, LTTextLineHorizontal):
            glyphs = [char for char in item if isinstance(char, LTChar) and not char.get_text().isspace()]
            if glyphs:
                top, bottom = layout.height - item.y1, layout.height - item.y0
                size = max(char.size for char in glyphs)
                found.append((glyphs[0].x0, glyphs[-1].x1, top, bottom, size, _without_overprint(item)))
        elif isinstance(item, LTContainer):
            stack.extend(item)
    return found


def _without_overprint(line) -> str:
    """Return a line's text without glyphs printed twice over themselves (a fake bold): same character, same place."""
    from pdfminer.layout import LTChar

    out: list[str] = []
    last = None
    for item in line:
        text = item.get_text()
        if isinstance(item, LTChar):
            if last is not None and text == last.get_text() and abs(item.x0 - last.x0) < 0.3 * item.size:
                continue
            last = item
        out.append(text)
    return "".join(out)


def _html(page: list[Block]) -> str:
    """Write the blocks as an HTML page the parser reads: <h1> title, <p> lines, <table> label rows."""
    esc = html.escape
    title = next((block.text for block in page if block.kind == "title"), "")
    out = [f'<!doctype html><html><head><meta charset="utf-8"><title>{esc(title)}</title></head><body><main>']
    in_table = False
    for block in page:
        if in_table and block.kind != "row":
            out.append("</table>")
            in_table = False
        if block.kind == "title":
            out.append(f"<h1>{esc(block.text)}</h1>")
        elif block.kind == "row":
            if not in_table:
                out.append("<table>")
                in_table = True
            out.append(f"<tr><th>{esc(block.text)}</th><td>{'<br>'.join(map(esc, block.values))}</td></tr>")
        else:
            out.append(f"<p>{esc(block.text)}</p>")
    out.append("</table></main></body></html>" if in_table else "</main></body></html>")
    return "\n".join(out)
