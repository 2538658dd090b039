"""Indexing throughput on the shared corpora, against raw Janome measured in the same run.

Usage:
    python scripts/bench_index.py                      # full corpora (several minutes)
    python scripts/bench_index.py --limit 20 --procs 1 # a seconds-long smoke run
Prints a table and writes a JSON report (--json PATH, default bench-index.json in a temp dir).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.analysis import analyze  # noqa: E402
from indexer.corpora import load_shared_corpora  # noqa: E402
from indexer.index import build_index, meeting_documents  # noqa: E402


def _count_tokens(texts: list[str]) -> int:
    return sum(1 for text in texts for _ in analyze(text))


def janome_throughput(texts: list[str], procs: int) -> float:
    """Return characters per second for the analysis chain alone on procs processes."""
    chars = sum(map(len, texts))
    started = time.perf_counter()
    if procs == 1:
        _count_tokens(texts)
    else:
        chunks = [texts[i::procs * 8] for i in range(procs * 8)]
        with Pool(procs) as pool:
            pool.map(_count_tokens, chunks)
    return chars / (time.perf_counter() - started)


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--limit", type=int, default=0, help="only the first N meetings (0: all)")
    parser.add_argument("--procs", type=int, nargs="+", default=[1, os.cpu_count() or 1],
                        help="process counts to measure")
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args()

    started = time.perf_counter()
    loaded = load_shared_corpora(Path(args.corpora))
    meetings = list(itertools.islice(loaded, args.limit) if args.limit else loaded)
    load_seconds = time.perf_counter() - started
    texts = [doc["text"] for m in meetings for doc in meeting_documents(m)]
    chars = sum(map(len, texts))
    report = {
        "meetings": len(meetings), "documents": len(texts), "characters": chars,
        "load_seconds": round(load_seconds, 2), "cpu_count": os.cpu_count(), "runs": [],
    }
    print(f"{len(meetings)} meetings, {len(texts)} documents, {chars:,} characters "
          f"(loaded in {load_seconds:.1f}s)")
    for procs in sorted(set(args.procs)):
        janome = janome_throughput(texts, procs)
        with tempfile.TemporaryDirectory() as tmp:
            built = build_index(meetings, Path(tmp) / "index", procs=procs)
        index_rate = built.characters / built.seconds
        run = {"procs": procs, "janome_chars_per_s": round(janome), "index_chars_per_s": round(index_rate),
               "index_seconds": round(built.seconds, 1), "ratio_to_janome": round(index_rate / janome, 3)}
        report["runs"].append(run)
        print(f"procs={procs}: raw Janome {janome:,.0f} chars/s | minutes index {index_rate:,.0f} chars/s "
              f"in {built.seconds:.1f}s | ratio {index_rate / janome:.2f}")
    json_path = Path(args.json_path or Path(tempfile.gettempdir()) / "bench-index.json")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print("\n| procs | raw Janome chars/s | index chars/s | index s | ratio |\n|---|---|---|---|---|")
    for run in report["runs"]:
        print(f"| {run['procs']} | {run['janome_chars_per_s']:,} | {run['index_chars_per_s']:,} | "
              f"{run['index_seconds']} | {run['ratio_to_janome']} |")
    print(f"report: {json_path}")


if __name__ == "__main__":
    main()
