"""Kept analysis: each text's Janome words, keyed by its digest and ANALYZER_VERSION, so a rebuild (a schema
change, a full reindex) runs at the index writer's speed instead of re-running Janome on every character.

The builder hands the writer each text as a KeptText: a str that carries its words when the store has
them, or, when it does not, the spool folder where the tokenizer (in whichever writer process analyses
it) appends what it computed. After the writer commits, the spool is merged into the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from indexer.text.analysis import ANALYZER_VERSION, analyze

Word = tuple[str, int, int, int]  # term, position, start, end


class KeptText(str):
    """A document's text with its words from the store (tokens), or where to spool them once analysed."""

    tokens: list[Word] | None
    key: str
    spool: str | None

    def __reduce__(self) -> tuple:
        # Pickled to the writer's other processes with its attributes (str's own reduce would drop them).
        return (_kept_text, (str(self), self.tokens, self.key, self.spool))


def _kept_text(text: str, tokens: list[Word] | None, key: str, spool: str | None) -> KeptText:
    kept = KeptText(text)
    kept.tokens, kept.key, kept.spool = tokens, key, spool
    return kept


def text_key(text: str) -> str:
    """Return the key of a text's analysis: its digest under this analyzer version."""
    return hashlib.sha1(f"{ANALYZER_VERSION}\0{text}".encode()).hexdigest()


def spool_words(text: KeptText, words: Iterable[Word]) -> None:
    """Append a text's freshly computed words to this process's spool file (called by the tokenizer)."""
    if not text.spool:
        return
    line = text.key + "\t" + json.dumps(list(words), ensure_ascii=False, separators=(",", ":"))
    with open(Path(text.spool) / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as out:
        out.write(line + "\n")


def kept_words(text: str) -> list[Word]:
    """Return a text's words: a KeptText's from the store, else Janome's (spooled when the text asks)."""
    if isinstance(text, KeptText) and text.tokens is not None:
        return text.tokens
    words = [(t.term, t.pos, t.start, t.end) for t in analyze(text)]
    if isinstance(text, KeptText):
        spool_words(text, words)
    return words


class AnalysisStore:
    """Each analysed text's words in one SQLite file (zlib-compressed JSON per text)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.spool = self.folder / "spool"
        self._db = sqlite3.connect(self.folder / "analysis.sqlite")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS words (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
        self.hits = self.misses = 0

    def wrap(self, text: str) -> KeptText:
        """Return the text as the writer should receive it: with its kept words, or marked for spooling."""
        key = text_key(text)
        row = self._db.execute("SELECT data FROM words WHERE key=?", (key,)).fetchone()
        if row is not None:
            self.hits += 1
            return _kept_text(text, [tuple(w) for w in json.loads(zlib.decompress(row[0]))], key, None)
        self.misses += 1
        self.spool.mkdir(exist_ok=True)
        return _kept_text(text, None, key, str(self.spool))

    def merge_spool(self) -> int:
        """Move what the writer's processes spooled into the store; return how many texts were added."""
        added = 0
        if not self.spool.exists():
            return 0
        for part in sorted(self.spool.glob("*.jsonl")):
            rows = []
            for line in part.read_text(encoding="utf-8").splitlines():
                key, _, words = line.partition("\t")
                rows.append((key, zlib.compress(words.encode("utf-8"), 1)))
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO words (key, data) VALUES (?, ?)", rows)
            added += len(rows)
            part.unlink()
        return added

    def discard_spool(self) -> None:
        """Drop what a failed build spooled."""
        for part in self.spool.glob("*.jsonl") if self.spool.exists() else ():
            part.unlink()

    @contextmanager
    def spooling(self) -> Iterator[None]:
        """Keep what a build spools if it completes, and nothing if it fails."""
        try:
            yield
        except BaseException:
            self.discard_spool()
            raise
        self.merge_spool()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AnalysisStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def spooling(analysis: AnalysisStore | None) -> Any:
    """Return analysis.spooling(), or a context that does nothing when there is no store."""
    return analysis.spooling() if analysis is not None else nullcontext()
