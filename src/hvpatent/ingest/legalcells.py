"""Reading legal-status cells of patent exports into dated events and a current-state snapshot.

Whatever the column is called (法律状态, 最新法律状态, 法律状态/事件, 简单法律状态 …), a cell is read the same
way (docs/importing.md, "Legal status"):
- an item with a date of its own (`2020-06-19 授权`, `授权(2020.06.19)`, `20200619 授权`) is a dated event;
  undated text right after it (a wrapped detail line) belongs to it; a date a label introduces (终止日：…,
  届满日：…) is a detail (the effective date), never the event's date;
- an undated word with a status-date column beside it (法律状态公告日) is an event on that date;
- with a 失效日 and a state that is not 'in force', the ending word (未缴年费, 期限届满 …, else `ended`)
  is an event on, and effective from, the 失效日;
- any other undated word is a current state: a snapshot on the export date, never a dated event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hvpatent.ingest.fields import (
    EventVocabulary,
    adjusted_term_end,
    has_event_date,
    split_event,
    split_multi,
    stated_effective_date,
)

TERM_NOT_ADJUSTED = "专利权期限补偿未写明补偿天数或届满日，已记录事件但未调整期限"
# Event types that end a right or an application: what a 失效日 can be the date of.
ENDING = ("annuity_lapse", "expiry", "withdrawn", "deemed_withdrawn", "rejected", "invalidated_full",
          "surrendered", "ended")


@dataclass
class Event:
    when: date
    event_type: str
    text: str
    effective: date | None = None
    source: str = ""  # the field the event was read from, for error messages


@dataclass
class Reading:
    """What the legal-status cells of one row say."""

    events: list[Event] = field(default_factory=list)
    snapshot: tuple[str, str, str] | None = None  # (status, raw text, column)
    unknown: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (field, value, reason)


@dataclass
class _Word:
    column: str
    text: str
    state: str | None       # explicit state word -> snapshot status
    event_type: str | None  # classified event word


def read_cells(cells: list[tuple[str, str]], vocabulary: EventVocabulary, *, status_date: date | None,
               lapse_date: date | None, filing: date | None, patent_type: str | None) -> Reading:
    """``cells``: (field, text) of each legal-status column of the row, in mapping order."""
    reading = Reading()
    words: list[_Word] = []
    for column, text in cells:
        _read_cell(column, text, vocabulary, reading, words)
    explicit = next((w for w in words if w.state), None)
    if status_date is not None:  # the words are dated by the status-date column: events, not states
        for word in words:
            if word.event_type:
                reading.events.append(Event(status_date, word.event_type, word.text, source=word.column))
        words = [w for w in words if not w.event_type]
    warnings, errors = read_details(reading.events, filing, patent_type)
    reading.warnings += warnings
    reading.errors += errors
    if lapse_date is not None and (explicit is None or explicit.state != "in_force"):
        ending = next((w for w in words if w.event_type in ENDING), None)
        reading.events.append(Event(lapse_date, ending.event_type if ending else "ended",
                                    ending.text if ending else "失效", lapse_date))
    reading.snapshot = _snapshot(words, explicit, vocabulary)
    return reading


def _read_cell(column: str, text: str, vocabulary: EventVocabulary, reading: Reading,
               words: list[_Word]) -> None:
    last: Event | None = None
    for item in split_multi(text):
        if has_event_date(item):
            try:
                when, body = split_event(item)
            except ValueError as err:
                reading.errors.append((column, item, str(err)))
                last = None
                continue
            event_type, known = vocabulary.match(body)
            if not known:
                reading.unknown.append(_headword(body))
            last = Event(when, event_type, body, source=column)
            reading.events.append(last)
        elif last is not None:
            last.text = f"{last.text} {item}"  # a detail line of the event above
        else:
            words.append(_word(column, item, vocabulary, reading))


def _word(column: str, item: str, vocabulary: EventVocabulary, reading: Reading) -> _Word:
    state = vocabulary.state(item)
    if state:
        return _Word(column, item, state, None)
    event_type, known = vocabulary.match(item)
    if not known:
        reading.unknown.append(_headword(item))
        return _Word(column, item, None, None)
    return _Word(column, item, None, event_type)


def read_details(events: list[Event], filing: date | None, patent_type: str | None
                 ) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Effective dates the event texts state (an annuity's 终止日, a compensated term's end), set on the
    events; returns the warnings and the (field, value, reason) of details that are no real date."""
    warnings: list[str] = []
    errors: list[tuple[str, str, str]] = []
    for event in events:
        try:
            warning = _details(event, filing, patent_type)
        except ValueError as err:  # 终止日：2020.02.30
            errors.append((event.source, event.text, str(err)))
            continue
        if warning:
            warnings.append(warning)
    return warnings, errors


def _details(event: Event, filing: date | None, patent_type: str | None) -> str | None:
    if event.event_type == "annuity_lapse":
        event.effective = stated_effective_date(event.text)
    elif event.event_type == "term_adjustment":
        event.effective = adjusted_term_end(event.text, filing, patent_type)
        if event.effective is None:
            return TERM_NOT_ADJUSTED
    elif event.event_type == "ended":
        event.effective = event.when
    return None


def _snapshot(words: list[_Word], explicit: _Word | None, vocabulary: EventVocabulary
              ) -> tuple[str, str, str] | None:
    chosen = explicit
    status = explicit.state if explicit else None
    if chosen is None:
        for word in words:
            implied = vocabulary.snapshot_of_event.get(word.event_type or "")
            if implied:
                chosen, status = word, implied
                break
    if chosen is None or status is None:
        return None
    raw = " | ".join(dict.fromkeys(w.text for w in words))
    return status, raw, chosen.column


def _headword(text: str) -> str:
    """The event word of a text, without the details that follow it."""
    return text.split()[0][:40] if text.split() else text[:40]
