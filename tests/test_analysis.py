import pickle

from indexer.index.analyzers import japanese_analyzer
from indexer.text.analysis import analyze
from indexer.text.normalize import normalize_text


def terms(text):
    return [t.term for t in analyze(normalize_text(text))]


def test_nfkc_and_case_folding():
    assert normalize_text("ＤＸ　推進（令和７年）") == "DX 推進(令和7年)"
    assert terms("ＤＸを推進") == terms("dxを推進") == ["dx", "推進"]


def test_particles_auxiliaries_and_symbols_are_dropped():
    assert terms("データセンターの整備について、検討しました。") == ["データ", "センタ", "整備", "検討", "する"]


def test_dropped_words_still_advance_positions():
    positions = {t.term: t.pos for t in analyze("データのセンター")}
    assert positions["センタ"] - positions["データ"] == 2
    together = {t.term: t.pos for t in analyze("データセンター")}
    assert together["センタ"] - together["データ"] == 1


def test_offsets_point_at_the_stored_characters():
    text = normalize_text("本日は、ＤＸ推進計画について")
    for token in analyze(text):
        assert text[token.start : token.end] == token.surface


def test_base_forms_for_verbs():
    assert "入れ替える" in terms("サーバーを入れ替えました")


def test_control_characters_and_blank_lines_are_removed():
    assert normalize_text("一行目\x00\r\n\r\n　二行目\u200b") == "一行目\n二行目"


def test_whoosh_tokenizer_pickles_into_the_schema():
    analyzer = pickle.loads(pickle.dumps(japanese_analyzer()))
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer("防災の訓練", positions=True, chars=True)]
    assert tokens == [("防災", 0, 0, 2), ("訓練", 2, 3, 5)]


def test_final_long_vowel_marks_are_dropped_on_both_sides():
    assert terms("サーバー") == terms("サーバ") == ["サーバ"]
    assert terms("コンピューター") == terms("コンピュータ") == ["コンピュータ"]
    assert terms("ルー") == ["ルー"]  # too short to be the long-vowel spelling variant


def test_variant_kanji_and_iteration_marks_fold_to_one_form():
    from indexer.text.normalize import fold_term, normalize_name

    assert [fold_term(w) for w in ("髙", "﨑", "邊", "邉", "國")] == ["高", "崎", "辺", "辺", "国"]
    assert fold_term("佐々木") == fold_term("佐佐木") == "佐佐木"
    assert normalize_name("髙橋　一郎") == normalize_name("高橋一郎")
    assert normalize_name("渡邊") == normalize_name("渡辺") and normalize_name("山﨑") == normalize_name("山崎")


def test_folding_is_idempotent_and_keeps_offsets():
    from indexer.text.normalize import fold_chars

    text = normalize_text("ＳＤＧｓとサーバーの髙橋さん")
    folded, offsets = fold_chars(text)
    assert folded == "sdgsとサーバの高橋さん"
    assert fold_chars(folded)[0] == folded
    assert [text[o] for o in offsets][:4] == list("SDGs")


def test_bigrams_mark_word_starts():
    from indexer.index.analyzers import bigram_analyzer
    from indexer.text.analysis import WORD_START

    terms_ = [t.text for t in bigram_analyzer()("東京都の京都", positions=True)]
    assert WORD_START + "京都" in terms_  # the second 京都 starts a word
    assert terms_.count("京都") == 2 and terms_.count(WORD_START + "京都") == 1
