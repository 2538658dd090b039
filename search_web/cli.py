"""The web commands `minutes serve` and `minutes demo`, registered under the `minutes.commands` entry point."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from indexer.cli import common_options, main, settings_of
from indexer.index.build import build_index
from indexer.store.ingest import ingest_paths
from indexer.store.record_store import RecordStore
from search_web import create_app

# data/sample/ in the source tree, shipped as the package search_web.sample (see pyproject.toml).
SAMPLE_DIR = Path(str(resources.files("search_web.sample")))
SAMPLE_BODY = "みどり市"  # the fictional city whose minutes data/sample/ holds


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@common_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the search pages (development server; see README for waitress).

    Example: minutes serve --port 5000
    """
    app = create_app({"DATA_DIR": str(settings_of(ctx).data_dir)})
    report_index_health(app)
    app.run(host=host, port=port)


def report_index_health(app) -> None:
    """Say at start-up which index generation is served, and why if it is not the current one."""
    from indexer.index.generations import IndexUnavailable

    try:
        generation, problem = app.extensions["minutes_search"].check()
    except IndexUnavailable as error:
        click.echo(f"minutes: no usable index yet ({error}); pages will say so until one is built", err=True)
        return
    if problem:
        click.echo(f"minutes: WARNING: {problem}; serving the previous generation {generation}", err=True)
    else:
        click.echo(f"minutes: serving index generation {generation}", err=True)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Only ingest and index the sample.")
@common_options
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, no_serve: bool) -> None:
    """Ingest and index the bundled sample pages, then serve them.

    Example: minutes demo
    """
    settings = settings_of(ctx)
    report = ingest_paths([SAMPLE_DIR], settings, body=SAMPLE_BODY)
    for _url, reason in report.failed:
        click.echo(f"failed: {reason}", err=True)
    built = build_index(RecordStore(settings.records_dir), settings.index_dir)
    click.echo(
        f"sample: {built.meetings} meetings, {built.documents - built.meetings} utterances "
        f"indexed in {settings.data_dir}"
    )
    if not no_serve:
        click.echo(f"open http://{host}:{port}/")
        ctx.invoke(serve, host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    main()  # the whole command, web commands included (python -m search_web.cli)
