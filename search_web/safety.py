"""What keeps a public site safe: security headers, request limits, request ids, rate limits."""

from __future__ import annotations

import logging
import threading
import time
import uuid

from flask import Flask, Response, g, jsonify, make_response, render_template, request

log = logging.getLogger("search_web")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
RATE_LIMITED_PREFIXES = ("/api/", "/export", "/feed")


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> tuple[bool, float]:
        """Take one token for client; return (allowed, seconds until the next token)."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if len(self._buckets) > 50_000:  # forget idle clients rather than grow without bound
                self._buckets.clear()
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return True, 0.0
            self._buckets[client] = (tokens, now)
            return False, (1 - tokens) / self.rate


def init_app(app: Flask) -> None:
    """Register request ids, limits, headers and error pages on the app."""
    limiter = RateLimiter(app.config["RATE_LIMIT_PER_MINUTE"])

    @app.before_request
    def start_request():
        g.request_id = uuid.uuid4().hex[:12]
        if (request.content_length or 0) > app.config["MAX_CONTENT_LENGTH"]:
            return _error(413, "リクエストが大きすぎます。")
        if len(request.query_string) > app.config["MAX_QUERY_STRING"]:
            return _error(414, "検索条件が長すぎます。条件を減らしてください。")
        if request.path.startswith(RATE_LIMITED_PREFIXES) and app.config["RATE_LIMIT_PER_MINUTE"]:
            allowed, wait = limiter.allow(request.remote_addr or "?")
            if not allowed:
                response = _error(429, "リクエストが多すぎます。しばらく待ってから再度お試しください。")
                response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
                return response
        return None

    @app.after_request
    def add_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Request-Id"] = getattr(g, "request_id", "")
        return response

    @app.errorhandler(Exception)
    def unexpected(error):
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return error
        log.exception("request %s failed: %s %s", getattr(g, "request_id", "?"), request.method, request.full_path)
        return _error(500, "内部エラーが発生しました。時間をおいて再度お試しください。")

    @app.errorhandler(413)
    def too_large(_error):
        return _error(413, "リクエストが大きすぎます。")


def _error(status: int, message: str):
    request_id = getattr(g, "request_id", "")
    body: Response | str
    if request.path.startswith("/api/"):
        body = jsonify({"error": {"message": message, "parameter": None, "request_id": request_id}})
    else:
        body = render_template("error.html", message=message, request_id=request_id)
    return make_response(body, status)
