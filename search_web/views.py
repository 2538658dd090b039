"""Search results and meeting pages."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from indexer.highlight import match_spans, mark
from indexer.index import IndexUnavailable
from indexer.query import QueryError
from indexer.search import SORTS, SearchIndex, SearchRequest
from search_web.facets import facet_items, page_links, toggle_url

bp = Blueprint("search", __name__)

FACET_LABELS = {"committee": "会議", "role": "発言者の役職", "year": "年"}
FILTER_PARAMS = {"role": "role", "committee": "committee", "year": "year"}


def _engine() -> SearchIndex:
    return current_app.extensions["minutes_search"]


def _date_arg(name: str) -> tuple[date | None, str | None]:
    value = request.args.get(name, "").strip()
    if not value:
        return None, None
    try:
        return date.fromisoformat(value), None
    except ValueError:
        return None, f"日付は YYYY-MM-DD の形で入力してください（{value}）。"


@bp.route("/")
def index():
    """Show the search box, and results with facets when a search was asked for."""
    args = request.args
    page_size = current_app.config["PAGE_SIZE"]
    try:
        page = max(1, min(int(args.get("page", "1")), 500))
    except ValueError:
        page = 1
    date_from, from_error = _date_arg("from")
    date_until, until_error = _date_arg("until")
    sort = args.get("sort", "relevance")
    search_request = SearchRequest(
        q=args.get("q", ""),
        roles=args.getlist("role"),
        committees=args.getlist("committee"),
        years=args.getlist("year"),
        speaker=args.get("speaker") or None,
        date_from=date_from,
        date_until=date_until,
        sort=sort if sort in SORTS else "relevance",
        offset=(page - 1) * page_size,
        limit=page_size,
        expand=args.get("expand") != "0",
    )
    asked = any(args.get(k) for k in ("q", "role", "committee", "year", "speaker", "from", "until"))
    context = {"req": search_request, "args": args, "error": from_error or until_error,
               "result": None, "facets": [], "pages": [], "page": page}
    status = 200
    if asked and not context["error"]:
        try:
            result = _engine().search(search_request)
        except QueryError as error:
            context["error"] = str(error)
        except IndexUnavailable as error:
            context["error"] = f"検索インデックスを利用できません: {error}"
            status = 503
        else:
            context["result"] = result
            context["facets"] = [
                (name, FACET_LABELS[name], facet_items(args, FILTER_PARAMS[name], result.facets[name]))
                for name in ("committee", "role", "year")
            ]
            context["pages"] = page_links(args, page, result.total, page_size)
            context["expand_toggle"] = toggle_url(args, "expand", "0")
    return render_template("search.html", **context), status


@bp.route("/m/<meeting_id>")
def meeting(meeting_id: str):
    """Show one meeting's whole record, each utterance with its own anchor, query matches marked."""
    try:
        docs = _engine().meeting_documents(meeting_id)
    except IndexUnavailable as error:
        return render_template("error.html", message=f"検索インデックスを利用できません: {error}"), 503
    if not docs:
        abort(404)
    header = docs[0] if docs[0]["seq"] == 0 else None
    utterances = [d for d in docs if d["seq"] > 0]
    parsed = None
    q = request.args.get("q", "")
    if q:
        try:
            parsed = _engine().parse(SearchRequest(q=q, expand=request.args.get("expand") != "0"))
        except QueryError:
            parsed = None
    rendered = []
    for doc in utterances:
        spans = match_spans(doc["text"], parsed.patterns, parsed.substrings) if parsed else []
        rendered.append({**doc, "html": Markup(mark(doc["text"], spans)), "hit": bool(spans)})
    first = header or utterances[0]
    return render_template("meeting.html", meeting=first, details=(header or {}).get("meeting") or {},
                           utterances=rendered, q=q, meeting_id=meeting_id)


@bp.app_errorhandler(404)
def not_found(_error):
    """Answer unknown pages with a friendly page."""
    return render_template("error.html", message="ページが見つかりません。"), 404


@bp.app_errorhandler(500)
def server_error(_error):
    """Answer unexpected failures without showing a stack trace."""
    return render_template("error.html", message="内部エラーが発生しました。時間をおいて再度お試しください。"), 500


@bp.app_template_filter("hit_link")
def hit_link(hit, q: str) -> str:
    """Link a hit to its place in the meeting page."""
    return url_for("search.meeting", meeting_id=hit.meeting_id, q=q or None) + f"#u{hit.seq}"
