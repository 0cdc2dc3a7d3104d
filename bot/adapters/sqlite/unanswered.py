"""The records of use in SQLite: the `unanswered` and `usage_counts` tables.

Both live in the bot's database (created by its migrations, `bot.adapters.sqlite.migrations`)
and are used on a connection passed in, so they share the bot's one connection; `dit-bot
report` reads them on a read-only one (`open_read_only`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.adapters.sqlite.migrations import migrate
from bot.service.masking import MAX_TEXT, mask
from bot.service.records import (
    COUNTED_KINDS,
    UNANSWERED_KINDS,
    Count,
    CountedKind,
    Unanswered,
    UnansweredKind,
    UnansweredLog,
    day_of,
    utc,
)

if TYPE_CHECKING:
    from bot.adapters.sqlite.store import SqliteStore


def _stamp(at: datetime) -> str:
    # One fixed format, so that timestamps compare as text.
    return utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqliteUnansweredLog:
    """Both tables on a connection the caller owns (opens, shares and closes).

    Implements `UnansweredLog` and `UsageCounter`. Works with a connection in autocommit
    mode (as the bot's store opens it) or in Python's default mode (it commits its writes).
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def setup(self) -> None:
        """Bring the database's schema up to date (the tables are the store's migrations')."""
        await migrate(self.connection)

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
                _stamp(day_of(utc(at))),
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
        await self.count_all([(kind, entry_id)], day)

    async def count_all(
        self, counted: Sequence[tuple[CountedKind, str | None]], day: date | None = None
    ) -> None:
        """Each (kind, entry) counted as `count` does, all in one statement: one transaction
        and one trip to the database's thread for a whole turn."""
        for kind, _ in counted:
            if kind not in COUNTED_KINDS:
                raise ValueError(f"unknown kind {kind!r}; expected one of {COUNTED_KINDS}")
        stamp = (day or datetime.now(UTC).date()).isoformat()
        rows = [
            (stamp, kind, key)
            for kind, entry_id in counted
            for key in ([""] if entry_id is None else ["", entry_id])
        ]
        if not rows:
            return
        # Rows that name the same count add up: each conflicts with the one before it.
        values = ", ".join(["(?, ?, ?, 1)"] * len(rows))
        await self.connection.execute(
            f"INSERT INTO usage_counts (day, kind, entry_id, count) VALUES {values}"
            " ON CONFLICT (day, kind, entry_id) DO UPDATE SET count = count + 1",
            [value for row in rows for value in row],
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
    return await log.purge(utc(now) - timedelta(days=retention_days))


def open_read_only(path: Path) -> aiosqlite.Connection:
    """The database for reading only (await it, or use `async with`).

    FileNotFoundError when there is no database: opening would otherwise create one.
    """
    if not path.is_file():
        raise FileNotFoundError(path)
    return aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


class StoredUsageLog:
    """The records of use on the store's one connection: each write under the store's write
    lock, so that it never lands inside (or commits) another write's transaction."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def record(
        self,
        text: str,
        kind: UnansweredKind,
        best_entry_id: str | None,
        confidence: float,
        at: datetime | None = None,
    ) -> None:
        async with self.store.writing() as connection:
            await SqliteUnansweredLog(connection).record(text, kind, best_entry_id, confidence, at)

    async def purge(self, older_than: datetime) -> int:
        async with self.store.writing() as connection:
            return await SqliteUnansweredLog(connection).purge(older_than)

    async def fetch(self, since: datetime) -> list[Unanswered]:
        return await SqliteUnansweredLog(self.store.reading()).fetch(since)

    async def count(
        self, kind: CountedKind, entry_id: str | None = None, day: date | None = None
    ) -> None:
        async with self.store.writing() as connection:
            await SqliteUnansweredLog(connection).count(kind, entry_id, day)

    async def count_all(
        self, counted: Sequence[tuple[CountedKind, str | None]], day: date | None = None
    ) -> None:
        async with self.store.writing() as connection:
            await SqliteUnansweredLog(connection).count_all(counted, day)

    async def counts(self, since: date) -> list[Count]:
        return await SqliteUnansweredLog(self.store.reading()).counts(since)
