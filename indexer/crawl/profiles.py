"""Site profiles: which sources to crawl and how politely, read from a TOML file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from indexer.parse.hints import HintError, ParseHints

DEFAULT_CONFIG = "minutes.toml"
DEFAULT_USER_AGENT = "minutes-crawler/1.0 (+https://github.com/minutes-search)"


class ConfigError(ValueError):
    """The site profile file is missing, malformed, or names an unknown site."""


@dataclass
class SiteProfile:
    """One [[site]] of minutes.toml; kind "html" crawls pages, kind "ndl" reads the NDL minutes API."""

    name: str
    kind: str = "html"
    start_urls: list[str] = field(default_factory=list)
    allowed_hosts: list[str] = field(default_factory=list)
    listing_patterns: list[str] = field(default_factory=list)
    minutes_patterns: list[str] = field(default_factory=list)
    delay_seconds: float = 1.0
    max_pages: int = 5000
    user_agent: str = DEFAULT_USER_AGENT
    timeout_seconds: float = 30.0
    max_bytes: int = 5_000_000
    retries: int = 3
    backoff_seconds: float = 1.0
    drop_gone: bool = False  # drop the meeting of a page that answers 404/410
    # kind = "ndl": the API endpoint and the query (nameOfMeeting, any, from, until, ...).
    api_url: str = "https://kokkai.ndl.go.jp/api/speech"
    query: dict = field(default_factory=dict)
    maximum_records: int = 100
    # [site.parse]: corrections for pages inference reads wrongly (content_selector, label_regex,
    # role_words, date_from); see indexer.parse.hints.
    parse: dict = field(default_factory=dict)

    def __post_init__(self):
        try:
            self.hints = ParseHints.from_table(self.parse)
        except HintError as error:
            raise ConfigError(f"site {self.name}: [site.parse] {error}") from error
        try:
            self._listing = [re.compile(p) for p in self.listing_patterns]
            self._minutes = [re.compile(p) for p in self.minutes_patterns]
        except re.error as error:
            raise ConfigError(f"site {self.name}: bad pattern: {error}") from error

    def is_listing(self, url: str) -> bool:
        """Tell whether a URL is a listing page to follow for links."""
        return any(p.search(url) for p in self._listing)

    def is_minutes(self, url: str) -> bool:
        """Tell whether a URL is a minutes page to store and parse."""
        return any(p.search(url) for p in self._minutes)


_FIELDS = set(SiteProfile.__dataclass_fields__)


def load_profiles(path: str | Path | None = None) -> list[SiteProfile]:
    """Read every [[site]] from a TOML file (default ./minutes.toml)."""
    path = Path(path or DEFAULT_CONFIG)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"no site profile file at {path} (pass --config PATH)") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error
    sites = data.get("site")
    if not isinstance(sites, list) or not sites:
        raise ConfigError(f"{path}: no [[site]] entries")
    profiles = []
    for entry in sites:
        unknown = set(entry) - _FIELDS
        if unknown:
            raise ConfigError(f"{path}: site {entry.get('name', '?')}: unknown keys {sorted(unknown)}")
        if "name" not in entry:
            raise ConfigError(f"{path}: a [[site]] has no name")
        profiles.append(SiteProfile(**entry))
    names = [p.name for p in profiles]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: site names must be unique")
    return profiles


def select(profiles: list[SiteProfile], name: str | None) -> list[SiteProfile]:
    """Return all profiles, or the one called name."""
    if name is None:
        return profiles
    chosen = [p for p in profiles if p.name == name]
    if not chosen:
        raise ConfigError(f"no site called {name!r}; known: {', '.join(p.name for p in profiles)}")
    return chosen
