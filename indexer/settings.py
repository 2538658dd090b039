"""Where the data lives: one settings object passed to every part instead of globals."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "data"


@dataclass(frozen=True)
class Settings:
    """Paths under one data directory: raw pages, parsed records, index generations."""

    data_dir: Path

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike | None = None) -> Settings:
        """Use data_dir, else $MINUTES_DATA_DIR, else ./data."""
        chosen = data_dir or os.environ.get("MINUTES_DATA_DIR") or DEFAULT_DATA_DIR
        return cls(Path(chosen).resolve())

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def records_dir(self) -> Path:
        return self.data_dir / "records"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def xapian_dir(self) -> Path:
        """The Xapian shard databases (shard-0, shard-1 …) written by `minutes xapian-build`."""
        return self.data_dir / "xapian"

    @property
    def analysis_dir(self) -> Path:
        """Kept analysis (each text's Janome words), so rebuilds skip Janome."""
        return self.data_dir / "analysis"

    @property
    def synonyms_path(self) -> Path | None:
        """The data directory's own synonyms.txt, or None when it has none (the bundled file applies)."""
        own = self.data_dir / "synonyms.txt"
        return own if own.exists() else None
