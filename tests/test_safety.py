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
