"""A corpus of hostile pages, generated here: broken HTML, wrong charsets, huge, empty, scripted."""

from __future__ import annotations

import random

GOOD_RECORD = (
    "<h1>第3回さくら市交通政策委員会</h1><p>日時：令和5年6月2日 午後2時から午後3時</p><h2>審議結果</h2>"
    "<p>委員長<br>開会します。</p><p>委員<br>バス路線について伺います。</p>"
    "<p>事務局<br>お答えします。</p>"
)


def page(body: str, head: str = '<meta charset="utf-8">') -> str:
    return f'<html><head>{head}<title>会議録</title></head><body><div id="main">{body}</div></body></html>'


def hostile_pages() -> dict[str, bytes]:
    """Return {name: bytes}; names ending in "-ok" must parse into a Meeting with speeches."""
    rng = random.Random(7)
    good = page(GOOD_RECORD)
    pages: dict[str, str | bytes] = {
        "truncated-mid-tag-ok": good[: good.index("事務局") + 3] + "<p cla",
        "truncated-mid-entity-ok": good[: good.index("お答え")] + "&am",
        "unclosed-tags-ok": GOOD_RECORD.replace("</p>", "").replace("</h2>", "") + "<div><span><b>",
        "no-html-body-ok": GOOD_RECORD,
        "nested-tables-ok": page("<table><tr><td>" * 600 + GOOD_RECORD + "</td></tr></table>" * 600),
        "nested-divs-ok": page("<div>" * 3000 + GOOD_RECORD + "</div>" * 3000),
        "unclosed-nested-divs-ok": page("<div><span>" * 2000 + GOOD_RECORD),
        "sjis-declared-utf8-ok": page(GOOD_RECORD).encode("cp932"),
        "utf8-declared-sjis-ok": page(GOOD_RECORD, '<meta charset="shift_jis">').encode("utf-8"),
        "eucjp-declared-sjis-ok": page(GOOD_RECORD, '<meta charset="shift_jis">').encode("euc_jp"),
        "utf8-declared-eucjp-ok": page(GOOD_RECORD, '<meta charset="euc-jp">').encode("utf-8"),
        "bom-utf8-declared-sjis-ok": b"\xef\xbb\xbf" + page(GOOD_RECORD, '<meta charset="shift_jis">').encode(),
        "utf16-with-bom-ok": page(GOOD_RECORD, "").encode("utf-16"),
        "iso2022jp-ok": page(GOOD_RECORD, '<meta charset="iso-2022-jp">').encode("iso2022_jp"),
        "nul-bytes-ok": page(GOOD_RECORD).replace("委員長", "委員長\x00").replace("<p>", "<p>\x00"),
        "control-chars-ok": page(GOOD_RECORD).replace("開会", "\x01\x02開会\x1b"),
        "broken-entities-ok": page(GOOD_RECORD.replace("開会します", "開会&#xFFFFFFFF;&#0;&#xD800;&bogus;します")),
        "invalid-utf8-bytes-ok": page(GOOD_RECORD).encode().replace("開会".encode(), b"\xff\xfe\xfd" + "開会".encode()),
        "script-heavy-ok": page(
            "<script>var a='○山田委員長 偽の発言';</script>" * 500
            + GOOD_RECORD
            + "<style>p{color:red}</style>" * 200
            + "<noscript>○偽委員 偽</noscript>"
        ),
        "comments-with-labels-ok": page("<!-- ○山田委員長 コメントの中 -->" + GOOD_RECORD + "<![CDATA[○偽委員 偽]]>"),
        "duplicate-labels-ok": page(
            "<p>日時：令和5年6月2日</p><p>日時：令和6年1月1日</p>"
            + GOOD_RECORD
            + "<h2>審議結果</h2><p>委員<br>二つ目の審議結果です。</p>"
        ),
        "labels-without-speech-ok": page(GOOD_RECORD + "<p>委員</p><p>委員長</p><p>事務局</p>" * 50),
        "speech-100k-chars-ok": page(GOOD_RECORD + "<p>委員<br>" + "あいうえお。" * 17_000 + "</p>"),
        "one-line-1mb-ok": page(GOOD_RECORD + "<p>委員<br>" + "x" * 1_000_000 + "</p>"),
        "html-and-js-in-speech-ok": page(
            GOOD_RECORD + "<p>委員<br>&lt;script&gt;alert(1)&lt;/script&gt; と "
            "&lt;img src=x onerror=alert(2)&gt; を引用します。</p>"
        ),
        "many-brs-ok": page(GOOD_RECORD + "<br>" * 50_000),
        "table-10000-rows-ok": page(
            GOOD_RECORD + "<table>" + "<tr><td>委員</td><td>質問します。</td></tr>" * 10_000 + "</table>"
        ),
        "form-wraps-everything-ok": "<html><body><form id='aspnetForm'><div id='main'>"
        + GOOD_RECORD
        + "</div></form></body></html>",
        "iframe-object-embed-ok": page("<iframe src='x'>○偽委員 偽</iframe><object>x</object>" + GOOD_RECORD),
        "pre-with-tabs-ok": page(
            "<h1>第1回さくら市公園審議会</h1><p>日時 令和4年4月4日</p><h2>会議録</h2>"
            "<pre>○山田委員長\t開会します。\n○佐藤委員\t\t質問です。\r\n</pre>"
        ),
        "empty": b"",
        "whitespace-only": b" \n\t\r\n ",
        "only-chrome": "<html><body><nav>くらし 防災</nav><div class='breadcrumb'>ホーム</div>"
        "<footer>お問い合わせ 市役所</footer></body></html>",
        "labels-only-no-date": page("<h2>審議結果</h2>" + "<p>○山田委員長</p>" * 100),
        "nonexistent-date-suspect": page(GOOD_RECORD.replace("令和5年6月2日", "平成31年2月30日")),
        "reiwa-zero-suspect": page(GOOD_RECORD.replace("令和5年6月2日", "令和0年6月2日")),
        "marker-then-nothing": page("<p>日時：令和5年6月2日</p><h2>審議結果</h2>"),
        "mojibake": page(GOOD_RECORD).encode("utf-8").decode("latin-1").encode("utf-8"),
        "binary-garbage": bytes(rng.getrandbits(8) for _ in range(50_000)),
        "pdf-bytes": b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n" + bytes(range(256)) * 100,
        "json": '{"会議": "委員会", "発言": ["○山田委員長 開会"]}',
        "rss": "<?xml version='1.0'?><rss><channel><item><title>会議録</title></item></channel></rss>",
        "frameset": "<html><frameset><frame src='a.html'><frame src='b.html'></frameset></html>",
        "meta-refresh": "<html><head><meta http-equiv='refresh' content='0;url=/new.html'></head></html>",
        "image-only": page("<img src='minutes.png' alt='会議録の画像'>" * 20),
        "page-20mb": page(GOOD_RECORD + "<p>" + "会議" * 10_000_000 + "</p>"),
    }
    return {name: body if isinstance(body, bytes) else body.encode("utf-8") for name, body in pages.items()}
