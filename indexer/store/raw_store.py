"""The raw page store: every fetched or ingested page kept as fetched, with a manifest.

Bodies are content-addressed files (pages/<sha256>); the manifest is SQLite, so an interrupted
run never leaves it half-written. Pages are never deleted because they failed to parse.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from indexer.fsutil import atomic_write_bytes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    final_url TEXT,
    fetched_at TEXT NOT NULL,
    status INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    headers TEXT,
    sha256 TEXT,
    parse_status TEXT NOT NULL DEFAULT 'pending',
    parse_error TEXT,
    meeting_id TEXT,
    site TEXT,
    kind TEXT,
    parser_version TEXT,
    link_text TEXT
)
"""
# Columns added after the first release, with their type: an older manifest gains them when opened.
_ADDED_COLUMNS = {"link_text": "TEXT"}


@dataclass
class RawPage:
    """One manifest row: what was fetched from a url, and what parsing made of it."""

    url: str
    final_url: str | None
    fetched_at: str
    status: int | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    headers: dict
    sha256: str | None
    parse_status: str
    parse_error: str | None
    meeting_id: str | None
    site: str | None = None
    kind: str | None = None  # "minutes", "listing" or "api"
    parser_version: str | None = None
    link_text: str | None = None  # the text of the listing page's link that led to it (a date, often)


class RawStore:
    """Raw bodies under pages/ and a SQLite manifest keyed by url."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "pages").mkdir(exist_ok=True)
        self._db = sqlite3.connect(self.folder / "manifest.sqlite", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        present = {row[1] for row in self._db.execute("PRAGMA table_info(pages)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column not in present:
                self._db.execute(f"ALTER TABLE pages ADD COLUMN {column} {kind}")

    def close(self) -> None:
        """Close the manifest."""
        self._db.close()

    def body_path(self, sha256: str) -> Path:
        """Return where a body with this hash is kept."""
        return self.folder / "pages" / sha256

    def put(
        self,
        url: str,
        body: bytes,
        *,
        final_url: str | None = None,
        status: int | None = 200,
        headers: dict | None = None,
        site: str | None = None,
        kind: str = "minutes",
        link_text: str | None = None,
    ) -> tuple[RawPage, bool]:
        """Keep a fetched body; return its manifest row and whether its content changed."""
        digest = hashlib.sha256(body).hexdigest()
        path = self.body_path(digest)
        if not path.exists():
            atomic_write_bytes(path, body)
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        previous = self.get(url)
        changed = previous is None or previous.sha256 != digest
        self._db.execute(
            """INSERT INTO pages (url, final_url, fetched_at, status, etag, last_modified,
                   content_type, headers, sha256, parse_status, parse_error, meeting_id, site, kind, link_text)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, NULL, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET final_url=excluded.final_url, site=excluded.site,
                   kind=excluded.kind, link_text=COALESCE(excluded.link_text, pages.link_text),
                   fetched_at=excluded.fetched_at, status=excluded.status, etag=excluded.etag,
                   last_modified=excluded.last_modified, content_type=excluded.content_type,
                   headers=excluded.headers, sha256=excluded.sha256,
                   parse_status=CASE WHEN pages.sha256 = excluded.sha256
                                     THEN pages.parse_status ELSE 'pending' END,
                   parse_error=CASE WHEN pages.sha256 = excluded.sha256
                                    THEN pages.parse_error ELSE NULL END""",
            (
                url,
                final_url or url,
                _now(),
                status,
                headers.get("etag"),
                headers.get("last-modified"),
                headers.get("content-type"),
                json.dumps(headers, ensure_ascii=False),
                digest,
                site,
                kind,
                link_text,
            ),
        )
        stored = self.get(url)
        assert stored is not None  # written just above
        return stored, changed

    def mark_status(self, url: str, status: int | None) -> None:
        """Record a fetch that brought no new body (304, 404, 410, errors), keeping the old one."""
        self._db.execute("UPDATE pages SET status=?, fetched_at=? WHERE url=?", (status, _now(), url))

    def mark_parsed(
        self,
        url: str,
        status: str,
        *,
        error: str | None = None,
        meeting_id: str | None = None,
        parser_version: str | None = None,
    ) -> None:
        """Record what parsing made of a page: 'ok', 'suspect' (kept, but doubtful), 'error' or 'not_minutes'."""
        self._db.execute(
            "UPDATE pages SET parse_status=?, parse_error=?, meeting_id=?, parser_version=? WHERE url=?",
            (status, error, meeting_id, parser_version, url),
        )

    def needing_parse(self, parser_version: str, site: str | None = None) -> list[RawPage]:
        """Return minutes pages not yet parsed by this parser version (new, changed, or older parse)."""
        query = (
            "SELECT * FROM pages WHERE kind='minutes' AND sha256 IS NOT NULL AND "
            "(parse_status='pending' OR parser_version IS NULL OR parser_version != ?)"
        )
        params: list = [parser_version]
        if site:
            query += " AND site=?"
            params.append(site)
        return [self._row(row) for row in self._db.execute(query + " ORDER BY url", params).fetchall()]

    def get(self, url: str) -> RawPage | None:
        """Return one manifest row, or None."""
        row = self._db.execute("SELECT * FROM pages WHERE url=?", (url,)).fetchone()
        return self._row(row) if row else None

    def body(self, page: RawPage) -> bytes:
        """Return a page's raw bytes."""
        if page.sha256 is None:
            raise FileNotFoundError(f"no body is kept for {page.url}")
        return self.body_path(page.sha256).read_bytes()

    def pages(self, parse_status: str | None = None) -> list[RawPage]:
        """Return manifest rows, optionally only those with one parse status."""
        if parse_status:
            rows = self._db.execute("SELECT * FROM pages WHERE parse_status=? ORDER BY url", (parse_status,))
        else:
            rows = self._db.execute("SELECT * FROM pages ORDER BY url")
        return [self._row(row) for row in rows.fetchall()]

    def _row(self, row) -> RawPage:
        values = list(row)
        values[7] = json.loads(values[7] or "{}")
        return RawPage(*values)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
