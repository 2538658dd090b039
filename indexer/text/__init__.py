"""Text: normalisation at ingest (normalize.py) and the one Janome analysis chain (analysis.py).

Index and query both analyse through here. Imports: the standard library and Janome only; never
Whoosh, nor any other folder of indexer.
"""
