"""The index schema: one document per utterance (plus a header per meeting) and its fields.

The schema pickles into every index with its analyzers and position format, so moving or changing
any of them bumps SCHEMA_VERSION; an index of another version is refused and rebuilt.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from whoosh import formats
from whoosh.analysis import Tokenizer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from indexer.index.analyzers import bigram_analyzer, japanese_analyzer
from indexer.index.whoosh_compat import INT_SIZE, pack_uint
from indexer.records import Meeting

SCHEMA_VERSION = 7
NO_ROLE = ""  # stored for narrative text, which has no speaker


class PackedPositions(formats.Positions):
    """Whoosh's Positions format with the positions packed as 32-bit deltas instead of pickled:
    phrase and exact-substring checks decode them for every candidate, about 2.4 times faster."""

    def encode(self, poslist: list[int]) -> bytes:
        deltas = array("I", [b - a for a, b in zip([0, *poslist], poslist)])
        if sys.byteorder == "big":
            deltas.byteswap()
        return pack_uint(len(deltas)) + deltas.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        deltas = array("I")
        deltas.frombytes(valuestring[INT_SIZE:])
        if sys.byteorder == "big":
            deltas.byteswap()
        return list(accumulate(deltas))


def _text_field(analyzer: Tokenizer, **options: Any) -> TEXT:
    # whoosh3 types `analyzer` as an Analyzer, but a lone Tokenizer is a complete analyzer to it.
    field = TEXT(analyzer=analyzer, phrase=True, **options)  # type: ignore[arg-type]
    assert field.format is not None  # TEXT always makes a format (Positions, as phrase=True)
    field.format = PackedPositions(field_boost=field.format.field_boost)
    return field


def make_schema() -> Schema:
    """Return the schema: one document per utterance, carrying its meeting's fields."""
    return Schema(
        doc_id=ID(stored=True, unique=True),
        meeting_id=ID(stored=True, sortable=True),
        seq=NUMERIC(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        # Term vectors with character spans let highlights skip re-analysing each hit's text.
        text=_text_field(japanese_analyzer(), stored=True, vector=formats.Characters()),
        # The same text as folded character bigrams: exact substrings for compounds and unknown words.
        text_ngram=_text_field(bigram_analyzer(), stored=False),
        role=ID(stored=True, sortable=True),
        speaker=ID(stored=True, sortable=True),
        label=STORED(),
        committee=ID(stored=True, sortable=True),
        body=ID(stored=True, sortable=True),  # the city, town or assembly (長崎市, 東京都議会, 国会)
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        month=ID(stored=True, sortable=True),
        title=STORED(),
        meeting_name=STORED(),
        url=STORED(),
        meeting=STORED(),  # on the header document only: the meeting's other fields
    )


def meeting_documents(meeting: Meeting) -> Iterable[dict]:
    """Yield the index documents of one meeting: its header (seq 0), then each utterance."""
    common = {
        "meeting_id": meeting.id,
        "committee": meeting.committee or "",
        "body": meeting.body or "",
        "date": meeting.date.isoformat() if meeting.date else "",
        "year": str(meeting.date.year) if meeting.date else "",
        "month": meeting.date.strftime("%Y-%m") if meeting.date else "",
        "title": meeting.title,
        "meeting_name": meeting.meeting_name,
        "url": meeting.url,
    }
    # The header makes the title, committee and agenda searchable (DX finds the DX推進委員会).
    header = "\n".join(
        dict.fromkeys(
            part
            for part in [meeting.title, meeting.meeting_name, meeting.committee, *meeting.agenda, meeting.place]
            if part
        )
    )
    details = {
        "place": meeting.place,
        "department": meeting.department,
        "agenda": list(meeting.agenda),
        "start_time": meeting.start_time,
        "end_time": meeting.end_time,
        "utterances": len(meeting.utterances),
        "quality": meeting.quality.to_json(),  # the meeting page says when its record is doubtful
    }
    # _boost: a header repeats the committee's name, so it would outrank what was said about it.
    yield {
        **common,
        "_boost": 0.5,
        "doc_id": f"{meeting.id}:0",
        "seq": 0,
        "kind": "meeting",
        "text": header,
        "text_ngram": header,
        "role": NO_ROLE,
        "speaker": "",
        "label": None,
        "meeting": details,
    }
    for utterance in meeting.utterances:
        yield {
            **common,
            "doc_id": f"{meeting.id}:{utterance.seq}",
            "seq": utterance.seq,
            "kind": "speech" if utterance.role else "narrative",
            "text": utterance.text,
            "text_ngram": utterance.text,
            "role": utterance.role or NO_ROLE,
            "speaker": utterance.speaker or "",
            "label": utterance.label,
        }
