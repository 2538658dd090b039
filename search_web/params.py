"""Turn a page's query string into a SearchRequest (shared by pages, feeds and exports)."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from indexer.search.engine import SORTS, SearchRequest

SEARCH_PARAMS = ("q", "body", "role", "committee", "year", "month", "speaker", "from", "until")


class ParamError(ValueError):
    """A query-string value that cannot be used; the message is for the person who sent it."""


def _date(args: MultiDict, name: str) -> date | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ParamError(f"日付は YYYY-MM-DD の形で入力してください（{value}）。") from error


def search_request(args: MultiDict, *, offset: int = 0, limit: int = 20) -> SearchRequest:
    """Build the SearchRequest the query string describes; raise ParamError for bad values."""
    sort = args.get("sort", "relevance")
    date_from, date_until = _date(args, "from"), _date(args, "until")
    if date_from and date_until and date_from > date_until:
        raise ParamError(f"開始日（{date_from}）が終了日（{date_until}）より後になっています。期間を確かめてください。")
    return SearchRequest(
        q=args.get("q", ""),
        roles=args.getlist("role"),
        committees=args.getlist("committee"),
        bodies=args.getlist("body"),
        years=args.getlist("year"),
        months=args.getlist("month"),
        speaker=args.get("speaker") or None,
        date_from=date_from,
        date_until=date_until,
        sort=sort if sort in SORTS else "relevance",
        offset=offset,
        limit=limit,
        expand=args.get("expand") != "0",
    )


def asked(args: MultiDict) -> bool:
    """Tell whether the query string asks for a search at all."""
    return any(args.get(k) for k in SEARCH_PARAMS)
