"""What keeps a public site safe: security headers, request limits, request ids, rate limits, error answers."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

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
API_PREFIX = "/api/"
RATE_LIMITED_PREFIXES = (API_PREFIX, "/export", "/feed")

TOO_LARGE = "リクエストが大きすぎます。"
TOO_LONG = "検索条件が長すぎます。条件を減らしてください。"
TOO_MANY = "リクエストが多すぎます。しばらく待ってから再度お試しください。"
FAILED = "内部エラーが発生しました。時間をおいて再度お試しください。"
NOT_UTF8 = (
    "検索条件の文字が UTF-8 ではありません。"
    "UTF-8 でパーセントエンコードして送ってください（例: 防災 → %E9%98%B2%E7%81%BD）。"
)
NOT_UTF8_API = "the query string is not UTF-8: send UTF-8, percent-encoded (any=%E9%98%B2%E7%81%BD for 防災)"


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


def ascii_query_string(environ: dict) -> str:
    """Return the environ's query string with every non-ASCII byte percent-encoded, as a browser sends it."""
    query = environ.get("QUERY_STRING", "")
    if query.isascii():
        return query
    if environ.get("SERVER_SOFTWARE", "").startswith("Werkzeug/"):
        # Werkzeug's development server reads the request line as latin-1 and then encodes that text
        # as UTF-8 once more (curl sends データ as raw bytes): undo that second encoding.
        try:
            query = query.encode("latin-1").decode("utf-8")
        except UnicodeError:
            pass
    try:
        raw = query.encode("latin-1")  # PEP 3333: each byte of the request line is one character
    except UnicodeEncodeError:
        raw = query.encode("utf-8")  # a server that decoded the bytes itself
    return "".join(chr(byte) if byte < 0x80 else f"%{byte:02X}" for byte in raw)


class AsciiQueryString:
    """WSGI middleware that hands the app a percent-encoded ASCII query string whatever bytes the client sent."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        """Rewrite QUERY_STRING, then call the app."""
        environ["QUERY_STRING"] = ascii_query_string(environ)
        return self.app(environ, start_response)


def non_utf8_parameter(query_string: bytes) -> str | None:
    """Return the name of the first parameter whose name or value is not UTF-8 once decoded, else None."""
    for pair in query_string.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            for part in (name, value):
                unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            return unquote_to_bytes(name).decode("utf-8", "replace")
    return None


def trusted_proxies(app: Flask) -> int:
    """Return how many reverse proxies in front of the app may be believed (MINUTES_TRUSTED_PROXIES)."""
    value = app.config.get("TRUSTED_PROXIES") or 0
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0 or isinstance(value, bool):
        raise ValueError(f"TRUSTED_PROXIES must be a whole number of proxies, 0 or more, not {value!r}")
    return count


def init_app(app: Flask) -> None:
    """Register request ids, limits, headers, error answers and the WSGI middleware on the app."""
    limiter = RateLimiter(app.config["RATE_LIMIT_PER_MINUTE"])
    proxies = trusted_proxies(app)
    wsgi_app: Any = AsciiQueryString(app.wsgi_app)
    if proxies:
        # X-Forwarded-For gets one address per proxy; X-Forwarded-Proto is the one the nearest proxy sets.
        wsgi_app = ProxyFix(wsgi_app, x_for=proxies, x_proto=1)
    app.wsgi_app = wsgi_app  # type: ignore[method-assign]

    @app.before_request
    def start_request():
        g.request_id = uuid.uuid4().hex[:12]
        if (request.content_length or 0) > app.config["MAX_CONTENT_LENGTH"]:
            return _error(413, TOO_LARGE)
        if len(request.query_string) > app.config["MAX_QUERY_STRING"]:
            return _error(414, TOO_LONG)
        parameter = non_utf8_parameter(request.query_string)
        if parameter is not None:
            return _error(400, NOT_UTF8, parameter, api_message=NOT_UTF8_API)
        if request.path.startswith(RATE_LIMITED_PREFIXES) and app.config["RATE_LIMIT_PER_MINUTE"]:
            allowed, wait = limiter.allow(request.remote_addr or "?")
            if not allowed:
                response = _error(429, TOO_MANY)
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
        if isinstance(error, HTTPException):
            return error
        log.exception("request %s failed: %s %s", getattr(g, "request_id", "?"), request.method, request.full_path)
        return _error(500, FAILED)

    @app.errorhandler(413)
    def too_large(_error):
        return _error(413, TOO_LARGE)


def is_api_request() -> bool:
    """Tell whether the current request is for the JSON API, whose errors are JSON."""
    return request.path.startswith(API_PREFIX)


def api_error(status: int, message: str, parameter: str | None = None) -> Response:
    """Return the API's error answer {"error": {"message", "parameter", "request_id"}} with status."""
    body = {"error": {"message": message, "parameter": parameter, "request_id": getattr(g, "request_id", "")}}
    response = jsonify(body)
    response.status_code = status
    return response


def api_http_error(error: HTTPException) -> Response:
    """Answer an HTTP error (unknown path, wrong method, …) under /api/ as the API's JSON error."""
    status = error.code or 500
    allowed = sorted(getattr(error, "valid_methods", None) or [])
    if status == 404:
        message = f"not found: {request.path} (the API is described at /api/v1/openapi.json)"
    elif status == 405:
        message = f"method {request.method} is not allowed here; use {', '.join(allowed) or 'GET'}"
    else:
        message = {413: TOO_LARGE, 414: TOO_LONG, 429: TOO_MANY, 500: FAILED}.get(status) or str(error.description)
    response = api_error(status, message)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _error(status: int, message: str, parameter: str | None = None, api_message: str | None = None) -> Response:
    if is_api_request():
        return api_error(status, api_message or message, parameter)
    request_id = getattr(g, "request_id", "")
    return make_response(render_template("error.html", message=message, request_id=request_id), status)
