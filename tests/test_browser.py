"""The main flows in a real headless Chromium (Debian's package) driven by Playwright, and axe-core's accessibility
checks, keyboard use and phone width on every page type."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.serving import make_server

from tests.conftest import ROOT

CHROMIUM = os.environ.get("MINUTES_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = Path(os.environ.get("MINUTES_AXE_JS") or ROOT / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js")
ARTIFACTS = ROOT / "test-artifacts"
INSTALL = "apt-get install chromium fonts-noto-cjk nodejs npm, then scripts/setup-venv (it npm-installs axe-core)"
# WCAG 2.0 and 2.1 A and AA (JIS X 8341-3:2016 AA is WCAG 2.0 AA) and axe's best practices (one h1, landmarks …).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
WIDTHS = (1280, 390)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FOCUS = """selector => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {matches: el.matches(selector), visible: outline || style.boxShadow !== 'none',
          what: el.outerHTML.slice(0, 120)};
}"""


def missing_requirements() -> list[str]:
    """Name what the browser tests need and this machine lacks."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Debian's chromium (not at {CHROMIUM})")
    fonts = (
        subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True)
        if shutil.which("fc-list")
        else None
    )
    if fonts is None or "Noto Sans CJK" not in fonts.stdout:
        missing.append("the Japanese font (fonts-noto-cjk)")
    if not AXE_JS.is_file():
        missing.append(f"axe-core ({AXE_JS})")
    return missing


@pytest.fixture(scope="module")
def browser():
    missing = missing_requirements()
    if missing:
        message = (
            f"the browser tests need {'; '.join(missing)}: {INSTALL}. Set MINUTES_SKIP_BROWSER_TESTS=1 to skip them."
        )
        if os.environ.get("MINUTES_SKIP_BROWSER_TESTS") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def serve(app):
    """Serve a WSGI app on 127.0.0.1 in a thread; return its base URL and the server (to shut down)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_port}", httpd


@pytest.fixture(scope="module")
def server(sample_settings):
    from search_web import create_app

    base, httpd = serve(create_app({"DATA_DIR": str(sample_settings.data_dir)}))
    yield base
    httpd.shutdown()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert not errors, errors


def sample_pages(sample_search) -> dict[str, str]:
    """Return a path of every page type over the sample: results in each view, with a facet, empty, without hits,
    with a bad query, a meeting, a context, the speaker and meeting lists, one speaker, the error page."""
    from indexer.search.engine import SearchRequest

    hit = next(h for h in sample_search.search(SearchRequest(q="データセンター", limit=50)).hits if h.seq and h.speaker)
    return {
        "results": "/?q=データセンター",
        "results by meeting": "/?q=データセンター&view=meeting",
        "kwic": "/?q=データセンター&view=kwic",
        "facet selected": "/?q=データセンター&role=委員",
        "chart by month and committee": "/?q=防災&period=month&split=committee",
        "chart by role": "/?q=防災&split=role",
        "filters only": "/?committee=" + quote(hit.committee),
        "empty query": "/?q=",
        "no hits": "/?q=" + quote("存在しない言葉"),
        "bad query": "/?q=" + quote('"未完'),
        "meeting": f"/m/{hit.meeting_id}?q=データセンター#u{hit.seq}",
        "context": f"/m/{hit.meeting_id}/u/{hit.seq}?q=データセンター",
        "speakers": "/speakers",
        "speaker": "/speaker/" + quote(hit.speaker or ""),
        "meetings": "/meetings",
        "error": "/no-such-page",
    }


def run_axe(page) -> list[dict]:
    """Inject axe-core into the page (the context bypasses the app's CSP for it) and return its violations."""
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """options => axe.run(document, options).then(results => results.violations.map(v => ({
             id: v.id, help: v.help, nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' ' + n.failureSummary)
           })))""",
        AXE_OPTIONS,
    )


def check_pages(browser, base: str, paths: dict[str, str], width: int, shots=(), prefix: str = "") -> list[str]:
    """Load each page at the width with every <details> open; return axe's violations and any horizontal overflow,
    and save a screenshot of the pages named in shots (test-artifacts/<prefix><name>-<width>.png)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP", bypass_csp=True)
    page = context.new_page()
    problems = []
    for name, path in paths.items():
        page.goto(base + path)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        for violation in run_axe(page):
            problems.append(
                f"{name} ({path}) at {width}px: {violation['id']}: {violation['help']}: {violation['nodes']}"
            )
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            problems.append(f"{name} ({path}) at {width}px: {scroll - client}px of horizontal overflow")
        if name in shots:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{prefix}{name.replace(' ', '-')}-{width}.png"), full_page=True)
    context.close()
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_type_passes_axe_and_fits_the_width(browser, server, sample_search, width):
    shots = ("results", "kwic", "chart by month and committee", "meeting", "context")
    problems = check_pages(browser, server, sample_pages(sample_search), width, shots)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def long_server(tmp_path_factory):
    """A site whose meeting has a very long source URL, long unbroken words and names, and ten committees over
    years with gaps, for the phone width."""
    from indexer.index.build import build_index
    from indexer.records import Meeting, Utterance
    from search_web import create_app

    data = tmp_path_factory.mktemp("long-browser")
    token = "https://www.city.example.lg.jp/kaigiroku/" + "abcdefghij" * 20
    meetings = []
    for i, year in enumerate((2011, 2014, 2014, 2015, 2018, 2019, 2020, 2021, 2023, 2024)):
        committee = f"第{i + 1}回さくら市都市計画及び景観まちづくり総合審議会専門部会" + "長" * i
        utterances = [
            Utterance(f"long{i}", 1, "委員長", "山田太郎左衛門" * 3, f"防災について {token} を参照してください。"),
            Utterance(f"long{i}", 2, "危機管理部長", "佐藤", "防災" + "拠点" * 80 + "を整備します。"),
        ]
        meetings.append(
            Meeting(
                id=f"long{i}",
                url=token + f"/{i}.html",
                title=f"{committee} 会議録",
                committee=committee,
                date=date(year, 1 + i, 10),
                agenda=["防災" * 40],
                utterances=utterances,
            )
        )
    build_index(meetings, data / "index")
    base, httpd = serve(create_app({"DATA_DIR": str(data)}))
    yield base
    httpd.shutdown()


def test_long_urls_words_and_names_fit_a_phone(browser, long_server):
    paths = {
        "results": "/?q=防災",
        "kwic": "/?q=防災&view=kwic",
        "results by meeting": "/?q=防災&view=meeting",
        "chart by month and committee": "/?q=防災&period=month&split=committee",
        "meeting": "/m/long1",
        "context": "/m/long1/u/2",
        "speakers": "/speakers",
        "meetings": "/meetings",
    }
    problems = check_pages(browser, long_server, paths, 390, shots=("kwic", "meeting", "context"), prefix="long-")
    assert not problems, "\n".join(problems)


def tab_to(page, selector: str, limit: int = 300) -> dict:
    """Press Tab until the focused element matches selector; every element focused on the way must show focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS, selector)
        if focused is None:
            continue
        assert focused["visible"], f"no visible focus style on {focused['what']} at {page.url}"
        if focused["matches"]:
            return focused
    raise AssertionError(f"Tab never reached {selector} at {page.url}")


def test_keyboard_only_search_facet_hit_context(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + "/")
    tab_to(page, "a.skip", limit=1)
    assert page.locator("a.skip").bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    tab_to(page, "input[name=q]", limit=1)  # the skip link leads straight to the main content
    page.keyboard.type("データセンター")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("li.hit").count() > 0
    tab_to(page, ".facet-role a")
    role = page.evaluate("document.activeElement.textContent").strip()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "role=" in page.url
    assert page.locator(".facet-role a[aria-current=true]").inner_text().startswith("✓")
    tab_to(page, "li.hit a.context")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/u/" in page.url and page.locator("li.focus .who").inner_text().startswith(role)
    context.close()


def test_phone_results_link_to_the_filters_near_the_top(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + "/?q=防災")
    link = page.locator("a[href='#facets']")
    assert link.is_visible() and link.bounding_box()["y"] < 844
    link.click()
    top = page.locator("#facets").bounding_box()["y"]
    assert page.evaluate("window.scrollY") > 0 and 0 <= top < 844  # scrolled to the filters
    context.close()


def test_search_then_toggle_a_facet_and_save_a_screenshot(page, server):
    page.goto(server + "/")
    page.fill("input[name=q]", "データセンター")
    page.click("form.search button[type=submit]")
    page.wait_for_selector("li.hit")
    assert page.locator("li.hit mark").first.inner_text() == "データセンター"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)
    total_before = int(page.locator("p.summary").inner_text().split(" ")[0])
    facet = page.locator(".facet-role a").first
    role = facet.inner_text().strip()
    facet.click()
    page.wait_for_selector(".facet-role a[aria-current=true]")
    assert "role=" in page.url
    whos = page.locator("li.hit .who").all_inner_texts()
    assert whos and all(w.startswith(role) for w in whos)
    assert int(page.locator("p.summary").inner_text().split(" ")[0]) < total_before


def test_open_context_and_follow_a_permalink(page, server):
    page.goto(server + "/?q=データセンター&role=委員")
    page.locator("a.context").first.click()
    page.wait_for_selector("li.focus")
    assert page.locator("li.focus mark").count() >= 1
    page.locator("li.focus a.anchor").click()
    page.wait_for_load_state()
    anchor = page.url.rsplit("#", 1)[1]
    target = page.locator(f"li#{anchor}")
    assert target.is_visible() and target.evaluate("e => e.matches(':target')")
    box = target.bounding_box()
    assert 0 <= box["y"] < 1000  # scrolled into view


def test_kwic_view_and_a_chart_bar_link(page, server):
    page.goto(server + "/?q=防災")
    page.click("a.view-kwic")
    page.wait_for_selector("table.kwic")
    rows = page.locator("table.kwic tbody tr")
    assert rows.count() >= 1 and page.locator("table.kwic td.kw mark").first.inner_text() == "防災"
    bar = page.locator("svg.trend a").first
    bar.click()
    page.wait_for_load_state()
    assert "year=" in page.url and page.locator("table.kwic").count() == 1


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    from indexer.index.build import build_index
    from indexer.records import Meeting, Utterance
    from search_web import create_app
    from tests.test_safety import PAYLOADS

    data = tmp_path_factory.mktemp("hostile-browser")
    utterances = [Utterance("x1", i + 1, "委員", p, f"防災について {p} 以上です。") for i, p in enumerate(PAYLOADS)]
    build_index(
        [
            Meeting(
                id="x1",
                url="javascript:window.__xss=5",
                title=f"防災会議 {PAYLOADS[1]}",
                committee=PAYLOADS[0],
                date=date(2024, 1, 1),
                agenda=[PAYLOADS[3]],
                utterances=utterances,
            )
        ],
        data / "index",
    )
    base, httpd = serve(create_app({"DATA_DIR": str(data)}))
    yield base
    httpd.shutdown()


def test_script_payloads_in_pages_names_and_queries_never_run(browser, hostile_server):
    from tests.test_safety import PAYLOADS

    context = browser.new_context()
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    paths = [
        "/?q=防災",
        "/?q=防災&view=kwic",
        "/?q=防災&view=meeting",
        "/m/x1",
        "/m/x1/u/2",
        "/speakers",
        "/meetings",
    ] + ["/?q=" + quote(p) for p in PAYLOADS]
    for path in paths:
        page.goto(hostile_server + path)
        assert page.evaluate("typeof window.__xss") == "undefined", path
        assert page.locator("img, svg[onload], script, [onerror]").count() == 0, path
    # Clicking every link on the meeting page never runs the page's javascript: url.
    page.goto(hostile_server + "/m/x1")
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert not any(h and h.lower().startswith("javascript:") for h in hrefs)
    assert not dialogs
    context.close()
