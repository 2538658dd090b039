"""Query-time synonyms and abbreviations from a plain, editable text file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from indexer.text.normalize import fold_chars, normalize_text

# Read through importlib.resources, so it is found wherever the package is installed (package data in pyproject.toml).
BUNDLED = resources.files("indexer.search") / "synonyms.txt"


def _key(word: str) -> str:
    return fold_chars(normalize_text(word).replace(" ", ""))[0]


class Synonyms:
    """Groups of equivalent words; looking up any word returns the others of its group."""

    def __init__(self, groups: list[list[str]]):
        self.groups = [list(dict.fromkeys(g)) for g in groups if len(g) > 1]
        self._index: dict[str, list[str]] = {}
        for group in self.groups:
            for word in group:
                self._index.setdefault(_key(word), [])
                self._index[_key(word)] += [w for w in group if _key(w) != _key(word)]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Synonyms:
        """Read groups from a file: one comma-separated group per line, # starts a comment."""
        text = (Path(path) if path else BUNDLED).read_text(encoding="utf-8")
        groups = []
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                groups.append([w.strip() for w in line.replace("、", ",").split(",") if w.strip()])
        return cls(groups)

    def alternatives(self, word: str) -> list[str]:
        """Return the other words of the word's group (empty if it has none)."""
        return list(dict.fromkeys(self._index.get(_key(word), [])))


NO_SYNONYMS = Synonyms([])
