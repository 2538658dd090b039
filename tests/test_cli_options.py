"""The `minutes` command's shared options, its progress display and the rough edges of parse and search."""

from __future__ import annotations

import io
import json
import logging
import shutil
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import click
import pytest
from click.testing import CliRunner

import indexer.cli
import indexer.progress
from indexer.index.build import build_index
from indexer.progress import ProgressLine, duration
from indexer.store.record_store import RecordStore
from search_web.cli import main
from tests.conftest import SAMPLE_DIR
from tests.site_server import FakeCitySite
from tests.test_crawl import write_config

NO_PROXY = {"http_proxy": None, "HTTP_PROXY": None, "https_proxy": None, "HTTPS_PROXY": None, "no_proxy": "*"}


@pytest.fixture()
def runner():
    return CliRunner()


@pytest.fixture()
def pages(tmp_path):
    """A folder holding three sample pages."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("p001.html", "p002.html", "p003.html"):
        shutil.copy(SAMPLE_DIR / name, folder / name)
    return folder


@pytest.fixture()
def quick_logs(monkeypatch):
    """Make the non-terminal progress display log on every update instead of every five seconds."""
    monkeypatch.setattr(indexer.progress, "LOG_INTERVAL", 0.0)


def _ok(result):
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_every_command_lists_data_dir_and_verbose_in_its_help(runner):
    names = main.list_commands(click.Context(main))
    assert {"parse", "ingest", "index", "search", "analyze", "crawl", "reindex", "serve", "demo"} <= set(names)
    for name in names:
        help_text = _ok(runner.invoke(main, [name, "--help"])).output
        assert "--data-dir" in help_text and "-v, --verbose" in help_text, name


def test_data_dir_after_the_command_name_works_for_ingest_index_search_and_analyze(runner, pages, tmp_path):
    data = tmp_path / "data"
    ingested = _ok(runner.invoke(main, ["ingest", str(pages), "--data-dir", str(data)]))
    assert "parsed 3 pages into 3 meetings" in ingested.stdout
    assert len(list((data / "records").glob("*.json"))) == 3
    indexed = _ok(runner.invoke(main, ["index", "--data-dir", str(data), "-v"]))
    assert indexed.stdout.startswith("indexed 3 meetings") and "chars/s" in indexed.stdout
    assert (data / "index" / "CURRENT").exists()
    found = _ok(runner.invoke(main, ["search", "", "--json", "--data-dir", str(data)]))
    assert json.loads(found.stdout)["total"] > 0
    _ok(runner.invoke(main, ["analyze", "防災", "--data-dir", str(data), "--verbose"]))
    _ok(runner.invoke(main, ["parse", str(pages / "p001.html"), "--data-dir", str(data)]))


def test_the_commands_own_data_dir_wins_over_the_groups_and_the_environment(runner, pages, tmp_path):
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    _ok(runner.invoke(main, ["--data-dir", str(first), "ingest", str(pages), "--data-dir", str(second)]))
    assert (second / "records").is_dir() and not first.exists()
    env = {"MINUTES_DATA_DIR": str(third)}
    _ok(runner.invoke(main, ["index", "--data-dir", str(second)], env=env))
    assert (second / "index" / "CURRENT").exists() and not third.exists()
    _ok(runner.invoke(main, ["ingest", str(pages)], env=env))
    assert (third / "records").is_dir()  # the environment still chooses when no --data-dir is given


def test_verbose_after_the_command_name_turns_on_info_logging(runner):
    root = logging.getLogger()
    before = root.level
    try:
        root.setLevel(logging.WARNING)
        _ok(runner.invoke(main, ["analyze", "防災", "-v"]))
        assert root.level == logging.INFO
    finally:
        root.setLevel(before)


def test_serve_and_demo_take_the_data_dir_after_their_name(runner, tmp_path, monkeypatch):
    import flask

    served = []
    monkeypatch.setattr(flask.Flask, "run", lambda app, **options: served.append((app.config["DATA_DIR"], options)))
    data = tmp_path / "data"
    demo = _ok(runner.invoke(main, ["demo", "--no-serve", "--data-dir", str(data)]))
    assert str(data) in demo.stdout and (data / "index" / "CURRENT").exists()
    _ok(runner.invoke(main, ["serve", "--port", "5999", "--data-dir", str(data)]))
    assert served == [(str(data), {"host": "127.0.0.1", "port": 5999})]


def test_crawl_and_reindex_take_the_data_dir_after_their_name_and_show_progress(runner, tmp_path, quick_logs):
    with FakeCitySite() as site:
        config = write_config(
            tmp_path / "sites.toml", site, "/kaigi/list2.html", r"/kaigi/list\d+\.html$", r"/kaigi/p4\.html$"
        )
        crawled = runner.invoke(main, ["crawl", "--config", str(config), "--site", "test", "--data-dir", str(tmp_path)])
        _ok(crawled)
        assert len(list((tmp_path / "records").glob("*.json"))) == 1 and (tmp_path / ".reindex.lock").exists()
        assert "crawl: 1 requests" in crawled.stderr and "parse: 1/1 pages" in crawled.stderr
        data = tmp_path / "nightly"
        reindexed = _ok(runner.invoke(main, ["reindex", "--config", str(config), "--data-dir", str(data), "-v"]))
    assert "utterances indexed" in reindexed.stdout and (data / "index" / "CURRENT").exists()
    assert "index: 1/1 meetings (100%)" in reindexed.stderr


def test_index_uses_every_core_unless_told_otherwise(runner, sample_settings, tmp_path, monkeypatch):
    shutil.copytree(sample_settings.records_dir, tmp_path / "records")
    seen = []
    real = indexer.cli.build_index

    def recording(*args, **options):
        seen.append(options["procs"])
        return real(*args, **options)

    monkeypatch.setattr(indexer.cli, "build_index", recording)
    _ok(runner.invoke(main, ["index", "--data-dir", str(tmp_path)]))
    _ok(runner.invoke(main, ["index", "--data-dir", str(tmp_path), "--procs", "1"]))
    assert seen == [indexer.cli.cores(), 1]
    assert runner.invoke(main, ["index", "--data-dir", str(tmp_path), "--procs", "0"]).exit_code == 2


def test_index_progress_goes_to_stderr_and_the_summary_to_stdout_unchanged(
    runner, sample_settings, tmp_path, quick_logs
):
    shutil.copytree(sample_settings.records_dir, tmp_path / "records")
    meetings = len(RecordStore(tmp_path / "records"))
    result = _ok(runner.invoke(main, ["index", "--data-dir", str(tmp_path)]))
    assert result.stdout.count("\n") == 1 and result.stdout.startswith(f"indexed {meetings} meetings, ")
    assert "chars/s) → gen-" in result.stdout
    assert f"index: {meetings}/{meetings} meetings (100%)" in result.stderr and "chars/s" in result.stderr
    assert "\r" not in result.stderr  # not a terminal: whole log lines


def test_ingest_shows_progress_on_a_terminal(runner, pages, tmp_path, monkeypatch):
    monkeypatch.setattr(ProgressLine, "_isatty", staticmethod(lambda stream: True))
    result = _ok(runner.invoke(main, ["ingest", str(pages), "--data-dir", str(tmp_path)]))
    assert "\r\033[Kingest: 0/3 pages (0%)" in result.stderr
    assert "ingest: 3/3 pages (100%)" in result.stderr and result.stderr.endswith("\n")
    assert result.stdout.startswith("parsed 3 pages into 3 meetings")


def test_build_index_reports_progress_as_meetings_reach_the_writer_of_several_processes(sample_settings, tmp_path):
    records = RecordStore(sample_settings.records_dir)
    calls: list[tuple[int, int | None, int]] = []
    report = build_index(records, tmp_path, procs=2, progress=lambda *call: calls.append(call))
    total = len(records)
    assert calls[0] == (0, total, 0) and calls[-1] == (total, total, report.characters)
    assert [done for done, _, _ in calls] == list(range(total + 1))
    assert all(earlier[2] <= later[2] for earlier, later in zip(calls, calls[1:]))


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_logs_a_line_every_five_seconds_when_not_on_a_terminal():
    clock, stream = _Clock(), io.StringIO()
    line = ProgressLine(stream, live=False, clock=clock)
    for second in range(13):
        clock.now = float(second)
        line.update("index", second * 10, 120, unit="meetings", characters=second * 1000)
    line.finish()
    logged = stream.getvalue().splitlines()
    assert len(logged) == 2  # at 5 s and at 10 s
    assert "index: 50/120 meetings (41%), 5,000 chars, 1,000 chars/s, ETA 7s" in logged[0]
    assert "index: 100/120 meetings (83%)" in logged[1] and "ETA 2s" in logged[1]


def test_progress_redraws_one_live_line_on_a_terminal_and_ends_it_once():
    clock, stream = _Clock(), io.StringIO()
    line = ProgressLine(stream, live=True, clock=clock)
    line.update("index", 0, 300, unit="meetings", characters=0)
    clock.now = 0.05
    line.update("index", 1, 300, unit="meetings", characters=10)  # too soon to redraw
    clock.now = 60.0
    line.update("index", 100, 300, unit="meetings", characters=600_000)
    line.interrupt()  # a log record is about to be written
    clock.now = 90.0
    line.update("index", 300, 300, unit="meetings", characters=900_000)
    line.finish()
    text = stream.getvalue()
    assert text.count("\r\033[K") == 4 and text.count("\n") == 2
    assert "index: 100/300 meetings (33%), 600,000 chars, 10,000 chars/s, ETA 2m00s\n" in text
    assert text.endswith("index: 300/300 meetings (100%), 900,000 chars, 10,000 chars/s, in 1m30s\n")


def test_progress_counts_steps_of_a_task_without_a_total():
    clock, stream = _Clock(), io.StringIO()
    line = ProgressLine(stream, live=True, clock=clock)
    for second in range(1, 5):
        clock.now = float(second)
        line.step("crawl", unit="requests", note=f"http://127.0.0.1/p{second}.html")
    line.finish()
    assert stream.getvalue().endswith("crawl: 4 requests, 1.3 requests/s, in 3s  http://127.0.0.1/p4.html\n")
    assert duration(59.6) == "1m00s" and duration(7260) == "2h01m"


def test_search_refuses_a_from_date_after_the_until_date(runner, sample_settings):
    data = str(sample_settings.data_dir)
    result = runner.invoke(
        main, ["search", "防災", "--from", "2024-01-01", "--until", "2023-01-01", "--data-dir", data]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "2024-01-01 is after --until 2023-01-01" in result.stderr and "--from" in result.stderr
    same_day = runner.invoke(main, ["search", "", "--from", "2020-01-01", "--until", "2020-01-01", "--data-dir", data])
    assert same_day.exit_code == 0, same_day.output


def test_search_says_which_hits_it_lists(runner, sample_settings):
    data = str(sample_settings.data_dir)
    total = json.loads(_ok(runner.invoke(main, ["search", "", "--json", "--data-dir", data])).stdout)["total"]
    assert total > 10
    first = _ok(runner.invoke(main, ["search", "", "--data-dir", data])).stdout.splitlines()[0]
    assert first == f"{total} hits, showing 1–10 (use --limit for more)"
    few = json.loads(_ok(runner.invoke(main, ["search", "データセンター", "--json", "--data-dir", data])).stdout)
    assert 10 < few["total"] < 100
    text = _ok(runner.invoke(main, ["search", "データセンター", "--limit", "100", "--data-dir", data])).stdout
    assert text.splitlines()[0] == f"{few['total']} hits"  # every hit is listed: nothing more to say
    payload = json.loads(_ok(runner.invoke(main, ["search", "", "--json", "--limit", "3", "--data-dir", data])).stdout)
    assert set(payload) == {"total", "hits", "facets"} and len(payload["hits"]) == 3  # JSON as before


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_parse_reports_an_unreachable_url_in_one_line(runner):
    url = f"http://127.0.0.1:{_closed_port()}/x.html"
    result = runner.invoke(main, ["parse", url], env=NO_PROXY)
    assert result.exit_code == 1
    assert result.stderr == f"minutes: cannot fetch {url}: Connection refused\n"


def test_parse_reports_a_404_in_one_line(runner, tmp_path):
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/missing.html"
        result = runner.invoke(main, ["parse", url], env=NO_PROXY)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert result.stderr == f"minutes: cannot fetch {url}: HTTP 404 File not found\n"


def test_parse_of_a_folder_suggests_ingest(runner, pages):
    result = runner.invoke(main, ["parse", str(pages)])
    assert result.exit_code == 1 and "no such file" not in result.output
    assert "is a folder" in result.output and f"minutes ingest {pages}" in result.output
