"""What every fake site of the tests shares: a threaded HTTP server on 127.0.0.1 that logs each request,
answers robots.txt and, once per throttled name, 429."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FakeServer:
    """Serves a fake site in a thread while in a `with` block; the handler class answers each request and
    logs it as (method, path, fields, status); names added to throttle answer 429 once."""

    def __init__(self, handler: type[FakeHandler], robots: str | None = None):
        self.robots = robots  # None: robots.txt answers 404
        self.requests: list = []  # (method, path, query or form fields, status), in order
        self.throttle: set[str] = set()  # names whose next request answers 429 with Retry-After: 1
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), type(handler.__name__, (handler,), {"fake": self}))
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def log(self, handler: BaseHTTPRequestHandler, fields: dict, status: int) -> None:
        """Log one answered request."""
        with self._lock:
            self.requests.append((handler.command, urlsplit(handler.path).path, fields, status))

    def throttled(self, name: str) -> bool:
        """Tell whether name is throttled, and if so let its next request through."""
        with self._lock:
            hit = name in self.throttle
            self.throttle.discard(name)
        return hit


class FakeHandler(BaseHTTPRequestHandler):
    """Answers one request to a FakeServer (its `fake`), which logs what was sent."""

    fake: FakeServer

    def log_message(self, *args):
        pass

    def send(self, status: int, body: bytes = b"", headers: dict | None = None, fields: dict | None = None) -> None:
        """Log an answer with the request's fields, then send it (a client that hangs up early is no error); logged
        first, so that the log is in the order the client saw its answers."""
        self.fake.log(self, fields or {}, status)
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def send_robots(self) -> None:
        """Answer /robots.txt with the fake's, or 404 when it has none."""
        if self.fake.robots is None:
            return self.send(404, b"not found", {"Content-Type": "text/html"})
        self.send(200, self.fake.robots.encode(), {"Content-Type": "text/plain"})

    def busy(self, name: str, fields: dict) -> bool:
        """Answer 429 with Retry-After: 1 when name is throttled, and tell whether it was."""
        if not self.fake.throttled(name):
            return False
        self.send(429, b"busy", {"Retry-After": "1", "Content-Type": "text/plain"}, fields)
        return True
