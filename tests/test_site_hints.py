"""A site profile corrects what inference reads wrongly ([site.parse]), and `minutes check` shows the effect."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.crawl.profiles import ConfigError, load_profiles
from indexer.parse.hints import HintError, ParseHints
from indexer.parse.page import parse_minutes, parser_version
from indexer.store.raw_store import RawStore

# A site that marks speakers with ▽…▽, a convention no rule here knows, and keeps a sidebar of news.
PAGE = """<html><body><div id="news"><p>委員長 お知らせです。</p></div>
<div id="record"><h1>さくら市景観審議会</h1><p>日時：令和5年6月2日</p><h2>会議録</h2>
<p>▽会長▽ 始めます。</p><p>▽まちづくり推進員▽ 説明します。</p><p>▽会長▽ 以上です。</p></div></body></html>"""

PROFILE = """
[[site]]
name = "sakura"
start_urls = ["http://127.0.0.1:9/list.html"]
allowed_hosts = ["127.0.0.1"]
listing_patterns = ['list\\.html$']
minutes_patterns = ['/p\\d+\\.html$']
delay_seconds = 0
max_pages = 10
user_agent = "minutes-test"

[site.parse]
content_selector = "#record"
label_regex = '^▽(?P<role>[^▽]{1,20})▽\\s*'
"""


def test_hints_select_the_content_and_read_the_sites_own_labels():
    hints = ParseHints(content_selector="#record", label_regex=r"^▽(?P<role>[^▽]{1,20})▽\s*")
    meeting = parse_minutes(PAGE, "https://www.city.sakura.example.jp/p1.html", hints=hints)
    assert [(u.role, u.text) for u in meeting.utterances if u.role] == [
        ("会長", "始めます。"),
        ("まちづくり推進員", "説明します。"),
        ("会長", "以上です。"),
    ]
    without = parse_minutes(PAGE, "https://www.city.sakura.example.jp/p1.html")
    assert ("会長", "始めます。") not in [(u.role, u.text) for u in without.utterances]


def test_role_words_and_a_date_from_the_title():
    page = """<html><body><h1>令和4年3月1日 さくら市懇話会</h1><h2>会議録</h2><p>日時：令和5年6月2日</p>
    <p>進行役：始めます。</p><p>委員：意見です。</p></body></html>"""
    hints = ParseHints(role_words=("進行役",), date_from="title")
    meeting = parse_minutes(page, "https://x.example.jp/a.html", hints=hints)
    assert [u.role for u in meeting.utterances if u.role] == ["進行役", "委員"]
    assert meeting.date is not None and meeting.date.isoformat() == "2022-03-01"


@pytest.mark.parametrize(
    "table, message",
    [
        ({"label_regex": "^(?P<who>x)"}, "named group (?P<role>"),
        ({"label_regex": "^(unclosed"}, "label_regex"),
        ({"date_from": "footer"}, "date_from"),
        ({"content": "#x"}, "unknown keys"),
    ],
)
def test_bad_hints_are_refused_with_a_reason(table, message):
    with pytest.raises(HintError) as error:
        ParseHints.from_table(table)
    assert message in str(error.value)


def test_a_profile_reads_its_parse_table_and_new_hints_reparse_its_pages(tmp_path):
    config = tmp_path / "minutes.toml"
    config.write_text(PROFILE, encoding="utf-8")
    profile = load_profiles(config)[0]
    assert profile.hints.content_selector == "#record"
    assert parser_version(profile.hints) != parser_version()  # a page parsed without them is parsed again
    config.write_text(PROFILE.replace('content_selector = "#record"', 'selector = "#record"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[site.parse\] unknown keys"):
        load_profiles(config)


def test_minutes_check_reparses_a_sites_stored_pages_with_its_profile(tmp_path):
    config = tmp_path / "minutes.toml"
    config.write_text(PROFILE, encoding="utf-8")
    data = tmp_path / "data"
    raw = RawStore(data / "raw")
    raw.put("https://www.city.sakura.example.jp/p1.html", PAGE.encode("utf-8"), site="sakura")
    raw.put("https://www.city.sakura.example.jp/p2.html", b"<html><body>no minutes</body></html>", site="sakura")
    raw.put("https://elsewhere.example.jp/p3.html", PAGE.encode("utf-8"), site="other")
    raw.close()
    result = CliRunner().invoke(main, ["check", "--site", "sakura", "--config", str(config), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("ok") and "3/3" in line and "p1.html" in line for line in lines), result.output
    assert any(line.startswith("error") and "p2.html" in line and "matches nothing" in line for line in lines)
    assert "p3.html" not in result.output
    assert lines[-1] == "1 ok, 1 error of 2 pages"
    assert not (data / "records").exists()  # checking writes nothing


def test_an_older_manifest_gains_the_link_text_column(tmp_path):
    import sqlite3

    folder = tmp_path / "raw"
    folder.mkdir()
    old = sqlite3.connect(folder / "manifest.sqlite")
    old.execute(
        "CREATE TABLE pages (url TEXT PRIMARY KEY, final_url TEXT, fetched_at TEXT NOT NULL, status INTEGER, "
        "etag TEXT, last_modified TEXT, content_type TEXT, headers TEXT, sha256 TEXT, "
        "parse_status TEXT NOT NULL DEFAULT 'pending', parse_error TEXT, meeting_id TEXT, site TEXT, kind TEXT, "
        "parser_version TEXT)"
    )
    old.execute("INSERT INTO pages (url, fetched_at) VALUES ('https://x.example.jp/old.html', '2024-01-01')")
    old.commit()
    old.close()
    raw = RawStore(folder)
    page = raw.get("https://x.example.jp/old.html")
    assert page is not None and page.link_text is None
    stored, _ = raw.put("https://x.example.jp/new.html", b"<html></html>", link_text="令和5年6月2日 会議録")
    assert stored.link_text == "令和5年6月2日 会議録"
    again, _ = raw.put("https://x.example.jp/new.html", b"<html></html>")  # a refetch without a link keeps it
    assert again.link_text == "令和5年6月2日 会議録"
    raw.close()


def test_a_crawled_page_dated_only_by_its_listing_link(tmp_path):
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from indexer.crawl.profiles import SiteProfile
    from indexer.pipeline import crawl
    from indexer.settings import Settings
    from indexer.store.record_store import RecordStore

    site = tmp_path / "site"
    site.mkdir()
    (site / "list.html").write_text(
        '<html><body><a href="p1.html">令和5年6月2日 第3回さくら市懇話会</a></body></html>', encoding="utf-8"
    )
    undated = "<h1>第3回さくら市懇話会</h1><h2>会議録</h2><p>座長</p><p>始めます。</p><p>委員</p><p>意見です。</p>"
    (site / "p1.html").write_text(f"<html><body>{undated}</body></html>", encoding="utf-8")
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        dated = {}
        for date_from in ("page", "link"):
            settings = Settings(tmp_path / f"data-{date_from}")
            profile = SiteProfile(
                name="sakura",
                start_urls=[f"{base}/list.html"],
                allowed_hosts=["127.0.0.1"],
                listing_patterns=[r"/list\.html$"],
                minutes_patterns=[r"/p\d+\.html$"],
                delay_seconds=0,
                parse={"date_from": date_from},
            )
            summary = crawl(settings, [profile])
            assert not summary.failed, summary.failed
            (meeting,) = list(RecordStore(settings.records_dir))
            dated[date_from] = meeting.date.isoformat() if meeting.date else None
        assert dated == {"page": None, "link": "2023-06-02"}
    finally:
        server.shutdown()
