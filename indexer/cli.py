"""The `minutes` command: the library's subcommands, plus any a package registers under the
`minutes.commands` entry point (search_web adds `serve` and `demo`), so the core runs without Flask."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date, datetime
from importlib.metadata import entry_points
from pathlib import Path

import click

from indexer.index.build import build_index
from indexer.index.generations import IndexUnavailable
from indexer.parse.page import ParseError, parse_minutes
from indexer.search.engine import SORTS, SearchIndex, SearchRequest
from indexer.search.query import QueryError
from indexer.search.synonyms import Synonyms
from indexer.settings import Settings
from indexer.store.ingest import ingest_paths
from indexer.store.record_store import RecordStore
from indexer.text.analysis import analyze
from indexer.text.normalize import normalize_text

log = logging.getLogger(__name__)
PLUGIN_GROUP = "minutes.commands"


def settings_of(ctx: click.Context) -> Settings:
    """Return the Settings the `minutes` group built from --data-dir."""
    settings: Settings = ctx.obj["settings"]
    return settings


class MinutesGroup(click.Group):
    """A click group that also offers the commands other installed packages register (loaded only
    when asked for, so `minutes parse` never imports Flask)."""

    def _plugins(self) -> dict:
        return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP) if ep.name not in self.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        plugin = self._plugins().get(cmd_name)
        if plugin is None:
            return None
        try:
            loaded: click.Command = plugin.load()
        except ImportError as error:
            missing = error.name or "a package"
            message = (
                f"`minutes {cmd_name}` comes from {plugin.value} and needs {missing}, which is not installed ({error})"
            )

            def unavailable() -> None:
                raise click.ClickException(message)

            return click.Command(cmd_name, callback=unavailable, help=f"(unavailable: needs {missing})")
        return loaded


@click.group(cls=MinutesGroup)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="MINUTES_DATA_DIR",
    default=None,
    help="Data directory (default ./data, or $MINUTES_DATA_DIR).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log progress and warnings to stderr.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """Search Japanese municipal meeting minutes (会議録)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ctx.ensure_object(dict)
    ctx.obj["settings"] = Settings.from_env(data_dir)


def _who(role: str | None, speaker: str | None) -> str:
    return " ".join(p for p in (role, speaker) if p) or "-"


def _read_source(source: str) -> tuple[bytes, str, str | None]:
    if source.startswith(("http://", "https://")):
        import urllib.request

        with urllib.request.urlopen(source, timeout=30) as response:
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
        click.echo(f"{u.seq:4d} [{_who(u.role, u.speaker)}] {u.text[:80]}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Parse local HTML files or folders into the data directory.

    Example: minutes ingest data/sample
    """
    report = ingest_paths(list(paths), settings_of(ctx))
    for _url, reason in report.failed:
        click.echo(f"failed: {reason}", err=True)
    click.echo(
        f"parsed {report.parsed} pages into {report.meetings} meetings "
        f"({report.new_or_changed} new or changed), {len(report.failed)} failed"
    )
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
    click.echo(
        f"indexed {report.meetings} meetings, {report.documents - report.meetings} utterances, "
        f"{report.characters} characters in {report.seconds:.1f}s ({rate:,.0f} chars/s) "
        f"→ {report.generation}"
    )


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
@click.option("--no-expand", is_flag=True, help="Do not add synonyms and abbreviations to the query.")
@click.option("--json", "as_json", is_flag=True, help="Print {total, hits, facets} as JSON.")
@click.pass_context
def search(ctx, query, roles, committees, speaker, date_from, date_until, sort, limit, no_expand, as_json):
    """Search the index.

    Example: minutes search データセンター --role 委員 --json
    """
    request = SearchRequest(
        q=query,
        roles=list(roles),
        committees=list(committees),
        speaker=speaker,
        date_from=date_from,
        date_until=date_until,
        sort=sort,
        limit=limit,
        expand=not no_expand,
    )
    engine = SearchIndex(settings_of(ctx).index_dir, synonyms=Synonyms.load(settings_of(ctx).synonyms_path))
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
        click.echo(f"{hit.date} {hit.committee} #{hit.seq} [{_who(hit.role, hit.speaker)}]")
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


def _progress_printer():
    """Return a callback showing crawl progress: a live line on a terminal, log lines under cron."""
    count = {"n": 0}
    live = sys.stderr.isatty()

    def show(url: str) -> None:
        count["n"] += 1
        if live:
            click.echo(f"\r\033[K[{count['n']}] {url[:100]}", nl=False, err=True)
        else:
            click.echo(f"{datetime.now().isoformat(timespec='seconds')} fetch {count['n']} {url}", err=True)

    return show, live


def _run_sites(ctx: click.Context, config: Path | None, site: str | None, job) -> None:
    from indexer.crawl.profiles import ConfigError, load_profiles, select
    from indexer.pipeline import AlreadyRunning, run_lock

    try:
        profiles = select(load_profiles(config), site)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    settings = settings_of(ctx)
    show, live = _progress_printer()
    try:
        with run_lock(settings):
            summary = job(settings, profiles, progress=show)
    except AlreadyRunning as error:
        click.echo(f"minutes: {error}; exiting", err=True)
        ctx.exit(EXIT_LOCKED)
    if live:
        click.echo("", err=True)
    for _url, reason in summary.failed:
        click.echo(f"failed: {reason}", err=True)
    for url in summary.gone:
        click.echo(f"gone: {url}", err=True)
    for url in summary.refused:
        click.echo(f"refused: {url}", err=True)
    for url in summary.robots_blocked:
        click.echo(f"robots.txt disallows: {url}", err=True)
    click.echo(summary.line())
    if summary.failed:
        ctx.exit(1)


EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; cron may simply try again later
_site_options = [
    click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Site profiles (default ./minutes.toml).",
    ),
    click.option("--site", default=None, help="Only the site with this name."),
]


def _with_site_options(function):
    for option in reversed(_site_options):
        function = option(function)
    return function


@main.command("crawl")
@_with_site_options
@click.pass_context
def crawl_command(ctx: click.Context, config: Path | None, site: str | None) -> None:
    """Fetch the configured sites into the raw store and parse what changed.

    Exit status: 0 all fine, 1 something failed (listed), 75 another run holds the lock.
    Example: minutes crawl --config minutes.toml --site nagasaki
    """
    from indexer.pipeline import crawl

    _run_sites(ctx, config, site, crawl)


@main.command("reindex")
@_with_site_options
@click.option("--keep", default=3, show_default=True, help="Index generations to keep.")
@click.pass_context
def reindex_command(ctx: click.Context, config: Path | None, site: str | None, keep: int) -> None:
    """Crawl, parse, update the index for what changed, and switch to it (what cron runs).

    Exit status: 0 all fine, 1 something failed (listed), 75 another run holds the lock.
    Example: minutes reindex --config minutes.toml
    """
    from indexer.pipeline import reindex

    _run_sites(ctx, config, site, lambda *a, **k: reindex(*a, keep=keep, **k))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
