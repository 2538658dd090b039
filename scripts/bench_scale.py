"""A large city on one machine: the shared corpora at 1×, 4× and 25×, through the library and over HTTP, with
Groonga beside.

For each factor the corpora are replicated (bench.py's replicate: copies under new ids and urls, dated a
span of years earlier each, so postings and years grow as they would), stored as records, and indexed on the
chosen backend (`minutes xapian-build --procs P` or `minutes index`), its words taken from the kept analysis
of an earlier run (--analysis-from, copied in) so that the copies cost no Janome. Then, with the index in the
page cache (every file read once, as a served index stays):

  library   backend.search() of the first page (20 hits, facet counts over every match) per query kind
            of bench_queries.py, plain and with a random date range; p50/p95/p99 in ms
  http      the JSON API (/api/v1/search) under waitress, each request followed (or preceded, in turn) by
            the same query's Groonga select over its HTTP server with drilldowns (role, committee, year):
            p50/p95 of both and ours÷Groonga at p95; then the results page (/) on a fresh server; the web
            process's peak memory (VmHWM) over both
  recall    a quarter of the queries: matches against a folded-substring scan of the same documents

Usage: python scripts/bench_scale.py --work DIR --scale 1 4 25 [--backend xapian] [--queries 100]
         [--analysis-from DATA_DIR] [--json PATH]
DIR keeps one data folder per factor (scale-N/), reused when it already holds the build (delete it to rebuild).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_http  # noqa: E402
from bench import replicate  # noqa: E402
from bench_engines import Groonga  # noqa: E402
from bench_queries import SubstringOracle, make_queries  # noqa: E402
from bench_stats import latency_by_kind, latency_summary, measure  # noqa: E402
from bench_xapian import folder_mib, run_cli, xapian_built  # noqa: E402

from indexer.index.schema import meeting_documents  # noqa: E402
from indexer.parse.corpora import load_shared_corpora  # noqa: E402
from indexer.search.backends import open_backend  # noqa: E402
from indexer.search.engine import SearchRequest  # noqa: E402
from indexer.settings import Settings  # noqa: E402
from indexer.store.record_store import RecordStore  # noqa: E402


def request_of(query, limit: int = 20) -> SearchRequest:
    return SearchRequest(q=query.q, date_from=query.date_from, date_until=query.date_until, limit=limit)


def prepare(
    settings: Settings, meetings: list, backend: str, shards: int, procs: int, analysis_from: Path | None
) -> dict:
    """Store the records and build the index unless the folder already holds them; return what was done."""
    done: dict = {}
    store = RecordStore(settings.records_dir)
    if len(store) != len(meetings):
        started = time.perf_counter()
        for meeting in meetings:
            store.save(meeting)
        done["records_s"] = round(time.perf_counter() - started, 1)
    if analysis_from and not settings.analysis_dir.exists():
        shutil.copytree(Path(analysis_from) / "analysis", settings.analysis_dir)
    if backend == "xapian":
        if not xapian_built(settings, shards):
            done["build_s"] = run_cli(settings, "xapian-build", "--shards", str(shards), "--procs", str(procs))
        done["index_mib"] = folder_mib(settings.xapian_dir)
        index_dir = settings.xapian_dir
    else:
        if not any(settings.index_dir.glob("gen-*/VERSION.json")):
            done["build_s"] = run_cli(settings, "index", "--procs", str(procs), "--keep", "1")
        done["index_mib"] = folder_mib(settings.index_dir)
        index_dir = settings.index_dir
    started = time.perf_counter()
    read_through(index_dir)
    done["page_cache_read_s"] = round(time.perf_counter() - started, 1)
    return done


def read_through(folder: Path) -> None:
    """Read every file of an index once, so that the measurements find it in the page cache."""
    for path in Path(folder).rglob("*"):
        if path.is_file():
            with open(path, "rb") as source:
                while source.read(1 << 22):
                    pass


def library_latency(settings: Settings, backend: str, queries: list, warmup: list) -> dict:
    engine = open_backend(settings, backend)
    engine.warm()
    for query in warmup:
        engine.search(request_of(query))
    latency = latency_by_kind(lambda query: engine.search(request_of(query)), queries)
    engine.close()
    return latency


def recall(settings: Settings, backend: str, queries: list, docs: list) -> dict:
    oracle = SubstringOracle([(key, day or "", text) for key, day, text, _, _ in docs])
    engine = open_backend(settings, backend)
    sums: dict[str, list[int]] = {}
    for query in queries:
        found = set(engine.ranked_ids(request_of(query)))
        expected = oracle.matching(query)
        row = sums.setdefault(query.label, [0, 0])
        row[0] += len(found & expected)
        row[1] += len(expected)
    engine.close()
    return {
        label: {"found": f, "expected": e, "recall": round(f / e, 4) if e else None} for label, (f, e) in sums.items()
    }


def http_latency(settings: Settings, backend: str, queries: list, warmup: list, groonga: Groonga | None) -> dict:
    """Our JSON API and Groonga interleaved (each first in turn), then our results page on a fresh server."""
    env = {"MINUTES_BACKEND": backend}
    report: dict = {"api": {}, "page": {}, "groonga": {}, "peak_rss_mib": 0.0}
    for target, index in (("api", 1), ("page", 0)):
        server, base = bench_http.start_server(settings.data_dir, env=env)
        try:
            for query in warmup:
                urllib.request.urlopen(base + bench_http.paths_for(query)[index], timeout=120).read()
                if groonga and target == "api":
                    groonga.search(query)
            bench_http.wait_until_idle(server.pid)
            timings: dict[str, dict[str, list[float]]] = {"ours": {}, "groonga": {}}
            for i, query in enumerate(queries):
                path = bench_http.paths_for(query)[index]
                calls = [("ours", lambda url=base + path: urllib.request.urlopen(url, timeout=120).read())]
                if groonga and target == "api":
                    calls.append(("groonga", lambda query=query: groonga.search(query)))
                for name, call in calls[i % 2 :] + calls[: i % 2]:
                    seconds, _ = measure(call)
                    timings[name].setdefault(query.label, []).append(seconds)
            report["peak_rss_mib"] = max(report["peak_rss_mib"], bench_http.peak_rss_mib(server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
        report[target] = {label: latency_summary(v) for label, v in timings["ours"].items()}
        if timings["groonga"]:
            report["groonga"] = {label: latency_summary(v) for label, v in timings["groonga"].items()}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--work", required=True, help="folder keeping a data folder per factor (scale-N)")
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 4, 25])
    parser.add_argument("--backend", choices=("xapian", "whoosh"), default="xapian")
    parser.add_argument("--queries", type=int, default=100, help="queries per kind")
    parser.add_argument("--limit", type=int, default=0, help="only the first N meetings of the corpora (0: all)")
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--analysis-from", help="a data folder whose kept analysis (DIR/analysis) is copied in")
    parser.add_argument("--no-groonga", action="store_true")
    parser.add_argument(
        "--sections",
        nargs="*",
        choices=("library", "http", "recall"),
        default=["library", "http", "recall"],
        help="none: only build what is missing (records, index, Groonga's database)",
    )
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    corpus = list(load_shared_corpora(Path(args.corpora)))[: args.limit or None]
    if not corpus:
        parser.error(f"no meetings read from {args.corpora}")
    texts = [d["text"] for m in corpus for d in meeting_documents(m) if d["seq"] > 0]
    work = Path(args.work).resolve()
    report: dict = {"machine": {"cpu_count": os.cpu_count(), "backend": args.backend}, "scale": {}}
    json_path = Path(args.json_path or work / f"bench_scale_{args.backend}.json")
    for factor in args.scale:
        meetings = list(replicate(corpus, factor))
        docs = [
            ((m.id, d["seq"]), d["date"], d["text"], d["role"], d["committee"])
            for m in meetings
            for d in meeting_documents(m)
        ]
        # The queries are drawn from the corpus's texts (the copies repeat them) and the replicated dates.
        queries = make_queries(texts, [m.date for m in meetings if m.date], args.queries)
        warmup = make_queries(texts, [m.date for m in meetings if m.date], 5, seed=99)
        settings = Settings(work / f"scale-{factor}")
        row: dict = {"meetings": len(meetings), "documents": len(docs), "characters": sum(len(d[2]) for d in docs)}
        print(f"{factor}x: {row}", flush=True)
        row.update(prepare(settings, meetings, args.backend, args.shards, args.procs, args.analysis_from))
        print(f"{factor}x: built {row}", flush=True)
        if "library" in args.sections:
            row["library"] = library_latency(settings, args.backend, queries, warmup)
            print(f"{factor}x library: {row['library']}", flush=True)
        groonga = None
        if not args.no_groonga and Groonga.available() and ("http" in args.sections or not args.sections):
            started = time.perf_counter()
            groonga = Groonga(settings.data_dir, docs)
            row["groonga_build_s"] = round(time.perf_counter() - started, 1)
            row["groonga_mib"] = folder_mib(settings.data_dir / "groonga")
            read_through(settings.data_dir / "groonga")
        try:
            if "http" in args.sections:
                row["http"] = http_latency(settings, args.backend, queries, warmup, groonga)
                if groonga:
                    row["http"]["groonga_peak_rss_mib"] = bench_http.peak_rss_mib(groonga.pid)
                print(f"{factor}x http: {row['http']}", flush=True)
        finally:
            if groonga:
                groonga.__exit__()
        if "recall" in args.sections:
            row["recall"] = recall(settings, args.backend, queries[::4], docs)
            print(f"{factor}x recall: {row['recall']}", flush=True)
        row["bench_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        report["scale"][f"{factor}x"] = row
        json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print_table(report)
    print(f"report: {json_path}")


def print_table(report: dict) -> None:
    """Print p95 per kind and factor: library, API, page, Groonga and ours÷Groonga."""
    for factor, row in report["scale"].items():
        print(
            f"\n{factor}: {row['documents']:,} documents, index {row.get('index_mib')} MiB, "
            f"web peak {row.get('http', {}).get('peak_rss_mib')} MiB"
        )
        print("| kind | library p50/p95 | API p50/p95 | page p50/p95 | Groonga p50/p95 | API÷Groonga p95 | recall |")
        print("|---|---|---|---|---|---|---|")
        for label, lib in row.get("library", {}).items():
            http = row.get("http", {})
            api, page, gro = (http.get(k, {}).get(label, {}) for k in ("api", "page", "groonga"))
            ratio = round(api["p95_ms"] / gro["p95_ms"], 1) if api and gro else None
            rec = row.get("recall", {}).get(label, {}).get("recall")
            print(
                f"| {label} | {lib['p50_ms']} / {lib['p95_ms']} | {api.get('p50_ms')} / {api.get('p95_ms')} | "
                f"{page.get('p50_ms')} / {page.get('p95_ms')} | {gro.get('p50_ms')} / {gro.get('p95_ms')} | {ratio} | {rec} |"
            )


if __name__ == "__main__":
    main()
