"""Rebuild benchmark: a cold index build (Janome on every text) against a rebuild from kept analysis,
in one run, on the shared corpora (issue 16: a rebuild at least 3× faster than a cold build).

Usage: python scripts/bench_rebuild.py [--corpora DIR] [--limit N] [--procs P] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.index.build import build_index  # noqa: E402
from indexer.index.kept import AnalysisStore  # noqa: E402
from indexer.parse.corpora import load_shared_corpora  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--limit", type=int, default=0, help="only the first N meetings")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    meetings = list(load_shared_corpora(Path(args.corpora)))
    if args.limit:
        meetings = meetings[: args.limit]
    if not meetings:
        sys.exit(f"no meetings under {args.corpora}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = AnalysisStore(Path(tmp) / "analysis")
        runs = [
            ("plain build, no store", None),
            ("cold build, filling the store", store),
            ("rebuild from kept analysis", store),
        ]
        for label, analysis in runs:
            started = time.perf_counter()
            report = build_index(meetings, Path(tmp) / "index", procs=args.procs, keep=1, analysis=analysis)
            seconds = time.perf_counter() - started
            rows.append({"run": label, "seconds": round(seconds, 1), "chars_per_s": round(report.characters / seconds)})
            print(f"{label:32} {seconds:7.1f} s  {report.characters / seconds:12,.0f} chars/s", flush=True)
        store.close()
        size = (Path(tmp) / "analysis" / "analysis.sqlite").stat().st_size
    ratio = rows[0]["seconds"] / rows[2]["seconds"]
    print(
        f"\n{len(meetings)} meetings, {report.documents} documents, {report.characters:,} characters, "
        f"procs {args.procs}; kept analysis {size / 1e6:.0f} MB\n"
        f"rebuild from kept analysis: {ratio:.1f}x faster than the plain build"
    )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"runs": rows, "ratio": round(ratio, 2)}, indent=2))


if __name__ == "__main__":
    main()
