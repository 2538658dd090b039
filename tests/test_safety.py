"""Web safety: headers, limits, request ids, rate limits, and escaping of hostile text everywhere."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from indexer.index.build import build_index
from indexer.records import Meeting, Utterance
from search_web import create_app

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=2">',
    "javascript:window.__xss=3",
    "<svg onload=window.__xss=4>",
]


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory):
    """An index whose titles, committees, speakers and texts carry script payloads."""
    data = tmp_path_factory.mktemp("hostile")
    utterances = [
        Utterance("x1", i + 1, "委員", payload, f"防災について {payload} 以上です。", label=payload)
        for i, payload in enumerate(PAYLOADS)
    ]
    meeting = Meeting(
        id="x1",
        url="javascript:window.__xss=5",
        title=f"防災会議 {PAYLOADS[1]}",
        committee=PAYLOADS[0],
        meeting_name="m",
        date=date(2024, 1, 1),
        agenda=[PAYLOADS[3]],
        place=PAYLOADS[1],
        utterances=utterances,
    )
    build_index([meeting], data / "index")
    return data


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/?q=防災", "/api/v1/search?any=防災", "/nope"):
        response = client.get(path)
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "script-src" not in response.headers["Content-Security-Policy"]  # so: no scripts at all
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Request-Id"]


def test_unexpected_errors_show_a_request_id_not_a_trace(app, caplog, monkeypatch):
    engine = app.extensions["minutes_search"]
    monkeypatch.setattr(engine, "search", lambda request: 1 / 0)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="search_web"):
        response = client.get("/?q=防災")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in page and "ZeroDivisionError" not in page
    request_id = response.headers["X-Request-Id"]
    assert request_id in page
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)
    api = client.get("/api/v1/search?any=防災")
    assert api.status_code == 500 and api.get_json()["error"]["request_id"] == api.headers["X-Request-Id"]


def test_request_size_and_query_length_limits(client):
    assert client.get("/?q=" + "防" * 3000).status_code == 414
    assert client.post("/", data="x" * 100_000, content_type="text/plain").status_code == 413
    long_query = client.get("/", query_string={"q": "防災" * 200})
    assert long_query.status_code == 200 and "長すぎます" in long_query.get_data(as_text=True)


def test_api_and_exports_are_rate_limited_per_client(sample_settings):
    app = create_app({"TESTING": True, "DATA_DIR": str(sample_settings.data_dir), "RATE_LIMIT_PER_MINUTE": 3})
    client = app.test_client()
    statuses = [client.get("/api/v1/search?any=防災").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/export.csv?q=防災")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert client.get("/?q=防災").status_code == 200  # pages are not limited
    other = client.get("/api/v1/search?any=防災", environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 200


def test_hostile_text_is_escaped_in_every_page_and_response(hostile_data):
    client = create_app({"TESTING": True, "DATA_DIR": str(hostile_data)}).test_client()
    paths = [
        "/?q=防災",
        "/?q=防災&view=kwic",
        "/?q=防災&view=meeting",
        "/m/x1",
        "/m/x1/u/1",
        "/meetings",
        "/speakers",
        "/feed?q=防災",
        "/sitemap.xml",
        "/api/v1/search?any=防災",
        "/api/v1/meetings/x1",
        "/export.json?q=防災",
        "/?q=" + PAYLOADS[0],
        "/?q=" + PAYLOADS[1],
    ]
    for path in paths:
        body = client.get(path).get_data(as_text=True)
        for payload in PAYLOADS[:2] + [PAYLOADS[3]]:
            assert payload not in body, (path, payload)
    meeting_page = client.get("/m/x1").get_data(as_text=True)
    assert 'href="javascript:' not in meeting_page


def _limited_app(sample_settings, **config):
    return create_app(
        {"TESTING": True, "DATA_DIR": str(sample_settings.data_dir), "RATE_LIMIT_PER_MINUTE": 2, **config}
    )


def _statuses(client, forwarded_for: str, count: int, proxy: str = "10.0.0.1") -> list[int]:
    environ = {"REMOTE_ADDR": proxy}
    headers = {"X-Forwarded-For": forwarded_for}
    return [client.get("/api/v1/facets", headers=headers, environ_base=environ).status_code for _ in range(count)]


def test_clients_behind_a_trusted_proxy_get_buckets_of_their_own(sample_settings):
    client = _limited_app(sample_settings, TRUSTED_PROXIES=1).test_client()
    assert _statuses(client, "203.0.113.5", 3) == [200, 200, 429]
    assert _statuses(client, "203.0.113.6", 1) == [200]  # another client behind the same proxy
    # A client that forges its own X-Forwarded-For is still counted at the address nginx appended.
    assert _statuses(client, "198.51.100.1, 203.0.113.5", 1) == [429]
    assert _statuses(client, "198.51.100.2, 203.0.113.7", 1) == [200]


def test_forwarded_for_is_ignored_without_trusted_proxies(sample_settings):
    client = _limited_app(sample_settings).test_client()
    assert _statuses(client, "203.0.113.5", 3) == [200, 200, 429]
    assert _statuses(client, "203.0.113.6", 1) == [429]  # a forged header does not buy a fresh bucket
    assert _statuses(client, "203.0.113.6", 1, proxy="10.0.0.2") == [200]


def test_trusted_proxies_come_from_the_environment_and_set_the_scheme(sample_settings, monkeypatch):
    monkeypatch.setenv("MINUTES_TRUSTED_PROXIES", "1")
    app = create_app({"TESTING": True, "DATA_DIR": str(sample_settings.data_dir)})
    assert app.config["TRUSTED_PROXIES"] == 1
    headers = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https", "Host": "minutes.example.jp"}
    body = app.test_client().get("/api/v1/search?any=防災&maximumRecords=1", headers=headers).get_json()
    assert body["records"][0]["permalink"].startswith("https://minutes.example.jp/m/")
    monkeypatch.setenv("MINUTES_TRUSTED_PROXIES", "-1")
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app({"TESTING": True, "DATA_DIR": str(sample_settings.data_dir)})


def latin1(raw: bytes) -> str:
    """Return bytes as a WSGI server puts them in the environ (PEP 3333: one character per byte)."""
    return raw.decode("latin-1")


def werkzeug_dev_server(raw: bytes) -> str:
    """Return bytes as werkzeug's development server puts them in the environ (latin-1, then UTF-8 again)."""
    return raw.decode("latin-1").encode("utf-8").decode("latin-1")


@pytest.mark.parametrize(
    "environ",
    [
        {"QUERY_STRING": latin1("any=データセンター".encode())},
        {"QUERY_STRING": werkzeug_dev_server("any=データセンター".encode()), "SERVER_SOFTWARE": "Werkzeug/3.1.9"},
    ],
    ids=["pep3333", "werkzeug-dev-server"],
)
def test_raw_utf8_query_strings_are_read_as_utf8(client, sample_search, environ):
    from indexer.search.engine import SearchRequest

    expected = sample_search.search(SearchRequest(q="データセンター")).total
    assert expected
    api = client.get("/api/v1/search", environ_overrides=environ).get_json()
    assert api["numberOfRecords"] == expected
    assert all("データセンター" in r["text"] or "データセンター" in r["meeting"] for r in api["records"])
    page_environ = {**environ, "QUERY_STRING": environ["QUERY_STRING"].replace("any=", "q=")}
    page = client.get("/", environ_overrides=page_environ).get_data(as_text=True)
    assert "<title>「データセンター」の検索結果" in page and f"{expected} 件" in page


def test_the_app_sees_a_percent_encoded_ascii_query_string():
    from search_web.safety import ascii_query_string

    encoded = "any=%E3%83%87%E3%83%BC%E3%82%BF&x=%2B+"
    assert ascii_query_string({"QUERY_STRING": encoded}) == encoded
    assert ascii_query_string({"QUERY_STRING": latin1("any=データ&x=%2B+".encode())}) == encoded
    dev = {"QUERY_STRING": werkzeug_dev_server("any=データ&x=%2B+".encode()), "SERVER_SOFTWARE": "Werkzeug/3.1.9"}
    assert ascii_query_string(dev) == encoded
    assert ascii_query_string({"QUERY_STRING": "any=データ&x=%2B+"}) == encoded  # a server that decoded the bytes
    assert ascii_query_string({"QUERY_STRING": latin1(b"any=\x83f")}) == "any=%83f"


@pytest.mark.parametrize(
    "query",
    [latin1(b"any=\x83f\x81[\x83^"), werkzeug_dev_server(b"any=\x83f\x81[\x83^"), "maximumRecords=5&any=%83f%81%5B"],
    ids=["raw-shift-jis", "raw-shift-jis-werkzeug-dev-server", "percent-encoded-shift-jis"],
)
def test_query_strings_that_are_not_utf8_get_a_400_asking_for_percent_encoding(client, query):
    environ = {"QUERY_STRING": query, "SERVER_SOFTWARE": "Werkzeug/3.1.9"}
    api = client.get("/api/v1/search", environ_overrides=environ)
    assert api.status_code == 400
    error = api.get_json()["error"]
    assert error["parameter"] == "any" and "UTF-8" in error["message"] and "percent-encoded" in error["message"]
    page = client.get("/", environ_overrides={**environ, "QUERY_STRING": query.replace("any=", "q=")})
    assert page.status_code == 400 and "text/html" in page.content_type
    assert "パーセントエンコード" in page.get_data(as_text=True)


def _serve_in_thread(make_server, app):
    """Start a server made by make_server(app) on a free port of 127.0.0.1; return (port, stop)."""
    import threading

    server, port, run, stop = make_server(app)
    threading.Thread(target=run, daemon=True).start()
    return port, stop


def _raw_get(port: int, target: bytes) -> tuple[int, str]:
    """Send one GET with target exactly as given (raw bytes) and return (status, body)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body.decode("utf-8", "replace")


def _waitress(app):
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=2)

    def stop():
        server.close()
        server.task_dispatcher.shutdown()

    return server, server.effective_port, server.run, stop


def _werkzeug(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    return server, server.server_port, server.serve_forever, server.shutdown


def test_raw_utf8_over_a_socket_to_waitress_and_the_development_server(app):
    percent = b"/api/v1/search?any=%E3%83%87%E3%83%BC%E3%82%BF%E3%82%BB%E3%83%B3%E3%82%BF%E3%83%BC"
    raw = "/api/v1/search?any=データセンター".encode()
    port, stop = _serve_in_thread(_waitress, app)
    try:
        status, body = _raw_get(port, percent)
        assert status == 200 and '"numberOfRecords":0' not in body and "データセンター" in body
        # waitress 3 refuses raw bytes outside ASCII in the request line before the app sees them.
        status, body = _raw_get(port, raw)
        assert status == 400 and "generated by waitress" in body
        status, body = _raw_get(port, b"/api/v1/search?any=%83f%81%5B")
        assert status == 400 and '"parameter":"any"' in body
    finally:
        stop()
    port, stop = _serve_in_thread(_werkzeug, app)
    try:
        # The development server lets them through (encoded once more as UTF-8); the app reads them as UTF-8.
        status, body = _raw_get(port, raw)
        assert status == 200 and '"numberOfRecords":0' not in body and "データセンター" in body
        status, body = _raw_get(port, "/?q=データセンター".encode())
        assert status == 200 and "<title>「データセンター」の検索結果" in body
        status, body = _raw_get(port, b"/api/v1/search?any=\x83f\x81[\x83^")
        assert status == 400 and '"parameter":"any"' in body
    finally:
        stop()
