"""Parse what a user types into a Whoosh query, plus the term patterns to highlight.

Words are ANDed within one utterance; `OR`, `NOT` or a leading `-`, "quoted phrases", parentheses,
and field filters (role:委員長, speaker:山田, committee:…, year:2023) are understood. A word that the
analyzer splits (データセンター → データ|センター) is searched as a phrase of its parts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from whoosh import query as wq

from indexer.search.sequences import TermSequence
from indexer.search.synonyms import NO_SYNONYMS, Synonyms
from indexer.text.analysis import WORD_START, analyze
from indexer.text.normalize import fold_chars, normalize_text

MAX_QUERY_CHARS = 256
TEXT_FIELD = "text"
NGRAM_FIELD = "text_ngram"
# How words are matched: "final" (Janome words, with exact bigram substrings for compounds and
# unknown words), "janome" (Janome words only), "bigram" (character bigrams only). The last two
# exist for the relevance benchmark.
MODES = ("final", "janome", "bigram")
WORDS_BOOST = 0.1
FILTER_FIELDS = {
    "role": "role",
    "speaker": "speaker",
    "committee": "committee",
    "year": "year",
    "役職": "role",
    "発言者": "speaker",
    "会議": "committee",
    "年": "year",
}


class QueryError(ValueError):
    """A query that cannot be run; the message is written for the person who typed it."""


@dataclass
class ParsedQuery:
    """A runnable query, the term sequences to highlight, and filters given inside the query."""

    query: wq.Query
    patterns: list[list[tuple[str, int]]] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    ignored_words: list[str] = field(default_factory=list)
    substrings: list[tuple[str, bool]] = field(default_factory=list)  # (folded text, must start a word)
    expansions: list[tuple[str, list[str]]] = field(default_factory=list)  # (word, synonyms added)


_WORD = re.compile(r'[^\s"()]+')


def _lex(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        if text[pos] == '"':
            end = text.find('"', pos + 1)
            if end < 0:
                raise QueryError('引用符（"）が閉じられていません。フレーズは "…" のように囲んでください。')
            tokens.append(("phrase", text[pos + 1 : end]))
            pos = end + 1
            continue
        if text[pos] in "()":
            tokens.append((text[pos], text[pos]))
            pos += 1
            continue
        match = _WORD.match(text, pos)
        assert match is not None  # text[pos] is none of the characters _WORD excludes
        word = match.group(0)
        pos = match.end()
        if word in ("OR", "|", "||", "または"):
            tokens.append(("or", word))
        elif word in ("AND", "&", "&&"):
            continue  # AND is the default
        elif word in ("NOT", "!"):
            tokens.append(("not", word))
        elif word.startswith("-") and len(word) > 1:
            tokens.append(("not", "-"))
            tokens.append(("word", word[1:]))
        elif word == "-":
            raise QueryError("「-」の後に除外する語を続けてください（例: 予算 -補正）。")
        else:
            tokens.append(("word", word))
    return tokens


def sequence_query(tokens: list, fieldname: str = TEXT_FIELD) -> wq.Term | TermSequence:
    """Match analysed tokens in order, keeping the gaps that dropped particles left between them."""
    if len(tokens) == 1:
        return wq.Term(fieldname, tokens[0].term)
    return TermSequence(fieldname, [t.term for t in tokens], [t.pos - tokens[0].pos for t in tokens])


def is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def substring_query(text: str, word_start: bool) -> wq.Query | None:
    """Match text as an exact substring (after folding) through the bigram field."""
    folded = fold_chars(text.replace(" ", ""))[0]
    if len(folded) < 2:
        return None
    terms = [folded[i : i + 2] for i in range(len(folded) - 1)]
    if word_start:
        terms[0] = WORD_START + terms[0]
    # A phrase scores the sum of its bigrams; dividing by their number keeps a long synonym
    # (デジタルトランスフォーメーション) from outranking texts that say DX three times.
    boost = 1.0 / len(terms)
    if len(terms) == 1:
        return wq.Term(NGRAM_FIELD, terms[0], boost=boost)
    return TermSequence(NGRAM_FIELD, terms, boost=boost, gram=2)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], synonyms: Synonyms, expand: bool, mode: str):
        self.tokens = tokens
        self.index = 0
        self.synonyms = synonyms
        self.expand = expand
        self.mode = mode
        self.patterns: list[list[tuple[str, int]]] = []
        self.substrings: list[tuple[str, bool]] = []
        self.expansions: list[tuple[str, list[str]]] = []
        self.filters: dict[str, list[str]] = {}
        self.ignored: list[str] = []

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.index += 1
        return token

    def parse_all(self) -> wq.Query | None:
        clauses = self.parse_and(top=True)
        if self.index < len(self.tokens):
            raise QueryError("閉じ括弧「)」に対応する「(」がありません。")
        return clauses

    def parse_and(self, top: bool = False) -> wq.Query | None:
        positives: list[wq.Query] = []
        negatives: list[wq.Query] = []
        while True:
            kind, _ = self.peek()
            if kind is None or kind == ")":
                break
            negate = False
            if kind == "not":
                self.take()
                negate = True
                if self.peek()[0] in (None, ")", "or"):
                    raise QueryError("NOT（または -）の後に除外する語を続けてください。")
            clause = self.parse_or(negated=negate)
            if clause is None:
                continue
            (negatives if negate else positives).append(clause)
        if not positives and not negatives:
            return None
        # And + Not rather than AndNot: whoosh3 3.54's AndNotMatcher let a document through
        # that holds the excluded term (seen on the sample with データ -センター).
        excluded: list[wq.Query] = [wq.Not(q) for q in negatives]
        if not positives:
            return wq.And([wq.Every(), *excluded])
        if not excluded and len(positives) == 1:
            return positives[0]
        return wq.And(positives + excluded)

    def parse_or(self, negated: bool) -> wq.Query | None:
        if self.peek()[0] == "or":
            raise QueryError("OR の前後に語を入れてください（例: 防災 OR 減災）。")
        options = [self.parse_atom(negated)]
        while self.peek()[0] == "or":
            self.take()
            if self.peek()[0] in (None, ")", "or"):
                raise QueryError("OR の前後に語を入れてください（例: 防災 OR 減災）。")
            options.append(self.parse_atom(negated))
        present = [o for o in options if o is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else wq.Or(present)

    def parse_atom(self, negated: bool) -> wq.Query | None:
        kind, value = self.take()
        if kind == "(":
            inner = self.parse_and()
            if self.take()[0] != ")":
                raise QueryError("括弧「(」が閉じられていません。")
            return inner
        if kind == ")":
            raise QueryError("閉じ括弧「)」に対応する「(」がありません。")
        if kind == "not":
            raise QueryError("NOT が続いています。除外する語は一つずつ指定してください。")
        if kind == "word" and ":" in value:
            name, _, filter_value = value.partition(":")
            if name in FILTER_FIELDS:
                if not filter_value:
                    raise QueryError(f"「{name}:」の後に値を指定してください（例: role:委員長）。")
                fieldname = FILTER_FIELDS[name]
                if not negated:
                    self.filters.setdefault(fieldname, []).append(filter_value)
                    return None
                return wq.Term(fieldname, filter_value)
        words = [value]
        if self.expand and kind == "word":
            alternatives = self.synonyms.alternatives(value)
            if alternatives:
                words += alternatives
                self.expansions.append((value, alternatives))
        queries = [
            q
            for q in (self.word_query(w, highlight=not negated, quoted=kind == "phrase") for w in words)
            if q is not None
        ]
        if not queries:
            self.ignored.append(value)
            return None
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def word_query(self, value: str, highlight: bool, quoted: bool = False) -> wq.Query | None:
        """Build the query for one word or phrase in the parser's mode, noting what to highlight.

        A quoted phrase of several words is matched as an exact substring (particles included).
        """
        text = normalize_text(value)
        tokens = analyze(text)
        if not tokens:
            return None
        words = sequence_query(tokens)
        exact = None
        word_start = False
        # Janome may read a word differently alone than inside a sentence (a compound it splits, a
        # word it does not know, 伺い alone a noun but in 伺います a verb, 京都 inside 京都府), so every
        # word of two or more characters also matches as its exact text. Text that begins with a kanji
        # or a Latin letter must begin where a word begins: 京都 never matches inside 東京都, nor AI
        # inside PAID; katakana and kana words may sit inside longer ones (スーパーコンピューター).
        if self.mode in ("bigram", "final"):
            first_char = fold_chars(text)[0][:1] or " "
            word_start = self.mode == "final" and (is_kanji(first_char) or first_char.isascii())
            exact = substring_query(text, word_start)
        if highlight:
            first = tokens[0].pos
            self.patterns.append([(t.term, t.pos - first) for t in tokens])
            if exact is not None:
                self.substrings.append((fold_chars(text.replace(" ", ""))[0], word_start))
        if exact is None:
            return words
        if self.mode == "bigram" or (quoted and len(tokens) > 1):
            return exact
        # The exact text ranks; the Janome words add the matches it misses (other inflections, a
        # long-vowel spelling inside a katakana compound) with a small weight.
        words.boost = WORDS_BOOST / len(tokens)
        return wq.Or([exact, words])


def parse_query(
    text: str, *, synonyms: Synonyms = NO_SYNONYMS, expand: bool = True, mode: str = "final"
) -> ParsedQuery:
    """Parse a user query; raise QueryError with a friendly message if it cannot be run."""
    text = unicodedata.normalize("NFKC", text or "").replace("“", '"').replace("”", '"')
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"検索語が長すぎます（{MAX_QUERY_CHARS}文字まで）。語を絞って検索してください。")
    parser = _Parser(_lex(text), synonyms, expand, mode)
    parsed = parser.parse_all()
    if parsed is None:
        if parser.ignored and not parser.filters:
            raise QueryError("検索できる語がありません（助詞や記号だけでは検索できません）。")
        parsed = wq.Every()
    return ParsedQuery(parsed, parser.patterns, parser.filters, parser.ignored, parser.substrings, parser.expansions)
