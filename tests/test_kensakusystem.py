"""The kensakusystem.jp adapter (kind = "kensakusystem") against a fake of the system on 127.0.0.1."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest

from indexer.crawl.kensakusystem import store_key, tree_url
from indexer.crawl.profiles import load_profiles
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
from indexer.settings import Settings
from indexer.store.raw_store import RawStore
from indexer.store.record_store import RecordStore
from tests import hosted_helpers as hosted
from tests.conftest import search_total
from tests.kensakusystem_server import CGI, FORBID_ALL, FORBID_CGI, TENANT, FakeKensakuSystem

PERMISSION = "桜ヶ丘市議会事務局 議事課長, 2025-05-01 (letter)"
CGI_PATH = f"/{TENANT}/{CGI}/"

SITE = dict(name="sakura", kind="kensakusystem", tenant=TENANT, body="桜ヶ丘市議会")
profile_for = partial(hosted.profile_of, SITE)


@pytest.fixture()
def fake():
    with FakeKensakuSystem() as running:
        yield running


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
    meetings = hosted.crawled_meetings(settings, summary, "桜ヶ丘市議会")
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
    hosted.reindex_unchanged(fake, profile_for(fake), Settings(tmp_path))
    assert fake.calls() == RECRAWL and "GetText3.exe" not in "".join(fake.cgi_requests())  # 8 requests
    assert [status for _, path, _, status in fake.requests if path.endswith("index.html")] == [304]


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
    def change():
        _meeting, sitting = fake.tree.sitting("R070617A")
        sitting.lines[15] = "○１番議員（川上花子）\u3000臨時の水道料金協議について伺います。"
        sitting.day = "（第2号 6月17日）"  # the record was issued again: its entry in the tree changed

    url = f"{fake.base}{CGI_PATH}ResultFrame.exe?fileName=R070617A&startPos=0"
    june = hosted.reindex_one_changed(fake, profile_for(fake), Settings(tmp_path), change, url)
    assert fake.calls() == [*RECRAWL[:5], text("R070617A"), *RECRAWL[5:]]
    assert june.title == "令和 7年 第2回定例会 (第2号 6月17日)"


def test_a_silent_correction_is_caught_by_the_recheck_and_only_that_meeting_is_reindexed(fake, tmp_path):
    def correct():
        _meeting, sitting = fake.tree.sitting("R061203A")
        sitting.lines[16] = "○市長（大川正）\u3000路線図は広報紙の特集号でお示しします。"

    hosted.recheck_a_silent_correction(fake, profile_for, Settings(tmp_path), correct, RECRAWL)
    assert sum(1 for path in fake.cgi_requests() if path.endswith("GetText3.exe")) == 4


def test_renaming_the_body_reparses_without_fetching(fake, tmp_path):
    hosted.reindex_renamed(fake, profile_for, Settings(tmp_path), RECRAWL)


def test_robots_forbidding_everything_stops_the_crawl_saying_what_to_do(tmp_path):
    with FakeKensakuSystem(robots=FORBID_ALL) as fake:
        summary = hosted.refused(Settings(tmp_path), profile_for(fake), f"/{TENANT}/index.html")
        assert fake.calls() == [("/robots.txt", {})]  # nothing else: not the landing page, not the CGI
    assert summary.robots_blocked == [f"{fake.base}/{TENANT}/index.html"]


def test_robots_forbidding_the_cgi_stops_before_any_data_path(tmp_path):
    with FakeKensakuSystem(robots=FORBID_CGI) as fake:
        disallowed = f"{CGI_PATH}See.exe, where kensakusystem.jp serves the minutes"
        summary = hosted.refused(Settings(tmp_path), profile_for(fake), disallowed)
        assert fake.calls() == LISTINGS[:2] and fake.cgi_requests() == []  # the landing page only
    assert summary.robots_blocked == [fake.base + CGI_PATH + "See.exe"]


def test_with_permission_every_run_proceeds_and_logs_who_granted_it(tmp_path, caplog):
    with FakeKensakuSystem(robots=FORBID_CGI) as fake:
        runs = hosted.crawl_with_permission(Settings(tmp_path), profile_for(fake, permission=PERMISSION), caplog)
    assert [run.new for run in runs] == [4, 0]


def test_429_with_retry_after_is_honoured(fake, tmp_path):
    path = CGI_PATH + "GetText3.exe"
    statuses = hosted.crawl_throttled(fake, Settings(tmp_path), profile_for(fake), path, lambda asked, _: asked == path)
    assert statuses == [429, 200, 200, 200, 200]  # the first sitting, asked again after the wait


def test_a_document_the_system_cannot_read_fails_and_is_not_stored(fake, tmp_path):
    settings = Settings(tmp_path)
    fake.missing.add("R061203A")  # listed, but the system has lost its file
    summary = crawl(settings, [profile_for(fake)])
    [(key, message)] = summary.failed
    assert key.endswith("fileName=R061203A&startPos=0&keyMode=10&searchMode=1&FUNC=PRINT_ALL")
    assert "ERROR:ファイルの読込みに失敗しました。" in message
    assert summary.new == 3 and RawStore(settings.raw_dir).get(key) is None


def test_minutes_crawl_and_reindex_through_the_command(fake, tmp_path):
    def forbid_the_cgi(config):
        fake.robots = FORBID_CGI
        return config

    site = {**SITE, "base_url": fake.base}
    hosted.crawl_and_reindex_through_the_command(tmp_path, site, forbid_the_cgi, f"{CGI_PATH}See.exe")


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
