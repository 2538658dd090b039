"""Relevance benchmark: three matching configurations on the shared corpora, in one run.

Configurations (one index holds both fields, so they differ only in how queries are built):
  janome  Janome words only (a split compound is a phrase of its parts), no synonyms
  bigram  character bigrams only (every word an exact substring), no synonyms
  final   the shipped chain: Janome words, OR an exact substring for compounds and unknown words
          (a kanji word must start where a word starts), synonyms for abbreviation queries

Oracles, per query kind:
  substring  every utterance whose folded text contains the folded query or, unless the query is
             quoted, any word of its synonym group: recall and precision are exact
  word       the same, but the match must begin where a Janome word begins (京都 ≠ 東京都)
nDCG@10 uses graded relevance by rule, not by hand: 2 if the utterance holds the query two or more
times, 1 if once, 0 otherwise (the oracle's own counts).

Judged mode (--judged): graded judgments by a person (scripts/relevance_judgments.json: 0 not
relevant, 1 partly, 2 about the topic) for natural queries typed without spaces (子どもの貧困対策)
and their spaced keyword form (子ども 貧困 対策); nDCG@10 and success@10 (a grade-2 hit in the top
10) for three configurations in one run:
  natural  the engine, the natural string as typed
  spaced   the engine, the spaced keyword form
  bm25     Whoosh's own BM25F over the text field, the AND of the natural string's content words
Unjudged results count as 0; how many of each configuration's top 10 are unjudged is printed, so a
ranking change that surfaces unjudged utterances shows (--pool PATH writes them out for judging).

Usage: python scripts/eval_relevance.py [--index DIR] [--limit N] [--json PATH]
       python scripts/eval_relevance.py --judged [--index DIR] [--judgments PATH] [--pool PATH] [--json PATH]
Without --index the corpora are indexed into a temporary folder first (several minutes).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whoosh import query as wq  # noqa: E402
from whoosh import scoring  # noqa: E402

from indexer.index.build import build_index  # noqa: E402
from indexer.index.generations import open_generation  # noqa: E402
from indexer.index.schema import meeting_documents  # noqa: E402
from indexer.parse.corpora import load_shared_corpora  # noqa: E402
from indexer.search.engine import SearchIndex, SearchRequest  # noqa: E402
from indexer.search.synonyms import Synonyms  # noqa: E402
from indexer.text.analysis import analyze  # noqa: E402
from indexer.text.normalize import fold_chars, normalize_text  # noqa: E402

# (query, kind, oracle). kinds: compound, phrase, word, abbreviation, variant.
QUERIES = [
    ("豊洲市場", "compound", "substring"),
    ("築地市場", "compound", "substring"),
    ("土壌汚染対策", "compound", "substring"),
    ("地下水モニタリング", "compound", "substring"),
    ("盛り土", "compound", "substring"),
    ("専門家会議", "compound", "substring"),
    ("技術会議", "compound", "substring"),
    ("首都直下地震", "compound", "substring"),
    ("帰宅困難者", "compound", "substring"),
    ("防災対策", "compound", "substring"),
    ("政治資金規正法", "compound", "substring"),
    ("政治改革", "compound", "substring"),
    ("選択的夫婦別姓", "compound", "substring"),
    ("物価高", "compound", "substring"),
    ("少子化対策", "compound", "substring"),
    ("能登半島地震", "compound", "substring"),
    ("日米地位協定", "compound", "substring"),
    ("情報公開", "compound", "substring"),
    ("受動喫煙", "compound", "substring"),
    ("組織委員会", "compound", "substring"),
    ("競技会場", "compound", "substring"),
    ("新国立競技場", "compound", "substring"),
    ("東日本大震災", "compound", "substring"),
    ("原子力発電所", "compound", "substring"),
    ("再生可能エネルギー", "compound", "substring"),
    ("手元配布", "compound", "substring"),
    ("高額療養費", "compound", "substring"),
    ("社会福祉法人", "compound", "substring"),
    ("事業団", "compound", "substring"),
    ("卸売市場", "compound", "substring"),
    ('"お手元に配付"', "phrase", "substring"),
    ('"御異議ありませんか"', "phrase", "substring"),
    ('"政府参考人"', "phrase", "substring"),
    ('"質疑を終了"', "phrase", "substring"),
    ('"東京都の"', "phrase", "substring"),
    ("京都", "word", "word"),
    ("地震", "word", "word"),
    ("予算", "word", "word"),
    ("市場", "word", "word"),
    ("防衛", "word", "word"),
    ("BCP", "abbreviation", "substring"),
    ("DX", "abbreviation", "substring"),
    ("五輪", "abbreviation", "substring"),
    ("自民党", "abbreviation", "substring"),
    ("コロナ", "abbreviation", "substring"),
    ("マイナンバー", "abbreviation", "substring"),
    ("コンピューター", "variant", "substring"),
    ("サーバー", "variant", "substring"),
    ("ＩＣＴ", "variant", "substring"),
    ("ｐｃｂ", "variant", "substring"),
]
CONFIGS = {"janome": ("janome", False), "bigram": ("bigram", False), "final": ("final", True)}


def fold(text: str) -> str:
    return fold_chars(normalize_text(text).replace(" ", ""))[0]


class Oracle:
    """Normalised-substring counts over every indexed document."""

    def __init__(self, docs: list[dict]):
        self.docs = [((d["meeting_id"], d["seq"]), d["text"], fold_chars(d["text"])) for d in docs]
        self._word_starts: dict[int, set[int]] = {}

    def counts(self, needles: list[str], word_start: bool) -> dict[tuple[str, int], int]:
        found: dict[tuple[str, int], int] = {}
        for key, text, (folded, offsets) in self.docs:
            total = 0
            for needle in needles:
                at = folded.find(needle)
                while at >= 0:
                    if not word_start or self._starts_word(text, offsets[at]):
                        total += 1
                    at = folded.find(needle, at + 1)
            if total:
                found[key] = total
        return found

    def _starts_word(self, text: str, offset: int) -> bool:
        """Tell whether a Janome word begins at offset (the whole text analysed, as the index does)."""
        starts = self._word_starts.get(id(text))
        if starts is None:
            starts = self._word_starts[id(text)] = {t.start for t in analyze(text)}
        return offset in starts


def ndcg_at_10(ranked: list, gains: dict) -> float:
    dcg = sum(gains.get(key, 0) / math.log2(i + 2) for i, key in enumerate(ranked[:10]))
    ideal = sorted(gains.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 1.0


JUDGMENTS_PATH = Path(__file__).with_name("relevance_judgments.json")
JUDGED_CONFIGS = ("natural", "spaced", "bm25")
TEXT_FIELD = "text"  # the Janome-analysed field of indexer/index/schema.py


def doc_key(meeting_id: str, seq: int) -> str:
    """The judgments' key of an utterance: its index doc_id (meeting id = sha1 of the meeting's url)."""
    return f"{meeting_id}:{seq}"


def content_terms(text: str) -> list[str]:
    """The terms the index stores for text's content words (particles and auxiliaries dropped)."""
    return list(dict.fromkeys(t.term for t in analyze(normalize_text(text))))


def engine_ranking(engine: SearchIndex, text: str, depth: int, mode: str = "final") -> tuple[int, list[str]]:
    """(total hits, keys of the first depth) for text searched through the engine as typed."""
    try:
        result = engine.search(SearchRequest(q=text, limit=depth, mode=mode, expand=mode == "final"))
    except ValueError:  # QueryError: a query the engine refuses finds nothing
        return 0, []
    return result.total, [doc_key(hit.meeting_id, hit.seq) for hit in result.hits]


def bm25_ranking(searcher, text: str, depth: int) -> tuple[int, list[str]]:
    """(total hits, keys of the first depth) for Whoosh's BM25F over the AND of text's content words."""
    terms = content_terms(text)
    if not terms:
        return 0, []
    results = searcher.search(wq.And([wq.Term(TEXT_FIELD, t) for t in terms]), limit=depth)
    return len(results), [doc_key(hit["meeting_id"], hit["seq"]) for hit in results]


def judged_rankings(engine: SearchIndex, searcher, query: dict, depth: int) -> dict[str, tuple[int, list[str]]]:
    """Every pooled ranking of one judged query: name → (total hits, keys of the first depth). bigram (the
    spaced form in the bigram mode) and exact (the natural string quoted) only widen the pool."""
    return {
        "natural": engine_ranking(engine, query["natural"], depth),
        "spaced": engine_ranking(engine, query["spaced"], depth),
        "bm25": bm25_ranking(searcher, query["natural"], depth),
        "bigram": engine_ranking(engine, query["spaced"], depth, mode="bigram"),
        "exact": engine_ranking(engine, f'"{query["natural"]}"', depth),
    }


def success_at_10(ranked: list, gains: dict) -> float:
    """1 if a grade-2 utterance is in the top 10, else 0."""
    return 1.0 if any(gains.get(key, 0) >= 2 for key in ranked[:10]) else 0.0


def stale_judgments(searcher, queries: list[dict]) -> list[str]:
    """Judged keys whose utterance is gone from the index or whose text is no longer the one judged."""
    stale = []
    for query in queries:
        for judgment in query["judgments"]:
            doc = searcher.document(doc_id=judgment["key"])
            digest = hashlib.sha1(doc.get("text", "").encode("utf-8")).hexdigest()[:16] if doc else None
            if digest != judgment["text_sha1"]:
                stale.append(f"{query['natural']} {judgment['key']}")
    return stale


def run_judged(args: argparse.Namespace, index_dir: Path) -> None:
    """Score the engine (natural and spaced forms) and plain BM25 against the judgments; print the table."""
    data = json.loads(Path(args.judgments).read_text(encoding="utf-8"))
    queries = data["queries"]
    engine = SearchIndex(index_dir, synonyms=Synonyms.load())
    ix, _ = open_generation(index_dir)
    searcher = ix.searcher(weighting=scoring.BM25F())
    stale = stale_judgments(searcher, queries)
    rows = []
    pool_out = []
    for query in queries:
        gains = {j["key"]: j["grade"] for j in query["judgments"]}
        rankings = judged_rankings(engine, searcher, query, max(10, args.depth))
        row = {
            "natural": query["natural"],
            "spaced": query["spaced"],
            "bm25_terms": content_terms(query["natural"]),
            "judged": len(gains),
            "relevant": sum(1 for g in gains.values() if g >= 2),
            "configs": {},
        }
        for name in JUDGED_CONFIGS:
            total, ranked = rankings[name]
            row["configs"][name] = {
                "hits": total,
                "ndcg10": ndcg_at_10(ranked, gains),
                "success10": success_at_10(ranked, gains),
                "unjudged10": sum(1 for key in ranked[:10] if key not in gains),
                "top10": ranked[:10],
            }
        rows.append(row)
        missing: dict[str, list[str]] = {}
        for name, (_, ranked) in rankings.items():
            for key in ranked[: args.depth]:
                if key not in gains:
                    missing.setdefault(key, []).append(name)
        for key, sources in missing.items():
            doc = searcher.document(doc_id=key) or {}
            pool_out.append({"natural": query["natural"], "key": key, "sources": sources, "text": doc.get("text", "")})
    searcher.close()
    ix.close()
    engine.close()

    def mean(config: str, metric: str) -> float:
        values = [r["configs"][config][metric] for r in rows]
        return sum(values) / len(values) if values else float("nan")

    judged = sum(r["judged"] for r in rows)
    print(f"{len(rows)} judged queries, {judged} judgments ({sum(r['relevant'] for r in rows)} of grade 2)")
    if stale:
        print(f"{len(stale)} judged utterances are gone or changed in this index (rebuilt from other corpora?):")
        for line in stale[:10]:
            print(f"  {line}")
    print("\nper query: nDCG@10 / success@10 (hits) for natural | spaced | bm25")
    for row in rows:
        cells = [
            f"{c['ndcg10']:.3f}/{c['success10']:.0f} ({c['hits']:>4})"
            for c in (row["configs"][n] for n in JUDGED_CONFIGS)
        ]
        print(f"  {row['natural']:<14}\t" + "  ".join(cells))
    summary: dict[str, dict[str, float]] = {}
    print("\n| configuration | nDCG@10 | success@10 | queries with 0 hits | unjudged in top 10 |")
    print("|---|---|---|---|---|")
    for name in JUDGED_CONFIGS:
        summary[name] = {
            "ndcg10": mean(name, "ndcg10"),
            "success10": mean(name, "success10"),
            "zero_hit_queries": sum(1 for r in rows if r["configs"][name]["hits"] == 0),
            "unjudged10": sum(r["configs"][name]["unjudged10"] for r in rows),
        }
        s = summary[name]
        print(f"| {name} | {s['ndcg10']:.3f} | {s['success10']:.3f} | {s['zero_hit_queries']} | {s['unjudged10']} |")
    spaced = summary["spaced"]["ndcg10"]
    ratio = summary["natural"]["ndcg10"] / spaced if spaced else float("nan")
    print(f"\nnatural / spaced nDCG@10: {ratio:.3f}")
    if args.pool:
        Path(args.pool).write_text(json.dumps(pool_out, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{len(pool_out)} pooled utterances without a judgment (depth {args.depth}) written to {args.pool}")
    if args.json_path:
        payload = {"summary": summary, "natural_over_spaced_ndcg10": ratio, "stale": stale, "queries": rows}
        Path(args.json_path).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    """Run every query in every configuration and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--index", help="an index folder built from the same corpora (skips indexing)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N meetings (smoke runs)")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--kinds", nargs="+", help="only queries of these kinds (compound, phrase, word …)")
    parser.add_argument("--judged", action="store_true", help="score against the judgments (see above)")
    parser.add_argument("--judgments", default=str(JUDGMENTS_PATH), help="the judgments file (with --judged)")
    parser.add_argument("--pool", help="with --judged: write pooled utterances that lack a judgment to this file")
    parser.add_argument("--depth", type=int, default=10, help="with --judged: pool depth per ranking for --pool")
    args = parser.parse_args()
    if args.judged and args.index:
        run_judged(args, Path(args.index))  # the corpora are read only to build an index
        return
    queries = [q for q in QUERIES if not args.kinds or q[1] in args.kinds]

    loaded = load_shared_corpora(Path(args.corpora))
    meetings = list(itertools.islice(loaded, args.limit) if args.limit else loaded)
    docs = [d for m in meetings for d in meeting_documents(m)]
    temp = None
    if args.index:
        index_dir = Path(args.index)
    else:
        temp = tempfile.TemporaryDirectory()
        index_dir = Path(temp.name)
        started = time.perf_counter()
        build_index(meetings, index_dir, procs=2)
        print(f"indexed {len(meetings)} meetings, {len(docs)} documents in {time.perf_counter() - started:.0f}s")
    if args.judged:
        run_judged(args, index_dir)
        if temp:
            temp.cleanup()
        return
    synonyms = Synonyms.load()
    engine = SearchIndex(index_dir, synonyms=synonyms)
    oracle = Oracle(docs)
    rows = []
    for query, kind, oracle_kind in queries:
        bare = query.strip('"')
        needles = [fold(bare)]
        if not query.startswith('"'):
            # What the person asking wants: the word and its synonyms (quoted phrases are exact).
            needles += [fold(w) for w in synonyms.alternatives(bare)]
        truth = oracle.counts(needles, word_start=oracle_kind == "word")
        row: dict[str, Any] = {"query": query, "kind": kind, "relevant": len(truth), "configs": {}}
        for name, (mode, expand) in CONFIGS.items():
            started = time.perf_counter()
            ranked = engine.ranked_ids(SearchRequest(q=query, mode=mode, expand=expand))
            seconds = time.perf_counter() - started
            hits = set(ranked)
            true_positives = len(hits & set(truth))
            row["configs"][name] = {
                "hits": len(hits),
                "recall": true_positives / len(truth) if truth else 1.0,
                "precision": true_positives / len(hits) if hits else (1.0 if not truth else 0.0),
                "ndcg10": ndcg_at_10(ranked, {k: min(v, 2) for k, v in truth.items()}),
                "ms": round(seconds * 1000, 1),
            }
        rows.append(row)
    engine.close()

    def mean(kind_filter, config, metric):
        values = [r["configs"][config][metric] for r in rows if kind_filter(r) and r["relevant"]]
        return sum(values) / len(values) if values else float("nan")

    groups = [
        ("compound", lambda r: r["kind"] == "compound"),
        ("phrase", lambda r: r["kind"] == "phrase"),
        ("word", lambda r: r["kind"] == "word"),
        ("abbreviation", lambda r: r["kind"] == "abbreviation"),
        ("variant", lambda r: r["kind"] == "variant"),
        ("all", lambda r: True),
    ]
    print(
        f"\n{len(rows)} queries ({sum(1 for r in rows if r['relevant'])} with relevant utterances) "
        f"over {len(docs)} documents\n"
    )
    print("| kind | queries | " + " | ".join(f"{c} R / P / nDCG@10" for c in CONFIGS) + " |")
    print("|---|---|" + "---|" * len(CONFIGS))
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for label, kind_filter in groups:
        cells = []
        for config in CONFIGS:
            r, p, n = (mean(kind_filter, config, m) for m in ("recall", "precision", "ndcg10"))
            summary.setdefault(label, {})[config] = {"recall": r, "precision": p, "ndcg10": n}
            cells.append(f"{r:.3f} / {p:.3f} / {n:.3f}")
        count = sum(1 for r in rows if kind_filter(r) and r["relevant"])
        print(f"| {label} | {count} | " + " | ".join(cells) + " |")
    print("\nper query (relevant; recall/precision per config):")
    for row in rows:
        print(
            f"  {row['query']:<14} {row['kind']:<12} {row['relevant']:>5}  "
            + "  ".join(f"{c}={v['recall']:.3f}/{v['precision']:.3f}" for c, v in row["configs"].items())
        )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"summary": summary, "queries": rows}, ensure_ascii=False, indent=1))
    if temp:
        temp.cleanup()


if __name__ == "__main__":
    main()
