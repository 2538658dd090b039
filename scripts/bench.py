"""The performance benchmark: indexing, query latency, other engines, memory, recall and scaling.

Everything is measured in one run on this machine over ../shared/corpora (both corpora, read
through the project's own records), so every ratio compares figures taken side by side:

  throughput  raw Janome (the analysis chain alone) on one process and on all cores
  index       `minutes index --procs <cores>`: seconds, chars/s, ratio to raw Janome on all cores,
              peak memory, index size
  library     SearchIndex.search latency p50/p95/p99 per query kind, plain and with a date range
              (facet counts for role/committee/year are part of every search)
  recall      every match against a normalised-substring scan of the same documents
  http        p50/p95 through `/` and `/api/v1/search` under waitress, and the web process's peak memory
  fts5        the same queries on SQLite FTS5 (trigram tokenizer), with our p95 / its p95
  groonga     the same on Groonga with the MeCab tokenizer, when `groonga` is installed
  scale       library p95 at 1×, 2×, 4× the corpus (meetings replicated under new ids)

Usage:
    python scripts/bench.py                         # everything (about an hour on 2 cores)
    python scripts/bench.py --smoke                 # seconds: 20 meetings, 10 queries per kind
    python scripts/bench.py --sections library http --data-dir DIR   # reuse DIR's index
Writes a JSON report (--json, default bench.json in a temp folder) and prints a short table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_http  # noqa: E402
from bench_engines import ENGINES  # noqa: E402
from bench_queries import BenchQuery, SubstringOracle, make_queries  # noqa: E402
from bench_stats import latency_by_kind  # noqa: E402

from indexer.index.schema import meeting_documents  # noqa: E402
from indexer.parse.corpora import load_shared_corpora  # noqa: E402
from indexer.search.engine import SearchIndex, SearchRequest  # noqa: E402
from indexer.settings import Settings  # noqa: E402
from indexer.store.record_store import RecordStore  # noqa: E402
from indexer.text.analysis import analyze  # noqa: E402

SECTIONS = ("throughput", "index", "library", "recall", "http", "fts5", "groonga", "scale")
BIN = Path(sys.executable).parent


def _count_tokens(texts: list[str]) -> int:
    return sum(1 for text in texts for _ in analyze(text))


def janome_throughput(texts: list[str], procs: int) -> float:
    """Return characters per second for the analysis chain alone on procs processes."""
    from multiprocessing import Pool

    chars = sum(map(len, texts))
    started = time.perf_counter()
    if procs == 1:
        _count_tokens(texts)
    else:
        chunks = [texts[i :: procs * 8] for i in range(procs * 8)]
        with Pool(procs) as pool:
            pool.map(_count_tokens, chunks)
    return chars / (time.perf_counter() - started)


def request_for(query: BenchQuery, limit: int = 20) -> SearchRequest:
    """Return the library request a benchmark query stands for (the first page, by relevance)."""
    return SearchRequest(q=query.q, date_from=query.date_from, date_until=query.date_until, limit=limit)


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def build_with_cli(settings: Settings, procs: int) -> dict:
    """Run `minutes index` as its own process; return its time, rate and the largest process's peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "minutes"), "--data-dir", str(settings.data_dir), "index", "--procs", str(procs), "--keep", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    version = json.loads(next(settings.index_dir.glob("gen-*/VERSION.json")).read_text())
    return {
        "procs": procs,
        "seconds": round(seconds, 1),
        "chars_per_s": round(version["characters"] / seconds),
        "documents": version["documents"],
        "characters": version["characters"],
        "peak_rss_mib": round(max(peak, before) / 1024) if peak > before else None,
        "index_mib": round(folder_bytes(settings.index_dir) / 2**20, 1),
        "output": done.stdout.strip(),
    }


def library_latency(
    index_dir: Path, queries: list[BenchQuery], warmup: list[BenchQuery], read_ahead: bool = True
) -> dict:
    """Time SearchIndex.search for each query once (no query repeats, so no result is cached);
    with read_ahead, first read the commonest terms as the web app does when an index opens."""
    index = SearchIndex(index_dir)
    if read_ahead:
        index.warm()
    for query in warmup:
        index.search(request_for(query))
    latency = latency_by_kind(lambda query: index.search(request_for(query)), queries)
    index.close()
    return latency


def recall(index_dir: Path, queries: list[BenchQuery], oracle: SubstringOracle) -> dict:
    """Per kind: matches found / documents the substring scan finds, and the found ones it does not."""
    index = SearchIndex(index_dir)
    sums: dict[str, list[int]] = {}
    for query in queries:
        found = set(index.ranked_ids(request_for(query)))
        expected = oracle.matching(query)
        row = sums.setdefault(query.label, [0, 0, 0])
        row[0] += len(found & expected)
        row[1] += len(expected)
        row[2] += len(found - expected)
    index.close()
    return {
        label: {"found": f, "expected": e, "recall": round(f / e, 4) if e else None, "beyond_substring": b}
        for label, (f, e, b) in sums.items()
    }


def replicate(meetings: list, factor: int):
    """Yield each meeting factor times, a meeting's copies one after another: copy k under a new id and url,
    dated k spans of the corpus's years earlier (so the years grow as a city's twenty years of minutes would)."""
    from dataclasses import replace

    years = [m.date.year for m in meetings if m.date]
    span = max(years) - min(years) + 1 if years else 1
    for meeting in meetings:
        yield meeting
        for copy in range(1, factor):
            mid = f"{meeting.id}x{copy}"
            yield replace(
                meeting,
                id=mid,
                url=f"{meeting.url}#copy{copy}",
                date=_years_earlier(meeting.date, copy * span) if meeting.date else None,
                utterances=[replace(u, meeting_id=mid) for u in meeting.utterances],
            )


def _years_earlier(day, years: int):
    """Return the same day some years earlier (29 February becomes the 28th)."""
    return day.replace(year=day.year - years, day=min(day.day, 28) if day.month == 2 else day.day)


def main() -> None:
    """Run the chosen sections and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--limit", type=int, default=0, help="only the first N meetings (0: all)")
    parser.add_argument("--queries", type=int, default=300, help="queries per kind")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--data-dir", help="use (and keep) this data folder; its index is reused if present")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--janome-sample",
        type=float,
        default=1.0,
        help="share of the texts the raw Janome rates are measured on (a rate per character)",
    )
    parser.add_argument("--smoke", action="store_true", help="8 meetings, 5 queries per kind, scale 1 2")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    if args.smoke:
        args.limit, args.queries, args.scale = args.limit or 8, 5, [1, 2]

    started = time.perf_counter()
    meetings = []
    for meeting in load_shared_corpora(Path(args.corpora)):
        meetings.append(meeting)
        if args.limit and len(meetings) >= args.limit:
            break
    if not meetings:
        parser.error(f"no meetings read from {args.corpora}: point --corpora at the shared corpora folder")
    # (key, date, text, role, committee) of every document the index holds
    docs = [
        ((m.id, d["seq"]), d["date"], d["text"], d["role"], d["committee"])
        for m in meetings
        for d in meeting_documents(m)
    ]
    texts = [text for (_, seq), _, text, *_ in docs if seq > 0]
    report: dict = {
        "machine": {"cpu_count": os.cpu_count(), "python": sys.version.split()[0]},
        "corpus": {
            "meetings": len(meetings),
            "documents": len(docs),
            "characters": sum(len(d[2]) for d in docs),
            "load_seconds": round(time.perf_counter() - started, 1),
        },
    }
    print(f"{len(meetings)} meetings, {len(docs)} documents, {report['corpus']['characters']:,} characters")
    queries = make_queries(texts, [m.date for m in meetings if m.date], args.queries)
    warmup = make_queries(texts, [m.date for m in meetings if m.date], 5, seed=99)
    report["queries"] = {
        label: sum(q.label == label for q in queries) for label in dict.fromkeys(q.label for q in queries)
    }

    own = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="minutes-bench-"))
    settings = Settings(own.resolve())
    try:
        if "throughput" in args.sections:
            sample = texts[:: max(1, round(1 / args.janome_sample))] if args.janome_sample < 1 else texts
            one = janome_throughput(sample, 1)
            every = janome_throughput(sample, args.procs) if args.procs > 1 else one
            report["janome"] = {
                "one_process_chars_per_s": round(one),
                "all_cores_chars_per_s": round(every),
                "procs": args.procs,
                "sample_characters": sum(map(len, sample)),
            }
            print(f"raw Janome: {one:,.0f} chars/s on one process, {every:,.0f} on {args.procs}")
        has_index = any(settings.index_dir.glob("gen-*/VERSION.json"))
        if "index" in args.sections or not has_index:
            store = RecordStore(settings.records_dir)
            for meeting in meetings:
                store.save(meeting)
            if settings.index_dir.exists():
                shutil.rmtree(settings.index_dir)
            report["index"] = build_with_cli(settings, args.procs)
            if "janome" in report:
                report["index"]["ratio_to_janome_all_cores"] = round(
                    report["index"]["chars_per_s"] / report["janome"]["all_cores_chars_per_s"], 3
                )
            print(f"minutes index: {report['index']}")
        report["index_mib"] = round(folder_bytes(settings.index_dir) / 2**20, 1)
        if "library" in args.sections:
            # Cold first: a fresh process that has read nothing ahead (the postings cache is per process).
            report["library_cold"] = library_latency(settings.index_dir, queries, warmup, read_ahead=False)
            from indexer.search import postings

            postings.CACHE = postings.SegmentCache()
            report["library"] = library_latency(settings.index_dir, queries, warmup)
        if "recall" in args.sections:
            oracle = SubstringOracle([d[:3] for d in docs])
            report["recall"] = recall(settings.index_dir, queries, oracle)
        if "http" in args.sections:
            report["http"] = bench_http.http_latency(settings.data_dir, queries, warmup)
        for name in ("fts5", "groonga"):
            if name in args.sections:
                engine = ENGINES[name]
                if not engine.available():
                    report[name] = {"skipped": engine.why_unavailable()}
                    continue
                with tempfile.TemporaryDirectory() as tmp, engine(Path(tmp), docs) as running:
                    report[name] = {"build_seconds": running.build_seconds, "latency": {}}
                    for query in warmup:
                        running.search(query)
                    report[name]["latency"] = latency_by_kind(running.search, queries)
        if "scale" in args.sections:
            existing = settings.index_dir if any(settings.index_dir.glob("gen-*/VERSION.json")) else None
            report["scale"] = scaling(meetings, args.scale, queries, warmup, args.procs, existing)
    finally:
        if not args.data_dir:
            shutil.rmtree(own, ignore_errors=True)
    json_path = Path(args.json_path or Path(tempfile.gettempdir()) / "bench.json")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print_table(report)
    print(f"report: {json_path}")


def memoise_janome():
    """Make Janome remember the texts it has tokenised (replicated meetings repeat every text);
    return a function that undoes it."""
    from indexer.text import analysis

    original = analysis._janome_tokens
    memo: dict[str, list] = {}

    def tokens(text: str) -> list:
        found = memo.get(text)
        if found is None:
            if len(memo) > 20_000:
                memo.clear()
            found = memo[text] = original(text)
        return found

    analysis._janome_tokens = tokens

    def undo() -> None:
        analysis._janome_tokens = original

    return undo


def scaling(
    meetings: list,
    factors: list[int],
    queries: list[BenchQuery],
    warmup: list[BenchQuery],
    procs: int,
    index_1x: Path | None = None,
) -> dict:
    """Build the corpus replicated factor times and measure library latency on each (a third of the
    queries). The copies' texts repeat, so Janome's results are reused while building: the build
    times here are not indexing throughput."""
    from indexer.index.build import build_index
    from indexer.search import postings

    sample = queries[::3]
    curve = {}
    undo = memoise_janome()
    try:
        for factor in factors:
            with tempfile.TemporaryDirectory() as tmp:
                index_dir = Path(tmp) / "index"
                if factor == 1 and index_1x is not None:
                    index_dir, seconds = index_1x, None  # the corpus itself, already indexed
                else:
                    seconds = round(build_index(replicate(meetings, factor), index_dir, procs=procs).seconds, 1)
                postings.CACHE = postings.SegmentCache()
                latency = library_latency(index_dir, sample, warmup)
                documents = json.loads(next(index_dir.glob("gen-*/VERSION.json")).read_text())["documents"]
                curve[f"{factor}x"] = {
                    "documents": documents,
                    "build_seconds": seconds,
                    "index_mib": round(folder_bytes(index_dir) / 2**20, 1),
                    "latency": latency,
                    "worst_p95_ms": max(v["p95_ms"] for v in latency.values()),
                }
            print(
                f"scale {factor}x: {curve[f'{factor}x']['documents']} documents, "
                f"worst p95 {curve[f'{factor}x']['worst_p95_ms']} ms",
                flush=True,
            )
    finally:
        undo()
    over = [name for name, row in curve.items() if row["worst_p95_ms"] > 100]
    curve["first_over_100ms"] = over[0] if over else None
    return curve


def print_table(report: dict) -> None:
    """Print the latency table (p50 / p95 / p99 ms) with the other engines' p95 and our ratio to them."""
    library = report.get("library", {})
    engines = [name for name in ("fts5", "groonga") if "latency" in report.get(name, {})]
    header = ["kind", "library p50/p95/p99", "cold p50/p95"] + (
        ["http / p50/p95", "api p50/p95"] if "http" in report else []
    )
    header += [f"{name} p95 (ours÷theirs)" for name in engines] + (["recall"] if "recall" in report else [])
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for label, row in library.items():
        cold = report.get("library_cold", {}).get(label, {})
        cells = [
            label,
            f"{row['p50_ms']} / {row['p95_ms']} / {row['p99_ms']}",
            f"{cold.get('p50_ms')} / {cold.get('p95_ms')}",
        ]
        if "http" in report:
            for target in ("page", "api"):
                h = report["http"][target].get(label, {})
                cells.append(f"{h.get('p50_ms')} / {h.get('p95_ms')}")
        for name in engines:
            theirs = report[name]["latency"].get(label, {}).get("p95_ms")
            ratio = round(row["p95_ms"] / theirs, 1) if theirs else None
            cells.append(f"{theirs} ({ratio}×)")
        if "recall" in report:
            cells.append(str(report["recall"].get(label, {}).get("recall")))
        print("| " + " | ".join(cells) + " |")
    if "index" in report:
        i = report["index"]
        print(
            f"\nindex: {i['seconds']} s, {i['chars_per_s']:,} chars/s, ratio to raw Janome on all cores "
            f"{i.get('ratio_to_janome_all_cores')}, peak {i['peak_rss_mib']} MiB, size {i['index_mib']} MiB"
        )
    if "http" in report:
        print(f"web process peak memory: {report['http']['peak_rss_mib']} MiB")
    if "scale" in report:
        print(
            "scale: "
            + ", ".join(
                f"{k} {v['documents']} docs p95≤{v['worst_p95_ms']} ms"
                for k, v in report["scale"].items()
                if isinstance(v, dict)
            )
            + f"; first over 100 ms: {report['scale']['first_over_100ms']}"
        )


if __name__ == "__main__":
    main()
