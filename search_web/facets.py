"""Facet sidebar items and pagination links, built from the current query string."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict


@dataclass
class FacetItem:
    """One facet value: its count, whether it is selected, and the URL that toggles it."""

    value: str
    count: int
    selected: bool
    toggle_url: str


def query_url(params: MultiDict) -> str:
    """Return "?a=1&b=2" for the parameters."""
    return "?" + urlencode(list(params.items(multi=True)))


def facet_items(args: MultiDict, param: str, counts: dict[str, int]) -> list[FacetItem]:
    """Return facet items; selected values come first and stay listed even at zero."""
    selected = args.getlist(param)
    items = []
    values = list(dict.fromkeys(selected + list(counts)))
    for value in values:
        params = MultiDict(args)
        params.pop("page", None)
        chosen = [v for v in selected if v != value] if value in selected else selected + [value]
        params.setlist(param, chosen)
        items.append(FacetItem(value, counts.get(value, 0), value in selected, query_url(params)))
    return items


def page_links(args: MultiDict, page: int, total: int, page_size: int) -> list[tuple[str, str | None]]:
    """Return (label, url or None for the current page) for a window of result pages."""
    last = max(1, min((total + page_size - 1) // page_size, 500))
    if last == 1:
        return []
    links = []

    def link(number: int, label: str | None = None):
        params = MultiDict(args)
        params.setlist("page", [str(number)])
        links.append((label or str(number), None if number == page else query_url(params)))

    if page > 1:
        link(page - 1, "前へ")
    for number in range(max(1, page - 4), min(last, page + 4) + 1):
        link(number)
    if page < last:
        link(page + 1, "次へ")
    return links


def toggle_url(args: MultiDict, param: str, value: str) -> str:
    """Return the current URL with param set to value, or removed if it already has that value."""
    params = MultiDict(args)
    params.pop("page", None)
    if params.get(param) == value:
        params.pop(param)
    else:
        params.setlist(param, [value])
    return query_url(params)
