"""A fake DiscussNet (ssp.kaigiroku.net) on 127.0.0.1: its tenant script, its JSON API under /dnp/search/
(form POSTs), and a robots.txt shaped like the real one. Every text here is made up for the tests."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.fake_server import FakeHandler, FakeServer

# Shaped like the real file: only the tenants' pages are open, and the API under /dnp/ falls under "/".
ROBOTS = """User-agent: *
Disallow: /
Allow: /tenant/
Disallow: /tenant/js/
Disallow: /tenant/css/
Disallow: /tenant/help/
"""
OPEN_ROBOTS = "User-agent: *\nDisallow:\n"

TENANT, TENANT_ID = "sakura", 77
PLENARY = ("全会議", "本会議", "定例会")
STANDING = ("全会議", "委員会", "常任委員会")


@dataclass
class FakeCouncil:
    council_id: int
    name: str
    year: int
    types: tuple[str, ...]
    path: str
    schedules: dict[int, dict] = field(default_factory=dict)  # schedule_id -> listing entry
    minutes: dict[int, list[dict]] = field(default_factory=dict)  # schedule_id -> entries


def _entry(minute_id: int, code: int, title: str, body: str, page: int) -> dict:
    return {
        "minute_id": minute_id,
        "title": title,
        "page_no": page,
        "minute_type": {2: "名簿", 3: "△議題", 4: "○議長", 5: "（質問）", 6: "（答弁）"}.get(code, ""),
        "minute_type_code": code,
        "body": f"<pre>{body}</pre>",
    }


def sitting(when: str, topic: str, question: str, answer: str, page: int = 1) -> list[dict]:
    """Return the entries of one sitting: roster, opening, an agenda item, a question and its answer."""
    return [
        _entry(
            1,
            2,
            "（名簿）",
            f"{when}\n出席議員（３名）\n　１番　川上　花子君\n　２番　森田　一郎君\n　議長　山田　太郎君",
            page,
        ),
        _entry(2, 4, "開議（１０時００分）", "（１０時００分）", page),
        _entry(
            3,
            4,
            "議長（山田太郎君）",
            "○議長（山田太郎君）　ただいまから本日の会議を開きます。",
            page,
        ),
        _entry(4, 3, f"△日程第１　{topic}", f"△日程第１　{topic}", page),
        _entry(5, 5, "１番（川上花子議員）", f"◆１番（川上花子議員）　{question}", page + 1),
        _entry(6, 6, "市長（大川正君）", f"◎市長（大川正君）　{answer}", page + 1),
        _entry(7, 4, "散会（１１時３０分）", "散会（１１時３０分）", page + 2),
    ]


def build_councils() -> dict[int, FakeCouncil]:
    """Four councils over three years: two plenary sessions and a committee in 2024–2025, one in 2023."""
    june = FakeCouncil(31, "令和　７年　　６月　定例会（第２回）", 2025, PLENARY, "/0/1/3/6/")
    june.schedules = {
        1: {"schedule_id": 1, "name": "06月10日－01号", "page_no": 1, "member_list": "<pre>出席議員３名</pre>"},
        2: {"schedule_id": 2, "name": "06月17日－02号", "page_no": 9, "member_list": "<pre>出席議員３名</pre>"},
    }
    june.minutes = {
        1: sitting(
            "令和７年６月１０日（火曜日）",
            "データセンター誘致について",
            "データセンターの誘致について、電力の確保をどう考えていますか。",
            "電力会社と協議を重ね、再生可能エネルギーの活用を検討しております。",
        ),
        2: sitting(
            "令和７年６月１７日（火曜日）",
            "防災センターの整備について",
            "防災センターの整備計画の進み具合を伺います。資料&lt;別紙&gt;をご覧ください。",
            "用地の取得を終え、来年度に着工する予定です。",
            page=9,
        ),
    }
    committee = FakeCouncil(32, "令和　７年　　総務常任委員会", 2025, STANDING, "/0/1/4/8/")
    committee.schedules = {1: {"schedule_id": 1, "name": "06月20日－01号", "page_no": 1, "member_list": ""}}
    committee.minutes = {
        1: [
            _entry(1, 4, "委員長（森田一郎君）", "○委員長（森田一郎君）　ただいまから総務常任委員会を開きます。", 1),
            _entry(2, 5, "川上委員", "◆川上委員　保育所の待機児童の状況を伺います。", 1),
            _entry(3, 6, "こども課長", "◎こども課長　４月時点で待機児童はおりません。", 1),
        ]
    }
    december = FakeCouncil(21, "令和　６年　１２月　定例会（第４回）", 2024, PLENARY, "/0/1/3/6/")
    december.schedules = {1: {"schedule_id": 1, "name": "12月03日－01号", "page_no": 1, "member_list": ""}}
    december.minutes = {
        1: sitting(
            "令和６年１２月３日（火曜日）",
            "公共交通の見直しについて",
            "コミュニティバスの路線見直しについて伺います。",
            "利用者の声を聞きながら、来春に新しい路線を示します。",
        )
    }
    older = FakeCouncil(11, "令和　５年　　９月　定例会（第３回）", 2023, PLENARY, "/0/1/3/6/")
    older.schedules = {1: {"schedule_id": 1, "name": "09月05日－01号", "page_no": 1, "member_list": ""}}
    older.minutes = {1: sitting("令和５年９月５日（火曜日）", "図書館について", "開館時間を伺います。", "延長します。")}
    return {c.council_id: c for c in (june, committee, december, older)}


class FakeDiscussNet(FakeServer):
    """Serves one tenant in a thread; councils can be changed between crawls; requests are logged as
    (method, path, form fields, status); a path in throttle answers 429 once."""

    def __init__(self, robots: str = ROBOTS):
        self.councils = build_councils()
        super().__init__(_Handler, robots)

    def calls(self) -> list[tuple[str, str, dict[str, str]]]:
        """Return the requests made so far, without their statuses."""
        return [(method, path, form) for method, path, form, _ in self.requests]

    def data_requests(self) -> list[str]:
        """Return the paths of every request made under /dnp/."""
        return [path for _, path, _, _ in self.requests if path.startswith("/dnp/")]

    def councils_payload(self) -> dict:
        years: dict[int, dict[tuple[str, tuple[str, ...]], list[dict]]] = {}
        for council in sorted(self.councils.values(), key=lambda c: (-c.year, -c.council_id)):
            kinds = years.setdefault(council.year, {})
            kinds.setdefault((council.path, council.types), []).append(
                {"council_id": council.council_id, "name": council.name}
            )
        return {
            "councils": [
                {
                    "view_years": [
                        {
                            "view_year": str(year),
                            "japanese_year": f"令和{year - 2018}年",
                            "council_type": [
                                {
                                    "council_type_path": path,
                                    **{f"council_type_name{i}": name for i, name in enumerate(types, 1)},
                                    "councils": councils,
                                }
                                for (path, types), councils in kinds.items()
                            ],
                        }
                        for year, kinds in years.items()
                    ]
                }
            ]
        }


class _Handler(FakeHandler):
    fake: FakeDiscussNet

    def _json(self, payload: dict, form: dict):
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send(200, body, {"Content-Type": "application/json; charset=UTF-8"}, form)

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/robots.txt":
            return self.send_robots()
        if path == f"/tenant/{TENANT}/js/tenant.js":
            body = f"var dnp = dnp || {{}};\ndnp.params = dnp.params || {{}};\ndnp.params.tenant_id = {TENANT_ID};\n"
            etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:12] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self.send(304, headers={"ETag": etag})
            return self.send(200, body.encode(), {"Content-Type": "application/javascript", "ETag": etag})
        if path.startswith("/dnp/"):
            return self.send(405, b'{"error": "POST only"}', {"Content-Type": "application/json"})
        self.send(404, b"not found")

    def do_POST(self):
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.busy(path, form):
            return
        if form.get("tenant_id") != str(TENANT_ID):
            return self.send(400, b'{"error": "tenant_id"}', {"Content-Type": "application/json"}, form)
        council = self.fake.councils.get(int(form.get("council_id") or 0))
        if path == "/dnp/search/councils/index":
            return self._json(self.fake.councils_payload(), form)
        if path == "/dnp/search/minutes/get_schedule" and council:
            return self._json({"council_schedules": list(council.schedules.values())}, form)
        if path == "/dnp/search/minutes/get_minute" and council:
            entries = council.minutes.get(int(form.get("schedule_id") or 0))
            if entries is not None:
                return self._json({"tenant_minutes": entries}, form)
        self.send(404, b'{"error": "not found"}', {"Content-Type": "application/json"}, form)
