"""Search quality on a small hand-built index: variants, compounds, unknown words, synonyms."""

from datetime import date

import pytest

from indexer.index.build import build_index
from indexer.records import Meeting, Utterance
from indexer.search.engine import SearchIndex, SearchRequest
from indexer.search.synonyms import Synonyms
from indexer.text.normalize import normalize_text

TEXTS = {
    1: "東京都の予算について伺います。",
    2: "京都の観光について伺います。",
    3: "お手元配布の資料をご覧ください。",
    4: "サーバーの更新を予定しています。",
    5: "サーバ室の空調を見直します。",
    6: "コンピューターの調達方法を改めます。",
    7: "住民基本台帳カードの交付枚数を伺います。",
    8: "住基カードの普及が課題です。",
    9: "ＢＣＰを策定しました。",
    10: "業務継続計画の見直しを行います。",
    11: "DXの推進体制を整えます。",
    12: "デジタルトランスフォーメーションを推進します。",
    13: "地域包括ケアシステムの構築を進めます。",
    14: "クラウドデータセンターへ移行します。",
    15: "データの保管とセンターの運営は別です。",
    16: "京都府との連携を伺います。",
    17: "PAIDと表示された領収書です。",
    18: "AIの活用を検討します。",
    19: "スーパーコンピューターの共同利用です。",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("quality")
    utterances = [
        Utterance("q1", n, "委員", "髙橋" if n == 1 else "佐々木", normalize_text(t)) for n, t in TEXTS.items()
    ]
    meeting = Meeting(
        id="q1",
        url="https://example.jp/q1",
        title="品質確認会議",
        committee="品質確認会議",
        date=date(2024, 4, 1),
        utterances=utterances,
    )
    build_index([meeting], index_dir)
    search = SearchIndex(index_dir, synonyms=Synonyms.load())
    yield search
    search.close()


def found(engine, q, **kwargs):
    result = engine.search(SearchRequest(q=q, limit=100, **kwargs))
    return sorted(h.seq for h in result.hits if h.seq > 0)


@pytest.mark.parametrize(
    "q, seqs",
    [
        ("京都", [2, 16]),  # 京都 and 京都府 (a word Janome keeps whole), never 東京都
        ("ai", [18]),  # not inside PAID
        ("東京都", [1]),
        ("手元配布", [3]),  # inside お手元配布
        ("サーバー", [4, 5]),  # サーバー = サーバ
        ("サーバ", [4, 5]),
        ("コンピュータ", [6, 19]),  # inside スーパーコンピューター too
        ("業務継続計画", [10]),
        ("地域包括ケア", [13]),  # a compound Janome splits, inside a longer word
        ("データセンター", [14]),  # not データ … センター apart
        ("デジタルトランスフォーメーション", [12]),
        ("bcp", [9]),  # full-width and case folded
    ],
)
def test_variants_compounds_and_unknown_words_without_synonyms(engine, q, seqs):
    assert found(engine, q, expand=False) == seqs


@pytest.mark.parametrize(
    "q, seqs",
    [
        ("住基カード", [7, 8]),
        ("住民基本台帳カード", [7, 8]),
        ("BCP", [9, 10]),
        ("業務継続計画", [9, 10]),
        ("DX", [11, 12]),
    ],
)
def test_synonyms_expand_queries_and_can_be_turned_off(engine, q, seqs):
    assert found(engine, q) == seqs
    assert len(found(engine, q, expand=False)) == 1


def test_quoted_phrases_are_not_expanded(engine):
    assert found(engine, '"BCP"') == [9]


def test_expansions_are_reported(engine):
    result = engine.search(SearchRequest(q="BCP 策定"))
    assert result.parsed.expansions == [("BCP", ["業務継続計画", "事業継続計画"])]
    assert engine.search(SearchRequest(q="BCP", expand=False)).parsed.expansions == []


@pytest.mark.parametrize(
    "q, marked",
    [
        ("サーバ", {4: ["サーバー"], 5: ["サーバ"]}),
        ("手元配布", {3: ["手元配布"]}),
        ("データセンター", {14: ["データセンター"]}),
        ("BCP", {9: ["BCP"], 10: ["業務継続計画"]}),  # stored text is NFKC
    ],
)
def test_highlights_mark_the_matched_characters(engine, q, marked):
    import re

    result = engine.search(SearchRequest(q=q))
    got = {h.seq: re.findall(r"<mark>(.*?)</mark>", h.snippet) for h in result.hits if h.seq > 0}
    assert got == marked


def test_speaker_variants(engine):
    assert found(engine, "", speaker="高橋") == [1]
    assert found(engine, "", speaker="佐佐木") == sorted(set(TEXTS) - {1})
