"""Crawling: site profiles (profiles.py), polite HTTP (fetch.py), following listing pages into the
raw store (crawler.py), the NDL minutes API as a source (ndl.py), and hosted minutes systems, one module
each (discussnet.py: DiscussNet's API → raw store → records; kensakusystem.py: kensakusystem.jp's
browse tree and print-all pages; voices.py: VOICES' year listings and sitting texts; dbsearch.py:
DB-Search's result listings and document pages), named in hosted.py, with what they share (the walk over a
tenant, the parsing of what it stored) in hosted_common.py.

Imports: indexer.store, indexer.parse (charset, for links), indexer.text and the base modules;
never Whoosh, index or search.
"""
