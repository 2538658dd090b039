"""The search web site: an app factory over the indexer's search library."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from indexer.search import SearchIndex
from indexer.settings import Settings


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = Flask(__name__)
    app.config.from_mapping(
        DATA_DIR=os.environ.get("MINUTES_DATA_DIR", "data"),
        PAGE_SIZE=20,
        EXPORT_CAP=10_000,
        FEED_SIZE=50,
    )
    if test_config:
        app.config.from_mapping(test_config)
    settings = Settings(Path(app.config["DATA_DIR"]).resolve())
    app.extensions["minutes_search"] = SearchIndex(settings.index_dir, synonyms=settings.synonyms())
    app.json.ensure_ascii = False

    from search_web import api, exports, views

    app.register_blueprint(views.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)
    return app
