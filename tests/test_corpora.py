"""The shared corpora read into Meeting records (small files only; CI has ../shared too)."""

import re
import subprocess
import sys

import pytest

from indexer.parse.corpora import load_diet, load_tokyo
from tests.conftest import ROOT

CORPORA = ROOT.parent / "shared" / "corpora"
pytestmark = pytest.mark.skipif(not CORPORA.exists(), reason="../shared/corpora is not here")


def test_tokyo_meetings_have_dates_roles_and_split_names():
    meetings = list(load_tokyo(CORPORA / "tokyo-assembly" / "utterances_tokyo_draft.json"))
    assert meetings and all(m.date and m.committee and m.utterances for m in meetings)
    speeches = [u for m in meetings for u in m.utterances]
    assert all(u.role for u in speeches)
    for u in speeches:
        if u.label.endswith("委員長") and not u.label.startswith("副"):
            surname = re.sub(r"[(（].*?[)）]", "", u.label[: -len("委員長")])
            assert u.role == "委員長" and u.speaker and u.speaker.startswith(surname)


def test_diet_speeches_group_into_meetings_without_the_header():
    path = next(p for p in sorted((CORPORA / "diet").glob("*.json")) if p.stat().st_size < 100_000)
    meetings = list(load_diet([path, path]))  # the same file twice must not double the speeches
    assert meetings
    for meeting in meetings:
        assert [u.seq for u in meeting.utterances] == list(range(1, len(meeting.utterances) + 1))
        assert len({u.text for u in meeting.utterances}) == len(meeting.utterances) or len(meeting.utterances) < 3
        for u in meeting.utterances:
            assert not u.text.startswith("○"), u.text[:30]
            assert u.role and u.speaker


def test_performance_benchmark_smoke_run(tmp_path):
    """bench.py --smoke runs every section on a few meetings (Groonga only where it is installed)."""
    import json

    report = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--smoke", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "| noun |" in done.stdout
    figures = json.loads(report.read_text())
    for section in ("janome", "index", "library", "library_cold", "recall", "http", "fts5", "scale"):
        assert section in figures, section
    assert set(figures["library"]) == {
        "noun",
        "compound",
        "phrase",
        "and",
        "noun+date",
        "compound+date",
        "phrase+date",
        "and+date",
    }
    assert figures["index"]["ratio_to_janome_all_cores"] > 0
    assert "latency" in figures["groonga"] or "skipped" in figures["groonga"]


def test_relevance_benchmark_smoke_run(tmp_path):
    report = tmp_path / "relevance.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_relevance.py"), "--limit", "3", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "| all |" in done.stdout
    import json

    summary = json.loads(report.read_text())["summary"]
    assert set(summary["all"]) == {"janome", "bigram", "final"}


def test_scaling_benchmark_smoke_run(tmp_path):
    """bench_scale.py builds the replicated corpora on Xapian and measures both sizes (Groonga where installed)."""
    import json

    pytest.importorskip("xapian")
    report = tmp_path / "scale.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_scale.py"), "--work", str(tmp_path), "--limit", "6"]
        + ["--scale", "1", "3", "--queries", "3", "--procs", "2", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(report.read_text())["scale"]
    assert figures["3x"]["documents"] == 3 * figures["1x"]["documents"] > 0
    for row in figures.values():
        assert set(row["library"]) >= {"noun", "noun+date"} and row["http"]["peak_rss_mib"] > 0
        assert all(kind["recall"] in (None, 1.0) for kind in row["recall"].values()), row["recall"]
    assert "| noun |" in done.stdout
