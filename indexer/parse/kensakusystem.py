"""kensakusystem.jp's pages (landing page, browse tree, full text of a sitting) as Meetings.

kensakusystem.jp (会議録検索システム, www.kensakusystem.jp/<tenant>/) serves Shift_JIS HTML from CGI
programs. Its browse tree (See.exe) names each node by a label the browser sends back as `treedepth`: a year
(`令和 7年`), then a meeting of that year (`令和 7年 第2回定例会 `, trailing space included); a node's page
links its sittings as `ResultFrame.exe?Code=…&fileName=R070610A&startPos=0` with the day as link text
(`（ 6月10日）`, `（第2日 6月17日）`). The full text of a sitting (GetText3.exe with FUNC=PRINT_ALL) is
an HTML minutes page: one `<BR>` per line inside `<FONT class="TEXT2">`, speech labels `○議長（山田太郎）　…`,
so the shared HTML parser (indexer.parse.page) reads it; the listing supplies the title and the date. See
indexer/crawl/kensakusystem.py for the requests.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import date

from indexer.parse.charset import decode_html
from indexer.parse.dates import ERA_LETTERS, ERAS, find_split_date, kanji_to_int
from indexer.parse.page import parse_minutes
from indexer.records import Meeting
from indexer.text.normalize import normalize_text

PARSER_VERSION = "kensakusystem-1"

# A link into a tenant's CGI that carries the session code: cgi-bin3/See.exe?Code=k7q2… (the directory is
# cgi-bin, cgi-bin2 or cgi-bin3 depending on the tenant).
_CODE_LINK = re.compile(r"(?P<dir>cgi-bin\d*)/(?P<exe>\w+)\.exe\?Code=(?P<code>[A-Za-z0-9]+)", re.I)
# A tree node: onClick="document.viewtree.treedepth.value='令和 7年 第2回定例会 '" or, on newer tenants,
# <a class="js-tree-submit" data-depth="令和 7年 第2回定例会 ">.
_NODE = re.compile(r"""treedepth\.value\s*=\s*'(?P<a>[^']*)'|data-depth\s*=\s*"(?P<b>[^"]*)\"""", re.I)
_SITTING_LINK = re.compile(
    r"""<a\s[^>]*?href\s*=\s*["']?(?P<href>[^"'\s>]*ResultFrame\.exe\?[^"'\s>]*)["']?[^>]*>(?P<text>.*?)</a\s*>""",
    re.I | re.S,
)
_FILE_NAME = re.compile(r"(?:^|[?&])fileName=(?P<name>[^&#]+)")
# A sitting's file: era letter, YYMMDD, a serial letter and maybe a number (R070610A, R080318B01). Other
# names in the tree are documents beside the minutes (R07060004KETS.html, R080119MOKU).
SITTING_FILE = re.compile(r"^(?P<era>[MTSHR])(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2})[A-Z]\d{0,3}$")
_YEAR = re.compile(r"^(?P<era>明治|大正|昭和|平成|令和)\s*(?P<y>元|\d{1,2})\s*年")
_DAY = re.compile(r"(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_TAG = re.compile(r"<[^>]*>")
_PLENARY = re.compile(r"定例会|臨時会|本会議")


@dataclass(frozen=True)
class Sitting:
    """One sitting as the tree lists it: its file name, the link text (the day) and the node it is under."""

    file_name: str
    label: str
    node: str

    def fingerprint(self) -> str:
        """Return a digest of what the listing says about this sitting; a change means fetch it again."""
        text = "|".join((self.file_name, normalize_text(self.node), self.label))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def page_text(body: bytes) -> str:
    """Decode one of the system's pages (Shift_JIS, declared as x-sjis or Shift_JIS)."""
    return decode_html(body)


def session_code(markup: str) -> tuple[str, str] | None:
    """Return (CGI directory, session code) from a tenant's landing page, preferring its See.exe link."""
    links = list(_CODE_LINK.finditer(markup))
    if not links:
        return None
    best = next((m for m in links if m["exe"].lower() == "see"), links[0])
    return best["dir"], best["code"]


def vendor_error(markup: str) -> str | None:
    """Return the message of the system's error page (HTTP 200, "ERROR:ファイルの読込みに失敗しました。"), or None."""
    text = normalize_text(html.unescape(_TAG.sub("\n", re.sub(r"(?is)<head.*?</head>", "", markup))))
    return text.replace("\n", " ") if text.startswith("ERROR:") else None


def tree_nodes(markup: str) -> list[str]:
    """Return the node labels a tree page offers, in page order, exactly as they are sent back."""
    seen: dict[str, None] = {}
    for match in _NODE.finditer(markup):
        label = html.unescape(match["a"] if match["a"] is not None else match["b"])
        if label.strip():
            seen.setdefault(label, None)
    return list(seen)


def year_of(label: str) -> int | None:
    """Return the Western year a node label starts with (令和 7年 … → 2025, 令和元年 → 2019), or None."""
    match = _YEAR.match(normalize_text(label))
    if not match:
        return None
    return ERAS[match["era"]] + kanji_to_int(match["y"])


def is_year_node(label: str) -> bool:
    """Tell whether a node label is a year alone (令和 7年, 平成30年), not a meeting of it."""
    text = normalize_text(label)
    match = _YEAR.match(text)
    return match is not None and match.end() == len(text)


def sittings_from_tree(markup: str, node: str) -> tuple[list[Sitting], list[str]]:
    """Return the sittings a node's page links (in page order) and the other file names it links."""
    sittings: dict[str, Sitting] = {}
    others: list[str] = []
    for link in _SITTING_LINK.finditer(markup):
        found = _FILE_NAME.search(html.unescape(link["href"]))
        if not found:
            continue
        name = found["name"]
        if not SITTING_FILE.match(name):
            if name not in others:
                others.append(name)
            continue
        label = normalize_text(html.unescape(_TAG.sub("", link["text"])))
        sittings.setdefault(name, Sitting(name, label, node))
    return list(sittings.values()), others


def date_of_file(name: str) -> date | None:
    """Return the date a sitting's file name carries (R070610A → 2025-06-10), or None."""
    match = SITTING_FILE.match(name)
    if not match:
        return None
    try:
        return date(ERAS[ERA_LETTERS[match["era"]]] + int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def meeting_name_of(node: str) -> str:
    """Return a meeting node without its year: 令和 7年 第2回定例会 → 第2回定例会."""
    text = normalize_text(node)
    match = _YEAR.match(text)
    return (text[match.end() :] if match else text).strip() or text


def committee_of(node: str) -> str:
    """Return the body that met: 本会議 for a plenary session (定例会, 臨時会), else the meeting's name."""
    name = meeting_name_of(node)
    return "本会議" if _PLENARY.search(name) and "委員会" not in name else name


def sitting_date(sitting: Sitting) -> date | None:
    """Return a sitting's date: from its file name, else its day in the node's year."""
    when = date_of_file(sitting.file_name)
    if when is not None:
        return when
    day, year = _DAY.search(sitting.label), year_of(sitting.node)
    if day and year:
        try:
            return date(year, int(day["m"]), int(day["d"]))
        except ValueError:
            return None
    return find_split_date(f"{sitting.node} {sitting.label}")


def meeting_from_print_all(body: bytes, *, url: str, sitting: Sitting) -> Meeting:
    """Turn a sitting's full text (GetText3.exe, FUNC=PRINT_ALL) into a Meeting: the page's turns, read by
    the HTML parser; the title, meeting, committee and date from the tree that lists it."""
    meeting = parse_minutes(body, url)
    if sitting.node:
        meeting.meeting_name = meeting_name_of(sitting.node)
        meeting.committee = committee_of(sitting.node)
        meeting.title = normalize_text(f"{sitting.node} {sitting.label}")
    meeting.date = sitting_date(sitting) or meeting.date
    return meeting
