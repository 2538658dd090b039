"""Write the bundled sample pages in data/sample/: fictional minutes of the fictional みどり市.

Every sentence here was written for this project. The pages vary on purpose: four layouts
(header table, "label: value" paragraphs, label headings, unlabelled council record), six label
styles, era dates with Arabic and kanji numerals, and two legacy encodings (Shift_JIS, EUC-JP).
Run: python scripts/make_sample.py
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from html import escape
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "sample"
SITE = "https://www.city.midori.example.jp"
KANJI = "〇一二三四五六七八九"

TOPICS = {
    "情報化推進委員会": {
        "department": "総務部情報政策課",
        "agenda": ["基幹システムの更新について", "データセンターの活用について", "窓口のデジタル化について"],
        "questions": [
            "データセンターへ移した後の保守費用はどの程度になる見込みですか。",
            "基幹システムの更新で、窓口の待ち時間はどのくらい短くなりますか。",
            "DXの推進にあたって、職員の研修計画はありますか。",
            "データの保管場所と防災センターの役割分担を整理していただきたい。",
            "サーバーの老朽化について、更新の時期を教えてください。",
            "オンライン申請の利用率が伸びない理由をどう分析していますか。",
            "外部のデータセンターを使う場合、障害時の連絡体制はどうなりますか。",
        ],
        "answers": [
            "データセンターへの移行により、庁舎内のサーバー室の空調費が削減できると見込んでおります。",
            "更新後は証明書の発行にかかる時間が半分程度になると試算しております。",
            "全職員を対象とした研修を年二回実施する計画です。",
            "バックアップのデータは市外のデータセンターにも複製して保管いたします。",
            "現行のサーバーは保守期限が近いため、来年度中の更新を予定しております。",
            "申請画面が分かりにくいとのご意見が多く、画面の改善を進めております。",
            "障害が起きた際は、事業者から市へ三十分以内に連絡が入る契約としております。",
        ],
        "remarks": [
            "費用の比較表を次回までに示していただきたいと思います。",
            "市民にとって分かりやすい説明をお願いします。",
            "引き続き、個人情報の保護に十分注意して進めてください。",
        ],
    },
    "地域福祉推進会議": {
        "department": "福祉部地域福祉課",
        "agenda": ["地域包括ケアの進め方について", "見守り活動の報告について", "計画の中間評価について"],
        "questions": [
            "地域包括ケアの拠点は、各中学校区に一つずつ置く考えですか。",
            "見守り活動の担い手が高齢化しているという声を聞きますが、どう考えていますか。",
            "民生委員の欠員がある地区への支援策はありますか。",
            "介護予防教室の参加者数の推移を教えてください。",
            "ひとり暮らしの高齢者への訪問は、どの程度の頻度で行っていますか。",
        ],
        "answers": [
            "拠点は現在四か所で、令和八年度までに六か所とする計画です。",
            "若い世代にも参加していただけるよう、短時間の活動を用意しております。",
            "欠員のある地区には、市の職員が月に一度訪問して状況を確認しております。",
            "参加者は三年前と比べて一割ほど増えております。",
            "原則として月に一回、必要に応じて週に一回訪問しております。",
        ],
        "remarks": [
            "地域の声を計画に反映させていただきたい。",
            "担い手の確保は大きな課題だと感じております。",
            "福祉と防災の連携も検討していただきたいと思います。",
        ],
    },
    "環境審議会": {
        "department": "環境部環境政策課",
        "agenda": ["ごみ減量の取組について", "再生可能エネルギーの導入について", "公園の樹木管理について"],
        "questions": [
            "プラスチックごみの分別を始めてから、焼却量はどのくらい減りましたか。",
            "公共施設への太陽光発電の設置はどこまで進んでいますか。",
            "街路樹の倒木対策について、点検の方法を教えてください。",
            "食品ロスの削減について、事業者との協力はありますか。",
            "リサイクルセンターの見学会の参加状況はいかがですか。",
        ],
        "answers": [
            "焼却量は前年度と比べて約八パーセント減少しております。",
            "小中学校を中心に十二施設へ設置が完了しております。",
            "専門業者による目視と打診の点検を年一回行っております。",
            "市内の飲食店二十店舗と協定を結び、持ち帰りの容器を配布しております。",
            "リサイクルセンターの見学会には、夏休み期間に延べ三百人が参加しました。",
        ],
        "remarks": [
            "数値目標を市民に分かりやすく示していただきたい。",
            "事業者への啓発にも力を入れていただきたい。",
            "子どもたちへの環境学習は大切だと思います。",
        ],
    },
    "防災対策特別委員会": {
        "department": "危機管理課",
        "agenda": ["防災行政無線の更新について", "避難所の運営について", "業務継続計画の見直しについて"],
        "questions": [
            "防災行政無線が聞き取りにくいという声が多い地区への対策を伺います。",
            "避難所の備蓄品について、アレルギー対応の食料は十分にありますか。",
            "業務継続計画の見直しでは、庁舎が使えない場合の代替拠点をどう定めていますか。",
            "災害時に市のデータをどのように守るのか、データセンターの活用も含めて伺います。",
            "防災センターの耐震化の進み具合を教えてください。",
        ],
        "answers": [
            "聞き取りにくい地区には屋外スピーカーを増設し、戸別受信機の貸出も行っております。",
            "アレルギー対応の食料は、各避難所に百食ずつ備蓄しております。",
            "代替拠点として北部の防災センターを指定し、年に一度訓練を行っております。",
            "住民記録などの重要なデータは、遠隔地のデータセンターへ毎日複製しております。",
            "防災センターの耐震補強工事は今年度中に完了する予定でございます。",
        ],
        "remarks": [
            "訓練の結果を次の計画に生かしていただきたい。",
            "高齢者や障害のある方への情報伝達を特に丁寧にお願いしたい。",
        ],
    },
    "子ども・子育て会議": {
        "department": "こども部子育て支援課",
        "agenda": ["保育所の待機児童について", "放課後児童クラブについて", "子育て支援センターの利用状況について"],
        "questions": [
            "待機児童が多い地区での保育所の整備予定を教えてください。",
            "放課後児童クラブの開所時間を延ばす考えはありますか。",
            "子育て支援センターの利用者の声をどのように集めていますか。",
            "病児保育の利用が少ない理由をどう考えていますか。",
        ],
        "answers": [
            "駅の東側に定員六十人の保育所を新設する予定です。",
            "保護者の要望を受けて、来年度から午後七時まで延長する方向で調整しております。",
            "子育て支援センターでは、毎月アンケート用紙を配布してご意見を伺っております。",
            "予約の手続が分かりにくいことが一因と考え、電話予約を始めました。",
        ],
        "remarks": [
            "保護者の立場に立った運営をお願いします。",
            "職員の確保も合わせて考えていただきたいと思います。",
        ],
    },
}

# (era year, month, day) per page; 平成 and 令和, several years for each committee.
DATES = [
    ("平成", 23, 8, 19),
    ("平成", 24, 2, 7),
    ("平成", 26, 5, 28),
    ("平成", 27, 11, 4),
    ("平成", 29, 7, 12),
    ("平成", 30, 10, 3),
    ("令和", 1, 6, 20),
    ("令和", 2, 9, 15),
    ("令和", 3, 12, 1),
    ("令和", 4, 3, 23),
    ("令和", 5, 8, 30),
    ("令和", 6, 1, 18),
    ("令和", 7, 4, 22),
]
ERA_START = {"平成": 1988, "令和": 2018}
WEEKDAYS = "月火水木金土日"


@dataclass
class Turn:
    """A turn to render: role word, name (or None) and the sentences spoken."""

    role: str
    name: str | None
    sentences: list[str]


def era_text(era: str, year: int) -> str:
    return f"{era}元年" if year == 1 else f"{era}{year}年"


def kanji_number(n: int) -> str:
    if n < 10:
        return KANJI[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else KANJI[tens]) + "十" + (KANJI[ones] if ones else "")


def weekday(era: str, year: int, month: int, day: int) -> str:
    import datetime

    return WEEKDAYS[datetime.date(ERA_START[era] + year, month, day).weekday()]


def make_turns(topic: dict, rng: random.Random, names: list[str]) -> list[Turn]:
    turns = [
        Turn("委員長", names[0], ["ただいまから会議を開会いたします。本日は事務局から説明を受けた後、質疑を行います。"])
    ]
    questions = rng.sample(topic["questions"], k=min(3, len(topic["questions"])))
    for question in questions:
        answer = topic["answers"][topic["questions"].index(question)]
        member = rng.choice(names[1:])
        turns.append(Turn("委員", member, [question]))
        turns.append(Turn("事務局", None, [answer]))
    turns.append(Turn("委員", rng.choice(names[1:]), [rng.choice(topic["remarks"])]))
    turns.append(Turn("委員長", names[0], ["ほかにご意見がなければ、本日の会議を終了いたします。"]))
    return turns


def page_shell(title: str, canonical: str, body: str, charset: str = "utf-8") -> str:
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="{charset}">
<title>{escape(title)} | みどり市</title>
<link rel="canonical" href="{canonical}">
</head>
<body>
<div id="header"><p class="site-name">みどり市</p>
<ul class="gnav"><li><a href="/kurashi/">くらし・手続き</a></li><li><a href="/kosodate/">子育て・教育</a></li><li><a href="/shisei/">市政情報</a></li></ul></div>
<div class="breadcrumb"><a href="/">ホーム</a> &gt; <a href="/shisei/">市政情報</a> &gt; <a href="/shisei/kaigi/">附属機関等の会議録</a></div>
<div id="main">
{body}
</div>
<div class="enquete"><h2>このページの情報は役に立ちましたか？</h2><form><input type="radio" name="q1">役に立った</form></div>
<div id="footer"><p>このページに関するお問い合わせ</p><p>みどり市役所　〒000-0000 みどり市中央1-1</p></div>
</body>
</html>
"""


def layout_table(c: dict) -> str:
    """Header fields in a th/td table; role alone on its line, a <br> before the speech."""
    rows = "".join(
        f'<tr><th scope="row">{k}</th><td>{v}</td></tr>\n'
        for k, v in [
            ("担当所属名", c["department"]),
            ("会議名", c["meeting_name"]),
            ("日時", f"{c['date_text']}({c['weekday']}曜日){c['time_text']}"),
            ("場所", c["place"]),
            ("議題", "<br>".join(f"{i}　{escape(a)}" for i, a in enumerate(c["agenda"], 1))),
        ]
    )
    record = ["<p>〇事務局から資料に基づき説明。</p>"]
    for turn in c["turns"]:
        record.append(f"<p>{turn.role}<br>{'<br>'.join(escape(s) for s in turn.sentences)}</p>")
    return (
        f'<h1>{escape(c["title"])}</h1>\n<table class="kaigi">\n{rows}</table>\n<h2>審議結果</h2>\n'
        f"<p>1　{escape(c['agenda'][0])}</p>\n" + "\n".join(record)
    )


def layout_paragraphs(c: dict) -> str:
    """Header as "label：value" paragraphs; 【委員】 labels inline; a legend of labels."""
    head = "\n".join(
        f"<p>{k}：{v}</p>"
        for k, v in [
            ("担当所属名", c["department"]),
            ("会議名", c["meeting_name"]),
            ("日時", f"{c['date_text']}　{c['time_text']}"),
            ("場所", c["place"]),
        ]
    )
    agenda = "".join(f"<li>{escape(a)}</li>" for a in c["agenda"])
    record = ["<p>事務局(市)：事務局（みどり市" + escape(c["department"]) + "）</p>"]
    for turn in c["turns"]:
        role = "事務局(市)" if turn.role == "事務局" else turn.role
        record.append(f"<p>【{role}】{escape(''.join(turn.sentences))}</p>")
    return f"<h1>{escape(c['title'])}</h1>\n{head}\n<p>議題</p>\n<ul>{agenda}</ul>\n<h3>会議の経過</h3>\n" + "\n".join(
        record
    )


def layout_headings(c: dict) -> str:
    """Each header label is a heading with its value below; inline `委員：` and (会長) labels."""
    parts = [f"<h1>{escape(c['title'])}</h1>"]
    for label, value in [
        ("日時", f"{c['date_text']}　{c['time_text']}"),
        ("場所", c["place"]),
        ("担当所属名", c["department"]),
    ]:
        parts.append(f"<h2>{label}</h2>\n<p>{value}</p>")
    parts.append("<h2>議題</h2>\n" + "".join(f"<p>({i}) {escape(a)}</p>" for i, a in enumerate(c["agenda"], 1)))
    parts.append("<h2>議事の経過</h2>")
    for i, turn in enumerate(c["turns"]):
        text = escape("".join(turn.sentences))
        if turn.role == "委員長":
            parts.append(f"<p>（会長）{text}</p>")
        elif turn.role == "事務局":
            parts.append(f"<p>事務局：{text}</p>")
        elif i % 2:
            parts.append(f"<p>委員：{text}</p>")
        else:
            # A speech running over two paragraphs until the next label.
            first, _, rest = text.partition("。")
            parts.append(f"<p>委員：{first}。</p>" + (f"<p>{rest}</p>" if rest else ""))
    return "\n".join(parts)


def layout_council(c: dict) -> str:
    """A council record: no labels, kanji-numeral date line, attendance, ○name+role speakers."""
    era, year, month, day = c["date_parts"]
    year_text = "元" if year == 1 else kanji_number(year)
    date_line = f"{era}{year_text}年{kanji_number(month)}月{kanji_number(day)}日（{c['weekday']}曜日）"
    names = c["names"]
    attendance = "<br>".join([f"委員長　{names[0]}　太郎君"] + [f"委員　{n}　一郎君" for n in names[1:4]])
    lines = [
        f"<p>{date_line}</p>",
        "<p>第三委員会室</p>",
        "<p>午後一時開議</p>",
        f"<p>出席委員　{kanji_number(len(names))}名<br>{attendance}</p>",
        "<p>本日の会議に付した事件<br>" + "<br>".join(escape(a) for a in c["agenda"]) + "</p>",
    ]
    for turn in c["turns"]:
        if turn is c["turns"][-1]:
            label = f"○委員長（{turn.name}太郎君）"
        elif turn.role == "委員長":
            label = f"◎{turn.name}委員長"
        elif turn.role == "事務局":
            label = f"○前田{c['department'].rstrip('課')}部長"
        else:
            label = f"○{turn.name}委員"
        lines.append(f"<p>{label}　{escape(''.join(turn.sentences))}</p>")
    lines.append("<p>〔「異議なし」と呼ぶ者あり〕</p>")
    lines.append("<p>午後二時三十分散会</p>")
    return f"<h1>{escape(c['title'])}</h1>\n" + "\n".join(lines)


LAYOUTS = [layout_table, layout_paragraphs, layout_headings, layout_council]
SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "小林", "加藤", "吉田", "山本", "中村"]
PLACES = ["市役所本館5階 第1会議室", "市民会館 2階 研修室", "みどり市防災センター 大会議室", "市役所別館3階 会議室"]


@dataclass
class SamplePage:
    """A generated page and what a correct parse of it must find."""

    name: str
    html: str
    encoding: str
    layout: str
    title: str
    committee: str
    date: str  # YYYY-MM-DD
    turns: list[Turn]

    def encoded(self) -> bytes:
        """Return the page's bytes in its encoding."""
        html = self.html.replace("～", "〜") if self.encoding == "euc-jp" else self.html  # EUC-JP lacks ～
        return html.encode("cp932" if self.encoding == "shift_jis" else self.encoding)


# How many pages fall on each date in DATES: 32 pages from 平成23年 to 令和7年.
PAGES_PER_DATE = [3, 3, 3, 2, 2, 3, 2, 2, 3, 2, 3, 2, 2]


def build_pages() -> list[SamplePage]:
    """Return every sample page with its expected parse."""
    rng = random.Random(20261126)
    pages = []
    committees = list(TOPICS)
    number = 0
    for index, (era, year, month, day) in enumerate(DATES):
        for offset in range(PAGES_PER_DATE[index]):
            committee = committees[(index + offset) % len(committees)]
            if committee == "防災対策特別委員会":
                layout = layout_council
            else:
                layout = LAYOUTS[(index + offset) % 3]
            topic = TOPICS[committee]
            number += 1
            session = 1 + (index % 4)
            names = rng.sample(SURNAMES, 5)
            turns = make_turns(topic, rng, names)
            full_name = committee if committee.startswith("防災") else f"みどり市{committee}"
            title = (
                f"{full_name}速記録第{kanji_number(session)}号"
                if layout is layout_council
                else f"第{session}回{full_name}"
            )
            start_hour = rng.choice([10, 13, 14, 15])
            time_text = (
                f"午後{start_hour - 12}時～午後{start_hour - 12 + 1}時45分"
                if start_hour > 12
                else f"{start_hour}時00分～{start_hour + 1}時30分"
            )
            context = {
                "title": title,
                "meeting_name": title,
                "department": topic["department"],
                "date_text": f"{era_text(era, year)}{month}月{day}日",
                "date_parts": (era, year, month, day),
                "weekday": weekday(era, year, month, day),
                "time_text": time_text,
                "place": rng.choice(PLACES),
                "agenda": rng.sample(topic["agenda"], k=2),
                "turns": turns,
                "names": names,
            }
            body = layout(context)
            encoding = "utf-8"
            if number == 4:
                encoding = "shift_jis"
            elif number == 9:
                encoding = "euc-jp"
            canonical = f"{SITE}/shisei/kaigi/p{number:03d}.html"
            pages.append(
                SamplePage(
                    name=f"p{number:03d}.html",
                    html=page_shell(title, canonical, body, encoding),
                    encoding=encoding,
                    layout=layout.__name__,
                    title=title,
                    committee=full_name,
                    date=f"{ERA_START[era] + year:04d}-{month:02d}-{day:02d}",
                    turns=turns,
                )
            )
    return pages


def main() -> None:
    """Write the sample pages."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("p*.html"):
        old.unlink()
    for page in build_pages():
        (OUT / page.name).write_bytes(page.encoded())
    print(f"wrote {len(list(OUT.glob('p*.html')))} pages to {OUT}")


if __name__ == "__main__":
    main()
