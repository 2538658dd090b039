"""A fake VOICES installation (gijiroku.com) on 127.0.0.1: its CGI (voiweb.exe: ACT=100 listings, ACT=203
texts) in Shift_JIS, a landing page, and a robots.txt shaped like the vendor's. Every text here is made
up for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from tests.fake_server import FakeHandler, FakeServer

# Shaped like the vendor's file: the CGI of every usual installation path is disallowed.
ROBOTS = """User-agent: *
Disallow: /voices/cgi/
Disallow: /voices2/cgi/
Disallow: /gikai/cgi/
Disallow: /gikai/voices/cgi/
Disallow: /gikai/voices2/cgi/
"""
OPEN_ROBOTS = "User-agent: *\nDisallow:\n"

TENANT = "voices"
CGI = f"/{TENANT}/cgi/voiweb.exe"
ENCODING = "cp932"
_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def wide(number: int) -> str:
    return str(number).translate(_DIGITS)


@dataclass
class FakeSitting:
    fino: int
    kgno: int
    kgtp: int  # 1 定例会, 2 臨時会, 3 委員会
    year: int
    month: int
    day: int
    number: int  # 号; 0 for a table of contents
    session: str  # as the listing prints it, full-width spaces and digits
    text: str  # the ACT=203 page's body markup (before encoding)
    revision: int = 1  # the fake's rule: the UNID's last digit, raised when a record is issued again

    @property
    def label(self) -> str:
        return f"{self.month:02d}月{self.day:02d}日-" + ("目次" if self.number == 0 else f"{self.number:02d}号")

    @property
    def unid(self) -> str:
        return f"K_R{self.year - 2018:02d}{self.month:02d}{self.day:02d}{self.kgtp:02d}{self.number:02d}{self.revision}"


def plenary_text(session: str, day: str, topic: str, question: str, answer: str, huid: int) -> str:
    """Return a plenary sitting's text as the CGI lays it out: a header, then one anchor per entry."""
    return (
        f'<A NAME="HUID{huid}"></A>{session}<BR><BR>　　　　　　　　桜ヶ丘市議会定例会会議録<BR>'
        f"　　　　　　　　　　　　　　　　{day}<BR>　　　　　　　　　　　　　　　　午前10時開議<BR>"
        "───────────────────────────<BR>　　　　　　　出 席 議 員 氏 名<BR>"
        "　　　１番　　川　上　花　子　　　　　２番　　森　田　一　郎<BR>"
        "　　　３番　　山　田　太　郎<BR>───────────────────────────<BR><P>"
        f'<A NAME="HUID{huid + 1}"></A>○山田太郎　議長　　　　　　　これより本日の会議を開きます。<BR><P>'
        f'<A NAME="HUID{huid + 2}"></A>△日程第１　{topic}<BR>───────────────────────────<BR><P>'
        f'<A NAME="HUID{huid + 3}"></A>○山田太郎　議長　　　　　　　日程第１を議題といたします。１番川上花子議員。<BR>'
        "　　　　　　　　〔１番川上花子議員登壇〕<BR><P>"
        f'<A NAME="HUID{huid + 4}"></A>◆１番（川上花子議員）　{question}<BR><P>'
        f'<A NAME="HUID{huid + 5}"></A>○山田太郎　議長　　　　　　　市長。<BR><P>'
        f'<A NAME="HUID{huid + 6}"></A>◎大川正　市長　　　　　　　{answer}<BR><P>'
        f'<A NAME="HUID{huid + 7}"></A>○山田太郎　議長　　　　　　　本日はこれにて散会いたします。<BR>'
        "　　　　　　　　　　　　　　　　午前11時30分散会<BR><P>"
    )


def committee_text(session: str, huid: int) -> str:
    """Return a committee sitting's text: labels on their own line, the speech on the next."""
    return (
        f'<A NAME="HUID{huid}"></A>{session}<BR><BR>　　　　　　総務委員会会議録<BR><BR>'
        "　　　　　　　　　　　　　　　開会　１０時００分<BR><P>"
        f'<A NAME="HUID{huid + 1}"></A>○森田　委員長　<BR>　ただいまから、総務委員会を開会いたします。<BR><P>'
        f'<A NAME="HUID{huid + 2}"></A>◆川上　委員　<BR>　保育所の待機児童の状況を伺います。<BR><P>'
        f'<A NAME="HUID{huid + 3}"></A>◎石井　こども課長　<BR>　４月時点で待機児童はおりません。<BR><P>'
        f'<A NAME="HUID{huid + 4}"></A>○森田　委員長　<BR>　以上で総務委員会を閉会いたします。<BR>'
        "　　　　　　　　　　　　　　　閉会　１０時４０分<BR><P>"
    )


def build_sittings() -> dict[int, FakeSitting]:
    """Sittings over three years: a June session (contents and two days) and a committee in 2025, a
    December session in 2024, one in 2023."""
    june = "令和　７年第　２回　６月定例会"
    committee = "令和　７年　６月２０日総務委員会"
    december = "令和　６年第　４回１２月定例会"
    older = "令和　５年第　３回　９月定例会"
    sittings = [
        FakeSitting(5101, 3301, 1, 2025, 6, 10, 0, june, f'<A NAME="HUID9000"></A>{june}<BR>目次<BR><P>'),
        FakeSitting(
            5102,
            3301,
            1,
            2025,
            6,
            10,
            1,
            june,
            plenary_text(
                june,
                "令和７年６月10日（火曜日）",
                "データセンター誘致について",
                "データセンターの誘致について、電力の確保をどう考えていますか。",
                "電力会社と協議を重ね、再生可能エネルギーの活用を検討しております。",
                9100,
            ),
        ),
        FakeSitting(
            5103,
            3301,
            1,
            2025,
            6,
            17,
            2,
            june,
            plenary_text(
                june,
                "令和７年６月17日（火曜日）",
                "防災センターの整備について",
                "防災センターの整備計画の進み具合を伺います。資料&lt;別紙&gt;をご覧ください。",
                "用地の取得を終え、来年度に着工する予定です。",
                9200,
            ),
        ),
        FakeSitting(5110, 3305, 3, 2025, 6, 20, 1, committee, committee_text(committee, 9300)),
        FakeSitting(
            5001,
            3201,
            1,
            2024,
            12,
            3,
            1,
            december,
            plenary_text(
                december,
                "令和６年12月３日（火曜日）",
                "公共交通の見直しについて",
                "コミュニティバスの路線見直しについて伺います。",
                "利用者の声を聞きながら、来春に新しい路線を示します。",
                8100,
            ),
        ),
        FakeSitting(
            4901,
            3101,
            1,
            2023,
            9,
            5,
            1,
            older,
            plenary_text(
                older, "令和５年９月５日（火曜日）", "図書館について", "開館時間を伺います。", "延長します。", 7100
            ),
        ),
    ]
    return {s.fino: s for s in sittings}


_PAGE_HEAD = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<HTML LANG="ja-JP">\n<HEAD>\n'
    '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">\n<TITLE>{title}</TITLE>\n</HEAD>\n'
)
_WINOPEN = (
    '<SCRIPT LANGUAGE="JavaScript">\n<!--\nfunction winopen(href){\n'
    "window.open( href,'HLD_WIN','resizable=yes,menubar=yes');\n}\n//-->\n</SCRIPT>\n"
)


class FakeVoices(FakeServer):
    """Serves one installation in a thread; sittings can be changed between crawls; requests are logged as
    (method, path, query fields, status); an ACT value in throttle answers 429 once."""

    def __init__(self, robots: str = ROBOTS, per_page: int | None = None):
        self.per_page = per_page  # rows per listing page; None: every row on the first page
        self.sittings = build_sittings()
        super().__init__(_Handler, robots)

    def calls(self) -> list[tuple[str, dict[str, str]]]:
        """Return the requests made so far, without their methods and statuses."""
        return [(path, query) for _, path, query, _ in self.requests]

    def data_requests(self) -> list[dict[str, str]]:
        """Return the query fields of every request made to the CGI."""
        return [query for _, path, query, _ in self.requests if path.lower() == CGI.lower()]

    def listing(self, query: dict[str, str]) -> str:
        kinds = {int(k) for k in query.get("KGTP", "").split(",") if k.isdigit()}
        first, last = int(query.get("FYY") or 0), int(query.get("TYY") or 9999)
        rows = sorted(
            (s for s in self.sittings.values() if s.kgtp in kinds and first <= s.year <= last),
            key=lambda s: (-s.year, -s.kgno, s.month, s.day, s.number),
        )
        page = int(query.get("PAGE") or 1)
        size = self.per_page or max(len(rows), 1)
        shown = rows[(page - 1) * size : page * size]
        finos = "%2C".join(str(s.fino) for s in shown)
        span = f"KTYP={query.get('KTYP', '')}&KGTP={query.get('KGTP', '')}&FYY={query.get('FYY', '')}"
        parts = [
            _PAGE_HEAD.format(title="会議日程一覧"),
            _WINOPEN,
            '<BODY BGCOLOR="#EFEFFF">\n<TABLE BORDER=0 CELLPADDING=2 CELLSPACING=0 WIDTH=100%><TR><TD COLSPAN=2>',
            f'{len(rows)}件の日程がヒットしました。<IMG SRC="/{TENANT}/image/folder.gif">をクリックすると発言者を表示します。'
            "</TD></TR>\n",
        ]
        year = None
        for sitting in shown:
            if sitting.year != year:
                year = sitting.year
                parts.append(
                    f'</TABLE>\n<TABLE BORDER=0 WIDTH=100%><TR><TD BGCOLOR="#E6E6FA" VALIGN=TOP>令和　{year - 2018:02d}年 '
                    '</TD></TR>\n</TABLE>\n<TABLE BORDER=0 CELLPADDING=2 CELLSPACING=0 WIDTH="100%">\n'
                )
            subt = quote(f"{sitting.session}｜{sitting.label}", encoding=ENCODING, safe="")
            parts.append(
                '<TR>\n<TD NOWRAP BGCOLOR="#eff7ff" ALIGN=LEFT COLSPAN=3>\n'
                f'<A HREF="voiweb.exe?ACT=100&KENSAKU=0&SORT=0&{span}&TITL_SUBT={subt}&FINO={sitting.fino}'
                f'&FINOS={finos}&PAGE={page}&HIT={len(rows)}&AHIT=-1"><IMG BORDER=0 SRC="/{TENANT}/image/folder.gif"></A>\n'
                f'{sitting.session},<A HREF="javascript:;"  TARGET="HLD_WIN" onClick="winopen(\'voiweb.exe?ACT=200'
                f"&KENSAKU=0&SORT=0&{span}&TITL_SUBT={subt}&KGNO={sitting.kgno}&FINO={sitting.fino}"
                f"&UNID={sitting.unid}');\">{sitting.label}</A>\n</TD>\n</TR>\n"
            )
        if not shown:
            parts.append("<TR><TD>該当する日程は存在しません。</TD></TR>\n")
        parts.append("</TABLE>\n</BODY>\n</HTML>\n")
        return "".join(parts)

    def text(self, sitting: FakeSitting) -> str:
        return (
            _PAGE_HEAD.format(title="")
            + '<BODY BGCOLOR="#ffffff" onLoad="init_h();">\n<SCRIPT LANGUAGE="JavaScript">\nvar hitp = -1;\n</SCRIPT>\n'
            + sitting.text
            + '<FORM METHOD="POST"><INPUT TYPE="hidden" NAME="hitcount" VALUE="0"></FORM>\n'
            + '<SCRIPT LANGUAGE="JavaScript">\nfunction init_h(){\n    parent.hitp = -1;\n}\n</SCRIPT>\n</BODY>\n</HTML>\n'
        )


class _Handler(FakeHandler):
    fake: FakeVoices

    def _page(self, markup: str, query: dict):
        # The CGI names its charset only in the page's meta tag.
        self.send(200, markup.encode(ENCODING), {"Content-Type": "text/html"}, query)

    def do_GET(self):
        fake = self.fake
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True, encoding=ENCODING).items()}
        if path == "/robots.txt":
            return self.send_robots()
        if path == f"/{TENANT}/index.asp":
            return self._page(_PAGE_HEAD.format(title="会議録検索システム") + "<BODY>会議録検索</BODY>", query)
        if path.lower() != CGI.lower():
            return self.send(404, b"not found", fields=query)
        act = query.get("ACT", "")
        if self.busy(act, query):
            return
        if act == "100":
            return self._page(fake.listing(query), query)
        sitting = fake.sittings.get(int(query.get("FINO") or 0)) if query.get("FINO", "").isdigit() else None
        if act == "203" and sitting is not None:
            return self._page(fake.text(sitting), query)
        self._page(_PAGE_HEAD.format(title="") + "<BODY>該当する会議録はありません。</BODY>", query)
