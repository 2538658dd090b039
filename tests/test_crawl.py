"""The crawler and the nightly reindex against a real HTTP site on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.crawl.fetch import Fetcher
from indexer.crawl.profiles import SiteProfile
from indexer.index.generations import current_generation
from indexer.parse.corpora import diet_records
from indexer.pipeline import AlreadyRunning, crawl, reindex, run_lock
from indexer.settings import Settings
from indexer.store.raw_store import RawStore
from indexer.store.record_store import RecordStore
from tests.conftest import ROOT, search_total
from tests.site_server import SAMPLE, FakeCitySite

DIET = ROOT.parent / "shared" / "corpora" / "diet"


def profile_for(site: FakeCitySite, **overrides) -> SiteProfile:
    options = dict(
        name="test",
        start_urls=[site.base + "/kaigi/index.html"],
        allowed_hosts=["127.0.0.1"],
        listing_patterns=[r"/kaigi/(index|list\d+)\.html$"],
        minutes_patterns=[r"/kaigi/p[^/]*\.html$", r"/private/p\d+\.html$"],
        delay_seconds=0,
        timeout_seconds=0.5,
        max_bytes=200_000,
        retries=1,
        backoff_seconds=0.01,
    )
    options.update(overrides)
    return SiteProfile(**options)


@pytest.fixture()
def site():
    with FakeCitySite(slow_seconds=1.5) as running:
        yield running


def test_first_crawl_fetches_exactly_what_it_should_and_reports_the_rest(site, tmp_path):
    settings = Settings(tmp_path)
    summary = reindex(settings, [profile_for(site)])
    # Listing pages (index, list2) and minutes pages p1 p2 p3→p3new p4 p500 pnews were stored.
    assert summary.fetched == 8 and summary.new == 6
    assert summary.parsed == 5
    reasons = " | ".join(reason for _, reason in summary.failed)
    assert "pslow.html" in reasons and "Timeout" in reasons
    assert "pbig.html" in reasons and "cap" in reasons
    assert "pnews.html" in reasons and "no record section" in reasons
    assert len(summary.failed) == 3
    assert summary.gone == [site.base + "/kaigi/p404.html"]
    assert summary.robots_blocked == [site.base + "/private/p9.html"]
    assert summary.refused == ["http://other.example.invalid/kaigi/p7.html"]
    assert site.count("/private/p9.html") == 0 and site.count("/about.html") == 0
    assert site.count("/kaigi/p500.html") == 2  # a 500, then a successful retry
    assert site.count("/kaigi/index.html") == 1  # linked to itself, fetched once
    # The redirect was followed within the host; the Shift_JIS page parsed.
    raw = RawStore(settings.raw_dir)
    assert raw.get(site.base + "/kaigi/p3.html").final_url == site.base + "/kaigi/p3new.html"
    assert raw.get(site.base + "/kaigi/pnews.html").parse_status == "not_minutes"
    assert raw.body(raw.get(site.base + "/kaigi/pnews.html")).startswith(b"<html>")  # kept
    raw.close()
    assert len(RecordStore(settings.records_dir)) == 5
    assert summary.utterances_indexed > 0 and current_generation(settings.index_dir)
    assert search_total(settings, "データセンター") > 0


def test_unchanged_recrawl_reparses_and_reindexes_nothing(site, tmp_path):
    settings = Settings(tmp_path)
    first = reindex(settings, [profile_for(site)])
    raw = RawStore(settings.raw_dir)
    manifest_before = {p.url: (p.sha256, p.parse_status, p.parser_version) for p in raw.pages()}
    raw.close()
    record_mtimes = {p: p.stat().st_mtime_ns for p in settings.records_dir.glob("*.json")}
    site.requests.clear()
    second = reindex(settings, [profile_for(site)])
    raw = RawStore(settings.raw_dir)
    assert {p.url: (p.sha256, p.parse_status, p.parser_version) for p in raw.pages()} == manifest_before
    assert [p.status for p in raw.pages() if p.kind == "minutes"] == [304] * 6
    raw.close()
    assert {p: p.stat().st_mtime_ns for p in settings.records_dir.glob("*.json")} == record_mtimes
    assert second.fetched == 0 and second.new == 0 and second.changed == 0
    assert second.not_modified == 8  # every stored page (2 listings, 6 minutes pages) answered 304
    assert second.parsed == 0 and second.meetings_changed == 0 and second.utterances_indexed == 0
    assert second.generation == first.generation
    statuses = {path: status for path, status in site.requests if path.startswith("/kaigi/p")}
    assert statuses["/kaigi/p1.html"] == 304 and statuses["/kaigi/p2.html"] == 304


def test_a_changed_page_updates_only_its_meeting(site, tmp_path):
    settings = Settings(tmp_path)
    first = reindex(settings, [profile_for(site)])
    body = (SAMPLE / "p001.html").read_text(encoding="utf-8")
    marker = "ただいまから会議を開会いたします。"
    assert marker in body
    site.set_page("/kaigi/p1.html", body.replace(marker, "ただいまから臨時の水道料金協議を始めます。").encode())
    third = reindex(settings, [profile_for(site)])
    assert third.changed == 1 and third.parsed == 1 and third.meetings_changed == 1
    assert third.generation != first.generation
    meeting = next(m for m in RecordStore(settings.records_dir) if any("水道料金" in u.text for u in m.utterances))
    assert third.utterances_indexed == len(meeting.utterances)
    assert search_total(settings, "水道料金") == 1


def test_gone_pages_are_reported_and_kept_unless_the_profile_drops_them(site, tmp_path):
    settings = Settings(tmp_path)
    reindex(settings, [profile_for(site)])
    before = len(RecordStore(settings.records_dir))
    site.remove_page("/kaigi/p4.html")
    kept = reindex(settings, [profile_for(site)])
    assert site.base + "/kaigi/p4.html" in kept.gone
    assert len(RecordStore(settings.records_dir)) == before
    dropped = reindex(settings, [profile_for(site, drop_gone=True)])
    assert dropped.meetings_removed == 1
    assert len(RecordStore(settings.records_dir)) == before - 1


def test_fetcher_waits_between_requests_and_honours_retry_after(site):
    slept = []
    clock = iter(range(1000))
    fetcher = Fetcher(
        user_agent="t",
        allowed_hosts=["127.0.0.1"],
        delay_seconds=5.0,
        retries=2,
        backoff_seconds=0.5,
        sleep=slept.append,
        clock=lambda: next(clock) * 0.001,
    )
    site.set_page("/kaigi/p1.html", b"<html>1</html>")
    site.pages["/kaigi/p429.html"] = (b"<html>ok</html>", "text/html")
    assert fetcher.fetch(site.base + "/kaigi/p1.html").ok
    assert fetcher.fetch(site.base + "/kaigi/p429.html").ok
    assert 1.0 in slept  # Retry-After: 1
    assert sum(1 for s in slept if s > 4.9) >= 2  # the per-host delay before each later request
    fetcher.close()


def test_fetcher_sends_conditional_headers_and_refuses_off_site_redirects(site):
    fetcher = Fetcher(user_agent="t", allowed_hosts=["127.0.0.1"], delay_seconds=0)
    first = fetcher.fetch(site.base + "/kaigi/p1.html")
    again = fetcher.fetch(site.base + "/kaigi/p1.html", etag=first.headers["etag"])
    assert again.not_modified and again.body == b""
    off = fetcher.fetch(site.base + "/kaigi/poff.html")
    assert off.error and "leaves the allowed hosts" in off.error
    fetcher.close()


@pytest.mark.skipif(not DIET.exists(), reason="../shared/corpora is not here")
def test_ndl_api_adapter_pages_through_a_fake_api(site, tmp_path):
    path = next(p for p in sorted(DIET.glob("*.json")) if p.stat().st_size < 100_000)
    site.api_records = diet_records([path])
    profile = SiteProfile(
        name="ndl",
        kind="ndl",
        api_url=site.base + "/api/speech",
        allowed_hosts=["127.0.0.1"],
        delay_seconds=0,
        maximum_records=7,
        query={"from": "2025-01-01"},
    )
    settings = Settings(tmp_path)
    summary = crawl(settings, [profile])
    pages = -(-len(site.api_records) // 7)
    assert summary.fetched == pages == site.count("/api/speech")
    meetings = list(RecordStore(settings.records_dir))
    issues = {r["issueID"] for r in site.api_records}
    assert len(meetings) == len(issues)
    speeches = [r for r in site.api_records if r["speechOrder"] > 0]
    assert sum(len(m.utterances) for m in meetings) == len(speeches)
    by_date = {r["issueID"]: r["date"] for r in site.api_records}
    for meeting in meetings:
        assert meeting.date.isoformat() in by_date.values()
        for u in meeting.utterances:
            assert u.role and u.speaker and not u.text.startswith("○")
    again = crawl(settings, [profile])
    assert again.new == 0 and again.changed == 0


def test_a_second_run_exits_at_once_while_one_holds_the_lock(tmp_path):
    settings = Settings(tmp_path)
    with run_lock(settings):
        with pytest.raises(AlreadyRunning, match="another crawl or reindex"):
            with run_lock(settings):
                pass
    with run_lock(settings):  # released after the first run
        pass


def write_config(path, site: FakeCitySite, start: str, listing: str, minutes: str, **options) -> Path:
    """Write a one-site minutes.toml for the fake site; options are extra keys (numbers)."""
    extra = "".join(f"{key} = {value}\n" for key, value in options.items())
    path.write_text(
        f"""[[site]]
name = "test"
start_urls = ["{site.base}{start}"]
allowed_hosts = ["127.0.0.1"]
listing_patterns = ['{listing}']
minutes_patterns = ['{minutes}']
{extra}""",
        encoding="utf-8",
    )
    return path


def _cli(*args, env=None):
    return [sys.executable, "-m", "search_web.cli", *args]


def test_reindex_killed_part_way_leaves_the_old_index_and_the_next_run_completes(site, tmp_path):
    config = write_config(
        tmp_path / "sites.toml",
        site,
        "/kaigi/index.html",
        r"/kaigi/(index|list\d+)\.html$",
        r"/kaigi/p[^/]*\.html$",
        delay_seconds=0.25,
        timeout_seconds=0.5,
        max_bytes=200000,
        retries=1,
        backoff_seconds=0.01,
    )
    data = tmp_path / "data"
    env = {**os.environ, "MINUTES_DATA_DIR": str(data)}
    done = subprocess.run(
        _cli("reindex", "--config", str(config)), env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert "utterances indexed" in done.stdout, done.stderr
    settings = Settings(data)
    old_generation = current_generation(settings.index_dir)
    old_total = search_total(settings, "会議")
    body = (SAMPLE / "p001.html").read_text(encoding="utf-8")
    site.set_page(
        "/kaigi/p1.html", body.replace("ただいまから会議を開会いたします。", "臨時の水道料金協議を始めます。").encode()
    )
    process = subprocess.Popen(
        _cli("reindex", "--config", str(config)), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    time.sleep(1.0)  # part-way through the crawl (a request every 0.25 s)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert current_generation(settings.index_dir) == old_generation
    assert search_total(settings, "会議") == old_total
    again = subprocess.run(
        _cli("reindex", "--config", str(config)), env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert "utterances indexed" in again.stdout, again.stderr
    assert current_generation(settings.index_dir) != old_generation
    assert search_total(settings, "水道料金") == 1


def _nightly_setup(site, tmp_path, **settings: str) -> tuple[Path, dict]:
    """Return the data folder and the environment scripts/nightly-reindex runs with over one site's profile."""
    config = write_config(
        tmp_path / "sites.toml",
        site,
        "/kaigi/list2.html",
        r"/kaigi/list\d+\.html$",
        r"/kaigi/p4\.html$",
        delay_seconds=0,
    )
    data = tmp_path / "data"
    env = {
        **os.environ,
        "MINUTES_DATA_DIR": str(data),
        "MINUTES_CONFIG": str(config),
        "MINUTES_BIN": str(Path(sys.executable).parent / "minutes"),
        **settings,
    }
    return data, env


def test_nightly_script_logs_to_a_file_and_a_second_run_exits_at_once(site, tmp_path):
    data, env = _nightly_setup(site, tmp_path, MINUTES_KEEP="2")
    done = subprocess.run(
        [str(ROOT / "scripts" / "nightly-reindex")], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    logs = list((data / "logs").glob("reindex-*.log"))
    assert len(logs) == 1 and "utterances indexed" in logs[0].read_text()
    with run_lock(Settings(data)):
        blocked = subprocess.run(
            [str(ROOT / "scripts" / "nightly-reindex")], env=env, capture_output=True, text=True, timeout=120
        )
    assert blocked.returncode == 75 and "another reindex is running" in blocked.stderr
    assert "another crawl or reindex is running" in logs[0].read_text()


def test_crawler_never_leaves_the_allowed_hosts_and_bounds_every_response(site, tmp_path):
    import tracemalloc

    profile = profile_for(
        site,
        start_urls=[site.base + "/kaigi/hostile-links.html"],
        listing_patterns=[r"/kaigi/hostile-links\.html$"],
        minutes_patterns=[r"/kaigi/p[^/]*\.html$"],
        max_bytes=1_000_000,
        timeout_seconds=5,
    )
    tracemalloc.start()
    summary = crawl(Settings(tmp_path), [profile])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    refused = set(summary.refused)
    for url in (
        "http://10.0.0.1/kaigi/p1.html",
        "http://192.168.1.1/kaigi/p2.html",
        "http://169.254.169.254/latest/",
        "http://[::1]/kaigi/p3.html",
        "file:///etc/passwd",
        "ftp://127.0.0.1/kaigi/p4.html",
        "http://evil.example/kaigi/p5.html",
        "http://127.0.0.1.evil.example/kaigi/p6.html",
    ):
        assert url in refused, url
    assert any("10.0.0.1" in r and "redirect" in r for r in refused)  # the redirect to a private address
    reasons = " ".join(reason for _, reason in summary.failed)
    assert "pendless.html" in reasons and "cap" in reasons
    assert peak < 30_000_000  # the endless body was cut at the 1 MB cap, not buffered
    requested = {path for path, _ in site.requests}
    assert not any("passwd" in p or "evil" in p for p in requested)


def test_a_listing_that_links_to_itself_forever_ends(site, tmp_path):
    profile = profile_for(
        site,
        start_urls=[site.base + "/kaigi/loop.html?n=0"],
        listing_patterns=[r"/kaigi/loop\.html"],
        minutes_patterns=[],
        max_pages=25,
    )
    started = time.monotonic()
    summary = crawl(Settings(tmp_path), [profile])
    assert site.count("/kaigi/loop.html") == 25  # each new ?n= is a new page; max_pages stops it
    assert time.monotonic() - started < 30 and not summary.failed


def test_two_reindexes_started_together_one_runs_one_exits(site, tmp_path):
    config = write_config(
        tmp_path / "sites.toml",
        site,
        "/kaigi/list2.html",
        r"/kaigi/list\d+\.html$",
        r"/kaigi/p4\.html$",
        delay_seconds=0.5,
    )
    env = {**os.environ, "MINUTES_DATA_DIR": str(tmp_path / "data")}
    both = [
        subprocess.Popen(
            _cli("reindex", "--config", str(config)),
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = sorted((p.wait(timeout=120), p.stderr.read()) for p in both)
    assert [code for code, _ in outcomes] == [0, 75]
    assert "another crawl or reindex is running" in outcomes[1][1]


def test_nightly_script_rebuilds_the_xapian_shards_when_that_is_the_backend(site, tmp_path):
    pytest.importorskip("xapian")
    from indexer.search.backends import open_backend
    from indexer.search.engine import SearchRequest

    data, env = _nightly_setup(site, tmp_path, MINUTES_BACKEND="xapian")
    done = subprocess.run(
        [str(ROOT / "scripts" / "nightly-reindex")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    log = next((data / "logs").glob("reindex-*.log")).read_text()
    assert "utterances indexed" in log and "start xapian-build" in log and "2 shards" in log
    settings = Settings(data)
    request = SearchRequest(q="会議")
    assert open_backend(settings, "xapian").search(request).total == open_backend(settings).search(request).total > 0
