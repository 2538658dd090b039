"""A meeting whose date the parser could not find: searchable, listed last, outside date filters."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.index.build import build_index
from indexer.records import Meeting, ParseQuality, Utterance
from indexer.search.engine import SearchIndex, SearchRequest


def _meeting(mid: str, when: date | None) -> Meeting:
    quality = ParseQuality("suspect", 0.6, "role", ["no meeting date found"]) if when is None else ParseQuality()
    return Meeting(
        id=mid,
        url=f"https://www.city.example.jp/{mid}.html",
        title=f"第1回さくら市図書館協議会 {mid}",
        committee="さくら市図書館協議会",
        date=when,
        utterances=[Utterance(mid, 1, "委員", None, "図書館の開館時間について伺います。")],
        quality=quality,
    )


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("undated")
    build_index([_meeting("a", date(2021, 5, 1)), _meeting("b", None), _meeting("c", date(2023, 7, 1))], index_dir)
    engine = SearchIndex(index_dir)
    yield engine
    engine.close()


@pytest.mark.parametrize("sort", ["date_desc", "date_asc"])
def test_an_undated_meeting_is_found_and_comes_last_in_either_date_order(engine, sort):
    hits = engine.search(SearchRequest(q="開館時間", sort=sort)).hits
    order = [h.meeting_id for h in hits]
    assert sorted(order) == ["a", "b", "c"]
    assert order[-1] == "b", order


def test_an_undated_meeting_is_outside_every_date_range(engine):
    found = engine.search(SearchRequest(q="開館時間", date_from=date(2000, 1, 1), date_until=date(2099, 1, 1)))
    assert sorted(h.meeting_id for h in found.hits) == ["a", "c"]


def test_the_meeting_page_shows_an_unknown_date_and_says_the_record_is_doubtful(tmp_path):
    from search_web import create_app

    data = tmp_path / "data"
    build_index([_meeting("b", None), _meeting("c", date(2023, 7, 1))], data / "index")
    client = create_app({"TESTING": True, "DATA_DIR": str(data)}).test_client()
    doubtful = client.get("/m/b").get_data(as_text=True)
    assert "日付不明" in doubtful and "この会議録の読み取りは不確かです" in doubtful
    assert "no meeting date found" in doubtful
    sure = client.get("/m/c").get_data(as_text=True)
    assert "2023-07-01" in sure and "不確か" not in sure
    listed = client.get("/?q=開館時間&sort=date_asc").get_data(as_text=True)
    assert listed.index("2023-07-01") < listed.index("日付不明")
