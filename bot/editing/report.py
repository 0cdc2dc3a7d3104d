"""The report of unanswered questions and use, for staff (`dit-bot report`, the admins' /report).

It groups similar unanswered questions and shows, for each group, the existing entry that
comes closest, so staff can add an alternate phrasing or a new entry. Given the sentence
encoder, it groups by meaning and suggests alternates (`bot.editing.report_meaning`);
otherwise by words (`group_similar`).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rapidfuzz import fuzz, process

from bot.core.library import Library
from bot.core.matcher import Matcher
from bot.core.text import STOP_WORDS, fold
from bot.editing.report_meaning import Reader, group_by_meaning, nearest_entry
from bot.service.records import Count, ReportSource, Unanswered, utc

# Similar enough (rapidfuzz token_set_ratio, 0-100) to be one group in the report.
SIMILARITY = 75
# Words nearly every question has; they say nothing about what a question is about.
_COMMON_WORDS = frozenset(
    """dit therapy dynamic interpersonal please thanks hi hello how much many help helps
    work works tell know want need like question""".split()
)


@dataclass(frozen=True)
class Group:
    """Similar unanswered questions, and the existing entry closest to them."""

    text: str
    count: int
    examples: tuple[str, ...]
    entry_id: str | None
    entry_question: str | None
    confidence: float
    # Meaning is confident the entry is the right one: `text` is suggested as its alternate.
    suggested: bool = False


@dataclass(frozen=True)
class EntryUse:
    entry_id: str
    question: str
    count: int


@dataclass(frozen=True)
class Period:
    """Replies by kind from `start` to `end` (inclusive days)."""

    start: date
    end: date
    kinds: Mapping[str, int]

    @property
    def questions(self) -> int:
        """Messages that were questions: answered, asked back or not answered."""
        return sum(self.kinds.get(k, 0) for k in ("answer", "clarify", "fallback"))

    @property
    def fallback_rate(self) -> float | None:
        """Share of questions the bot could not answer; None when there were none."""
        return self.kinds.get("fallback", 0) / self.questions if self.questions else None


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime
    unanswered: int
    groups: tuple[Group, ...]
    entries: tuple[EntryUse, ...]
    periods: tuple[Period, ...]
    totals: Period


def _key(text: str) -> str:
    """What a question is about, for grouping: folded words less the ones every question has."""
    all_words = fold(text).split()
    kept = [w for w in all_words if w not in STOP_WORDS and w not in _COMMON_WORDS]
    return " ".join(kept or all_words)


def group_similar(texts: Sequence[str], threshold: float = SIMILARITY) -> list[list[int]]:
    """Indexes of `texts` in groups of similar ones, biggest group first.

    Identical questions (after folding) go together first; then, most frequent first, each
    joins the most similar group leader at or above `threshold`, or leads a new group.
    """
    same: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        same[_key(text)].append(index)
    leaders: list[str] = []
    groups: list[list[int]] = []
    for key, members in sorted(same.items(), key=lambda item: (-len(item[1]), item[1][0])):
        found = process.extractOne(
            key, leaders, scorer=fuzz.token_set_ratio, score_cutoff=threshold
        )
        if found is None:
            leaders.append(key)
            groups.append(list(members))
        else:
            groups[found[2]].extend(members)
    return sorted(groups, key=lambda group: (-len(group), min(group)))


def build_report(
    questions: Sequence[Unanswered],
    counts: Iterable[Count],
    matcher: Matcher | None,
    since: datetime,
    until: datetime,
    questions_of: Mapping[str, str] | None = None,
    threshold: float = SIMILARITY,
    meaning: Reader | None = None,
) -> Report:
    """The report from stored rows; `matcher` finds each group's closest entry.

    `questions_of` maps entry ids to their questions (for the entries asked most). With
    `meaning`, questions are grouped by meaning and the closest entry is the nearest in
    meaning (bot.editing.report_meaning); without it, by their words (`group_similar`).
    """
    questions_of = questions_of or {}
    texts = [q.text for q in questions]
    groups = []
    if meaning is not None and texts:
        vectors = meaning.encode(texts)
        for members in group_by_meaning(texts, vectors):
            frequency = Counter(texts[i] for i in members)
            ordered = [text for text, _ in frequency.most_common()]
            near = nearest_entry(meaning, vectors[texts.index(ordered[0])])
            groups.append(
                Group(
                    text=ordered[0],
                    count=len(members),
                    examples=tuple(ordered[1:4]),
                    entry_id=near.entry.id if near else None,
                    entry_question=near.entry.question if near else None,
                    confidence=round(near.similarity, 4) if near else 0.0,
                    suggested=near is not None and near.confident,
                )
            )
        texts = []  # grouped by meaning: nothing left for the words
    for members in group_similar(texts, threshold):
        frequency = Counter(texts[i] for i in members)
        ordered = [text for text, _ in frequency.most_common()]
        best = matcher.rank(ordered[0], 1) if matcher is not None else []
        groups.append(
            Group(
                text=ordered[0],
                count=len(members),
                examples=tuple(ordered[1:4]),
                entry_id=best[0].entry.id if best else None,
                entry_question=best[0].entry.question if best else None,
                confidence=best[0].score if best else 0.0,
            )
        )

    counts = list(counts)
    per_entry: Counter[str] = Counter()
    for c in counts:
        if c.entry_id is not None:
            per_entry[c.entry_id] += c.count
    entries = tuple(
        EntryUse(entry_id, questions_of.get(entry_id, "(no longer in the knowledge)"), n)
        for entry_id, n in sorted(per_entry.items(), key=lambda item: (-item[1], item[0]))
    )

    first, last = utc(since).date(), utc(until).date()
    step = 7 if (last - first).days > 14 else 1
    periods = []
    start = first if step == 1 else first - timedelta(days=first.weekday())
    while start <= last:
        end = start + timedelta(days=step - 1)
        kinds = Counter[str]()
        for c in counts:
            if c.entry_id is None and start <= c.day <= end:
                kinds[c.kind] += c.count
        periods.append(Period(max(start, first), min(end, last), dict(kinds)))
        start = end + timedelta(days=1)
    totals: Counter[str] = Counter()
    for period in periods:
        totals.update(period.kinds)
    return Report(
        since=utc(since),
        until=utc(until),
        unanswered=len(questions),
        groups=tuple(groups),
        entries=entries,
        periods=tuple(periods),
        totals=Period(first, last, dict(totals)),
    )


async def gather_report(
    log: ReportSource,
    matcher: Matcher | None,
    since: datetime,
    until: datetime | None = None,
    questions_of: Mapping[str, str] | None = None,
    meaning: Reader | None = None,
) -> Report:
    """Read the tables and build the report for `since` to `until` (default now)."""
    until = utc(until)
    questions = [q for q in await log.fetch(since) if q.at <= until]
    counts = [c for c in await log.counts(utc(since).date()) if c.day <= until.date()]
    # Grouping is CPU work that grows with the square of the questions: in a worker thread,
    # so that the bot keeps answering everyone while an admin's report is built.
    return await asyncio.to_thread(
        build_report, questions, counts, matcher, since, until, questions_of, SIMILARITY, meaning
    )


_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`30d`, `12w`, `48h` before now, or a date such as 2024-05-01 (UTC midnight)."""
    now = utc(now)
    found = _SINCE.match(text.lower())
    if found:
        number, unit = int(found[1]), found[2]
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit]
        return now - timedelta(hours=number * hours)
    try:
        return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time(), UTC)
    except ValueError:
        raise ValueError(
            f"--since {text!r}: use a number of days, weeks or hours such as 30d, 4w or 48h, "
            "or a date such as 2024-05-01"
        ) from None


# Rendering


async def report_for(
    source: ReportSource, library: Library, days: int, now: datetime | None = None
) -> Report:
    """The report of the last `days` days, grouped by meaning when the library has the
    encoder (as `dit-bot report` does), else by words."""
    now = utc(now)
    questions_of = {key: entry.question for key, entry in library.knowledge.entries.items()}
    meaning = (
        Reader(library.meaning, library.embeddings.encode)
        if library.meaning is not None and library.embeddings is not None
        else None
    )
    return await gather_report(
        source, library.matcher, now - timedelta(days=days), now, questions_of, meaning
    )
