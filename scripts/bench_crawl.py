"""Crawl speed on a site served from 127.0.0.1: a full crawl, then an unchanged re-crawl (ETag/304).

Usage: python scripts/bench_crawl.py [--pages 320] [--per-listing 20]
The site holds copies of data/sample/ under distinct canonical urls, listed 20 to a listing page
with pagination. Delay is 0: this measures the crawler and parser, not politeness.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.crawl.profiles import SiteProfile  # noqa: E402
from indexer.pipeline import crawl  # noqa: E402
from indexer.settings import Settings  # noqa: E402


def build_site(pages: int, per_listing: int) -> dict[str, bytes]:
    """Return {path: body}: minutes pages p00001… and paginated listing pages."""
    samples = sorted((ROOT / "data" / "sample").glob("*.html"))
    site: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nAllow: /\n"}
    for n in range(1, pages + 1):
        body = samples[(n - 1) % len(samples)].read_bytes()
        body = re.sub(rb'(<link rel="canonical" href=")[^"]+', rb"\g<1>https://bench.example/p%05d.html" % n, body)
        site[f"/kaigi/p{n:05d}.html"] = body
    listings = (pages + per_listing - 1) // per_listing
    for i in range(1, listings + 1):
        links = "".join(
            f'<li><a href="p{n:05d}.html">{n}</a></li>'
            for n in range((i - 1) * per_listing + 1, min(i * per_listing, pages) + 1)
        )
        nav = f'<a href="list{i + 1}.html">次へ</a>' if i < listings else ""
        site[f"/kaigi/list{i}.html"] = f"<html><body><ul>{links}</ul>{nav}</body></html>".encode()
    return site


def serve(site: dict[str, bytes]) -> ThreadingHTTPServer:
    """Serve the site with ETags on 127.0.0.1 in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = site.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    """Run the full and the unchanged crawl and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=320)
    parser.add_argument("--per-listing", type=int, default=20)
    args = parser.parse_args()
    site = build_site(args.pages, args.per_listing)
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    profile = SiteProfile(
        name="bench",
        start_urls=[base + "/kaigi/list1.html"],
        allowed_hosts=["127.0.0.1"],
        listing_patterns=[r"/kaigi/list\d+\.html$"],
        minutes_patterns=[r"/kaigi/p\d+\.html$"],
        delay_seconds=0,
        max_pages=100_000,
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(Path(tmp))
        started = time.perf_counter()
        full = crawl(settings, [profile])
        full_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = crawl(settings, [profile])
        again_seconds = time.perf_counter() - started
    server.shutdown()
    requests = len(site) - 1
    print(f"site: {args.pages} minutes pages + {requests - args.pages} listing pages on {base}")
    print(
        f"full crawl: {full.fetched} fetched, {full.parsed} parsed, {len(full.failed)} failed, "
        f"{full_seconds:.2f}s = {full.fetched / full_seconds:.1f} pages/s"
    )
    print(
        f"unchanged re-crawl: {again.not_modified} not modified, {again.parsed} parsed, "
        f"{again_seconds:.2f}s = {again_seconds / full_seconds:.2f} of the full crawl"
    )


if __name__ == "__main__":
    main()
