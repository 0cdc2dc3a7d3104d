"""Where per-user state lives between messages: SQLite through aiosqlite.

Only what `UserState` holds is kept against a user id (guide, step, last answered entry, first
and last seen), never anything the person wrote. The schema is versioned: `MIGRATIONS` is an
ordered list, each item the statements that take the database from one version to the next,
so a new table (for example unanswered questions, kept without user ids) is one more item.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.adapters.sqlite.migrations import MIGRATIONS, StoreError, migrate, schema_version
from bot.adapters.sqlite.unanswered import StoredUsageLog
from bot.core.replies import UserState

# Tables holding rows keyed by user id; `forget` empties all of them for that user at once
# (the inbox: updates not yet answered, which must not be answered after a /forget).
# The tables of migration 2 are kept apart from users on purpose and are not listed here.
USER_TABLES = ("users", "inbox")


def _day(at: datetime) -> datetime:
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


class SqliteStore:
    """One long-lived connection; reads go straight through, writes one at a time."""

    def __init__(self, path: Path, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> None:
        self.path = path
        self.migrations = migrations
        self._connection: aiosqlite.Connection | None = None
        # aiosqlite runs statements one by one on its thread; the lock keeps a multi-statement
        # write (a transaction) from interleaving with another.
        self._write_lock = asyncio.Lock()
        # The unanswered questions and the counts, on this same connection.
        self.usage = StoredUsageLog(self)

    async def open(self) -> None:
        """Connect, switch to WAL and bring the schema up to date."""
        if self._connection is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are begun and ended explicitly below.
        connection = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA busy_timeout=5000")
            # Deleted rows are overwritten, not left in free pages: /forget, expired users and
            # answered updates (whose text the inbox drops) must be gone from the file too.
            await connection.execute("PRAGMA secure_delete=ON")
            await migrate(connection, self.migrations)
        except BaseException:
            await connection.close()
            raise
        self._connection = connection

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()

    async def version(self) -> int:
        return await schema_version(self._open())

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection, for writes to the tables beside `users` (unanswered.py's).

        Holding the store's write lock, so such a write never lands inside (or commits)
        another write's transaction on this one shared connection.
        """
        async with self._write_lock:
            yield self._open()

    def reading(self) -> aiosqlite.Connection:
        """The connection, for reads of the tables beside `users`."""
        return self._open()

    async def users_seen_since(self, since: datetime) -> int:
        """How many users wrote at or after `since` (and have not asked to be forgotten)."""
        cursor = await self._open().execute(
            "SELECT COUNT(*) FROM users WHERE last_seen >= ?",
            (since.astimezone(UTC).isoformat(),),
        )
        row = await cursor.fetchone()
        await cursor.close()
        return int(row[0]) if row is not None else 0

    async def load(self, user_id: int) -> UserState:
        # One trip to the database's thread (execute, fetch and close would be three).
        rows = await self._open().execute_fetchall(
            "SELECT guide_id, guide_step, last_entry_id, first_seen, last_seen"
            " FROM users WHERE user_id = ?",
            (user_id,),
        )
        row = next(iter(rows), None)
        if row is None:
            return UserState()
        guide_id, guide_step, last_entry_id, first_seen, last_seen = row
        return UserState(
            guide_id=guide_id,
            guide_step=guide_step,
            last_entry_id=last_entry_id,
            first_seen=datetime.fromisoformat(first_seen),
            last_seen=datetime.fromisoformat(last_seen),
        )

    async def save(self, user_id: int, state: UserState) -> None:
        """Keep the state; first and last seen default to now when the state has none."""
        # Days only, like the unanswered questions' dates, so the two cannot be joined on time.
        now = datetime.now(UTC)
        first_seen = _day(state.first_seen or now).isoformat()
        last_seen = _day(state.last_seen or now).isoformat()
        async with self._write_lock:
            await self._open().execute(
                """
                INSERT INTO users (user_id, guide_id, guide_step, last_entry_id,
                                   first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET
                    guide_id = excluded.guide_id,
                    guide_step = excluded.guide_step,
                    last_entry_id = excluded.last_entry_id,
                    first_seen = MIN(users.first_seen, excluded.first_seen),
                    last_seen = excluded.last_seen
                """,
                (
                    user_id,
                    state.guide_id,
                    state.guide_step,
                    state.last_entry_id,
                    first_seen,
                    last_seen,
                ),
            )

    async def forget(self, user_id: int) -> None:
        """Delete every row linked to the user, in one transaction."""
        connection = self._open()
        async with self._write_lock:
            await connection.execute("BEGIN IMMEDIATE")
            try:
                for table in USER_TABLES:
                    await connection.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")

    async def expire(self, inactive_since: datetime) -> int:
        """Forget everyone last seen before `inactive_since`; how many users went."""
        connection = self._open()
        async with self._write_lock:
            cursor = await connection.execute(
                "DELETE FROM users WHERE last_seen < ?", (_day(inactive_since).isoformat(),)
            )
            return max(cursor.rowcount, 0)

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database and empty it: what was deleted or
        overwritten (an answered update's text) is then gone from the log file too."""
        async with self._write_lock:
            await self._open().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _open(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise StoreError(f"the store at {self.path} is not open")
        return self._connection
