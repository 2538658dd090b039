"""DiscussNet's JSON answers (councils, schedules, minutes) as Meetings.

DiscussNet (会議録検索システム, ssp.kaigiroku.net) answers its browser app with JSON: a list of councils
(会議: 令和7年6月定例会, 総務委員会 …) grouped by year and type, each council's schedules (日程: one sitting,
"06月13日－01号"), and a schedule's minutes already cut into entries, one per speech or heading. Each
entry has `minute_id`, `title` (the speaker as printed: 議長（山田太郎君）, ５番（川上花子議員）,
総務課長, or a heading: （名簿）, 休憩（10時59分）), `minute_type_code` (1 contents, 2 roster, 3 agenda item,
4 chair, 5 question, 6 answer, 9 material) and `body` (plain text in `<pre>`, starting with the label
again: ○議長（山田太郎君）　ただいまから…). See indexer/crawl/discussnet.py for the requests.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import date

from indexer.parse.dates import find_date, find_split_date, kanji_to_int
from indexer.parse.page import ParseError
from indexer.parse.roles import parse_label, resolve_full_names, split_speech_label
from indexer.records import Meeting, ParseQuality, Utterance, meeting_id_for
from indexer.text.normalize import normalize_text

PARSER_VERSION = "discussnet-1"

CONTENTS, ROSTER, AGENDA, MATERIAL = 1, 2, 3, 9  # minute_type_code values that are not speeches
SKIPPED_CODES = {CONTENTS, ROSTER, MATERIAL}

_JSONP = re.compile(r"^\s*[A-Za-z_$][\w$.]*\s*\((?P<json>.*)\)\s*;?\s*$", re.DOTALL)
_TENANT_ID = re.compile(r"tenant_id\s*[=:]\s*[\"']?(?P<id>\d+)")
_SCHEDULE_DAY = re.compile(r"(?P<m>[0-9０-９]{1,2})\s*月\s*(?P<d>[0-9０-９]{1,2})\s*日")
_MARK = re.compile(r"^[○◯〇◎◆◇●△▲□■]\s*")
_BREAK = re.compile(r"(?i)<br\s*/?>|</p\s*>|</div\s*>")
_TAG = re.compile(r"<[^>]*>")
_DATE_PREFIX = re.compile(r"^(?:(?:明治|大正|昭和|平成|令和)\s*(?:元|\d{1,2})\s*年\s*)?(?:\d{1,2}\s*月\s*)?")
_ROUND = re.compile(r"\s*\(第\s*\d+\s*回\)\s*$")
_MEMBER_SUFFIX = re.compile(r"議員\s*([)）])$")  # ５番（川上花子議員）: the honorific, not a role


@dataclass(frozen=True)
class Council:
    """One council (会議) of the listing: its id, name, the year it is listed under and its type path."""

    council_id: str
    name: str
    year: int | None
    types: tuple[str, ...] = ()  # 本会議 > 定例会, 委員会 > 常任委員会 > 総務委員会

    @property
    def committee(self) -> str:
        """Return the body that met: 本会議 for a plenary session (定例会, 臨時会), else the council's name
        without its date (令和 7年 総務常任委員会 → 総務常任委員会), else its most specific type name."""
        if "本会議" in self.types:
            return "本会議"
        bare = _ROUND.sub("", _DATE_PREFIX.sub("", self.name)).strip()
        return bare or (self.types[-1] if self.types else self.name)


@dataclass(frozen=True)
class Schedule:
    """One schedule (日程: a sitting) of a council: its id, name ("06月13日－01号") and listing fields."""

    schedule_id: str
    name: str
    page_no: str = ""
    member_list: str = ""

    def fingerprint(self) -> str:
        """Return a digest of what the listing says about this sitting; a change means fetch it again."""
        text = json.dumps([self.schedule_id, self.name, self.page_no, self.member_list], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_payload(body: bytes, url: str | None = None) -> dict:
    """Decode one answer: JSON, or JSON wrapped in a JSONP callback; raise ParseError otherwise."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParseError(url, f"not UTF-8 JSON ({error})") from error
    wrapped = _JSONP.match(text)
    try:
        payload = json.loads(wrapped["json"] if wrapped and not text.lstrip().startswith("{") else text)
    except json.JSONDecodeError as error:
        raise ParseError(url, f"not JSON ({error})") from error
    if not isinstance(payload, dict):
        raise ParseError(url, "the answer is not a JSON object")
    return payload


def tenant_id_from_script(text: str) -> str | None:
    """Return the numeric tenant id a tenant's js/tenant.js assigns (dnp.params.tenant_id = 123)."""
    match = _TENANT_ID.search(text)
    return match["id"] if match else None


def councils_from_index(payload: dict) -> list[Council]:
    """Return every council of a councils/index answer, in listing order."""
    councils: list[Council] = []
    for group in payload.get("councils") or []:
        for year_block in group.get("view_years") or []:
            year_text = str(year_block.get("view_year") or "")
            year = int(year_text) if year_text.isdigit() else None
            for kind in year_block.get("council_type") or []:
                types = tuple(
                    normalize_text(str(kind[key]))
                    for key in ("council_type_name1", "council_type_name2", "council_type_name3")
                    if kind.get(key)
                )
                for council in kind.get("councils") or []:
                    if council.get("council_id") in (None, ""):
                        continue
                    name = normalize_text(str(council.get("name") or ""))
                    councils.append(Council(str(council["council_id"]), name, year, types))
    return councils


def schedules_from_payload(payload: dict) -> list[Schedule]:
    """Return the schedules of a minutes/get_schedule answer, in listing order."""
    return [
        Schedule(
            str(item["schedule_id"]),
            normalize_text(str(item.get("name") or "")),
            str(item.get("page_no") or ""),
            str(item.get("member_list") or ""),
        )
        for item in payload.get("council_schedules") or []
        if item.get("schedule_id") not in (None, "")
    ]


def body_text(markup: str) -> str:
    """Return an entry's body as normalised text: tags dropped (line breaks kept), entities decoded."""
    return normalize_text(html.unescape(_TAG.sub("", _BREAK.sub("\n", markup))))


def _speech(text: str, title: str) -> tuple[str, str | None]:
    """Cut the label the body repeats (○議長（山田太郎君）　…) off its start; return (speech, label)."""
    marked = _MARK.match(text)
    rest = text[marked.end() :] if marked else text
    if title and rest.replace(" ", "").startswith(title.replace(" ", "")):
        # Walk past the title's characters, spaces in either text aside.
        wanted, at = len(title.replace(" ", "")), 0
        while wanted and at < len(rest):
            wanted -= rest[at] != " "
            at += 1
        return rest[at:].strip(), title
    speech, label = split_speech_label(text)
    return speech, label or None


def _speaker_label(title: str) -> str:
    """Return the title as the shared label reader expects it: ５番（川上花子議員） → ５番（川上花子君）."""
    return _MEMBER_SUFFIX.sub(r"君\1", title)


def _meeting_date(council: Council, schedule: Schedule, roster: str) -> date | None:
    """Return the sitting's date: the schedule's month and day in the council's year, else a date in the
    roster or the council's name."""
    day = _SCHEDULE_DAY.search(schedule.name)
    if day and council.year:
        try:
            return date(council.year, kanji_to_int(day["m"]), kanji_to_int(day["d"]))
        except ValueError:
            pass
    return find_date(roster) or find_split_date(f"{council.name} {schedule.name}")


def meeting_from_minutes(payload: dict, *, url: str, council: Council, schedule: Schedule) -> Meeting:
    """Turn a minutes/get_minute answer into a Meeting: one utterance per speech, agenda items and
    stage directions as narrative; the contents, roster and materials are left out."""
    entries = payload.get("tenant_minutes")
    if not isinstance(entries, list):
        raise ParseError(url, "no tenant_minutes in the answer: not a DiscussNet minutes answer")
    meeting_id = meeting_id_for(url)
    roster_parts: list[str] = []
    agenda: list[str] = []
    turns: list[tuple[str | None, str | None, str, str | None]] = []  # role, name, text, label
    for entry in entries:
        title = normalize_text(str(entry.get("title") or ""))
        text = body_text(str(entry.get("body") or ""))
        code = entry.get("minute_type_code")
        code = int(code) if str(code).isdigit() else None
        if code == ROSTER or title in ("(名簿)", "名簿"):
            roster_parts.append(text)
            continue
        if code in SKIPPED_CODES:
            continue
        speaker = parse_label(_speaker_label(title)) if title and code != AGENDA else None
        if speaker is None:
            # An agenda item (△日程第1 …) or a stage direction (休憩(10時59分)): narrative text.
            narrative = text or title
            if code == AGENDA and title:
                agenda.append(_MARK.sub("", title))
            if narrative:
                turns.append((None, None, narrative, None))
            continue
        speech, label = _speech(text, title)
        if speech:
            turns.append((speaker.role, speaker.name, speech, label or title))
    roster = "\n".join(roster_parts)
    names = resolve_full_names(roster, [name for _, name, _, _ in turns])
    utterances = [
        Utterance(meeting_id, seq, role, name, text, label)
        for seq, ((role, _, text, label), name) in enumerate(zip(turns, names, strict=True), 1)
    ]
    quality = ParseQuality(label_pattern="discussnet entries")
    if not any(u.role for u in utterances):
        quality = ParseQuality("suspect", 0.2, "discussnet entries", ["no speech entries in the minutes"])
    title = normalize_text(f"{council.name} {schedule.name}")
    return Meeting(
        id=meeting_id,
        url=url,
        title=title,
        committee=council.committee,
        meeting_name=council.name,
        date=_meeting_date(council, schedule, roster),
        agenda=agenda,
        utterances=utterances,
        quality=quality,
    )
