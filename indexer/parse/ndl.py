"""Speech records of the National Diet Library minutes API (speech endpoint) as Meetings."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from indexer.parse.roles import ROLES, canonical_role, parse_label, split_speech_label
from indexer.records import Meeting, Utterance, meeting_id_for
from indexer.text.normalize import normalize_text

NATIONAL_DIET = "国会"  # the body of every NDL record


def meetings_from_speeches(records: list[dict]) -> list[Meeting]:
    """Group speech records into meetings by issueID; speechOrder 0 is the header, not a speech."""
    by_issue: dict[str, dict[int, dict]] = defaultdict(dict)
    for record in records:
        by_issue[record["issueID"]][int(record.get("speechOrder", 0))] = record
    meetings = []
    for issue_id, speeches in sorted(by_issue.items()):
        first = speeches[min(speeches)]
        url = first.get("meetingURL") or f"https://kokkai.ndl.go.jp/txt/{issue_id}"
        meeting_id = meeting_id_for(url)
        house, name = first.get("nameOfHouse") or "", first.get("nameOfMeeting") or ""
        utterances: list[Utterance] = []
        for order in sorted(speeches):
            if order == 0:
                continue
            record = speeches[order]
            text, label = split_speech_label(normalize_text(record.get("speech") or ""))
            parsed = parse_label(label) if label else None
            # The printed label (○山田参考人) names the role in the sitting; speakerPosition may hold
            # an affiliation (…大学教授), so it is used only when the label says nothing.
            printed = record.get("speakerRole") or record.get("speakerPosition")
            if parsed and parsed.role in ROLES:
                role = parsed.role
            else:
                role = (canonical_role(printed) or printed) if printed else (parsed.role if parsed else "発言者")
            speaker = record.get("speaker") or (parsed.name if parsed else None)
            utterances.append(Utterance(meeting_id, len(utterances) + 1, role, speaker, text, label))
        title = normalize_text(f"第{first.get('session', '')}回国会 {house} {name} {first.get('issue', '')}")
        meetings.append(
            Meeting(
                id=meeting_id,
                url=url,
                title=title.strip(),
                committee=f"{house} {name}".strip(),
                meeting_name=f"{house}{name}",
                date=date.fromisoformat(first["date"]),
                utterances=utterances,
                body=NATIONAL_DIET,
            )
        )
    return meetings
