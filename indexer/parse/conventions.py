"""Infer a page's speaker-label convention: which frame (mark, bracket, colon…) its labels use, scored.

Every line that could open a speech is read for its shape alone: the frame around the label (a mark
○◯◆…, 【】, a parenthesis, a colon, the label alone on its line, or a label then a space) and the token
inside it. Each frame is scored by how regularly it recurs, how few distinct labels it uses for its
count, how its speakers alternate, how much of the record it segments, and how many of its tokens are
roles the vocabulary knows (a hint, not a gate). In a frame the page confirms, a token nobody listed
(【担当課】, 田中：, Ｑ：, ○佐藤) opens a speech when it reads as a title or a name or recurs there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.parse.html_lines import Line
from indexer.parse.rosters import honoured_name, is_roster, names_only, person_name

MARKS = "○◎〇●◯◆◇■□▼▽"
MARKED = re.compile(rf"^[{MARKS}]\s*(?P<rest>.+)$")
BRACKET_LABEL = re.compile(
    r"^(?:(?P<open>【)\s*(?P<label>[^】]{1,24}?)\s*】|[\[［(（〈《<≪]\s*(?P<plain>[^\]］)）〉》>≫]{1,20}?)\s*"
    r"[\]］)）〉》>≫])\s*(?P<rest>.*)$"
)
COLON_LABEL = re.compile(r"^(?P<label>[^:：。、「」]{1,24}?)\s*[:：]\s*(?P<rest>.*)$")
_SPACE_LABEL = re.compile(r"^(?P<label>[^\s、。,.!?！？「」]{1,12})\s+(?P<rest>\S.*)$")
_PUNCTUATION = re.compile(r"[、。,.!?！？「」『』]")
_HONORIFIC = re.compile(r"(君|さん|氏|様)$")
# Words in parentheses that record what happened, never who spoke: （拍手）, 〔登壇〕, (休憩).
STAGE_WORDS = (
    "拍手",
    "登壇",
    "降壇",
    "休憩",
    "再開",
    "異議",
    "賛成",
    "起立",
    "挙手",
    "着席",
    "退席",
    "退場",
    "入場",
    "離席",
    "発言する者",
    "呼ぶ者",
    "笑",
    "速記",
    "私語",
    "聴取不能",
    "不規則発言",
    "資料",
    "配布",
    "別紙",
    "参照",
    "傍聴",
)

# The frames a label can come in; "marked" covers every mark, "bracket" is 【】, "paren" any other bracket.
FRAMES = ("marked", "bracket", "paren", "colon", "alone", "space")
# Frames with no mark of their own: ordinary lines fit them, so they confirm only a strong pattern.
WEAK_FRAMES = frozenset({"alone", "space"})


@dataclass(frozen=True)
class Candidate:
    """A line's shape as a possible label: its frame, the token in it, and the text after it."""

    frame: str
    token: str
    rest: str
    mark: str = ""


def frame_of(text: str) -> Candidate | None:
    """Read the shape of a line that could open a speech, judged without any role vocabulary."""
    marked = MARKED.match(text)
    if marked:
        rest = marked["rest"]
        token, _, speech = rest.partition(" ")
        colon = COLON_LABEL.match(rest)
        if colon and len(colon["label"]) < len(token):
            token, speech = colon["label"], colon["rest"]
        return Candidate("marked", token.strip(), speech.strip(), text[0])
    bracket = BRACKET_LABEL.match(text)
    if bracket:
        if bracket["open"]:
            return Candidate("bracket", bracket["label"].strip(), bracket["rest"].strip())
        return Candidate("paren", bracket["plain"].strip(), bracket["rest"].strip())
    colon = COLON_LABEL.match(text)
    if colon:
        return Candidate("colon", colon["label"].strip(), colon["rest"].strip())
    if len(text) <= 20 and not _PUNCTUATION.search(text):
        return Candidate("alone", text.replace(" ", ""), "")
    spaced = _SPACE_LABEL.match(text)
    if spaced:
        return Candidate("space", spaced["label"], spaced["rest"].strip())
    return None


def plain_token(token: str) -> str:
    """Return a token without its parenthesised part and honorific: 議長（田中君） → 議長, 田中さん → 田中."""
    return _HONORIFIC.sub("", re.sub(r"[(（][^()（）]*[)）]$", "", token)).strip()


@lru_cache(maxsize=8192)
def label_like(token: str) -> bool:
    """Tell whether a token could be a speaker's label: short, a run of nouns, no sentence, no stage word."""
    from indexer.text.analysis import morphemes

    plain = plain_token(token)
    if not plain or len(plain) > 20 or _PUNCTUATION.search(token) or any(w in token for w in STAGE_WORDS):
        return False
    if re.fullmatch(r"[\d\s.．第号]+", plain) or re.search(r"(午前|午後|令和|平成|昭和)", plain):
        return False
    return all(t.part_of_speech.startswith(("名詞", "接頭詞", "記号")) for t in morphemes(plain))


@dataclass
class FrameScore:
    """How one frame fares on a page: its labels, the measures that score it, and whether it is confirmed."""

    frame: str
    count: int = 0
    known: int = 0
    distinct: int = 0
    alternation: float = 0.0
    coverage: float = 0.0
    score: float = 0.0
    confirmed: bool = False
    mark: str = ""
    recurring: frozenset[str] = frozenset()

    def describe(self) -> str:
        """Say in one line what was measured."""
        state = "confirmed" if self.confirmed else "not confirmed"
        return (
            f"{self.name()}: {self.count} labels, {self.distinct} distinct, {self.known} of a known role, "
            f"alternation {self.alternation:.2f}, coverage {self.coverage:.2f}, score {self.score:.2f} ({state})"
        )

    def name(self) -> str:
        return f"{self.mark}{self.frame}" if self.mark else self.frame


@dataclass
class Convention:
    """The label frames a page confirms, the tokens recurring in them, and every frame's score."""

    ranked: list[FrameScore] = field(default_factory=list)

    @property
    def confirmed(self) -> frozenset[str]:
        return frozenset(s.frame for s in self.ranked if s.confirmed)

    def marked_page(self) -> bool:
        """Tell whether the page's labels carry their own frame (a mark, 【】, a colon) that it confirms
        strongly: then a role word alone or before a space is a word in a sentence or a call, not a label."""
        best = self.best()
        return best is not None and best.confirmed and best.frame not in WEAK_FRAMES and best.count >= 3

    def best(self) -> FrameScore | None:
        return self.ranked[0] if self.ranked and self.ranked[0].count else None

    def accepts(self, frame: str, token: str, rest: str) -> bool:
        """Tell whether a token nobody listed opens a speech in this frame: the frame is confirmed and the
        token reads as a title or a name, or recurs there as a label before speech (Ｑ：…, 問：…)."""
        from indexer.parse.labels import is_title

        score = next((s for s in self.ranked if s.frame == frame and s.confirmed), None)
        if score is None or not label_like(token):
            return False
        if frame == "paren" and not rest:
            return False  # （山田委員）発言… is a label; a parenthesis alone on its line is a stage direction
        if is_title(plain_token(token)) or person_name(token) or honoured_name(token):
            return True
        return bool(rest) and plain_token(token) in score.recurring


NO_CONVENTION = Convention()


def infer(lines: Sequence[Line], opens_known: Callable[[str], bool]) -> Convention:
    """Score every label frame on a record's lines; opens_known tells a line a known role opens."""
    found: list[tuple[int, Candidate, bool]] = []
    sizes = [len(line.text) for line in lines]
    total = sum(sizes) or 1
    for index, line in enumerate(lines):
        if line.kind != "text" and line.kind != "item":
            continue
        candidate = frame_of(line.text)
        if candidate is None or not label_like(candidate.token):
            continue
        if candidate.rest and (names_only(candidate.rest) or is_roster(candidate.rest)):
            continue  # 財政課長：鈴木一郎 is an entry of an attendance list, no label of speech
        found.append((index, candidate, opens_known(line.text)))
    ranked = [_score(frame, found, sizes, total) for frame in FRAMES]
    ranked.sort(key=lambda s: (-s.score, -s.known, FRAMES.index(s.frame)))
    return Convention(ranked)


def _score(frame: str, found: list[tuple[int, Candidate, bool]], sizes: list[int], total: int) -> FrameScore:
    """Measure one frame: recurrence, distinct labels, alternation, coverage and known roles."""
    hits = [(index, c, known) for index, c, known in found if c.frame == frame]
    result = FrameScore(frame)
    if not hits:
        return result
    tokens = [plain_token(c.token) for _, c, _ in hits]
    counts = Counter(tokens)
    result.count = len(hits)
    result.known = sum(known for _, _, known in hits)
    result.distinct = len(counts)
    result.mark = Counter(c.mark for _, c, _ in hits).most_common(1)[0][0]
    result.recurring = frozenset(t for t, n in counts.items() if n >= 2)
    pairs = list(zip(tokens, tokens[1:]))
    result.alternation = sum(a != b for a, b in pairs) / len(pairs) if pairs else 0.0
    # Coverage: the record's text from each label up to the next label of the same frame.
    starts = [index for index, _, _ in hits]
    spans = zip(starts, starts[1:] + [len(sizes)])
    result.coverage = sum(sum(sizes[a:b]) for a, b in spans) / total
    repetition = 1 - result.distinct / result.count
    vocabulary = result.known / result.count
    result.score = (
        result.count
        * result.coverage
        * (0.4 + 0.3 * result.alternation + 0.3 * repetition)
        * (0.5 + 0.5 * vocabulary)
        * (0.5 if frame in WEAK_FRAMES else 1.0)
    )
    strong = result.count >= 3 and result.recurring and result.alternation >= 0.5 and repetition >= 0.25
    if frame in WEAK_FRAMES:
        result.confirmed = bool(strong) and vocabulary >= 0.5
    else:
        # A mark at a line's start is strong evidence on its own; brackets and colons also open
        # headings and legends, so they need two labels of a known role, or a strong pattern.
        result.confirmed = result.known >= (1 if frame == "marked" else 2) or bool(strong)
    return result
