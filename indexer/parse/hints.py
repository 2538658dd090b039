"""What a site profile may tell the parser when inference gets a site wrong ([site.parse] in minutes.toml)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

DATE_SOURCES = ("page", "title", "link")


class HintError(ValueError):
    """A [site.parse] entry the parser cannot use."""


@dataclass(frozen=True)
class ParseHints:
    """Corrections for one site: where the record is, how its labels look, extra roles, where its date is."""

    content_selector: str | None = None  # a CSS selector for the element that holds the minutes
    label_regex: str | None = None  # a regex with named groups role (and name) matched at a line's start
    role_words: tuple[str, ...] = ()  # titles to accept as speakers' roles in every label style
    date_from: str = "page"  # "page": the header, then the title; "title": the title first; "link": the listing link

    def __post_init__(self) -> None:
        if self.date_from not in DATE_SOURCES:
            raise HintError(f"date_from must be one of {', '.join(DATE_SOURCES)}, not {self.date_from!r}")
        if self.label_regex is not None:
            try:
                label = re.compile(self.label_regex)
            except re.error as error:
                raise HintError(f"label_regex: {error}") from error
            if "role" not in label.groupindex:
                raise HintError("label_regex needs a named group (?P<role>…); (?P<name>…) is optional")

    @classmethod
    def from_table(cls, table: dict) -> ParseHints:
        """Build hints from a [site.parse] TOML table, refusing keys it does not know."""
        known = {"content_selector", "label_regex", "role_words", "date_from"}
        unknown = set(table) - known
        if unknown:
            raise HintError(f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(known))})")
        return cls(
            content_selector=table.get("content_selector"),
            label_regex=table.get("label_regex"),
            role_words=tuple(table.get("role_words", ())),
            date_from=table.get("date_from", "page"),
        )

    def version(self) -> str:
        """Return a short digest of the hints, stored beside each page they parsed (a change re-parses them)."""
        digest = hashlib.sha1(repr((self.content_selector, self.label_regex, self.role_words, self.date_from)).encode())
        return digest.hexdigest()[:8]

    def label(self, text: str) -> re.Match[str] | None:
        """Match the profile's label regex at the start of a line, if it has one."""
        return re.match(self.label_regex, text) if self.label_regex is not None else None  # re caches it


NO_HINTS = ParseHints()
