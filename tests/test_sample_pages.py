"""Every bundled sample page parses into exactly the turns its generator wrote."""

from collections import Counter

import pytest

from indexer.parse.page import parse_minutes
from tests.conftest import SAMPLE_DIR


@pytest.fixture(scope="module")
def pages(sample_generator):
    return sample_generator.build_pages()


def test_committed_sample_matches_its_generator(pages):
    on_disk = sorted(p.name for p in SAMPLE_DIR.glob("*.html"))
    assert on_disk == sorted(p.name for p in pages)
    for page in pages:
        assert (SAMPLE_DIR / page.name).read_bytes() == page.encoded(), page.name


def test_sample_is_varied_enough(pages):
    assert len(pages) >= 30
    assert len({p.committee for p in pages}) >= 4
    assert len({p.date[:4] for p in pages}) >= 6
    eras = {"平成" if p.date < "2019-05-01" else "令和" for p in pages}
    assert eras == {"平成", "令和"}
    assert len({p.layout for p in pages}) >= 2
    assert {"shift_jis", "euc-jp"} <= {p.encoding for p in pages}


def test_each_page_parses_into_its_turns(pages):
    for page in pages:
        meeting = parse_minutes((SAMPLE_DIR / page.name).read_bytes(), (SAMPLE_DIR / page.name).as_uri())
        assert meeting.date.isoformat() == page.date, page.name
        assert meeting.committee == page.committee, page.name
        assert meeting.title == page.title, page.name
        spoken = [u for u in meeting.utterances if u.role]
        expected = ["".join(t.sentences) for t in page.turns]
        if page.layout == "layout_council":
            # A stage direction belongs to the speech before it; the closing time stamp does not.
            expected[-1] += "\n〔「異議なし」と呼ぶ者あり〕"
            assert meeting.utterances[-1].role is None and meeting.utterances[-1].text.endswith("散会")
        assert [u.text for u in spoken] == expected, page.name
        for utterance, turn in zip(spoken, page.turns):
            # Council pages answer by department heads (部長); other layouts by 事務局.
            expected_role = turn.role
            if page.layout == "layout_headings" and turn.role == "委員長":
                expected_role = "会長"
            if page.layout == "layout_council" and turn.role == "事務局":
                expected_role = "部長"
            assert utterance.role == expected_role, (page.name, utterance)
            if page.layout == "layout_council" and turn.role != "事務局":
                assert utterance.speaker.startswith(turn.name), (page.name, utterance)


def test_label_styles_across_the_sample(pages):
    labels = Counter()
    for page in pages:
        meeting = parse_minutes((SAMPLE_DIR / page.name).read_bytes(), "file:///x/" + page.name)
        for u in meeting.utterances:
            if u.label:
                labels[page.layout] += 1
    assert len(labels) >= 4
