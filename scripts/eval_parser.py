"""Score the parser on pages whose speech turns are known: the parsing-generality measure.

Two page sets:
  real    ../shared/real-pages/pages/*.html with gold.json (real pages of many sites, hand-annotated;
          see its README for the annotation rules), skipped with a note when absent
  sample  data/sample/*.html, whose turns scripts/make_sample.py wrote

For each page: the role sequence of its speech turns (utterances with a role) is aligned with the
gold one (longest common subsequence); F1 from that alignment; names = the share of aligned turns
whose speaker name agrees; date = 1 if the date is right (or both are unknown), else 0; title is
reported but not scored. A page's score is F1 × date × names, the measure of issue 14. A page the
parser refuses scores 0. Pages annotated only to their first N turns (turns_truncated) are compared
on the parser's first N turns.

Usage:
    python scripts/eval_parser.py                 # both sets: a table per page and the means
    python scripts/eval_parser.py --set real -v   # one set, with each page's aligned turns
    python scripts/eval_parser.py --json out.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.parse.page import ParseError, parse_minutes  # noqa: E402
from indexer.text.normalize import normalize_text  # noqa: E402

REAL_PAGES = ROOT.parent / "shared" / "real-pages"
# The gold's own normalisation (its README): these roles are written in this form; any other as printed.
_SEAT = re.compile(r"^\d+番(議員)?$")
CANONICAL = ("議長", "副議長", "委員長", "副委員長", "委員", "会長", "副会長", "部会長", "事務局")


@dataclass
class Case:
    """One page with what it must parse into."""

    name: str
    group: str
    path: Path
    url: str
    title: str | None
    date: str | None
    turns: list[tuple[str, str]]
    truncated: bool = False


@dataclass
class Score:
    """How one page parsed."""

    name: str
    group: str
    gold_turns: int
    turns: int
    f1: float
    names: float
    date_ok: bool
    title_ok: bool
    score: float
    status: str = "ok"
    error: str = ""
    seconds: float = 0.0
    aligned: list[tuple[str, str, str, str]] = field(default_factory=list)


def _plain_name(name: str | None) -> str:
    name = normalize_text(name or "").replace(" ", "")
    return re.sub(r"(君|さん|氏)$", "", name)


def _role_matches(predicted: str, gold: str) -> bool:
    """Say whether a parsed role is the gold one: equal, or the gold title ends with it (部長 for 総務部長),
    since the parser may give the family of a title the gold keeps as printed, or a seat number the
    parser files under 議員."""
    predicted, gold = normalize_text(predicted), normalize_text(gold)
    if predicted == "議員" and _SEAT.match(gold):
        return True  # the parser files a member labelled by seat (５番, ２番議員) under 議員
    return predicted == gold or (gold not in CANONICAL and len(predicted) >= 2 and gold.endswith(predicted))


def _turn_matches(predicted: tuple[str, str], gold: tuple[str, str]) -> bool:
    """Say whether a parsed turn is the gold one by role; where the label printed no role (gold role ""),
    by name, whatever role the parser inferred (○藤井敏子君 → 議員)."""
    if gold[0] == "":
        return bool(gold[1]) and _plain_name(predicted[1]) == _plain_name(gold[1])
    return _role_matches(predicted[0], gold[0])


def _align(predicted: list[tuple[str, str]], gold: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """Return the index pairs of a longest common subsequence of the two role sequences."""
    n, m = len(predicted), len(gold)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if _turn_matches(predicted[i], gold[j]):
                table[i][j] = table[i + 1][j + 1] + 1
            else:
                table[i][j] = max(table[i + 1][j], table[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if _turn_matches(predicted[i], gold[j]) and table[i][j] == table[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def score_case(case: Case) -> Score:
    """Parse one page and score it against its gold turns."""
    started = time.perf_counter()
    try:
        meeting = parse_minutes(case.path.read_bytes(), case.url)
    except ParseError as error:
        return Score(case.name, case.group, len(case.turns), 0, 0.0, 0.0, False, False, 0.0, "refused", str(error))
    seconds = time.perf_counter() - started
    predicted = [(u.role or "", u.speaker or "") for u in meeting.utterances if u.role]
    if case.truncated:
        predicted = predicted[: len(case.turns)]
    pairs = _align(predicted, case.turns)
    precision = len(pairs) / len(predicted) if predicted else float(not case.turns)
    recall = len(pairs) / len(case.turns) if case.turns else float(not predicted)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    named = [_plain_name(predicted[i][1]) == _plain_name(case.turns[j][1]) for i, j in pairs]
    names = sum(named) / len(named) if named else float(not case.turns)
    date = meeting.date.isoformat() if meeting.date else None
    date_ok = date == case.date
    title_ok = case.title is None or normalize_text(case.title) == normalize_text(meeting.title or "")
    quality = getattr(meeting, "quality", None)
    status = getattr(quality, "status", "ok") if quality is not None else "ok"
    aligned = [(predicted[i][0], predicted[i][1], case.turns[j][0], case.turns[j][1]) for i, j in pairs]
    return Score(
        case.name, case.group, len(case.turns), len(predicted), round(f1, 4), round(names, 4), date_ok, title_ok,
        round(f1 * names * (1.0 if date_ok else 0.0), 4), status, "", round(seconds, 3), aligned,
    )  # fmt: skip


def real_cases(folder: Path = REAL_PAGES) -> list[Case]:
    """Return the hand-annotated real pages, or none when the shared folder is absent."""
    gold_file = folder / "gold.json"
    if not gold_file.exists():
        return []
    gold = json.loads(gold_file.read_text(encoding="utf-8"))
    return [
        Case(
            stem,
            f"real/{entry.get('kind', '?')}",
            folder / "pages" / f"{stem}.html",
            entry.get("source") or "",
            entry.get("title"),
            entry.get("date"),
            [(r, n) for r, n in entry["turns"]],
            bool(entry.get("turns_truncated")),
        )  # fmt: skip
        for stem, entry in sorted(gold.items())
    ]


def sample_cases() -> list[Case]:
    """Return the bundled sample pages with the turns their generator wrote."""
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "scripts" / "make_sample.py")
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    sys.modules["make_sample"] = generator
    spec.loader.exec_module(generator)
    cases = []
    for page in generator.build_pages():
        turns = []
        for turn in page.turns:
            # The generator's own conventions (see tests/test_sample_pages.py): heading layouts print 会長
            # for the chair; council pages answer by department heads and name every speaker.
            role = turn.role
            if page.layout == "layout_headings" and role == "委員長":
                role = "会長"
            if page.layout == "layout_council" and role == "事務局":
                role = "部長"
            name = turn.name if page.layout == "layout_council" and turn.role != "事務局" else None
            turns.append((role, name))
        path = ROOT / "data" / "sample" / page.name
        cases.append(Case(page.name, "sample", path, path.as_uri(), page.title, page.date, turns))
    return cases


def _names_of(case: Case, score: Score) -> Score:
    """Score names only where the gold gives them (the sample's generator gives council names only)."""
    if case.group != "sample":
        return score
    known = [(p, g) for _, p, _, g in score.aligned if g is not None]
    names = sum(_plain_name(p).startswith(_plain_name(g)) for p, g in known) / len(known) if known else 1.0
    score.names = round(names, 4)
    score.score = round(score.f1 * names * (1.0 if score.date_ok else 0.0), 4)
    return score


def main() -> None:
    """Score the chosen page sets and print a table per page and the means."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=("real", "sample", "all"), default="all")
    parser.add_argument("--real-pages", type=Path, default=REAL_PAGES)
    parser.add_argument("-v", "--verbose", action="store_true", help="print each page's aligned turns")
    parser.add_argument("--json", dest="json_path", type=Path)
    args = parser.parse_args()
    cases = []
    if args.set in ("real", "all"):
        found = real_cases(args.real_pages)
        if not found:
            print(f"(no real pages at {args.real_pages}: skipped)")
        cases += found
    if args.set in ("sample", "all"):
        cases += sample_cases()
    scores = [_names_of(case, score_case(case)) for case in cases]
    print("| page | group | gold | parsed | F1 | names | date | title | score | status |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s in scores:
        print(
            f"| {s.name} | {s.group} | {s.gold_turns} | {s.turns} | {s.f1:.2f} | {s.names:.2f} | "
            f"{'ok' if s.date_ok else 'WRONG'} | {'ok' if s.title_ok else 'differs'} | {s.score:.2f} | "
            f"{s.status}{': ' + s.error[:60] if s.error else ''} |"
        )
        if args.verbose:
            for parsed_role, parsed_name, gold_role, gold_name in s.aligned:
                print(f"    {parsed_role}/{parsed_name}  ~  {gold_role}/{gold_name}")
    print()
    print(f"parse time: {sum(s.seconds for s in scores):.2f} s for {len(scores)} pages (one pass, this process)")
    groups = sorted({s.group for s in scores}) + (["real"] if any(s.group.startswith("real") for s in scores) else [])
    for group in groups:
        chosen = [s for s in scores if s.group == group or (group == "real" and s.group.startswith("real/"))]
        mean = sum(s.score for s in chosen) / len(chosen)
        bad = [s for s in chosen if s.score < 0.9]
        flagged = sum(s.status != "ok" for s in bad)
        print(
            f"{group}: mean score {mean:.3f} over {len(chosen)} pages; {len(bad)} below 0.9, "
            f"{flagged} of them flagged suspect or refused"
        )
    if args.json_path:
        args.json_path.write_text(json.dumps([asdict(s) for s in scores], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
