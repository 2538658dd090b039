"""The VOICES adapter (kind = "voices") against a fake of the system on 127.0.0.1."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest

from indexer.crawl.profiles import ConfigError, SiteProfile, load_profiles
from indexer.crawl.voices import cgi_url, listing_url, text_url
from indexer.parse.voices import Sitting, meeting_from_page, read_listing
from indexer.pipeline import crawl, reindex
from indexer.settings import Settings
from indexer.store.raw_store import RawStore
from indexer.store.record_store import RecordStore
from tests import hosted_helpers as hosted
from tests.conftest import search_total
from tests.voices_server import CGI, OPEN_ROBOTS, TENANT, FakeVoices, build_sittings

PERMISSION = "桜ヶ丘市議会事務局 議事課長, 2025-05-01 (letter)"

SITE = dict(name="sakura", kind="voices", tenant=TENANT, body="桜ヶ丘市議会", permission=PERMISSION)
profile_for = partial(hosted.profile_of, SITE)


@pytest.fixture()
def fake():
    with FakeVoices() as running:
        yield running


def listing(year: int | None, page: int = 1, hits: int = 0) -> tuple[str, dict[str, str]]:
    fields = {"ACT": "100", "KTYP": "0,1,2,3", "SORT": "0"}
    if year is not None:
        fields.update(FYY=str(year), FMM="", FDD="", TYY=str(year), TMM="", TDD="")
    fields["KGTP"] = "1,2,3"
    if page > 1:
        fields.update(PAGE=str(page), HIT=str(hits), AHIT="-1")
    return (CGI, fields)


def text(fino: int) -> tuple[str, dict[str, str]]:
    return (CGI, {"ACT": "203", "FINO": str(fino), "HATSUGENMODE": "1", "HYOUJIMODE": "0", "STYLE": "0"})


ROBOTS_TXT = ("/robots.txt", {})
# Newest year first; in a year, the listing's order: the committee (its session's KGNO is the newest), then
# the June session's sittings. 5101 is the session's table of contents (目次): listed, never fetched.
FULL_CRAWL = [ROBOTS_TXT, listing(2025), text(5110), text(5102), text(5103), listing(2024), text(5001)]
# The listings again, and no text.
RECRAWL = [ROBOTS_TXT, listing(2025), listing(2024)]


def test_a_full_crawl_makes_exactly_the_expected_requests_and_keeps_every_answer(fake, tmp_path):
    settings = Settings(tmp_path)
    summary = reindex(settings, [profile_for(fake)])
    assert fake.calls() == FULL_CRAWL  # 7 requests; 2023 is outside `years`
    assert not summary.failed and not summary.suspect
    assert summary.fetched == 6 and summary.new == 4 and summary.parsed == 4
    raw = RawStore(settings.raw_dir)
    assert sorted(p.kind for p in raw.pages()) == ["listing"] * 2 + ["voices"] * 4  # every answer kept
    key = text_url(profile_for(fake), "5103")
    assert key == f"{fake.base}/voices/cgi/voiweb.exe?ACT=203&FINO=5103&HATSUGENMODE=1&HYOUJIMODE=0&STYLE=0"
    stored = raw.get(key)
    assert stored.parse_status == "ok" and stored.link_text == "令和 7年第 2回 6月定例会 06月17日-02号"
    body = raw.body(stored)
    assert b"charset=Shift_JIS" in body and "防災センター".encode("cp932") in body  # kept as served
    raw.close()
    meetings = hosted.crawled_meetings(settings, summary, "桜ヶ丘市議会")
    june = meetings[key]
    assert june.date == date(2025, 6, 17) and june.committee == "本会議"
    assert june.title == "令和 7年第 2回 6月定例会 06月17日-02号" and june.meeting_name == "令和 7年第 2回 6月定例会"
    assert june.agenda == ["日程第1 防災センターの整備について"]
    turns = [(u.role, u.speaker) for u in june.utterances if u.role]
    assert turns == [
        ("議長", "山田太郎"),
        ("議長", "山田太郎"),
        ("議員", "川上花子"),
        ("議長", "山田太郎"),
        ("市長", "大川正"),
        ("議長", "山田太郎"),
    ]
    question = next(u for u in june.utterances if u.role == "議員")
    assert question.text.startswith("防災センターの整備計画") and "資料<別紙>" in question.text
    assert not any("出席議員" in u.text for u in june.utterances if u.role)  # the roster is no speech
    assert not any("日程第1 防災" in u.text for u in june.utterances if u.role)  # the heading is no speech
    committee = meetings[text_url(profile_for(fake), "5110")]
    assert committee.committee == "総務委員会" and committee.date == date(2025, 6, 20)
    assert [(u.role, u.speaker) for u in committee.utterances if u.role] == [
        ("委員長", "森田"),
        ("委員", "川上"),
        ("課長", "石井"),
        ("委員長", "森田"),
    ]
    assert search_total(settings, "データセンター") > 0


def test_an_unchanged_recrawl_fetches_nothing_new(fake, tmp_path):
    hosted.reindex_unchanged(fake, profile_for(fake), Settings(tmp_path))
    assert fake.calls() == RECRAWL and not any(q["ACT"] == "203" for q in fake.data_requests())


def test_a_meeting_whose_listing_row_changed_is_fetched_parsed_and_reindexed_alone(fake, tmp_path):
    def change():
        sitting = fake.sittings[5103]
        sitting.text = sitting.text.replace("防災センターの整備計画の進み具合", "臨時の水道料金協議の進み具合")
        sitting.revision = 2  # the record was issued again: its row's UNID changed

    url = text_url(profile_for(fake), "5103")
    hosted.reindex_one_changed(fake, profile_for(fake), Settings(tmp_path), change, url)
    assert fake.calls() == [ROBOTS_TXT, listing(2025), text(5103), listing(2024)]


def test_a_silent_correction_is_caught_by_the_recheck_and_only_that_meeting_is_reindexed(fake, tmp_path):
    def correct():
        sitting = fake.sittings[5001]
        sitting.text = sitting.text.replace("来春に新しい路線を示します", "路線図は広報紙の特集号でお示しします")

    hosted.recheck_a_silent_correction(fake, profile_for, Settings(tmp_path), correct, RECRAWL)
    assert sum(1 for q in fake.data_requests() if q["ACT"] == "203") == 4


def test_robots_forbids_the_cgi_so_the_crawl_stops_saying_what_to_do(fake, tmp_path):
    summary = hosted.refused(Settings(tmp_path), profile_for(fake, permission=""), "/voices/cgi/voiweb.exe")
    assert fake.calls() == [ROBOTS_TXT]  # nothing else: no listing, no text
    assert summary.robots_blocked == [listing_url(profile_for(fake), 2025)]


def test_with_permission_every_run_proceeds_and_logs_who_granted_it(fake, tmp_path, caplog):
    hosted.crawl_with_permission(Settings(tmp_path), profile_for(fake), caplog)


def test_an_open_robots_txt_needs_no_permission(tmp_path):
    with FakeVoices(robots=OPEN_ROBOTS) as fake:
        hosted.crawl_openly(Settings(tmp_path), fake, profile_for, FULL_CRAWL)


def test_429_with_retry_after_is_honoured(fake, tmp_path):
    asked = lambda _, query: query.get("ACT") == "100"
    statuses = hosted.crawl_throttled(fake, Settings(tmp_path), profile_for(fake), "100", asked)
    assert statuses == [429, 200, 200]  # the first year's listing, asked again after the wait


def test_every_year_and_every_page_of_a_long_listing(tmp_path):
    with FakeVoices(per_page=3) as fake:
        settings = Settings(tmp_path)
        summary = crawl(settings, [profile_for(fake, years=[])])  # no years: the listing of every year
        assert fake.calls() == [
            ROBOTS_TXT,
            listing(None),
            text(5110),
            text(5102),
            listing(None, page=2, hits=6),
            text(5103),
            text(5001),
            text(4901),
        ]
        assert summary.new == 5 and not summary.failed
        dates = sorted(m.date for m in RecordStore(settings.records_dir))
        assert dates[0] == date(2023, 9, 5) and dates[-1] == date(2025, 6, 20)


def test_renaming_the_body_reparses_without_fetching(fake, tmp_path):
    hosted.reindex_renamed(fake, profile_for, Settings(tmp_path), RECRAWL)


def test_minutes_crawl_and_reindex_through_the_command(fake, tmp_path):
    site = {**SITE, "base_url": fake.base}
    hosted.crawl_and_reindex_through_the_command(tmp_path, site, hosted.without_permission, "/voices/cgi/voiweb.exe")


def test_a_body_is_a_host_and_an_installation_path(tmp_path):
    config = tmp_path / "m.toml"
    config.write_text(
        '[[site]]\nname = "x"\nkind = "voices"\nbase_url = "https://warabi.gijiroku.com"\ntenant = "gikai/voices"\n'
    )
    [profile] = load_profiles(config)
    assert profile.allowed_hosts == ["warabi.gijiroku.com"]
    assert cgi_url(profile) == "https://warabi.gijiroku.com/gikai/voices/cgi/voiweb.exe"
    with pytest.raises(ConfigError, match="needs base_url"):
        SiteProfile(name="v", kind="voices", tenant="voices")
    with pytest.raises(ConfigError, match="plain path segment"):
        SiteProfile(name="v", kind="voices", tenant="../voices", base_url="https://x.gijiroku.com")
    with pytest.raises(ConfigError, match="plain path segment"):
        SiteProfile(name="d", kind="discussnet", tenant="a/b")
    chosen = SiteProfile(
        name="v", kind="voices", tenant="voices", base_url="https://x.gijiroku.com", query={"KGTP": "1"}
    )
    assert listing_url(chosen, 2025).endswith("&TDD=&KGTP=1")  # the profile's query picks the meeting types


def test_the_parser_reads_an_euc_jp_listing_and_page():
    fake = FakeVoices.__new__(FakeVoices)  # its markup only, no server
    fake.sittings, fake.per_page = build_sittings(), None
    page = fake.listing({"KGTP": "1,3", "FYY": "2025", "TYY": "2025", "KTYP": "0,1,2,3"})
    body = page.replace("charset=Shift_JIS", "charset=EUC-JP").encode("euc_jp")
    read = read_listing(body)
    assert read.hits == 4 and [s.fino for s in read.sittings] == ["5110", "5101", "5102", "5103"]
    contents, first = read.sittings[1], read.sittings[2]
    assert contents.is_contents and not first.is_contents
    assert first == Sitting("5102", "令和 7年第 2回 6月定例会", "06月10日-01号", "3301", "K_R07061001011", 2025)
    assert first.day == date(2025, 6, 10) and first.committee == "本会議"
    assert read.sittings[0].committee == "総務委員会"
    markup = fake.text(fake.sittings[5102]).replace("charset=Shift_JIS", "charset=EUC-JP")
    meeting = meeting_from_page(markup.encode("euc_jp"), url="https://x.gijiroku.com/voices/cgi/t", sitting=None)
    assert meeting.date == date(2025, 6, 10) and meeting.agenda == ["日程第1 データセンター誘致について"]
    assert ("市長", "大川正") in [(u.role, u.speaker) for u in meeting.utterances]
