"""Kept analysis: a rebuild from the store writes exactly the index a cold build writes, without Janome."""

import pytest

from indexer.index.build import build_index, sync_index
from indexer.index.generations import open_generation
from indexer.index.kept import AnalysisStore, KeptText, text_key
from indexer.store.record_store import RecordStore


def postings_of(index_dir) -> dict:
    """Return every (field, term) with its postings (document, raw value) and every stored document."""
    ix, _ = open_generation(index_dir)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        terms = {}
        for fieldname, term in reader.all_terms():
            matcher = reader.postings(fieldname, term)
            found = []
            while matcher.is_active():
                found.append((matcher.id(), matcher.value()))
                matcher.next()
            terms[(fieldname, term)] = found
        stored = [searcher.stored_fields(d) for d in range(reader.doc_count_all())]
    ix.close()
    return {"terms": terms, "stored": stored}


@pytest.fixture(scope="module")
def meetings(sample_settings):
    return sorted(RecordStore(sample_settings.records_dir), key=lambda m: m.id)


def test_a_rebuild_from_kept_analysis_writes_the_same_index_as_a_cold_build(meetings, tmp_path, monkeypatch):
    store = AnalysisStore(tmp_path / "analysis")
    build_index(meetings, tmp_path / "cold", analysis=store)
    texts = {doc_text for m in meetings for doc_text in [u.text for u in m.utterances]}
    assert store.misses >= len(texts) and store.hits == 0
    assert not list((tmp_path / "analysis" / "spool").glob("*.jsonl"))  # merged into the store

    def no_janome(*_args, **_kwargs):
        raise AssertionError("Janome ran during a rebuild from kept analysis")

    store.hits = store.misses = 0
    monkeypatch.setattr("indexer.index.analyzers.analyze", no_janome)
    build_index(meetings, tmp_path / "warm", analysis=store)
    assert store.misses == 0 and store.hits > len(texts)
    monkeypatch.undo()
    cold, warm = postings_of(tmp_path / "cold"), postings_of(tmp_path / "warm")
    assert warm["terms"] == cold["terms"] and len(cold["terms"]) > 1000
    assert warm["stored"] == cold["stored"]
    assert all(type(doc["text"]) is str for doc in warm["stored"])  # no KeptText pickled into the index
    store.close()


def test_words_analysed_in_the_writers_other_processes_are_kept(meetings, tmp_path):
    store = AnalysisStore(tmp_path / "analysis")
    build_index(meetings, tmp_path / "index", procs=2, analysis=store)
    kept = store._db.execute("SELECT COUNT(*) FROM words").fetchone()[0]
    distinct = len({text for m in meetings for text in [u.text for u in m.utterances]})
    assert kept >= distinct  # every utterance's text (and each header) analysed once in some process
    store.hits = store.misses = 0
    build_index(meetings, tmp_path / "index", procs=2, analysis=store)
    assert store.misses == 0
    store.close()


def test_a_changed_text_is_analysed_again_and_kept(meetings, tmp_path, sample_settings):
    records = RecordStore(tmp_path / "records")
    for meeting in meetings:
        records.save(meeting)
    store = AnalysisStore(tmp_path / "analysis")
    sync_index(records, tmp_path / "index", analysis=store)
    changed = meetings[0]
    changed.utterances[0].text += "　防災の計画を追記します。"
    records.save(changed)
    store.hits = store.misses = 0
    report = sync_index(records, tmp_path / "index", analysis=store)
    assert report.updated == 1 and store.misses == 1  # only the new text ran through Janome
    assert store.wrap(changed.utterances[0].text).tokens is not None
    store.close()


def test_the_key_holds_the_analyzer_version(monkeypatch):
    before = text_key("防災計画")
    monkeypatch.setattr("indexer.index.kept.ANALYZER_VERSION", "another")
    assert text_key("防災計画") != before


def test_a_failed_build_keeps_nothing_it_spooled(meetings, tmp_path):
    store = AnalysisStore(tmp_path / "analysis")

    def broken():
        yield meetings[0]
        raise RuntimeError("records went away")

    with pytest.raises(RuntimeError):
        build_index(broken(), tmp_path / "index", analysis=store)
    assert store._db.execute("SELECT COUNT(*) FROM words").fetchone()[0] == 0
    assert not list((tmp_path / "analysis" / "spool").glob("*.jsonl"))
    kept = store.wrap("まだ誰も解析していない文")
    assert isinstance(kept, KeptText) and kept.tokens is None
    store.close()
