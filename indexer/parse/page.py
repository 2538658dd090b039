"""Parse one municipal minutes page (HTML bytes or text) into a Meeting with its Utterances."""

from __future__ import annotations

import hashlib
import logging
import re
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, cast

from indexer.parse.charset import decode_html
from indexer.parse.dates import find_date, find_split_date, find_spoken_date, find_times, find_year
from indexer.parse.hints import NO_HINTS, ParseHints
from indexer.parse.html_lines import STOP_LINE, Line, canonical_url, content_lines, main_content, page_title, parse_soup
from indexer.parse.labels import (
    MARKED,
    MARKS,
    SENTENCE_END,
    convention_of,
    is_known_role,
    numbered_speaker,
    speech_start,
    unspaced,
)
from indexer.parse.quality import judge
from indexer.parse.roles import Speaker, canonical_role, parse_label, resolve_full_names
from indexer.parse.rosters import is_roster, names_only
from indexer.records import Meeting, Utterance, meeting_id_for

log = logging.getLogger(__name__)

# Bump when a parser change should re-parse every stored page on the next reindex.
PARSER_VERSION = "5"


def parser_version(hints: ParseHints = NO_HINTS, body: str | None = None) -> str:
    """Return the version stored beside a parsed page: the parser's, its site's hints when it has any, and
    the body its meetings are filed under (so renaming it re-parses them)."""
    version = PARSER_VERSION if hints == NO_HINTS else f"{PARSER_VERSION}+{hints.version()}"
    if body:
        version += "+body:" + hashlib.sha1(body.encode("utf-8")).hexdigest()[:8]
    return version


MAX_PAGE_BYTES = 30_000_000  # larger "pages" are refused with a clear error, never parsed


class ParseError(ValueError):
    """A page could not be turned into a Meeting; the message names the page and the reason."""

    def __init__(self, url: str | None, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"{url or '<page>'}: {reason}")


class NotMinutesError(ParseError):
    """The page is not a minutes page (no record section and no speaker labels)."""


@contextmanager
def time_limit(seconds: float, url: str | None):
    """Raise ParseError if the block runs longer than seconds (main thread only; elsewhere no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    reason = f"parsing took longer than {seconds:g} s; the page was skipped"
    fired = False

    def expired(_signum, _frame):
        nonlocal fired
        fired = True
        raise ParseError(url, reason)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:
        # The alarm's exception can land where Python swallows it (a gc callback, a __del__) and the
        # block then runs on to the end: the limit holds all the same.
        raise ParseError(url, reason)


# Header labels and the Meeting field each one fills.
HEADER_LABELS = {
    "department": ("担当所属名", "担当所属", "担当部署名", "担当部署", "担当課名", "担当課", "所管課", "所管部署"),
    "meeting_name": ("会議名", "会議の名称", "審議会等の名称", "審議会名", "名称"),
    "when": ("開催日時", "日時", "開催日", "開催年月日", "日付", "開催時間", "時間"),
    "place": ("開催場所", "場所", "会場"),
    "agenda": (
        "議題",
        "案件",
        "会議次第",
        "次第",
        "付議事件",
        "本日の会議に付した事件",
        "会議に付した事件",
        "本日の会議に付した案件",
    ),
    "attendance": (
        "出席者",
        "出席委員",
        "出席議員",
        "欠席者",
        "欠席委員",
        "傍聴者",
        "傍聴人",
        "説明員",
        "事務局職員",
        "公開・非公開の別",
        "公開の可否",
        "会議の公開",
    ),
}
# Headings after which the record itself (speeches and narrative) follows.
RECORD_MARKERS = (
    "審議結果",
    "審議の結果",
    "会議録",
    "議事録",
    "議事の経過",
    "会議の経過",
    "審議の経過",
    "審議経過",
    "議事経過",
    "会議経過",
    "議事内容",
    "会議内容",
    "審議内容",
    "発言内容",
    "議事要旨",
    "会議要旨",
    "議事概要",
    "会議の概要",
    "会議概要",
    "発言要旨",
    "会議の内容",
    "議事の概要",
    "審議の概要",
    "会議結果",
    "会議の結果",
    "審議状況",
    "会議録(要旨)",
    "議事録(要旨)",
    "会議の要旨",
    "議事の要旨",
    "議事要録",
    "発言の要旨",
    "審議の要旨",
    "会議記録",
    "主な意見",
    "主な発言",
    "質疑応答",
    "意見交換",
    "質疑・意見",
    "協議内容",
    "協議の内容",
)

_LABEL_TO_FIELD = {label: key for key, labels in HEADER_LABELS.items() for label in labels}
_DECORATION = r"[\s■□◆◇●◎○〇・▼▽▲△★☆※#＃\-]*"
_NUMBERING = r"(?:\d{1,2}\s*[.．)）、]?|[(（]\d{1,2}[)）]|[一二三四五六七八九十]{1,3}\s*[、.．]|第\d{1,2}\s*)?"
_BRACKETS = r"[【\[［〔(（<《「]?"
_CLOSE = r"[】\]］〕)）>》」]?"


def _spaced(words) -> str:
    """Alternatives that also match when a page spaces a label out (日　時, 会 議 録)."""
    return "|".join(r"\s*".join(map(re.escape, w)) for w in sorted(words, key=len, reverse=True))


_HEADER_LINE = re.compile(
    rf"^{_DECORATION}{_NUMBERING}\s*{_BRACKETS}\s*(?P<label>{_spaced(_LABEL_TO_FIELD)})"
    rf"\s*{_CLOSE}\s*(?:[:：]\s*|\s+|$)(?P<value>.*)$"
)
_RECORD_LINE = re.compile(
    rf"^{_DECORATION}{_NUMBERING}\s*{_BRACKETS}\s*(?:{_spaced(RECORD_MARKERS)})\s*{_CLOSE}\s*[:：]?\s*$"
)


def _field_of(match: re.Match) -> str:
    return _LABEL_TO_FIELD[re.sub(r"\s", "", match["label"])]


_AGENDA_HEADING = re.compile(
    r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3}|[(（]\d{1,2}[)）]|第\d{1,2}|[ア-オ])\s*[\s.．、)）]\s*\S.*$"
)
_RUNNING_NUMBER = re.compile(r"^\d{1,4}\s*[:：]\s*")  # "1: 午前10時32分開議"
# The record is over when the minutes close: 閉会 / 散会 lines carry the end time.
_CLOSING = re.compile(r"(閉会|散会|終了|閉議)")
# 午後二時三十分散会 / (午前10時05分休憩): the record's clock, not anybody's speech.
_TIME_STAMP = re.compile(
    r"^[(（〔]?\s*(午前|午後)?\s*[0-9〇一二三四五六七八九十]+\s*時\s*([0-9〇一二三四五六七八九十]+\s*分|半)?\s*"
    r"(開会|開議|散会|閉会|休憩|再開|延会|閉議)\s*[)）〕]?$"
)


@dataclass
class _Turn:
    speaker: Speaker | None
    lines: list[str] = field(default_factory=list)
    standalone: bool = False  # narrative that must not absorb following lines (headings, summaries)
    names: list[str] = field(default_factory=list)  # the people an attendance list printed as labels names


def explain(
    page: bytes | str, url: str | None = None, *, charset: str | None = None, hints: ParseHints = NO_HINTS
) -> list[str]:
    """Return, line by line, how the parser reads a page: where the record starts, each label style
    it saw with how many lines open a speech in it, the style it segments by and the runner-up."""
    _soup, _url, _main, lines = _page_lines(page, url, charset, hints)
    start = _record_start(lines, hints)
    if start is None:
        return ["no record section (審議結果/会議録/議事の経過…) and no speaker labels: not minutes"]
    record = lines[start.index + start.skip_marker :]
    how = "after a record heading" if start.skip_marker else "at the first speaker label"
    out = [f"record starts at content line {start.index + 1} ({how}); {len(record)} lines"]
    convention = convention_of(_split_run_on(record, hints), hints)
    scored = [score for score in convention.ranked if score.count]
    for score in scored:
        out.append("  " + score.describe())
    best = convention.best()
    out.append(f"segmented by: {best.name() if best else 'nothing (no speaker labels)'}")
    runner_up = scored[1] if len(scored) > 1 else None
    if best and runner_up:
        out.append(f"runner-up: {runner_up.name()} ({_why(best, runner_up)})")
    else:
        out.append("runner-up: none")
    return out


def _why(best, runner_up) -> str:
    """Say in a few words why the best frame beat the runner-up."""
    reasons = []
    if best.count > runner_up.count:
        reasons.append(f"{best.count} labels against {runner_up.count}")
    if best.known > runner_up.known:
        reasons.append(f"{best.known} of a known role against {runner_up.known}")
    if best.coverage > runner_up.coverage + 0.05:
        reasons.append(f"covers {best.coverage:.0%} of the record against {runner_up.coverage:.0%}")
    if best.alternation > runner_up.alternation + 0.05:
        reasons.append(f"speakers alternate more ({best.alternation:.2f} against {runner_up.alternation:.2f})")
    return "; ".join(reasons) or f"score {best.score:.2f} against {runner_up.score:.2f}"


def _page_lines(
    page: bytes | str, url: str | None, charset: str | None, hints: ParseHints = NO_HINTS
) -> tuple[Any, str, Any, list[Line]]:
    """Decode a page and return (soup, canonical url, main content, its lines up to the first stop line)."""
    size = len(page)
    if size > MAX_PAGE_BYTES:
        raise ParseError(url, f"the page is {size:,} bytes, over the {MAX_PAGE_BYTES:,}-byte limit")
    html = decode_html(page, charset) if isinstance(page, bytes) else page
    if not html.strip():
        raise NotMinutesError(url, "the page is empty")
    soup = parse_soup(html)
    url = canonical_url(soup, url)
    if not url:
        raise ParseError(None, "no url given and the page has no canonical link")
    if hints.content_selector:
        main = soup.select_one(hints.content_selector)
        if main is None:
            raise ParseError(url, f"the profile's content_selector {hints.content_selector!r} matches nothing")
    else:
        main = main_content(soup)
    return soup, url, main, _until_stop_line(content_lines(main))


def parse_minutes(
    page: bytes | str,
    url: str | None = None,
    *,
    charset: str | None = None,
    hints: ParseHints = NO_HINTS,
    link_text: str | None = None,
) -> Meeting:
    """Parse a minutes page into a Meeting, or raise ParseError / NotMinutesError saying why; hints are a
    site profile's corrections ([site.parse]), link_text the listing page's link to it (for date_from = "link")."""
    soup, url, main, lines = _page_lines(page, url, charset, hints)
    # Council records often carry their title only as the first line of the text.
    title = page_title(soup, main) or next((ln.text for ln in lines if ln.kind != "row"), "")

    start = _record_start(lines, hints)
    if start is None:
        raise NotMinutesError(url, "no record section (審議結果/会議録/議事の経過…) and no speaker labels")
    header_lines, record_lines = lines[: start.index], lines[start.index :]
    if start.skip_marker:
        record_lines = record_lines[1:]
    if start.row_value is not None:
        record_lines = [Line("text", part) for part in start.row_value.split("\n") if part] + record_lines

    fields = _header_fields(header_lines)
    header_text = "\n".join([title] + [(ln.label or "") + " " + ln.text for ln in header_lines])
    when_text = fields.get("when") or ""
    meeting_date = (
        find_date(when_text) or find_date(header_text) or find_split_date(title) or find_split_date(header_text)
    )
    if hints.date_from == "title":
        meeting_date = find_date(title) or meeting_date
    elif hints.date_from == "link" and link_text:
        meeting_date = find_date(link_text) or find_split_date(link_text) or meeting_date
    start_time, end_time = find_times(when_text) if when_text else (None, None)
    if start_time is None:
        start_time, end_time = _council_times(header_lines, record_lines)

    meeting_id = meeting_id_for(url)
    utterances, listed = _utterances(meeting_id, record_lines, hints)
    if not utterances:
        raise ParseError(url, "the record section holds no text")
    notes: list[str] = []
    year = find_year(header_text) if meeting_date is None else None
    if year is not None:
        said = [u.text for u in utterances]
        meeting_date = find_spoken_date("\n".join(said), "\n".join(said[-8:]), year)
        if meeting_date is not None:
            notes.append("the date is inferred from the record (the session's span or the next sitting's date)")
    if meeting_date is None and not any(u.role for u in utterances):
        raise ParseError(url, "no meeting date found in the header (日時 or a date line) and no speech turns")
    _names_from_attendance(utterances, header_lines)
    for utterance, full in zip(utterances, resolve_full_names(header_text, [u.speaker for u in utterances], listed)):
        utterance.speaker = full
    meeting_name = fields.get("meeting_name") or _strip_record_suffix(title)
    agenda = _agenda(fields.get("agenda"), header_lines)
    return Meeting(
        id=meeting_id,
        url=url,
        title=title or meeting_name,
        committee=committee_name(meeting_name or title),
        meeting_name=meeting_name,
        date=meeting_date,
        start_time=start_time,
        end_time=end_time,
        place=_first_line(fields.get("place")) or _council_place(header_lines),
        department=_first_line(fields.get("department")),
        agenda=agenda,
        utterances=utterances,
        quality=judge(utterances, meeting_date, title, notes),
    )


# An attendance line "猪口 邦子": a family name, a space, a given name.
_LISTED_NAME = re.compile(
    r"^(?P<family>[\u4e00-\u9fff\u3005]{1,4})[ \u3000](?P<given>[\u4e00-\u9fff\u3005\u3040-\u309f]{1,4})$"
)


def _names_from_attendance(utterances: list[Utterance], header_lines: list[Line]) -> None:
    """Give a nameless label its speaker's family name when the attendance list names someone whose family
    name begins it (猪口内閣府特命担当大臣 after 猪口 邦子): a surname Janome does not read as a name."""
    families = {m["family"] for line in header_lines if (m := _LISTED_NAME.match(line.text.strip()))}
    for utterance in utterances:
        label = (utterance.label or "").lstrip(MARKS)
        if not utterance.role or utterance.speaker or not label:
            continue
        family = max((f for f in families if label.startswith(f) and len(label) > len(f)), key=len, default=None)
        if family is not None:
            utterance.speaker = family


def _until_stop_line(lines: list[Line]) -> list[Line]:
    for index, line in enumerate(lines):
        if line.kind != "row" and STOP_LINE.match(line.text):
            return lines[:index]
    return lines


@dataclass
class _RecordStart:
    index: int
    skip_marker: bool
    row_value: str | None = None


def _record_start(lines: list[Line], hints: ParseHints = NO_HINTS) -> _RecordStart | None:
    """Find where the record begins: after a record marker, else at the first speaker label."""
    # A page titled just 会議録 has that word above its header, so a marker counts only after
    # the first header label when there is one.
    first_label = next(
        # cast: a row line always has its label (see content_lines).
        (
            i
            for i, line in enumerate(lines)
            if _HEADER_LINE.match(cast(str, line.label) if line.kind == "row" else line.text)
        ),
        -1,
    )
    for index, line in enumerate(lines):
        if index < first_label:
            continue
        if line.kind == "row" and _RECORD_LINE.match(line.label or ""):
            return _RecordStart(index, skip_marker=True, row_value=line.text)
        if line.kind != "row" and _RECORD_LINE.match(line.text):
            return _RecordStart(index, skip_marker=True)
    convention = convention_of(lines, hints)
    starts = [i for i, line in enumerate(lines) if line.kind != "row" and speech_start(line.text, convention, hints)]
    marked = [i for i in starts if MARKED.match(lines[i].text)]
    if marked:
        return _RecordStart(marked[0], skip_marker=False)
    numbered = [i for i, line in enumerate(lines) if numbered_speaker(line)]
    if len(numbered) >= 2:
        return _RecordStart(numbered[0], skip_marker=False)
    if len(starts) >= 2:
        return _RecordStart(starts[0], skip_marker=False)
    return None


def _header_fields(lines: list[Line]) -> dict[str, str]:
    """Collect labelled header fields from table rows, "label: value" lines and label headings."""
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        if line.kind == "row":
            match = _HEADER_LINE.match(line.label or "")
            current = None
            if match and not match["value"]:
                fields.setdefault(_field_of(match), []).append(line.text)
            continue
        match = _HEADER_LINE.match(line.text)
        if match:
            current = _field_of(match)
            if match["value"].strip():
                fields.setdefault(current, []).append(match["value"].strip())
            # A label alone on its line (often a heading) takes the lines below it as its value.
            if match["value"].strip() and line.kind != "heading":
                current = current if current == "agenda" else None
            continue
        if line.kind == "heading":
            current = None
            continue
        if current:
            fields.setdefault(current, []).append(line.text)
    return {key: "\n".join(values) for key, values in fields.items()}


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    return text.split("\n")[0].strip() or None


def _agenda(text: str | None, header_lines: list[Line]) -> list[str]:
    items = []
    for line in (text or "").split("\n"):
        line = line.strip()
        if line and not STOP_LINE.match(line):
            items.append(line)
    return items


_ROOM = re.compile(r"^\S{0,15}(会議室|委員会室|議場|議事堂|ホール|会館|研修室|大会議室)$")


def _council_place(header_lines: list[Line]) -> str | None:
    """Return a room line (第十委員会室) from an unlabelled council header."""
    for line in header_lines:
        if line.kind == "text" and _ROOM.match(line.text):
            return line.text
    return None


def _council_times(header_lines: list[Line], record_lines: list[Line]) -> tuple[str | None, str | None]:
    """Read 午後一時開議 in the header and 午後三時散会 at the end of a council record."""
    start = end = None
    for line in header_lines:
        if re.search(r"(開議|開会|開始)", line.text):
            start, _ = find_times(line.text)
            if start:
                break
    for line in reversed(record_lines[-5:]):
        if _CLOSING.search(line.text) and len(line.text) < 40:
            end, _ = find_times(line.text)
            if end:
                break
    return start, end


_COMMITTEE_NOISE = (
    re.compile(r"^(令和|平成|昭和)(\d+|元)年(度)?\s*"),
    re.compile(r"^\d{4}年(度)?\s*"),
    re.compile(r"^第\s*\d+\s*回\s*(定例会|臨時会)?\s*"),
    re.compile(r"\s*[(（][^()（）]*(第\s*\d+\s*回|開催|年|月|日)[^()（）]*[)）]"),
    re.compile(r"\s*第\s*[\d一二三四五六七八九十]+\s*(回|号)\s*$"),
    re.compile(r"\s*(の)?(会議録|議事録|速記録|議事要旨|会議要旨|議事概要|会議概要|概要|要旨|開催結果|記録)\s*$"),
)


def committee_name(meeting_name: str) -> str | None:
    """Reduce a meeting name to its standing body: 第1回○○委員会会議録 → ○○委員会."""
    name = meeting_name.strip()
    for _ in range(4):
        before = name
        for pattern in _COMMITTEE_NOISE:
            stripped = pattern.sub("", name).strip()
            if stripped:
                name = stripped
        if name == before:
            break
    return name or None


def _strip_record_suffix(title: str) -> str:
    return re.sub(r"\s*(の)?(会議録|議事録|速記録|議事要旨|会議要旨)(\s*第.+号)?\s*$", "", title).strip() or title


# A mark after a sentence's end inside one line: the line breaks were lost (a .txt or PDF conversion).
_RUN_ON = re.compile(r"(?<=[。．!?！？])\s*(?=[○◎〇●◯◆◇■□])")


def _split_run_on(lines: list[Line], hints: ParseHints = NO_HINTS) -> list[Line]:
    """Split "…お願いいたします。 ○鈴木副市長 皆様…" where a speaker label follows a sentence's end."""
    out: list[Line] = []
    for line in lines:
        if line.kind != "text" or not _RUN_ON.search(line.text):
            out.append(line)
            continue
        pieces = _RUN_ON.split(line.text)
        kept = pieces[0]
        for piece in pieces[1:]:
            if speech_start(piece, hints=hints):
                out.append(Line("text", kept.strip()))
                kept = piece
            else:
                kept += piece
        out.append(Line("text", kept.strip()))
    return [line for line in out if line.text or line.kind == "row"]


def _narrative_kind(line: Line) -> bool:
    """Tell whether a line stands alone as narrative: a heading, agenda item, summary or time stamp."""
    text = _RUNNING_NUMBER.sub("", line.text)
    if line.kind == "heading" or _RECORD_LINE.match(text) or _TIME_STAMP.match(text):
        return True
    if _AGENDA_HEADING.match(text) and not SENTENCE_END.search(text) and len(text) <= 60:
        return True
    return bool(re.match(rf"^[{MARKS}・※]", text))


def _utterances(meeting_id: str, lines: list[Line], hints: ParseHints = NO_HINTS) -> tuple[list[Utterance], list[str]]:
    """Segment the record into speeches (until the next label) and narrative text; return them with the
    names in the attendance lists found among them (for full names)."""
    turns: list[_Turn] = []
    current: _Turn | None = None
    lines = _split_run_on(lines, hints)
    convention = convention_of(lines, hints)
    for line in lines:
        if line.kind == "row":
            numbered = numbered_speaker(line)
            speaker = parse_label(line.label or "")
            if numbered is not None:
                current = _Turn(numbered)  # No.3 | 岩見委員長: the speech follows on the next lines
            elif speaker and is_known_role(speaker):
                current = _Turn(speaker, [line.text] if line.text else [])
            else:
                current = _Turn(None, [f"{line.label} {line.text}".strip()], standalone=True)
            turns.append(current)
            continue
        start = None if line.kind == "heading" else speech_start(line.text, convention, hints)
        if start and current is not None and current.speaker is not None and not current.lines:
            # 会 長 / さくら市長: an office under a bare role qualifies it; a bare role (委員長) is a new label.
            office, rest = start
            if not rest and office.name is None and office.label != office.role and current.speaker.name is None:
                continue
        if start is None and current is not None and current.speaker is not None and not current.lines:
            # A label printed over several lines: 会 長 / 五戸町長 / 三 浦 正 名, then the speech.
            spelled = unspaced(line.text)
            if spelled and current.speaker.name is None and len(spelled) <= 5:
                current.speaker = replace(current.speaker, name=spelled)
                continue
            if len(line.text) <= 12 and canonical_role(line.text) and not re.search(r"[、。「」]", line.text):
                continue
        if start:
            speaker, rest = start
            current = _Turn(speaker, [rest] if rest else [])
            turns.append(current)
        elif _narrative_kind(line):
            current = _Turn(None, [line.text], standalone=True)
            turns.append(current)
        elif current is not None and (current.speaker is not None or not current.standalone):
            current.lines.append(line.text)
        else:
            current = _Turn(None, [line.text])
            turns.append(current)

    utterances: list[Utterance] = []
    listed: list[str] = []
    for turn in _rosters_apart(turns):
        text = "\n".join(part for part in turn.lines if part).strip()
        listed.extend(turn.names)
        if not text:
            if turn.speaker:
                log.info("label %s has no speech; skipped", turn.speaker.label)
            continue
        speaker = turn.speaker
        if speaker is not None and is_roster(text):
            # 【委員】 above a list of members is an attendance heading, not a speaker: never a turn.
            text, speaker = f"{speaker.label}\n{text}", None
        utterances.append(
            Utterance(
                meeting_id=meeting_id,
                seq=len(utterances) + 1,
                role=speaker.role if speaker else None,
                speaker=speaker.name if speaker else None,
                text=text,
                label=speaker.label if speaker else None,
            )
        )
    return utterances, listed


def _rosters_apart(turns: list[_Turn]) -> list[_Turn]:
    """Turn runs of labels that hold no speech into one narrative list: an attendance list printed as
    labels (総務部長(山田太郎) / 財政課長　鈴木一郎 …), never speeches; a label printed twice is dropped."""
    out: list[_Turn] = []
    run: list[_Turn] = []

    def flush(following: _Turn | None) -> None:
        labels = list(dict.fromkeys(_entry(turn) for turn in run))
        if len(labels) >= 2:
            names = [_said(t) if names_only(_said(t)) else (t.speaker.name if t.speaker else None) for t in run]
            out.append(
                _Turn(None, labels, standalone=True, names=[re.sub(r"(君|さん|氏|様)$", "", n) for n in names if n])
            )
        elif run and not (following and following.speaker and _entry(run[0]) == following.speaker.label):
            out.extend(run)  # one label with no speech: logged and skipped below, as before
        run.clear()

    for turn in turns:
        if turn.speaker is not None and (not any(turn.lines) or names_only(_said(turn)) or is_roster(_said(turn))):
            run.append(turn)
            continue
        flush(turn)
        out.append(turn)
    flush(None)
    return out


def _said(turn: _Turn) -> str:
    return "\n".join(part for part in turn.lines if part).strip()


def _entry(turn: _Turn) -> str:
    """Return a roster entry as printed: the label and the name after it."""
    label = turn.speaker.label if turn.speaker else ""
    return " ".join([label, *(part for part in turn.lines if part)]).strip()
