"""The durable inbox: every update is on disk before Telegram is told it arrived.

Telegram forgets an update once the bot confirms it (the next getUpdates offset, or a 200 to
a webhook call), and python-telegram-bot confirms updates before handling them. So an update
is admitted here first (its JSON in SQLite), and marked done, its text dropped, once its
replies are sent. At start-up whatever is not done is handled again, in the order it came.

Updates are opaque here (an id and a JSON text): the Telegram adapter turns them back into
objects. The table belongs to the store's database, so a crash cannot split the two.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.adapters.sqlite.store import SqliteStore

_LOG = logging.getLogger(__name__)

# An update that was being handled when the bot died this many times may be what kills it
# (a message that crashes the process): it is then given up, not replayed for ever.
MAX_ATTEMPTS = 3
# Telegram keeps an unconfirmed update for 24 hours and may send it again; a done update's id
# is kept a little longer than that, so that a resend is recognised and not answered twice.
KEEP_DONE = timedelta(days=2)


@dataclass(frozen=True)
class Pending:
    """An update that was admitted but not done when the bot last stopped."""

    update_id: int
    payload: str


class Inbox:
    """Updates by id: admitted (with their JSON), then done (id only)."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def admit(self, update_id: int, payload: str, user_id: int | None = None) -> bool:
        """Keep an update until it is done; False if it was seen before (a resend)."""
        return bool(await self.admit_all([(update_id, user_id, payload)]))

    async def admit_all(self, updates: Sequence[tuple[int, int | None, str]]) -> list[int]:
        """Keep a batch of (update id, user id, JSON) in one transaction; the ids that were
        not seen before. The user id lets /forget delete what a user has not had answered."""
        if not updates:
            return []
        ids = [update_id for update_id, _, _ in updates]
        async with self.store.writing() as connection:
            await connection.execute("BEGIN IMMEDIATE")
            try:
                marks = ",".join("?" * len(ids))
                cursor = await connection.execute(
                    f"SELECT update_id FROM inbox WHERE update_id IN ({marks})", ids
                )
                seen = {row[0] for row in await cursor.fetchall()}
                fresh = {i: (user, payload) for i, user, payload in updates if i not in seen}
                received = _today()
                await connection.executemany(
                    "INSERT INTO inbox (update_id, user_id, payload, received) VALUES (?, ?, ?, ?)",
                    [(i, user, payload, received) for i, (user, payload) in fresh.items()],
                )
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")
        return list(fresh)

    async def done(self, update_id: int) -> None:
        """The update is answered: keep its id (against resends), drop what it said."""
        async with self.store.writing() as connection:
            await connection.execute(
                "UPDATE inbox SET done = 1, payload = NULL WHERE update_id = ?", (update_id,)
            )

    async def pending(self) -> list[Pending]:
        """The updates not done, oldest first, each counted as one more attempt.

        Those already tried MAX_ATTEMPTS times are marked done and left out (logged)."""
        async with self.store.writing() as connection:
            await connection.execute("BEGIN IMMEDIATE")
            try:
                await connection.execute("UPDATE inbox SET attempts = attempts + 1 WHERE done = 0")
                cursor = await connection.execute(
                    "SELECT update_id FROM inbox WHERE done = 0 AND attempts > ?",
                    (MAX_ATTEMPTS,),
                )
                given_up = [row[0] for row in await cursor.fetchall()]
                await connection.execute(
                    "UPDATE inbox SET done = 1, payload = NULL WHERE done = 0 AND attempts > ?",
                    (MAX_ATTEMPTS,),
                )
                cursor = await connection.execute(
                    "SELECT update_id, payload FROM inbox WHERE done = 0 ORDER BY update_id"
                )
                rows = await cursor.fetchall()
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")
        for update_id in given_up:
            _LOG.error(
                "update %s was still waiting for its answer at each of the last %d starts; "
                "it is given up",
                update_id,
                MAX_ATTEMPTS,
            )
        return [Pending(int(update_id), str(payload)) for update_id, payload in rows]

    async def prune(self, now: datetime | None = None) -> int:
        """Forget the ids of updates done long enough ago that Telegram cannot resend them,
        and give up updates that old still waiting (the bot was down for days: an answer
        now would come too late to help, and their text must not stay for ever)."""
        before = ((now or datetime.now(UTC)) - KEEP_DONE).date().isoformat()
        async with self.store.writing() as connection:
            cursor = await connection.execute("DELETE FROM inbox WHERE received < ?", (before,))
            return max(cursor.rowcount, 0)

    async def count(self) -> tuple[int, int]:
        """(not done, done) updates on disk."""
        cursor = await self.store.reading().execute(
            "SELECT COALESCE(SUM(done = 0), 0), COALESCE(SUM(done = 1), 0) FROM inbox"
        )
        row = await cursor.fetchone()
        await cursor.close()
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)


def _today() -> str:
    # The day only, like every other date the bot keeps.
    return datetime.now(UTC).date().isoformat()
