"""The `minutes` command: the library's subcommands, plus any a package registers under the
`minutes.commands` entry point (search_web adds `serve` and `demo`), so the core runs without Flask."""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import IO, Any

import click

from indexer.index.build import build_index
from indexer.index.generations import IndexUnavailable
from indexer.index.kept import AnalysisStore
from indexer.parse.page import ParseError, parse_minutes
from indexer.parse.page import explain as explain_page
from indexer.parse.pdf import readable_page
from indexer.progress import ProgressLine
from indexer.search.backends import BACKENDS, SearchBackend, open_backend, shard_list
from indexer.search.engine import SORTS, SearchRequest
from indexer.search.query import QueryError
from indexer.settings import Settings
from indexer.store.ingest import ingest_paths
from indexer.store.record_store import RecordStore
from indexer.text.analysis import analyze
from indexer.text.normalize import normalize_text

log = logging.getLogger(__name__)
PLUGIN_GROUP = "minutes.commands"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATA_DIR_HELP = "Data directory (default ./data, or $MINUTES_DATA_DIR)."
VERBOSE_HELP = "Log progress and warnings to stderr."


def settings_of(ctx: click.Context) -> Settings:
    """Return the Settings from the command's own --data-dir, else the group's, else the environment."""
    settings: Settings | None = (ctx.find_object(dict) or {}).get("settings")
    return settings if settings is not None else Settings.from_env()


def _set_data_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """Let a subcommand's own --data-dir replace the group's (the group's callback has run by then)."""
    if value is not None:
        ctx.ensure_object(dict)["settings"] = Settings.from_env(value)


def _set_verbose(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """Turn on INFO logging when a subcommand is given -v."""
    if value:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        logging.getLogger().setLevel(logging.INFO)


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a subcommand --data-dir and -v/--verbose, so they work after its name as well as before it."""
    command = click.option(
        "-v", "--verbose", is_flag=True, expose_value=False, callback=_set_verbose, help=VERBOSE_HELP
    )(command)
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        expose_value=False,
        callback=_set_data_dir,
        help=DATA_DIR_HELP,
    )(command)


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
    help=DATA_DIR_HELP,
)
@click.option("-v", "--verbose", is_flag=True, help=VERBOSE_HELP)
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """Search Japanese municipal meeting minutes (会議録).

    --data-dir and -v may also come after the command's name.
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=LOG_FORMAT)
    ctx.ensure_object(dict)
    ctx.obj["settings"] = Settings.from_env(data_dir)


class _EndLiveLine(logging.Filter):
    """Before a log record is written, end the progress line it would otherwise be appended to."""

    def __init__(self, line: ProgressLine):
        super().__init__()
        self.line = line

    def filter(self, record: logging.LogRecord) -> bool:
        self.line.interrupt()
        return True


@contextmanager
def progress_line() -> Iterator[ProgressLine]:
    """Show progress on stderr while the block runs, keeping log records on lines of their own."""
    line = ProgressLine(sys.stderr)
    guard = _EndLiveLine(line)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(guard)
    try:
        yield line
    finally:
        line.finish()
        for handler in handlers:
            handler.removeFilter(guard)


def cores() -> int:
    """Return the number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _who(role: str | None, speaker: str | None) -> str:
    return " ".join(p for p in (role, speaker) if p) or "-"


class FetchFailed(click.ClickException):
    """A page that could not be fetched, shown as one line `minutes: cannot fetch URL: reason` (exit 1)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"minutes: {self.format_message()}", file=file, err=file is None)


def _reason(error: BaseException) -> str:
    """Return the short human reason of a network error ("Connection refused", "timed out" …)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _fetch(url: str) -> tuple[bytes, str, str | None]:
    """Return a page's body, final URL and declared charset, or raise FetchFailed saying why not."""
    import http.client
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read(), response.geturl(), response.headers.get_content_charset()
    except urllib.error.HTTPError as error:
        error.close()
        reason = f"HTTP {error.code} {error.reason}"
    except urllib.error.URLError as error:
        reason = _reason(error.reason) if isinstance(error.reason, BaseException) else str(error.reason)
    except (http.client.HTTPException, OSError, ValueError) as error:
        reason = _reason(error)
    raise FetchFailed(f"cannot fetch {url}: {reason}")


def _read_source(source: str) -> tuple[bytes, str, str | None]:
    if source.startswith(("http://", "https://")):
        return _fetch(source)
    path = Path(source)
    if path.is_dir():
        raise click.ClickException(
            f"{source} is a folder; `minutes parse` reads one page. To parse every page in it, run: "
            f"minutes ingest {shlex.quote(source)}"
        )
    if not path.is_file():
        raise click.ClickException(f"no such file: {source}")
    return path.read_bytes(), path.resolve().as_uri(), None


@main.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the Meeting as JSON.")
@click.option("--explain", is_flag=True, help="First say how the page was read: label styles seen, the one chosen.")
@common_options
def parse(source: str, as_json: bool, explain: bool) -> None:
    """Parse one minutes page (an HTML page or a PDF, a file or URL) and print the Meeting.

    Example: minutes parse data/sample/p001.html --json
    """
    body, url, charset = _read_source(source)
    try:
        page = readable_page(body, url)  # a PDF's text, laid out as a page
        if explain:
            for line in explain_page(page, url, charset=charset):
                click.echo(line, err=as_json)
        meeting = parse_minutes(page, url, charset=charset)
    except ParseError as error:
        raise click.ClickException(str(error)) from error
    if explain:
        quality = meeting.quality
        click.echo(f"quality: {quality.status}, confidence {quality.confidence:.2f}", err=as_json)
        for warning in quality.warnings:
            click.echo(f"  warning: {warning}", err=as_json)
    if as_json:
        click.echo(json.dumps(meeting.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{meeting.title}  {meeting.date}  {meeting.committee}")
    for u in meeting.utterances:
        click.echo(f"{u.seq:4d} [{_who(u.role, u.speaker)}] {u.text[:80]}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--body", help="The city, town or assembly these minutes belong to (e.g. 長崎市).")
@common_options
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], body: str | None) -> None:
    """Parse local HTML and PDF files, or the folders holding them, into the data directory.

    Example: minutes ingest data/sample --body みどり市
    """
    with progress_line() as line:
        report = ingest_paths(
            list(paths),
            settings_of(ctx),
            progress=lambda done, total: line.update("ingest", done, total, unit="pages"),
            body=(body or "").strip() or None,
        )
    for _url, reason in report.failed:
        click.echo(f"failed: {reason}", err=True)
    for url, warnings in report.suspect:
        click.echo(f"suspect: {url}: {warnings}", err=True)
    click.echo(
        f"parsed {report.parsed} pages into {report.meetings} meetings "
        f"({report.new_or_changed} new or changed), {len(report.failed)} failed, {len(report.suspect)} suspect"
    )
    if report.failed:
        ctx.exit(1)


@main.command()
@click.option(
    "--procs",
    type=click.IntRange(min=1),
    default=None,
    help=f"Processes tokenising in parallel.  [default: every core, {cores()} here]",
)
@click.option("--keep", default=3, show_default=True, help="Index generations to keep.")
@common_options
@click.pass_context
def index(ctx: click.Context, procs: int | None, keep: int) -> None:
    """Build a new index generation from the stored records and switch to it.

    Progress goes to stderr: a live line on a terminal, a log line every few seconds otherwise.
    Example: minutes index
    """
    settings = settings_of(ctx)
    records = _stored_records(settings)
    with AnalysisStore(settings.analysis_dir) as analysis, progress_line() as line:
        report = build_index(
            records,
            settings.index_dir,
            procs=procs or cores(),
            keep=keep,
            progress=_index_progress(line),
            analysis=analysis,
        )
    rate = report.characters / report.seconds if report.seconds else 0
    kept = analysis.hits / ((analysis.hits + analysis.misses) or 1)
    click.echo(
        f"indexed {report.meetings} meetings, {report.documents - report.meetings} utterances, "
        f"{report.characters} characters in {report.seconds:.1f}s ({rate:,.0f} chars/s) "
        f"→ {report.generation}; {kept:.0%} of texts from kept analysis"
    )


def _stored_records(settings: Settings) -> RecordStore:
    """Return the record store, or stop saying to ingest first when it holds nothing."""
    records = RecordStore(settings.records_dir)
    if not len(records):
        raise click.ClickException(f"no parsed records in {settings.records_dir}: run `minutes ingest` first")
    return records


def _index_progress(line: ProgressLine) -> Callable[[int, int | None, int], None]:
    """Return the callback that shows an index build's meetings and characters on line."""

    def show(done: int, total: int | None, characters: int) -> None:
        line.update("index", done, total, unit="meetings", characters=characters)

    return show


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
@click.option("--body", "bodies", multiple=True, help="Only these cities, towns or assemblies (repeatable).")
@click.option("--speaker", help="Speaker name, or part of it.")
@click.option("--from", "date_from", callback=_parse_date, help="Earliest date, YYYY-MM-DD.")
@click.option("--until", "date_until", callback=_parse_date, help="Latest date, YYYY-MM-DD.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--no-expand", is_flag=True, help="Do not add synonyms and abbreviations to the query.")
@click.option("--json", "as_json", is_flag=True, help="Print {total, hits, facets} as JSON.")
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default="whoosh",
    show_default=True,
    envvar="MINUTES_BACKEND",
    help="Search engine: the embedded Whoosh index, or the Xapian shards (see `minutes xapian-build`).",
)
@click.option(
    "--xapian-shards",
    envvar="MINUTES_XAPIAN_SHARDS",
    default="",
    help="With --backend xapian: shard servers HOST:PORT,HOST:PORT (replicas joined by |); "
    "default: the shard folders under DATA_DIR/xapian.",
)
@common_options
@click.pass_context
def search(
    ctx, query, roles, committees, bodies, speaker, date_from, date_until, sort, limit, no_expand, as_json, **engine
):
    """Search the index.

    Example: minutes search データセンター --role 委員 --json
    """
    if date_from and date_until and date_from > date_until:
        raise click.BadParameter(
            f"{date_from} is after --until {date_until}, so nothing could match", ctx=ctx, param_hint="--from"
        )
    request = SearchRequest(
        q=query,
        roles=list(roles),
        committees=list(committees),
        bodies=list(bodies),
        speaker=speaker,
        date_from=date_from,
        date_until=date_until,
        sort=sort,
        limit=limit,
        expand=not no_expand,
    )
    backend = _open_backend(settings_of(ctx), engine["backend"], engine["xapian_shards"])
    try:
        result = backend.search(request)
    except (QueryError, IndexUnavailable) as error:
        raise click.ClickException(str(error)) from error
    finally:
        backend.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    for reading in result.parsed.readings:
        click.echo(f'read as: {reading.describe()} (quote it to search the exact string: "{reading.text}")')
    if result.rescue is not None:
        click.echo(result.rescue.describe(result.total))
        for suggestion in result.rescue.suggestions:
            click.echo(f"try: {suggestion.query}  ({suggestion.why})")
    click.echo(_hits_line(result.total, len(result.hits), limit))
    for hit in result.hits:
        where = f"{hit.body} {hit.committee}" if hit.body else hit.committee
        click.echo(f"{hit.date} {where} #{hit.seq} [{_who(hit.role, hit.speaker)}]")
        click.echo("    " + hit.snippet.replace("<mark>", "【").replace("</mark>", "】").replace("\n", " "))


def _open_backend(settings: Settings, kind: str, shards: str) -> SearchBackend:
    """Open the search engine asked for, or say why it cannot be opened."""
    try:
        return open_backend(settings, kind, shards=shard_list(shards))
    except ImportError as error:
        raise click.ClickException(
            f"the {kind} backend needs {error.name or 'a package'}: pip install 'minutes[{kind}]'"
        ) from error
    except IndexUnavailable as error:
        raise click.ClickException(str(error)) from error


@main.command("xapian-build")
@click.option(
    "--shards",
    default=None,
    type=click.IntRange(1, 1024),
    help="Shard databases to write.  [default: as many as the last build wrote, else 2]",
)
@click.option(
    "--procs",
    type=click.IntRange(min=1),
    default=None,
    help=f"Processes writing in parallel, each a run of the meetings.  [default: every core, {cores()} here]",
)
@common_options
@click.pass_context
def xapian_build(ctx: click.Context, shards: int | None, procs: int | None) -> None:
    """Write the stored records into Xapian shard databases (DATA_DIR/xapian/shard-K), sharded by body.

    Each shard can then be served with `xapian-tcpsrv --port P DATA_DIR/xapian/shard-K` and searched
    with `minutes search --backend xapian` or MINUTES_BACKEND=xapian (README "Beyond one machine").
    The new shards replace the old ones only when all are written. Exit status 75: a crawl, reindex or
    other build holds the data folder's lock.
    Example: minutes xapian-build --shards 2
    """
    try:
        from indexer.index.xapian_build import build_xapian, built_shards
    except ImportError as error:
        raise click.ClickException(
            f"xapian-build needs the Xapian bindings: pip install 'minutes[xapian]' ({error})"
        ) from error
    from indexer.pipeline import AlreadyRunning, run_lock

    settings = settings_of(ctx)
    records = _stored_records(settings)
    shards = shards or built_shards(settings.xapian_dir) or 2
    try:
        with run_lock(settings), AnalysisStore(settings.analysis_dir) as analysis, progress_line() as line:
            report = build_xapian(
                records.listing(),
                settings.xapian_dir,
                shards=shards,
                analysis=analysis,
                progress=_index_progress(line),
                procs=procs or cores(),
            )
    except AlreadyRunning as error:
        click.echo(f"minutes: {error}; exiting", err=True)
        ctx.exit(EXIT_LOCKED)
    click.echo(
        f"wrote {report.meetings} meetings, {report.documents} documents in {report.seconds:.1f}s into "
        f"{shards} shards under {settings.xapian_dir} (documents per shard: {', '.join(map(str, report.shards))})"
    )


def _hits_line(total: int, shown: int, limit: int) -> str:
    """Return the first line of a search's text output: how many hits, and which of them are listed."""
    if shown >= total:
        return f"{total} hits"
    more = " (use --limit for more)" if limit < 100 else " (--limit is at most 100; narrow the search or use --json)"
    return f"{total} hits, showing 1–{shown}{more}"


@main.command("analyze")
@click.argument("text")
@common_options
def analyze_text(text: str) -> None:
    """Print the tokens the index would store for TEXT (term, position, characters).

    Example: minutes analyze データセンターの整備について
    """
    normalised = normalize_text(text)
    for token in analyze(normalised):
        click.echo(f"{token.term}\t{token.pos}\t{token.start}-{token.end}\t{token.part_of_speech}")


def _run_hooks(line: ProgressLine) -> tuple[Callable[[str], None], Callable[[int, int], None]]:
    """Return the fetch and parse progress callbacks of a crawl or reindex, both showing on line."""

    def fetched(url: str) -> None:
        line.step("crawl", unit="requests", note=url)

    def parsed(done: int, total: int) -> None:
        line.update("parse", done, total, unit="pages")

    return fetched, parsed


def _run_sites(ctx: click.Context, config: Path | None, site: str | None, job) -> None:
    from indexer.crawl.profiles import ConfigError, load_profiles, select
    from indexer.pipeline import AlreadyRunning, run_lock

    try:
        profiles = select(load_profiles(config), site)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    settings = settings_of(ctx)
    try:
        with run_lock(settings), progress_line() as line:
            summary = job(settings, profiles, line)
    except AlreadyRunning as error:
        click.echo(f"minutes: {error}; exiting", err=True)
        ctx.exit(EXIT_LOCKED)
    for _url, reason in summary.failed:
        click.echo(f"failed: {reason}", err=True)
    for url, warnings in summary.suspect:
        click.echo(f"suspect: {url}: {warnings}", err=True)
    for url in summary.gone:
        click.echo(f"gone: {url}", err=True)
    for url in summary.refused:
        click.echo(f"refused: {url}", err=True)
    for url in summary.robots_blocked:
        click.echo(f"robots.txt disallows: {url}", err=True)
    click.echo(summary.line())
    if summary.failed:
        ctx.exit(1)


@main.command("check")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Site profiles.")
@click.option("--site", required=True, help="The site whose stored pages to re-parse.")
@common_options
@click.pass_context
def check_command(ctx: click.Context, config: Path | None, site: str) -> None:
    """Re-parse one site's stored pages with its profile, writing nothing, to tune its [site.parse].

    Prints status, confidence, speech turns / utterances and date per page, then a count per status.

    Example: minutes check --site nagasaki
    """
    from indexer.crawl.profiles import ConfigError, load_profiles, select
    from indexer.store.ingest import check_site
    from indexer.store.raw_store import RawStore

    try:
        profile = select(load_profiles(config), site)[0]
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    raw = RawStore(settings_of(ctx).raw_dir)
    try:
        checks = check_site(raw, profile.name, profile.hints)
    finally:
        raw.close()
    if not checks:
        raise click.ClickException(f"no stored minutes pages of site {site!r}: run `minutes crawl --site {site}` first")
    for c in checks:
        detail = f"  {c.detail}" if c.detail else ""
        click.echo(
            f"{c.status:11} {c.confidence:4.2f} {c.turns:4d}/{c.utterances:<4d} {(c.date or '日付不明') if c.utterances else '-':10} {c.url}{detail}"
        )
    counts = {status: sum(c.status == status for c in checks) for status in ("ok", "suspect", "error", "not_minutes")}
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items() if n) + f" of {len(checks)} pages")


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
@common_options
@click.pass_context
def crawl_command(ctx: click.Context, config: Path | None, site: str | None) -> None:
    """Fetch the configured sites into the raw store and parse what changed.

    Exit status: 0 all fine, 1 something failed (listed), 75 another run holds the lock.
    Example: minutes crawl --config minutes.toml --site nagasaki
    """
    from indexer.pipeline import crawl

    def job(settings: Settings, profiles: list, line: ProgressLine):
        fetched, parsed = _run_hooks(line)
        return crawl(settings, profiles, progress=fetched, parse_progress=parsed)

    _run_sites(ctx, config, site, job)


@main.command("reindex")
@_with_site_options
@click.option("--keep", default=3, show_default=True, help="Index generations to keep.")
@common_options
@click.pass_context
def reindex_command(ctx: click.Context, config: Path | None, site: str | None, keep: int) -> None:
    """Crawl, parse, update the index for what changed, and switch to it (what cron runs).

    Exit status: 0 all fine, 1 something failed (listed), 75 another run holds the lock.
    Example: minutes reindex --config minutes.toml
    """
    from indexer.pipeline import reindex

    def job(settings: Settings, profiles: list, line: ProgressLine):
        fetched, parsed = _run_hooks(line)
        return reindex(
            settings, profiles, keep=keep, progress=fetched, parse_progress=parsed, index_progress=_index_progress(line)
        )

    _run_sites(ctx, config, site, job)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
