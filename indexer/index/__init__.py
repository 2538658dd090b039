"""Indexing: the Whoosh schema (schema.py, with its tokenizers in analyzers.py), builds and
incremental syncs (build.py), and generation folders switched atomically (generations.py).

whoosh_compat.py is the only module anywhere that touches Whoosh's private names, whoosh.filedb,
whoosh.codec or whoosh.system. Imports: indexer.text, indexer.store (records to index) and the base
modules; never parse, crawl or search.
"""
