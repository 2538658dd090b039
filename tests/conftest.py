"""Shared fixtures: the sample pages, a data directory built from them, the web app; and a search count."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from indexer.index.build import build_index
from indexer.search.engine import SearchIndex, SearchRequest
from indexer.settings import Settings
from indexer.store.ingest import ingest_paths
from indexer.store.record_store import RecordStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"


def search_total(settings: Settings, q: str) -> int:
    """Return how many hits a query has in a data directory's index."""
    engine = SearchIndex(settings.index_dir)
    try:
        return engine.search(SearchRequest(q=q)).total
    finally:
        engine.close()


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sample_generator():
    """The script that wrote data/sample, which knows what each page must parse into."""
    return _load_script("make_sample")


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory) -> Settings:
    """A data directory holding the ingested and indexed sample (built once per test run)."""
    settings = Settings(tmp_path_factory.mktemp("sample-data"))
    report = ingest_paths([SAMPLE_DIR], settings, body="みどり市")
    assert not report.failed, report.failed
    build_index(RecordStore(settings.records_dir), settings.index_dir)
    return settings


@pytest.fixture(scope="session")
def sample_search(sample_settings) -> SearchIndex:
    """A SearchIndex over the sample."""
    engine = SearchIndex(sample_settings.index_dir)
    yield engine
    engine.close()


@pytest.fixture()
def app(sample_settings):
    """The web app over the sample index."""
    from search_web import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(sample_settings.data_dir)})


@pytest.fixture()
def client(app):
    """Flask's test client."""
    return app.test_client()
