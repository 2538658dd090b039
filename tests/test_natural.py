"""Natural queries (typed without spaces), zero-hit rescue and topical ranking, on indexes of text written here."""

import json
import random
from datetime import date

import jsonschema
import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.index.build import build_index
from indexer.records import Meeting, Utterance
from indexer.search.engine import SearchIndex, SearchRequest
from indexer.search.query import content_words, parse_query
from indexer.search.synonyms import Synonyms
from indexer.text.analysis import analyze
from indexer.text.topical import DISCUSSION, DWELLING, PASSING, PROCEDURAL, weight

# (role, text) of each utterance; the ids say what each is for.
UTTERANCES = {
    "exact": ("委員", "子どもの貧困対策について伺います。子どもの貧困対策の予算はどうなっていますか。"),
    "apart": ("部長", "子どもの貧困は深刻です。生活支援と学習支援を柱に対策を進めてまいります。"),
    "no_measure": ("委員", "子どもの貧困の実態調査を求めます。"),
    "procedural": ("委員長", "日程第三、子どもの貧困対策についてを議題といたします。"),
    "listed": (
        "課長",
        "令和六年度の主な事業は、道路の補修、公園の整備、子どもの貧困対策、図書館の改修、"
        "防犯灯の設置、河川の清掃でございます。",
    ),
    "whale": ("委員", "クジラの保護とモニタリング調査について、豊洲市場のベンゼンとは別に伺います。"),
    "other": ("委員", "観光客の増加に伴う交通渋滞への対策を伺います。"),
}


def meetings() -> list[Meeting]:
    out = []
    for number, (key, (role, text)) in enumerate(UTTERANCES.items()):
        mid = f"m{number:02d}"
        out.append(
            Meeting(
                id=mid,
                url=f"https://www.city.example.jp/{key}.html",
                title=f"第{number + 1}回さくら市議会福祉委員会",
                committee="福祉委員会",
                meeting_name="福祉委員会",
                date=date(2024, 4, number + 1),
                utterances=[Utterance(meeting_id=mid, seq=1, role=role, speaker=None, text=text)],
            )
        )
    return out


@pytest.fixture(scope="module")
def natural_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("natural")
    build_index(meetings(), data / "index")
    return data


@pytest.fixture(scope="module")
def engine(natural_dir):
    ix = SearchIndex(natural_dir / "index", synonyms=Synonyms.load())
    yield ix
    ix.close()


def found(engine, q: str, **options) -> list[str]:
    """Return the ids (keys of UTTERANCES) of every match in rank order."""
    urls = {f"m{n:02d}": key for n, key in enumerate(UTTERANCES)}
    return [urls[mid] for mid, seq in engine.ranked_ids(SearchRequest(q=q, **options)) if seq == 1]


@pytest.mark.parametrize(
    "text, words",
    [
        ("子どもの貧困対策", ["子ども", "貧困", "対策"]),
        ("観光客の増加", ["観光客", "増加"]),
        ("オリンピックの経費", ["オリンピック", "経費"]),
        ("データセンターを誘致する", ["データセンター", "誘致"]),
        ("豊洲市場の移転問題", ["豊洲市場", "移転", "問題"]),
        ("高齢者の見守り", ["高齢者", "見守る"]),
        ("災害時の避難所運営", ["災害時", "避難所", "運営"]),
        ("ごみの減量", ["ごみ", "減量"]),
    ],
)
def test_unquoted_input_is_read_as_content_words(text, words):
    assert [word for word, _ in content_words(text)] == words


@pytest.mark.parametrize("text", ["データセンター", "待機児童", "東京オリンピック", "まちづくり", "説明します", "防災"])
def test_a_word_or_a_compound_keeps_its_exact_matching(text):
    assert content_words(text) is None
    assert not parse_query(text).readings


def test_a_natural_query_finds_every_utterance_holding_its_words_the_exact_string_first(engine):
    hits = found(engine, "子どもの貧困対策")
    assert set(hits) == {"exact", "apart", "procedural", "listed"}  # not no_measure: it never says 対策
    assert hits[0] == "exact"
    result = engine.search(SearchRequest(q="子どもの貧困対策"))
    assert [r.words for r in result.parsed.readings] == [("子ども", "貧困", "対策")]
    assert result.to_json()["reading"] == [{"text": "子どもの貧困対策", "words": ["子ども", "貧困", "対策"]}]


def test_quoted_input_stays_the_exact_string(engine):
    assert set(found(engine, '"子どもの貧困対策"')) == {"exact", "procedural", "listed"}
    assert "reading" not in engine.search(SearchRequest(q='"子どもの貧困対策"')).to_json()


def test_procedure_and_passing_mentions_rank_below_a_discussion(engine):
    hits = found(engine, "子どもの貧困対策")
    assert hits.index("apart") < hits.index("listed") < hits.index("procedural")
    # The words' BM25 alone puts the chair's short line above the discussion; the topical weight turns it round.
    plain = found(engine, "子どもの貧困対策", sort="relevance", expand=False)
    assert plain.index("exact") < plain.index("procedural")


@pytest.mark.parametrize(
    "text, role, mentions, expected",
    [
        ("日程第三、防災計画についてを議題といたします。", "議長", 1, (PROCEDURAL, 1.0)),
        ("異議なしと認めます。", "委員", 1, (PROCEDURAL, 1.0)),
        (
            "ただいまから防災計画特別委員会を開会いたします。" + "本日は、防災計画について調査を行います。" * 8,
            "委員長",
            1,
            (PROCEDURAL, 1.0),
        ),
        ("防災計画について、" + "私の考えを申し上げます。" * 40, "委員長", 2, (DISCUSSION, 1.0)),
        (
            "主な事業は、道路の補修、公園の整備、防災計画、図書館の改修、防犯灯の設置でございます。",
            "課長",
            1,
            (PASSING, 1.0),
        ),
        ("防災計画について伺います。" * 10, "委員", 4, (DISCUSSION, DWELLING)),
        ("防災計画について伺います。", "委員", 1, (DISCUSSION, 1.0)),
    ],
)
def test_topical_weight(text, role, mentions, expected):
    assert weight(text, role, mentions) == expected


def test_zero_hits_show_the_best_partial_match_and_what_was_left_out(engine):
    result = engine.search(SearchRequest(q="子どもの貧困とくじら"))
    assert result.rescue is not None
    assert result.rescue.kept == ["子ども", "貧困"] and result.rescue.left_out == ["くじら"]
    assert {h.url.rsplit("/", 1)[1] for h in result.hits} == {
        f"{k}.html" for k in ("exact", "apart", "no_measure", "procedural", "listed")
    }
    # くじら is not in the index; クジラ, its katakana spelling, is.
    assert [s.query for s in result.rescue.suggestions] == ["子どもの貧困とクジラ"]
    assert "「くじら」を除いた 5 件" in result.rescue.describe(result.total)


def test_a_misspelt_word_gets_a_spelling_the_index_holds(engine):
    result = engine.search(SearchRequest(q="モニタリンク"))
    assert result.total == 0 and result.rescue is not None
    assert "モニタリング" in [s.query for s in result.rescue.suggestions]


def test_no_natural_query_whose_words_share_an_utterance_finds_nothing(sample_search, sample_settings):
    """Two content words of a real utterance typed as one phrase (AのB) always find that utterance."""
    from indexer.store.record_store import RecordStore

    rng = random.Random(7)
    utterances = [(m.id, u) for m in RecordStore(sample_settings.records_dir) for u in m.utterances if u.role]
    checked = 0
    for mid, utterance in rng.sample(utterances, 40):
        nouns = [
            t.surface
            for t in analyze(utterance.text)
            if t.part_of_speech.startswith("名詞,一般") and len(t.surface) >= 2 and t.known
        ]
        nouns = list(dict.fromkeys(nouns))
        if len(nouns) < 2:
            continue
        a, b = rng.sample(nouns, 2)
        request = SearchRequest(q=f"{a}の{b}", expand=False)
        assert (mid, utterance.seq) in sample_search.ranked_ids(request), request.q
        checked += 1
    assert checked >= 20


def test_the_cli_and_api_report_the_reading_and_the_rescue(natural_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["search", "子どもの貧困とくじら", "--json", "--data-dir", str(natural_dir)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["reading"][0]["words"] == ["子ども", "貧困", "くじら"]
    assert payload["rescue"]["left_out"] == ["くじら"] and payload["total"] == 5
    text = runner.invoke(main, ["search", "子どもの貧困とくじら", "--data-dir", str(natural_dir)]).output
    assert "read as: 「子ども」「貧困」「くじら」を含む発言" in text and "try: 子どもの貧困とクジラ" in text


def test_the_results_page_says_how_the_query_was_read_and_rescues_zero_hits(natural_dir):
    from search_web import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(natural_dir)})
    client = app.test_client()
    page = client.get("/?q=子どもの貧困対策").get_data(as_text=True)
    assert "「子ども」「貧困」「対策」を含む発言" in page
    assert "q=%22%E5%AD%90" in page  # the link searches the quoted string
    page = client.get("/?q=子どもの貧困とくじら").get_data(as_text=True)
    assert "0 件" in page and "「くじら」を除いた 5 件を表示しています" in page
    assert "子どもの貧困とクジラ" in page
    page = client.get("/?q=ぬらりひょん").get_data(as_text=True)
    assert "「ぬらりひょん」を含む発言は見つかりませんでした。語を減らす" in page
    page = client.get("/?q=子ども&year=1999").get_data(as_text=True)
    assert "絞り込みの条件に合う発言はありません（条件を外すと 5 件）" in page
    page = client.get("/?q=子ども role:市長").get_data(as_text=True)
    assert "絞り込みの条件に合う発言はありません（条件を外すと 5 件）" in page
    api = client.get("/api/v1/search?any=子どもの貧困とくじら").get_json()
    assert api["rescue"]["kept"] == ["子ども", "貧困"] and api["reading"][0]["text"] == "子どもの貧困とくじら"
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["paths"]["/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(api, {**schema, "components": spec["components"]})
