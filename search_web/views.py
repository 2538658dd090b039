"""The HTML pages: search results (by utterance, by meeting, KWIC), meetings, context, speakers."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote_plus

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from indexer.index.generations import IndexUnavailable
from indexer.search import aggregates
from indexer.search import context as turns
from indexer.search.aggregates import SPLITS
from indexer.search.backends import SearchBackend
from indexer.search.engine import SearchRequest
from indexer.search.highlight import mark, match_spans
from indexer.search.query import QueryError
from indexer.search.rescue import TIPS
from search_web import chart as trend_chart
from search_web.facets import facet_items, page_links, query_url, toggle_url
from search_web.params import ParamError, asked, search_request

bp = Blueprint("search", __name__)

FACET_LABELS = {"body": "自治体・議会", "committee": "会議", "role": "発言者の役職", "year": "年"}
VIEWS = ("utterance", "meeting", "kwic")


def engine() -> SearchBackend:
    """Return the app's search engine (Whoosh or Xapian, see indexer.search.backends)."""
    return current_app.extensions["minutes_search"]


def unavailable(error: Exception):
    """Answer with a friendly 503 page when no index can be opened."""
    return render_template(
        "error.html", message=f"検索インデックスを利用できません: {error}", request_id=getattr(g, "request_id", "")
    ), 503


def _with(args: MultiDict, **changes) -> str:
    """Return the search URL with some parameters changed (None removes one); the page resets."""
    params = MultiDict(args)
    params.pop("page", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params.setlist(key, [value])
    return url_for("search.index") + query_url(params)


@bp.route("/")
def index():
    """Show the search box, and results with facets, trend chart and views when asked."""
    args = request.args
    page_size = current_app.config["PAGE_SIZE"]
    try:
        page = max(1, min(int(args.get("page", "1")), 500))
    except ValueError:
        page = 1
    view = args.get("view", "utterance")
    view = view if view in VIEWS else "utterance"
    context: dict[str, Any] = {
        "args": args,
        "error": None,
        "result": None,
        "facets": [],
        "pages": [],
        "page": page,
        "view": view,
        "groups": None,
        "kwic": None,
        "chart": None,
    }
    try:
        req = search_request(args, offset=(page - 1) * page_size, limit=page_size)
    except ParamError as error:
        context.update(req=SearchRequest(q=args.get("q", "")), error=str(error))
        return render_template("search.html", **context)
    context["req"] = req
    if not asked(args):
        return render_template("search.html", **context)
    try:
        result = engine().search(req)
        total = result.total
        if view == "meeting":
            total, context["groups"] = aggregates.grouped_by_meeting(engine(), req)
            context["meeting_total"] = total
        elif view == "kwic":
            context["kwic"] = [(hit, turns.kwic_lines(hit.text, result.parsed, spans=hit.spans)) for hit in result.hits]
        context["chart"] = _chart(req, args)
    except QueryError as error:
        context["error"] = str(error)
        return render_template("search.html", **context)
    except IndexUnavailable as error:
        return unavailable(error)
    last = max(1, -(-total // page_size))
    if page > last:  # past the end (an old link, a narrower search): show the last page instead
        params = MultiDict(args)
        params.setlist("page", [str(last)])
        return redirect(url_for("search.index") + query_url(params))
    context["result"] = result
    context["facets"] = [
        (name, FACET_LABELS[name], facet_items(args, name, result.facets[name]))
        for name in ("body", "committee", "role", "year")
    ]
    context["pages"] = page_links(args, page, total, page_size)
    context["expand_toggle"] = toggle_url(args, "expand", "0")
    context["rescue_tips"] = TIPS
    context["exact_link"] = _with(args, q=exact_query(req.q, result)) if result.parsed.readings else None
    context["suggestions"] = [(s, _with(args, q=s.query)) for s in result.rescue.suggestions] if result.rescue else []
    context["view_links"] = {v: _with(args, view=None if v == "utterance" else v) for v in VIEWS}
    return render_template("search.html", **context)


def exact_query(q: str, result) -> str:
    """Return the query with each part that was read as words quoted, to search it as typed."""
    for reading in result.parsed.readings:
        q = q.replace(reading.text, f'"{reading.text}"', 1)
    return q


def _chart(req: SearchRequest, args: MultiDict) -> dict:
    period = "month" if args.get("period") == "month" else "year"
    split = args.get("split") if args.get("split") in SPLITS else None
    data = trend_chart.complete(aggregates.trend(engine(), req, period=period, split=split))

    # Every bar links the same search with its own period: the link is built once with a placeholder, which
    # each bar's period (encoded as urlencode would) replaces (a long span draws hundreds of bars).
    placeholder = uuid.uuid4().hex
    template = _with(args, **{"month" if period == "month" else "year": placeholder}, view=args.get("view"))

    def link_for(when: str) -> str:
        return template.replace(placeholder, quote_plus(when))

    title = f"{'月' if period == 'month' else '年'}ごとの該当件数"
    return {
        "svg": Markup(trend_chart.svg_bar_chart(data, link_for, title)) if data else None,
        "title": title,
        "rows": trend_chart.rows(data, link_for),
        "period": period,
        "split": split,
        "links": {
            "year": _with(args, period=None),
            "month": _with(args, period="month"),
            "none": _with(args, split=None),
            "committee": _with(args, split="committee"),
            "body": _with(args, split="body"),
            "role": _with(args, split="role"),
        },
    }


@bp.route("/trend.svg")
def trend_svg():
    """Serve the trend chart alone as an SVG image."""
    try:
        req = search_request(request.args)
        chart = _chart(req, request.args)
    except (ParamError, QueryError) as error:
        abort(400, str(error))
    except IndexUnavailable as error:
        return unavailable(error)
    svg = str(chart["svg"] or '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    return Response(svg, mimetype="image/svg+xml")


def _parsed_or_none(q: str, expand: bool):
    if not q:
        return None
    try:
        return engine().parse(SearchRequest(q=q, expand=expand))
    except QueryError:
        return None


def _marked(doc: dict, parsed) -> dict:
    spans = match_spans(doc["text"], parsed.patterns, parsed.substrings, doc.get("_tokens")) if parsed else []
    return {**doc, "html": Markup(mark(doc["text"], spans)), "hit": bool(spans), "citation": citation(doc)}


def citation(doc: dict) -> str:
    """Return a one-line citation of an utterance: committee, date, speaker, title, permalink."""
    who = "".join(p for p in (doc.get("role"), f"（{doc['speaker']}）" if doc.get("speaker") else "") if p)
    link = url_for("search.meeting", meeting_id=doc["meeting_id"], _external=True) + f"#u{doc['seq']}"
    where = " ".join(p for p in (doc.get("body"), doc.get("committee")) if p)
    return f"{where} {doc.get('date') or UNKNOWN_DATE} {who or '記録'}「{doc.get('title', '')}」 {link}"


@bp.route("/m/<meeting_id>")
def meeting(meeting_id: str):
    """Show one meeting's whole record, each utterance with its own anchor, query matches marked."""
    try:
        docs = engine().meeting_documents(meeting_id, tokens=bool(request.args.get("q")))
    except IndexUnavailable as error:
        return unavailable(error)
    if not docs:
        abort(404)
    header = docs[0] if docs[0]["seq"] == 0 else None
    q = request.args.get("q", "")
    parsed = _parsed_or_none(q, request.args.get("expand") != "0")
    utterances = [_marked(d, parsed) for d in docs if d["seq"] > 0]
    first = header or utterances[0]
    return render_template(
        "meeting.html",
        meeting=first,
        details=(header or {}).get("meeting") or {},
        utterances=utterances,
        q=q,
        meeting_id=meeting_id,
    )


@bp.route("/m/<meeting_id>/u/<int:seq>")
def utterance_context(meeting_id: str, seq: int):
    """Show one utterance with the ones before and after it, and the answers to a question."""
    try:
        found = turns.context(engine(), meeting_id, seq)
    except IndexUnavailable as error:
        return unavailable(error)
    if not found:
        abort(404)
    q = request.args.get("q", "")
    parsed = _parsed_or_none(q, request.args.get("expand") != "0")
    return render_template(
        "context.html",
        meeting=found["meeting"],
        hit=_marked(found["hit"], parsed),
        before=[_marked(d, parsed) for d in found["before"]],
        after=[_marked(d, parsed) for d in found["after"]],
        answers=[_marked(d, parsed) for d in found["answers"]],
        q=q,
    )


@bp.route("/m/<meeting_id>/u/<int:seq>/cite.txt")
def cite(meeting_id: str, seq: int):
    """Return an utterance's citation as plain text."""
    try:
        docs = [d for d in engine().meeting_documents(meeting_id) if d["seq"] == seq]
    except IndexUnavailable as error:
        return unavailable(error)
    if not docs:
        abort(404)
    return Response(citation(docs[0]) + "\n", mimetype="text/plain")


@bp.route("/speakers")
def speakers():
    """List speakers, optionally those whose name contains ?name=."""
    name = request.args.get("name", "")
    try:
        listed = aggregates.speakers(engine(), name)
    except IndexUnavailable as error:
        return unavailable(error)
    return render_template("speakers.html", speakers=listed[:500], name=name, total=len(listed))


@bp.route("/speaker/<path:name>")
def speaker(name: str):
    """Show a speaker's utterances by date with counts per committee."""
    try:
        profile = aggregates.speaker_profile(engine(), name)
    except IndexUnavailable as error:
        return unavailable(error)
    if not profile["total"]:
        abort(404)
    return render_template("speaker.html", profile=profile)


@bp.route("/meetings")
def meetings():
    """List every meeting with a plain link (for people and for web crawlers)."""
    try:
        listed = aggregates.all_meetings(engine())
    except IndexUnavailable as error:
        return unavailable(error)
    return render_template("meetings.html", meetings=listed)


@bp.route("/bodies")
def bodies():
    """List the cities, towns and assemblies whose minutes are searchable, with their meeting counts."""
    try:
        listed = aggregates.bodies(engine())
    except IndexUnavailable as error:
        return unavailable(error)
    return render_template("bodies.html", bodies=listed)


@bp.route("/sitemap.xml")
def sitemap():
    """List every meeting page for web search engines."""
    try:
        listed = aggregates.all_meetings(engine())
    except IndexUnavailable as error:
        return unavailable(error)
    xml = render_template("sitemap.xml", meetings=listed)
    return Response(xml, mimetype="application/xml")


@bp.route("/robots.txt")
def robots():
    """Point crawlers at the sitemap; keep them off exports, feeds and the API."""
    body = (
        "User-agent: *\nDisallow: /export\nDisallow: /api/\nDisallow: /feed\n"
        f"Sitemap: {url_for('search.sitemap', _external=True)}\n"
    )
    return Response(body, mimetype="text/plain")


@bp.app_errorhandler(404)
def not_found(_error):
    """Answer unknown pages with a friendly page."""
    return render_template("error.html", message="ページが見つかりません。"), 404


@bp.app_errorhandler(400)
def bad_request(error):
    """Answer bad parameters with a friendly page."""
    return render_template("error.html", message=getattr(error, "description", "リクエストが正しくありません。")), 400


UNKNOWN_DATE = "日付不明"


@bp.app_template_filter("day")
def day(value: str | None) -> str:
    """Show a meeting's date, or 日付不明 for a page whose date the parser could not find."""
    return value or UNKNOWN_DATE


@bp.app_template_filter("safe_url")
def safe_url(url: str | None) -> str | None:
    """Return the url if it is http(s), else None: a page's javascript: link never becomes ours."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


@bp.app_template_filter("hit_link")
def hit_link(hit, q: str) -> str:
    """Link a hit to its place in the meeting page."""
    return url_for("search.meeting", meeting_id=hit.meeting_id, q=q or None) + f"#u{hit.seq}"


@bp.app_template_filter("context_link")
def context_link(hit, q: str) -> str:
    """Link a hit to its context page (neighbours and answers)."""
    return url_for("search.utterance_context", meeting_id=hit.meeting_id, seq=hit.seq, q=q or None)
