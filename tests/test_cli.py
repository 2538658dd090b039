"""The `minutes` command, run through click's test runner against temp data directories."""

import json
import shutil

import pytest
from click.testing import CliRunner

from search_web.cli import main
from tests.conftest import SAMPLE_DIR

PARSE_KEYS = {
    "url",
    "title",
    "committee",
    "meeting_name",
    "date",
    "start_time",
    "end_time",
    "place",
    "department",
    "agenda",
    "utterances",
}


@pytest.fixture()
def runner():
    return CliRunner()


def test_every_command_has_help_with_an_example(runner):
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and "Example:" in command.help, name


def test_parse_json_has_exactly_the_contract_keys(runner):
    result = runner.invoke(main, ["parse", str(SAMPLE_DIR / "p001.html"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == PARSE_KEYS | {"quality"}  # issue 14 added quality and kept every other key
    assert set(data["quality"]) == {"status", "confidence", "label_pattern", "warnings"}
    assert data["quality"]["status"] == "ok" and 0 <= data["quality"]["confidence"] <= 1
    assert data["url"].startswith("https://www.city.midori.example.jp/")  # from the canonical link
    assert len(data["date"]) == 10 and data["date"][4] == "-"
    assert isinstance(data["agenda"], list)
    assert all(set(u) == {"seq", "role", "speaker", "text"} for u in data["utterances"])
    assert [u["seq"] for u in data["utterances"]] == list(range(1, len(data["utterances"]) + 1))


def test_parse_reports_a_non_minutes_page_clearly(runner, tmp_path):
    page = tmp_path / "news.html"
    page.write_text("<html><body><h1>お知らせ</h1><p>図書館は休館します。</p></body></html>", encoding="utf-8")
    result = runner.invoke(main, ["parse", str(page), "--json"])
    assert result.exit_code == 1
    assert "news.html" in result.output and "no record section" in result.output


def test_ingest_keeps_one_meeting_per_canonical_url_and_reports_failures(runner, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(SAMPLE_DIR / "p001.html", pages / "a.html")
    shutil.copy(SAMPLE_DIR / "p001.html", pages / "copy-of-a.html")
    shutil.copy(SAMPLE_DIR / "p002.html", pages / "b.html")
    (pages / "broken.html").write_text("<html><body>壊れたページ", encoding="utf-8")
    data = tmp_path / "data"
    result = runner.invoke(main, ["--data-dir", str(data), "ingest", str(pages)])
    assert result.exit_code == 1
    assert "parsed 3 pages into 2 meetings" in result.output
    assert "broken.html" in result.output
    assert len(list((data / "records").glob("*.json"))) == 2
    # The broken page is kept in the raw store with its failure recorded.
    from indexer.store.raw_store import RawStore

    store = RawStore(data / "raw")
    failed = store.pages("not_minutes")
    assert [p.url.rsplit("/", 1)[-1] for p in failed] == ["broken.html"]
    assert store.body(failed[0]).startswith(b"<html>")
    store.close()


def test_index_then_search_json(runner, tmp_path):
    data = str(tmp_path / "data")
    assert runner.invoke(main, ["--data-dir", data, "ingest", str(SAMPLE_DIR)]).exit_code == 0
    indexed = runner.invoke(main, ["--data-dir", data, "index"])
    assert indexed.exit_code == 0 and "chars/s" in indexed.output
    result = runner.invoke(main, ["--data-dir", data, "search", "データセンター", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"total", "hits", "facets"}
    assert set(payload["facets"]) == {"body", "role", "committee", "year"}
    assert len(payload["hits"]) == 3 and payload["total"] > 3
    assert set(payload["hits"][0]) == {
        "meeting_id",
        "seq",
        "role",
        "speaker",
        "body",
        "committee",
        "date",
        "title",
        "url",
        "snippet",
    }
    assert sum(payload["facets"]["committee"].values()) == payload["total"]
    assert all("データセンター" in h["snippet"] for h in payload["hits"])


def test_search_filters_and_env_data_dir(runner, sample_settings):
    env = {"MINUTES_DATA_DIR": str(sample_settings.data_dir)}
    result = runner.invoke(main, ["search", "", "--role", "部長", "--from", "2020-01-01", "--json"], env=env)
    payload = json.loads(result.output)
    assert payload["total"] > 0
    assert all(h["role"] == "部長" and h["date"] >= "2020-01-01" for h in payload["hits"])


def test_search_errors_are_messages_not_tracebacks(runner, sample_settings, tmp_path):
    bad = runner.invoke(main, ["--data-dir", str(sample_settings.data_dir), "search", '"未完'])
    assert bad.exit_code == 1 and "引用符" in bad.output and "Traceback" not in bad.output
    empty = runner.invoke(main, ["--data-dir", str(tmp_path), "search", "防災"])
    assert empty.exit_code == 1 and "minutes index" in empty.output
    date = runner.invoke(main, ["--data-dir", str(tmp_path), "search", "防災", "--from", "2020/1/1"])
    assert date.exit_code == 2 and "YYYY-MM-DD" in date.output


def test_analyze_prints_terms_positions_and_offsets(runner):
    result = runner.invoke(main, ["analyze", "データセンターの整備"])
    lines = [line.split("\t") for line in result.output.strip().split("\n")]
    assert [(t, p, span) for t, p, span, _pos in lines] == [
        ("データ", "0", "0-3"),
        ("センタ", "1", "3-7"),
        ("整備", "3", "8-10"),
    ]


def test_ingest_keeps_a_doubtful_page_and_says_so(runner, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(SAMPLE_DIR / "p001.html", pages / "good.html")
    undated = "<h1>さくら市図書館協議会</h1><h2>会議録</h2><p>委員長</p><p>始めます。</p><p>委員</p><p>意見です。</p>"
    (pages / "undated.html").write_text(f"<html><body>{undated}</body></html>", encoding="utf-8")
    data = tmp_path / "data"
    result = runner.invoke(main, ["--data-dir", str(data), "ingest", str(pages)])
    assert result.exit_code == 0, result.output
    assert "parsed 2 pages into 2 meetings (2 new or changed), 0 failed, 1 suspect" in result.output
    assert "suspect: " in result.output and "undated.html" in result.output and "no meeting date" in result.output
    from indexer.store.raw_store import RawStore
    from indexer.store.record_store import RecordStore

    store = RawStore(data / "raw")
    assert [p.url.rsplit("/", 1)[-1] for p in store.pages("suspect")] == ["undated.html"]
    store.close()
    kept = {m.title: m for m in RecordStore(data / "records")}
    assert kept["さくら市図書館協議会"].date is None
    assert kept["さくら市図書館協議会"].quality.status == "suspect"


def test_parse_explain_says_how_the_page_was_read(runner, tmp_path):
    record = (
        "<h2>会議録</h2><p>日時：令和5年6月2日</p><p>座長：始めます。</p><p>【説明】</p><p>構成員：意見です。</p>"
        "<p>座長：以上です。</p>"
    )
    page = tmp_path / "p.html"
    page.write_text(f"<html><body><h1>さくら市懇話会</h1>{record}</body></html>", encoding="utf-8")
    result = runner.invoke(main, ["parse", str(page), "--explain"])
    assert result.exit_code == 0, result.output
    assert "colon: 3 labels, 2 distinct, 2 of a known role, alternation 1.00" in result.output
    assert "(confirmed)" in result.output and "bracket: 1 labels, 1 distinct, 0 of a known role" in result.output
    assert "segmented by: colon" in result.output
    assert "runner-up: bracket (3 labels against 1; 2 of a known role against 0" in result.output
    assert "quality: ok" in result.output and "[構成員] 意見です。" in result.output
