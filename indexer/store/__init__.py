"""Storage: every fetched or ingested page kept raw (raw_store.py), every parsed Meeting kept as a
record (record_store.py), and ingesting local files into both (ingest.py).

Imports: indexer.records, indexer.settings, indexer.fsutil, indexer.parse, indexer.text; never
Whoosh, crawl, index or search.
"""
