"""What the tests of the hosted systems' adapters share: a profile of a fake system, and the runs every adapter
must get right (a re-crawl, a changed or silently corrected sitting, robots.txt, 429, the `minutes` command),
each system's own requests checked in its own test file."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from indexer.crawl.profiles import SiteProfile
from indexer.pipeline import RunSummary, crawl, reindex
from indexer.records import Meeting
from indexer.settings import Settings
from indexer.store.record_store import RecordStore
from search_web.cli import main
from tests.conftest import search_total

# A fake answers at once: no delay, a short timeout, one quick retry.
FAST = dict(delay_seconds=0, timeout_seconds=5, retries=1, backoff_seconds=0.01)


def profile_of(site: dict, fake, **overrides) -> SiteProfile:
    """Return a profile of site (name, kind, tenant, body, permission …) on a fake: years 2024 and 2025, fetched
    fast, then the overrides."""
    return SiteProfile(**{"base_url": fake.base, "years": [2024, 2025], **FAST, **site, **overrides})


def records_of(settings: Settings) -> dict[str, Meeting]:
    """Return the stored meetings by url."""
    return {m.url: m for m in RecordStore(settings.records_dir)}


def crawled_meetings(settings: Settings, summary: RunSummary, body: str) -> dict[str, Meeting]:
    """Return the stored meetings by url, having checked that the run made four, indexed each, and filed every
    one under the profile's body."""
    meetings = records_of(settings)
    assert len(meetings) == 4 and summary.meetings_changed == 4
    assert {m.body for m in meetings.values()} == {body}  # the profile's body, on every meeting
    return meetings


def reindex_unchanged(fake, profile: SiteProfile, settings: Settings) -> None:
    """Reindex twice, nothing changed between: the second run must find nothing new, parse nothing, keep the
    index's generation and leave every record's file alone; fake.requests then holds its requests."""
    first = reindex(settings, [profile])
    mtimes = {p: p.stat().st_mtime_ns for p in settings.records_dir.glob("*.json")}
    fake.requests.clear()
    second = reindex(settings, [profile])
    assert second.new == 0 and second.changed == 0 and second.parsed == 0 and not second.failed
    assert second.meetings_changed == 0 and second.generation == first.generation
    assert {p: p.stat().st_mtime_ns for p in settings.records_dir.glob("*.json")} == mtimes


def reindex_one_changed(
    fake, profile: SiteProfile, settings: Settings, change: Callable[[], None], url: str
) -> Meeting:
    """Reindex, change one sitting on the fake (its text, and its listing entry), and reindex again: that sitting
    alone must be fetched, parsed and re-indexed, its new words (水道料金) found; return its meeting (at url).
    fake.requests then holds the second run's requests."""
    first = reindex(settings, [profile])
    change()
    fake.requests.clear()
    again = reindex(settings, [profile])
    assert again.changed == 1 and again.new == 0 and again.parsed == 1 and again.meetings_changed == 1
    meeting = records_of(settings)[url]
    assert again.utterances_indexed == len(meeting.utterances) and again.generation != first.generation
    assert search_total(settings, "水道料金") == 1
    return meeting


def recheck_a_silent_correction(
    fake, profile_for: Callable[..., SiteProfile], settings: Settings, correct: Callable[[], None], recrawl: list
) -> None:
    """Reindex, correct one sitting's text on the fake while its listing says nothing (correct()), and reindex:
    the run makes the recrawl requests and misses it; with recheck_days=0 a run fetches every stored sitting
    again and re-indexes that one alone, its new words (特集号) found. fake.requests then holds its requests."""
    reindex(settings, [profile_for(fake)])
    correct()
    fake.requests.clear()
    unnoticed = reindex(settings, [profile_for(fake)])  # the listing says nothing: not fetched yet
    assert fake.calls() == recrawl and unnoticed.changed == 0
    fake.requests.clear()
    rechecked = reindex(settings, [profile_for(fake, recheck_days=0)])  # every stored sitting is due
    assert rechecked.changed == 1 and rechecked.parsed == 1 and rechecked.meetings_changed == 1
    assert search_total(settings, "特集号") == 1


def reindex_renamed(fake, profile_for: Callable[..., SiteProfile], settings: Settings, recrawl: list) -> None:
    """Reindex, then again with the profile's body renamed: every meeting is parsed again and filed under the
    new name, and no sitting is fetched (the run makes the recrawl requests)."""
    reindex(settings, [profile_for(fake)])
    fake.requests.clear()
    renamed = reindex(settings, [profile_for(fake, body="桜ヶ丘市")])
    assert fake.calls() == recrawl and renamed.parsed == 4 and renamed.meetings_changed == 4
    assert {m.body for m in RecordStore(settings.records_dir)} == {"桜ヶ丘市"}


def refused(settings: Settings, profile: SiteProfile, disallowed: str) -> RunSummary:
    """Crawl where robots.txt forbids what the crawl needs: the run must fail once, saying that robots.txt
    disallows it (disallowed: the path, and what follows) and how to record the operator's permission, and keep
    no meeting; return its summary."""
    summary = crawl(settings, [profile])
    [(_, message)] = summary.failed
    assert "robots.txt" in message and f"disallows {disallowed}" in message
    assert "Ask the operator" in message and 'permission = "who granted it, when"' in message
    assert len(RecordStore(settings.records_dir)) == 0
    return summary


def crawl_openly(settings: Settings, fake, profile_for: Callable[..., SiteProfile], full_crawl: list) -> None:
    """Crawl a fake whose robots.txt allows everything with a profile holding no permission: every sitting is
    fetched (the full_crawl requests) without a failure."""
    summary = crawl(settings, [profile_for(fake, permission="")])
    assert fake.calls() == full_crawl and summary.new == 4 and not summary.failed


def crawl_with_permission(settings: Settings, profile: SiteProfile, caplog) -> list[RunSummary]:
    """Crawl twice with a profile holding the operator's permission where robots.txt disallows the data path:
    each run must succeed and log, once, the site's name, who granted it and that robots.txt disallows it;
    return the runs' summaries."""
    summaries = []
    for _run in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=f"indexer.crawl.{profile.kind}"):
            summary = crawl(settings, [profile])
        assert not summary.failed
        [record] = [r for r in caplog.records if profile.permission in r.getMessage()]
        assert "robots.txt disallows it" in record.getMessage() and profile.name in record.getMessage()
        summaries.append(summary)
    return summaries


def crawl_throttled(
    fake, settings: Settings, profile: SiteProfile, name: str, asked: Callable[[str, dict], bool]
) -> list[int]:
    """Crawl with name's first request answered 429 with Retry-After: 1: the crawl must wait a second and still
    fetch every sitting (four) without a failure; return the statuses of the requests (path, fields) asked picks."""
    slept: list[float] = []
    fake.throttle.add(name)
    summary = crawl(settings, [profile], fetcher_options={"sleep": slept.append})
    assert 1.0 in slept and summary.new == 4 and not summary.failed
    return [status for _, path, fields, status in fake.requests if asked(path, fields)]


def without_permission(config: Path) -> Path:
    """Return a copy of a config (refused.toml beside it) whose profiles hold no permission."""
    refused_config = config.with_name("refused.toml")
    refused_config.write_text(re.sub(r"(?m)^permission = .*\n", "", config.read_text(encoding="utf-8")))
    return refused_config


def crawl_and_reindex_through_the_command(
    tmp_path: Path, site: dict, refuse: Callable[[Path], Path], disallowed: str
) -> None:
    """Through `minutes`: crawl a profile of site (2025: three sittings), reindex it (nothing new, three meetings
    re-indexed) and search it; then crawl with the config refuse(config) returns, which robots.txt must refuse
    (exit status 1) naming what it disallows."""
    config = tmp_path / "minutes.toml"
    fields = {**site, "years": [2025], "delay_seconds": 0}
    lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in fields.items()]
    config.write_text("[[site]]\n" + "".join(lines), encoding="utf-8")
    data, name = str(tmp_path / "data"), site["name"]
    runner = CliRunner()
    crawled = runner.invoke(main, ["--data-dir", data, "crawl", "--config", str(config), "--site", name])
    assert crawled.exit_code == 0, crawled.output
    assert "new 3" in crawled.output and "parsed 3" in crawled.output
    reindexed = runner.invoke(main, ["--data-dir", data, "reindex", "--config", str(config), "--site", name])
    assert reindexed.exit_code == 0, reindexed.output
    assert "new 0" in reindexed.output and "meetings re-indexed 3" in reindexed.output
    assert search_total(Settings(tmp_path / "data"), "防災センター") > 0
    refused_run = runner.invoke(main, ["--data-dir", data, "crawl", "--config", str(refuse(config))])
    assert refused_run.exit_code == 1 and f"disallows {disallowed}" in refused_run.output
