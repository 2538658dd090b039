"""Load and soak test: the app under waitress on 127.0.0.1, concurrent clients, memory and fds watched.

Usage:
    python scripts/load.py                         # 16 clients for 60 s on the bundled sample
    python scripts/load.py --seconds 600 --reindex-every 60   # the 10-minute soak, switching generations
    python scripts/load.py --data-dir DIR          # against an existing data directory
    python scripts/load.py --data-dir DIR --corpus-queries 300   # queries drawn from the shared corpora
Every request loop is bounded (--max-requests) and stops by itself; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import start_server  # noqa: E402

QUERIES = {
    "noun": ["防災", "予算", "保育所", "市場", "計画", "委員会"],
    "compound": ["データセンター", "業務継続計画", "地域包括ケア", "防災センター", "放課後児童クラブ"],
    "phrase": ['"防災センター"', '"データセンター"', '"計画を"'],
    "and": ["防災 訓練", "データ 保管", "保育所 整備"],
}


def proc_stats(pid: int) -> tuple[int, int]:
    """Return (resident memory in KiB, open file descriptors) of a process and its children
    (gunicorn's workers)."""
    rss = fds = 0
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            family = [pid, *map(int, children.read().split())]
    except OSError:
        family = [pid]
    for member in family:
        try:
            with open(f"/proc/{member}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            fds += len(os.listdir(f"/proc/{member}/fd"))
        except OSError:
            continue  # a worker that just exited
    return rss, fds


def corpus_queries(corpora: Path, per_kind: int) -> dict[str, list[str]]:
    """Draw per_kind queries of each kind from the shared corpora (see bench_queries)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_queries import make_queries

    from indexer.parse.corpora import load_shared_corpora

    meetings = list(load_shared_corpora(corpora))
    texts = [u.text for m in meetings for u in m.utterances]
    drawn: dict[str, list[str]] = {}
    for query in make_queries(texts, [m.date for m in meetings if m.date], per_kind, seed=11):
        if query.date_from is None:
            drawn.setdefault(query.kind, []).append(query.q)
    return drawn


def kind_of(path: str) -> str:
    """Name what a request path asks for: page, api, meeting view or kwic view."""
    if path.startswith("/api/"):
        return "api"
    for view in ("meeting", "kwic"):
        if f"view={view}" in path:
            return f"{view} view"
    return "page"


def request_paths(rng: random.Random) -> str:
    kind = rng.choice(list(QUERIES))
    q = rng.choice(QUERIES[kind])
    params = {"q": q}
    if rng.random() < 0.5:
        params.update({"from": "2015-01-01", "until": "2024-12-31"})
    if rng.random() < 0.3:
        params["role"] = rng.choice(["委員", "事務局", "部長"])
    target = rng.random()
    if target < 0.6:
        return "/?" + urllib.parse.urlencode(params)
    if target < 0.9:
        return "/api/v1/search?" + urllib.parse.urlencode({"any": q, "maximumRecords": 20})
    return "/?" + urllib.parse.urlencode({**params, "view": rng.choice(["meeting", "kwic"])})


def main() -> None:
    """Run the load and print the figures (and a JSON report with --json)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--reindex-every", type=float, default=0, help="rebuild the index every N seconds")
    parser.add_argument("--data-dir")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--server-threads", type=int, default=16, help="worker threads (per process)")
    parser.add_argument(
        "--server-processes", type=int, default=1, help="1: waitress; more: gunicorn with that many worker processes"
    )
    parser.add_argument(
        "--corpus-queries",
        type=int,
        default=0,
        metavar="N",
        help="draw N queries of each kind from ../shared/corpora instead of the fixed list",
    )
    args = parser.parse_args()
    if args.corpus_queries:
        QUERIES.clear()
        QUERIES.update(corpus_queries(ROOT.parent / "shared" / "corpora", args.corpus_queries))

    data = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp()) / "data"
    env = {**os.environ, "MINUTES_DATA_DIR": str(data)}
    if not args.data_dir:
        subprocess.run([str(BIN / "minutes"), "demo", "--no-serve"], env=env, check=True, capture_output=True)
    log_path = Path(tempfile.mkdtemp(prefix="minutes-load-")) / "server.log"
    server_log = open(log_path, "w")
    server, base = start_server(data, args.server_threads, log=server_log, workers=args.server_processes)
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors: list[str] = []
    samples: list[tuple[float, int, int]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds
    budget = {"left": args.max_requests}

    def client(seed: int):
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            with lock:
                if budget["left"] <= 0:
                    return
                budget["left"] -= 1
            path = request_paths(rng)
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError as error:
                status = f"{type(error).__name__}"
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                by_kind.setdefault(kind_of(path), []).append(elapsed)
                if status != 200:
                    errors.append(f"{time.monotonic() - started:.1f}s {status} {path}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    started = time.monotonic()
    reindex_times: list[float] = []
    for thread in threads:
        thread.start()
    next_reindex = started + args.reindex_every if args.reindex_every else None
    reindexes = 0
    while any(t.is_alive() for t in threads):
        samples.append((time.monotonic() - started, *proc_stats(server.pid)))
        if next_reindex and time.monotonic() >= next_reindex:
            reindex_times.append(round(time.monotonic() - started, 1))
            subprocess.run([str(BIN / "minutes"), "index", "--keep", "2"], env=env, check=True, capture_output=True)
            reindexes += 1
            next_reindex += args.reindex_every
        time.sleep(1)
    elapsed = time.monotonic() - started
    samples.append((elapsed, *proc_stats(server.pid)))
    server.terminate()
    server.wait(timeout=10)
    server_log.close()

    def percentile(p: float, values: list[float] = latencies) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")

    first, last = samples[0], samples[-1]
    report = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "errors": len(errors),
        "error_examples": errors[:20],
        "p50_ms": round(percentile(50), 1),
        "p95_ms": round(percentile(95), 1),
        "p99_ms": round(percentile(99), 1),
        "mean_ms": round(statistics.mean(latencies) * 1000, 1) if latencies else None,
        "by_kind": {
            kind: {
                "requests": len(values),
                "p50_ms": round(percentile(50, values), 1),
                "p95_ms": round(percentile(95, values), 1),
                "p99_ms": round(percentile(99, values), 1),
            }
            for kind, values in sorted(by_kind.items())
        },
        "rss_kib": {"first": first[1], "last": last[1], "max": max(s[1] for s in samples)},
        "fds": {"first": first[2], "last": last[2], "max": max(s[2] for s in samples)},
        "reindexes": reindexes,
        "reindex_started_at_s": reindex_times,
        "server_log": str(log_path),
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({**report, "samples": samples}, indent=1))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
