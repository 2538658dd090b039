"""PDF minutes: the same minutes drawn as a PDF (reportlab's Japanese CID fonts) and written as an HTML page
parse to the same meeting, through the library, `minutes parse`, `minutes ingest` and the crawler."""

from __future__ import annotations

import hashlib
import io
import json
import random

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.crawl.profiles import SiteProfile
from indexer.parse.page import ParseError, parse_minutes
from indexer.parse.pdf import is_pdf, parse_document, pdf_page, text_rows
from indexer.parse.pdf_layout import PAGE_NUMBER
from indexer.pipeline import crawl
from indexer.records import Meeting
from indexer.settings import Settings
from indexer.store.ingest import check_site
from indexer.store.raw_store import RawStore
from indexer.store.record_store import RecordStore
from tests.pdf_pages import (
    LEFT,
    MINCHO,
    RIGHT,
    SENTENCES,
    SIZE,
    Minutes,
    Speech,
    html_page,
    image_only_pdf,
    one_column_pdf,
    table_pdf,
    wrap,
)
from tests.site_server import FakeCitySite, listing

URL = "https://www.city.midori.example.jp/kaigi/kotsu-2023-11.pdf"
RUNNING = "みどり市交通安全対策協議会（令和5年11月8日）"
# Ends exactly at the right margin of its second line: the label below it opens a line the PDF wraps to.
FULL = Speech(
    "○交通政策課長",
    "通学路の合同点検は、市内十四の小学校区で、学校、保護者、警察署、道路管理者と一緒に実施いたしました。"
    "危険箇所は計三十二か所あり、うち十八か所は対策を終えております。",
)

FULL_BRACKET = Speech("【交通政策課長】", FULL.text)


def _filler(labels: tuple[str, ...], count: int, seed: int) -> list[Speech]:
    rng = random.Random(seed)
    return [
        Speech(rng.choice(labels), "".join(rng.choice(SENTENCES[:-1]) for _ in range(rng.randint(2, 5))))
        for _ in range(count)
    ]


def marked_minutes() -> Minutes:
    """Minutes whose speakers are marked ○, long enough for several pages."""
    record = [
        Speech(
            "○森会長",
            "ただいまから令和5年度第2回みどり市交通安全対策協議会を開会いたします。本日は委員8名全員に御出席いただいております。",
        ),
        Speech("○森会長", "議題（1）通学路の合同点検の結果について、事務局から説明をお願いします。"),
        FULL,
        Speech("○大野委員", "対策が済んでいない十四か所について、いつまでに対策する予定か伺います。"),
        Speech("○交通政策課長", "道路管理者と協議のうえ、来年度中に全ての箇所で対策を終える予定です。"),
        Speech(None, "（午前10時45分休憩）"),
        *_filler(("○大野委員", "○森会長", "○交通政策課長", "○西田委員"), 26, seed=3),
        Speech("○森会長", "以上で本日の議事は全て終了いたしました。これをもちまして閉会いたします。"),
    ]
    return Minutes(
        title="令和5年度第2回みどり市交通安全対策協議会会議録",
        header=[
            ("日時", ["令和5年11月8日（水）午前10時から午前11時30分まで"]),
            ("場所", ["みどり市役所第2庁舎大会議室"]),
            ("出席者", ["委員8名（森会長、大野委員、西田委員ほか）", "事務局 交通政策課長ほか2名"]),
            ("議題", ["（1）通学路の合同点検の結果について", "（2）高齢運転者の免許返納支援について"]),
        ],
        marker="会議録",
        record=record,
        running_header=RUNNING,
    )


def bracket_minutes() -> Minutes:
    """Minutes with 【委員】 and 委員： labels, one of them at the start of a line the PDF wraps to."""
    record = [
        Speech("【会長】", "それでは、議題（2）高齢運転者の免許返納支援について、事務局から説明をお願いします。"),
        Speech(
            "【交通政策課】",
            "免許を返納された方に、コミュニティバスの回数券を配る事業を十月から始めました。"
            "これまでに百十二名の方が申請されております。",
        ),
        FULL_BRACKET,
        Speech("委員：", "申請の窓口が本庁舎だけでは、郊外にお住まいの方には不便ではないでしょうか。"),
        Speech("【交通政策課】", "来年度からは各支所でも申請を受け付けられるよう準備しております。"),
        *_filler(("【委員】", "【会長】", "【交通政策課】", "委員："), 14, seed=5),
        Speech("【会長】", "以上で本日の議事は終了いたしました。ありがとうございました。"),
    ]
    minutes = marked_minutes()
    return Minutes(minutes.title, minutes.header, "議事の経過", record, running_header=RUNNING)


def turns(meeting: Meeting) -> list[tuple[str | None, str | None, str]]:
    """Return each utterance's role, speaker and text with whitespace removed."""
    return [(u.role, u.speaker, "".join(u.text.split())) for u in meeting.utterances]


def fields(meeting: Meeting) -> tuple:
    """Return what a meeting's header says: title, committee, date, times, place, agenda."""
    return (
        meeting.title,
        meeting.committee,
        meeting.date,
        meeting.start_time,
        meeting.end_time,
        meeting.place,
        meeting.agenda,
    )


def test_one_column_pdf_parses_as_its_html_page():
    minutes = marked_minutes()
    drawn = one_column_pdf(minutes)
    assert is_pdf(drawn.pdf) and len(drawn.pages) >= 3
    from_html = parse_minutes(html_page(minutes), URL)
    from_pdf = parse_document(drawn.pdf, URL)
    assert turns(from_pdf) == turns(from_html)
    assert fields(from_pdf) == fields(from_html)
    assert from_pdf.url == URL and from_pdf.quality.status == "ok"
    assert len([u for u in from_pdf.utterances if u.role]) == len([s for s in minutes.record if s.label])


def test_speeches_at_a_tab_stop_beside_their_labels_parse_as_the_html_page():
    minutes = marked_minutes()
    drawn = one_column_pdf(minutes, tab=9 * SIZE)  # ○交通政策課長 [gap] speech, its lines indented below
    assert any(len(line) == 2 for page in drawn.pages for line in page)
    from_pdf = parse_document(drawn.pdf, URL)
    assert turns(from_pdf) == turns(parse_minutes(html_page(minutes), URL))
    assert not [u.text for u in from_pdf.utterances if "\n" in u.text]  # wrapped lines joined


def test_running_headers_and_page_numbers_are_dropped():
    drawn = one_column_pdf(marked_minutes())
    rows, _heights = text_rows(drawn.pdf)
    # They are in the text layer of every page, at its top and bottom ...
    assert all(page[0].text.replace(" ", "") == RUNNING.replace("（", "(").replace("）", ")") for page in rows)
    assert [page[-1].text for page in rows] == [f"- {n} -" for n in range(1, len(rows) + 1)]
    # ... and in neither the page the parser reads nor any utterance.
    page = pdf_page(drawn.pdf, URL)
    assert "みどり市交通安全対策協議会(令和5年11月8日)" not in page and "- 2 -" not in page
    text = "\n".join(u.text for u in parse_document(drawn.pdf, URL).utterances)
    assert "令和5年11月8日" not in text and not any(f"- {n} -" in text for n in range(1, len(rows) + 1))


@pytest.mark.parametrize("style", ["wide", "fraction"])
def test_other_page_number_styles_are_dropped(style):
    minutes = marked_minutes()
    drawn = one_column_pdf(minutes, number_style=style)
    assert drawn.pages[1][-1][0] in ("−２−", f"2/{len(drawn.pages)}")
    assert turns(parse_document(drawn.pdf, URL)) == turns(parse_minutes(html_page(minutes), URL))


def test_page_number_shapes():
    for text in ("-3-", "- 12 -", "−3−", "3/12", "p.3", "(3)", "3ページ", "第3頁"):
        assert PAGE_NUMBER.match(text.replace(" ", "")), text
    for text in ("3人", "令和5年", "-委員-", "第3回"):
        assert not PAGE_NUMBER.match(text), text


@pytest.mark.parametrize(
    "minutes, draw, full, after",
    [
        (marked_minutes, one_column_pdf, FULL, ("委員", "大野", "対策が済んでいない")),
        (bracket_minutes, table_pdf, FULL_BRACKET, ("委員", None, "申請の窓口が")),
    ],
)
def test_a_label_at_the_start_of_a_wrapped_line_opens_a_new_turn(minutes, draw, full, after):
    from reportlab.pdfbase import pdfmetrics

    lines = wrap(full.line(), RIGHT - LEFT)
    assert len(lines) == 2 and pdfmetrics.stringWidth(lines[-1], MINCHO, SIZE) > RIGHT - LEFT - SIZE  # full
    meeting = parse_document(draw(minutes()).pdf, URL)
    texts = ["".join(u.text.split()) for u in meeting.utterances]
    at = texts.index("".join(full.text.split()))
    assert meeting.utterances[at].role == "課長"
    role, speaker, start = after
    assert (meeting.utterances[at + 1].role, meeting.utterances[at + 1].speaker) == (role, speaker)
    assert texts[at + 1].startswith(start)


def test_a_speech_wrapped_over_lines_and_pages_is_one_utterance():
    minutes = marked_minutes()
    drawn = one_column_pdf(minutes)
    longest = max(minutes.record, key=lambda speech: len(speech.text))
    assert len(wrap(longest.line(), RIGHT - LEFT)) >= 3
    texts = [u.text for u in parse_document(drawn.pdf, URL).utterances]
    assert longest.text.replace("\u3000", " ") in texts  # one line: no break left inside the speech


def test_header_table_pdf_parses_as_its_html_page():
    minutes = bracket_minutes()
    drawn = table_pdf(minutes)  # the labels column is drawn before the values
    from_html = parse_minutes(html_page(minutes, table=True), URL)
    from_pdf = parse_document(drawn.pdf, URL)
    assert turns(from_pdf) == turns(from_html)
    assert fields(from_pdf) == fields(from_html)
    assert from_pdf.place == "みどり市役所第2庁舎大会議室" and from_pdf.start_time == "10:00"
    assert from_pdf.agenda == ["(1)通学路の合同点検の結果について", "(2)高齢運転者の免許返納支援について"]
    assert "<table>" in pdf_page(drawn.pdf, URL)
    roles = {role for role, _speaker, _text in turns(from_pdf)}
    assert {"会長", "委員"} <= roles


def test_a_pdf_without_text_fails_saying_it_has_no_text_layer():
    with pytest.raises(ParseError, match="no text layer"):
        parse_document(image_only_pdf(), URL)


def test_an_encrypted_or_broken_pdf_fails_with_its_reason():
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, encrypt=StandardEncryption("secret", strength=128))
    canvas.setFont(MINCHO, 12)
    canvas.drawString(72, 720, "○森会長　開会いたします。")
    canvas.save()
    with pytest.raises(ParseError, match="encrypted"):
        parse_document(buffer.getvalue(), URL)
    broken = one_column_pdf(marked_minutes()).pdf[:400]
    with pytest.raises(ParseError, match="damaged"):
        parse_document(broken, URL)


def test_a_pdf_is_known_by_its_content_not_its_name():
    minutes = marked_minutes()
    pdf = one_column_pdf(minutes).pdf
    assert is_pdf(pdf) and not is_pdf(html_page(minutes).encode())
    assert turns(parse_document(pdf, "https://example.jp/minutes.html")) == turns(parse_document(pdf, URL))


def test_minutes_parse_reads_a_pdf(tmp_path):
    minutes = marked_minutes()
    path = tmp_path / "kotsu.pdf"
    path.write_bytes(one_column_pdf(minutes).pdf)
    result = CliRunner().invoke(main, ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = parse_minutes(html_page(minutes), path.resolve().as_uri())
    assert [(u["role"], u["speaker"], "".join(u["text"].split())) for u in data["utterances"]] == turns(expected)
    assert data["date"] == "2023-11-08" and data["title"] == minutes.title
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(image_only_pdf())
    failed = CliRunner().invoke(main, ["parse", str(scan)])
    assert failed.exit_code == 1 and "no text layer" in failed.output


def test_minutes_ingest_reads_pdfs_in_a_folder(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    pdf = table_pdf(bracket_minutes()).pdf
    (folder / "kotsu.pdf").write_bytes(pdf)
    (folder / "scan.PDF").write_bytes(image_only_pdf())
    (folder / "notes.txt").write_text("not a page", encoding="utf-8")
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["--data-dir", str(data), "ingest", str(folder)])
    assert result.exit_code == 1  # the scan failed, and says why
    assert "parsed 1 pages into 1 meetings" in result.output and "no text layer" in result.output
    settings = Settings(data)
    meetings = list(RecordStore(settings.records_dir))
    assert len(meetings) == 1 and turns(meetings[0]) == turns(parse_document(pdf, meetings[0].url))
    raw = RawStore(settings.raw_dir)
    page = raw.get((folder / "kotsu.pdf").resolve().as_uri())
    assert page.content_type == "application/pdf" and raw.body(page) == pdf  # kept byte for byte
    raw.close()


def test_the_crawler_follows_a_pdf_link_and_parses_it(tmp_path):
    minutes = marked_minutes()
    pdf = one_column_pdf(minutes).pdf
    with FakeCitySite() as site:
        site.pages["/kaigi/pdfs.html"] = (listing(["kotsu.pdf", "notes.pdf", "p1.html"]).encode(), "text/html")
        site.pages["/kaigi/kotsu.pdf"] = (pdf, "application/pdf")
        profile = SiteProfile(
            name="pdfsite",
            start_urls=[site.base + "/kaigi/pdfs.html"],
            allowed_hosts=["127.0.0.1"],
            listing_patterns=[r"/kaigi/pdfs\.html$"],
            minutes_patterns=[r"/kaigi/kotsu\.pdf$", r"/kaigi/p\d\.html$"],
            delay_seconds=0,
            retries=0,
        )
        settings = Settings(tmp_path)
        summary = crawl(settings, [profile])
        assert site.count("/kaigi/kotsu.pdf") == 1 and site.count("/kaigi/notes.pdf") == 0  # not a minutes link
        assert summary.new == 2 and summary.parsed == 2 and not summary.failed, summary.failed
        again = crawl(settings, [profile])
        assert again.parsed == 0  # unchanged: not parsed again
    raw = RawStore(settings.raw_dir)
    page = raw.get(site.base + "/kaigi/kotsu.pdf")
    assert page.content_type == "application/pdf" and page.parse_status == "ok"
    assert hashlib.sha256(raw.body(page)).hexdigest() == hashlib.sha256(pdf).hexdigest()
    checks = {check.url: check for check in check_site(raw, "pdfsite")}  # re-parsed from the raw store
    raw.close()
    assert checks[page.url].status == "ok" and checks[page.url].date == "2023-11-08"
    meeting = RecordStore(settings.records_dir).get(page.meeting_id)
    assert meeting is not None and turns(meeting) == turns(parse_minutes(html_page(minutes), page.url))
