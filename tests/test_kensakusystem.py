"""The kensakusystem.jp adapter (kind = "kensakusystem") against a fake of the system on 127.0.0.1."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from click.testing import CliRunner

from indexer.crawl.kensakusystem import store_key, tree_url
from indexer.crawl.profiles import SiteProfile, load_profiles
from indexer.parse.kensakusystem import (
    Sitting,
    date_of_file,
    is_year_node,
    meeting_from_print_all,
    session_code,
    sittings_from_tree,
    tree_nodes,
    vendor_error,
    year_of,
)
from indexer.pipeline import crawl, reindex
from indexer.search.engine import SearchIndex, SearchRequest
from indexer.settings import Settings
from indexer.store.raw_store import RawStore
from indexer.store.record_store import RecordStore
from search_web.cli import main
from tests.kensakusystem_server import CGI, FORBID_ALL, FORBID_CGI, TENANT, FakeKensakuSystem

PERMISSION = "桜ヶ丘市議会事務局 議事課長, 2025-05-01 (letter)"
CGI_PATH = f"/{TENANT}/{CGI}/"


def profile_for(fake: FakeKensakuSystem, **overrides) -> SiteProfile:
    options = dict(
        name="sakura",
        kind="kensakusystem",
        base_url=fake.base,
        tenant=TENANT,
        body="桜ヶ丘市議会",
        years=[2024, 2025],
        delay_seconds=0,
        timeout_seconds=5,
        retries=1,
        backoff_seconds=0.01,
    )
    options.update(overrides)
    return SiteProfile(**options)


@pytest.fixture()
def fake():
    with FakeKensakuSystem() as running:
        yield running


def search_total(settings: Settings, q: str) -> int:
    engine = SearchIndex(settings.index_dir)
    try:
        return engine.search(SearchRequest(q=q)).total
    finally:
        engine.close()


def tree(node: str | None = None) -> tuple[str, dict[str, str]]:
    return (CGI_PATH + "See.exe", {} if node is None else {"treedepth": node})


def text(file_name: str) -> tuple[str, dict[str, str]]:
    fields = {"fileName": file_name, "startPos": "0", "keyMode": "10", "searchMode": "1", "FUNC": "PRINT_ALL"}
    return (CGI_PATH + "GetText3.exe", fields)


LISTINGS = [("/robots.txt", {}), (f"/{TENANT}/index.html", {}), tree()]
# Depth first in the tree's order: newest year first; 令和 5年 (2023) is outside `years`.
FULL_CRAWL = [
    *LISTINGS,
    tree("令和 7年"),
    tree("令和 7年 第2回定例会 "),
    text("R070610A"),
    text("R070617A"),
    tree("令和 7年 総務常任委員会 "),
    text("R070620B01"),
    tree("令和 6年"),
    tree("令和 6年 第4回定例会 "),
    text("R061203A"),
]
# The tree again (the landing page answers 304), and no full text.
RECRAWL = [entry for entry in FULL_CRAWL if entry[0] != CGI_PATH + "GetText3.exe"]


def test_a_full_crawl_makes_exactly_the_expected_requests_and_keeps_every_answer(fake, tmp_path):
    settings = Settings(tmp_path)
    summary = reindex(settings, [profile_for(fake)])  # no permission: the host has no robots.txt
    assert fake.calls() == FULL_CRAWL  # 12 requests, every one a GET
    assert {method for method, *_ in fake.requests} == {"GET"}
    assert not summary.failed and not summary.suspect
    assert summary.fetched == 11 and summary.new == 4 and summary.parsed == 4
    raw = RawStore(settings.raw_dir)
    kinds = sorted(p.kind for p in raw.pages())
    assert kinds == ["kensakusystem"] * 4 + ["listing"] * 7  # every answer kept, with its manifest row
    assert not any("Code=" in p.url for p in raw.pages())  # keyed without the session code
    key = store_key(tree_url(fake.base + CGI_PATH, fake.code, "令和 7年 第2回定例会 "))
    assert key == fake.base + CGI_PATH + "See.exe?treedepth=%97%DF%98a%207%94N%20%91%E62%89%F1%92%E8%97%E1%89%EF%20"
    stored = raw.get(
        fake.base + CGI_PATH + "GetText3.exe?fileName=R070617A&startPos=0&keyMode=10&searchMode=1&FUNC=PRINT_ALL"
    )
    assert stored.parse_status == "ok" and stored.link_text == "令和 7年 第2回定例会 (第2日 6月17日)"
    assert "防災センター".encode("cp932") in raw.body(stored)  # kept as served: Shift_JIS
    raw.close()
    meetings = {m.url: m for m in RecordStore(settings.records_dir)}
    assert len(meetings) == 4 and summary.meetings_changed == 4
    assert {m.body for m in meetings.values()} == {"桜ヶ丘市議会"}  # the profile's body, on every meeting
    june = meetings[f"{fake.base}{CGI_PATH}ResultFrame.exe?fileName=R070617A&startPos=0"]
    assert june.date == date(2025, 6, 17) and june.committee == "本会議" and june.meeting_name == "第2回定例会"
    assert june.title == "令和 7年 第2回定例会 (第2日 6月17日)"
    turns = [(u.role, u.speaker) for u in june.utterances if u.role]
    assert turns == [("議長", "山田太郎"), ("議員", "川上花子"), ("市長", "大川正"), ("議長", "山田太郎")]
    question = next(u for u in june.utterances if u.role == "議員")
    assert question.text.startswith("防災センターの整備計画") and "資料<別紙>" in question.text
    assert not any("出席議員" in u.text or "森田一郎" in u.text for u in june.utterances)  # attendance: no turn
    first = meetings[f"{fake.base}{CGI_PATH}ResultFrame.exe?fileName=R070610A&startPos=0"]
    asked = next(u for u in first.utterances if u.role == "議員")
    assert asked.text.endswith("地元の雇用も伺います。")  # a speech over two lines is one turn
    committee = next(m for m in meetings.values() if "委員会" in m.title)
    assert committee.committee == "総務常任委員会" and committee.date == date(2025, 6, 20)
    assert [(u.role, u.speaker) for u in committee.utterances] == [("委員長", "森田"), ("委員", "川上"), ("課長", None)]
    assert search_total(settings, "データセンター") > 0


def test_an_unchanged_recrawl_fetches_nothing_new(fake, tmp_path):
    settings = Settings(tmp_path)
    first = reindex(settings, [profile_for(fake)])
    mtimes = {p: p.stat().st_mtime_ns for p in settings.records_dir.glob("*.json")}
    fake.requests.clear()
    second = reindex(settings, [profile_for(fake)])
    assert fake.calls() == RECRAWL and "GetText3.exe" not in "".join(fake.cgi_requests())  # 8 requests
    assert [status for _, path, _, status in fake.requests if path.endswith("index.html")] == [304]
    assert second.new == 0 and second.changed == 0 and second.parsed == 0 and not second.failed
    assert second.meetings_changed == 0 and second.generation == first.generation
    assert {p: p.stat().st_mtime_ns for p in settings.records_dir.glob("*.json")} == mtimes


def test_a_new_session_code_changes_no_key_and_fetches_nothing_new(fake, tmp_path):
    settings = Settings(tmp_path)
    first = reindex(settings, [profile_for(fake)])
    ids = {m.id for m in RecordStore(settings.records_dir)}
    fake.code = "z9y8x7w6v5u4t3s2r1"  # the system rotated its session code
    fake.requests.clear()
    second = reindex(settings, [profile_for(fake)])
    assert fake.calls() == RECRAWL and {fields["Code"] for _, path, fields, _ in fake.requests if ".exe" in path} == {
        "z9y8x7w6v5u4t3s2r1"
    }
    assert second.fetched == 7 and second.new == 0 and second.parsed == 0 and not second.failed
    assert second.generation == first.generation and {m.id for m in RecordStore(settings.records_dir)} == ids


def test_a_sitting_whose_tree_entry_changed_is_fetched_parsed_and_reindexed_alone(fake, tmp_path):
    settings = Settings(tmp_path)
    first = reindex(settings, [profile_for(fake)])
    _meeting, sitting = fake.tree.sitting("R070617A")
    sitting.lines[15] = "○１番議員（川上花子）\u3000臨時の水道料金協議について伺います。"
    sitting.day = "（第2号 6月17日）"  # the record was issued again: its entry in the tree changed
    fake.requests.clear()
    again = reindex(settings, [profile_for(fake)])
    assert fake.calls() == [*RECRAWL[:5], text("R070617A"), *RECRAWL[5:]]
    assert again.changed == 1 and again.new == 0 and again.parsed == 1 and again.meetings_changed == 1
    june = next(m for m in RecordStore(settings.records_dir) if m.url.endswith("fileName=R070617A&startPos=0"))
    assert june.title == "令和 7年 第2回定例会 (第2号 6月17日)"
    assert again.utterances_indexed == len(june.utterances) and again.generation != first.generation
    assert search_total(settings, "水道料金") == 1


def test_a_silent_correction_is_caught_by_the_recheck_and_only_that_meeting_is_reindexed(fake, tmp_path):
    settings = Settings(tmp_path)
    reindex(settings, [profile_for(fake)])
    _meeting, sitting = fake.tree.sitting("R061203A")
    sitting.lines[16] = "○市長（大川正）\u3000路線図は広報紙の特集号でお示しします。"
    fake.requests.clear()
    unnoticed = reindex(settings, [profile_for(fake)])  # the tree says nothing: not fetched yet
    assert fake.calls() == RECRAWL and unnoticed.changed == 0
    fake.requests.clear()
    rechecked = reindex(settings, [profile_for(fake, recheck_days=0)])  # every stored sitting is due
    assert sum(1 for path in fake.cgi_requests() if path.endswith("GetText3.exe")) == 4
    assert rechecked.changed == 1 and rechecked.parsed == 1
    assert rechecked.meetings_changed == 1 and search_total(settings, "特集号") == 1


def test_renaming_the_body_reparses_without_fetching(fake, tmp_path):
    settings = Settings(tmp_path)
    reindex(settings, [profile_for(fake)])
    fake.requests.clear()
    renamed = reindex(settings, [profile_for(fake, body="桜ヶ丘市")])
    assert fake.calls() == RECRAWL and renamed.parsed == 4 and renamed.meetings_changed == 4
    assert {m.body for m in RecordStore(settings.records_dir)} == {"桜ヶ丘市"}


def test_robots_forbidding_everything_stops_the_crawl_saying_what_to_do(tmp_path):
    with FakeKensakuSystem(robots=FORBID_ALL) as fake:
        summary = crawl(Settings(tmp_path), [profile_for(fake)])
        assert fake.calls() == [("/robots.txt", {})]  # nothing else: not the landing page, not the CGI
    assert summary.robots_blocked == [f"{fake.base}/{TENANT}/index.html"]
    [(_, message)] = summary.failed
    assert "robots.txt" in message and f"disallows /{TENANT}/index.html" in message
    assert "Ask the operator" in message and 'permission = "who granted it, when"' in message
    assert len(RecordStore(Settings(tmp_path).records_dir)) == 0


def test_robots_forbidding_the_cgi_stops_before_any_data_path(tmp_path):
    with FakeKensakuSystem(robots=FORBID_CGI) as fake:
        summary = crawl(Settings(tmp_path), [profile_for(fake)])
        assert fake.calls() == LISTINGS[:2] and fake.cgi_requests() == []  # the landing page only
    assert summary.robots_blocked == [fake.base + CGI_PATH + "See.exe"]
    [(_, message)] = summary.failed
    assert f"disallows {CGI_PATH}See.exe, where kensakusystem.jp serves the minutes" in message
    assert 'permission = "who granted it, when"' in message


def test_with_permission_every_run_proceeds_and_logs_who_granted_it(tmp_path, caplog):
    settings = Settings(tmp_path)
    with FakeKensakuSystem(robots=FORBID_CGI) as fake:
        for run in range(2):
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="indexer.crawl.kensakusystem"):
                summary = crawl(settings, [profile_for(fake, permission=PERMISSION)])
            assert not summary.failed and summary.new == (4 if run == 0 else 0)
            [record] = [r for r in caplog.records if PERMISSION in r.getMessage()]
            assert "robots.txt disallows it" in record.getMessage() and "sakura" in record.getMessage()


def test_429_with_retry_after_is_honoured(fake, tmp_path):
    slept: list[float] = []
    fake.throttle.add(CGI_PATH + "GetText3.exe")
    summary = crawl(Settings(tmp_path), [profile_for(fake)], fetcher_options={"sleep": slept.append})
    statuses = [status for _, path, _, status in fake.requests if path.endswith("GetText3.exe")]
    assert statuses == [429, 200, 200, 200, 200]  # the first sitting, asked again after the wait
    assert 1.0 in slept and summary.new == 4 and not summary.failed


def test_a_document_the_system_cannot_read_fails_and_is_not_stored(fake, tmp_path):
    settings = Settings(tmp_path)
    fake.missing.add("R061203A")  # listed, but the system has lost its file
    summary = crawl(settings, [profile_for(fake)])
    [(key, message)] = summary.failed
    assert key.endswith("fileName=R061203A&startPos=0&keyMode=10&searchMode=1&FUNC=PRINT_ALL")
    assert "ERROR:ファイルの読込みに失敗しました。" in message
    assert summary.new == 3 and RawStore(settings.raw_dir).get(key) is None


def test_minutes_crawl_and_reindex_through_the_command(fake, tmp_path):
    config = tmp_path / "minutes.toml"
    config.write_text(
        f"""[[site]]
name = "sakura"
kind = "kensakusystem"
base_url = "{fake.base}"
tenant = "{TENANT}"
body = "桜ヶ丘市議会"
years = [2025]
delay_seconds = 0
""",
        encoding="utf-8",
    )
    data = str(tmp_path / "data")
    runner = CliRunner()
    crawled = runner.invoke(main, ["--data-dir", data, "crawl", "--config", str(config), "--site", "sakura"])
    assert crawled.exit_code == 0, crawled.output
    assert "new 3" in crawled.output and "parsed 3" in crawled.output
    reindexed = runner.invoke(main, ["--data-dir", data, "reindex", "--config", str(config), "--site", "sakura"])
    assert reindexed.exit_code == 0, reindexed.output
    assert "new 0" in reindexed.output and "meetings re-indexed 3" in reindexed.output
    assert search_total(Settings(tmp_path / "data"), "防災センター") > 0
    fake.robots = FORBID_CGI
    refused = runner.invoke(main, ["--data-dir", data, "crawl", "--config", str(config)])
    assert refused.exit_code == 1 and f"disallows {CGI_PATH}See.exe" in refused.output


def test_a_profile_names_the_system_by_its_origin(tmp_path):
    config = tmp_path / "m.toml"
    config.write_text('[[site]]\nname = "x"\nkind = "kensakusystem"\ntenant = "fuchu-c"\nyears = [2025]\n')
    [profile] = load_profiles(config)
    assert profile.base_url == "https://www.kensakusystem.jp" and profile.allowed_hosts == ["www.kensakusystem.jp"]


LANDING = '<a href="cgi-bin2/Search2.exe?Code=abc123">検索</a> <A HREF="cgi-bin2/See.exe?Code=abc123">閲覧</A>'
NEWER_TREE = """<A class="js-tree-submit" data-depth="令和元年">令和元年</A>
<A class="js-tree-submit" data-depth="令和元年 第3回定例会 ">第3回定例会</A>
<A HREF="ResultFrame.exe?Code=x&amp;fileName=R010910A&amp;startPos=0"><IMG SRC="r2.gif">（第1号 9月10日）</A>
<A HREF="ResultFrame.exe?Code=x&amp;fileName=R01091004KETS.html&amp;startPos=0">決議案</A>
<A HREF="ResultFrame.exe?Code=x&amp;fileName=R010901MOKU&amp;startPos=0">目次</A>"""


def test_the_parser_reads_the_landing_page_both_tree_markups_and_file_names():
    assert session_code(LANDING) == ("cgi-bin2", "abc123")  # the viewer's link is preferred
    assert tree_nodes(NEWER_TREE) == ["令和元年", "令和元年 第3回定例会 "]
    assert [is_year_node(n) for n in tree_nodes(NEWER_TREE)] == [True, False]
    assert year_of("令和元年") == 2019 and year_of("平成30年") == 2018 and year_of("第3回") is None
    sittings, others = sittings_from_tree(NEWER_TREE, "令和元年 第3回定例会 ")
    assert sittings == [Sitting("R010910A", "(第1号 9月10日)", "令和元年 第3回定例会 ")]
    assert others == ["R01091004KETS.html", "R010901MOKU"]  # documents beside the minutes: not sittings
    assert date_of_file("R080318B01") == date(2026, 3, 18) and date_of_file("H310429A") == date(2019, 4, 29)
    assert date_of_file("R071345A") is None
    assert vendor_error("<html><head><title></title></head><body>ERROR:ファイルの読込みに失敗しました。<BR>X</body>")


def test_a_print_all_page_reads_like_an_html_minutes_page():
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
        '<title>令和 7年第1回定例会（ 3月 4日） </title></head><body><FONT class="TEXT2">'
        "　　　令和７年第１回桜ヶ丘市議会臨時会会議録<BR>１　出席議員<BR>　　１番　　川上花子<BR>"
        "○議長（山田太郎）　開会します。<BR>○２番議員（森田一郎）　質疑します。<BR>　続けます。<BR>"
        "</FONT></body></html>"
    ).encode("cp932")
    sitting = Sitting("R070304A", "( 3月 4日)", "令和 7年 第1回臨時会 ")
    meeting = meeting_from_print_all(
        page, url="https://www.kensakusystem.jp/x/cgi-bin3/ResultFrame.exe", sitting=sitting
    )
    assert meeting.date == date(2025, 3, 4) and meeting.committee == "本会議" and meeting.meeting_name == "第1回臨時会"
    assert [(u.role, u.speaker, u.text) for u in meeting.utterances] == [
        ("議長", "山田太郎", "開会します。"),
        ("議員", "森田一郎", "質疑します。\n続けます。"),
    ]
