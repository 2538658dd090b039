"""A fake DB-Search host (one body's www.city.<name>.<pref>.dbsr.jp) on 127.0.0.1: its result listing and
document pages under /index.php/<number>?Template=…, links whose navigation number changes on every
response, pagination through the query kept in a session cookie, and a robots.txt shaped like a
prefecture host's. With frames=True it is a host whose listing opens documents in frames (Template=document
answers 404; Template=doc-page holds the voices). Every text here is made up for the tests."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from html import escape
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlsplit

from tests.fake_server import FakeHandler, FakeServer

# Shaped like the prefecture hosts' file: everything closed but the landing page.
ROBOTS = """User-agent: *
Disallow: /
Allow: /$
Allow: /index.php$
Allow: /index.php/$
"""
OPEN_ROBOTS = "User-agent: *\nDisallow:\n"
PAGE_SIZE = 4  # rows per listing page (the real system shows about ten)


@dataclass
class FakeDocument:
    document_id: int
    title: str
    held_on: date
    cabinet: int  # the kind of meeting: 1 定例会, 5 総務委員会
    voices: list[str] = field(default_factory=list)  # each voice's text as HTML


def plenary_day(topic: str, question: str, answer: str) -> list[str]:
    """Return the voices of one plenary sitting: the opening, an agenda item, a question, its answer."""
    return [
        "　　　　　　　　　　午前10時開議<br />\n◯議長（山田太郎君）　ただいまから本日の会議を開きます。",
        f"　　　～～～～～～～～○～～～～～～～～<br />\n△日程第１　{topic}",
        "◯議長（山田太郎君）　日程第１を議題といたします。１番川上花子議員。",
        f"◯１番（川上花子君）〔登壇〕　{question}<br />\n　以上、登壇しての質問といたします。",
        f"◯市長（大川　正君）　{answer}",
        "　　　　　　　　　　午前11時30分散会",
    ]


def build_documents() -> dict[int, FakeDocument]:
    """Eight documents over three years: two plenary days and a committee in 2025 (with a roster and a
    material filed beside them), one plenary day in 2024 (with its roster), one in 2023."""
    docs = [
        FakeDocument(
            1101,
            "令和７年第２回定例会（第１日）　名簿",
            date(2025, 6, 10),
            1,
            ["出席議員（３名）<br />\n　１番　川上　花子君<br />\n　２番　森田　一郎君<br />\n　議長　山田　太郎君"],
        ),
        FakeDocument(
            1102,
            "令和７年第２回定例会（第１日）　本文",
            date(2025, 6, 10),
            1,
            plenary_day(
                "データセンター誘致について",
                "データセンターの誘致について、電力の確保をどう考えていますか。",
                "電力会社と協議を重ね、再生可能エネルギーの活用を検討しております。",
            ),
        ),
        FakeDocument(
            1103,
            "令和７年第２回定例会（第２日）　本文",
            date(2025, 6, 17),
            1,
            plenary_day(
                "防災センターの整備について",
                "防災センターの整備計画の進み具合を伺います。資料&lt;別紙&gt;をご覧ください。",
                "用地の取得を終え、来年度に着工する予定です。",
            ),
        ),
        FakeDocument(1104, "令和７年第２回定例会（第２日）　資料", date(2025, 6, 17), 1, ["別紙　整備計画の工程表"]),
        FakeDocument(
            1105,
            "令和７年　総務委員会　本文",
            date(2025, 6, 20),
            5,
            [
                "◯委員長（森田一郎君）　ただいまから総務委員会を開会いたします。",
                "◯川上委員　保育所の待機児童の状況を伺います。",
                "◯こども課長（石井　健君）　４月１日時点で待機児童はおりません。",
            ],
        ),
        FakeDocument(
            1001,
            "令和６年第４回定例会（第１日）　名簿",
            date(2024, 12, 3),
            1,
            ["出席議員（３名）"],
        ),
        FakeDocument(
            1002,
            "令和６年第４回定例会（第１日）　本文",
            date(2024, 12, 3),
            1,
            plenary_day(
                "公共交通の見直しについて",
                "コミュニティバスの路線見直しについて伺います。",
                "利用者の声を聞きながら、来春に新しい路線を示します。",
            ),
        ),
        FakeDocument(
            901,
            "令和５年第３回定例会（第１日）　本文",
            date(2023, 9, 5),
            1,
            plenary_day("図書館について", "開館時間を伺います。", "延長いたします。"),
        ),
    ]
    return {d.document_id: d for d in docs}


def _page(title: str, body: str, charset: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="{charset}">\n'
        f"<title>{escape(title)} | 若葉市議会 会議録検索システム</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


class FakeDbSearch(FakeServer):
    """Serves one body's host in a thread; documents can be changed between crawls; requests are logged as
    (method, path, query, status); a template in throttle answers 429 once."""

    def __init__(self, robots: str = ROBOTS, charset: str = "UTF-8", frames: bool = False):
        self.charset = charset  # of every HTML page: UTF-8 as on the hosts described, or Shift_JIS
        self.frames = frames
        self.sessions: dict[str, dict[str, str]] = {}  # session cookie -> the query it holds
        self.documents = build_documents()
        self._session = 4_820_000
        super().__init__(_Handler, robots)

    def calls(self) -> list[tuple[str, str, dict[str, str]]]:
        """Return the requests made so far, without their statuses; a navigation number other than the
        adapter's own (100000), one taken from a page's links, reads as <n>."""
        return [
            (method, re.sub(r"^/index\.php/(?!100000$)\d+$", "/index.php/<n>", path), query)
            for method, path, query, _ in self.requests
        ]

    def data_requests(self) -> list[str]:
        """Return the paths of every request made under /index.php/ past the landing page."""
        return [path for _, path, _, _ in self.requests if path.startswith("/index.php/") and path != "/index.php/"]

    def _next_session(self) -> int:
        with self._lock:
            self._session += 7
            return self._session

    def listing(self, query: dict[str, str], page: int) -> str:
        """Render one page of the result listing of a query."""
        start = date.fromisoformat(query.get("TermStart") or "1900-01-01")
        end = date.fromisoformat(query.get("TermEnd") or "2100-12-31")
        cabinet = query.get("Cabinet")
        rows = sorted(
            (
                d
                for d in self.documents.values()
                if query and start <= d.held_on <= end and (not cabinet or str(d.cabinet) == cabinet)
            ),
            key=lambda d: (d.held_on, d.document_id),
            reverse=(query.get("ListOrder") or "").lower() != "asc",
        )
        shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        session = self._next_session()
        opens = "doc-one-frame&amp;VoiceType=onehit" if self.frames else "document&amp;VoiceType=all"
        items = "".join(
            '<li class="result-document__item">\n<div class="ans-title">\n'
            f'<span class="ans-title__date">{d.held_on.isoformat()}</span>\n<span class="ans-title__name">'
            f'<a href="/index.php/{session}?Template={opens}&amp;DocumentID={d.document_id}">'
            f"{escape(d.title)}</a></span>\n</div>\n</li>\n"
            for d in shown
        )
        pages = (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE

        def link(number: int, text: str) -> str:
            return f'<a href="/index.php/{session}?Template=list&amp;Page={number}">{text}</a>'

        pagination = " ".join(link(n, str(n)) if n != page else f"<span>{n}</span>" for n in range(1, pages + 1))
        if page < pages:
            pagination += " " + link(page + 1, "次 &gt;")
        body = (
            f'<nav class="global"><a href="/index.php/{session}?Template=search-detail">詳細検索</a> '
            f'<a href="/index.php/{session}?Template=search-library">会議録一覧</a></nav>\n'
            f'<p class="result-count"><span class="color--red">{len(rows)}</span>文書</p>\n'
            f'<ul class="result-document">\n{items}</ul>\n<div class="pagination">{pagination}</div>\n'
        )
        return _page("検索結果", body, self.charset)

    def document(self, doc: FakeDocument) -> str:
        """Render one document with every voice, its speaker index first."""
        session = self._next_session()
        index, voices = [], []
        for number, text in enumerate(doc.voices, 1):
            voice_id = doc.document_id * 100 + number
            label = text.split("　")[0] if text.startswith("◯") else ""
            index.append(
                f'<li class="speaker__item speaker__item--view " data-voice-no="{number}">'
                f'<input class="voice__input" type="checkbox" name="VoiceID[]" value="{voice_id}">'
                f'<span class="voice__name ">{label}</span></li>\n'
            )
            voices.append(
                f'<li class="page-text__voice border " data-voice-no="{number}">\n'
                f'<input type="checkbox" class="page-text__checkbox" name="VoiceID[]" value="{voice_id}">\n'
                f'<p class="page-text__text textwrap">\n<span class="page-text__number VoiceAnchor">{number}:</span>\n'
                f"{text}\n</p>\n</li>\n"
            )
        body = (
            f'<nav class="global"><a href="/index.php/{session}?Template=list&amp;Page=1">検索結果へ戻る</a></nav>\n'
            f'<h1 class="command__title"><span class="command__date">{doc.held_on.isoformat()}</span>：'
            f"{escape(doc.title)}</h1>\n"
            f'<ul class="speaker">\n{"".join(index)}</ul>\n<ul class="page-text">\n{"".join(voices)}</ul>\n'
        )
        return _page(doc.title, body, self.charset)

    def doc_page(self, doc: FakeDocument) -> str:
        """Render the frame that holds every voice of a document, as a host that opens documents in frames."""
        boxes = "".join(
            f'<div class="docpage-voice-text-box textwrap" id="VoiceNo{number}">\n<p class="docpage-voice-text">\n'
            f'<span class="docpage-voice-no VoiceAnchor" data-voiceno="{number}">{number}</span>\n{text}<br />\n'
            "</p>\n</div>\n"
            for number, text in enumerate(doc.voices, 1)
        )
        return _page("発言内容", f'<div class="docpage">\n{boxes}</div>\n', self.charset).replace(
            "<body>", '<body class="docpage">'
        )


class _Handler(FakeHandler):
    fake: FakeDbSearch

    def _send(self, status: int, body: str = "", headers: dict | None = None, query=None):
        """Send a page in the host's charset (text/html unless headers name a type)."""
        headers = dict(headers or {})
        if body and "Content-Type" not in headers:
            headers["Content-Type"] = f"text/html; charset={self.fake.charset}"
        self.send(status, body.encode("cp932" if self.fake.charset.lower() == "shift_jis" else "utf-8"), headers, query)

    def _session(self) -> tuple[str, dict]:
        """Return the session the request's cookie names, or a new one (with its Set-Cookie header)."""
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        token = cookie["dbsr_session"].value if "dbsr_session" in cookie else ""
        if token in self.fake.sessions:
            return token, {}
        token = secrets.token_hex(8)
        self.fake.sessions[token] = {}
        return token, {"Set-Cookie": f"dbsr_session={token}; path=/; HttpOnly"}

    def do_GET(self):
        fake = self.fake
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        if parts.path == "/robots.txt":
            return self.send_robots()
        if parts.path in ("/", "/index.php", "/index.php/"):
            return self._send(200, _page("トップ", "<h1>若葉市議会 会議録検索システム</h1>\n", fake.charset))
        if not parts.path.startswith("/index.php/") or not parts.path[11:].isdigit():
            return self._send(404, "not found", query=query)
        token, cookie = self._session()
        template = (query.get("Template") or "").lower()
        if self.busy(template, query):
            return
        if template == "list":
            if (query.get("QueryType") or "").lower() == "new":
                # A new query: kept in the session, and shown from its first page whatever Page says.
                fake.sessions[token] = {k: v for k, v in query.items() if k not in ("Page", "QueryType")}
                return self._send(200, fake.listing(fake.sessions[token], 1), cookie, query)
            page = int(query.get("Page") or 1)
            return self._send(200, fake.listing(fake.sessions[token], page), cookie, query)
        doc = fake.documents.get(int(query.get("DocumentID") or 0))
        if doc is not None and template == "document" and not fake.frames:
            return self._send(200, fake.document(doc), cookie, query)
        if doc is not None and template == "doc-page" and fake.frames:
            return self._send(200, fake.doc_page(doc), cookie, query)
        missing = _page("エラー", "<p>指定された文書は見つかりません。</p>\n", fake.charset)
        self._send(404, missing, cookie, query)
