from datetime import date

import pytest

from indexer.parse.dates import find_date, find_dates, find_times, kanji_to_int


@pytest.mark.parametrize(
    "text, expected",
    [
        ("平成23年8月19日(金曜日)午後3時~", date(2011, 8, 19)),
        ("平成二十三年八月十九日", date(2011, 8, 19)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成元年一月八日", date(1989, 1, 8)),
        ("令和７年（２０２５年）８月１日", date(2025, 8, 1)),
        ("令和7年(2025年)8月1日", date(2025, 8, 1)),
        ("昭和六十四年一月七日", date(1989, 1, 7)),
        ("大正十五年十二月二十四日", date(1926, 12, 24)),
        ("明治四十五年七月二十九日", date(1912, 7, 29)),
        ("２０２４年１２月３日", date(2024, 12, 3)),
        ("二〇二五年三月四日", date(2025, 3, 4)),
        ("開催日 2023/10/05", date(2023, 10, 5)),
        ("H23.8.19 開催", date(2011, 8, 19)),
        ("令和 5 年 8 月 30 日", date(2023, 8, 30)),
    ],
)
def test_era_and_western_dates(text, expected):
    assert find_date(text) == expected


@pytest.mark.parametrize("text", ["平成31年2月30日", "令和0年1月1日", "平成32年1月1日", "13月1日", "第3回"])
def test_impossible_dates_are_skipped(text):
    assert find_date(text) is None


def test_first_valid_date_wins_over_an_impossible_one():
    assert find_dates("平成31年2月30日、令和2年1月4日") == [date(2020, 1, 4)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("平成23年8月19日(金曜日)午後3時~午後4時45分", ("15:00", "16:45")),
        ("15時00分~17時30分", ("15:00", "17:30")),
        ("午後四時一分開議", ("16:01", None)),
        ("午前10時から正午まで", ("10:00", "12:00")),
        ("午後1時30分～3時", ("13:30", "15:00")),
        ("13:30-15:00", ("13:30", "15:00")),
        ("午前九時半開会", ("09:30", None)),
        ("日時未定", (None, None)),
    ],
)
def test_times(text, expected):
    assert find_times(text) == expected


@pytest.mark.parametrize(
    "text, value",
    [("二十三", 23), ("十", 10), ("三十一", 31), ("百二", 102), ("二〇二五", 2025), ("元", 1), ("１２", 12)],
)
def test_kanji_numerals(text, value):
    assert kanji_to_int(text) == value


def test_an_era_year_and_a_day_printed_apart_make_one_date():
    from indexer.parse.dates import find_split_date

    assert find_split_date("令和 7年第1回定例会（ 2月25日）") == date(2025, 2, 25)
    assert find_split_date("平成元年第3回臨時会 十一月八日") == date(1989, 11, 8)
    assert find_split_date("令和6年度 第2回 3月1日") is None  # a fiscal year (年度) says nothing of the calendar year
    assert find_split_date("第1回定例会（2月25日）") is None  # no year at all
    assert find_split_date("令和5年2月30日") is None  # no such day
