"""The DiscussNet adapter (kind = "discussnet") against a fake of the system on 127.0.0.1."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest

from indexer.crawl import profiles
from indexer.crawl.discussnet import request_key
from indexer.crawl.profiles import ConfigError, SiteProfile, load_profiles
from indexer.parse.discussnet import Council, Schedule, load_payload, meeting_from_minutes
from indexer.pipeline import reindex
from indexer.settings import Settings
from indexer.store.raw_store import RawStore
from tests import hosted_helpers as hosted
from tests.conftest import search_total
from tests.discussnet_server import OPEN_ROBOTS, TENANT, TENANT_ID, FakeDiscussNet

PERMISSION = "桜ヶ丘市議会事務局 議事課長, 2025-05-01 (letter)"
API = "/dnp/search/"

SITE = dict(name="sakura", kind="discussnet", tenant=TENANT, body="桜ヶ丘市議会", permission=PERMISSION)
profile_for = partial(hosted.profile_of, SITE)


@pytest.fixture()
def fake():
    with FakeDiscussNet() as running:
        yield running


def form(council: int | None = None, schedule: int | None = None) -> dict[str, str]:
    fields = {"tenant_id": str(TENANT_ID)}
    if council is not None:
        fields["council_id"] = str(council)
    if schedule is not None:
        fields["schedule_id"] = str(schedule)
    return fields


LISTINGS = [
    ("GET", "/robots.txt", {}),
    ("GET", f"/tenant/{TENANT}/js/tenant.js", {}),
    ("POST", API + "councils/index", form()),
]


def schedules_of(council: int) -> tuple[str, str, dict[str, str]]:
    return ("POST", API + "minutes/get_schedule", form(council))


def minutes_of(council: int, schedule: int) -> tuple[str, str, dict[str, str]]:
    return ("POST", API + "minutes/get_minute", form(council, schedule))


# In the listing's order: newest year first, newest council first.
FULL_CRAWL = [
    *LISTINGS,
    schedules_of(32),
    minutes_of(32, 1),
    schedules_of(31),
    minutes_of(31, 1),
    minutes_of(31, 2),
    schedules_of(21),
    minutes_of(21, 1),
]
# The listings again (the tenant script answers 304), and no minutes.
RECRAWL = [*LISTINGS, schedules_of(32), schedules_of(31), schedules_of(21)]


def test_a_full_crawl_makes_exactly_the_expected_requests_and_keeps_every_answer(fake, tmp_path):
    settings = Settings(tmp_path)
    summary = reindex(settings, [profile_for(fake)])
    assert fake.calls() == FULL_CRAWL  # 10 requests; council 11 (2023) is outside `years`
    assert not summary.failed and not summary.suspect
    assert summary.fetched == 9 and summary.new == 4 and summary.parsed == 4
    raw = RawStore(settings.raw_dir)
    kinds = sorted(p.kind for p in raw.pages())
    assert kinds == ["discussnet"] * 4 + ["listing"] * 5  # every answer kept, with its manifest row
    key = request_key(fake.base + API + "minutes/get_minute", form(31, 2))
    stored = raw.get(key)
    assert stored.parse_status == "ok" and stored.link_text == "令和 7年 6月 定例会(第2回) 06月17日-02号"
    assert b"tenant_minutes" in raw.body(stored)
    raw.close()
    meetings = hosted.crawled_meetings(settings, summary, "桜ヶ丘市議会")
    june = meetings[f"{fake.base}/tenant/{TENANT}/MinuteView.html?council_id=31&schedule_id=2"]
    assert june.date == date(2025, 6, 17) and june.committee == "本会議"
    assert june.title == "令和 7年 6月 定例会(第2回) 06月17日-02号"
    assert june.agenda == ["日程第1 防災センターの整備について"]
    turns = [(u.role, u.speaker) for u in june.utterances if u.role]
    assert turns == [("議長", "山田太郎"), ("議員", "川上花子"), ("市長", "大川正")]
    question = next(u for u in june.utterances if u.role == "議員")
    assert question.text.startswith("防災センターの整備計画") and "資料<別紙>" in question.text
    assert not any("名簿" in u.text or "出席議員" in u.text for u in june.utterances)  # the roster is no turn
    committee = next(m for m in meetings.values() if "委員会" in m.title)
    assert committee.committee == "総務常任委員会" and committee.date == date(2025, 6, 20)
    assert [(u.role, u.speaker) for u in committee.utterances] == [
        ("委員長", "森田一郎"),
        ("委員", "川上"),
        ("課長", None),
    ]
    assert search_total(settings, "データセンター") > 0


def test_an_unchanged_recrawl_fetches_nothing_new(fake, tmp_path):
    hosted.reindex_unchanged(fake, profile_for(fake), Settings(tmp_path))
    assert fake.calls() == RECRAWL and API + "minutes/get_minute" not in fake.data_requests()
    assert [status for _, path, _, status in fake.requests if path.endswith("tenant.js")] == [304]


def test_a_meeting_whose_listing_entry_changed_is_fetched_parsed_and_reindexed_alone(fake, tmp_path):
    def change():
        june = fake.councils[31]
        june.minutes[2][4]["body"] = "<pre>◆１番（川上花子議員）　臨時の水道料金協議について伺います。</pre>"
        june.schedules[2]["page_no"] = 11  # the record was issued again: its listing entry moved

    url = f"{fake.base}/tenant/{TENANT}/MinuteView.html?council_id=31&schedule_id=2"
    hosted.reindex_one_changed(fake, profile_for(fake), Settings(tmp_path), change, url)
    assert fake.calls() == [*RECRAWL[:5], minutes_of(31, 2), *RECRAWL[5:]]


def test_a_silent_correction_is_caught_by_the_recheck_and_only_that_meeting_is_reindexed(fake, tmp_path):
    def correct():
        fake.councils[21].minutes[1][5]["body"] = "<pre>◎市長（大川正君）　路線図は広報紙の特集号でお示しします。</pre>"

    hosted.recheck_a_silent_correction(fake, profile_for, Settings(tmp_path), correct, RECRAWL)
    assert sum(1 for path in fake.data_requests() if path.endswith("get_minute")) == 4


def test_robots_forbids_the_data_paths_so_the_crawl_stops_saying_what_to_do(fake, tmp_path):
    summary = hosted.refused(Settings(tmp_path), profile_for(fake, permission=""), API + "councils/index")
    assert fake.calls() == [("GET", "/robots.txt", {})]  # nothing else: not the tenant script, not the API
    assert summary.robots_blocked == [fake.base + API + "councils/index"]


def test_with_permission_every_run_proceeds_and_logs_who_granted_it(fake, tmp_path, caplog):
    hosted.crawl_with_permission(Settings(tmp_path), profile_for(fake), caplog)


def test_an_open_robots_txt_needs_no_permission(tmp_path):
    with FakeDiscussNet(robots=OPEN_ROBOTS) as fake:
        hosted.crawl_openly(Settings(tmp_path), fake, profile_for, FULL_CRAWL)


def test_429_with_retry_after_is_honoured(fake, tmp_path):
    path = API + "minutes/get_schedule"
    statuses = hosted.crawl_throttled(fake, Settings(tmp_path), profile_for(fake), path, lambda asked, _: asked == path)
    assert statuses == [429, 200, 200, 200]  # the first council's listing, asked again after the wait


def test_minutes_crawl_and_reindex_through_the_command(fake, tmp_path):
    site = {**SITE, "base_url": fake.base}
    hosted.crawl_and_reindex_through_the_command(
        tmp_path, site, hosted.without_permission, "/dnp/search/councils/index"
    )


def test_profiles_name_the_hosted_systems_and_refuse_what_is_not_there(tmp_path, monkeypatch):
    config = tmp_path / "m.toml"
    config.write_text('[[site]]\nname = "x"\nkind = "discussnet"\ntenant = "kyoto"\nyears = [2025]\n')
    [profile] = load_profiles(config)
    assert profile.base_url == "https://ssp.kaigiroku.net" and profile.allowed_hosts == ["ssp.kaigiroku.net"]
    with monkeypatch.context() as patched:  # a reserved kind whose adapter is not there
        patched.setattr(profiles, "SUPPORTED_HOSTED", {"discussnet"})
        with pytest.raises(ConfigError, match="no adapter yet"):
            SiteProfile(name="v", kind="voices", tenant="x")
    with pytest.raises(ConfigError, match="needs tenant"):
        SiteProfile(name="d", kind="discussnet")
    with pytest.raises(ConfigError, match="unknown kind"):
        SiteProfile(name="d", kind="discusnet", tenant="x")
    with pytest.raises(ConfigError, match="origin"):
        SiteProfile(name="d", kind="discussnet", tenant="x", base_url="https://ssp.kaigiroku.net/tenant/x")


def test_the_parser_reads_jsonp_entities_and_labels_in_any_mark():
    body = (
        'cb({"tenant_minutes": [{"minute_id": 1, "minute_type_code": 2, "title": "（名簿）", '
        '"body": "<pre>令和７年３月４日（火曜日）\\n議長　山田　太郎君</pre>"}, '
        '{"minute_id": 2, "minute_type_code": 4, "title": "山田議長", "body": "<pre>○山田議長　開会します。</pre>"}, '
        '{"minute_id": 3, "minute_type_code": 6, "title": "総務部長（石井健君）", '
        '"body": "<PRE><TT>◎総務部長（石井健君）　A&amp;Bの<br>二案です。</TT></PRE>"}]});'
    ).encode()
    meeting = meeting_from_minutes(
        load_payload(body),
        url="https://ssp.kaigiroku.net/tenant/x/MinuteView.html?council_id=1&schedule_id=1",
        council=Council("1", "令和 7年 3月 定例会(第1回)", None, ("全会議", "本会議", "定例会")),
        schedule=Schedule("1", "03月04日-01号"),
    )
    assert meeting.date == date(2025, 3, 4)  # no listing year: the roster's date
    assert [(u.role, u.speaker, u.text) for u in meeting.utterances] == [
        ("議長", "山田太郎", "開会します。"),  # the surname label resolved by the roster
        ("部長", "石井健", "A&Bの\n二案です。"),
    ]
