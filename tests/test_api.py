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
