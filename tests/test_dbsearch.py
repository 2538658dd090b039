"""The DB-Search adapter (kind = "dbsearch") against a fake of one body's host on 127.0.0.1."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest

from indexer.crawl.dbsearch import document_url, listing_url
from indexer.crawl.profiles import ConfigError, SiteProfile, load_profiles
from indexer.parse.dbsearch import Listed, meeting_from_document, read_listing
from indexer.pipeline import crawl, reindex
from indexer.settings import Settings
from indexer.store.raw_store import RawStore
from indexer.store.record_store import RecordStore
from tests import hosted_helpers as hosted
from tests.conftest import search_total
from tests.dbsearch_server import OPEN_ROBOTS, FakeDbSearch

PERMISSION = "若葉市議会事務局 議事調査係長, 2025-05-01 (letter)"
NAV = "/index.php/100000"

SITE = dict(name="wakaba", kind="dbsearch", body="若葉市議会", permission=PERMISSION)
profile_for = partial(hosted.profile_of, SITE)


@pytest.fixture()
def fake():
    with FakeDbSearch() as running:
        yield running


def listing(year: int, page: int = 1) -> tuple[str, str, dict[str, str]]:
    """The first page: a new query; a later one: the pagination link, paging through the session's query."""
    if page > 1:
        return ("GET", "/index.php/<n>", {"Template": "list", "Page": str(page)})
    query = {"Template": "list", "QueryType": "New", "ListOrder": "Asc"}
    return ("GET", NAV, {**query, "TermStart": f"{year}-01-01", "TermEnd": f"{year}-12-31"})


def document(document_id: int) -> tuple[str, str, dict[str, str]]:
    return ("GET", NAV, {"Template": "document", "VoiceType": "all", "DocumentID": str(document_id)})


ROBOTS = ("GET", "/robots.txt", {})
# Newest year first; each year's listing page by page (four rows a page; page 2 by its link, in the
# session), then its 本文 documents: the rosters (1101, 1001) and the material (1104) are not fetched, nor
# 2023 (outside `years`).
FULL_CRAWL = [
    ROBOTS,
    listing(2025),
    listing(2025, 2),
    document(1102),
    document(1103),
    document(1105),
    listing(2024),
    document(1002),
]
RECRAWL = [ROBOTS, listing(2025), listing(2025, 2), listing(2024)]


def test_a_full_crawl_makes_exactly_the_expected_requests_and_keeps_every_page(fake, tmp_path):
    settings = Settings(tmp_path)
    summary = reindex(settings, [profile_for(fake)])
    assert fake.calls() == FULL_CRAWL  # 8 requests
    assert not summary.failed and not summary.suspect
    assert summary.fetched == 7 and summary.new == 4 and summary.parsed == 4
    raw = RawStore(settings.raw_dir)
    assert sorted(p.kind for p in raw.pages()) == ["dbsearch"] * 4 + ["listing"] * 3
    stored = raw.get(document_url(profile_for(fake), Listed("1103", "")))
    assert stored.parse_status == "ok" and stored.link_text == "令和7年第2回定例会(第2日) 本文"
    assert b"page-text__voice" in raw.body(stored)
    page2 = raw.get(listing_url(profile_for(fake), 2025, 2))  # kept under a stable key, with the link followed
    assert "Page=2" in page2.final_url and "/index.php/100000" not in page2.final_url
    raw.close()
    meetings = hosted.crawled_meetings(settings, summary, "若葉市議会")
    day2 = meetings[f"{fake.base}{NAV}?Template=document&VoiceType=all&DocumentID=1103"]
    assert day2.date == date(2025, 6, 17) and day2.committee == "本会議"
    assert day2.title == "令和7年第2回定例会(第2日)" and day2.meeting_name == "令和7年第2回定例会"
    assert day2.agenda == ["日程第1 防災センターの整備について"]
    turns = [(u.role, u.speaker) for u in day2.utterances if u.role]
    assert turns == [("議長", "山田太郎"), ("議長", "山田太郎"), ("議員", "川上花子"), ("市長", "大川正")]
    question = next(u for u in day2.utterances if u.role == "議員")
    assert question.text.startswith("防災センターの整備計画") and "資料<別紙>" in question.text
    assert "登壇しての質問" in question.text and "登壇〕" not in question.text
    assert day2.utterances[0].text == "午前10時開議" and day2.utterances[0].role is None  # before the label
    assert not any("～" in u.text or "1:" in u.text for u in day2.utterances)  # separators, voice numbers
    committee = next(m for m in meetings.values() if "委員会" in m.title)
    assert committee.committee == "総務委員会" and committee.date == date(2025, 6, 20)
    assert [(u.role, u.speaker) for u in committee.utterances] == [
        ("委員長", "森田一郎"),
        ("委員", "川上"),
        ("課長", "石井健"),
    ]
    assert search_total(settings, "データセンター") > 0


def test_an_unchanged_recrawl_fetches_nothing_new(fake, tmp_path):
    hosted.reindex_unchanged(fake, profile_for(fake), Settings(tmp_path))
    assert fake.calls() == RECRAWL and not any("DocumentID" in query for _, _, query in fake.calls())


def test_a_document_whose_listing_row_changed_is_fetched_parsed_and_reindexed_alone(fake, tmp_path):
    def change():
        day2 = fake.documents[1103]
        day2.voices[3] = "◯１番（川上花子君）　臨時の水道料金協議について伺います。"
        day2.title = "令和７年第２回定例会（第２日）　本文（訂正）"  # the corrected record is listed again

    url = f"{fake.base}{NAV}?Template=document&VoiceType=all&DocumentID=1103"
    hosted.reindex_one_changed(fake, profile_for(fake), Settings(tmp_path), change, url)
    assert fake.calls() == [*RECRAWL[:3], document(1103), RECRAWL[3]]


def test_a_new_sitting_is_fetched_alone_and_a_silent_correction_is_caught_by_the_recheck(fake, tmp_path):
    settings = Settings(tmp_path)
    reindex(settings, [profile_for(fake)])
    fake.documents[1002].voices[4] = "◯市長（大川　正君）　路線図は広報紙の特集号でお示しします。"
    added = fake.documents[901]
    added.document_id, added.held_on = 1106, date(2025, 9, 5)  # a sitting published since
    fake.documents[1106] = fake.documents.pop(901)
    fake.requests.clear()
    unnoticed = reindex(settings, [profile_for(fake)])  # the listing says nothing of 1002: not fetched yet
    assert fake.calls() == [*RECRAWL[:3], document(1106), RECRAWL[3]]
    assert unnoticed.new == 1 and unnoticed.changed == 0 and unnoticed.meetings_changed == 1
    fake.requests.clear()
    rechecked = reindex(settings, [profile_for(fake, recheck_days=0)])  # every stored document is due
    assert sum(1 for _, _, query in fake.calls() if "DocumentID" in query) == 5
    # Every page comes back with other session numbers in its links (so each is parsed again), but only
    # 1002 says something new: one changed, one meeting re-indexed.
    assert rechecked.changed == 1 and rechecked.new == 0 and rechecked.parsed == 5
    assert rechecked.meetings_changed == 1
    assert search_total(settings, "特集号") == 1


def test_robots_forbids_the_data_paths_so_the_crawl_stops_saying_what_to_do(fake, tmp_path):
    summary = hosted.refused(Settings(tmp_path), profile_for(fake, permission=""), NAV)
    assert fake.calls() == [ROBOTS]  # nothing else: no listing, no document
    assert fake.data_requests() == []
    assert summary.robots_blocked == [listing_url(profile_for(fake), 2025)]


def test_with_permission_every_run_proceeds_and_logs_who_granted_it(fake, tmp_path, caplog):
    hosted.crawl_with_permission(Settings(tmp_path), profile_for(fake), caplog)


def test_an_open_robots_txt_needs_no_permission(tmp_path):
    with FakeDbSearch(robots=OPEN_ROBOTS) as fake:
        hosted.crawl_openly(Settings(tmp_path), fake, profile_for, FULL_CRAWL)


def test_a_shift_jis_host_reads_the_same(tmp_path):
    with FakeDbSearch(charset="Shift_JIS") as fake:
        settings = Settings(tmp_path)
        summary = crawl(settings, [profile_for(fake, years=[2025])])
        assert summary.new == 3 and not summary.failed and not summary.suspect
        titles = sorted(m.title for m in RecordStore(settings.records_dir))
        assert titles == ["令和7年 総務委員会", "令和7年第2回定例会(第1日)", "令和7年第2回定例会(第2日)"]


def test_a_host_opening_documents_in_frames_is_read_from_the_voices_frame(tmp_path):
    with FakeDbSearch(frames=True) as fake:
        settings = Settings(tmp_path)
        summary = crawl(settings, [profile_for(fake, years=[2024])])
        doc_page = ("GET", NAV, {"Template": "doc-page", "VoiceType": "all", "DocumentID": "1002"})
        assert fake.calls() == [ROBOTS, listing(2024), doc_page]  # never Template=document, which answers 404
        assert summary.new == 1 and not summary.failed and not summary.suspect
        [meeting] = list(RecordStore(settings.records_dir))
        assert meeting.title == "令和6年第4回定例会(第1日)" and meeting.date == date(2024, 12, 3)
        assert [(u.role, u.speaker) for u in meeting.utterances if u.role][-1] == ("市長", "大川正")


def test_429_with_retry_after_is_honoured(fake, tmp_path):
    asked = lambda _, query: "DocumentID" in query
    statuses = hosted.crawl_throttled(fake, Settings(tmp_path), profile_for(fake), "document", asked)
    assert statuses == [429, 200, 200, 200, 200]  # the first document, asked again after the wait


def test_minutes_crawl_and_reindex_through_the_command(fake, tmp_path):
    site = {**SITE, "base_url": fake.base}
    hosted.crawl_and_reindex_through_the_command(tmp_path, site, hosted.without_permission, "/index.php/100000")


def test_profiles_need_the_bodys_host(tmp_path):
    config = tmp_path / "m.toml"
    config.write_text(
        '[[site]]\nname = "x"\nkind = "dbsearch"\nbase_url = "https://www.city.hatsukaichi.dbsr.jp/"\nyears = [2025]\n'
    )
    [profile] = load_profiles(config)
    assert profile.base_url == "https://www.city.hatsukaichi.dbsr.jp"
    assert profile.allowed_hosts == ["www.city.hatsukaichi.dbsr.jp"] and profile.tenant == profile.allowed_hosts[0]
    with pytest.raises(ConfigError, match="needs base_url"):
        SiteProfile(name="d", kind="dbsearch")
    with pytest.raises(ConfigError, match="origin"):
        SiteProfile(name="d", kind="dbsearch", base_url="https://www.city.hatsukaichi.dbsr.jp/index.php/")


def test_the_parsers_read_other_generations_of_the_markup():
    listing = read_listing(
        """<div class="result-document">
<a href="/index.php/1888587?Template=doc-one-frame&amp;VoiceType=OneHit&amp;DocumentID=31">令和６年第１回臨時会（第１日）
　本文</a><span class="result-document-date">開催日：2024年01月22日</span></div>
<div class="result-document"><a href="/index.php/1888587?Template=doc-one-frame&amp;DocumentID=32">令和６年
第１回臨時会（第１日）　議事日程・名簿</a><span>2024-01-22</span></div>
<div class="result-document"><a href="/index.php/333845?Template=document&amp;Id=2020">令和７年第１回定例市会
（第６日）　本文</a> <span>2025-03-28</span></div>
<a href="/index.php/1888590?Template=list&amp;Page=2">2</a>""".encode(),
        "text/html; charset=UTF-8",
    )
    rows = [(d.document_id, d.held_on, d.is_minutes, d.template, d.param) for d in listing.documents]
    assert rows == [
        ("31", date(2024, 1, 22), True, "doc-page", "DocumentID"),  # frames: the voices' frame is asked
        ("32", date(2024, 1, 22), False, "doc-page", "DocumentID"),  # a roster: not fetched
        ("2020", date(2025, 3, 28), True, "document", "Id"),  # a host naming documents by Id
    ]
    assert listing.next_href == "/index.php/1888590?Template=list&Page=2"
    page = """<html><head><meta charset="Shift_JIS"><title>発言内容</title></head><body>
<div class="docpage-voice-text-box textwrap" id="VoiceNo1"><p class="docpage-voice-text">
<span class="docpage-voice-no VoiceAnchor" data-voiceno="1">1</span>　開会　午前10時<br />
◯議長（谷口　明）　開会します。<br />　本日は臨時会です。<br /></p></div>
<div class="docpage-voice-text-box textwrap" id="VoiceNo2"><p class="docpage-voice-text">
<span class="docpage-voice-no VoiceAnchor" data-voiceno="2">2</span>◯総務部長（石井　健君）　ご説明いたします。</p></div>
</body></html>""".encode("cp932")
    meeting = meeting_from_document(
        page, None, url="https://example.dbsr.jp/index.php/1?DocumentID=31", listed=listing.documents[0]
    )
    assert meeting.committee == "本会議" and meeting.date == date(2024, 1, 22)
    assert [(u.role, u.speaker, u.text) for u in meeting.utterances] == [
        (None, None, "開会 午前10時"),
        ("議長", "谷口明", "開会します。\n本日は臨時会です。"),
        ("部長", "石井健", "ご説明いたします。"),
    ]
    assert meeting_from_document(page, None, url="u", listed=Listed("31", "")).title == "発言内容"
