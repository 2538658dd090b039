"""The block-wise evaluator (indexer.search.evaluate) against Whoosh's own matchers on real indexes."""

import pytest

from indexer.index.build import build_index, sync_index
from indexer.index.generations import open_generation
from indexer.search.evaluate import Unsupported, scores
from indexer.search.query import parse_query
from indexer.search.synonyms import Synonyms
from indexer.store.record_store import RecordStore

QUERIES = [
    "データセンター",
    "防災",
    "予算",
    "委員",
    "サーバー",
    "BCP",
    '"防災センター"',
    '"計画を"',
    "防災 訓練",
    "データ OR 情報",
    "防災 -訓練",
    "防災 NOT 予算",
    "(防災 OR 福祉) 計画",
    "京都",
    "説明します",
    "role:委員長 防災",
    "存在しない語",
    "ありがとう",
]


def whoosh_scores(searcher, query) -> dict[int, float]:
    results = searcher.search(query, limit=None)
    return {results.docnum(i): results.score(i) for i in range(results.scored_length())}


def assert_same(searcher, text):
    parsed = parse_query(text, synonyms=Synonyms.load())
    try:
        ours = scores(searcher, parsed.query)
    except Unsupported as error:
        pytest.fail(f"{text}: the evaluator does not cover it ({error})")
    theirs = whoosh_scores(searcher, parsed.query)
    assert set(ours) == set(theirs), text
    for docnum, score in theirs.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-6), (text, docnum)


@pytest.mark.parametrize("text", QUERIES)
def test_same_matches_and_scores_as_whoosh_on_the_sample(sample_settings, text):
    ix, _ = open_generation(sample_settings.index_dir)
    with ix.searcher() as searcher:
        assert_same(searcher, text)
    ix.close()


@pytest.fixture(scope="module")
def segmented_index(sample_settings, tmp_path_factory):
    """The sample indexed on two processes (two segments), then one meeting changed and one removed
    by an incremental sync, so the index holds deleted documents."""
    records_dir = tmp_path_factory.mktemp("records")
    store = RecordStore(records_dir)
    meetings = list(RecordStore(sample_settings.records_dir))
    for meeting in meetings:
        store.save(meeting)
    index_dir = tmp_path_factory.mktemp("index")
    build_index(store, index_dir, procs=2)
    changed = meetings[0]
    changed.utterances[0].text += " 防災の計画を追記します。"
    store.save(changed)
    store.delete(meetings[1].id)
    report = sync_index(store, index_dir)
    assert report.updated == 1 and report.removed == 1
    ix, _ = open_generation(index_dir)
    yield ix
    ix.close()


@pytest.mark.parametrize("text", QUERIES)
def test_same_matches_and_scores_with_segments_and_deletions(segmented_index, text):
    with segmented_index.searcher() as searcher:
        assert searcher.reader().has_deletions()
        assert_same(searcher, text)


def test_covering_terms_prove_an_exact_substring():
    from indexer.search.sequences import covering

    assert covering(list(range(6)), 2) == [0, 2, 4, 5]  # 議会|運営|委員|員会 fix all seven characters
    assert covering([0, 1], 2) == [0, 1]
    assert covering([0, 3], 2) == [0, 1]  # a gap: nothing proves the characters between
    assert covering([0, 1, 2], 0) == [0, 1, 2]  # word positions: every term is checked


def test_a_sequence_checked_at_a_few_documents_agrees_with_the_whole_segment(sample_settings, monkeypatch):
    from indexer.search import postings
    from indexer.search.sequences import TermSequence

    ix, _ = open_generation(sample_settings.index_dir)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        sequence = parse_query('"事務局"').query
        assert isinstance(sequence, TermSequence) and sequence.gram == 2
        everything = sequence.matches(reader)
        assert len(everything) >= 8
        some = sorted(everything)[::8] + [d for d in range(reader.doc_count_all()) if d not in everything][:3]
        # few enough, with nothing remembered, to be scanned on their own
        assert len(some) * 4 < min(reader.doc_frequency(sequence.fieldname, w) for w in sequence.words)
        monkeypatch.setattr(postings, "CACHE", postings.SegmentCache())
        assert sequence.matches(reader, within=set(some)) == {d: everything[d] for d in some if d in everything}
    ix.close()


def test_packed_values_give_back_each_value():
    from indexer.search.postings import PackedValues

    values = [b"\x01\x00\x00\x00", b"", b"abc", b"\x00" * 9]
    packed = PackedValues(values, map(len, values))
    assert len(packed) == 4
    assert [packed[i] for i in range(4)] == list(packed) == values
