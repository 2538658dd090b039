"""Compare PDF text extractors on Japanese minutes drawn here: characters lost or added, lines split or
merged, lines out of reading order, and milliseconds per page.

Usage: python scripts/bench_pdf.py [--pages 20] [--repeat 5] [--keep DIR]
Four layouts of the same minutes (tests/pdf_pages.py, reportlab's built-in CID fonts) are written into a
temporary folder: one column; a ruled header table drawn column by column; labels in another font with the
running header drawn last and the page number first; every glyph placed on its own, lines justified.
Readers: pdfminer.six and pypdf as the libraries offer them, pypdfium2 when it is installed, and the rows
indexer/parse/pdf.py builds from pdfminer.six's lines. The source of each page is what was drawn, in reading
order; text is compared after NFKC with whitespace removed.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.parse.pdf import text_rows  # noqa: E402
from tests.pdf_pages import Drawn, long_minutes, one_column_pdf, table_pdf  # noqa: E402

Reader = Callable[[bytes], list[str]]  # a PDF's bytes → the text of each page


def _pdfminer(body: bytes) -> list[str]:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfpage import PDFPage

    pages = sum(1 for _ in PDFPage.get_pages(io.BytesIO(body)))
    return [extract_text(io.BytesIO(body), page_numbers=[n]) for n in range(pages)]


def _pdfminer_pages(body: bytes) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    def text(layout) -> str:
        return "\n".join(item.get_text() for item in layout if isinstance(item, LTTextContainer))

    return [text(layout) for layout in extract_pages(io.BytesIO(body))]


def _rows(body: bytes) -> list[str]:
    pages, _heights = text_rows(body)
    return ["\n".join(row.text for row in page) for page in pages]


def _pypdf(mode: str) -> Reader:
    def read(body: bytes) -> list[str]:
        from pypdf import PdfReader

        return [page.extract_text(extraction_mode=mode) for page in PdfReader(io.BytesIO(body)).pages]

    return read


def _pdfium(body: bytes) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(body)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def readers() -> dict[str, Reader]:
    """Return the readers to compare, those whose library is installed."""
    found: dict[str, Reader] = {"pdfminer.six extract_text": _pdfminer_pages}
    found["pdfminer.six lines, rows by position (minutes)"] = _rows
    try:
        import pypdf  # noqa: F401

        found["pypdf extract_text"] = _pypdf("plain")
        found["pypdf extract_text layout"] = _pypdf("layout")
    except ImportError:
        print("pypdf is not installed: pip install pypdf", file=sys.stderr)
    try:
        import pypdfium2  # noqa: F401

        found["pypdfium2 get_text_range"] = _pdfium
    except ImportError:
        print("(pypdfium2 is not installed: skipped)", file=sys.stderr)
    return found


def layouts(pages: int) -> dict[str, Drawn]:
    """Return the four layouts of one set of minutes, about pages long."""
    minutes = long_minutes(pages * 8)
    return {
        "one column": one_column_pdf(minutes),
        "header table": table_pdf(minutes),
        "fonts, order": one_column_pdf(minutes, out_of_order=True, mixed_fonts=True, number_style="wide"),
        "per glyph": one_column_pdf(minutes, per_glyph=True),
    }


@dataclass
class Score:
    """How far a reader's text is from what was drawn."""

    lost: int = 0  # source characters missing from the output
    extra: int = 0  # output characters the source does not have
    split: int = 0  # source lines spread over several output lines
    merged: int = 0  # source lines run into another source line's output line
    order: int = 0  # pieces out of reading order (pieces minus the longest run in order)
    unfound: int = 0  # pieces not found whole in the output
    ms_per_page: float = 0.0


def _flat(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _in_order(positions: list[int]) -> int:
    """Return the length of the longest increasing run (not necessarily contiguous) of positions."""
    import bisect

    tails: list[int] = []
    for position in positions:
        at = bisect.bisect_left(tails, position)
        tails[at : at + 1] = [position]
    return len(tails)


def _unclaimed(text: str, piece: str, claimed: list[bool], start: int) -> int:
    """Return where piece occurs in text from start on, on characters no other piece took, or -1."""
    at = text.find(piece, start)
    while at >= 0 and any(claimed[at : at + len(piece)]):
        at = text.find(piece, at + 1)
    return at


def score_page(source: list[list[str]], text: str, score: Score) -> None:
    """Add to score how one page's output differs from its source lines (each a list of drawn pieces)."""
    lines = [flat for line in text.splitlines() if (flat := _flat(line))]
    pieces = [(number, _flat(piece)) for number, line in enumerate(source) for piece in line if _flat(piece)]
    drawn, read = Counter("".join(p for _, p in pieces)), Counter("".join(lines))
    score.lost += sum((drawn - read).values())
    score.extra += sum((read - drawn).values())
    joined = "".join(lines)
    line_of = [n for n, line in enumerate(lines) for _ in line]
    claimed = [False] * len(joined)
    found: list[tuple[int, int, int]] = []
    after = 0  # look after the piece found last first, so a repeated phrase is not taken from elsewhere
    for number, piece in pieces:
        start = _unclaimed(joined, piece, claimed, after)
        if start < 0:
            start = _unclaimed(joined, piece, claimed, 0)
        if start < 0:
            score.unfound += 1
            continue
        claimed[start : start + len(piece)] = [True] * len(piece)
        found.append((number, start, start + len(piece)))
        after = start + len(piece)
    score.order += len(found) - _in_order([start for _, start, _ in found])
    output_lines: dict[int, set[int]] = defaultdict(set)
    source_lines: dict[int, set[int]] = defaultdict(set)
    for number, start, end in found:
        for output in range(line_of[start], line_of[end - 1] + 1):
            output_lines[number].add(output)
            source_lines[output].add(number)
    score.split += sum(1 for outputs in output_lines.values() if len(outputs) > 1)
    score.merged += sum(len(numbers) - 1 for numbers in source_lines.values())


def measure(reader: Reader, drawn: Drawn, repeat: int) -> Score:
    """Read a PDF repeat times (the best time counts) and score its text against the source."""
    best, texts = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        texts = reader(drawn.pdf)
        best = min(best, time.perf_counter() - started)
    score = Score(ms_per_page=1000 * best / len(drawn.pages))
    if len(texts) != len(drawn.pages):
        raise SystemExit(f"{reader}: {len(texts)} pages read, {len(drawn.pages)} drawn")
    for source, text in zip(drawn.pages, texts):
        score_page(source, text, score)
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=20, help="about how many pages each layout runs to")
    parser.add_argument("--repeat", type=int, default=5, help="reads per reader and layout; the best time counts")
    parser.add_argument("--keep", type=Path, help="write the PDFs into this folder instead of a temporary one")
    args = parser.parse_args()
    drawn = layouts(args.pages)
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for name, document in drawn.items():
            path = folder / (name.replace(" ", "-").replace(",", "") + ".pdf")
            path.write_bytes(document.pdf)
            drawn[name] = Drawn(path.read_bytes(), document.pages)  # read back from the file, as a reader would
        chars = sum(len(_flat(p)) for page in drawn["one column"].pages for line in page for p in line)
        print(f"{len(drawn['one column'].pages)} pages and {chars:,} characters per layout; best of {args.repeat}\n")
        print("| reader | layout | chars lost | chars extra | lines split | lines merged | out of order | ms/page |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for reader_name, reader in readers().items():
            for layout_name, document in drawn.items():
                s = measure(reader, document, args.repeat)
                print(
                    f"| {reader_name} | {layout_name} | {s.lost} | {s.extra} | {s.split} | {s.merged} | "
                    f"{s.order} | {s.ms_per_page:.1f} |"
                )


if __name__ == "__main__":
    main()
