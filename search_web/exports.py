"""Alerts and bulk data for the current search: an Atom feed, CSV and JSON exports (streamed)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for

from indexer.index.generations import IndexUnavailable
from indexer.search.engine import SearchRequest
from indexer.search.query import QueryError
from search_web import jsonsafe
from search_web.params import ParamError, search_request
from search_web.views import citation, engine, unavailable

bp = Blueprint("exports", __name__)

FIELDS = [
    "meeting_id",
    "seq",
    "date",
    "body",
    "committee",
    "title",
    "role",
    "speaker",
    "text",
    "permalink",
    "source_url",
]


def _request_from_args() -> SearchRequest:
    try:
        return search_request(request.args)
    except ParamError as error:
        abort(400, str(error))


def _rows(req: SearchRequest, cap: int):
    """Yield (total, row dict) for up to cap matches, in the request's order."""
    with engine().exported(req, cap) as (total, docs):
        for doc in docs:
            yield (
                total,
                {
                    "meeting_id": doc["meeting_id"],
                    "seq": doc["seq"],
                    "date": doc.get("date", ""),
                    "body": doc.get("body", ""),
                    "committee": doc.get("committee", ""),
                    "title": doc.get("title", ""),
                    "role": doc.get("role") or "",
                    "speaker": doc.get("speaker") or "",
                    "text": doc.get("text", ""),
                    "permalink": url_for("search.meeting", meeting_id=doc["meeting_id"], _external=True)
                    + f"#u{doc['seq']}",
                    "source_url": doc.get("url", ""),
                },
            )


def _export_request() -> SearchRequest:
    """Return the export's request, checked now so a bad query is a 400 before streaming starts
    (IndexUnavailable propagates to the caller)."""
    req = _request_from_args()
    try:
        engine().parse(req)
        engine().check()
    except QueryError as error:
        abort(400, str(error))
    return req


def _export(generate, content_type: str, headers: dict | None = None):
    """Stream generate(request, cap) for the search in the query string, or answer why not."""
    cap = current_app.config["EXPORT_CAP"]
    try:
        req = _export_request()
    except IndexUnavailable as error:
        return unavailable(error)
    return Response(
        stream_with_context(generate(req, cap)),
        content_type=content_type,  # as given: mimetype= would add a second charset to text/csv
        headers={**(headers or {}), "X-Export-Cap": str(cap)},
    )


@bp.route("/export.csv")
def export_csv():
    """Stream every matching utterance (up to the cap) as CSV, UTF-8 with a BOM for Excel."""

    def generate(req: SearchRequest, cap: int):
        yield "\ufeff"
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS)
        writer.writeheader()
        count = total = 0
        for total, row in _rows(req, cap):  # noqa: B007 (the last total is read after the loop)
            writer.writerow(row)
            count += 1
            if count % 200 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
        if total > count:
            yield f"# truncated: {count} of {total} rows (the export cap is {cap}); narrow the search\r\n"

    return _export(
        generate, "text/csv; charset=utf-8", {"Content-Disposition": "attachment; filename=minutes-export.csv"}
    )


@bp.route("/export.json")
def export_json():
    """Stream every matching utterance (up to the cap) as JSON, saying whether it was cut."""

    def generate(req: SearchRequest, cap: int):
        yield '{"records": ['
        count = total = 0
        for total, row in _rows(req, cap):  # noqa: B007 (the last total is read after the loop)
            yield ("," if count else "") + jsonsafe.dumps(row)
            count += 1
        meta = {"count": count, "total": total, "cap": cap, "truncated": total > count}
        yield "], " + jsonsafe.dumps(meta)[1:]

    return _export(generate, "application/json")


@bp.route("/feed")
def feed():
    """Serve an Atom feed of the newest utterances matching the search, for alerts."""
    req = _request_from_args()
    req.sort = "date_desc"
    req.limit = current_app.config["FEED_SIZE"]
    try:
        result = engine().search(req)
    except QueryError as error:
        abort(400, str(error))
    except IndexUnavailable as error:
        return unavailable(error)
    entries = []
    for hit in result.hits:
        doc = {
            "meeting_id": hit.meeting_id,
            "seq": hit.seq,
            "committee": hit.committee,
            "body": hit.body,
            "date": hit.date,
            "role": hit.role,
            "speaker": hit.speaker,
            "title": hit.title,
        }
        entries.append(
            {
                "hit": hit,
                "citation": citation(doc),
                "link": url_for("search.meeting", meeting_id=hit.meeting_id, _external=True) + f"#u{hit.seq}",
            }
        )
    updated = max((h.date for h in result.hits), default="") or datetime.now(UTC).date().isoformat()
    xml = render_template(
        "feed.xml",
        entries=entries,
        req=req,
        updated=updated,
        self_url=request.url,
        html_url=url_for("search.index", _external=True)
        + ("?" + request.query_string.decode() if request.query_string else ""),
    )
    return Response(xml, mimetype="application/atom+xml")
