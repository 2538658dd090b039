"""Searching: the query language (query.py) with synonyms (synonyms.py), the search library behind
the CLI, pages and API (engine.py), block-wise BM25F evaluation (evaluate.py) over cached postings
(postings.py) and term sequences (sequences.py), highlights (highlight.py), and what readers need
beyond a hit list (context.py, aggregates.py).

Imports: indexer.index, indexer.text and the base modules; never parse, store or crawl.
"""
