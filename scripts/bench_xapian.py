"""Whoosh against Xapian on the shared corpora: the same totals, and each one's query latency.

Builds (or reuses) a data folder holding the corpora's records, the Whoosh index (`minutes index`, which keeps
each text's analysis) and the Xapian shards (`minutes xapian-build`, from that kept analysis), starts one
`xapian-tcpsrv` per shard on 127.0.0.1, then:

  latency   (first, so that no result is cached) see below
  totals    every evaluation query of scripts/eval_relevance.py (its 50 queries in its three configurations,
            and the judged topics as typed and spaced) and every benchmark query: total and facet counts on
            Whoosh against Xapian over the shard servers; every difference is listed
  latency   search() (first page of 20, facet counts included) per query kind of scripts/bench_queries.py,
            plain and with a random date range, on three engines in turn for each query: Whoosh (postings
            read ahead, as the web app does), Xapian opening the shard folders in the process, and Xapian
            over the shard servers; p50/p95/p99 in ms

Usage: python scripts/bench_xapian.py --data-dir DIR [--queries 100] [--shards 2] [--scale 1] [--json PATH]
(copy DIR/analysis of a 1x run into a new DIR first and a larger --scale builds without Janome)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import replicate  # noqa: E402
from bench_queries import make_queries  # noqa: E402
from bench_stats import latency_summary, measure  # noqa: E402
from eval_relevance import CONFIGS, JUDGMENTS_PATH, QUERIES  # noqa: E402

from indexer.index.schema import meeting_documents  # noqa: E402
from indexer.index.xapian_build import LAYOUT_VERSION, SHARDS_FILE, shard_dirs  # noqa: E402
from indexer.parse.corpora import load_shared_corpora  # noqa: E402
from indexer.search.backends import open_backend  # noqa: E402
from indexer.search.engine import SearchRequest  # noqa: E402
from indexer.settings import Settings  # noqa: E402
from indexer.store.record_store import RecordStore  # noqa: E402

BIN = Path(sys.executable).parent


def folder_mib(path: Path) -> float:
    return round(sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20, 1)


def xapian_built(settings: Settings, shards: int) -> bool:
    """Tell whether the data folder holds shards of this count written in the current layout."""
    manifest = settings.xapian_dir / SHARDS_FILE
    built = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    return (built.get("shards"), built.get("layout_version")) == (shards, LAYOUT_VERSION)


def run_cli(settings: Settings, *args: str) -> float:
    """Run a `minutes` command as its own process; return its seconds."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "minutes"), "--data-dir", str(settings.data_dir), *args], check=True)
    return round(time.perf_counter() - started, 1)


def serve_shards(paths: list[Path]) -> list[tuple[subprocess.Popen, int]]:
    """Start one xapian-tcpsrv per shard on a free port of 127.0.0.1; return (process, port) pairs."""
    servers = []
    for path in paths:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            ["xapian-tcpsrv", "--interface", "127.0.0.1", "--port", str(port), str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        servers.append((server, port))
    return servers


def evaluation_requests() -> list[SearchRequest]:
    requests = [
        SearchRequest(q=q, mode=mode, expand=expand) for q, _, _ in QUERIES for mode, expand in CONFIGS.values()
    ]
    for topic in json.loads(JUDGMENTS_PATH.read_text(encoding="utf-8"))["queries"]:
        requests += [SearchRequest(q=topic["natural"]), SearchRequest(q=topic["spaced"])]
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--data-dir", help="use (and keep) this data folder; its indexes are reused if present")
    parser.add_argument("--queries", type=int, default=100, help="queries per kind")
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--scale", type=int, default=1, help="copies of each meeting, under new ids (bench.py's)")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    meetings = list(replicate(list(load_shared_corpora(Path(args.corpora))), args.scale))
    docs = [d for m in meetings for d in meeting_documents(m)]
    texts = [d["text"] for d in docs if d["seq"] > 0]
    settings = Settings(Path(args.data_dir or tempfile.mkdtemp(prefix="minutes-xapian-")).resolve())
    report: dict = {"corpus": {"meetings": len(meetings), "documents": len(docs), "scale": args.scale}, "build": {}}
    print(f"{len(meetings)} meetings, {len(docs)} documents, {sum(len(d['text']) for d in docs):,} characters")
    if not any(settings.index_dir.glob("gen-*/VERSION.json")):
        store = RecordStore(settings.records_dir)
        for meeting in meetings:
            store.save(meeting)
        report["build"]["whoosh_s"] = run_cli(settings, "index", "--procs", str(args.procs), "--keep", "1")
    if not xapian_built(settings, args.shards):
        report["build"]["xapian_s"] = run_cli(settings, "xapian-build", "--shards", str(args.shards))
    report["build"]["whoosh_mib"] = folder_mib(settings.index_dir)
    report["build"]["xapian_mib"] = folder_mib(settings.xapian_dir)
    print(f"build: {report['build']}")

    queries = make_queries(texts, [m.date for m in meetings if m.date], args.queries)
    warmup = make_queries(texts, [m.date for m in meetings if m.date], 5, seed=99)
    servers = serve_shards(shard_dirs(settings.xapian_dir))
    try:
        whoosh = open_backend(settings, "whoosh")
        whoosh.warm()
        engines = {
            "whoosh": whoosh,
            "xapian_local": open_backend(settings, "xapian"),
            "xapian_remote": open_backend(settings, "xapian", shards=[f"127.0.0.1:{port}" for _, port in servers]),
        }
        for engine in engines.values():
            for query in warmup:
                engine.search(SearchRequest(q=query.q, date_from=query.date_from, date_until=query.date_until))
        timings: dict[str, dict[str, list[float]]] = {name: {} for name in engines}
        order = list(engines)
        for i, query in enumerate(queries):
            request = SearchRequest(q=query.q, date_from=query.date_from, date_until=query.date_until, limit=20)
            for name in order[i % 3 :] + order[: i % 3]:  # each engine first in turn
                seconds, _ = measure(lambda engine=engines[name], request=request: engine.search(request))
                timings[name].setdefault(query.label, []).append(seconds)
        report["latency"] = {
            name: {label: latency_summary(values) for label, values in per_kind.items()}
            for name, per_kind in timings.items()
        }
        print("\n| kind | " + " | ".join(f"{name} p50 / p95 ms" for name in engines) + " |")
        print("|---|" + "---|" * len(engines))
        for label in timings["whoosh"]:
            cells = [
                f"{report['latency'][name][label]['p50_ms']} / {report['latency'][name][label]['p95_ms']}"
                for name in engines
            ]
            print(f"| {label} | " + " | ".join(cells) + " |")
        remote = engines["xapian_remote"]
        differences = []
        overlaps = []  # the share of Whoosh's first 20 that Xapian's first 20 hold, per evaluation query with hits
        checked = 0
        bench_requests = [SearchRequest(q=q.q, date_from=q.date_from, date_until=q.date_until) for q in queries]
        evaluation = evaluation_requests()
        for i, request in enumerate(evaluation + bench_requests):
            expected, found = whoosh.search(request), remote.search(request)
            checked += 1
            if i < len(evaluation) and expected.hits:
                theirs = {(h.meeting_id, h.seq) for h in expected.hits}
                overlaps.append(len(theirs & {(h.meeting_id, h.seq) for h in found.hits}) / len(theirs))
            if (expected.total, expected.facets) != (found.total, found.facets):
                differences.append(
                    {"q": request.q, "mode": request.mode, "whoosh": expected.total, "xapian": found.total}
                )
        overlaps.sort()
        report["totals"] = {"checked": checked, "differences": differences}
        report["top20_overlap"] = {
            "queries": len(overlaps),
            "mean": round(sum(overlaps) / len(overlaps), 3) if overlaps else None,
            "median": overlaps[len(overlaps) // 2] if overlaps else None,
            "at_least_0.7": sum(1 for o in overlaps if o >= 0.7),
        }
        print(f"totals: {checked} requests checked, {len(differences)} differ {differences[:10]}")
        print(f"first 20 shared with Whoosh on the evaluation queries: {report['top20_overlap']}")

        for engine in engines.values():
            engine.close()
    finally:
        for server, _ in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=10)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
