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
    "body": "body",
    "year": "year",
    "役職": "role",
    "発言者": "speaker",
    "会議": "committee",
    "自治体": "body",
    "団体": "body",
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
    readings: list[Reading] = field(default_factory=list)  # unquoted input read as several content words
    parts: list[tuple[str, wq.Query]] = field(default_factory=list)  # the top-level words ANDed, for rescue

    def reading_words(self) -> list[str]:
        """Return every content word the natural readings require (子ども, 貧困, 対策)."""
        return [word for reading in self.readings for word in reading.words]


@dataclass(frozen=True)
class Reading:
    """How unquoted input typed as a phrase (子どもの貧困対策) was read: the content words each utterance
    must hold, and the input as typed, which ranks first where it occurs exactly."""

    text: str
    words: tuple[str, ...]

    def describe(self) -> str:
        """Say how the input was read, as the results page and the CLI print it."""
        return "".join(f"「{word}」" for word in self.words) + "を含む発言"


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


# Words that carry no topic of their own when a query is read naturally: light and auxiliary verbs,
# and nouns that only stand in for another (こと, ため). Data, not rules.
LIGHT_WORDS = frozenset(
    "する ある いる なる おる できる いう 思う れる られる せる させる ない こと もの ため よう ところ ほう "
    "とき 等 など について における".split()
)
EXACT_BOOST = 0.5  # the input as typed, and its words in the typed order, add half again: first among equals


def content_words(text: str) -> list[tuple[str, str]] | None:
    """Read unquoted input as content words, or None when it is one word or one compound.

    Janome splits the text; particles, auxiliaries and symbols are dropped, verbs and adjectives
    kept by their base form, light verbs and placeholder nouns dropped. Adjacent nouns stay one word
    where the split is no word boundary a reader would make: a one-character part (観光|客), katakana
    after katakana (データ|センター), a proper noun and what follows it (豊洲|市場); otherwise
    they are separate words (貧困|対策), as a person typing them with spaces would mean. Returns
    (word, as typed) pairs: a verb's base form with its surface (見守る, 見守り).
    """
    if all("\u3040" <= ch <= "\u309f" or not ch.strip() for ch in text):
        return None  # kana alone (まちづくり, ありがとう): Janome's split of it is no reading of words
    tokens = analyze(text)
    if len(tokens) < 2:
        return None
    phrase_like = any(b.pos != a.pos + 1 or b.start != a.end for a, b in zip(tokens, tokens[1:])) or any(
        not t.part_of_speech.startswith(("名詞", "接頭詞")) for t in tokens
    )
    if not phrase_like:
        return None  # a compound (データセンター, 待機児童) keeps today's matching: the exact string first
    words: list[tuple[str, str]] = []
    run: list = []  # adjacent noun tokens
    for token in tokens:
        pos = token.part_of_speech
        if pos.startswith(("名詞", "接頭詞")) and not pos.startswith(("名詞,非自立", "名詞,代名詞")):
            if run and _joined(run, token):
                run.append(token)
                continue
            _flush(run, text, words)
            run = [token]
            continue
        _flush(run, text, words)
        run = []
        if pos.startswith(("動詞,自立", "形容詞,自立")) and token.term not in LIGHT_WORDS and not _kana_scrap(token):
            words.append((token.term, token.surface))
    _flush(run, text, words)
    unique = list({word: (word, typed) for word, typed in reversed(words)}.values())[::-1]
    return unique if len(unique) >= 2 else None


def _joined(run: list, token) -> bool:
    """Tell whether a noun token continues the word its run has so far (see content_words)."""
    previous = run[-1]
    if token.pos != previous.pos + 1 or token.start != previous.end:
        return False
    if previous.part_of_speech.startswith("接頭詞") or ",接尾" in token.part_of_speech or len(token.surface) == 1:
        return True
    if run[-1].end - run[0].start == 1 or ",固有名詞" in previous.part_of_speech:
        return True
    return _katakana(previous.surface) and _katakana(token.surface)


def _kana_scrap(token) -> bool:
    """Tell a piece Janome cut out of a kana word it does not know (おおさんしょ|うい) from a word: an
    unknown kana token, or a verb of two kana at most."""
    if not all("\u3040" <= ch <= "\u309f" for ch in token.surface):
        return False
    return not token.known or (token.part_of_speech.startswith(("動詞", "形容詞")) and len(token.surface) <= 2)


def _katakana(text: str) -> bool:
    return all("\u30a0" <= ch <= "\u30ff" for ch in text)


def _flush(run: list, text: str, words: list[tuple[str, str]]) -> None:
    run = [token for token in run if not _kana_scrap(token)]
    if run:
        word = text[run[0].start : run[-1].end]
        if word not in LIGHT_WORDS:
            words.append((word, word))


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
        self.readings: list[Reading] = []
        self.parts: list[tuple[str, wq.Query]] = []

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
            kind, value = self.peek()
            if kind is None or kind == ")":
                break
            negate = False
            if kind == "not":
                self.take()
                negate = True
                if self.peek()[0] in (None, ")", "or"):
                    raise QueryError("NOT（または -）の後に除外する語を続けてください。")
            start = self.index
            clause = self.parse_or(negated=negate)
            if clause is None:
                continue
            (negatives if negate else positives).append(clause)
            if top and not negate:
                self._note_parts(clause, self.tokens[start : self.index])
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

    def _note_parts(self, clause: wq.Query, tokens: list[tuple[str, str]]) -> None:
        """Remember a top-level clause (each content word of a natural reading apart) for zero-hit rescue."""
        if len(tokens) == 1 and self.readings and self.readings[-1].text == tokens[0][1]:
            required = clause.a if isinstance(clause, wq.AndMaybe) else clause
            words = self.readings[-1].words
            subqueries = required.subqueries if isinstance(required, wq.And) else [required]
            self.parts.extend(zip(words, subqueries))
            return
        self.parts.append((" ".join(value for _, value in tokens), clause))

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
        if kind == "word" and not negated and self.mode == "final":
            natural = self.natural_query(value)
            if natural is not None:
                return natural
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

    def natural_query(self, value: str) -> wq.Query | None:
        """Read unquoted input typed as a phrase: every content word must occur in the utterance; the input
        as typed (particles and all) ranks first where it occurs, then its words in the typed order."""
        text = normalize_text(value)
        words = content_words(text)
        if words is None:
            return None
        required = []
        for word, typed in words:
            options = list(dict.fromkeys([word, typed]))
            if self.expand:
                alternatives = self.synonyms.alternatives(word)
                if alternatives:
                    options += alternatives
                    self.expansions.append((word, alternatives))
            queries = [q for q in (self.word_query(w, highlight=True) for w in options) if q is not None]
            if queries:
                required.append(queries[0] if len(queries) == 1 else wq.Or(queries))
        if not required:
            return None
        self.readings.append(Reading(value, tuple(word for word, _ in words)))
        first_char = fold_chars(text)[0][:1] or " "
        exact = substring_query(text, is_kanji(first_char) or first_char.isascii())
        ordered = sequence_query(analyze(text))
        bonus = [q for q in (exact, ordered) if q is not None]
        for q in bonus:
            q.boost = getattr(q, "boost", 1.0) * EXACT_BOOST  # type: ignore[attr-defined]
        self.substrings.append((fold_chars(text.replace(" ", ""))[0], False))
        query = required[0] if len(required) == 1 else wq.And(required)
        return wq.AndMaybe(query, bonus[0] if len(bonus) == 1 else wq.Or(bonus))

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
    return ParsedQuery(
        parsed,
        parser.patterns,
        parser.filters,
        parser.ignored,
        parser.substrings,
        parser.expansions,
        parser.readings,
        parser.parts,
    )
