"""The database's schema, in one place: an ordered list of migrations and the code that applies
them. Every table (per-user state, the records of use, the durable inbox) is created here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import aiosqlite


class StoreError(Exception):
    """The store was used before it was opened, or its database is newer than this code."""


# Version N of the schema is reached by applying MIGRATIONS[N - 1]. Append; never edit or
# reorder an item that has shipped, since existing databases have already applied it.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE users (
            user_id INTEGER PRIMARY KEY,
            guide_id TEXT,
            guide_step INTEGER NOT NULL DEFAULT 0,
            last_entry_id TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )
        """,
    ),
    # 2: questions the bot could not answer, and per-day reply counts (see unanswered.py).
    # Neither has a user id: /forget has nothing to delete there, and nothing links them back.
    (
        """
        CREATE TABLE IF NOT EXISTS unanswered (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            best_entry_id TEXT,
            confidence REAL NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS unanswered_at ON unanswered (at)",
        """
        CREATE TABLE IF NOT EXISTS usage_counts (
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            entry_id TEXT NOT NULL DEFAULT '',
            count INTEGER NOT NULL,
            PRIMARY KEY (day, kind, entry_id)
        )
        """,
    ),
    # 3: the durable inbox (see inbox.py). A row's payload (the update, with what the person
    # wrote) lives only until the update is answered; then only its id is kept, for two days.
    (
        """
        CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            user_id INTEGER,
            payload TEXT,
            received TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            done INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX inbox_waiting ON inbox (done, update_id)",
    ),
)


async def schema_version(connection: aiosqlite.Connection) -> int:
    cursor = await connection.execute("SELECT MAX(version) FROM schema_version")
    row = await cursor.fetchone()
    await cursor.close()
    return int(row[0]) if row is not None and row[0] is not None else 0


async def migrate(
    connection: aiosqlite.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS
) -> None:
    """Apply the migrations this database has not seen yet, each in its own transaction."""
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    current = await schema_version(connection)
    if current > len(migrations):
        raise StoreError(
            f"the database is at schema version {current}, newer than this code knows "
            f"({len(migrations)}); upgrade the bot"
        )
    for version, statements in enumerate(migrations[current:], start=current + 1):
        await connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                await connection.execute(statement)
            await connection.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version, datetime.now(UTC).isoformat()),
            )
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")
