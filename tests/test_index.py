"""Index build, the atomic switch between generations, and version checks."""

import json
from datetime import date

import pytest

from indexer.index.build import build_index
from indexer.index.generations import (
    CURRENT_FILE,
    VERSION_FILE,
    IndexUnavailable,
    current_generation,
    generations,
    open_generation,
)
from indexer.records import Meeting, Utterance
from indexer.search.engine import SearchIndex, SearchRequest


def meeting(n: int, text: str = "防災訓練について伺います。") -> Meeting:
    mid = f"m{n:03d}"
    return Meeting(
        id=mid,
        url=f"https://example.jp/{n}",
        title=f"第{n}回防災会議",
        committee="防災会議",
        meeting_name=f"第{n}回防災会議",
        date=date(2020, 1, n),
        utterances=[Utterance(mid, 1, "委員", "山田", text)],
    )


def test_build_writes_a_complete_generation_and_points_current_at_it(tmp_path):
    report = build_index([meeting(1), meeting(2)], tmp_path)
    assert current_generation(tmp_path) == report.generation
    version = json.loads((tmp_path / report.generation / VERSION_FILE).read_text())
    assert version["meetings"] == 2 and version["documents"] == 4
    ix, name = open_generation(tmp_path)
    assert name == report.generation and ix.doc_count() == 4
    ix.close()


def test_a_failed_build_leaves_the_previous_generation_current(tmp_path):
    first = build_index([meeting(1)], tmp_path)

    def broken():
        yield meeting(2)
        raise RuntimeError("parser crashed mid-build")

    with pytest.raises(RuntimeError):
        build_index(broken(), tmp_path)
    assert current_generation(tmp_path) == first.generation
    assert generations(tmp_path) == [first.generation]
    assert not list(tmp_path.glob("*.building"))
    engine = SearchIndex(tmp_path)
    assert engine.search(SearchRequest(q="防災")).total == 2  # header + utterance of meeting 1
    engine.close()


def test_leftovers_of_a_killed_build_are_removed_by_the_next_build(tmp_path):
    (tmp_path / "gen-20000101T000000000000Z.building").mkdir(parents=True)
    build_index([meeting(1)], tmp_path)
    assert not list(tmp_path.glob("*.building"))


def test_old_generations_are_pruned_but_current_is_kept(tmp_path):
    names = [build_index([meeting(i)], tmp_path, keep=2).generation for i in (1, 2, 3)]
    assert generations(tmp_path) == names[1:]
    assert current_generation(tmp_path) == names[-1]


def test_a_reader_switches_to_the_new_generation_on_its_next_search(tmp_path):
    build_index([meeting(1)], tmp_path)
    engine = SearchIndex(tmp_path)
    assert engine.search(SearchRequest(q="予算")).total == 0
    build_index([meeting(1), meeting(2, "予算の執行状況を伺います。")], tmp_path)
    assert engine.search(SearchRequest(q="予算")).total == 1
    engine.close()


def test_missing_or_incompatible_index_gives_a_clear_error(tmp_path):
    with pytest.raises(IndexUnavailable, match="minutes index"):
        open_generation(tmp_path)
    report = build_index([meeting(1)], tmp_path)
    version_file = tmp_path / report.generation / VERSION_FILE
    version = json.loads(version_file.read_text())
    version["analyzer_version"] = "something-older"
    version_file.write_text(json.dumps(version))
    with pytest.raises(IndexUnavailable, match="analyzer"):
        open_generation(tmp_path)
    (tmp_path / CURRENT_FILE).write_text("gen-missing\n")
    with pytest.raises(IndexUnavailable, match="incomplete"):
        open_generation(tmp_path)


def test_meeting_headers_come_from_the_live_header_after_a_sync(tmp_path):
    from indexer.index.build import sync_index
    from indexer.store.record_store import RecordStore

    store = RecordStore(tmp_path / "records")
    for n in (1, 2):
        store.save(meeting(n))
    build_index(store, tmp_path / "index")
    changed = meeting(1)
    changed.title = "第1回防災会議（改題）"
    store.save(changed)
    assert sync_index(store, tmp_path / "index").updated == 1
    engine = SearchIndex(tmp_path / "index")
    headers = engine.meeting_headers(["m001", "m002", "m999"])
    assert headers["m001"]["title"] == "第1回防災会議（改題）" and headers["m002"]["title"] == "第2回防災会議"
    assert "m999" not in headers
    engine.close()
