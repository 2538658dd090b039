"""The trend chart's structure and the pages' accessible markup, through Flask's test client (the browser tests
run axe-core on the same pages)."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from html.parser import HTMLParser

import pytest

from indexer.search import aggregates
from indexer.search.engine import SearchRequest
from search_web import chart


def text_of(response):
    return response.get_data(as_text=True)


class Markup(HTMLParser):
    """Collect what the accessibility checks need: headings, inputs and their labels, ids, ARIA attributes."""

    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.inputs: list[tuple[dict, bool]] = []
        self.pressed = 0
        self.open_labels = 0
        self.skip_target: str | None = None
        self.svgs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        """Note one start tag."""
        a = dict(attrs)
        self.ids.add(a.get("id") or "")
        self.pressed += "aria-pressed" in a
        if tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.open_labels += 1
            self.label_for.add(a.get("for") or "")
        elif tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.inputs.append((a, self.open_labels > 0))
        elif tag == "a" and "skip" in (a.get("class") or "") and self.skip_target is None:
            self.skip_target = a.get("href")
        elif tag == "svg":
            self.svgs.append(a)

    def handle_endtag(self, tag):
        """Note one end tag."""
        if tag == "label":
            self.open_labels -= 1


def parsed(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    return markup


@pytest.fixture()
def pages(client, sample_search):
    """Every page type's HTML over the sample."""
    hit = next(h for h in sample_search.search(SearchRequest(q="データセンター", limit=50)).hits if h.seq and h.speaker)
    paths = [
        "/",
        "/?q=データセンター",
        "/?q=データセンター&view=meeting",
        "/?q=データセンター&view=kwic",
        "/?q=データセンター&role=委員",
        "/?q=防災&period=month&split=committee",
        "/?q=存在しない言葉",
        '/?q="未完',
        f"/m/{hit.meeting_id}?q=データセンター",
        f"/m/{hit.meeting_id}/u/{hit.seq}",
        "/speakers",
        f"/speaker/{hit.speaker}",
        "/meetings",
        "/no-such-page",
    ]
    return {path: text_of(client.get(path)) for path in paths}


def test_every_page_has_one_h1_a_skip_link_and_labelled_inputs(pages):
    for path, html in pages.items():
        markup = parsed(html)
        assert markup.h1 == 1, path
        assert markup.skip_target == "#main" and "main" in markup.ids, path
        for attrs, wrapped in markup.inputs:
            labelled = wrapped or attrs.get("id") in markup.label_for or attrs.get("aria-label")
            assert labelled, (path, attrs)
        assert markup.pressed == 0, path


def test_chart_draws_every_year_of_the_range_with_axes_and_a_table(client, sample_search):
    years = aggregates.trend(sample_search, SearchRequest(q="データセンター"))
    first, last = int(min(years)), int(max(years))
    assert len(years) < last - first + 1  # the sample has years without hits (2011, then 2014)
    html = text_of(client.get("/?q=データセンター"))
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' not in svg and 'role="group"' in svg
    links = re.findall(r'<a href="([^"]+)"><title>([^<]+)</title>', svg)
    assert len(links) == len(years)  # a bar with hits is a link; a year without hits is a bar of zero
    for href, title in links:
        year = re.search(r"year=(\d{4})", unescape(href)).group(1)
        assert title == f"{year}年 {sum(years[year].values())}件"
    ticks = [int(t) for t in re.findall(r'text-anchor="end">(\d+)</text>', svg)]
    assert ticks[0] == 0 and len(ticks) >= 2 and ticks[-1] >= max(sum(c.values()) for c in years.values())
    assert ">件数</text>" in svg and ">年</text>" in svg
    table = html[html.index('<details class="chart-data">') : html.index("</details>", html.index("chart-data"))]
    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td class="num">(\d+)</td>', table)
    assert [re.sub("<[^>]+>", "", label) for label, _ in rows] == [f"{y}年" for y in range(first, last + 1)]
    for label, count in rows:
        year = re.sub("<[^>]+>", "", label)[:4]
        assert int(count) == sum(years.get(year, Counter()).values())
        assert ("<a href" in label) == (int(count) > 0)


def test_split_chart_tells_series_apart_by_pattern_and_legend(client, sample_search):
    html = text_of(client.get("/?q=防災&split=committee"))
    svg = html[html.index("<svg") : html.index("</svg>")]
    committees = {
        name
        for counts in aggregates.trend(sample_search, SearchRequest(q="防災"), split="committee").values()
        for name in counts
    }
    assert len(committees) > 1
    fills = set(re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="16" height="\d+" fill="([^"]+)"', svg))
    assert len(fills) == len(committees) and sum(f.startswith("url(#trend-p") for f in fills) == len(committees) - 1
    for fill in fills - {"#0b5cad"}:
        assert f'<pattern id="{fill[5:-1]}"' in svg
    legend = re.findall(r"<text x=\"[\d.]+\" y=\"[\d.]+\">([^<]+)</text>", svg)
    assert {name if len(name) <= 12 else name[:11] + "…" for name in committees} <= set(legend)
    assert re.search(r"<title>\d{4}年 \d+件（[^）]+ \d+件", svg)  # each bar names its series and counts
    assert '<th scope="col">内訳</th>' in html


def test_month_chart_has_every_month_and_labels_that_fit(client):
    html = text_of(client.get("/?q=防災&period=month"))
    table = html[html.index('<details class="chart-data">') :]
    months = re.findall(r'<tr><th scope="row">(?:<a href="[^"]*">)?(\d{4})年(\d+)月', table)
    numbers = [int(y) * 12 + int(m) for y, m in months]
    assert numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 24


def test_periods_ticks_and_series_grouping():
    assert chart.every_period("2011", "2014") == ["2011", "2012", "2013", "2014"]
    assert chart.every_period("2011-11", "2012-02") == ["2011-11", "2011-12", "2012-01", "2012-02"]
    assert chart.nice_ticks(0) == [0, 1] and chart.nice_ticks(2) == [0, 1, 2]
    assert chart.nice_ticks(7) == [0, 2, 4, 6, 8] and chart.nice_ticks(123) == [0, 50, 100, 150]
    for top in range(0, 2000, 7):
        ticks = chart.nice_ticks(top)
        assert 2 <= len(ticks) <= 6 and ticks[-1] >= top, top
    data = {"2011": Counter({f"会議{i}": i + 1 for i in range(12)}), "2013": Counter({"会議0": 5})}
    grouped = chart.complete(data)
    assert list(grouped) == ["2011", "2012", "2013"] and grouped["2012"] == Counter()
    assert len(grouped["2011"]) == chart.MAX_SERIES and chart.OTHERS in grouped["2011"]
    assert sum(grouped["2011"].values()) == sum(data["2011"].values())
    assert chart.series_names(grouped)[-1] == chart.OTHERS
    svg = chart.svg_bar_chart(grouped, lambda when: f"?year={when}", "年ごとの該当件数")
    assert svg.count("<a href=") == 2 and svg.count("<pattern ") == chart.MAX_SERIES - 1


def test_trend_svg_alone_is_the_same_chart(client):
    svg = text_of(client.get("/trend.svg?q=防災"))
    assert svg.startswith("<svg") and "<title>年ごとの該当件数</title>" in svg and 'role="img"' not in svg


def test_phone_layout_has_a_link_to_the_filters(client):
    html = text_of(client.get("/?q=防災"))
    assert html.index('href="#facets"') < html.index('<ol class="hits"') and 'id="facets"' in html


@pytest.mark.parametrize("period", ["year", "month"])
def test_each_bar_links_the_same_search_narrowed_to_its_period(client, period):
    from urllib.parse import parse_qsl, urlencode, urlsplit

    args = [("q", "防災 対策"), ("period", period), ("split", "role"), ("page", "1")]
    response = client.get("/?" + urlencode(args))
    html = text_of(response)
    assert response.status_code == 200 and "chart-data" in html, html[html.find("<main") :][:600]
    table = html[html.index('<details class="chart-data">') :]
    hrefs = [unescape(h) for h in re.findall(r'<th scope="row"><a href="([^"]+)">', table)]
    assert hrefs
    field = "month" if period == "month" else "year"
    for href in hrefs:
        found = parse_qsl(urlsplit(href).query)
        when = dict(found)[field]
        assert re.fullmatch(r"\d{4}" + (r"-\d{2}" if period == "month" else ""), when)
        assert found == [(k, v) for k, v in args if k != "page"] + [(field, when)]
