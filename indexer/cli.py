"""The `minutes` command's library subcommands (search_web.cli adds `serve` and `demo`)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path

import click

from indexer.analysis import analyze, normalize_text
from indexer.index import IndexUnavailable, build_index
from indexer.ingest import ingest_paths
from indexer.parser import ParseError, parse_minutes
from indexer.query import QueryError
from indexer.record_store import RecordStore
from indexer.search import SORTS, SearchIndex, SearchRequest
from indexer.settings import Settings

def settings_of(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="MINUTES_DATA_DIR",
              default=None, help="Data directory (default ./data, or $MINUTES_DATA_DIR).")
@click.option("-v", "--verbose", is_flag=True, help="Log progress and warnings to stderr.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """Search Japanese municipal meeting minutes (会議録)."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["settings"] = Settings.from_env(data_dir)


def _read_source(source: str) -> tuple[bytes, str, str | None]:
    if source.startswith(("http://", "https://")):
        import urllib.request

        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (user-given url)
            return response.read(), response.geturl(), response.headers.get_content_charset()
    path = Path(source)
    if not path.is_file():
        raise click.ClickException(f"no such file: {source}")
    return path.read_bytes(), path.resolve().as_uri(), None


@main.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the Meeting as JSON.")
def parse(source: str, as_json: bool) -> None:
    """Parse one minutes page (a file or URL) and print the Meeting.

    Example: minutes parse data/sample/p001.html --json
    """
    body, url, charset = _read_source(source)
    try:
        meeting = parse_minutes(body, url, charset=charset)
    except ParseError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(meeting.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{meeting.title}  {meeting.date}  {meeting.committee}")
    for u in meeting.utterances:
        who = " ".join(p for p in (u.role, u.speaker) if p) or "-"
        click.echo(f"{u.seq:4d} [{who}] {u.text[:80]}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Parse local HTML files or folders into the data directory.

    Example: minutes ingest data/sample
    """
    report = ingest_paths(list(paths), settings_of(ctx))
    for url, reason in report.failed:
        click.echo(f"failed: {reason}", err=True)
    click.echo(f"parsed {report.parsed} pages into {report.meetings} meetings "
               f"({report.new_or_changed} new or changed), {len(report.failed)} failed")
    if report.failed:
        ctx.exit(1)


@main.command()
@click.option("--procs", default=1, show_default=True, help="Processes tokenising in parallel.")
@click.option("--keep", default=3, show_default=True, help="Index generations to keep.")
@click.pass_context
def index(ctx: click.Context, procs: int, keep: int) -> None:
    """Build a new index generation from the stored records and switch to it.

    Example: minutes index
    """
    settings = settings_of(ctx)
    records = RecordStore(settings.records_dir)
    if not len(records):
        raise click.ClickException(f"no parsed records in {settings.records_dir}: run `minutes ingest` first")
    report = build_index(records, settings.index_dir, procs=procs, keep=keep)
    rate = report.characters / report.seconds if report.seconds else 0
    click.echo(f"indexed {report.meetings} meetings, {report.documents - report.meetings} utterances, "
               f"{report.characters} characters in {report.seconds:.1f}s ({rate:,.0f} chars/s) "
               f"→ {report.generation}")


def _parse_date(_ctx, _param, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter("use YYYY-MM-DD") from error


@main.command()
@click.argument("query", default="")
@click.option("--role", "roles", multiple=True, help="Only these speaker roles (repeatable).")
@click.option("--committee", "committees", multiple=True, help="Only these committees (repeatable).")
@click.option("--speaker", help="Speaker name, or part of it.")
@click.option("--from", "date_from", callback=_parse_date, help="Earliest date, YYYY-MM-DD.")
@click.option("--until", "date_until", callback=_parse_date, help="Latest date, YYYY-MM-DD.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print {total, hits, facets} as JSON.")
@click.pass_context
def search(ctx, query, roles, committees, speaker, date_from, date_until, sort, limit, as_json):
    """Search the index.

    Example: minutes search データセンター --role 委員 --json
    """
    request = SearchRequest(q=query, roles=list(roles), committees=list(committees), speaker=speaker,
                            date_from=date_from, date_until=date_until, sort=sort, limit=limit)
    engine = SearchIndex(settings_of(ctx).index_dir)
    try:
        result = engine.search(request)
    except (QueryError, IndexUnavailable) as error:
        raise click.ClickException(str(error)) from error
    finally:
        engine.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.total} hits")
    for hit in result.hits:
        who = " ".join(p for p in (hit.role, hit.speaker) if p) or "-"
        click.echo(f"{hit.date} {hit.committee} #{hit.seq} [{who}]")
        click.echo("    " + hit.snippet.replace("<mark>", "【").replace("</mark>", "】").replace("\n", " "))


@main.command("analyze")
@click.argument("text")
def analyze_text(text: str) -> None:
    """Print the tokens the index would store for TEXT (term, position, characters).

    Example: minutes analyze データセンターの整備について
    """
    normalised = normalize_text(text)
    for token in analyze(normalised):
        click.echo(f"{token.term}\t{token.pos}\t{token.start}-{token.end}\t{token.part_of_speech}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
