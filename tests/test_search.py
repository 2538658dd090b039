"""The search library over the indexed sample, checked against the stored records."""

from collections import Counter
from datetime import date

import pytest

from indexer.index.schema import meeting_documents
from indexer.search.engine import SearchRequest
from indexer.search.highlight import match_spans, snippet
from indexer.search.query import QueryError, parse_query
from indexer.store.record_store import RecordStore
from indexer.text.normalize import normalize_text


@pytest.fixture(scope="module")
def documents(sample_settings):
    """Every indexed document, as the index builder makes them from the stored records."""
    return [doc for m in RecordStore(sample_settings.records_dir) for doc in meeting_documents(m)]


def everything(engine, **kwargs):
    """Run a search and collect all hits across pages."""
    hits, offset = [], 0
    while True:
        result = engine.search(SearchRequest(offset=offset, limit=100, **kwargs))
        hits += result.hits
        offset += 100
        if offset >= result.total:
            return result, hits


def containing(documents, word):
    return [d for d in documents if normalize_text(word) in d["text"]]


def test_compound_query_returns_exactly_the_utterances_containing_it(sample_search, documents):
    expected = containing(documents, "データセンター")
    assert expected, "the sample must mention データセンター"
    apart = [d for d in documents if "データ" in d["text"] and "センター" in d["text"] and d not in expected]
    assert apart, "the sample must also have データ and センター apart"
    result, hits = everything(sample_search, q="データセンター")
    assert result.total == len(expected)
    assert {(h.meeting_id, h.seq) for h in hits} == {(d["meeting_id"], d["seq"]) for d in expected}
    assert all("<mark>データセンター</mark>" in h.snippet for h in hits)


def test_facet_counts_cover_every_match_not_just_the_page(sample_search, documents):
    expected = containing(documents, "データセンター")
    result = sample_search.search(SearchRequest(q="データセンター", limit=2))
    assert len(result.hits) == 2
    assert result.facets["role"] == dict(Counter(d["role"] for d in expected if d["role"]))
    assert result.facets["committee"] == dict(Counter(d["committee"] for d in expected))
    assert result.facets["year"] == dict(Counter(d["year"] for d in expected))


def test_filters_by_role_committee_year_and_dates(sample_search, documents):
    result, hits = everything(sample_search, q="", roles=["委員"], years=["2011", "2023"])
    expected = [d for d in documents if d["role"] == "委員" and d["year"] in ("2011", "2023")]
    assert result.total == len(expected) > 0
    committee = documents[0]["committee"]
    result, hits = everything(
        sample_search, q="", committees=[committee], date_from=date(2015, 1, 1), date_until=date(2020, 12, 31)
    )
    expected = [d for d in documents if d["committee"] == committee and "2015-01-01" <= d["date"] <= "2020-12-31"]
    assert result.total == len(expected) > 0
    assert all(h.committee == committee and "2015" <= h.date[:4] <= "2020" for h in hits)


def test_speaker_filter_matches_part_of_a_name(sample_search, documents):
    speaker = next(d["speaker"] for d in documents if d["speaker"] and len(d["speaker"]) >= 2)
    result, hits = everything(sample_search, q="", speaker=speaker[:2])
    expected = [d for d in documents if d["speaker"] and speaker[:2] in d["speaker"]]
    assert result.total == len(expected) > 0
    assert everything(sample_search, q="", speaker="存在しない人")[0].total == 0


def test_sort_by_date_both_directions(sample_search):
    newest = [h.date for h in sample_search.search(SearchRequest(q="委員会", sort="date_desc", limit=50)).hits]
    oldest = [h.date for h in sample_search.search(SearchRequest(q="委員会", sort="date_asc", limit=50)).hits]
    assert newest == sorted(newest, reverse=True) and oldest == sorted(oldest)
    assert newest[0] > oldest[0]


def test_pages_do_not_overlap(sample_search):
    first = sample_search.search(SearchRequest(q="事務局", limit=5))
    second = sample_search.search(SearchRequest(q="事務局", limit=5, offset=5))
    assert first.total == second.total > 10
    assert not {(h.meeting_id, h.seq) for h in first.hits} & {(h.meeting_id, h.seq) for h in second.hits}


def test_query_language_or_not_phrase_and_fields(sample_search, documents):
    def count(q):
        return everything(sample_search, q=q)[0].total

    either = {(d["meeting_id"], d["seq"]) for d in documents if "保育所" in d["text"] or "太陽光" in d["text"]}
    assert count("保育所 OR 太陽光") == len(either) > 0
    without = [d for d in containing(documents, "防災") if "訓練" not in d["text"]]
    assert count("防災 -訓練") == count("防災 NOT 訓練") == len(without) > 0
    # A regression: whoosh3's AndNot once let a text with both words through.
    assert count("データ -センター") == len([d for d in containing(documents, "データ") if "センター" not in d["text"]])
    assert count('"防災センター"') == len(containing(documents, "防災センター")) > 0
    in_role = [d for d in containing(documents, "データセンター") if d["role"] == "事務局"]
    assert count("データセンター role:事務局") == len(in_role) > 0


@pytest.mark.parametrize(
    "q, message",
    [
        ('"データセンター', "引用符"),
        ("OR 防災", "OR"),
        ("防災 OR", "OR"),
        ("防災 -", "除外"),
        ("防災 NOT", "NOT"),
        ("(防災 訓練", "括弧"),
        ("防災 訓練)", "括弧"),
        ("の を に", "検索できる語"),
        ('"デ"', "検索できる語"),  # one character, read alone as a particle
        ("防災" * 600, "長すぎ"),
        ("role:", "値を指定"),
    ],
)
def test_malformed_queries_get_a_friendly_message(sample_search, q, message):
    with pytest.raises(QueryError, match=message):
        sample_search.search(SearchRequest(q=q))


def test_highlights_land_on_the_matched_characters():
    text = normalize_text("防災センターと防災の訓練、センター長")
    spans = match_spans(text, parse_query("防災センター").patterns)
    assert [text[a:b] for a, b in spans] == ["防災センター"]
    spans = match_spans(text, parse_query("防災 訓練").patterns)
    assert [text[a:b] for a, b in spans] == ["防災", "防災", "訓練"]


def test_snippets_escape_html_and_window_long_texts():
    text = "<b>前置き</b>" + "あ" * 300 + "データセンターの話" + "い" * 300
    html = snippet(text, parse_query("データセンター").patterns, width=80)
    assert "<b>" not in html and "<mark>データセンター</mark>" in html
    assert html.startswith("…") and html.endswith("…")


def test_title_committee_and_agenda_are_searchable_as_the_meeting_header(sample_search, documents):
    header = next(d for d in documents if d["seq"] == 0 and "情報化推進委員会" in d["committee"])
    hits = everything(sample_search, q="情報化推進委員会")[1]
    assert (header["meeting_id"], 0) in {(h.meeting_id, h.seq) for h in hits}
    agenda_word = "基幹システム"
    assert any(h.seq == 0 for h in everything(sample_search, q=agenda_word)[1])


def test_a_filter_that_allows_nothing_finds_nothing_everywhere(sample_search, client):
    from indexer.search import aggregates

    nobody = SearchRequest(q="防災", speaker="存在しない人")
    assert sample_search.search(nobody).total == 0
    assert sample_search.ranked_ids(nobody) == []
    assert aggregates.trend(sample_search, nobody) == {}
    assert aggregates.grouped_by_meeting(sample_search, nobody)[0] == 0
    assert client.get("/api/v1/search?any=防災&speaker=存在しない人").get_json()["numberOfRecords"] == 0
    assert client.get("/export.json?q=防災&speaker=存在しない人").get_json()["records"] == []


def test_repeated_searches_come_from_the_cache(sample_search):
    # That a new generation is searched afresh is tested in test_index (reader switches).
    request = SearchRequest(q="防災", date_from=date(2015, 1, 1))
    first = sample_search.search(request)
    assert sample_search.search(SearchRequest(q="防災", date_from=date(2015, 1, 1))) is first
