"""What the bot writes down about its own use, and the protocols of where it goes.

Two kinds of record, kept apart on purpose: unanswered questions (the text of each fallback
and each clarify the person did not resolve, masked, with the entry that came closest; no
user id, ever) and per-day counts of replies by kind and by entry (numbers only: this is
where a crisis message is counted, and it is never stored anywhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal, Protocol

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

    async def count_all(
        self, counted: Sequence[tuple[CountedKind, str | None]], day: date | None = None
    ) -> None:
        """Several counts in one write (all of a turn's)."""
        ...

    async def counts(self, since: date) -> list[Count]: ...


class ReportSource(UnansweredLog, UsageCounter, Protocol):
    """Both tables, as the report reads them."""


def utc(at: datetime | None) -> datetime:
    """`at` in UTC (naive times are taken as UTC); now, when None."""
    if at is None:
        return datetime.now(UTC)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def day_of(at: datetime) -> datetime:
    """Midnight UTC of the day `at` falls on: the finest time kept next to a user or a text."""
    return utc(at).replace(hour=0, minute=0, second=0, microsecond=0)
