import pickle

from indexer.analysis import analyze, japanese_analyzer, normalize_text


def terms(text):
    return [t.term for t in analyze(normalize_text(text))]


def test_nfkc_and_case_folding():
    assert normalize_text("ＤＸ　推進（令和７年）") == "DX 推進(令和7年)"
    assert terms("ＤＸを推進") == terms("dxを推進") == ["dx", "推進"]


def test_particles_auxiliaries_and_symbols_are_dropped():
    assert terms("データセンターの整備について、検討しました。") == ["データ", "センター", "整備", "検討", "する"]


def test_dropped_words_still_advance_positions():
    positions = {t.term: t.pos for t in analyze("データのセンター")}
    assert positions["センター"] - positions["データ"] == 2
    together = {t.term: t.pos for t in analyze("データセンター")}
    assert together["センター"] - together["データ"] == 1


def test_offsets_point_at_the_stored_characters():
    text = normalize_text("本日は、ＤＸ推進計画について")
    for token in analyze(text):
        assert text[token.start:token.end] == token.surface


def test_base_forms_for_verbs():
    assert "入れ替える" in terms("サーバーを入れ替えました")


def test_control_characters_and_blank_lines_are_removed():
    assert normalize_text("一行目\x00\r\n\r\n　二行目\u200b") == "一行目\n二行目"


def test_whoosh_tokenizer_pickles_into_the_schema():
    analyzer = pickle.loads(pickle.dumps(japanese_analyzer()))
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer("防災の訓練", positions=True, chars=True)]
    assert tokens == [("防災", 0, 0, 2), ("訓練", 2, 3, 5)]
