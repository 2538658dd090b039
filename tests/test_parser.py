"""The parser on hand-written snippets: each label style, each non-speech case, layouts, charsets."""

import re
from datetime import date

import pytest

from indexer.parse.page import NotMinutesError, ParseError, committee_name, parse_minutes

URL = "https://www.city.example.jp/kaigi/test.html"

HEADER_TABLE = """
<h1>第2回さくら市交通政策委員会</h1>
<table><tr><th>担当所属名</th><td>都市整備部交通政策課</td></tr>
<tr><th>会議名</th><td>第2回さくら市交通政策委員会</td></tr>
<tr><th>日時</th><td>平成28年6月3日(金曜日)午後2時~午後3時30分</td></tr>
<tr><th>場所</th><td>さくら市役所4階 402会議室</td></tr>
<tr><th>議題</th><td>1 バス路線の再編について<br>2 自転車道の整備について</td></tr></table>
"""


def page(
    record: str, header: str = HEADER_TABLE, marker: str = "<h2>審議結果</h2>", head: str = '<meta charset="utf-8">'
) -> str:
    return f"""<html><head>{head}<title>会議録 | さくら市</title></head><body>
<div id="gnav"><ul><li>くらし</li><li>防災</li></ul></div>
<div class="pankuzu">トップ &gt; 市政 &gt; 会議録</div>
<div id="contents">{header}{marker}{record}</div>
<div class="contact"><p>お問い合わせ先 交通政策課 電話 000-000-0000</p></div>
<div id="footer">Copyright さくら市</div></body></html>"""


def speeches(meeting):
    return [(u.role, u.speaker, u.text) for u in meeting.utterances if u.role]


def narrative(meeting):
    return [u.text for u in meeting.utterances if not u.role]


def test_header_fields_from_a_table():
    meeting = parse_minutes(page("<p>委員長<br>開会します。</p>"), URL)
    assert meeting.title == "第2回さくら市交通政策委員会"
    assert meeting.meeting_name == "第2回さくら市交通政策委員会"
    assert meeting.committee == "さくら市交通政策委員会"
    assert meeting.department == "都市整備部交通政策課"
    assert meeting.date == date(2016, 6, 3)
    assert (meeting.start_time, meeting.end_time) == ("14:00", "15:30")
    assert meeting.place == "さくら市役所4階 402会議室"
    assert meeting.agenda == ["1 バス路線の再編について", "2 自転車道の整備について"]


def test_header_fields_from_paragraphs():
    header = """<h1>令和3年度 第1回さくら市図書館協議会</h1>
<p>担当所属名：教育委員会図書館</p><p>日時：令和3年7月9日（金曜日）15時00分～17時30分</p>
<p>場所：中央図書館 視聴覚室</p><p>議題：図書館の開館時間について</p>"""
    meeting = parse_minutes(
        page("<p>【委員】開館時間を延ばしてほしい。</p>", header=header, marker="<h3>会議の経過</h3>"), URL
    )
    assert meeting.date == date(2021, 7, 9)
    assert (meeting.start_time, meeting.end_time) == ("15:00", "17:30")
    assert meeting.place == "中央図書館 視聴覚室"
    assert meeting.department == "教育委員会図書館"
    assert meeting.agenda == ["図書館の開館時間について"]
    assert meeting.committee == "さくら市図書館協議会"


def test_header_fields_from_headings():
    header = """<h1>第5回さくら市景観審議会</h1><h2>日時</h2><p>令和元年十月二日（水曜日）午前十時から正午まで</p>
<h2>場所</h2><p>市民ホール</p><h2>議題</h2><p>(1) 屋外広告物について</p><p>(2) 景観計画について</p>"""
    meeting = parse_minutes(
        page("<p>委員：広告物の基準を伺います。</p>", header=header, marker="<h2>議事の経過</h2>"), URL
    )
    assert meeting.date == date(2019, 10, 2)
    assert (meeting.start_time, meeting.end_time) == ("10:00", "12:00")
    assert meeting.place == "市民ホール"
    assert meeting.agenda == ["(1) 屋外広告物について", "(2) 景観計画について"]


@pytest.mark.parametrize(
    "record, expected",
    [
        # A role alone on its line, one <br> before the speech.
        (
            "<p>委員長<br>開会します。</p><p>委員<br>質問があります。</p>",
            [("委員長", None, "開会します。"), ("委員", None, "質問があります。")],
        ),
        # A role alone in its own paragraph; the speech runs over two paragraphs.
        (
            "<p>副委員長</p><p>一点目です。</p><p>二点目です。</p><p>事務局</p><p>お答えします。</p>",
            [("副委員長", None, "一点目です。\n二点目です。"), ("事務局", None, "お答えします。")],
        ),
        # Bracketed labels.
        (
            "<p>【委員】路線の本数を伺う。</p><p>【事務局(業)】一日十本です。</p>",
            [("委員", None, "路線の本数を伺う。"), ("事務局", None, "一日十本です。")],
        ),
        (
            "<p>(会長) 始めます。</p><p>（委員）賛成です。</p>",
            [("会長", None, "始めます。"), ("委員", None, "賛成です。")],
        ),
        # Inline labels with a colon, half- or full-width.
        (
            "<p>委員: 駐輪場は足りていますか。</p><p>事務局：不足しています。</p>",
            [("委員", None, "駐輪場は足りていますか。"), ("事務局", None, "不足しています。")],
        ),
        # Mark + name + role, in their several forms.
        (
            "<p>○山田委員長　ただいまから会議を開きます。</p><p>◎山川委員長 続けます。</p>",
            [("委員長", "山田", "ただいまから会議を開きます。"), ("委員長", "山川", "続けます。")],
        ),
        ("<p>○議長（中村俊介君）　日程第一を議題とします。</p>", [("議長", "中村俊介", "日程第一を議題とします。")]),
        ("<p>〇関 三郎委員長　休憩します。</p>", [("委員長", "関 三郎", "休憩します。")]),
        ("<p>○前田産業労働局長　お答えいたします。</p>", [("局長", "前田", "お答えいたします。")]),
        ("<p>○3番（山本花子君）　質問します。</p>", [("議員", "山本花子", "質問します。")]),
        # A garbled label is mapped to the role whose characters it holds.
        ("<p>長委員<br>異議なしと認めます。</p>", [("委員長", None, "異議なしと認めます。")]),
    ],
)
def test_label_styles(record, expected):
    assert speeches(parse_minutes(page(record), URL)) == expected


def test_speeches_in_a_table_of_speaker_and_text():
    record = (
        "<table><tr><th>発言者</th><th>発言内容</th></tr><tr><td>委員</td><td>質問です。</td></tr>"
        "<tr><td>事務局</td><td>回答です。<br>補足です。</td></tr></table>"
    )
    assert speeches(parse_minutes(page(record), URL)) == [
        ("委員", None, "質問です。"),
        ("事務局", None, "回答です。\n補足です。"),
    ]


def test_sentences_that_start_with_a_role_word_are_not_labels():
    meeting = parse_minutes(page("<p>委員長、副委員長をそれぞれ選任。</p><p>委員長<br>よろしくお願いします。</p>"), URL)
    assert narrative(meeting) == ["委員長、副委員長をそれぞれ選任。"]
    assert speeches(meeting) == [("委員長", None, "よろしくお願いします。")]


def test_agenda_headings_and_summaries_are_narrative_and_end_a_speech():
    record = (
        "<p>委員<br>質問します。</p><p>1 さくら市のバス路線の現状について</p>"
        "<p>〇事務局から資料に基づき説明。</p><p>委員<br>了解しました。</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert [(u.role, u.text) for u in meeting.utterances] == [
        ("委員", "質問します。"),
        (None, "1 さくら市のバス路線の現状について"),
        (None, "〇事務局から資料に基づき説明。"),
        ("委員", "了解しました。"),
    ]


def test_a_legend_of_labels_is_not_a_speech():
    meeting = parse_minutes(
        page("<p>事務局(市):事務局(さくら市都市整備部交通政策課)</p><p>事務局(市):ご説明します。</p>"), URL
    )
    assert narrative(meeting) == ["事務局(市):事務局(さくら市都市整備部交通政策課)"]
    assert speeches(meeting) == [("事務局", None, "ご説明します。")]


def test_stage_directions_in_parentheses_are_not_labels():
    meeting = parse_minutes(page("<p>委員長<br>採決します。</p><p>（拍手）</p>"), URL)
    assert speeches(meeting) == [("委員長", None, "採決します。\n(拍手)")]


def test_chrome_never_reaches_the_record():
    meeting = parse_minutes(page("<p>委員<br>意見です。</p>"), URL)
    text = "\n".join(u.text for u in meeting.utterances)
    for chrome in ("くらし", "トップ", "お問い合わせ", "Copyright"):
        assert chrome not in text


def test_unmarked_footer_lines_end_the_record():
    record = "<p>委員<br>意見です。</p><p>このページの情報は役に立ちましたか</p><p>役に立った</p>"
    meeting = parse_minutes(page(record), URL)
    assert [u.text for u in meeting.utterances] == ["意見です。"]


def test_council_record_without_labels():
    html = """<html><head><meta charset="utf-8"></head><body><div id="main">
<p>建設委員会速記録第十二号</p><p>令和四年十二月七日（水曜日）</p><p>第八委員会室</p><p>午前十時一分開議</p>
<p>出席委員　三名<br>委員長山下　太郎君<br>副委員長川口花子君<br>委員　佐々木一郎君</p>
<p>本日の会議に付した事件<br>道路の維持管理について</p>
<p>○山下委員長　ただいまから建設委員会を開会いたします。</p>
<p>○佐々木委員　舗装の補修について伺います。<br>　次に、街灯について伺います。</p>
<p>○前田道路管理部長　順次お答えいたします。</p><p>午前十一時二十分散会</p></div></body></html>"""
    meeting = parse_minutes(html, URL)
    assert meeting.date == date(2022, 12, 7)
    assert meeting.committee == "建設委員会"
    assert meeting.place == "第八委員会室"
    assert (meeting.start_time, meeting.end_time) == ("10:01", "11:20")
    assert meeting.agenda == ["道路の維持管理について"]
    assert speeches(meeting) == [
        # Surname labels resolved to the full names of the attendance list.
        ("委員長", "山下太郎", "ただいまから建設委員会を開会いたします。"),
        ("委員", "佐々木一郎", "舗装の補修について伺います。\n次に、街灯について伺います。"),
        ("部長", "前田", "順次お答えいたします。"),
    ]
    assert narrative(meeting) == ["午前十一時二十分散会"]


@pytest.mark.parametrize(
    "encoding, declared", [("cp932", "Shift_JIS"), ("euc_jp", "EUC-JP"), ("cp932", "UTF-8"), ("utf-8", None)]
)
def test_charsets_declared_detected_or_wrongly_declared(encoding, declared):
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">' if declared else ""
    html = page("<p>委員<br>髙橋です。データセンターについて伺います。</p>", head=head)
    meeting = parse_minutes(html.encode(encoding, errors="strict" if encoding != "euc_jp" else "replace"), URL)
    assert speeches(meeting)[0][2].endswith("データセンターについて伺います。")
    assert meeting.committee == "さくら市交通政策委員会"


def test_charset_from_the_http_header_wins_when_the_page_declares_none():
    html = page("<p>委員<br>質問です。</p>", head="").encode("euc_jp")
    assert speeches(parse_minutes(html, URL, charset="EUC-JP")) == [("委員", None, "質問です。")]


def test_canonical_link_gives_the_url_and_a_stable_id():
    html = page("<p>委員<br>意見です。</p>", head='<meta charset="utf-8"><link rel="canonical" href="/kaigi/p9.html">')
    first = parse_minutes(html, "https://www.city.example.jp/kaigi/p9.html?print=1")
    second = parse_minutes(html, "file:///tmp/copy.html")
    assert first.url == "https://www.city.example.jp/kaigi/p9.html"
    assert second.url == "file:///tmp/copy.html"  # a relative canonical needs an http base
    hostile = html.replace('href="/kaigi/p9.html"', 'href="javascript:alert(1)"')
    assert parse_minutes(hostile, "https://www.city.example.jp/a.html").url == "https://www.city.example.jp/a.html"
    assert first.id == parse_minutes(html, "https://www.city.example.jp/x").id


def test_a_page_that_is_not_minutes_raises_naming_the_page():
    html = "<html><body><div id='main'><h1>ごみの出し方</h1><p>燃やすごみは月曜日と木曜日です。</p></div></body></html>"
    with pytest.raises(NotMinutesError) as error:
        parse_minutes(html, "https://www.city.example.jp/gomi.html")
    assert "gomi.html" in str(error.value)
    assert "record" in error.value.reason


def test_an_empty_page_raises():
    with pytest.raises(NotMinutesError):
        parse_minutes(b"", URL)


def test_minutes_without_a_date_are_kept_and_said_to_be_doubtful():
    header = "<h1>さくら市交通政策委員会</h1><p>場所：市役所</p>"
    meeting = parse_minutes(page("<p>委員<br>意見です。</p>", header=header), URL)
    assert meeting.date is None and speeches(meeting) == [("委員", None, "意見です。")]
    assert meeting.quality.status == "suspect"
    assert any("date" in warning for warning in meeting.quality.warnings)
    assert meeting.to_json()["date"] is None and meeting.to_json()["quality"]["status"] == "suspect"


def test_a_page_without_a_date_or_any_speech_is_refused():
    header = "<h1>さくら市交通政策委員会</h1><p>場所：市役所</p>"
    with pytest.raises(ParseError) as error:
        parse_minutes(page("<p>資料を配付した。</p>", header=header), URL)
    assert "date" in error.value.reason


def test_labels_without_speech_are_dropped_and_html_in_speech_is_text():
    record = "<p>委員</p><p>委員長</p><p>&lt;script&gt;alert(1)&lt;/script&gt; は文字です。</p>"
    meeting = parse_minutes(page(record), URL)
    assert speeches(meeting) == [("委員長", None, "<script>alert(1)</script> は文字です。")]


@pytest.mark.parametrize(
    "name, committee",
    [
        ("第1回長崎市情報化推進計画策定委員会", "長崎市情報化推進計画策定委員会"),
        ("令和5年度第2回さくら市環境審議会", "さくら市環境審議会"),
        ("防災対策特別委員会速記録第一号", "防災対策特別委員会"),
        ("さくら市子ども・子育て会議（第3回）", "さくら市子ども・子育て会議"),
        ("第3回 さくら市地域福祉推進会議 会議録", "さくら市地域福祉推進会議"),
    ],
)
def test_committee_names(name, committee):
    assert committee_name(name) == committee


def test_role_then_a_space_then_the_speech():
    meeting = parse_minutes(
        page("<p>会長　それでは始めます。</p><p>山田委員 賛成です。</p><p>委員 三名が出席。</p>"), URL
    )
    assert speeches(meeting) == [
        ("会長", None, "それでは始めます。"),
        ("委員", "山田", "賛成です。"),
        ("委員", None, "三名が出席。"),
    ]


def test_preformatted_records_keep_their_lines():
    record = "<pre>○山田委員長　開会します。\n○佐藤委員　質問します。\n　続けて伺います。</pre>"
    assert speeches(parse_minutes(page(record), URL)) == [
        ("委員長", "山田", "開会します。"),
        ("委員", "佐藤", "質問します。\n続けて伺います。"),
    ]


def test_speeches_in_a_definition_list():
    record = "<dl><dt>委員</dt><dd>駅前の整備を伺います。</dd><dt>事務局</dt><dd>来年度に着手します。</dd></dl>"
    assert speeches(parse_minutes(page(record), URL)) == [
        ("委員", None, "駅前の整備を伺います。"),
        ("事務局", None, "来年度に着手します。"),
    ]


def test_date_and_time_in_separate_rows():
    header = """<h1>第1回さくら市公園審議会</h1><table><tr><td>開催日</td><td>令和6年2月5日</td></tr>
<tr><td>時間</td><td>午前9時30分～午前11時</td></tr></table>"""
    meeting = parse_minutes(page("<p>委員<br>意見です。</p>", header=header), URL)
    assert meeting.date == date(2024, 2, 5)
    assert (meeting.start_time, meeting.end_time) == ("09:30", "11:00")


def test_spaced_out_labels_and_markers():
    header = """<h1>第4回さくら市景観審議会</h1><table><tr><th>日　時</th><td>2023年（令和5年）6月2日 午後2時から</td></tr>
<tr><th>場　所</th><td>第2会議室</td></tr><tr><th>議　題</th><td>景観計画について</td></tr></table>"""
    meeting = parse_minutes(
        page(
            "<p>委員A：景観計画の改定時期を伺います。</p><p>事務局2：来年度を予定しています。</p>",
            header=header,
            marker="<h2>会　議　録</h2>",
        ),
        URL,
    )
    assert meeting.date == date(2023, 6, 2) and meeting.place == "第2会議室"
    assert meeting.agenda == ["景観計画について"]
    assert speeches(meeting) == [
        ("委員", "A", "景観計画の改定時期を伺います。"),
        ("事務局", "2", "来年度を予定しています。"),
    ]


@pytest.mark.parametrize(
    "record, expected",
    [
        (
            "<p>◆山田委員　質問します。</p><p>◇前田総務部長　お答えします。</p>",
            [("委員", "山田", "質問します。"), ("部長", "前田", "お答えします。")],
        ),
        (
            "<p>〈委員〉賛成です。</p><p>＜事務局＞承知しました。</p>",
            [("委員", None, "賛成です。"), ("事務局", None, "承知しました。")],
        ),
    ],
)
def test_more_label_families(record, expected):
    assert speeches(parse_minutes(page(record), URL)) == expected


def test_summary_style_minutes_under_a_main_opinions_heading():
    meeting = parse_minutes(
        page(
            "<ul><li>委員：駐輪場を増やしてほしい。</li><li>事務局：検討します。</li></ul>", marker="<h2>主な意見</h2>"
        ),
        URL,
    )
    assert speeches(meeting) == [("委員", None, "駐輪場を増やしてほしい。"), ("事務局", None, "検討します。")]


# Conventions inferred from the page itself (issue 14): each with text written here.


def test_a_name_a_space_then_a_title_under_a_mark():
    record = (
        "<p>○川村花子 議長 ただいまから会議を開きます。</p>"
        "<p>◎森田一郎 都市整備局長 お答えいたします。</p>"
        "<p>○北山 危機管理担当局長 補足いたします。</p>"
    )
    assert speeches(parse_minutes(page(record), URL)) == [
        ("議長", "川村花子", "ただいまから会議を開きます。"),
        ("局長", "森田一郎", "お答えいたします。"),
        ("局長", "北山", "補足いたします。"),
    ]


def test_a_title_nobody_listed_counts_under_the_pages_own_mark():
    # The page labels speakers with ○; 政策調整官 is in no role list, yet it is a speaker here.
    record = (
        "<p>○村井委員長 説明を求めます。</p>"
        "<p>○佐藤政策調整官 資料に沿って御説明いたします。</p>"
        "<p>○村井委員長 ありがとうございました。</p>"
    )
    assert [(role, name) for role, name, _ in speeches(parse_minutes(page(record), URL))] == [
        ("委員長", "村井"),
        ("政策調整官", "佐藤"),
        ("委員長", "村井"),
    ]


def test_a_marked_line_that_is_a_sentence_stays_narrative():
    record = "<p>○村井委員長 説明を求めます。</p><p>○事務局から資料に基づき説明した。</p><p>○村井委員長 以上です。</p>"
    meeting = parse_minutes(page(record), URL)
    assert [role for role, _, _ in speeches(meeting)] == ["委員長", "委員長"]
    assert "○事務局から資料に基づき説明した。" in narrative(meeting)


def test_a_bracket_label_nobody_listed_counts_when_the_page_uses_brackets_for_speakers():
    record = (
        "<p>【会長】それでは議事に入ります。</p><p>【担当課】計画案を説明します。</p>"
        "<p>【委員】質問があります。</p><p>【担当課】お答えします。</p>"
    )
    assert [role for role, _, _ in speeches(parse_minutes(page(record), URL))] == ["会長", "担当課", "委員", "担当課"]


def test_a_bracket_heading_is_no_speaker_when_brackets_are_not_the_pages_label_style():
    record = "<p>【配布資料】</p><p>委員長 会議を始めます。</p><p>委員 意見です。</p>"
    meeting = parse_minutes(page(record), URL)
    assert [role for role, _, _ in speeches(meeting)] == ["委員長", "委員"]


def test_colon_labels_nobody_listed_count_beside_known_ones():
    record = (
        "<p>座長：始めます。</p><p>構成員：意見を述べます。</p><p>座長：ほかにありますか。</p>"
        "<p>アドバイザー：補足します。</p>"
    )
    assert [role for role, _, _ in speeches(parse_minutes(page(record), URL))] == [
        "座長",
        "構成員",
        "座長",
        "アドバイザー",
    ]


def test_the_secretariat_head_speaks_for_the_secretariat_but_other_offices_keep_their_title():
    record = "<p>○山崎事務局長 開会します。</p><p>○木下監査事務局長 報告します。</p><p>事務局長 以上です。</p>"
    assert [(role, name) for role, name, _ in speeches(parse_minutes(page(record), URL))] == [
        ("事務局", "山崎"),
        ("事務局長", "木下"),
        ("事務局", None),
    ]


def test_a_name_in_lenticular_brackets_after_the_role():
    record = "<p>◯議長【川村花子君】 開会します。</p><p>◯市長【森田一郎君】 お答えします。</p><p>◯7番【北山次郎君】 質問します。</p>"
    assert [(role, name) for role, name, _ in speeches(parse_minutes(page(record), URL))] == [
        ("議長", "川村花子"),
        ("市長", "森田一郎"),
        ("議員", "北山次郎"),
    ]


def test_a_running_number_before_the_mark_and_a_seat_number_with_its_title():
    record = (
        "<p>1: 午前10時開議</p><p>2 ◯議長(川村花子) 開会します。</p>"
        "<p>3 ○2番議員(北山次郎) 質問します。</p><p>4: ◯議長(川村花子) 答弁を求めます。</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert [(role, name) for role, name, _ in speeches(meeting)] == [
        ("議長", "川村花子"),
        ("議員", "北山次郎"),
        ("議長", "川村花子"),
    ]
    assert "午前10時開議" in narrative(meeting)[0]


def test_letter_spaced_labels_and_a_label_over_several_lines():
    record = (
        "<p>議 長 ただいまから会議を開きます。</p>"
        "<p>会 長</p><p>さくら市長</p><p>川 村 花 子</p><p>本日はお集まりいただきありがとうございます。</p>"
    )
    assert speeches(parse_minutes(page(record), URL)) == [
        ("議長", None, "ただいまから会議を開きます。"),
        ("会長", "川村花子", "本日はお集まりいただきありがとうございます。"),
    ]


def test_an_office_in_parentheses_is_no_name():
    record = "<p>森田会長(さくら市長)</p><p>開会します。</p><p>事務局</p><p>資料を説明します。</p>"
    assert [(role, name) for role, name, _ in speeches(parse_minutes(page(record), URL))] == [
        ("会長", "森田"),
        ("事務局", None),
    ]


def test_an_attendance_list_under_a_role_heading_is_never_a_turn():
    record = (
        "<p>【委員】</p><p>川村委員、森田委員、北山委員、南委員</p><p>【傍聴者】0名</p>"
        "<p>【会長】それでは始めます。</p><p>【委員】意見を述べます。</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert [role for role, _, _ in speeches(meeting)] == ["会長", "委員"]
    assert any("川村委員、森田委員" in text for text in narrative(meeting))


def test_colon_labels_of_a_surname_and_a_title_nobody_listed():
    record = "<p>森田部会長：始めます。</p><p>北山教授：説明します。</p><p>森田部会長：ありがとうございました。</p>"
    assert [(role, name) for role, name, _ in speeches(parse_minutes(page(record), URL))] == [
        ("部会長", "森田"),
        ("教授", "北山"),
        ("部会長", "森田"),
    ]


def test_labels_inside_a_line_whose_breaks_were_lost():
    record = (
        "<p>○川村委員長 開会します。説明をお願いいたします。 ○森田副市長 皆様、ご説明します。○北山委員 質問です。</p>"
    )
    assert speeches(parse_minutes(page(record), URL)) == [
        ("委員長", "川村", "開会します。説明をお願いいたします。"),
        ("副市長", "森田", "皆様、ご説明します。"),
        ("委員", "北山", "質問です。"),
    ]


def test_a_council_record_dated_only_by_its_title():
    html = """<html><head><title>令和 7年第1回定例会（ 2月25日）</title></head><body>
    <p>令和7年第1回さくら市議会定例会会議録</p><p>○議長(川村花子) 開会します。</p><p>○市長(森田一郎) 挨拶します。</p></body></html>"""
    meeting = parse_minutes(html, URL)
    assert meeting.date == date(2025, 2, 25) and meeting.quality.status == "ok"


def test_a_surname_from_the_attendance_list_splits_a_label_janome_cannot():
    header = "<h1>さくら市子育て懇談会</h1><p>日時：令和5年6月2日</p><p>出席者</p><p>猪口 邦子</p><p>市長</p>"
    record = "<p>○猪口子育て担当部長</p><p>資料を説明します。</p><p>○座長</p><p>ありがとうございました。</p>"
    meeting = parse_minutes(page(record, header=header, marker="<h2>議事概要</h2>"), URL)
    assert [(role, name) for role, name, _ in speeches(meeting)] == [("部長", "猪口"), ("座長", None)]


def test_numbered_speaker_rows_of_a_speech_index():
    html = """<html><body><p>令和 8年</p><p>さくら市総務常任委員会</p><p>( 3月18日)</p>
    <table><tr><th>No.1</th><td>川村委員長</td></tr></table><p>会議を開きます。</p>
    <table><tr><th>No.2</th><td>濵田財政課長</td></tr></table><p>説明いたします。</p>
    <table><tr><th>No.3</th><td>川村委員長</td></tr></table><p>終わります。</p></body></html>"""
    meeting = parse_minutes(html, URL)
    assert meeting.date == date(2026, 3, 18)
    assert [(role, name, text) for role, name, text in speeches(meeting)] == [
        ("委員長", "川村", "会議を開きます。"),
        ("課長", "濵田", "説明いたします。"),
        ("委員長", "川村", "終わります。"),
    ]


# Conventions inferred from the page: a frame whose labels recur and alternate opens speeches with
# labels the role list does not know.
@pytest.mark.parametrize(
    "lines, expected",
    [
        # Names alone before a colon.
        (
            [
                "田中：始めます。",
                "佐藤：費用はいくらですか。",
                "鈴木：約三百万円です。",
                "田中：ほかには。",
                "佐藤：ありません。",
            ],
            [("発言者", "田中"), ("発言者", "佐藤"), ("発言者", "鈴木"), ("発言者", "田中"), ("発言者", "佐藤")],
        ),
        # Question and answer letters.
        (
            ["Ｑ：遊具はいつ直りますか。", "Ａ：来年度に直します。", "Ｑ：通学路はどうですか。", "Ａ：協議中です。"],
            [("Q", None), ("A", None), ("Q", None), ("A", None)],
        ),
        # A name and a title in parentheses before the speech.
        (
            [
                "（山田委員）駐輪場について伺います。",
                "（交通政策課長）整備中です。",
                "（山田委員）利用率は。",
                "（交通政策課長）八割です。",
            ],
            [("委員", "山田"), ("課長", None), ("委員", "山田"), ("課長", None)],
        ),
        # A mark before a name alone.
        (
            ["○田中　始めます。", "○佐藤　質問があります。", "○田中　どうぞ。", "○佐藤　予算の件です。"],
            [("発言者", "田中"), ("発言者", "佐藤"), ("発言者", "田中"), ("発言者", "佐藤")],
        ),
    ],
)
def test_a_recurring_label_frame_opens_speeches_with_labels_nobody_listed(lines, expected):
    record = "".join(f"<p>{line}</p>" for line in lines)
    assert [(role, name) for role, name, _ in speeches(parse_minutes(page(record), URL))] == expected


def test_labels_that_neither_recur_nor_read_as_speakers_stay_text():
    record = (
        "<p>会長：資料の説明をお願いします。</p><p>事務局：説明します。</p><p>報告１：委員名簿</p>"
        "<p>報告２：計画案</p><p>報告３：日程</p><p>会長：ありがとうございました。</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert [role for role, _, _ in speeches(meeting)] == ["会長", "事務局", "会長"]
    assert "報告2:計画案" in speeches(meeting)[1][2]


def test_stage_directions_in_parentheses_are_never_speakers():
    record = (
        "<p>（拍手）</p><p>○議長　開会します。</p><p>（拍手）</p><p>○市長　ご挨拶申し上げます。</p>"
        "<p>（拍手）</p><p>○議長　次に進みます。</p><p>（拍手）</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert [role for role, _, _ in speeches(meeting)] == ["議長", "市長", "議長"]


def test_on_a_marked_page_an_unmarked_role_word_is_part_of_the_speech():
    # The chair's call of the next speaker printed on its own line ("1番" / "川口議員。") is no label.
    record = (
        "<p>○議長（川村花子）</p><p>発言を許します。</p><p>1番</p><p>川口一郎議員。</p>"
        "<p>○1番議員（川口一郎）</p><p>質問します。</p><p>○市長（森田太郎）</p><p>お答えします。</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert [(role, name) for role, name, _ in speeches(meeting)] == [
        ("議長", "川村花子"),
        ("議員", "川口一郎"),
        ("市長", "森田太郎"),
    ]
    assert "川口一郎議員。" in speeches(meeting)[0][2]


def test_a_name_with_an_honorific_and_a_name_before_an_unlisted_title_are_labels():
    record = (
        "<p>○議長（川村花子）　紹介します。</p><p>○森川周太郎氏　ご挨拶申し上げます。</p>"
        "<p>○議長（川村花子）　次に進みます。</p><p>○藤岡　会計管理者　説明します。</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert [(role, name) for role, name, _ in speeches(meeting)] == [
        ("議長", "川村花子"),
        ("発言者", "森川周太郎"),
        ("議長", "川村花子"),
        ("会計管理者", "藤岡"),
    ]


def test_a_name_in_a_rarer_kanji_plane_is_kept():
    record = "<p>○議長（川村花子）　どうぞ。</p><p>○副市長（\U00020bb7澤勇一郎）　退職のご挨拶です。</p>"
    assert speeches(parse_minutes(page(record), URL))[1][:2] == ("副市長", "\U00020bb7澤勇一郎")


@pytest.mark.parametrize(
    "roster",
    [
        ["総務部長(山田太郎)", "財政課長(鈴木一郎)", "企画課長(佐藤花子)"],
        ["総務部長　山田 太郎", "財政課長　鈴木 一郎", "企画課長　佐藤 花子"],
        ["総務部長：山田太郎", "財政課長：鈴木一郎", "委員：伊藤四郎、渡辺五郎、山本六郎"],
    ],
)
def test_an_attendance_list_printed_as_labels_is_no_speech_and_names_the_speakers(roster):
    record = (
        "<p>会長　それでは始めます。</p>"
        + "".join(f"<p>{line}</p>" for line in roster)
        + "<p>会長　議事に入ります。</p><p>山田総務部長　お答えします。</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert [(role, name) for role, name, _ in speeches(meeting)] == [
        ("会長", None),
        ("会長", None),
        ("部長", "山田太郎"),
    ]

    def bare(text: str) -> str:
        return re.sub(r"[\s:：]", "", text)

    assert all(bare(line) in bare(narrative(meeting)[-1]) for line in roster)


def test_a_label_printed_twice_is_one_turn():
    record = (
        "<p>○委員長（山田一郎君）</p><p>○委員長（山田一郎君）　開会します。</p><p>○委員（佐藤君）　質問します。</p>"
    )
    meeting = parse_minutes(page(record), URL)
    assert speeches(meeting) == [("委員長", "山田一郎", "開会します。"), ("委員", "佐藤", "質問します。")]
    assert not narrative(meeting)


@pytest.mark.parametrize(
    "said, expected",
    [
        ("会期は、本日から６月29日までの25日間といたしたいと思います。", date(2026, 6, 5)),
        ("本日はこれにて散会いたします。明６月６日は午前10時から本会議を開きます。", date(2026, 6, 5)),
    ],
)
def test_a_council_record_without_a_printed_date_is_dated_by_what_the_chair_says(said, expected):
    html = f"""<html><body><p>令和8年第13回定例会（第1日）</p><p>○議長（川村花子）</p><p>開会します。</p>
    <p>○市長（森田太郎）</p><p>挨拶します。</p><p>○議長（川村花子）</p><p>{said}</p></body></html>"""
    meeting = parse_minutes(html, URL)
    assert meeting.date == expected
    assert meeting.quality.status == "ok" and any("inferred" in w for w in meeting.quality.warnings)
