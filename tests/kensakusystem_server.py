"""A fake kensakusystem.jp on 127.0.0.1: one tenant's landing page, its browse tree (See.exe), the viewer's
frameset (ResultFrame.exe) and the print-all text of a sitting (GetText3.exe), all Shift_JIS HTML from
.exe paths under /<tenant>/cgi-bin3/, and no robots.txt (404), as on the real host. Every text here is made
up for the tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.fake_server import FakeHandler, FakeServer

TENANT, CGI = "sakura", "cgi-bin3"
CODE = "k7q2m9x4p1z8w3v6tb"
# The real host answers 404 for /robots.txt; these stand in for one that forbids.
FORBID_ALL = "User-agent: *\nDisallow: /\n"
FORBID_CGI = f"User-agent: *\nDisallow: /{TENANT}/{CGI}/\n"
HEAD = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<HTML>\n<HEAD>\n'
    '<META http-equiv="Content-Type" content="text/html; charset=x-sjis">\n'
    '<META name="robots" CONTENT="follow,index">\n<TITLE>{title}</TITLE>\n</HEAD>\n'
)


@dataclass
class FakeSitting:
    file_name: str
    day: str  # the link text: （ 6月10日）
    lines: list[str]  # the print-all page's lines, one <BR> each


@dataclass
class FakeTree:
    # year label -> meeting label (with its trailing space) -> sittings
    years: dict[str, dict[str, list[FakeSitting]]] = field(default_factory=dict)

    def sitting(self, file_name: str) -> tuple[str, FakeSitting] | None:
        for meetings in self.years.values():
            for meeting, sittings in meetings.items():
                for sitting in sittings:
                    if sitting.file_name == file_name:
                        return meeting, sitting
        return None


def plenary(when: str, number: str, topic: str, question: list[str], answer: str) -> list[str]:
    """Return the lines of one plenary sitting: heading, attendance, opening, a question and its answer."""
    return [
        "\u3000",
        f"\u3000\u3000\u3000\u3000\u3000\u3000令和７年第２回桜ヶ丘市議会定例会会議録（第{number}号）",
        "",
        when,
        "",
        "１\u3000出席議員（３名）",
        "\u3000\u3000\u3000１番\u3000\u3000川上花子",
        "\u3000\u3000\u3000２番\u3000\u3000森田一郎",
        "\u3000\u3000\u3000３番\u3000\u3000山田太郎",
        "２\u3000説明のため出席した者",
        "\u3000\u3000\u3000市長\u3000\u3000大川\u3000正",
        "～～～～～～～～～～～～～～～～～～～～～",
        "\u3000\u3000\u3000\u3000午前１０時００分\u3000開議",
        "○議長（山田太郎）\u3000ただいまから本日の会議を開きます。",
        f"\u3000日程第１、{topic}を議題といたします。",
        f"○１番議員（川上花子）\u3000{question[0]}",
        *(f"\u3000{more}" for more in question[1:]),
        f"○市長（大川正）\u3000{answer}",
        "○議長（山田太郎）\u3000本日はこれで散会いたします。",
        "\u3000\u3000\u3000\u3000午前１１時３０分\u3000散会",
    ]


def build_tree() -> FakeTree:
    """Three years: a plenary session of two sittings and a committee in 令和7年, one session in 令和6年,
    one in 令和5年."""
    june = [
        FakeSitting(
            "R070610A",
            "（ 6月10日）",
            plenary(
                "令和７年６月１０日（火曜日）",
                "１",
                "データセンター誘致について",
                ["データセンターの誘致について、電力の確保をどう考えていますか。", "地元の雇用も伺います。"],
                "電力会社と協議を重ね、再生可能エネルギーの活用を検討しております。",
            ),
        ),
        FakeSitting(
            "R070617A",
            "（第2日 6月17日）",
            plenary(
                "令和７年６月１７日（火曜日）",
                "２",
                "防災センターの整備について",
                ["防災センターの整備計画の進み具合を伺います。資料&lt;別紙&gt;をご覧ください。"],
                "用地の取得を終え、来年度に着工する予定です。",
            ),
        ),
    ]
    committee = [
        FakeSitting(
            "R070620B01",
            "（ 6月20日）",
            [
                "\u3000\u3000\u3000\u3000\u3000総務常任委員会記録",
                "令和７年６月２０日（金曜日）",
                "○森田委員長\u3000ただいまから総務常任委員会を開会いたします。",
                "○川上委員\u3000保育所の待機児童の状況を伺います。",
                "○こども課長\u3000４月時点で待機児童はおりません。",
            ],
        )
    ]
    december = [
        FakeSitting(
            "R061203A",
            "（12月 3日）",
            plenary(
                "令和６年１２月３日（火曜日）",
                "１",
                "公共交通の見直しについて",
                ["コミュニティバスの路線見直しについて伺います。"],
                "利用者の声を聞きながら、来春に新しい路線を示します。",
            ),
        )
    ]
    older = [
        FakeSitting(
            "R050905A",
            "（ 9月 5日）",
            plenary("令和５年９月５日（火曜日）", "１", "図書館について", ["開館時間を伺います。"], "延長します。"),
        )
    ]
    return FakeTree(
        {
            "令和 7年": {"令和 7年 第2回定例会 ": june, "令和 7年 総務常任委員会 ": committee},
            "令和 6年": {"令和 6年 第4回定例会 ": december},
            "令和 5年": {"令和 5年 第3回定例会 ": older},
        }
    )


def _sjis(text: str) -> bytes:
    return text.encode("cp932")


class FakeKensakuSystem(FakeServer):
    """Serves one tenant in a thread; the tree and the session code can be changed between crawls; every
    request is logged as (method, path, query or form fields decoded from cp932, status); a path in throttle
    answers 429 once."""

    def __init__(self, robots: str | None = None):
        self.code = CODE
        self.tree = build_tree()
        self.missing: set[str] = set()  # sittings listed whose file the system cannot read
        super().__init__(_Handler, robots)  # robots None: 404, as the real host answers

    def calls(self) -> list[tuple[str, dict[str, str]]]:
        """Return (path, fields without the session code) of every request so far."""
        return [(path, {k: v for k, v in fields.items() if k != "Code"}) for _, path, fields, _ in self.requests]

    def cgi_requests(self) -> list[str]:
        """Return the paths of every request made to the tenant's CGI programs."""
        return [path for _, path, _, _ in self.requests if path.startswith(f"/{TENANT}/{CGI}/")]

    # -- pages -----------------------------------------------------------------------------------------

    def landing(self) -> str:
        return HEAD.format(title="桜ヶ丘市議会 会議録検索システム") + (
            '<BODY>\n<CENTER><IMG SRC="image/title.gif" ALT="桜ヶ丘市議会 会議録検索システム"></CENTER>\n'
            f'<A HREF="{CGI}/See.exe?Code={self.code}"><IMG SRC="image/button01.gif" ALT="会議録の閲覧"></A>\n'
            f'<A HREF="{CGI}/Search2.exe?Code={self.code}"><IMG SRC="image/button02.gif" ALT="会議録の検索"></A>\n'
            "</BODY>\n</HTML>\n"
        )

    def tree_page(self, depth: str) -> str:
        """The browse tree with the years listed, the node depth names opened: its year's meetings, and
        the sittings of the meeting it names."""
        rows = []

        def node(label: str, text: str, indent: int) -> str:
            cells = "<td></td>" * indent
            return (
                f'<tr>{cells}<td nowrap><IMG src="/{TENANT}/image/point.gif" border=0></td><td nowrap colspan=3>'
                '<A HREF="javascript:document.viewtree.submit()" '
                f'onClick="document.viewtree.treedepth.value=\'{label}\'"><font class="TEXT5">{text}</font></A>'
                "</td></tr>"
            )

        for year, meetings in self.tree.years.items():
            rows.append(node(year, year, 0))
            if not depth.startswith(year):
                continue
            for meeting, sittings in meetings.items():
                rows.append(node(meeting, meeting[len(year) :].strip(), 1))
                if depth != meeting:
                    continue
                links = "".join(
                    f'<A HREF="ResultFrame.exe?Code={self.code}&fileName={s.file_name}&startPos=0">'
                    f'<IMG SRC="/{TENANT}/image/r2.gif" WIDTH="12" border=0>{s.day}</A><BR>\n'
                    for s in sittings
                )
                rows.append(f"<tr><td></td><td></td><td colspan=2><OL>\n{links}</OL></td></tr>")
        return (
            HEAD.format(title="会議録の閲覧")
            + f'<BODY bgColor=#ffffff>\n<FORM NAME="viewtree" ACTION="/{TENANT}/{CGI}/See.exe" METHOD="POST">\n'
            f'<INPUT type="hidden" name="Code" value="{self.code}">\n'
            f'<INPUT type="hidden" name="treedepth" value="{depth}">\n</FORM>\n<table>\n'
            + "\n".join(rows)
            + "\n</table>\n</BODY>\n</HTML>\n"
        )

    def frameset(self, file_name: str) -> str:
        return HEAD.format(title="会議録の閲覧と検索") + (
            '<FRAMESET COLS="30%,*">\n'
            f'<FRAME SRC="/{TENANT}/{CGI}/r_Speakers.exe?{self.code}/{file_name}/0/0//10/1/0:0/0/1//0/0/0" '
            'NAME="MENU">\n'
            f'<FRAME SRC="/{TENANT}/{CGI}/r_TextFrame.exe?{self.code}/{file_name}/0/0//10/1/0//0/0/0" '
            'NAME="TEXTW">\n</FRAMESET>\n</HTML>\n'
        )

    def print_all(self, meeting: str, sitting: FakeSitting) -> str:
        title = f"{meeting.rstrip().replace(' 第', '第').replace('年 ', '年')}{sitting.day} "
        lines = "<BR>\n".join(sitting.lines)
        return HEAD.format(title=title) + f'<BODY>\n<FONT class="TEXT2">\n{lines}<BR>\n</FONT>\n</BODY>\n</HTML>\n'

    @staticmethod
    def error(message: str) -> str:
        return HEAD.format(title="") + f"<body>\nERROR:{message}\n</body>\n</html>\n"


class _Handler(FakeHandler):
    fake: FakeKensakuSystem

    def _html(self, text: str, fields: dict):
        self.send(200, _sjis(text), {"Content-Type": "text/html"}, fields)

    def do_GET(self):
        parts = urlsplit(self.path)
        fields = {k: v[0] for k, v in parse_qs(parts.query, encoding="cp932").items()}
        self._answer(parts.path, fields)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("ascii", errors="replace")
        self._answer(urlsplit(self.path).path, {k: v[0] for k, v in parse_qs(body, encoding="cp932").items()})

    def _answer(self, path: str, fields: dict[str, str]):
        fake = self.fake
        if path == "/robots.txt":
            return self.send_robots()
        if self.busy(path, fields):
            return
        if path in (f"/{TENANT}/", f"/{TENANT}/index.html"):
            body = _sjis(fake.landing())
            etag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self.send(304, headers={"ETag": etag}, fields=fields)
            return self.send(200, body, {"Content-Type": "text/html", "ETag": etag}, fields)
        cgi = f"/{TENANT}/{CGI}/"
        if not path.startswith(cgi):
            return self.send(404, b"not found", {"Content-Type": "text/html"}, fields)
        program = path[len(cgi) :]
        if fields.get("Code") != fake.code:
            return self._html(fake.error("検索条件の有効期限が切れました。"), fields)
        if program == "See.exe":
            return self._html(fake.tree_page(fields.get("treedepth", "")), fields)
        file_name = fields.get("fileName", "")
        found = None if file_name in fake.missing else fake.tree.sitting(file_name)
        if found is None:
            return self._html(fake.error(f"ファイルの読込みに失敗しました。<BR>{file_name}"), fields)
        if program == "ResultFrame.exe":
            return self._html(fake.frameset(file_name), fields)
        if program == "GetText3.exe" and fields.get("FUNC") == "PRINT_ALL":
            return self._html(fake.print_all(*found), fields)
        self.send(404, b"not found", {"Content-Type": "text/html"}, fields)
