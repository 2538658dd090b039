"""VOICES (会議録検索システム on gijiroku.com, or a body's own host) pages as Meetings.

Two kinds of page, both HTML in Shift_JIS (a few installations in EUC-JP), see indexer/crawl/voices.py
for the requests:

- the listing (voiweb.exe?ACT=100: 会議日程一覧): "28件の日程がヒットしました。", a year header per year
  (令和　07年), then one row per sitting: the session's name, a comma, and a link that opens the sitting's
  viewer (voiweb.exe?ACT=200&…&KGNO=…&FINO=…&UNID=…, in an onClick="winopen('…')" or in the href) whose
  text is the day and number (12月02日-01号, or 12月02日-目次 for the table of contents);
- a sitting's whole text (voiweb.exe?ACT=203&FINO=…&HATSUGENMODE=1): one `<A NAME="HUID…">` anchor per
  speech or heading, labels like ○山田太郎　議長　　本文, ◆１番（川上花子議員）　本文 or, in committees,
  ○川本　委員長 with the speech on the next line. The shared page parser reads that markup as it reads
  any minutes page; this module adds what the listing knows (session, day, committee).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

from indexer.parse.charset import decode_html
from indexer.parse.dates import find_year, kanji_to_int
from indexer.parse.page import PARSER_VERSION as PAGE_PARSER_VERSION
from indexer.parse.page import ParseError, parse_minutes
from indexer.records import Meeting
from indexer.text.normalize import normalize_text

# Bump when this module's reading changes; the shared page parser's version is part of it too.
PARSER_VERSION = f"voices-1.{PAGE_PARSER_VERSION}"

_HITS = re.compile(r"(?P<n>[0-9０-９]+)\s*件の日程")
_YEAR_HEADER = re.compile(
    r"<TD[^>]*>\s*(?P<era>明治|大正|昭和|平成|令和)[\s　]*(?P<y>元|[0-9０-９]{1,2})\s*年\s*</T", re.I
)
# One row: the session's name after the folder link, a comma, then the viewer link (ACT=200) and its text.
_ROW = re.compile(
    r"</A>\s*(?P<session>[^<>,]*?)\s*,\s*<A\s(?P<attrs>[^>]*ACT=200[^>]*)>(?P<label>[^<]*)</A>",
    re.I | re.S,
)
_VIEWER = re.compile(r"(?:winopen\('|HREF=\")(?P<href>[^'\"]*ACT=200[^'\"]*)", re.I)
_DAY = re.compile(r"(?P<m>[0-9０-９]{1,2})\s*月\s*(?P<d>[0-9０-９]{1,2})\s*日")
_UNID = re.compile(r"^K_(?P<era>[SHR])(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2})\d+$")
_UNID_ERAS = {"S": 1925, "H": 1988, "R": 2018}
_ERAS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}
# The date and round a session's name starts with: 令和 7年第 5回12月, 令和 7年 7月25日, 令和 6年度.
_SESSION_PREFIX = re.compile(
    r"^(?:(?:明治|大正|昭和|平成|令和)\s*(?:元|\d{1,2})\s*年\s*度?)?\s*(?:第\s*\d+\s*回)?\s*"
    r"(?:\d{1,2}\s*月\s*(?:\d{1,2}\s*日)?)?\s*"
)
# An entry that opens with △ (△日程第１　一般質問) is an agenda heading, not part of the speech before it.
_AGENDA_ENTRY = re.compile(r'(?P<anchor><A\s+NAME="?HUID\d+"?\s*>\s*</A>)\s*△\s*(?P<item>[^<]*)', re.I)
_MEMBER_SUFFIX = re.compile(r"議員$")  # ◆１番（川上花子議員）: the honorific, not part of the name
_PLENARY = re.compile(r"(定例会|臨時会|本会議)")
_BODY_WORDS = re.compile(r"(委員会|協議会|審査会|分科会|委員協議会)")


@dataclass(frozen=True)
class Sitting:
    """One row of a listing: a sitting (日程) with its ids and names as listed."""

    fino: str  # the sitting's id: its text is ACT=203&FINO=…
    session: str  # 令和 7年第 2回 6月定例会, 令和 7年 7月25日総務委員会
    label: str  # 06月10日-01号
    kgno: str = ""  # the session's id
    unid: str = ""  # K_R07061000011: era, year, month, day, number
    year: int | None = None  # the listing's year header above the row

    @property
    def is_contents(self) -> bool:
        """Tell whether the row is a session's table of contents (目次), not a sitting's record."""
        return "目次" in self.label

    def fingerprint(self) -> str:
        """Return a digest of what the listing says about this sitting; a change means fetch it again."""
        text = json.dumps([self.fino, self.session, self.label, self.kgno, self.unid], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def committee(self) -> str:
        """Return the body that met: 本会議 for a plenary session (定例会, 臨時会), else the session's name
        without its date (令和 7年 7月25日総務委員会 → 総務委員会)."""
        bare = _SESSION_PREFIX.sub("", self.session).strip()
        if _PLENARY.search(self.session) and not _BODY_WORDS.search(bare):
            return "本会議"
        return bare or self.session

    @property
    def day(self) -> date | None:
        """Return the sitting's date: from its UNID, else the label's month and day in the session's year
        (or the listing's year header)."""
        unid = _UNID.match(self.unid)
        if unid:
            try:
                return date(_UNID_ERAS[unid["era"]] + int(unid["y"]), int(unid["m"]), int(unid["d"]))
            except ValueError:
                pass
        day = _DAY.search(self.label)
        year = find_year(self.session) or self.year
        if day and year:
            try:
                return date(year, kanji_to_int(day["m"]), kanji_to_int(day["d"]))
            except ValueError:
                return None
        return None


@dataclass
class Listing:
    """What one listing page says: its sittings, in order, and how many the whole listing holds."""

    sittings: list[Sitting]
    hits: int | None


def read_listing(body: bytes, url: str | None = None) -> Listing:
    """Return the sittings of a listing page (voiweb.exe?ACT=100), with the hit count it prints."""
    text = decode_html(body)
    if "voiweb.exe" not in text and "件の日程" not in text:
        raise ParseError(url, "not a VOICES listing (no 件の日程, no voiweb.exe links)")
    hits = _HITS.search(text)
    headers = [(m.start(), _ERAS[m["era"]] + kanji_to_int(m["y"])) for m in _YEAR_HEADER.finditer(text)]
    sittings: list[Sitting] = []
    for row in _ROW.finditer(text):
        viewer = _VIEWER.search(row["attrs"])
        if viewer is None:
            continue
        fields = {k: v[0] for k, v in parse_qs(urlsplit(html.unescape(viewer["href"])).query).items()}
        fino = fields.get("FINO", "")
        if not fino.isdigit():
            continue
        year = next((y for at, y in reversed(headers) if at < row.start()), None)
        sittings.append(
            Sitting(
                fino=fino,
                session=normalize_text(html.unescape(row["session"])),
                label=normalize_text(html.unescape(row["label"])),
                kgno=fields.get("KGNO", ""),
                unid=fields.get("UNID", ""),
                year=year,
            )
        )
    return Listing(sittings, kanji_to_int(hits["n"]) if hits else None)


def meeting_from_page(body: bytes, *, url: str, sitting: Sitting | None) -> Meeting:
    """Parse a sitting's text (voiweb.exe?ACT=203) into a Meeting; the listing's row, when known, names
    the session, the committee and the day."""
    text = decode_html(body)
    agenda = [normalize_text(html.unescape(m["item"])) for m in _AGENDA_ENTRY.finditer(text)]
    meeting = parse_minutes(_AGENDA_ENTRY.sub(r"\g<anchor><H3>△\g<item></H3>", text), url)
    meeting.agenda = [item for item in agenda if item] or meeting.agenda
    for utterance in meeting.utterances:
        if utterance.role == "議員" and utterance.speaker and utterance.label and "議員" in utterance.label:
            utterance.speaker = _MEMBER_SUFFIX.sub("", utterance.speaker) or utterance.speaker
    if sitting is None:
        return meeting
    meeting.title = normalize_text(f"{sitting.session} {sitting.label}")
    meeting.meeting_name = sitting.session
    meeting.committee = sitting.committee
    meeting.date = sitting.day or meeting.date
    return meeting
