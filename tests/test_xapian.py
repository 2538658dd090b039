"""The Xapian backend against the Whoosh one: the sample, filed under two bodies so that both shards hold
documents, written by `minutes index` and `minutes xapian-build --shards 2`, the shards served by two
`xapian-tcpsrv` processes on 127.0.0.1. Every query kind the parser writes, in every matching mode, and the
evaluation queries must give the same totals and facet counts on both, and mostly the same top hits; the
pages, exports and the API must work with the app configured to use Xapian."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.index.generations import IndexUnavailable
from indexer.records import Meeting, Utterance
from indexer.search import aggregates
from indexer.search.backends import open_backend
from indexer.search.engine import FACET_FIELDS, SearchRequest
from indexer.search.query import MODES, QueryError
from indexer.settings import Settings
from indexer.store.record_store import RecordStore

xapian = pytest.importorskip("xapian", reason="the Xapian bindings are not installed: pip install 'minutes[xapian]'")
if shutil.which("xapian-tcpsrv") is None:
    pytest.skip("xapian-tcpsrv is not installed: apt-get install xapian-tools", allow_module_level=True)

from test_equivalence import QUERY_KINDS  # noqa: E402

from indexer.index.xapian_build import shard_dirs, shard_of  # noqa: E402  (needs the bindings)
from indexer.search.xapian_engine import XapianIndex  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIRST_BODY, SECOND_BODY = "みどり市", "さくら市"  # crc32 puts them on different shards of two
GAPS = Meeting(
    id="gaps0000001",
    url="https://www.city.sakura.example.jp/gaps.html",
    title="第1回さくら市会議運営協議会",
    committee="さくら市会議運営協議会",
    date=date(2024, 5, 1),
    body=SECOND_BODY,
    utterances=[
        Utterance("gaps0000001", 1, "委員", "佐藤一郎", "本日会議室に集まりました。"),  # 本日|会議 adjacent: no gap
        Utterance("gaps0000001", 2, "委員", "佐藤一郎", "本日その会議で決めます。"),  # a word in the gap
        Utterance("gaps0000001", 3, "事務局", None, "本日は会議を開きます。"),  # a particle in the gap
    ],
)
UNDATED = Meeting(
    id="undated0001",
    url="https://www.example.jp/undated.html",
    title="日付のない会議録",
    committee="さくら市会議運営協議会",
    utterances=[Utterance("undated0001", 1, "委員", None, "本日の会議の記録です。")],
)


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"xapian_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(sample_settings, tmp_path_factory) -> Settings:
    """The sample's records, every other meeting filed under a second body, plus a meeting of gaps and an
    undated one without a body; indexed by Whoosh and written into two Xapian shards by the CLI."""
    settings = Settings(tmp_path_factory.mktemp("xapian-data"))
    store = RecordStore(settings.records_dir)
    for i, meeting in enumerate(sorted(RecordStore(sample_settings.records_dir), key=lambda m: m.id)):
        meeting.body = SECOND_BODY if i % 2 else FIRST_BODY
        store.save(meeting)
    store.save(GAPS)
    store.save(UNDATED)
    runner = CliRunner()
    for args in (["index", "--procs", "1"], ["xapian-build", "--shards", "2"]):
        result = runner.invoke(main, ["--data-dir", str(settings.data_dir), *args])
        assert result.exit_code == 0, (args, result.output, result.exception)
    return settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(path: Path, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """Start xapian-tcpsrv on a free port (or the one given) of 127.0.0.1 and wait until it accepts connections."""
    for _ in range(5):
        port = port or _free_port()
        server = subprocess.Popen(
            ["xapian-tcpsrv", "--interface", "127.0.0.1", "--port", str(port), str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: teardown stops the connection children too
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return server, port
            except OSError:
                time.sleep(0.05)
        _stop(server)
    raise RuntimeError(f"xapian-tcpsrv did not start for {path}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def shard_servers(corpus):
    """Two xapian-tcpsrv processes, one per shard: "127.0.0.1:P1,127.0.0.1:P2"."""
    shards = shard_dirs(corpus.xapian_dir)
    assert len(shards) == 2
    servers = []
    try:
        for path in shards:
            servers.append(_serve(path))
        yield ",".join(f"127.0.0.1:{port}" for _, port in servers)
    finally:
        for server, _ in servers:
            _stop(server)


@pytest.fixture(scope="module")
def whoosh(corpus):
    engine = open_backend(corpus, "whoosh")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def remote(corpus, shard_servers):
    """The Xapian backend over the two shard servers."""
    engine = open_backend(corpus, "xapian", shards=shard_servers.split(","))
    yield engine
    engine.close()


def _same_totals_and_facets(whoosh, remote, request: SearchRequest):
    expected, found = whoosh.search(request), remote.search(request)
    assert found.total == expected.total, request
    assert found.facets == expected.facets, request
    assert set(found.facets) == set(FACET_FIELDS)
    assert (found.rescue and found.rescue.to_json()) == (expected.rescue and expected.rescue.to_json()), request
    return expected, found


def _overlap(expected, found) -> float:
    ours, theirs = {(h.meeting_id, h.seq) for h in found.hits}, {(h.meeting_id, h.seq) for h in expected.hits}
    return len(ours & theirs) / len(theirs) if theirs else 1.0


def test_the_bodies_go_to_different_shards_each_served_by_its_own_server(corpus, whoosh, remote):
    assert shard_of(FIRST_BODY, 2) != shard_of(SECOND_BODY, 2)
    sizes = [xapian.Database(str(path)).get_doccount() for path in shard_dirs(corpus.xapian_dir)]
    every = sum(len(remote.meeting_documents(m["meeting_id"])) for m in remote.all_meetings())
    assert all(sizes) and sum(sizes) == every == whoosh.search(SearchRequest(q="")).total
    name, problem = remote.check()
    assert problem is None and name.count("127.0.0.1:") == 2
    assert remote.bodies() == whoosh.bodies()
    assert {body for body, _ in remote.bodies()} == {FIRST_BODY, SECOND_BODY, ""}


def _meetings(engine) -> list[tuple[str, str]]:
    return [(m["meeting_id"], m["date"]) for m in engine.all_meetings() if m["meeting_id"] != GAPS.id]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", sorted(QUERY_KINDS))
def test_every_query_kind_gives_the_same_totals_and_facets(whoosh, remote, kind, mode):
    _same_totals_and_facets(whoosh, remote, SearchRequest(q=QUERY_KINDS[kind], mode=mode))


def _evaluation_queries() -> list[tuple[str, str, bool]]:
    """(query, mode, expand) of scripts/eval_relevance.py: its 50 queries in its three configurations, and the
    judged topics as typed and in their spaced form."""
    script = _load_script("eval_relevance")
    queries = [(q, mode, expand) for q, _, _ in script.QUERIES for mode, expand in script.CONFIGS.values()]
    judged = json.loads(script.JUDGMENTS_PATH.read_text(encoding="utf-8"))["queries"]
    for topic in judged:
        queries += [(topic["natural"], "final", True), (topic["spaced"], "final", True)]
    return queries


def test_the_evaluation_queries_give_the_same_totals_facets_and_mostly_the_same_top_hits(whoosh, remote):
    answered, overlaps = 0, []
    for q, mode, expand in _evaluation_queries():
        expected, found = _same_totals_and_facets(whoosh, remote, SearchRequest(q=q, mode=mode, expand=expand))
        if expected.total:
            answered += 1
            overlaps.append(_overlap(expected, found))
    assert answered >= 20, f"only {answered} evaluation queries find anything in the sample"
    assert sum(1 for o in overlaps if o >= 0.7) >= 0.9 * len(overlaps), overlaps  # of the first 20


def test_the_query_kinds_mostly_share_their_top_ten(whoosh, remote):
    overlaps = []
    for q in QUERY_KINDS.values():
        expected, found = whoosh.search(SearchRequest(q=q)), remote.search(SearchRequest(q=q))
        if expected.total:
            overlaps.append(_overlap(expected, found))
    assert sum(1 for o in overlaps if o >= 0.7) >= 0.9 * len(overlaps), overlaps  # of the first 20


def test_a_gap_left_by_a_particle_is_checked_exactly(whoosh, remote):
    request = SearchRequest(q="本日の会議", mode="janome")  # 本日 then 会議 two positions on, anything between
    found = remote.search(SearchRequest(q="本日の会議", mode="janome", limit=100))
    gaps = {h.seq for h in found.hits if h.meeting_id == GAPS.id}
    assert gaps == {2, 3}, "本日会議室 has the words in order within the span but not at the gap"
    assert set(remote.ranked_ids(request)) == set(whoosh.ranked_ids(request))


FILTERED = [
    SearchRequest(q="防災", roles=["委員"]),
    SearchRequest(q="会議", committees=["さくら市会議運営協議会"]),
    SearchRequest(q="会議", bodies=[SECOND_BODY]),
    SearchRequest(q="会議", bodies=[FIRST_BODY, SECOND_BODY], years=["2023"]),
    SearchRequest(q="", years=["2024"]),
    SearchRequest(q="会議", months=["2024-05"]),
    SearchRequest(q="本日", date_from=date(2023, 1, 1), date_until=date(2024, 12, 31)),
    SearchRequest(q="本日", date_until=date(2022, 12, 31)),
    SearchRequest(q="", speaker="佐藤"),
    SearchRequest(q="会議 speaker:佐藤"),
    SearchRequest(q="会議 role:委員 -year:2023"),
    SearchRequest(q="", committee_like="運営"),
    SearchRequest(q="防災", roles=["市長"], years=["1999"]),  # nothing: the rescue counts what the filters excluded
    SearchRequest(q="防災 qzxqv"),  # the best partial match, the word left out
]


@pytest.mark.parametrize("request_", FILTERED, ids=lambda r: repr(r.q) + str(r)[13:60])
def test_filters_match_the_same_utterances(whoosh, remote, request_):
    _same_totals_and_facets(whoosh, remote, request_)
    assert sorted(remote.ranked_ids(request_)) == sorted(whoosh.ranked_ids(request_))


@pytest.mark.parametrize("sort", ["date_desc", "date_asc"])
def test_sorting_by_date_gives_the_same_order(whoosh, remote, sort):
    for q in ("会議", "本日", ""):
        request = SearchRequest(q=q, sort=sort, limit=100)
        expected, found = whoosh.search(request), remote.search(request)
        assert [(h.date, h.seq) for h in found.hits] == [(h.date, h.seq) for h in expected.hits]
        assert {(h.meeting_id, h.seq) for h in found.hits} == {(h.meeting_id, h.seq) for h in expected.hits}
    last = remote.search(SearchRequest(q="本日の記録", sort=sort, limit=100)).hits
    assert last and last[-1].date == "", "an undated meeting comes last in either order"


def test_lists_counts_and_documents_agree(whoosh, remote):
    request = SearchRequest(q="防災")
    assert aggregates.trend(remote, request, split="committee") == aggregates.trend(whoosh, request, split="committee")
    assert aggregates.trend(remote, request, period="month", split="body") == aggregates.trend(
        whoosh, request, period="month", split="body"
    )
    assert aggregates.grouped_by_meeting(remote, request)[0] == aggregates.grouped_by_meeting(whoosh, request)[0]
    assert remote.speakers() == whoosh.speakers() and remote.speakers("佐藤") == whoosh.speakers("佐藤")
    name = remote.speakers()[0][0]
    assert aggregates.speaker_profile(remote, name)["total"] == aggregates.speaker_profile(whoosh, name)["total"]
    assert [m["meeting_id"] for m in remote.all_meetings()][-1] == UNDATED.id
    assert sorted(m["meeting_id"] for m in remote.all_meetings()) == sorted(
        m["meeting_id"] for m in whoosh.all_meetings()
    )
    ids = [mid for mid, _ in _meetings(whoosh)][:5]
    assert remote.meeting_headers(ids) == whoosh.meeting_headers(ids)
    for mid in ids[:3]:
        assert remote.meeting_documents(mid) == whoosh.meeting_documents(mid)
        ours, theirs = remote.meeting_documents(mid, tokens=True), whoosh.meeting_documents(mid, tokens=True)
        assert [d["_tokens"] for d in ours] == [d["_tokens"] for d in theirs]  # highlights agree
    for q in ("データセンター", "防災 計画", '"本日の会議"', "DX"):
        snippets = {(h.meeting_id, h.seq): h.snippet for h in whoosh.search(SearchRequest(q=q, limit=100)).hits}
        for hit in remote.search(SearchRequest(q=q, limit=100)).hits:
            assert hit.snippet == snippets[(hit.meeting_id, hit.seq)], q  # the same words marked


def test_a_shard_that_does_not_answer_makes_the_index_unavailable(corpus):
    engine = XapianIndex([f"127.0.0.1:{_free_port()}"])
    with pytest.raises(IndexUnavailable):
        engine.search(SearchRequest(q="会議"))
    with pytest.raises(QueryError):
        engine.search(SearchRequest(q='"unclosed'))  # a bad query is still the person's to fix


def test_a_shard_server_that_comes_back_is_reconnected(corpus, whoosh):
    servers = [_serve(path) for path in shard_dirs(corpus.xapian_dir)]
    engine = XapianIndex([f"127.0.0.1:{port}" for _, port in servers])
    try:
        assert engine.search(SearchRequest(q="会議")).total == whoosh.search(SearchRequest(q="会議")).total
        first, port = servers[0]
        _stop(first)
        with pytest.raises(IndexUnavailable):
            engine.search(SearchRequest(q="防災"))
        servers[0] = _serve(shard_dirs(corpus.xapian_dir)[0], port)
        assert engine.search(SearchRequest(q="防災")).total == whoosh.search(SearchRequest(q="防災")).total
    finally:
        engine.close()
        for server, _ in servers:
            _stop(server)


def test_a_replica_answers_for_a_shard_whose_first_server_is_down(whoosh, shard_servers):
    down = f"127.0.0.1:{_free_port()}"
    engine = XapianIndex([f"{down}|{shard}" for shard in shard_servers.split(",")])
    try:
        assert engine.search(SearchRequest(q="会議")).total == whoosh.search(SearchRequest(q="会議")).total
    finally:
        engine.close()


def test_the_cli_searches_either_backend(corpus, shard_servers):
    runner = CliRunner()
    totals = []
    for backend in (
        ["--backend", "whoosh"],
        ["--backend", "xapian", "--xapian-shards", shard_servers],
        ["--backend", "xapian"],
    ):
        result = runner.invoke(main, ["--data-dir", str(corpus.data_dir), "search", "防災", "--json", *backend])
        assert result.exit_code == 0, result.output
        totals.append(json.loads(result.output)["total"])
    assert totals[0] > 0 and len(set(totals)) == 1, totals


# ---------------------------------------------------------------- the web app on Xapian


@pytest.fixture(scope="module")
def clients(corpus, shard_servers):
    """(Whoosh app, Xapian app) test clients over the same records."""
    from search_web import create_app

    common = {"TESTING": True, "DATA_DIR": str(corpus.data_dir), "RATE_LIMIT_PER_MINUTE": 0, "WARM_AHEAD": False}
    whoosh_app = create_app(common)
    xapian_app = create_app({**common, "BACKEND": "xapian", "XAPIAN_SHARDS": shard_servers})
    assert type(xapian_app.extensions["minutes_search"]).__name__ == "XapianIndex"
    yield whoosh_app.test_client(), xapian_app.test_client()
    for app in (whoosh_app, xapian_app):
        app.extensions["minutes_search"].close()


def test_the_app_reads_the_backend_from_the_environment(corpus, shard_servers, monkeypatch):
    from search_web import create_app

    monkeypatch.setenv("MINUTES_BACKEND", "xapian")
    monkeypatch.setenv("MINUTES_XAPIAN_SHARDS", shard_servers)
    app = create_app({"TESTING": True, "DATA_DIR": str(corpus.data_dir)})
    try:
        assert isinstance(app.extensions["minutes_search"], XapianIndex)
        assert app.extensions["minutes_search"].name == "xapian:" + shard_servers
    finally:
        app.extensions["minutes_search"].close()


@pytest.mark.parametrize(
    "query",
    [
        {"any": "防災"},
        {"any": "会議", "speakerRole": "委員", "sort": "date_desc", "maximumRecords": "5", "startRecord": "3"},
        {"any": "会議", "body": SECOND_BODY, "from": "2023-01-01", "until": "2024-12-31"},
        {"speaker": "佐藤", "nameOfMeeting": "運営"},
        {"any": "DX", "expand": "false"},
    ],
)
def test_the_ndl_style_api_answers_alike(clients, query):
    whoosh_client, xapian_client = clients
    for path in ("/api/v1/search", "/api/v1/meetings", "/api/v1/facets"):
        expected, found = whoosh_client.get(path, query_string=query), xapian_client.get(path, query_string=query)
        assert found.status_code == expected.status_code == 200, (path, found.get_data(as_text=True))
        ours, theirs = found.get_json(), expected.get_json()
        assert ours["numberOfRecords"] == theirs["numberOfRecords"], (path, query)
        if path == "/api/v1/facets":
            assert ours == theirs
        elif query.get("sort") == "date_desc":
            assert [r["date"] for r in ours["records"]] == [r["date"] for r in theirs["records"]]


def test_the_meeting_api_and_pages_work_on_xapian(clients):
    whoosh_client, xapian_client = clients
    mid = next(m for m in xapian_client.get("/api/v1/meetings").get_json()["records"] if m["meeting_id"] != GAPS.id)[
        "meeting_id"
    ]
    assert (
        xapian_client.get(f"/api/v1/meetings/{mid}").get_json()
        == whoosh_client.get(f"/api/v1/meetings/{mid}").get_json()
    )
    assert xapian_client.get("/api/v1/meetings/nosuchmeeting").status_code == 404
    assert (
        xapian_client.get("/api/v1/speakers?name=佐藤").get_json()
        == whoosh_client.get("/api/v1/speakers?name=佐藤").get_json()
    )
    records = xapian_client.get("/api/v1/search", query_string={"any": "防災"}).get_json()["records"]
    hit = next(r for r in records if r["seq"] > 0)
    for path in (
        f"/m/{hit['meeting_id']}?q=防災",
        f"/m/{hit['meeting_id']}/u/{hit['seq']}?q=防災",
        f"/m/{hit['meeting_id']}/u/{hit['seq']}/cite.txt",
        "/?q=防災",
        "/?q=防災&view=meeting",
        "/?q=防災&view=kwic&split=body",
        "/?q=防災&role=委員&year=2023",
        "/trend.svg?q=防災",
        "/feed?q=防災",
        "/speakers",
        "/bodies",
        "/meetings",
        "/sitemap.xml",
    ):
        found, expected = xapian_client.get(path), whoosh_client.get(path)
        assert found.status_code == expected.status_code == 200, (path, found.status_code)
        ours, theirs = found.get_data(as_text=True), expected.get_data(as_text=True)
        if path.endswith("cite.txt") or "/u/" in path or path == "/bodies":
            assert ours == theirs, path
        elif path in ("/meetings", "/sitemap.xml"):  # meetings of one date may come in another order
            assert sorted(ours.split("<")) == sorted(theirs.split("<")), path
    page = xapian_client.get(f"/m/{hit['meeting_id']}?q=防災").get_data(as_text=True)
    assert "<mark>防災</mark>" in page


@pytest.mark.parametrize("query", ["q=防災", "q=会議&sort=date_desc", "q=本日&body=さくら市", "q=&year=2023"])
def test_exports_hold_the_same_rows(clients, query):
    whoosh_client, xapian_client = clients
    for path in ("/export.csv", "/export.json"):
        answers = []
        for client in (xapian_client, whoosh_client):  # each stream read to its end before the next request
            response = client.get(f"{path}?{query}")
            assert response.status_code == 200
            answers.append(response.get_data(as_text=True))
        if path.endswith(".json"):
            ours, theirs = json.loads(answers[0]), json.loads(answers[1])
            assert ours["total"] == theirs["total"] and ours["count"] == theirs["count"]
            assert sorted(json.dumps(r, sort_keys=True) for r in ours["records"]) == sorted(
                json.dumps(r, sort_keys=True) for r in theirs["records"]
            )
        else:
            ours_rows, theirs_rows = (list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")))) for text in answers)
            key = lambda r: (r["meeting_id"], r["seq"])
            assert sorted(ours_rows, key=key) == sorted(theirs_rows, key=key)


def test_a_capped_export_says_how_many_matched(corpus, shard_servers):
    from search_web import create_app

    app = create_app(
        {"TESTING": True, "DATA_DIR": str(corpus.data_dir), "BACKEND": "xapian", "XAPIAN_SHARDS": shard_servers}
    )
    app.config["EXPORT_CAP"] = 3
    try:
        data = json.loads(app.test_client().get("/export.json?q=会議").get_data(as_text=True))
        assert data["count"] == 3 and data["truncated"] and data["total"] > 3
    finally:
        app.extensions["minutes_search"].close()


def test_without_shards_the_pages_say_to_build_them(tmp_path):
    from search_web import create_app

    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "BACKEND": "xapian"}).test_client()
    page = client.get("/?q=会議")
    assert page.status_code == 503 and "minutes xapian-build" in page.get_data(as_text=True)
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "search", "会議", "--backend", "xapian"])
    assert result.exit_code == 1 and "minutes xapian-build" in result.output


def test_the_web_app_says_when_the_shards_do_not_answer(corpus):
    from search_web import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(corpus.data_dir),
            "BACKEND": "xapian",
            "XAPIAN_SHARDS": f"127.0.0.1:{_free_port()}",
        }
    )
    client = app.test_client()
    assert client.get("/?q=会議").status_code == 503
    assert client.get("/api/v1/search?any=会議").status_code == 503


def _shard_contents(xapian_dir: Path) -> list[list[tuple]]:
    """Return every shard's documents in docid order: doc id, length, terms with positions, and values."""
    import xapian

    shards = []
    for path in shard_dirs(xapian_dir):
        db = xapian.Database(str(path))
        docs = []
        for docid in range(1, db.get_lastdocid() + 1):
            doc = db.get_document(docid)
            terms = tuple((t.term, t.wdf, tuple(t.positer)) for t in doc.termlist())
            docs.append((db.get_doclength(docid), terms, tuple((v.num, v.value) for v in doc.values())))
        shards.append(docs)
    return shards


def test_a_build_in_parallel_writes_the_same_shards_as_one_process(corpus, tmp_path):
    from indexer.index.kept import AnalysisStore
    from indexer.index.xapian_build import build_xapian

    meetings = sorted(RecordStore(corpus.records_dir), key=lambda m: m.id)
    built = {}
    for procs in (1, 3):
        with AnalysisStore(corpus.analysis_dir) as analysis:
            report = build_xapian(meetings, tmp_path / f"procs-{procs}", shards=2, analysis=analysis, procs=procs)
        built[procs] = (report.documents, report.shards, _shard_contents(tmp_path / f"procs-{procs}"))
    assert built[1][0] == sum(built[1][1]) > 0
    assert built[3] == built[1]


def test_a_failed_parallel_build_keeps_the_shards_that_were_there(corpus, tmp_path):
    from indexer.index.xapian_build import build_xapian

    meetings = sorted(RecordStore(corpus.records_dir), key=lambda m: m.id)
    build_xapian(meetings, tmp_path, shards=2, procs=2)
    before = _shard_contents(tmp_path)

    class Failing(list):
        def __getitem__(self, position):
            if position == 3:
                raise OSError("a record could not be read")
            return super().__getitem__(position)

    with pytest.raises(OSError, match="could not be read"):
        build_xapian(Failing(meetings), tmp_path, shards=2, procs=2)
    assert _shard_contents(tmp_path) == before
    assert not (tmp_path / ".building").exists()


def test_warming_reads_local_shards_ahead_and_leaves_servers_alone(corpus, remote):
    local = open_backend(corpus, "xapian")
    files = [p for shard in shard_dirs(corpus.xapian_dir) for p in shard.iterdir() if p.is_file()]
    assert local.warm() == sum(p.stat().st_size for p in files) > 0
    assert remote.warm() == 0
    local.close()


def test_each_utterance_keeps_the_profile_its_text_has(corpus):
    import xapian

    from indexer.index.xapian_build import SLOT_FIELDS, SLOT_TOPIC, unpack_fields, unpack_topic
    from indexer.text import topical

    checked = 0
    for path in shard_dirs(corpus.xapian_dir):
        db = xapian.Database(str(path))
        for docid in range(1, db.get_lastdocid() + 1):
            doc = db.get_document(docid)
            doc_id, fields = unpack_fields(doc.get_value(SLOT_FIELDS))
            if fields.get("kind") == "meeting":
                assert doc.get_value(SLOT_TOPIC) == b""
                continue
            assert unpack_topic(doc.get_value(SLOT_TOPIC)) == (
                doc_id,
                topical.profile(fields["text"], fields.get("role")),
            )
            checked += 1
    assert checked > 100


def test_a_build_keeps_the_shard_count_and_waits_for_no_other_run(corpus, tmp_path):
    from indexer.pipeline import run_lock

    settings = Settings(tmp_path)
    shutil.copytree(corpus.records_dir, settings.records_dir)
    runner = CliRunner()
    first = runner.invoke(main, ["--data-dir", str(tmp_path), "xapian-build", "--shards", "3", "--procs", "1"])
    assert first.exit_code == 0 and "3 shards" in first.output, first.output
    again = runner.invoke(main, ["--data-dir", str(tmp_path), "xapian-build", "--procs", "1"])
    assert again.exit_code == 0 and "3 shards" in again.output, again.output
    with run_lock(settings):
        blocked = runner.invoke(main, ["--data-dir", str(tmp_path), "xapian-build"])
    assert blocked.exit_code == 75 and len(shard_dirs(settings.xapian_dir)) == 3


@pytest.mark.parametrize("query", ["会議", "予算 委員", "role:委員長"])
def test_counts_by_one_field_after_a_search_are_the_full_passes(corpus, whoosh, query):
    request = SearchRequest(q=query, date_from=date(2000, 1, 1))
    for field in ("year", "role", "committee", "body"):
        counted = open_backend(corpus, "xapian").counts(request, (field,))  # its own pass over every match
        searched = open_backend(corpus, "xapian")
        searched.search(request)
        searched._matched = lambda *_: pytest.fail("the search's own counts were not used")
        assert searched.counts(request, (field,)) == counted == whoosh.counts(request, (field,)), field


def test_the_shards_in_this_process_answer_as_the_servers_do(corpus, remote):
    local = open_backend(corpus, "xapian")
    requests = [SearchRequest(q=q, mode=mode, expand=expand) for q, mode, expand in _evaluation_queries()]
    requests += [SearchRequest(q="会議", sort=sort, offset=3) for sort in ("relevance", "date_desc", "date_asc")]
    for request in requests:
        here, there = local.search(request), remote.search(request)
        assert (here.total, here.facets) == (there.total, there.facets), request
        assert [(h.meeting_id, h.seq, h.snippet) for h in here.hits] == [
            (h.meeting_id, h.seq, h.snippet) for h in there.hits
        ]
    local.close()
