"""DB-Search's pages (a result listing, a document of minutes) as Meetings.

DB-Search (会議録検索システム by 大和綜合電子, one host per body under dbsr.jp) lists documents: one row per
document with its title (令和７年第２回定例会（第１日）　本文) and the date it was held, each linking to the
document by its DocumentID (Id on some hosts). A sitting is usually filed as several documents (名簿, 本文,
資料); only the 本文 (text) holds the speeches. A document page prints its title in a `command__title`
heading and every speech ("voice") in its own block: `li.page-text__voice` / `p.page-text__text`
(Template=document), `div.docpage-voice-text-box` / `p.docpage-voice-text` (Template=doc-page), or
`li.voice-block` / `p.voice__text` on older hosts. The block starts with the voice's number, then the text
with its label inline (◯議長（山田太郎君）　ただいまから…); stage directions (開議　午前10時) may come before the
label in the same block. See indexer/crawl/dbsearch.py for the requests.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qsl, urlsplit

from bs4 import Tag

from indexer.parse.charset import charset_from_content_type, decode_html
from indexer.parse.dates import find_date
from indexer.parse.html_lines import parse_soup
from indexer.parse.page import ParseError, committee_name
from indexer.parse.roles import parse_label, split_speech_label
from indexer.records import Meeting, ParseQuality, Utterance, meeting_id_for
from indexer.text.normalize import normalize_text

PARSER_VERSION = "dbsearch-1"

# The blocks that hold one voice each, and within them the text and the voice number to drop.
_VOICE_BLOCKS = "li.page-text__voice, div.page-text__voice, div.docpage-voice-text-box, li.voice-block"
_VOICE_TEXT = "p.page-text__text, p.docpage-voice-text, p.voice__text"
_VOICE_NUMBER = "span.page-text__number, span.docpage-voice-no, span.VoiceAnchor, span.visible-print-block"
_TITLE = "h1.command__title, h2.command__title, span.command__docname, p.view__title"

# Listing titles end with the kind of document: only the text (本文) or an untyped one holds speeches.
_NOT_MINUTES = re.compile(r"(名簿|資料|目次|署名|議事日程|通告|一覧)\s*[\]］〕)]?\s*$")
_KIND_SUFFIX = re.compile(r"\s*[〔\[［]?\s*(本文|会議録)\s*[〕\]］]?\s*$")
_DAY_PART = re.compile(r"\s*[(（]\s*第\s*[0-9０-９一二三四五六七八九十]+\s*(日目?|号)\s*[)）]\s*$")
_PLENARY = re.compile(r"定例会|臨時会|本会議")

_MARK = "○◯〇◎●"
# ◯議長（山田太郎君）, ◯総務課長（小海途　聡君）〔登壇〕, ◯川上委員: a label, then a space or the line's end.
_LABEL = re.compile(
    rf"^[{_MARK}]\s*(?P<label>[^\s()（）]{{1,30}}?[(（][^()（）]{{1,24}}[)）]|[^\s()（）]{{1,30}})"
    r"(?P<aside>\s*[〔［\[][^〕］\]]{1,12}[〕］\]])?(?:\s+|$)"
)
_DECORATION = re.compile(rf"^[～~〜\-－―─・{_MARK}\s]+$")  # ～～～○～～～: a separator, not text


@dataclass(frozen=True)
class Listed:
    """One row of a result listing: the document's id, its title and the date the sitting was held, and
    how its page is asked for: the template with every voice (document, or doc-page where the listing
    opens documents in frames) and the id's parameter (DocumentID, or Id on some hosts)."""

    document_id: str
    title: str
    held_on: date | None = None
    template: str = "document"
    param: str = "DocumentID"

    @property
    def is_minutes(self) -> bool:
        """Tell whether the document may hold speeches: its text (本文), not a roster, agenda or material."""
        return not _NOT_MINUTES.search(self.title)

    def fingerprint(self) -> str:
        """Return a digest of what the listing says about this document; a change means fetch it again."""
        text = json.dumps([self.document_id, self.title, str(self.held_on or "")], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Listing:
    """What one listing page holds: its documents in order, and the link to the page after it, if any."""

    documents: list[Listed] = field(default_factory=list)
    next_href: str | None = None


def query_value(url: str, name: str) -> str | None:
    """Return one query parameter of a URL, its name matched without regard to case."""
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key.lower() == name.lower():
            return value
    return None


def document_id_of(url: str) -> str | None:
    """Return the document a URL names: its DocumentID, or its Id on a Template=document page."""
    found = query_value(url, "DocumentID")
    if found is None and (query_value(url, "Template") or "").lower() == "document":
        found = query_value(url, "Id")
    return found if found and found.isdigit() else None


def _text(body: bytes, content_type: str | None) -> str:
    return decode_html(body, charset_from_content_type(content_type))


def _row_date(anchor: Tag) -> date | None:
    """Return the date printed beside a listing's link: in its row, not in the whole list."""
    node = anchor.parent
    for _ in range(5):
        if not isinstance(node, Tag):
            return None
        if len(node.select("a[href*='DocumentID=' i], a[href*='Template=document' i]")) > 1:
            return None  # gone past the row into the list
        held_on = find_date(node.get_text(" "))
        if held_on:
            return held_on
        node = node.parent
    return None


def read_listing(body: bytes, content_type: str | None = None, page: int = 1) -> Listing:
    """Read a result listing (Template=list): every document linked by its id, with the title and date of
    its row, and the pagination link to the next page (Page=page+1) when there is one."""
    soup = parse_soup(_text(body, content_type))
    listing = Listing()
    seen: set[str] = set()
    for anchor in soup.select("a[href*='DocumentID=' i], a[href*='Template=document' i]"):
        href = str(anchor.get("href") or "")
        document_id = document_id_of(href)
        if not document_id or document_id in seen:
            continue
        seen.add(document_id)
        title = normalize_text(anchor.get_text(" ")).replace("\n", " ")
        framed = (query_value(href, "Template") or "").lower() != "document"  # doc-one-frame, doc-all-frame
        param = "DocumentID" if query_value(href, "DocumentID") else "Id"
        template = "doc-page" if framed else "document"
        listing.documents.append(Listed(document_id, title, _row_date(anchor), template, param))
    for anchor in soup.select("a[href*='Template=list' i]"):
        href = str(anchor.get("href") or "")
        if query_value(href, "Page") == str(page + 1):
            listing.next_href = href
            break
    return listing


@dataclass
class _Voice:
    number: int
    lines: list[str]


def _voices(soup) -> list[_Voice]:
    voices = []
    for seq, block in enumerate(soup.select(_VOICE_BLOCKS), 1):
        text_tag = block.select_one(_VOICE_TEXT) or block
        for number in text_tag.select(_VOICE_NUMBER):
            number.decompose()
        for br in text_tag.find_all("br"):
            br.replace_with("\n")
        lines = [line for line in normalize_text(text_tag.get_text()).split("\n") if not _DECORATION.match(line)]
        if lines:
            voices.append(_Voice(seq, lines))
    return voices


def document_digest(body: bytes, content_type: str | None = None) -> str:
    """Return a digest of a document's title and voices: what the minutes say, not the page's navigation
    (whose links carry a session number that changes on every request)."""
    soup = parse_soup(_text(body, content_type))
    parts = [_title(soup), *("\n".join(v.lines) for v in _voices(soup))]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _title(soup) -> str:
    heading = soup.select_one(_TITLE)
    if heading is None:
        # No heading (a frame's page): the window's title, without the system's name after it.
        title = normalize_text(soup.title.get_text(" ")) if soup.title else ""
        return re.split(r"\s*[|｜]\s*", title)[0].strip()
    for dated in heading.select(".command__date"):
        dated.decompose()
    return normalize_text(heading.get_text(" ")).replace("\n", " ").strip(" :：")


def _label(line: str) -> tuple[str, str, str] | None:
    """Split a line that opens a speech into (label as printed, label for the role reader, speech)."""
    match = _LABEL.match(line)
    if match:
        printed = match["label"]
        if parse_label(printed.replace(" ", "")):
            return printed, printed.replace(" ", ""), line[match.end() :].strip()
    speech, label = split_speech_label(line)
    if label and parse_label(label):
        return label, label, speech
    return None


def _meeting_name(title: str) -> str:
    return _DAY_PART.sub("", _KIND_SUFFIX.sub("", title)).strip()


def _committee(meeting_name: str) -> str | None:
    """Return 本会議 for a plenary sitting (定例会, 臨時会), else the committee's name without its date."""
    if _PLENARY.search(meeting_name) and "委員会" not in meeting_name:
        return "本会議"
    return committee_name(meeting_name)


def meeting_from_document(body: bytes, content_type: str | None, *, url: str, listed: Listed) -> Meeting:
    """Turn a document page (Template=document) into a Meeting: one utterance per speech; what a voice
    holds before its label (開議, 休憩) and voices with no label are kept as narrative."""
    soup = parse_soup(_text(body, content_type))
    dated = soup.select_one(".command__date")
    held_on = listed.held_on or (find_date(dated.get_text(" ")) if dated else None)
    voices = _voices(soup)
    if not voices:
        raise ParseError(url, "no voices on the page: not a DB-Search document")
    meeting_id = meeting_id_for(url)
    agenda: list[str] = []
    turns: list[tuple[str | None, str | None, str, str | None]] = []  # role, name, text, label
    for voice in voices:
        for at, line in enumerate(voice.lines):
            found = _label(line)
            if found is None:
                continue
            printed, label, first = found
            speaker = parse_label(label)
            assert speaker is not None  # _label checked it
            before, rest = voice.lines[:at], voice.lines[at + 1 :]
            if before:
                turns.append((None, None, "\n".join(before), None))
            speech = "\n".join(part for part in (first, *rest) if part)
            if speech:
                turns.append((speaker.role, speaker.name, speech, printed))
            break
        else:
            # No label: an agenda item (△日程第１), a stage direction (休憩), a note.
            agenda.extend(line.lstrip("△").strip() for line in voice.lines if line.startswith("△"))
            turns.append((None, None, "\n".join(voice.lines), None))
    utterances = [
        Utterance(meeting_id, seq, role, name, text, label) for seq, (role, name, text, label) in enumerate(turns, 1)
    ]
    quality = ParseQuality(label_pattern="dbsearch voices")
    if not any(u.role for u in utterances):
        quality = ParseQuality("suspect", 0.2, "dbsearch voices", ["no speaker label in any voice"])
    title = _KIND_SUFFIX.sub("", listed.title or _title(soup)).strip() or _title(soup)
    name = _meeting_name(listed.title or _title(soup))
    held_on = held_on or find_date(title)
    return Meeting(
        id=meeting_id,
        url=url,
        title=title,
        committee=_committee(name),
        meeting_name=name or None,
        date=held_on,
        agenda=agenda,
        utterances=utterances,
        quality=quality,
    )
