"""Property-based tests: no exception but the documented ones escapes, and round trips hold."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from indexer.index.build import build_index
from indexer.parse.dates import find_dates, find_times
from indexer.parse.page import ParseError, parse_minutes
from indexer.records import Meeting, Utterance
from indexer.search import postings
from indexer.search.engine import SearchIndex, SearchRequest
from indexer.search.query import QueryError, parse_query
from indexer.text.analysis import analyze
from indexer.text.normalize import fold_chars, fold_term, normalize_text

JAPANESE = st.characters(codec="utf-8", categories=("Lo", "Nd", "Lu", "Ll", "Po", "Ps", "Pe", "Zs", "Sm"))
TEXT = st.text(
    alphabet=st.one_of(
        JAPANESE, st.sampled_from(list("委員長事務局○◎【】()（）:：、。年月日時分令和平成元二十〇ー々 \n<>\"'&"))
    ),
    max_size=300,
)
HTML_BITS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<br>",
        "<h2>",
        "</h2>",
        "<table><tr><td>",
        "</td><td>",
        "</td></tr></table>",
        "<div id='main'>",
        "</div>",
        "審議結果",
        "日時：令和5年4月1日",
        "委員長",
        "○山田委員長　",
        "【委員】",
        "委員：",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "&amp;",
        "&#0;",
        "\x00",
    ]
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(st.one_of(HTML_BITS, TEXT), max_size=40))
def test_the_parser_raises_nothing_but_parse_errors(parts):
    html = "".join(parts)
    try:
        meeting = parse_minutes(html.encode("utf-8", errors="replace"), "https://x.example.jp/p.html")
    except ParseError:
        return
    assert meeting.utterances
    assert meeting.date or meeting.quality.status == "suspect", meeting.quality
    assert [u.seq for u in meeting.utterances] == list(range(1, len(meeting.utterances) + 1))


@FUZZ
@given(TEXT)
def test_the_date_and_time_finders_never_raise_and_return_real_values(text):
    for found in find_dates(text):
        assert isinstance(found, date) and 1868 <= found.year <= 2200
    start, end = find_times(text)
    for clock in (start, end):
        assert clock is None or (len(clock) == 5 and 0 <= int(clock[:2]) <= 24 and 0 <= int(clock[3:]) <= 59)


@given(
    st.sampled_from(["明治", "大正", "昭和", "平成", "令和"]),
    st.integers(1, 40),
    st.integers(1, 12),
    st.integers(1, 31),
)
def test_era_dates_round_trip(era, year, month, day):
    from indexer.parse.dates import ERA_LAST_YEAR, ERAS

    try:
        expected = date(ERAS[era] + year, month, day)
    except ValueError:
        expected = None
    if year > ERA_LAST_YEAR[era]:
        expected = None
    found = find_dates(f"{era}{year}年{month}月{day}日")
    assert found == ([expected] if expected else [])


@FUZZ
@given(TEXT)
def test_normalisation_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    folded = fold_chars(once)[0]
    assert fold_chars(folded)[0] == folded
    for token in analyze(once):
        assert fold_term(token.term) == token.term
        assert once[token.start : token.end] == token.surface


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("々ーアイカサバ髙國高国委員会のa 。\n")), max_size=60))
def test_fast_folding_agrees_with_folding_one_character_at_a_time(text):
    from indexer.text.normalize import _fold_chars_one_by_one

    folded, offsets = fold_chars(text)
    assert (folded, list(offsets)) == _fold_chars_one_by_one(text)


@FUZZ
@given(
    st.lists(
        st.one_of(TEXT, st.sampled_from(['"', "OR", "NOT", "-", "(", ")", "role:", "year:2020", "AND"])), max_size=20
    )
)
def test_the_query_parser_raises_nothing_but_query_errors(parts):
    try:
        parsed = parse_query(" ".join(parts))
    except QueryError as error:
        assert str(error)
        return
    assert parsed.query is not None


WORDS = st.text(
    alphabet=st.sampled_from(list("防災計画予算委員会議市民病院図書館道路公園カードデータセンター")),
    min_size=2,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WORDS, min_size=1, max_size=6), st.data())
def test_an_indexed_utterance_is_found_by_a_quoted_query_of_one_of_its_words(tmp_path_factory, words, data):
    text = normalize_text("、".join(words) + "について伺います。")
    tokens = analyze(text)
    assume(tokens)
    token = data.draw(st.sampled_from(tokens))
    # A one-character word is searched through its Janome reading alone, and alone デ reads as a
    # particle: such a query gets the friendly "nothing to search" message instead (tested in test_search).
    assume(len(token.surface) >= 2 or analyze(token.surface))
    index_dir = tmp_path_factory.mktemp("roundtrip")
    # Hypothesis seeds the global random module for every example, and Whoosh names segments with it, so
    # each example's segment would carry the same id as the last one's: give each its own postings cache.
    shared_cache, postings.CACHE = postings.CACHE, postings.SegmentCache()
    build_index(
        [
            Meeting(
                id="r1",
                url="https://x.example.jp/r1",
                title="t",
                committee="c",
                date=date(2024, 1, 1),
                utterances=[Utterance("r1", 1, "委員", None, text)],
            )
        ],
        index_dir,
    )
    engine = SearchIndex(index_dir)
    try:
        result = engine.search(SearchRequest(q=f'"{token.surface}"', expand=False))
        assert (r"r1", 1) in {(h.meeting_id, h.seq) for h in result.hits}, (text, token.surface)
    finally:
        engine.close()
        postings.CACHE = shared_cache
