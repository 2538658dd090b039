"""minutes' library: crawl → store → parse → analyse → index → search, one folder per stage.

Folders, in the order they may import each other (each imports only those before it, never after):

    records.py, settings.py, fsutil.py   the Meeting/Utterance contract, where data lives, safe writes
    progress.py                          progress lines for long runs (standard library only)
    text/     normalisation and the Janome analysis chain (no Whoosh)
    parse/    a page's bytes → a Meeting: charset, lines, header fields, speaker labels, roles, dates
    store/    the raw page store, the parsed-record store, and ingesting local pages into them
    crawl/    site profiles, polite fetching, crawling listing pages, the NDL API as a source
    index/    the Whoosh schema, builds and generations; whoosh_compat.py is the one door to Whoosh's internals
    search/   the query language, synonyms, the block evaluator, highlights, context and aggregates
    cli.py, pipeline.py   the `minutes` command's core and the nightly crawl → parse → index run

Nothing here imports Flask or `search_web`; `search_web` adds `minutes serve` and `minutes demo`
through the `minutes.commands` entry point.
"""
