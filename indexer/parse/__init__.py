"""Parsing: one page's bytes (or an API's records) → a Meeting with its Utterances.

charset.py decodes bytes; html_lines.py turns the main content into lines; dates.py finds dates and
times; roles.py splits speaker labels into role and name; conventions.py scores the label frames a
page uses; labels.py finds the lines that open a speech; rosters.py tells attendance lists and names
from speech; hints.py holds a site profile's corrections ([site.parse]); quality.py judges a parse;
page.py puts a page together; pdf.py and pdf_layout.py lay a PDF's text layer out as a page; ndl.py
and corpora.py read the NDL API's records and the shared JSON corpora; discussnet.py reads DiscussNet's
JSON answers; kensakusystem.py reads kensakusystem.jp's tree and print-all pages;
voices.py reads VOICES' listings and sitting texts; dbsearch.py reads DB-Search's listings and
document pages.

Imports: indexer.records, indexer.text; never Whoosh, store, crawl, index or search.
"""
