"""Kill `minutes reindex` with SIGKILL at random points, again and again, and check the data after each.

Usage: python scripts/kill_loop.py [--runs 20] [--pages 64] [--seed 1] [--data-dir DIR]
A site of copies of data/sample/ is served from 127.0.0.1; before every run a few pages change, so
each run has work to do. After every kill: the index must open, serve at least as many meetings
as before, and the raw store's manifest must pass SQLite's integrity check. A last run must complete.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_crawl import build_site, serve  # noqa: E402

from indexer.search import aggregates  # noqa: E402
from indexer.search.engine import SearchIndex  # noqa: E402


def reindex_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "search_web.cli", "reindex", "--config", str(config)]


def meetings_served(index_dir: Path) -> int:
    """Open the index as the web app would and count the meetings it serves."""
    engine = SearchIndex(index_dir)
    try:
        engine.check()
        return len(aggregates.all_meetings(engine))
    finally:
        engine.close()


def manifest_ok(data_dir: Path) -> bool:
    path = data_dir / "raw" / "manifest.sqlite"
    if not path.exists():
        return True
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def main() -> None:
    """Run the loop and print what survived."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    site = build_site(args.pages, 16)
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    work = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data" if args.data_dir is None else work
    config = work.parent / f"{work.name}-sites.toml"
    config.write_text(
        f"""[[site]]
name = "killtest"
start_urls = ["{base}/kaigi/list1.html"]
allowed_hosts = ["127.0.0.1"]
listing_patterns = ['/kaigi/list\\d+\\.html$']
minutes_patterns = ['/kaigi/p\\d+\\.html$']
delay_seconds = 0.01
""",
        encoding="utf-8",
    )
    env = {**os.environ, "MINUTES_DATA_DIR": str(data)}
    started = time.monotonic()
    subprocess.run(reindex_command(config), env=env, cwd=ROOT, check=True, capture_output=True)
    full_run = time.monotonic() - started
    served = meetings_served(data / "index")
    print(f"initial reindex: {served} meetings in {full_run:.1f}s")
    editable = [p for p in site if p.startswith("/kaigi/p") and b'charset="utf-8"' in site[p]]
    for path in rng.sample(editable, k=3):
        site[path] = re.sub(rb"(</p>)", "（改訂）".encode() + rb"\1", site[path], count=1)
    started = time.monotonic()
    subprocess.run(reindex_command(config), env=env, cwd=ROOT, capture_output=True)
    incremental = time.monotonic() - started
    print(f"an incremental reindex (3 pages changed) takes {incremental:.1f}s; kills land within that")
    errors = kills = run = 0
    while kills < args.runs and run < 3 * args.runs:
        run += 1
        for path in rng.sample(editable, k=3):
            site[path] = re.sub(rb"(</p>)", f"（改訂{run}）".encode() + rb"\1", site[path], count=1)
        log_path = work.parent / f"{work.name}-run{run}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(reindex_command(config), env=env, cwd=ROOT, stdout=log, stderr=log)
        delay = rng.uniform(0.05, incremental * 0.95)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += process.returncode == -signal.SIGKILL
        if process.returncode not in (0, -signal.SIGKILL):
            problems = [line for line in log_path.read_text().splitlines() if "fetch " not in line]
            print(f"run {run}: reindex ended by itself with exit {process.returncode}: {problems[-5:]}")
        try:
            now = meetings_served(data / "index")
            healthy = now >= served and manifest_ok(data)
        except Exception as error:
            print(f"run {run}: index failed to open after a kill at {delay:.2f}s: {error}")
            errors += 1
            continue
        if not healthy:
            print(f"run {run}: serving {now} meetings (before {served}) or manifest damaged")
            errors += 1
        served = max(served, now)
        print(f"run {run}: killed at {delay:.2f}s (exit {process.returncode}); serving {now} meetings")
    final = subprocess.run(reindex_command(config), env=env, cwd=ROOT, capture_output=True, text=True)
    final_count = meetings_served(data / "index")
    server.shutdown()
    if final.returncode != 0 or final_count != args.pages:
        print(f"final reindex: exit {final.returncode}, {final_count} meetings\n{final.stderr}")
        errors += 1
    verdict = f"{kills} kills survived" if not errors else f"{kills} kills, {errors} FAILED"
    print(f"{verdict}; errors: {errors}; final reindex served {final_count} meetings")
    sys.exit(1 if errors or kills < args.runs else 0)


if __name__ == "__main__":
    main()
