"""The OpenAPI 3.1 document of /api/v1, served by the app and used by the API tests."""

from __future__ import annotations

from typing import Any


def _param(name: str, description: str, schema: dict, example=None) -> dict:
    param = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if example is not None:
        param["example"] = example
    return param


SEARCH_PARAMETERS = [
    _param(
        "any",
        'Words to find in one utterance; "quoted" is a phrase; OR, NOT/-, field:value.',
        {"type": "string", "maxLength": 256},
        "データセンター",
    ),
    _param("speaker", "Part of the speaker's name (variant kanji folded).", {"type": "string"}, "山田"),
    _param("nameOfMeeting", "Part of the committee or meeting name.", {"type": "string"}, "委員会"),
    _param("body", "City, town or assembly (repeatable): 長崎市, 東京都議会, 国会 …", {"type": "string"}, "みどり市"),
    _param("from", "Earliest meeting date (not after until).", {"type": "string", "format": "date"}, "2015-01-01"),
    _param("until", "Latest meeting date.", {"type": "string", "format": "date"}, "2024-12-31"),
    _param("speakerRole", "Speaker role (repeatable): 委員, 委員長, 事務局, 部長 …", {"type": "string"}, "委員"),
    _param(
        "startRecord",
        "Position of the first record to return (from 1).",
        {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
        1,
    ),
    _param(
        "maximumRecords", "Records per response.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 30}, 10
    ),
    _param("recordPacking", "Only json.", {"type": "string", "enum": ["json"], "default": "json"}, "json"),
    _param(
        "sort",
        "Order of records.",
        {"type": "string", "enum": ["relevance", "date_desc", "date_asc"], "default": "relevance"},
        "date_desc",
    ),
    _param(
        "expand",
        "Add synonyms and abbreviations to the query.",
        {"type": "string", "enum": ["true", "false"], "default": "true"},
        "false",
    ),
]
SPEAKER_PARAMETERS = [
    _param("name", "Part of the speaker's name.", {"type": "string"}, "山"),
    *(p for p in SEARCH_PARAMETERS if p["name"] in ("startRecord", "maximumRecords")),
]

_ERROR = {
    "description": "A parameter is wrong (or the query string is not UTF-8); the error names it.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_OTHER_ERRORS = {
    "429": {
        "description": "Too many requests from this client; the Retry-After header says how many seconds to wait.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "default": {
        "description": "Any other error (404 unknown path, 405 wrong method, 413, 414, 500, 503), in the same shape.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
}
_PAGE_PROPERTIES = {
    "numberOfRecords": {"type": "integer"},
    "numberOfReturn": {"type": "integer"},
    "startRecord": {"type": "integer"},
    "nextRecordPosition": {"type": ["integer", "null"]},
}


def _page_schema(record_ref: str) -> dict:
    return {
        "type": "object",
        "required": list(_PAGE_PROPERTIES) + ["records"],
        "properties": {**_PAGE_PROPERTIES, "records": {"type": "array", "items": {"$ref": record_ref}}},
    }


_READING = {
    "type": "array",
    "description": "Present when unquoted input typed as a phrase was read as content words, each of which "
    "every hit holds (quote the input to search the exact string).",
    "items": {
        "type": "object",
        "required": ["text", "words"],
        "properties": {"text": {"type": "string"}, "words": {"type": "array", "items": {"type": "string"}}},
    },
}
_RESCUE = {
    "type": "object",
    "description": "Present when the query as typed found nothing: unfiltered counts what the filters alone "
    "excluded; otherwise the records hold the best partial match, keeping the words in kept and leaving out "
    "those in left_out; suggestions are other queries to try.",
    "required": ["unfiltered", "kept", "left_out", "suggestions"],
    "properties": {
        "unfiltered": {"type": "integer"},
        "kept": {"type": "array", "items": {"type": "string"}},
        "left_out": {"type": "array", "items": {"type": "string"}},
        "suggestions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["query", "why"],
                "properties": {"query": {"type": "string"}, "why": {"type": "string"}},
            },
        },
    },
}


def _search_schema() -> dict:
    schema = _page_schema("#/components/schemas/Utterance")
    schema["properties"] = {**schema["properties"], "reading": _READING, "rescue": _RESCUE}
    return schema


def _ok(schema: dict) -> dict:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def openapi_document(server_url: str) -> dict:
    """Return the OpenAPI document with the API's base URL."""
    nullable = {"type": ["string", "null"]}
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "minutes API",
            "version": "1.0.0",
            "description": "Search Japanese municipal meeting minutes. Parameter names follow the "
            "National Diet Library minutes API where they mean the same.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/search": {
                "get": {
                    "summary": "Search utterances",
                    "operationId": "search",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {"200": _ok(_search_schema()), "400": _ERROR},
                }
            },
            "/meetings": {
                "get": {
                    "summary": "Search at meeting granularity",
                    "operationId": "meetings",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {"200": _ok(_page_schema("#/components/schemas/MeetingHit")), "400": _ERROR},
                }
            },
            "/meetings/{meeting_id}": {
                "get": {
                    "summary": "One meeting with every utterance",
                    "operationId": "meeting",
                    "parameters": [
                        {"name": "meeting_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _ok({"$ref": "#/components/schemas/Meeting"}),
                        "404": {
                            "description": "No such meeting",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        },
                    },
                }
            },
            "/speakers": {
                "get": {
                    "summary": "Speakers and their utterance counts",
                    "operationId": "speakers",
                    "parameters": SPEAKER_PARAMETERS,
                    "responses": {"200": _ok(_page_schema("#/components/schemas/Speaker")), "400": _ERROR},
                }
            },
            "/facets": {
                "get": {
                    "summary": "Facet counts over every match",
                    "operationId": "facets",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": _ok(
                            {
                                "type": "object",
                                "required": ["numberOfRecords", "facets"],
                                "properties": {"numberOfRecords": {"type": "integer"}, "facets": {"type": "object"}},
                            }
                        ),
                        "400": _ERROR,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["message", "parameter"],
                            "properties": {
                                "message": {"type": "string"},
                                "parameter": nullable,
                                "request_id": {"type": "string"},
                            },
                        }
                    },
                },
                "Utterance": {
                    "type": "object",
                    "required": [
                        "id",
                        "meeting_id",
                        "seq",
                        "meeting",
                        "committee",
                        "date",
                        "speaker",
                        "role",
                        "text",
                        "permalink",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "meeting_id": {"type": "string"},
                        "seq": {"type": "integer"},
                        "meeting": {"type": "string"},
                        "committee": {"type": "string"},
                        "body": {"type": "string", "description": "City, town or assembly; empty when unknown."},
                        "date": {"type": "string"},
                        "speaker": nullable,
                        "role": nullable,
                        "text": {"type": "string"},
                        "snippet": {"type": "string"},
                        "permalink": {"type": "string"},
                        "source_url": {"type": "string"},
                    },
                },
                "MeetingHit": {
                    "type": "object",
                    "required": ["meeting_id", "meeting", "committee", "date", "numberOfHits", "permalink"],
                    "properties": {
                        "meeting_id": {"type": "string"},
                        "meeting": {"type": "string"},
                        "committee": {"type": "string"},
                        "body": {"type": "string"},
                        "date": {"type": "string"},
                        "numberOfHits": {"type": "integer"},
                        "permalink": {"type": "string"},
                        "source_url": {"type": "string"},
                    },
                },
                "Meeting": {
                    "type": "object",
                    "required": ["meeting_id", "meeting", "committee", "date", "utterances"],
                    "properties": {"meeting_id": {"type": "string"}, "utterances": {"type": "array"}},
                },
                "Speaker": {
                    "type": "object",
                    "required": ["speaker", "numberOfUtterances"],
                    "properties": {
                        "speaker": {"type": "string"},
                        "numberOfUtterances": {"type": "integer"},
                        "url": {"type": "string"},
                    },
                },
            }
        },
    }
    for item in document["paths"].values():  # every operation may answer these too
        item["get"]["responses"].update(_OTHER_ERRORS)
    return document
