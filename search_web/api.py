"""The JSON API (/api/v1), with parameter names of the NDL minutes API where they mean the same."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify, request, url_for

from indexer.index.generations import IndexUnavailable
from indexer.search import aggregates
from indexer.search.engine import SORTS, SearchRequest
from indexer.search.query import QueryError
from search_web.openapi import openapi_document
from search_web.safety import api_error as error_response
from search_web.views import engine

bp = Blueprint("api", __name__, url_prefix="/api/v1")

SEARCH_PARAMETERS = {
    "any",
    "speaker",
    "nameOfMeeting",
    "body",
    "from",
    "until",
    "speakerRole",
    "startRecord",
    "maximumRecords",
    "recordPacking",
    "sort",
    "expand",
}
MAX_RECORDS = 100


class ApiError(Exception):
    """A request the API refuses, answered with status 400 and the parameter at fault."""

    def __init__(self, message: str, parameter: str | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.parameter, self.status = message, parameter, status


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    """Answer refused requests as {"error": {"message", "parameter", "request_id"}}."""
    return error_response(error.status, error.message, error.parameter)


@bp.errorhandler(IndexUnavailable)
def api_unavailable(error):
    """Answer with 503 when no index can be opened."""
    return error_response(503, f"index unavailable: {error}")


# Unknown paths, wrong methods and the other HTTP errors under /api/ are answered in JSON by
# MinutesFlask.handle_http_exception (search_web/__init__.py), which sees them before any blueprint.


def _check_known(allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ApiError(f"unknown parameter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}", unknown[0])


def _int(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise ApiError(f"{name} must be a whole number from {low} to {high}", name)
    return int(value)


def _date(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ApiError(f"{name} must be a date YYYY-MM-DD", name) from error


def _search_request() -> SearchRequest:
    _check_known(SEARCH_PARAMETERS)
    packing = request.args.get("recordPacking", "json")
    if packing != "json":
        raise ApiError("recordPacking must be json", "recordPacking")
    sort = request.args.get("sort", "relevance")
    if sort not in SORTS:
        raise ApiError(f"sort must be one of {', '.join(SORTS)}", "sort")
    expand = request.args.get("expand", "true")
    if expand not in ("true", "false"):
        raise ApiError("expand must be true or false", "expand")
    start = _int("startRecord", 1, 1, 100_000)
    maximum = _int("maximumRecords", 30, 1, MAX_RECORDS)
    roles = [r for r in request.args.getlist("speakerRole") if r]
    date_from, date_until = _date("from"), _date("until")
    if date_from and date_until and date_from > date_until:
        raise ApiError(f"from ({date_from}) must not be after until ({date_until})", "from")
    return SearchRequest(
        q=request.args.get("any", ""),
        speaker=request.args.get("speaker") or None,
        committee_like=request.args.get("nameOfMeeting") or None,
        bodies=[b for b in request.args.getlist("body") if b],
        roles=roles,
        date_from=date_from,
        date_until=date_until,
        sort=sort,
        offset=start - 1,
        limit=maximum,
        expand=expand == "true",
    )


def _permalink(meeting_id: str, seq: int | None = None) -> str:
    base = url_for("search.meeting", meeting_id=meeting_id, _external=True)
    return base + (f"#u{seq}" if seq is not None else "")


def _page(total: int, returned: int, start: int) -> dict:
    following = start + returned
    return {
        "numberOfRecords": total,
        "numberOfReturn": returned,
        "startRecord": start,
        "nextRecordPosition": following if following <= total else None,
    }


@bp.route("/search")
def search():
    """Search utterances; answers like the NDL API: {numberOfRecords, …, records}."""
    req = _search_request()
    try:
        result = engine().search(req)
    except QueryError as error:
        raise ApiError(str(error), "any") from error
    records = [
        {
            "id": f"{h.meeting_id}:{h.seq}",
            "meeting_id": h.meeting_id,
            "seq": h.seq,
            "meeting": h.title,
            "committee": h.committee,
            "body": h.body,
            "date": h.date,
            "speaker": h.speaker,
            "role": h.role,
            "text": h.text,
            "snippet": h.snippet,
            "permalink": _permalink(h.meeting_id, h.seq),
            "source_url": h.url,
        }
        for h in result.hits
    ]
    extra = {key: value for key, value in result.to_json().items() if key in ("reading", "rescue")}
    return jsonify({**_page(result.total, len(records), req.offset + 1), **extra, "records": records})


@bp.route("/meetings")
def meetings():
    """Search at meeting granularity (one record per meeting with its hit count), or list all."""
    req = _search_request()
    try:
        total, groups = aggregates.grouped_by_meeting(engine(), req)
    except QueryError as error:
        raise ApiError(str(error), "any") from error
    records = [
        {
            "meeting_id": g.meeting_id,
            "meeting": g.title,
            "committee": g.committee,
            "body": g.body,
            "date": g.date,
            "numberOfHits": g.hits,
            "permalink": _permalink(g.meeting_id),
            "source_url": g.url,
        }
        for g in groups
    ]
    return jsonify({**_page(total, len(records), req.offset + 1), "records": records})


@bp.route("/meetings/<meeting_id>")
def meeting(meeting_id: str):
    """Return one meeting with every utterance."""
    _check_known(set())
    docs = engine().meeting_documents(meeting_id)
    if not docs:
        raise ApiError(f"no meeting {meeting_id}", None, status=404)
    header = docs[0]
    details = header.get("meeting") or {}
    return jsonify(
        {
            "meeting_id": meeting_id,
            "meeting": header.get("title"),
            "committee": header.get("committee"),
            "body": header.get("body") or "",
            "date": header.get("date"),
            "source_url": header.get("url"),
            "permalink": _permalink(meeting_id),
            **{k: details.get(k) for k in ("place", "department", "agenda", "start_time", "end_time")},
            "utterances": [
                {
                    "seq": d["seq"],
                    "role": d.get("role") or None,
                    "speaker": d.get("speaker") or None,
                    "text": d["text"],
                    "permalink": _permalink(meeting_id, d["seq"]),
                }
                for d in docs
                if d["seq"] > 0
            ],
        }
    )


@bp.route("/speakers")
def speakers():
    """List speakers (optionally whose name contains ?name=) with their utterance counts."""
    _check_known({"name", "startRecord", "maximumRecords"})
    start = _int("startRecord", 1, 1, 1_000_000)
    maximum = _int("maximumRecords", 30, 1, MAX_RECORDS)
    listed = aggregates.speakers(engine(), request.args.get("name", ""))
    page = listed[start - 1 : start - 1 + maximum]
    return jsonify(
        {
            **_page(len(listed), len(page), start),
            "records": [
                {
                    "speaker": name,
                    "numberOfUtterances": count,
                    "url": url_for("search.speaker", name=name, _external=True),
                }
                for name, count in page
            ],
        }
    )


@bp.route("/facets")
def facets():
    """Return facet counts (role, committee, year) over every utterance matching the search."""
    req = _search_request()
    try:
        result = engine().search(req)
    except QueryError as error:
        raise ApiError(str(error), "any") from error
    return jsonify({"numberOfRecords": result.total, "facets": result.facets})


@bp.route("/openapi.json")
def openapi():
    """Serve the OpenAPI document describing this API."""
    return jsonify(openapi_document(url_for("api.search", _external=True).rsplit("/search", 1)[0]))
