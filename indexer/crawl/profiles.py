"""Site profiles: which sources to crawl and how politely, read from a TOML file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from indexer.parse.hints import HintError, ParseHints

DEFAULT_CONFIG = "minutes.toml"
DEFAULT_USER_AGENT = "minutes-crawler/1.0 (+https://github.com/minutes-search)"


# Hosted minutes systems a profile can name as its kind, with the origin each is served from (None: each
# body has its own host, so base_url is required). SUPPORTED_HOSTED are those with an adapter
# (indexer/crawl/<kind>.py, registered in hosted.py); the others are reserved names.
HOSTED_ORIGINS = {
    "discussnet": "https://ssp.kaigiroku.net",
    "dbsearch": None,
    "kensakusystem": "https://www.kensakusystem.jp",
    "voices": None,
}
SUPPORTED_HOSTED = {"dbsearch", "discussnet", "kensakusystem", "voices"}
KINDS = {"html", "ndl", *HOSTED_ORIGINS}


class ConfigError(ValueError):
    """The site profile file is missing, malformed, or names an unknown site."""


@dataclass
class SiteProfile:
    """One [[site]] of minutes.toml; kind "html" crawls pages, kind "ndl" reads the NDL minutes API, a hosted
    system's kind ("discussnet") reads that system for one body (tenant)."""

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
    # The city, town or assembly the minutes belong to (長崎市, 東京都議会), kept with every meeting.
    body: str = ""
    # Hosted systems (kind = "discussnet" ...): the system's origin (a local fake can stand in), the body's
    # tenant on it, which years to cover (empty: every year the system lists), and how old a stored
    # meeting may grow before it is fetched again to catch silent corrections.
    base_url: str = ""
    tenant: str = ""
    years: list[int] = field(default_factory=list)
    recheck_days: float = 90.0
    # "who granted it, when": the operator's consent to fetch paths robots.txt disallows; every run logs it.
    permission: str = ""
    # [site.parse]: corrections for pages inference reads wrongly (content_selector, label_regex,
    # role_words, date_from); see indexer.parse.hints.
    parse: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ConfigError(f"site {self.name}: unknown kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")
        if self.kind in HOSTED_ORIGINS:
            self._check_hosted()
        try:
            self.hints = ParseHints.from_table(self.parse)
        except HintError as error:
            raise ConfigError(f"site {self.name}: [site.parse] {error}") from error
        try:
            self._listing = [re.compile(p) for p in self.listing_patterns]
            self._minutes = [re.compile(p) for p in self.minutes_patterns]
        except re.error as error:
            raise ConfigError(f"site {self.name}: bad pattern: {error}") from error

    def _check_hosted(self) -> None:
        if self.kind not in SUPPORTED_HOSTED:
            supported = ", ".join(sorted(SUPPORTED_HOSTED))
            raise ConfigError(f"site {self.name}: kind {self.kind!r} has no adapter yet (supported: {supported})")
        if self.kind == "dbsearch" and not self.tenant:
            # DB-Search gives each body its own host: base_url names the body, and tenant defaults to its host.
            self.tenant = urlsplit(self.base_url).hostname or ""
            if not self.tenant:
                raise ConfigError(
                    f"site {self.name}: kind 'dbsearch' needs base_url (the body's host, like "
                    "https://www.city.hatsukaichi.dbsr.jp)"
                )
        if not self.tenant:
            raise ConfigError(f"site {self.name}: kind {self.kind!r} needs tenant (the body's name on the system)")
        # VOICES' tenant is the installation's path on its host (voices, gikai/voices); others name one segment.
        segments = self.tenant.strip("/").split("/") if self.kind == "voices" else [self.tenant]
        if not all(re.fullmatch(r"[A-Za-z0-9_.-]+", s) and s not in (".", "..") for s in segments):
            raise ConfigError(f"site {self.name}: tenant {self.tenant!r} is not a plain path segment")
        if not (self.base_url or HOSTED_ORIGINS[self.kind]):
            raise ConfigError(f"site {self.name}: kind {self.kind!r} needs base_url (the host serving the body)")
        self.base_url = (self.base_url or HOSTED_ORIGINS[self.kind] or "").rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            raise ConfigError(f"site {self.name}: base_url must be an origin like https://ssp.kaigiroku.net")
        if not all(isinstance(y, int) and 1868 <= y <= 2200 for y in self.years):
            raise ConfigError(f"site {self.name}: years must be a list of years, e.g. [2024, 2025]")
        if not self.allowed_hosts:
            self.allowed_hosts = [parts.hostname]

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
