"""Find Japanese-era and Western dates and clock times in minutes text."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

ERAS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}
# One-letter era abbreviations seen in file names and tables (H23.8.19, R7.4.1).
ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
# Last valid year of each era, so 平成32年 or 昭和65年 are rejected rather than guessed.
ERA_LAST_YEAR = {"明治": 45, "大正": 15, "昭和": 64, "平成": 31, "令和": 99}

KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
NUM = r"[0-9〇零一二三四五六七八九十百千]+"

_ERA_DATE = re.compile(
    rf"(?P<era>明治|大正|昭和|平成|令和)\s*(?P<y>元|{NUM})\s*年\s*"
    rf"(?:[(（]\s*(?:西暦)?\s*\d{{4}}\s*年?\s*[)）]\s*)?"
    rf"(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*日"
)
_LETTER_DATE = re.compile(
    r"(?<![A-Za-z])(?P<era>[MTSHR])\s*(?P<y>\d{1,2})[.\-/](?P<m>\d{1,2})[.\-/](?P<d>\d{1,2})(?!\d)"
)
_WESTERN_DATE = re.compile(
    rf"(?P<y>\d{{4}}|[〇一二三四五六七八九]{{4}})\s*(?:[(（][^()（）]{{1,8}}[)）])?\s*年\s*"
    rf"(?:[(（][^()（）]{{1,8}}[)）]\s*)?(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*日"
    r"|(?<!\d)(?P<y2>\d{4})[/\-.](?P<m2>\d{1,2})[/\-.](?P<d2>\d{1,2})(?!\d)"
)
_TIME = re.compile(
    rf"(?P<ampm>午前|午後)?\s*(?:(?P<h>{NUM})\s*時\s*(?:(?P<min>{NUM}|半)\s*分?)?"
    r"|(?P<h2>\d{1,2}):(?P<min2>\d{2}))"
)
_RANGE_SEP = re.compile(r"\s*(?:~|〜|～|－|−|-|―|から|より|ー)\s*")


def kanji_to_int(text: str) -> int:
    """Turn Arabic, full-width or kanji numerals (二十三, 二〇二五, 百二) into an int."""
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        return int(text)
    if text == "元":
        return 1
    if not text or any(ch not in KANJI_DIGITS and ch not in KANJI_UNITS for ch in text):
        raise ValueError(f"not a number: {text!r}")
    if not any(ch in KANJI_UNITS for ch in text):
        # Positional form: 二〇二五 is 2025.
        return int("".join(str(KANJI_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in KANJI_DIGITS:
            digit = KANJI_DIGITS[ch]
        else:
            total += (digit if digit is not None else 1) * KANJI_UNITS[ch]
            digit = None
    return total + (digit or 0)


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _era_year(era: str, year_text: str) -> int | None:
    year = kanji_to_int(year_text)
    if year < 1 or year > ERA_LAST_YEAR[era]:
        return None
    return ERAS[era] + year


def find_dates(text: str) -> list[date]:
    """Return every valid date in the text, in order of appearance; impossible dates are skipped."""
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, date]] = []
    for m in _ERA_DATE.finditer(text):
        year = _era_year(m["era"], m["y"])
        if year is not None:
            d = _make_date(year, kanji_to_int(m["m"]), kanji_to_int(m["d"]))
            if d:
                found.append((m.start(), d))
    for m in _LETTER_DATE.finditer(text):
        era = ERA_LETTERS[m["era"]]
        year = _era_year(era, m["y"])
        if year is not None:
            d = _make_date(year, int(m["m"]), int(m["d"]))
            if d:
                found.append((m.start(), d))
    for m in _WESTERN_DATE.finditer(text):
        if m["y"]:
            d = _make_date(kanji_to_int(m["y"]), kanji_to_int(m["m"]), kanji_to_int(m["d"]))
        else:
            d = _make_date(int(m["y2"]), int(m["m2"]), int(m["d2"]))
        if d and 1868 <= d.year <= 2200:
            found.append((m.start(), d))
    return [d for _, d in sorted(found, key=lambda pair: pair[0])]


def find_date(text: str) -> date | None:
    """Return the first valid date in the text, or None."""
    dates = find_dates(text)
    return dates[0] if dates else None


_ERA_YEAR = re.compile(rf"(?P<era>明治|大正|昭和|平成|令和)\s*(?P<y>元|{NUM})\s*年(?!\s*度)")
_MONTH_DAY = re.compile(rf"(?<![0-9年])(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*日")


def find_split_date(text: str) -> date | None:
    """Return a date whose era year and month-day are printed apart (令和7年第1回定例会（2月25日）): the first
    era year, then the first month and day after it, within one text such as a title."""
    text = unicodedata.normalize("NFKC", text)
    era = _ERA_YEAR.search(text)
    if era is None:
        return None
    year = _era_year(era["era"], era["y"])
    month_day = _MONTH_DAY.search(text, era.end())
    if year is None or month_day is None:
        return None
    return _make_date(year, kanji_to_int(month_day["m"]), kanji_to_int(month_day["d"]))


def _clock(match: re.Match) -> str | None:
    if match["h2"]:
        hour, minute = int(match["h2"]), int(match["min2"])
    else:
        hour = kanji_to_int(match["h"])
        minute_text = match["min"]
        minute = 30 if minute_text == "半" else (kanji_to_int(minute_text) if minute_text else 0)
    if match["ampm"] == "午後" and hour < 12:
        hour += 12
    if hour > 24 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def find_times(text: str) -> tuple[str | None, str | None]:
    """Return (start, end) clock times "HH:MM" from text such as 午後3時~午後4時45分, or Nones."""
    text = unicodedata.normalize("NFKC", text).replace("正午", "午後0時")
    # Drop dates first so that 8月19日 is never read as a time.
    text = _ERA_DATE.sub(" ", text)
    text = _WESTERN_DATE.sub(" ", text)
    matches = [m for m in _TIME.finditer(text) if m["h"] or m["h2"]]
    if not matches:
        return None, None
    first = matches[0]
    start = _clock(first)
    end = None
    if len(matches) > 1:
        between = text[first.end() : matches[1].start()]
        if _RANGE_SEP.fullmatch(between):
            end = _clock(matches[1])
            # 午後3時~4時45分: the second time inherits 午後 from the first.
            if end and not matches[1]["ampm"] and first["ampm"] == "午後" and not matches[1]["h2"]:
                hour = int(end[:2])
                if hour < 12:
                    end = f"{hour + 12:02d}:{end[3:]}"
    return start, end


_SESSION_SPAN = re.compile(rf"本日から\s*(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*日\s*まで\s*の?\s*(?P<n>{NUM})\s*日間")
_TOMORROW = re.compile(rf"(?<![\u4e00-\u9fff])明日?\s*(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*日")


def find_spoken_date(text: str, closing: str, year: int) -> date | None:
    """Return the day a council record was spoken, from what the chair says in it: the session's span
    counted from today (本日から６月29日までの25日間) anywhere in text, or, in its closing lines, the next
    sitting, tomorrow (明６月６日); year is the session's, from the title or header."""
    text = unicodedata.normalize("NFKC", text)
    closing = unicodedata.normalize("NFKC", closing)
    span = _SESSION_SPAN.search(text)
    if span:
        end = _make_date(year, kanji_to_int(span["m"]), kanji_to_int(span["d"]))
        days = kanji_to_int(span["n"])
        if end is not None and 0 < days <= 366:
            return end - timedelta(days=days - 1)
    tomorrow = _TOMORROW.search(closing)
    if tomorrow:
        next_day = _make_date(year, kanji_to_int(tomorrow["m"]), kanji_to_int(tomorrow["d"]))
        if next_day is not None:
            return next_day - timedelta(days=1)
    return None


def find_year(text: str) -> int | None:
    """Return the first era or western year printed in the text (令和8年 → 2026, 2026年 → 2026)."""
    text = unicodedata.normalize("NFKC", text)
    era = _ERA_YEAR.search(text)
    if era:
        return _era_year(era["era"], era["y"])
    western = re.search(r"(?<!\d)(19[5-9]\d|20\d\d)\s*年", text)
    return int(western.group(1)) if western else None
