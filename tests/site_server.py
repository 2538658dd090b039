"""A real HTTP test site on 127.0.0.1: listings, minutes pages and every misbehaviour a crawler meets."""

from __future__ import annotations

import hashlib
import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.fake_server import FakeHandler, FakeServer

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"

NOT_MINUTES = """<html><head><meta charset="utf-8"><title>お知らせ</title></head><body><div id="main">
<h1>図書館の臨時休館について</h1><p>蔵書点検のため、来週は休館します。</p></div></body></html>"""


def listing(links: list[str]) -> str:
    items = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        f'<html><head><meta charset="utf-8"></head><body><ul class="gnav"><li><a href="/about.html">市の紹介</a></li></ul>'
        f'<div id="main"><h1>附属機関等の会議録</h1><ul>{items}</ul></div></body></html>'
    )


class FakeCitySite(FakeServer):
    """Serves the site in a thread; pages can be changed between crawls; requests are logged as
    (path with query, status)."""

    def __init__(self, slow_seconds: float = 2.0):
        self.slow_seconds = slow_seconds
        self.hits: dict[str, int] = {}
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.api_records: list[dict] = []
        self._build()
        super().__init__(_Handler)

    def log(self, handler: BaseHTTPRequestHandler, fields: dict, status: int) -> None:
        self.requests.append((handler.path, status))

    def _build(self) -> None:
        html = "text/html"
        self.pages = {
            "/robots.txt": (b"User-agent: *\nDisallow: /private/\n", "text/plain"),
            "/kaigi/index.html": (
                listing(
                    [
                        "p1.html",
                        "p2.html",
                        "list2.html#top",
                        "/private/p9.html",
                        "p3.html",
                        "p404.html",
                        "p500.html",
                        "pslow.html",
                        "pbig.html",
                        "pnews.html",
                        "/about.html",
                        "http://other.example.invalid/kaigi/p7.html",
                        "mailto:kaigi@example.jp",
                        "index.html",
                    ]
                ).encode(),
                html + "; charset=utf-8",
            ),
            "/kaigi/list2.html": (listing(["p4.html", "index.html", "p1.html"]).encode(), html),
            "/kaigi/p1.html": ((SAMPLE / "p001.html").read_bytes(), html + "; charset=utf-8"),
            "/kaigi/p2.html": ((SAMPLE / "p004.html").read_bytes(), html),  # Shift_JIS, declared by meta
            "/kaigi/p3new.html": ((SAMPLE / "p002.html").read_bytes(), html),
            "/kaigi/p4.html": ((SAMPLE / "p003.html").read_bytes(), html),
            "/kaigi/p500.html": ((SAMPLE / "p005.html").read_bytes(), html),
            "/kaigi/pslow.html": ((SAMPLE / "p006.html").read_bytes(), html),
            "/kaigi/pbig.html": (b"<html><body>" + b"x" * 300_000 + b"</body></html>", html),
            "/kaigi/pnews.html": (NOT_MINUTES.encode(), html),
            "/private/p9.html": ((SAMPLE / "p007.html").read_bytes(), html),
            "/about.html": (b"<html><body>about</body></html>", html),
            "/kaigi/hostile-links.html": (
                listing(
                    [
                        "http://10.0.0.1/kaigi/p1.html",
                        "http://192.168.1.1/kaigi/p2.html",
                        "http://169.254.169.254/latest/",
                        "http://[::1]/kaigi/p3.html",
                        "file:///etc/passwd",
                        "ftp://127.0.0.1/kaigi/p4.html",
                        "gopher://127.0.0.1/",
                        "data:text/html,<p>x</p>",
                        "javascript:alert(1)",
                        "//evil.example/kaigi/p5.html",
                        "http://127.0.0.1.evil.example/kaigi/p6.html",
                        "pendless.html",
                        "private-redirect.html",
                    ]
                ).encode(),
                html,
            ),
        }

    def set_page(self, path: str, body: bytes) -> None:
        """Replace a page's content (the next crawl must notice)."""
        with self._lock:
            self.pages[path] = (body, self.pages[path][1])

    def remove_page(self, path: str) -> None:
        """Make a page answer 404 from now on."""
        with self._lock:
            self.pages.pop(path, None)

    def count(self, path: str) -> int:
        """Return how many times a path was requested."""
        return sum(1 for p, _ in self.requests if urlsplit(p).path == path)


class _Handler(FakeHandler):
    fake: FakeCitySite

    def do_GET(self):
        site = self.fake
        parts = urlsplit(self.path)
        path = parts.path
        with site._lock:
            site.hits[path] = site.hits.get(path, 0) + 1
            hits = site.hits[path]
            page = site.pages.get(path)
        if path == "/api/speech":
            return self._api(parse_qs(parts.query))
        if path == "/kaigi/p3.html":
            return self.send(301, headers={"Location": "/kaigi/p3new.html"})
        if path == "/kaigi/poff.html":
            return self.send(302, headers={"Location": "http://other.example.invalid/x.html"})
        if path == "/kaigi/p500.html" and hits == 1:
            return self.send(500, b"temporary failure")
        if path == "/kaigi/p429.html" and hits == 1:
            return self.send(429, b"slow down", {"Retry-After": "1"})
        if path == "/kaigi/pslow.html":
            time.sleep(site.slow_seconds)
        if path == "/kaigi/pendless.html":
            return self._endless()
        if path == "/kaigi/private-redirect.html":
            return self.send(302, headers={"Location": "http://10.0.0.1/kaigi/p1.html"})
        if path.startswith("/kaigi/loop"):
            n = int(parse_qs(parts.query).get("n", ["0"])[0])
            links = [f"/kaigi/loop.html?n={n + 1}", "/kaigi/loop.html?n=0", "/kaigi/hostile-links.html"]
            return self.send(200, listing(links).encode(), {"Content-Type": "text/html"})
        if page is None:
            return self.send(404, b"not found")
        body, content_type = page
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self.send(304, headers={"ETag": etag})
        self.send(
            200,
            body,
            {"Content-Type": content_type, "ETag": etag, "Last-Modified": "Wed, 01 Oct 2025 00:00:00 GMT"},
        )

    def _endless(self):
        """Stream a body that never ends (until the client hangs up)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<p>" + "延々と続く発言。".encode() * 500 + b"</p>"
        try:
            for _ in range(100_000):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.fake.log(self, {}, 200)

    def _api(self, query: dict):
        start = int(query.get("startRecord", ["1"])[0])
        maximum = int(query.get("maximumRecords", ["30"])[0])
        if query.get("recordPacking", [""])[0] != "json":
            return self.send(400, b"json only in this fake")
        records = self.fake.api_records
        if "nameOfMeeting" in query:
            records = [r for r in records if query["nameOfMeeting"][0] in r["nameOfMeeting"]]
        page = records[start - 1 : start - 1 + maximum]
        following = start + len(page)
        payload = {
            "numberOfRecords": len(records),
            "numberOfReturn": len(page),
            "startRecord": start,
            "nextRecordPosition": following if following <= len(records) else None,
            "speechRecord": page,
        }
        self.send(
            200,
            json.dumps(payload, ensure_ascii=False).encode(),
            {"Content-Type": "application/json; charset=utf-8"},
        )
