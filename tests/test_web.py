"""The web pages through Flask's test client."""

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

from indexer.store.record_store import RecordStore
from indexer.text.normalize import normalize_text


def text_of(response):
    return response.get_data(as_text=True)


def test_home_page_has_a_search_box(client):
    page = text_of(client.get("/"))
    assert '<form class="search"' in page and 'name="q"' in page and 'lang="ja"' in page
    assert 'name="viewport"' in page


def test_results_show_hits_snippets_and_facets(client):
    response = client.get("/?q=データセンター")
    page = text_of(response)
    assert response.status_code == 200
    assert "<mark>データセンター</mark>" in page
    assert 'class="facet facet-committee"' in page and 'class="facet facet-role"' in page
    total = int(re.search(r"(\d+) 件", page).group(1))
    assert total > 0
    assert page.count('<li class="hit">') == min(total, 20)


def test_facet_links_toggle_a_filter(client):
    page = text_of(client.get("/?q=データセンター"))
    link = unescape(re.search(r'<a href="(\?[^"]*role=[^"]*)"', page).group(1))
    role = parse_qs(urlparse(link).query)["role"][0]
    filtered = text_of(client.get("/" + link))
    assert 'aria-current="true"' in filtered and "aria-pressed" not in filtered
    whos = re.findall(r'<span class="who">([^<（]+)', filtered)
    assert whos and all(w == role for w in whos)
    untoggle = unescape(re.search(r'<a href="(\?[^"]*)" class="selected" aria-current="true"', filtered).group(1))
    assert "role=" not in untoggle


def test_date_range_and_pagination(client):
    page = text_of(client.get("/?from=2019-01-01&until=2022-12-31"))
    dates = re.findall(r'<span class="date">([\d-]+)</span>', page)
    assert dates and all("2019-01-01" <= d <= "2022-12-31" for d in dates)
    assert 'aria-label="ページ"' in page
    second = text_of(client.get("/?from=2019-01-01&until=2022-12-31&page=2"))
    assert re.findall(r'<span class="date">', second)
    assert re.search(r'<ol class="hits" start="21">', second)


def test_meeting_page_has_every_utterance_with_an_anchor(client, sample_settings):
    meeting = next(iter(RecordStore(sample_settings.records_dir)))
    page = text_of(client.get(f"/m/{meeting.id}?q=委員"))
    anchors = re.findall(r'<li id="u(\d+)"', page)
    assert [int(a) for a in anchors] == [u.seq for u in meeting.utterances]
    assert meeting.url in page
    assert "<mark>" in page and 'class="utterance hit' in page
    assert f"<title>{meeting.title}" in page


def test_hits_link_to_their_anchor_in_the_meeting_page(client):
    page = text_of(client.get("/?q=データセンター"))
    href = unescape(re.search(r'<a class="open" href="([^"]+)"', page).group(1))
    path, anchor = href.split("#")
    meeting_page = text_of(client.get(path))
    assert f'id="{anchor}"' in meeting_page


def test_everything_from_queries_and_pages_is_escaped(client):
    payload = '"><script>alert(1)</script>'
    page = text_of(client.get("/", query_string={"q": payload}))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page or "&#34;&gt;&lt;script&gt;" in page


def test_bad_queries_and_dates_get_friendly_messages(client):
    for query in ({"q": '"未完'}, {"q": "OR"}, {"q": "x" * 1000}, {"q": "防災", "from": "昨日"}):
        response = client.get("/", query_string=query)
        assert response.status_code == 200
        assert 'class="error"' in text_of(response)


def test_unknown_meeting_is_a_friendly_404(client):
    response = client.get("/m/doesnotexist")
    assert response.status_code == 404 and "見つかりません" in text_of(response)


def test_missing_index_is_a_503_with_a_message(tmp_path):
    from search_web import create_app

    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)}).test_client()
    response = client.get("/?q=防災")
    assert response.status_code == 503 and "minutes index" in text_of(response)


def test_search_on_the_page_matches_the_library(client, sample_search):
    from indexer.search.engine import SearchRequest

    expected = sample_search.search(SearchRequest(q="保育所", limit=20))
    page = text_of(client.get("/?q=保育所"))
    assert f"{expected.total} 件" in page
    assert normalize_text("保育所") in page


def test_synonym_expansion_is_shown_and_can_be_turned_off(client):
    page = text_of(client.get("/?q=BCP"))
    assert "同義語・略語を含めて検索しました" in page and "業務継続計画" in page
    off = unescape(re.search(r'<a href="([^"]+)" class="expand-toggle"', page).group(1))
    assert "expand=0" in off
    plain = text_of(client.get("/" + off))
    assert "同義語・略語を使わずに検索しています" in plain
    assert '<input type="hidden" name="expand" value="0">' in plain
    hits_on = int(re.search(r"(\d+) 件", page).group(1))
    hits_off = int(re.search(r"(\d+) 件", plain).group(1))
    assert hits_on > hits_off


def test_a_page_past_the_end_goes_to_the_last_page(client, sample_search):
    from indexer.search.engine import SearchRequest

    total = sample_search.search(SearchRequest(q="防災")).total
    last = (total + 19) // 20
    assert last > 1
    response = client.get("/?q=防災&sort=date_asc&page=99")
    assert response.status_code == 302
    target = urlparse(response.headers["Location"])
    assert parse_qs(target.query) == {"q": ["防災"], "sort": ["date_asc"], "page": [str(last)]}
    page = text_of(client.get("/?q=防災&sort=date_asc&page=99", follow_redirects=True))
    assert f"{total} 件（{(last - 1) * 20 + 1}〜{total} 件目）" in page
    assert page.count('<li class="hit">') == total - (last - 1) * 20
    by_meeting = client.get("/?q=防災&view=meeting&page=99")
    assert by_meeting.status_code == 302 and "page=1" in by_meeting.headers["Location"]
    assert client.get(f"/?q=防災&page={last}").status_code == 200
    nothing = client.get("/?q=存在しない語句ですよ&page=3")
    assert nothing.status_code == 302 and "page=1" in nothing.headers["Location"]


def test_from_after_until_gets_a_friendly_message(client):
    response = client.get("/", query_string={"q": "防災", "from": "2023-01-01", "until": "2020-01-01"})
    page = text_of(response)
    assert response.status_code == 200
    assert re.search(r'<p class="error"[^>]*>開始日（2023-01-01）が終了日（2020-01-01）より後', page)
    assert 'value="2023-01-01"' in page  # the form keeps what was typed, to be corrected
    for path in ("/export.csv", "/export.json", "/feed", "/trend.svg"):
        refused = client.get(path, query_string={"q": "防災", "from": "2023-01-01", "until": "2020-01-01"})
        assert refused.status_code == 400 and "開始日" in text_of(refused), path


def test_exports_name_one_charset(client):
    csv_response = client.get("/export.csv?q=防災")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.get_data().startswith("\ufeffmeeting_id,".encode())
    assert client.get("/export.json?q=防災").headers["Content-Type"] == "application/json"
    assert client.get("/feed?q=防災").headers["Content-Type"] == "application/atom+xml; charset=utf-8"
