"""Speakers, context and answers, permalinks and citations, views, trends, feeds, exports, sitemap."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html import unescape

import pytest

from indexer.index.build import build_index
from indexer.index.schema import meeting_documents
from indexer.search import aggregates
from indexer.search.context import answers_to
from indexer.search.engine import SearchRequest
from indexer.store.record_store import RecordStore

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def documents(sample_settings):
    return [d for m in RecordStore(sample_settings.records_dir) for d in meeting_documents(m)]


def text_of(response):
    return response.get_data(as_text=True)


def test_speaker_page_lists_utterances_by_date_with_committee_counts(client, documents):
    name = Counter(d["speaker"] for d in documents if d["speaker"]).most_common(1)[0][0]
    mine = [d for d in documents if d["speaker"] == name]
    page = text_of(client.get(f"/speaker/{name}"))
    assert f"発言 {len(mine)} 件" in page
    dates = re.findall(r'<span class="date">([\d-]+)</span>', page)
    assert dates == sorted(dates, reverse=True) and len(dates) == len(mine)
    for committee, count in Counter(d["committee"] for d in mine).items():
        assert re.search(rf">{re.escape(committee)}</a> <span class=\"count\">{count}</span>", page)
    assert client.get("/speaker/誰でもない人").status_code == 404


def test_speakers_list_and_partial_name_filter(client, sample_search, documents):
    full = next(d["speaker"] for d in documents if d["speaker"] and len(d["speaker"]) >= 4)
    page = text_of(client.get("/speakers", query_string={"name": full[:2]}))
    assert full in page
    listed = aggregates.speakers(sample_search, full[:2])
    assert all(full[:2] in name for name, _ in listed)


def test_answers_follow_a_question_until_the_next_member_speaks():
    docs = [
        {"seq": 1, "role": "委員"},
        {"seq": 2, "role": "委員長"},
        {"seq": 3, "role": "部長"},
        {"seq": 4, "role": "課長"},
        {"seq": 5, "role": "委員"},
        {"seq": 6, "role": "事務局"},
    ]
    assert [d["seq"] for d in answers_to(docs, 0)] == [3, 4]
    assert answers_to(docs, 2) == []  # an answer has no answers


def test_context_page_shows_neighbours_and_the_answer(client, documents):
    question = next(
        d
        for d in documents
        if d["role"] == "委員" and "データセンター" in d["text"] and d["committee"] == "防災対策特別委員会"
    )
    meeting = [d for d in documents if d["meeting_id"] == question["meeting_id"] and d["seq"] > 0]
    answer = next(d for d in meeting if d["seq"] > question["seq"] and d["role"] == "部長")
    page = text_of(client.get(f"/m/{question['meeting_id']}/u/{question['seq']}?q=データセンター"))
    assert "この質問への答弁" in page
    answers = page.split("この質問への答弁")[1]
    assert answer["text"][:12] in answers
    assert f'id="u{question["seq"] - 1}"' in page and f'id="u{question["seq"] + 1}"' in page
    assert "<mark>データセンター</mark>" in page
    assert client.get(f"/m/{question['meeting_id']}/u/9999").status_code == 404


def test_permalinks_survive_a_rebuild_and_cite_the_utterance(client, sample_settings, tmp_path):
    records = RecordStore(sample_settings.records_dir)
    first = {(d["meeting_id"], d["seq"]) for m in records for d in meeting_documents(m)}
    build_index(records, tmp_path / "rebuilt")
    from indexer.search.engine import SearchIndex

    rebuilt = SearchIndex(tmp_path / "rebuilt")
    again = {(h[0], h[1]) for h in rebuilt.ranked_ids(SearchRequest(q=""))}
    rebuilt.close()
    assert again == first
    meeting = next(iter(records))
    utterance = meeting.utterances[1]
    citation = text_of(client.get(f"/m/{meeting.id}/u/{utterance.seq}/cite.txt")).strip()
    assert meeting.committee in citation and meeting.date.isoformat() in citation
    assert citation.endswith(f"/m/{meeting.id}#u{utterance.seq}")
    page = text_of(client.get(f"/m/{meeting.id}"))
    assert unescape(citation) in unescape(page)
    assert f'href="{meeting.url}"' in page  # the source page


def test_group_by_meeting_counts_add_up(client, sample_search):
    total, groups = aggregates.grouped_by_meeting(sample_search, SearchRequest(q="防災", limit=100))
    result = sample_search.search(SearchRequest(q="防災"))
    assert sum(g.hits for g in groups) == result.total and total == len(groups)
    page = text_of(client.get("/?q=防災&view=meeting"))
    assert f"（{total} 会議）" in page and page.count('<li class="group">') == min(total, 20)


def test_kwic_has_one_line_per_occurrence(client, sample_search):
    result = sample_search.search(SearchRequest(q="データセンター", limit=20))
    occurrences = sum(h.text.count("データセンター") for h in result.hits)
    page = text_of(client.get("/?q=データセンター&view=kwic"))
    rows = re.findall(r'<td class="left">(.*?)</td><td class="kw"><mark>(.*?)</mark></td>', page)
    assert len(rows) == occurrences and all(word == "データセンター" for _, word in rows)


def test_trend_counts_per_year_and_split(sample_search):
    result = sample_search.search(SearchRequest(q="防災"))
    by_year = aggregates.trend(sample_search, SearchRequest(q="防災"))
    assert sum(sum(c.values()) for c in by_year.values()) == result.total
    assert {y: sum(c.values()) for y, c in by_year.items()} == result.facets["year"]
    split = aggregates.trend(sample_search, SearchRequest(q="防災"), split="committee")
    assert {y: sum(c.values()) for y, c in split.items()} == result.facets["year"]
    assert {name for c in split.values() for name in c} == set(result.facets["committee"])
    months = aggregates.trend(sample_search, SearchRequest(q="防災"), period="month")
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)


def test_chart_bars_link_to_their_period(client, sample_search):
    page = text_of(client.get("/?q=防災"))
    svg = page[page.index("<svg") : page.index("</svg>")]
    links = [unescape(h) for h in re.findall(r'<a href="([^"]+)">', svg)]
    years = aggregates.trend(sample_search, SearchRequest(q="防災"))
    assert len(links) == len(years)
    year = list(years)[0]
    link = next(h for h in links if f"year={year}" in h)
    narrowed = text_of(client.get(link))
    assert f"{sum(years[year].values())} 件" in narrowed
    month_page = text_of(client.get("/?q=防災&period=month"))
    month_link = unescape(re.search(r'<a href="([^"]*month=\d{4}-\d{2}[^"]*)">', month_page).group(1))
    assert client.get(month_link).status_code == 200
    assert client.get("/trend.svg?q=防災").mimetype == "image/svg+xml"


def test_atom_feed_has_the_newest_matching_utterances(client, sample_search):
    response = client.get("/feed?q=データセンター&role=部長")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    entries = root.findall(f"{ATOM}entry")
    expected = sample_search.search(SearchRequest(q="データセンター", roles=["部長"], sort="date_desc", limit=50))
    assert len(entries) == len(expected.hits) > 0
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert all("データセンター" in e.find(f"{ATOM}summary").text for e in entries)
    assert all("#u" in e.find(f"{ATOM}id").text for e in entries)


def test_csv_export_has_a_bom_and_every_row(client, sample_search):
    response = client.get("/export.csv?q=防災")
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == sample_search.search(SearchRequest(q="防災")).total
    assert rows[0]["permalink"].startswith("http") and "#u" in rows[0]["permalink"]


def test_exports_are_capped_and_say_so(app, sample_search):
    app.config["EXPORT_CAP"] = 5
    client = app.test_client()
    total = sample_search.search(SearchRequest(q="防災")).total
    data = json.loads(client.get("/export.json?q=防災").get_data(as_text=True))
    assert len(data["records"]) == 5
    assert (data["count"], data["total"], data["cap"], data["truncated"]) == (5, total, 5, True)
    csv_text = client.get("/export.csv?q=防災").get_data(as_text=True)
    assert f"# truncated: 5 of {total} rows" in csv_text
    assert "最大 5 件" in client.get("/?q=防災").get_data(as_text=True)


def test_bad_export_and_feed_parameters_are_400(client):
    assert client.get('/export.csv?q="未完').status_code == 400
    assert client.get("/feed?from=yesterday").status_code == 400


def test_sitemap_and_meetings_list_every_meeting(client, sample_settings):
    ids = RecordStore(sample_settings.records_dir).ids()
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert {loc.rsplit("/", 1)[1] for loc in locs if "/m/" in loc} == set(ids)
    listing = text_of(client.get("/meetings"))
    assert all(f'href="/m/{mid}"' in listing for mid in ids)
    assert "Sitemap:" in text_of(client.get("/robots.txt"))


def test_pages_have_titles_and_descriptions(client, sample_settings):
    meeting = next(iter(RecordStore(sample_settings.records_dir)))
    for path, title_part in [
        ("/", "会議録検索"),
        (f"/m/{meeting.id}", meeting.title),
        ("/?q=防災", "「防災」の検索結果"),
        ("/meetings", "会議録一覧"),
    ]:
        page = text_of(client.get(path))
        assert title_part in re.search(r"<title>(.*?)</title>", page).group(1)
        assert re.search(r'<meta name="description" content="[^"]+">', page)
