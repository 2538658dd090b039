"""Other engines for the benchmark to compare against: SQLite FTS5 (trigram) and Groonga (MeCab).

Each is built from the same documents (folded text, date, role, committee, year) and answers the
same requests: the first 20 matches with their texts (Groonga: and a highlighted snippet, as our API
gives), the total, and role/committee/year counts over every match.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from bench_http import free_port
from bench_queries import BenchQuery, fold


class Fts5:
    """SQLite FTS5 with the trigram tokenizer; words shorter than three characters need a LIKE scan."""

    @staticmethod
    def available() -> bool:
        try:
            sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
            return True
        except sqlite3.OperationalError:
            return False

    @staticmethod
    def why_unavailable() -> str:
        return f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer"

    def __init__(self, folder: Path, docs: list[tuple]):
        started = time.perf_counter()
        self.db = sqlite3.connect(folder / "fts5.db", check_same_thread=False)
        self.db.executescript("""
            CREATE TABLE docs(id INTEGER PRIMARY KEY, meeting_id TEXT, seq INT, date TEXT, year TEXT,
                              role TEXT, committee TEXT, text TEXT);
            CREATE INDEX docs_date ON docs(date);
            CREATE VIRTUAL TABLE fts USING fts5(text, content='docs', content_rowid='id', tokenize='trigram');
        """)
        self.db.executemany(
            "INSERT INTO docs(meeting_id, seq, date, year, role, committee, text) VALUES (?,?,?,?,?,?,?)",
            ((key[0], key[1], day, day[:4], role, committee, fold(text)) for key, day, text, role, committee in docs),
        )
        self.db.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
        self.db.commit()
        self.build_seconds = round(time.perf_counter() - started, 1)

    def search(self, query: BenchQuery) -> int:
        """Run one request; return the total."""
        needles = [fold(w) for w in query.words]
        long_words = [n for n in needles if len(n) >= 3]
        conditions, params = [], []
        source = "docs d"
        if long_words:
            source += " JOIN fts ON fts.rowid = d.id"
            conditions.append("fts MATCH ?")
            params.append(" AND ".join('"' + n.replace('"', '""') + '"' for n in long_words))
        for needle in needles:
            if len(needle) < 3:
                conditions.append("d.text LIKE ? ESCAPE '\\'")
                params.append("%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        if query.date_from:
            conditions.append("d.date BETWEEN ? AND ?")
            params += [query.date_from.isoformat(), query.date_until.isoformat()]
        where = " WHERE " + " AND ".join(conditions)
        rows = self.db.execute(f"SELECT d.role, d.committee, d.year FROM {source}{where}", params).fetchall()
        facets = [Counter(row[i] for row in rows) for i in range(3)]  # noqa: F841 (the counts a page shows)
        order = " ORDER BY bm25(fts)" if long_words else " ORDER BY d.date DESC"
        self.db.execute(f"SELECT d.meeting_id, d.seq, d.text FROM {source}{where}{order} LIMIT 20", params).fetchall()
        return len(rows)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.db.close()


class Groonga:
    """Groonga with TokenMecab and NormalizerAuto, served over HTTP on 127.0.0.1 by its own server."""

    @staticmethod
    def available() -> bool:
        return shutil.which("groonga") is not None

    @staticmethod
    def why_unavailable() -> str:
        return "groonga is not installed (apt-get install groonga-bin groonga-tokenizer-mecab)"

    SCHEMA = (
        "table_create Docs TABLE_NO_KEY",
        "column_create Docs text COLUMN_SCALAR LongText",
        "column_create Docs date COLUMN_SCALAR ShortText",
        "column_create Docs year COLUMN_SCALAR ShortText",
        "column_create Docs role COLUMN_SCALAR ShortText",
        "column_create Docs committee COLUMN_SCALAR ShortText",
    )
    INDEXES = (
        "table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer TokenMecab --normalizer NormalizerAuto",
        "column_create Terms docs_text COLUMN_INDEX|WITH_POSITION Docs text",
        "table_create Dates TABLE_PAT_KEY ShortText",
        "column_create Dates docs_date COLUMN_INDEX Docs date",
    )

    def __init__(self, folder: Path, docs: list[tuple]):
        started = time.perf_counter()
        db = folder / "groonga" / "db"
        db.parent.mkdir(exist_ok=True)
        if not db.exists():  # a database an earlier run left in folder is served again
            self._load(db, docs)
        port = free_port()
        self.server = subprocess.Popen(
            ["groonga", "-s", "--protocol", "http", "--bind-address", "127.0.0.1", "--port", str(port), str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.pid = self.server.pid
        self.base = f"http://127.0.0.1:{port}/d/select?"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/d/status", timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        self.build_seconds = round(time.perf_counter() - started, 1)

    def _load(self, db: Path, docs: list[tuple]) -> None:
        commands = db.parent / "load.grn"
        with open(commands, "w", encoding="utf-8") as out:  # loaded in chunks: a large corpus is gigabytes of JSON
            out.write("\n".join(self.SCHEMA) + "\n")
            for start in range(0, len(docs), 20_000):
                rows = [
                    {"text": text, "date": day or "", "year": (day or "")[:4], "role": role, "committee": committee}
                    for key, day, text, role, committee in docs[start : start + 20_000]
                ]
                out.write("load --table Docs\n" + json.dumps(rows, ensure_ascii=False) + "\n")
            out.write("\n".join(self.INDEXES) + "\n")
        with open(commands, "rb") as source:
            subprocess.run(["groonga", "-n", str(db)], stdin=source, check=True, capture_output=True)
        commands.unlink()

    def search(self, query: BenchQuery) -> int:
        """Run one request; return the total."""
        params = {
            "table": "Docs",
            "match_columns": "text",
            "query": query.q,
            "limit": 20,
            # The page our API answers: each hit's fields, its text and a highlighted snippet.
            "output_columns": "_id,_score,date,role,committee,text,snippet_html(text)",
            "sort_keys": "-_score",
            "drilldown": "role,committee,year",
            "drilldown_limit": -1,
        }
        if query.date_from:
            params["filter"] = f'date >= "{query.date_from.isoformat()}" && date <= "{query.date_until.isoformat()}"'
        answer = json.loads(urllib.request.urlopen(self.base + urllib.parse.urlencode(params), timeout=30).read())
        header, body = answer[0], answer[1]
        if header[0] != 0:
            raise RuntimeError(f"groonga: {header}")
        return body[0][0][0]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.terminate()
        self.server.wait(timeout=10)


ENGINES = {"fts5": Fts5, "groonga": Groonga}
