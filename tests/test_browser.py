"""The main flows in a real headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import ROOT

CHROMIUM = os.environ.get("MINUTES_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(sample_settings):
    from search_web import create_app

    app = create_app({"DATA_DIR": str(sample_settings.data_dir)})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert not errors, errors


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
    page.wait_for_selector(".facet-role a[aria-pressed=true]")
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
    rows = page.locator("table.kwic tr")
    assert rows.count() >= 1 and page.locator("table.kwic td.kw mark").first.inner_text() == "防災"
    bar = page.locator("svg.trend a").first
    bar.click()
    page.wait_for_load_state()
    assert "year=" in page.url and page.locator("table.kwic").count() == 1


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    from datetime import date

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
    app = create_app({"DATA_DIR": str(data)})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_script_payloads_in_pages_names_and_queries_never_run(browser, hostile_server):
    from urllib.parse import quote

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
