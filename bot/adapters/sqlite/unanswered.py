"""The questions the bot could not answer, how often it answered at all, and the report.

Two small tables, kept apart on purpose:

- `unanswered`: the text of each fallback and each clarify the person did not resolve,
  masked (e-mail addresses, phone numbers, long digit runs) before it is written, with the
  entry that came closest and its confidence. No user id, ever. Rows older than the
  retention period (config `unanswered_retention_days`) are deleted by `purge`.
- `usage_counts`: per day, how many messages people typed, how many answers, clarifies,
  fallbacks, crisis replies and small talk replies there were, and per entry how often it
  was given. Numbers only: this is where
  a crisis message is counted, and it is never stored anywhere.

Both live in the bot's SQLite database, on a connection passed in (so they share the bot's
one connection); `setup` creates them if they are missing. The report (`dit-bot report`, and
the short text for the admins' /report in Telegram) groups similar unanswered questions and
shows, for each group, the existing entry that comes closest, so staff can add an alternate
phrasing or a new entry. Given the sentence encoder, it groups by meaning and suggests
alternates (bot.editing.report_meaning); otherwise by words (`group_similar`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

import aiosqlite
from rapidfuzz import fuzz, process

from bot.adapters.sqlite.store import MIGRATIONS
from bot.core.matcher import Matcher
from bot.core.text import STOP_WORDS, fold
from bot.editing.report_meaning import Reader, group_by_meaning, nearest_entry

UnansweredKind = Literal["fallback", "clarify"]
UNANSWERED_KINDS: tuple[str, ...] = ("fallback", "clarify")
# A "message" is one text a person typed (whatever the reply); the rest are replies by kind.
CountedKind = Literal["answer", "clarify", "fallback", "crisis", "smalltalk", "support", "message"]
COUNTED_KINDS: tuple[str, ...] = (
    "answer",
    "clarify",
    "fallback",
    "crisis",
    "smalltalk",
    "support",
    "message",
)
# Similar enough (rapidfuzz token_set_ratio, 0-100) to be one group in the report.
SIMILARITY = 75
# Words nearly every question has; they say nothing about what a question is about.
_COMMON_WORDS = frozenset(
    """dit therapy dynamic interpersonal please thanks hi hello how much many help helps
    work works tell know want need like question""".split()
)
MAX_TEXT = 500
Format = Literal["table", "csv", "markdown"]
FORMATS: tuple[str, ...] = ("table", "csv", "markdown")


# Masking

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# UK and international numbers: 07700 900123, +44 20 7946 0958, (020) 7946 0958,
# +44 (0)20 7946 0958, 0161-496-0000.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?\(?\d{1,5}\)?|\(?0\d{1,4}\)?)"
    r"(?:[ .-]?\d){6,10}(?!\d)"
)
# Five or more digits, possibly in groups: card, NHS and reference numbers, postcodes' kin.
_DIGITS = re.compile(r"\d(?:[ .-]?\d){4,}")


def mask(text: str) -> str:
    """The text with e-mail addresses, phone numbers and runs of 5+ digits replaced."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _DIGITS.sub("[number]", text)


# Storage


@dataclass(frozen=True)
class Unanswered:
    """One question the bot did not answer, as stored (already masked)."""

    text: str
    kind: str
    best_entry_id: str | None
    confidence: float
    at: datetime


@dataclass(frozen=True)
class Count:
    """How many replies of a kind on a day; `entry_id` None is the day's total for the kind."""

    day: date
    kind: str
    entry_id: str | None
    count: int


class UnansweredLog(Protocol):
    """Where unanswered questions are kept (masked, without user ids) for a while."""

    async def record(
        self,
        text: str,
        kind: UnansweredKind,
        best_entry_id: str | None,
        confidence: float,
        at: datetime | None = None,
    ) -> None: ...

    async def purge(self, older_than: datetime) -> int: ...

    async def fetch(self, since: datetime) -> list[Unanswered]: ...


class UsageCounter(Protocol):
    """Per-day counts of replies by kind and by entry; numbers only, no texts."""

    async def count(
        self, kind: CountedKind, entry_id: str | None = None, day: date | None = None
    ) -> None: ...

    async def counts(self, since: date) -> list[Count]: ...


class ReportSource(UnansweredLog, UsageCounter, Protocol):
    """Both tables, as the report reads them."""


# The tables as the store's schema migration 2 creates them: one definition, the store's.
_SCHEMA = MIGRATIONS[1]


def _utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def day_of(at: datetime) -> datetime:
    """Midnight UTC of the day `at` falls on: the finest time kept next to a user or a text."""
    return _utc(at).replace(hour=0, minute=0, second=0, microsecond=0)


def _stamp(at: datetime) -> str:
    # One fixed format, so that timestamps compare as text.
    return _utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqliteUnansweredLog:
    """Both tables on a connection the caller owns (opens, shares and closes).

    Implements `UnansweredLog` and `UsageCounter`. Works with a connection in autocommit
    mode (as the bot's store opens it) or in Python's default mode (it commits its writes).
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def setup(self) -> None:
        """Create the tables and index if they are missing."""
        for statement in _SCHEMA:
            await self.connection.execute(statement)
        await self._commit()

    async def record(
        self,
        text: str,
        kind: UnansweredKind,
        best_entry_id: str | None,
        confidence: float,
        at: datetime | None = None,
    ) -> None:
        """Keep a question the bot could not answer; it is masked here, whoever calls."""
        if kind not in UNANSWERED_KINDS:
            raise ValueError(f"only {UNANSWERED_KINDS} are recorded, not {kind!r}")
        await self.connection.execute(
            "INSERT INTO unanswered (at, kind, text, best_entry_id, confidence)"
            " VALUES (?, ?, ?, ?, ?)",
            # The day only: a finer time could be joined with the users table's to link a
            # question to whoever asked it.
            (
                _stamp(day_of(_utc(at))),
                kind,
                mask(text.strip())[:MAX_TEXT],
                best_entry_id,
                confidence,
            ),
        )
        await self._commit()

    async def purge(self, older_than: datetime) -> int:
        """Delete the questions recorded before `older_than`; how many were deleted."""
        cursor = await self.connection.execute(
            "DELETE FROM unanswered WHERE at < ?", (_stamp(older_than),)
        )
        deleted = cursor.rowcount
        await cursor.close()
        await self._commit()
        return max(deleted, 0)

    async def fetch(self, since: datetime) -> list[Unanswered]:
        """The questions recorded at or after `since`, oldest first."""
        rows = await self._select(
            "SELECT text, kind, best_entry_id, confidence, at FROM unanswered"
            " WHERE at >= ? ORDER BY at, id",
            (_stamp(since),),
        )
        return [
            Unanswered(
                text=str(text),
                kind=str(kind),
                best_entry_id=None if entry is None else str(entry),
                confidence=float(confidence),
                at=datetime.strptime(str(at), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
            )
            for text, kind, entry, confidence, at in rows
        ]

    async def count(
        self, kind: CountedKind, entry_id: str | None = None, day: date | None = None
    ) -> None:
        """Add one to the day's count for `kind`, and to the entry's when it is given."""
        if kind not in COUNTED_KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {COUNTED_KINDS}")
        day = day or datetime.now(UTC).date()
        keys = [""] if entry_id is None else ["", entry_id]
        for key in keys:
            await self.connection.execute(
                "INSERT INTO usage_counts (day, kind, entry_id, count) VALUES (?, ?, ?, 1)"
                " ON CONFLICT (day, kind, entry_id) DO UPDATE SET count = count + 1",
                (day.isoformat(), kind, key),
            )
        await self._commit()

    async def counts(self, since: date) -> list[Count]:
        """Every count from `since` on, by day."""
        rows = await self._select(
            "SELECT day, kind, entry_id, count FROM usage_counts WHERE day >= ?"
            " ORDER BY day, kind, entry_id",
            (since.isoformat(),),
        )
        return [
            Count(date.fromisoformat(str(day)), str(kind), str(entry) or None, int(number))
            for day, kind, entry, number in rows
        ]

    async def _select(self, sql: str, values: tuple[object, ...]) -> list[tuple[Any, ...]]:
        try:
            cursor = await self.connection.execute(sql, values)
        except sqlite3.OperationalError as exc:
            # A database the bot has not yet written to (read-only for the report).
            if "no such table" in str(exc):
                return []
            raise
        rows = await cursor.fetchall()
        await cursor.close()
        return [tuple(row) for row in rows]

    async def _commit(self) -> None:
        if self.connection.in_transaction:
            await self.connection.commit()


async def purge_expired(
    log: UnansweredLog, retention_days: int, now: datetime | None = None
) -> int:
    """Delete what is older than the retention period (run it daily, and at start-up)."""
    return await log.purge(_utc(now) - timedelta(days=retention_days))


def open_read_only(path: Path) -> aiosqlite.Connection:
    """The database for reading only (await it, or use `async with`).

    FileNotFoundError when there is no database: opening would otherwise create one.
    """
    if not path.is_file():
        raise FileNotFoundError(path)
    return aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


# The report


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

    first, last = _utc(since).date(), _utc(until).date()
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
        since=_utc(since),
        until=_utc(until),
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
    until = _utc(until)
    questions = [q for q in await log.fetch(since) if q.at <= until]
    counts = [c for c in await log.counts(_utc(since).date()) if c.day <= until.date()]
    # Grouping is CPU work that grows with the square of the questions: in a worker thread,
    # so that the bot keeps answering everyone while an admin's report is built.
    return await asyncio.to_thread(
        build_report, questions, counts, matcher, since, until, questions_of, SIMILARITY, meaning
    )


_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`30d`, `12w`, `48h` before now, or a date such as 2024-05-01 (UTC midnight)."""
    now = _utc(now)
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


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _closest(group: Group) -> str:
    return f"{group.entry_id} ({group.confidence:.2f})" if group.entry_id else "-"


def _period_label(report: Report, period: Period) -> str:
    if period.start == period.end:
        return period.start.isoformat()
    return f"{period.start.isoformat()} to {period.end.isoformat()}"


def _heading(report: Report) -> str:
    return (
        f"{report.since.date().isoformat()} to {report.until.date().isoformat()}: "
        f"{report.unanswered} unanswered question{'s' if report.unanswered != 1 else ''} "
        f"in {len(report.groups)} group{'s' if len(report.groups) != 1 else ''}; "
        f"{report.totals.questions} questions in all, "
        f"{_percent(report.totals.fallback_rate)} not answered"
    )


# Control characters (escape sequences among them) that a message may carry: shown as "?", so
# that a stored question cannot recolour or rewrite the terminal showing the report.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _printable(text: str) -> str:
    return _CONTROLS.sub("?", text)


def _cell(text: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates (OWASP's advice)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _clip(text: str, width: int) -> str:
    text = _printable(text)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _rows(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(cell).rjust(widths[i]) if i in right else str(cell).ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


_KIND_COLUMNS = ("answer", "clarify", "fallback", "crisis", "smalltalk")
_PERIOD_HEADER = ("Period", "Questions", "Answered", "Clarify", "Fallback", "Rate")
_PERIOD_EXTRA = ("Crisis", "Small talk")


def _period_cells(report: Report, period: Period) -> list[str]:
    k = period.kinds
    return [
        _period_label(report, period),
        str(period.questions),
        *(str(k.get(kind, 0)) for kind in ("answer", "clarify", "fallback")),
        _percent(period.fallback_rate),
        str(k.get("crisis", 0)),
        str(k.get("smalltalk", 0)),
    ]


def render_table(report: Report, limit: int = 30) -> str:
    """The report as plain columns for a terminal."""
    out = ["Unanswered questions, " + _heading(report), ""]
    if report.groups:
        rows = [[str(g.count), _clip(g.text, 60), _closest(g)] for g in report.groups[:limit]]
        lines = _rows(("Count", "Question", "Closest entry (confidence)"), rows, {0})
        out.append(lines[0])
        for group, line in zip(report.groups[:limit], lines[1:], strict=True):
            out.append(line)
            if group.examples:
                also = ", ".join(repr(_clip(e, 40)) for e in group.examples)
                out.append(f"{'':>5}  also: {also}")
        if len(report.groups) > limit:
            out.append(f"... and {len(report.groups) - limit} more groups")
        out += _suggestions(report, limit, _printable)
    else:
        out.append("No unanswered questions.")
    out += ["", "Entries given most"]
    if report.entries:
        rows = [[str(e.count), e.entry_id, _clip(e.question, 50)] for e in report.entries[:limit]]
        out += _rows(("Count", "Entry", "Question"), rows, {0})
    else:
        out.append("None yet.")
    out += ["", "Replies over time"]
    rows = [_period_cells(report, p) for p in report.periods]
    out += _rows((*_PERIOD_HEADER, *_PERIOD_EXTRA), rows, set(range(1, 8)))
    return "\n".join(out) + "\n"


def _suggestions(report: Report, limit: int, shown: Callable[[str], str]) -> list[str]:
    """Suggested `alternates` lines, for staff to copy into the entry if they agree."""
    suggested = [g for g in report.groups[:limit] if g.suggested and g.entry_id]
    if not suggested:
        return []
    out = ["", "Suggested alternates (nearest in meaning; check, then add by hand):"]
    for g in suggested:
        quoted = json.dumps(shown(g.text), ensure_ascii=False)
        out.append(f"  entry {g.entry_id}:  - {quoted}")
    return out


def _md(text: str) -> str:
    return _printable(text.replace("|", "\\|").replace("\n", " "))


def render_markdown(report: Report, limit: int = 30) -> str:
    """The report as Markdown, for an e-mail or a wiki page."""
    out = ["# Unanswered questions", "", _heading(report), ""]
    if report.groups:
        out += ["| Count | Question | Also asked as | Closest entry | Confidence |"]
        out += ["| ---: | --- | --- | --- | ---: |"]
        for g in report.groups[:limit]:
            also = "; ".join(_md(e) for e in g.examples)
            out.append(
                f"| {g.count} | {_md(g.text)} | {also} | {g.entry_id or '-'} | {g.confidence:.2f} |"
            )
        out += _suggestions(report, limit, _md)
    else:
        out.append("No unanswered questions.")
    out += ["", "## Entries given most", ""]
    if report.entries:
        out += ["| Count | Entry | Question |", "| ---: | --- | --- |"]
        out += [f"| {e.count} | {e.entry_id} | {_md(e.question)} |" for e in report.entries[:limit]]
    else:
        out.append("None yet.")
    out += ["", "## Replies over time", ""]
    header = (*_PERIOD_HEADER, *_PERIOD_EXTRA)
    out += ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    out += ["| " + " | ".join(_period_cells(report, p)) + " |" for p in report.periods]
    return "\n".join(out) + "\n"


CSV_COLUMNS = (
    "section",
    "period_start",
    "period_end",
    "text",
    "count",
    "entry_id",
    "confidence",
    "examples",
    *_KIND_COLUMNS,
    "fallback_rate",
)


def render_csv(report: Report) -> str:
    """The whole report as one CSV table; `section` is group, entry or period."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for g in report.groups:
        writer.writerow(
            {
                "section": "group",
                "text": _cell(g.text),
                "count": g.count,
                "entry_id": g.entry_id or "",
                "confidence": f"{g.confidence:.4f}",
                "examples": _cell(" | ".join(g.examples)),
            }
        )
    for e in report.entries:
        writer.writerow(
            {"section": "entry", "text": e.question, "count": e.count, "entry_id": e.entry_id}
        )
    for p in report.periods:
        rate = p.fallback_rate
        writer.writerow(
            {
                "section": "period",
                "period_start": p.start.isoformat(),
                "period_end": p.end.isoformat(),
                "count": p.questions,
                **{kind: p.kinds.get(kind, 0) for kind in _KIND_COLUMNS},
                "fallback_rate": "" if rate is None else f"{rate:.4f}",
            }
        )
    return buffer.getvalue()


def render(report: Report, format: str = "table") -> str:
    if format == "csv":
        return render_csv(report)
    if format == "markdown":
        return render_markdown(report)
    return render_table(report)


def render_short(report: Report, groups: int = 5, entries: int = 3) -> str:
    """A few lines of plain text for the admins' /report in Telegram (well under 4096)."""
    days = max((report.until.date() - report.since.date()).days, 1)
    t = report.totals
    lines = [
        f"Last {days} day{'s' if days != 1 else ''}: {t.questions} questions, "
        f"{t.kinds.get('fallback', 0)} not answered ({_percent(t.fallback_rate)}), "
        f"{t.kinds.get('clarify', 0)} asked back; crisis replies: {t.kinds.get('crisis', 0)}.",
    ]
    if report.groups:
        lines += ["", f"Asked but not answered ({report.unanswered}):"]
        for number, g in enumerate(report.groups[:groups], 1):
            times = f" \u00d7{g.count}" if g.count > 1 else ""
            closest = f" \u2192 {g.entry_id} ({g.confidence:.2f})" if g.entry_id else ""
            lines.append(f"{number}. \u201c{_clip(g.text, 70)}\u201d{times}{closest}")
        if len(report.groups) > groups:
            lines.append(f"\u2026 and {len(report.groups) - groups} more groups")
    else:
        lines += ["", "No unanswered questions."]
    if report.entries:
        top = ", ".join(f"{e.entry_id} {e.count}" for e in report.entries[:entries])
        lines += ["", f"Given most: {top}"]
    lines += ["", "Full report: dit-bot report"]
    return "\n".join(lines)
