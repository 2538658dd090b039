"""Many bodies in one index: the body of each meeting, its facet and filter everywhere, the bodies page."""

import csv
import io
import json
from datetime import date

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.index.build import build_index
from indexer.parse.ndl import meetings_from_speeches
from indexer.records import Meeting, Utterance
from indexer.search.engine import SearchIndex, SearchRequest

# (body, committee, text of each utterance), written here: two cities and an assembly speak of 防災.
MEETINGS = [
    ("さくら市", "防災委員会", ["防災計画の見直しについて伺います。", "防災訓練は年二回実施しています。"]),
    ("さくら市", "福祉委員会", ["保育所の整備について伺います。"]),
    ("もみじ町", "総務委員会", ["防災無線の更新について伺います。", "来年度に更新します。"]),
    ("もみじ町", "総務委員会", ["防災倉庫の備蓄について伺います。"]),
    ("かえで県議会", "本会議", ["防災対策の予算について質問します。", "防災に重点を置いた予算です。"]),
]


def meetings() -> list[Meeting]:
    out = []
    for number, (body, committee, texts) in enumerate(MEETINGS):
        mid = f"b{number:02d}"
        out.append(
            Meeting(
                id=mid,
                url=f"https://example.jp/{mid}.html",
                title=f"第{number + 1}回{committee}",
                committee=committee,
                date=date(2020 + number, 5, 1),
                body=body,
                utterances=[
                    Utterance(meeting_id=mid, seq=i + 1, role="委員", speaker=None, text=t) for i, t in enumerate(texts)
                ],
            )
        )
    return out


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("bodies")
    build_index(meetings(), data / "index")
    return data


@pytest.fixture(scope="module")
def engine(data_dir):
    ix = SearchIndex(data_dir / "index")
    yield ix
    ix.close()


@pytest.fixture()
def client(data_dir):
    from search_web import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(data_dir)}).test_client()


def expected_counts(word: str) -> dict[str, int]:
    """Count, per body, the utterances holding the word and the meeting headers (title, committee) that do."""
    counts: dict[str, int] = {}
    for body, committee, texts in MEETINGS:
        counts[body] = counts.get(body, 0) + sum(word in t for t in texts) + (word in committee)
    return {b: n for b, n in counts.items() if n}


def test_body_facet_counts_sum_to_the_total_and_the_filter_keeps_one_body(engine):
    result = engine.search(SearchRequest(q="防災"))
    assert result.facets["body"] == expected_counts("防災")
    assert sum(result.facets["body"].values()) == result.total == 7  # 6 utterances and the 防災委員会 header
    one = engine.search(SearchRequest(q="防災", bodies=["もみじ町"], limit=50))
    assert one.total == 2 and {h.body for h in one.hits} == {"もみじ町"}
    assert one.facets["body"] == {"もみじ町": 2}
    two = engine.search(SearchRequest(q="防災", bodies=["もみじ町", "さくら市"]))
    assert two.total == 5
    assert engine.search(SearchRequest(q="防災 body:かえで県議会")).total == 2
    assert engine.search(SearchRequest(q="防災 自治体:さくら市")).total == 3


def test_the_cli_filters_and_reports_bodies(data_dir, tmp_path):
    runner = CliRunner()
    out = runner.invoke(
        main, ["search", "防災", "--body", "もみじ町", "--json", "--limit", "50", "--data-dir", str(data_dir)]
    )
    payload = json.loads(out.output)
    assert payload["total"] == 2 and {h["body"] for h in payload["hits"]} == {"もみじ町"}
    assert payload["facets"]["body"] == {"もみじ町": 2}
    text = runner.invoke(main, ["search", "防災無線", "--data-dir", str(data_dir)]).output
    assert "もみじ町 総務委員会" in text


def test_ingest_files_its_pages_under_the_body_given(tmp_path):
    page = (
        '<html><head><title>第1回さくら市防災会議</title><link rel="canonical" href="https://example.jp/p.html">'
        "</head><body><h1>第1回さくら市防災会議</h1><p>日時：令和6年4月1日</p><h2>議事の経過</h2>"
        "<p>会長　防災計画について説明をお願いします。</p><p>事務局　説明します。</p></body></html>"
    )
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    data = tmp_path / "data"
    runner = CliRunner()
    ingested = runner.invoke(main, ["ingest", str(tmp_path / "p.html"), "--body", "さくら市", "--data-dir", str(data)])
    assert ingested.exit_code == 0, ingested.output
    assert runner.invoke(main, ["index", "--data-dir", str(data)]).exit_code == 0
    payload = json.loads(runner.invoke(main, ["search", "防災計画", "--json", "--data-dir", str(data)]).output)
    assert payload["facets"]["body"] == {"さくら市": 1} and payload["hits"][0]["body"] == "さくら市"


def test_ndl_records_belong_to_the_diet():
    record = {
        "issueID": "1",
        "speechOrder": 1,
        "speech": "○議長（山田太郎君）　開会します。",
        "date": "2024-01-26",
        "nameOfHouse": "衆議院",
        "nameOfMeeting": "本会議",
        "session": 213,
        "issue": "第1号",
    }
    assert meetings_from_speeches([record])[0].body == "国会"


def test_the_web_shows_the_facet_the_bodies_page_and_the_trend_split_by_body(client):
    page = client.get("/?q=防災").get_data(as_text=True)
    assert "自治体・議会" in page and "body=%E3%82%82%E3%81%BF%E3%81%98%E7%94%BA" in page  # もみじ町's toggle
    filtered = client.get("/?q=防災&body=もみじ町").get_data(as_text=True)
    assert "2 件" in filtered and "かえで県議会</span>" not in filtered
    bodies = client.get("/bodies").get_data(as_text=True)
    for name, count in (("さくら市", 2), ("もみじ町", 2), ("かえで県議会", 1)):
        assert f'>{name}</a> <span class="count">{count} 会議</span>' in bodies
    split = client.get("/?q=防災&split=body").get_data(as_text=True)
    assert "もみじ町 1" in split and "かえで県議会 2" in split  # the chart's table: per year, per body


def test_the_api_exports_and_feed_carry_the_body(client):
    api = client.get("/api/v1/search?any=防災&body=かえで県議会").get_json()
    assert api["numberOfRecords"] == 2 and {r["body"] for r in api["records"]} == {"かえで県議会"}
    facets = client.get("/api/v1/facets?any=防災").get_json()["facets"]
    assert facets["body"] == expected_counts("防災")
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?q=防災&body=さくら市").get_data(as_text=True))))
    assert len(rows) == 3 and {r["body"] for r in rows} == {"さくら市"}  # two speeches and a header
    exported = client.get("/export.json?q=防災無線").get_json()
    records = exported["records"] if isinstance(exported, dict) else exported
    assert records[0]["body"] == "もみじ町"
    feed = client.get("/feed?q=防災無線").get_data(as_text=True)
    assert "もみじ町 総務委員会" in feed


def test_a_profiles_body_files_its_pages_and_renaming_it_reparses_them(tmp_path):
    from indexer.pipeline import RunSummary, parse_stored
    from indexer.store.raw_store import RawStore
    from indexer.store.record_store import RecordStore

    page = (
        '<html><head><title>第1回もみじ町防災会議</title><link rel="canonical" href="https://example.jp/m.html">'
        "</head><body><h1>第1回もみじ町防災会議</h1><p>日時：令和6年4月1日</p><h2>議事の経過</h2>"
        "<p>会長　始めます。</p><p>委員　質問です。</p></body></html>"
    ).encode()
    raw, records = RawStore(tmp_path / "raw"), RecordStore(tmp_path / "records")
    raw.put("https://example.jp/m.html", page, site="momiji", kind="minutes")
    summary = RunSummary()
    parse_stored(raw, records, summary, "momiji", body="もみじ町")
    assert summary.parsed == 1 and [m.body for m in records] == ["もみじ町"]
    parse_stored(raw, records, summary, "momiji", body="もみじ町")
    assert summary.parsed == 1  # unchanged: not parsed again
    parse_stored(raw, records, summary, "momiji", body="もみじ町議会")
    assert summary.parsed == 2 and [m.body for m in records] == ["もみじ町議会"]
