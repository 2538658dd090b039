"""Polite HTTP fetching: robots.txt, per-host delay, conditional GET, retries, redirects, size cap; a GET, or
the POST of a form for a hosted system's API."""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 60.0


@dataclass
class FetchResult:
    """What one fetch produced; error is set when no usable response came back."""

    url: str
    final_url: str
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """Tell whether the page came back with 200."""
        return self.error is None and self.status == 200

    @property
    def not_modified(self) -> bool:
        """Tell whether the server answered 304 to a conditional GET."""
        return self.error is None and self.status == 304


class Fetcher:
    """Fetches pages one at a time per host, waiting delay_seconds between requests to a host."""

    def __init__(
        self,
        *,
        user_agent: str,
        allowed_hosts: list[str],
        delay_seconds: float = 1.0,
        timeout_seconds: float = 30.0,
        max_bytes: int = 5_000_000,
        retries: int = 3,
        backoff_seconds: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        sleep=time.sleep,
        clock=time.monotonic,
    ):
        self.user_agent = user_agent
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.delay_seconds = delay_seconds
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._sleep, self._clock = sleep, clock
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser | None] = {}
        self.requests: list[tuple[str, str, int | None]] = []  # (method, url, status): a request log
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            follow_redirects=False,
            transport=transport,
            timeout=httpx.Timeout(timeout_seconds),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def host_allowed(self, url: str) -> bool:
        """Tell whether a URL is http(s) on one of the allowed hosts."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self.allowed_hosts

    def _wait_for_host(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            remaining = self.delay_seconds - (self._clock() - last)
            if remaining > 0:
                self._sleep(remaining)
        self._last_request[host] = self._clock()

    def _request(self, url: str, headers: dict, form: dict | None = None) -> httpx.Response:
        host = urlsplit(url).netloc
        self._wait_for_host(host)
        method = "GET" if form is None else "POST"
        with self._client.stream(method, url, headers=headers, data=form) as response:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise _TooLarge(f"{url}: Content-Length {declared} is over the {self.max_bytes}-byte cap")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise _TooLarge(f"{url}: body is over the {self.max_bytes}-byte cap")
                chunks.append(chunk)
            response._content = b"".join(chunks)
            self.requests.append((method, url, response.status_code))
            return response

    def robots_allows(self, url: str) -> bool:
        """Tell whether robots.txt of the URL's host lets our user agent fetch it."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        robots = self._robots[origin]
        return True if robots is None else robots.can_fetch(self.user_agent, url)

    def _load_robots(self, origin: str) -> RobotFileParser | None:
        parser = RobotFileParser(origin + "/robots.txt")
        try:
            response = self._request(origin + "/robots.txt", {})
        except (httpx.HTTPError, _TooLarge) as error:
            log.warning("robots.txt of %s unreachable (%s): not crawling it this run", origin, error)
            parser.disallow_all = True  # type: ignore[attr-defined]  # set by parse(); typeshed omits it
            return parser
        if response.status_code >= 500:
            parser.disallow_all = True  # type: ignore[attr-defined]
            return parser
        if response.status_code >= 400:
            return None  # no robots.txt: everything allowed
        parser.parse(response.content.decode("utf-8", errors="replace").splitlines())
        return parser

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, form: dict | None = None
    ) -> FetchResult:
        """GET a page with conditional headers, retrying transient failures and following redirects; with
        form, POST those fields instead (a hosted system's API), with the same politeness."""
        result = FetchResult(url=url, final_url=url)
        if not self.host_allowed(url):
            result.error = f"{url}: not on an allowed host"
            return result
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _redirect in range(MAX_REDIRECTS + 1):
            response = self._with_retries(current, headers, result, form)
            if response is None:
                return result
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                target = urljoin(current, response.headers["location"]).split("#")[0]
                if not self.host_allowed(target):
                    result.error = f"{url}: redirect to {target} leaves the allowed hosts; refused"
                    result.status = response.status_code
                    return result
                if not self.robots_allows(target):
                    result.error = f"{url}: redirect target {target} is disallowed by robots.txt"
                    return result
                current = target
                if response.status_code not in (307, 308):
                    form = None  # 301/302/303 turn a POST into a GET, as browsers do
                continue
            result.final_url = current
            result.status = response.status_code
            result.headers = {k.lower(): v for k, v in response.headers.items()}
            result.body = response.content if response.status_code == 200 else b""
            return result
        result.error = f"{url}: more than {MAX_REDIRECTS} redirects"
        return result

    def _with_retries(
        self, url: str, headers: dict, result: FetchResult, form: dict | None = None
    ) -> httpx.Response | None:
        for attempt in range(self.retries + 1):
            result.attempts += 1
            try:
                response = self._request(url, headers, form)
            except _TooLarge as error:
                result.error = str(error)
                return None
            except (httpx.TimeoutException, httpx.TransportError) as error:
                self.requests.append(("GET" if form is None else "POST", url, None))
                if attempt < self.retries:
                    self._sleep(self.backoff_seconds * 2**attempt)
                    continue
                result.error = f"{url}: {type(error).__name__} after {result.attempts} attempts"
                return None
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                self._sleep(self._retry_delay(response, attempt))
                continue
            if response.status_code in RETRY_STATUSES:
                result.status = response.status_code
                result.error = f"{url}: HTTP {response.status_code} after {result.attempts} attempts"
                return None
            return response
        return None

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        retry_after = response.headers.get("retry-after")
        if retry_after:
            if retry_after.strip().isdigit():
                return min(float(retry_after), MAX_RETRY_AFTER)
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
                return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))
            except (TypeError, ValueError):
                pass
        return self.backoff_seconds * 2**attempt


class _TooLarge(Exception):
    pass
