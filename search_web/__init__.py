"""The search web site: an app factory over the indexer's search library."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.exceptions import HTTPException

from indexer.search.backends import open_backend, shard_list
from indexer.settings import Settings
from indexer.text.analysis import analyze
from search_web import safety
from search_web.jsonsafe import SafeJSONProvider


class MinutesFlask(Flask):
    """Flask with JSON that escapes <, > and & (see search_web.jsonsafe), and JSON errors under /api/."""

    json_provider_class = SafeJSONProvider

    def handle_http_exception(self, e: HTTPException):
        """Answer HTTP errors under /api/ in the API's JSON shape before any page's HTML handler sees them."""
        if e.code is not None and e.code >= 400 and e.response is None and safety.is_api_request():
            return safety.api_http_error(e)
        return super().handle_http_exception(e)


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = MinutesFlask(__name__)
    app.config.from_mapping(
        DATA_DIR="data",
        PAGE_SIZE=20,
        EXPORT_CAP=10_000,
        FEED_SIZE=50,
        MAX_CONTENT_LENGTH=64 * 1024,  # nothing here takes a request body
        MAX_QUERY_STRING=4096,
        RATE_LIMIT_PER_MINUTE=120,  # per client, for the API, exports and feeds; 0 turns it off
        TRUSTED_PROXIES=0,  # reverse proxies in front whose X-Forwarded-For is believed; 0: none
        WARM_AHEAD=True,  # read the commonest terms' postings in the background when an index opens
        BACKEND="whoosh",  # or "xapian" (MINUTES_BACKEND=xapian): see README "Beyond one machine"
        XAPIAN_SHARDS="",  # "host:port,host:port" (replicas joined by |); empty: DATA_DIR/xapian/shard-*
    )
    # MINUTES_<KEY> environment variables override these (MINUTES_RATE_LIMIT_PER_MINUTE=0 …),
    # so a WSGI server that calls create_app() can be configured too.
    app.config.from_prefixed_env("MINUTES")
    if test_config:
        app.config.from_mapping(test_config)
    # Load Janome's dictionary now: otherwise the first searches after a start all wait for it,
    # and under load they time out (seen in the soak test).
    analyze("会議録")
    settings = Settings(Path(app.config["DATA_DIR"]).resolve())
    app.extensions["minutes_search"] = open_backend(
        settings,
        app.config["BACKEND"],
        shards=shard_list(app.config["XAPIAN_SHARDS"]),
        warm_ahead=bool(app.config["WARM_AHEAD"]),
    )

    from search_web import api, exports, views

    safety.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)
    return app
