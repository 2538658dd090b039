"""Text: normalisation at ingest (normalize.py), the one Janome analysis chain (analysis.py), and what kind
of speech an utterance is (topical.py: procedure, a list, or discussion), read at search or build time.

Index and query both analyse through here. Imports: the standard library and Janome only; never
Whoosh, nor any other folder of indexer.
"""
