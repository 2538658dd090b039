"""Crash safety of the data: damaged or missing generations, searches during switches, kills."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import date

import pytest

from indexer.index.build import build_index, sync_index
from indexer.index.generations import CURRENT_FILE, current_generation, generations
from indexer.records import Meeting, Utterance
from indexer.search.engine import SearchIndex, SearchRequest
from indexer.store.record_store import RecordStore
from tests.conftest import ROOT


def meeting(n: int) -> Meeting:
    mid = f"m{n:03d}"
    return Meeting(
        id=mid,
        url=f"https://example.jp/{n}",
        title=f"第{n}回防災会議",
        committee="防災会議",
        date=date(2020, 1, n),
        utterances=[Utterance(mid, 1, "委員", None, f"防災訓練その{n}について")],
    )


def meetings_served(index_dir) -> int:
    engine = SearchIndex(index_dir)
    try:
        return engine.search(SearchRequest(q="防災訓練")).total
    finally:
        engine.close()


def damage(generation_dir) -> None:
    for path in generation_dir.iterdir():
        if path.suffix == ".seg" or path.name.startswith("_MAIN") or path.suffix == ".toc":
            path.write_bytes(b"\x00garbage")


def test_a_damaged_current_generation_is_detected_and_the_previous_one_served(tmp_path, caplog):
    build_index([meeting(1)], tmp_path)
    damaged = build_index([meeting(1), meeting(2)], tmp_path).generation
    damage(tmp_path / damaged)
    engine = SearchIndex(tmp_path)
    with caplog.at_level(logging.ERROR):
        generation, problem = engine.check()
    assert generation != damaged and "damaged" in problem and damaged in problem
    assert engine.search(SearchRequest(q="防災訓練")).total == 1
    assert any("serving the previous generation" in r.getMessage() for r in caplog.records)
    engine.close()


def test_a_missing_current_generation_falls_back_and_the_next_sync_rebuilds(tmp_path):
    build_index([meeting(1)], tmp_path)
    (tmp_path / CURRENT_FILE).write_text("gen-that-was-deleted\n")
    assert meetings_served(tmp_path) == 1
    records = RecordStore(tmp_path / "records")
    for n in (1, 2, 3):
        records.save(meeting(n))
    report = sync_index(records, tmp_path / "index")
    assert not report.skipped and meetings_served(tmp_path / "index") == 3


def test_sync_rebuilds_when_the_current_generation_is_damaged(tmp_path):
    records = RecordStore(tmp_path / "records")
    records.save(meeting(1))
    first = sync_index(records, tmp_path / "index")
    damage(tmp_path / "index" / first.generation)
    records.save(meeting(2))
    second = sync_index(records, tmp_path / "index")
    assert second.generation != first.generation and meetings_served(tmp_path / "index") == 2


def test_the_serve_command_says_which_generation_it_serves(tmp_path):
    from search_web import create_app
    from search_web.cli import report_index_health

    build_index([meeting(1)], tmp_path / "index")
    damaged = build_index([meeting(1), meeting(2)], tmp_path / "index").generation
    damage(tmp_path / "index" / damaged)
    app = create_app({"DATA_DIR": str(tmp_path)})
    from click.testing import CliRunner

    @__import__("click").command()
    def probe():
        report_index_health(app)

    output = CliRunner().invoke(probe).output
    assert "WARNING" in output and damaged in output and "previous generation" in output


def test_searches_running_while_reindexes_switch_generations_all_succeed(tmp_path):
    build_index([meeting(1)], tmp_path)
    engine = SearchIndex(tmp_path)
    errors, totals = [], []
    stop = threading.Event()

    def search_loop():
        while not stop.is_set():
            try:
                totals.append(engine.search(SearchRequest(q="防災訓練")).total)
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=search_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    for n in range(2, 7):
        build_index([meeting(i) for i in range(1, n + 1)], tmp_path, keep=2)
    stop.set()
    for thread in threads:
        thread.join()
    engine.close()
    assert not errors and len(totals) > 20
    assert set(totals) <= set(range(1, 7)) and max(totals) == 6
    assert len(generations(tmp_path)) == 2 and current_generation(tmp_path)


def _kill_loop(runs: int, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "kill_loop.py"),
            "--runs",
            str(runs),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{runs} kills survived" in done.stdout, done.stdout
    return done.stdout


def test_reindex_killed_at_random_points_keeps_a_working_index(tmp_path):
    _kill_loop(3, tmp_path)


@pytest.mark.slow
def test_twenty_kills(tmp_path):
    _kill_loop(20, tmp_path)


@pytest.mark.parametrize(
    "server", [[], ["--server-processes", "2", "--server-threads", "2"]], ids=["waitress", "gunicorn-workers"]
)
def test_load_smoke_has_no_errors(tmp_path, server):
    import json

    report = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "load.py"),
            "--seconds",
            "3",
            "--clients",
            "4",
            "--reindex-every",
            "1.5",
            "--json",
            str(report),
            *server,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(report.read_text())
    assert result["errors"] == 0 and result["requests"] > 0 and result["reindexes"] >= 1
