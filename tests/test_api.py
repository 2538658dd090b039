"""The JSON API, checked against the OpenAPI document the app serves: every parameter, every error."""

from __future__ import annotations

import jsonschema
import pytest

from indexer.search.engine import SearchRequest

BAD_VALUES = {  # parameter: a value it must refuse
    "from": "2020/01/01",
    "until": "yesterday",
    "startRecord": "0",
    "maximumRecords": "101",
    "recordPacking": "xml",
    "sort": "random",
    "expand": "maybe",
    "any": '"unclosed',
}


@pytest.fixture()
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def validate(spec, schema, data):
    jsonschema.validate(data, {**schema, "components": spec["components"]})


def operations(spec):
    for path, item in spec["paths"].items():
        operation = item["get"]
        yield path, operation


def test_openapi_document_describes_every_endpoint(spec):
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/search", "/meetings", "/meetings/{meeting_id}", "/speakers", "/facets"}
    jsonschema.Draft202012Validator.check_schema(spec["components"]["schemas"]["Utterance"])


def test_every_documented_parameter_is_accepted_and_the_answer_matches_the_schema(client, spec):
    checked = 0
    for path, operation in operations(spec):
        if "{" in path:
            continue
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        for parameter in operation["parameters"]:
            response = client.get("/api/v1" + path, query_string={parameter["name"]: parameter["example"]})
            assert response.status_code == 200, (path, parameter["name"], response.get_json())
            validate(spec, schema, response.get_json())
            checked += 1
    assert checked >= 30


def test_every_documented_error(client, spec):
    for path, operation in operations(spec):
        if "{" in path:
            continue
        names = {p["name"] for p in operation["parameters"]}
        error_schema = operation["responses"]["400"]["content"]["application/json"]["schema"]
        for name, value in BAD_VALUES.items():
            if name not in names:
                continue
            response = client.get("/api/v1" + path, query_string={name: value})
            assert response.status_code == 400, (path, name)
            body = response.get_json()
            validate(spec, error_schema, body)
            assert body["error"]["parameter"] == name
        unknown = client.get("/api/v1" + path, query_string={"anyy": "x"})
        assert unknown.status_code == 400 and unknown.get_json()["error"]["parameter"] == "anyy"
    missing = client.get("/api/v1/meetings/nosuchmeeting")
    assert missing.status_code == 404
    validate(
        spec,
        spec["paths"]["/meetings/{meeting_id}"]["get"]["responses"]["404"]["content"]["application/json"]["schema"],
        missing.get_json(),
    )


def test_search_answers_like_the_ndl_api_and_pages(client, sample_search):
    total = sample_search.search(SearchRequest(q="防災")).total
    first = client.get("/api/v1/search?any=防災&maximumRecords=7").get_json()
    assert (first["numberOfRecords"], first["numberOfReturn"], first["startRecord"]) == (total, 7, 1)
    assert first["nextRecordPosition"] == 8
    seen = [r["id"] for r in first["records"]]
    position = first["nextRecordPosition"]
    while position:
        page = client.get(f"/api/v1/search?any=防災&maximumRecords=7&startRecord={position}").get_json()
        seen += [r["id"] for r in page["records"]]
        position = page["nextRecordPosition"]
    assert len(seen) == len(set(seen)) == total
    record = first["records"][0]
    assert record["permalink"].endswith(f"/m/{record['meeting_id']}#u{record['seq']}")


def test_search_filters_mean_what_the_ndl_names_say(client):
    phrase = client.get("/api/v1/search", query_string={"any": '"防災センター"', "maximumRecords": 100}).get_json()
    assert phrase["records"] and all("防災センター" in r["text"] for r in phrase["records"])
    by_role = client.get("/api/v1/search?speakerRole=部長&maximumRecords=100").get_json()
    assert by_role["records"] and all(r["role"] == "部長" for r in by_role["records"])
    meeting = client.get("/api/v1/search?nameOfMeeting=防災&maximumRecords=100").get_json()
    assert meeting["records"] and all("防災" in r["committee"] for r in meeting["records"])
    dated = client.get("/api/v1/search?from=2020-01-01&until=2021-12-31&maximumRecords=100").get_json()
    assert dated["records"] and all("2020-01-01" <= r["date"] <= "2021-12-31" for r in dated["records"])
    speaker = client.get("/api/v1/search?speaker=前田&maximumRecords=100").get_json()
    assert speaker["records"] and all("前田" in r["speaker"] for r in speaker["records"])
    newest = client.get("/api/v1/search?any=防災&sort=date_desc&maximumRecords=100").get_json()
    dates = [r["date"] for r in newest["records"]]
    assert dates == sorted(dates, reverse=True)


def test_meeting_granularity_and_meeting_detail(client):
    meetings = client.get("/api/v1/meetings?any=データセンター").get_json()
    hits = client.get("/api/v1/search?any=データセンター").get_json()["numberOfRecords"]
    assert sum(r["numberOfHits"] for r in meetings["records"]) == hits
    detail = client.get(f"/api/v1/meetings/{meetings['records'][0]['meeting_id']}").get_json()
    assert detail["utterances"] and [u["seq"] for u in detail["utterances"]] == list(
        range(1, len(detail["utterances"]) + 1)
    )


def test_speakers_and_facets(client, sample_search):
    speakers = client.get("/api/v1/speakers?name=前田").get_json()
    assert speakers["records"] and all("前田" in r["speaker"] for r in speakers["records"])
    facets = client.get("/api/v1/facets?any=データセンター").get_json()
    assert facets["facets"] == sample_search.search(SearchRequest(q="データセンター")).facets


def error_of(spec, response, status: int) -> dict:
    """Check that response is the API's JSON error with status; return its error object."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:200])
    assert response.content_type == "application/json"
    body = response.get_json()
    validate(spec, {"$ref": "#/components/schemas/Error"}, body)
    assert body["error"]["request_id"] == response.headers["X-Request-Id"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body["error"]


def test_every_api_error_is_json_with_its_status(app, client, spec, sample_settings, monkeypatch):
    from search_web import create_app

    for path in ("/api/v1/nothing", "/api/v1/search/extra", "/api/v2/search", "/api/"):
        assert "not found" in error_of(spec, client.get(path), 404)["message"]
    wrong_method = client.post("/api/v1/search?any=防災")
    assert "POST" in error_of(spec, wrong_method, 405)["message"]
    assert "GET" in wrong_method.headers["Allow"]
    assert error_of(spec, client.delete("/api/v1/meetings/x"), 405)
    assert error_of(spec, client.get("/api/v1/search?sort=random"), 400)["parameter"] == "sort"
    assert error_of(spec, client.post("/api/v1/search", data="x" * 100_000), 413)
    assert error_of(spec, client.get("/api/v1/search", query_string={"any": "防" * 2000}), 414)
    limited = create_app({"TESTING": True, "DATA_DIR": str(sample_settings.data_dir), "RATE_LIMIT_PER_MINUTE": 1})
    limited_client = limited.test_client()
    assert limited_client.get("/api/v1/facets").status_code == 200
    too_many = limited_client.get("/api/v1/facets")
    assert error_of(spec, too_many, 429) and int(too_many.headers["Retry-After"]) >= 1
    monkeypatch.setattr(app.extensions["minutes_search"], "search", lambda request: 1 / 0)
    failed = error_of(spec, client.get("/api/v1/search?any=防災"), 500)
    assert "ZeroDivisionError" not in failed["message"]
    # Pages outside /api/ keep their HTML error pages.
    assert client.get("/nothing").content_type.startswith("text/html")
    assert client.get("/nothing").status_code == 404
    assert client.post("/").status_code == 405 and client.post("/").content_type.startswith("text/html")


def test_index_unavailable_is_a_json_503(tmp_path, spec):
    from search_web import create_app

    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)}).test_client()
    assert "index unavailable" in error_of(spec, client.get("/api/v1/search?any=防災"), 503)["message"]


def test_start_record_past_the_end_is_an_empty_page_with_the_right_numbers(client):
    for path in ("/api/v1/search?any=防災", "/api/v1/meetings?any=防災", "/api/v1/speakers?name="):
        total = client.get(path).get_json()["numberOfRecords"]
        assert total > 1
        for start in (total + 1, 5000):
            body = client.get(f"{path}&startRecord={start}").get_json()
            assert body == {
                "numberOfRecords": total,
                "numberOfReturn": 0,
                "startRecord": start,
                "nextRecordPosition": None,
                "records": [],
            }, path
        last = client.get(f"{path}&startRecord={total}").get_json()
        assert (last["numberOfReturn"], last["nextRecordPosition"]) == (1, None)


def test_from_after_until_is_a_400_naming_from(client, spec):
    for path in ("/api/v1/search", "/api/v1/meetings", "/api/v1/facets"):
        response = client.get(path, query_string={"any": "防災", "from": "2023-01-01", "until": "2020-01-01"})
        error = error_of(spec, response, 400)
        assert error["parameter"] == "from" and "2023-01-01" in error["message"] and "until" in error["message"]
    same_day = client.get("/api/v1/search", query_string={"from": "2020-09-15", "until": "2020-09-15"})
    assert same_day.status_code == 200 and same_day.get_json()["numberOfRecords"] > 0
