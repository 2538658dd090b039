"""Judge a parse: say when a page's result is doubtful, so nobody trusts it silently."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from indexer.records import ParseQuality, Utterance

# Below this share of the record's characters inside speech turns, labels were probably missed.
MIN_SPEECH_SHARE = 0.5
# A record this long with one speech holding nearly all of it has lost its labels.
LONG_RECORD = 3000


def judge(
    utterances: list[Utterance], meeting_date: date | None, title: str, notes: Sequence[str] = ()
) -> ParseQuality:
    """Return the quality of a parse from what it produced: date, turns and how they cover the record;
    notes are the parser's own doubts (a date inferred rather than printed), each a little less confidence."""
    warnings: list[str] = list(notes)
    confidence = 1.0 - 0.1 * len(notes)
    speeches = [u for u in utterances if u.role]
    total = sum(len(u.text) for u in utterances) or 1
    spoken = sum(len(u.text) for u in speeches)
    labels = Counter(u.label or u.role for u in speeches)
    pattern = _pattern(speeches)
    if meeting_date is None:
        warnings.append("no meeting date found on the page (日時, a date line or the title)")
        confidence -= 0.4
    if not speeches:
        warnings.append("no speaker labels found: the record is kept as narrative text")
        confidence -= 0.5
    elif spoken / total < MIN_SPEECH_SHARE and total > 500:
        warnings.append(f"only {spoken / total:.0%} of the record's text is inside speech turns")
        confidence -= 0.3
    if speeches and total > LONG_RECORD and max(len(u.text) for u in speeches) / total > 0.9 and len(speeches) < 3:
        warnings.append("one speech holds nearly the whole record: labels were probably missed")
        confidence -= 0.3
    if len(speeches) >= 6 and len(labels) == 1:
        warnings.append(f"every turn has the same label ({next(iter(labels))}): speakers do not alternate")
        confidence -= 0.2
    if not title:
        warnings.append("no title found")
        confidence -= 0.1
    confidence = max(0.0, min(1.0, confidence))
    return ParseQuality("suspect" if warnings and confidence < 0.8 else "ok", confidence, pattern, warnings)


def _pattern(speeches: list[Utterance]) -> str:
    """Describe the commonest label form: its leading mark or bracket and what it holds."""
    shapes: Counter[str] = Counter()
    for u in speeches:
        label = (u.label or "").strip()
        if not label:
            shapes["role"] += 1
            continue
        head = label[0] if label[0] in "○◎〇●◯◆◇■□▼▽【[［(（〈《<≪" else ""
        holds = "name+role" if u.speaker else "role"
        shapes[f"{head}{holds}"] += 1
    return shapes.most_common(1)[0][0] if shapes else ""
