"""Index generations on disk: each build is a complete folder, and CURRENT names the one served.

Layout under the index folder:
    gen-<stamp>/          one complete index, with VERSION.json beside Whoosh's files
    gen-<stamp>.building  a build in progress (removed by the next build if a run crashed)
    CURRENT               the name of the generation readers open (replaced atomically)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from whoosh.index import Index

from indexer.fsutil import atomic_write_text, fsync_dir
from indexer.index.schema import SCHEMA_VERSION
from indexer.index.whoosh_compat import open_file_index
from indexer.text.analysis import ANALYZER_VERSION

log = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
VERSION_FILE = "VERSION.json"
MEETINGS_FILE = "meetings.json"  # {meeting id: digest of the record indexed}


class IndexUnavailable(RuntimeError):
    """The index is missing, incomplete or built by an incompatible version."""


def publish(
    index_dir: Path, building: Path, name: str, digests: dict[str, str], documents: int, characters: int, keep: int
) -> None:
    """Seal a finished build (version, digests, fsync), rename it, and point CURRENT at it."""
    version = {
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "meetings": len(digests),
        "documents": documents,
        "characters": characters,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write_text(building / MEETINGS_FILE, json.dumps(digests, indent=0, sort_keys=True))
    atomic_write_text(building / VERSION_FILE, json.dumps(version, ensure_ascii=False, indent=1))
    for path in building.iterdir():
        _fsync_file(path)
    os.replace(building, index_dir / name)
    fsync_dir(index_dir)
    atomic_write_text(index_dir / CURRENT_FILE, name + "\n")
    _prune_generations(index_dir, keep=keep)


def new_generation_name() -> str:
    """Return a new generation's name: gen- and the UTC time to the microsecond (sorts by age)."""
    return "gen-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _fsync_file(path: Path) -> None:
    if path.is_file():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def remove_stale_builds(index_dir: Path) -> None:
    """Remove builds an interrupted run left behind."""
    for stale in index_dir.glob("gen-*.building"):
        log.warning("removing an unfinished index build left by an interrupted run: %s", stale.name)
        shutil.rmtree(stale, ignore_errors=True)


def generations(index_dir: Path) -> list[str]:
    """Return complete generation names, oldest first."""
    return sorted(
        p.name
        for p in Path(index_dir).glob("gen-*")
        if p.is_dir() and not p.name.endswith(".building") and (p / VERSION_FILE).exists()
    )


def _prune_generations(index_dir: Path, keep: int) -> None:
    current = current_generation(index_dir)
    complete = generations(index_dir)
    for name in complete[:-keep] if keep > 0 else []:
        if name != current:
            shutil.rmtree(index_dir / name, ignore_errors=True)


def current_generation(index_dir: Path) -> str | None:
    """Return the name in CURRENT, or None if no index has been built."""
    try:
        return (Path(index_dir) / CURRENT_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def read_version(generation_dir: Path) -> dict:
    """Return a generation's VERSION.json."""
    return json.loads((Path(generation_dir) / VERSION_FILE).read_text(encoding="utf-8"))


def open_generation(index_dir: Path, name: str | None = None) -> tuple[Index, str]:
    """Open a generation (the current one by default), checking it is complete and compatible."""
    index_dir = Path(index_dir)
    name = name or current_generation(index_dir)
    if name is None:
        raise IndexUnavailable(f"no index in {index_dir}: run `minutes index` first")
    path = index_dir / name
    try:
        version = read_version(path)
    except FileNotFoundError as error:
        raise IndexUnavailable(f"index generation {name} is incomplete (no {VERSION_FILE})") from error
    if version.get("schema_version") != SCHEMA_VERSION or version.get("analyzer_version") != ANALYZER_VERSION:
        raise IndexUnavailable(
            f"index generation {name} was built with schema {version.get('schema_version')} / "
            f"analyzer {version.get('analyzer_version')}; this version needs {SCHEMA_VERSION} / "
            f"{ANALYZER_VERSION}: run `minutes index` again"
        )
    try:
        ix = open_file_index(path)
        with ix.searcher() as searcher:
            count = searcher.doc_count()
    except Exception as error:  # whoosh raises many kinds on damaged files
        raise IndexUnavailable(f"index generation {name} is damaged ({type(error).__name__}: {error})") from error
    if count != version.get("documents"):
        ix.close()
        raise IndexUnavailable(
            f"index generation {name} is damaged: {count} documents, its VERSION.json says {version.get('documents')}"
        )
    return ix, name


def open_best_generation(index_dir: Path) -> tuple[Index, str, str | None]:
    """Open the current generation, or if it is missing or damaged the newest older one that opens.

    Returns (index, name, problem) where problem says why the current one was passed over, or None.
    """
    index_dir = Path(index_dir)
    current = current_generation(index_dir)
    try:
        ix, name = open_generation(index_dir, current)
        return ix, name, None
    except IndexUnavailable as error:
        problem = str(error)
    for name in reversed(generations(index_dir)):
        if name == current:
            continue
        try:
            ix, name = open_generation(index_dir, name)
        except IndexUnavailable:
            continue
        log.error("%s; serving the previous generation %s instead", problem, name)
        return ix, name, problem
    raise IndexUnavailable(problem)
