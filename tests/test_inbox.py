"""The durable inbox: updates kept until done, resends recognised, nothing said kept after."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.inbox import KEEP_DONE, MAX_ATTEMPTS, Inbox, Pending
from bot.store import SqliteStore


@pytest.fixture
def inbox(store: SqliteStore) -> Inbox:
    return Inbox(store)


async def test_an_update_is_admitted_once_and_a_resend_is_recognised(inbox: Inbox) -> None:
    assert await inbox.admit(5, '{"update_id": 5}')
    assert not await inbox.admit(5, '{"update_id": 5}')
    assert await inbox.count() == (1, 0)


async def test_what_was_not_done_survives_a_reopening_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = SqliteStore(path)
    await first.open()
    for update_id in (9, 7, 8):
        await Inbox(first).admit(update_id, f'{{"update_id": {update_id}}}')
    await Inbox(first).done(8)
    await first.close()  # as good as a crash: every admit was committed on its own

    again = SqliteStore(path)
    await again.open()
    pending = await Inbox(again).pending()
    await again.close()
    assert pending == [Pending(7, '{"update_id": 7}'), Pending(9, '{"update_id": 9}')]


async def test_a_done_update_keeps_its_id_but_not_what_it_said(
    inbox: Inbox, store: SqliteStore
) -> None:
    await inbox.admit(1, '{"text": "a private worry"}')
    await inbox.done(1)
    assert not await inbox.admit(1, '{"text": "a private worry"}')  # a resend after a crash
    assert b"a private worry" not in _contents(store.path)
    assert await inbox.pending() == []


async def test_an_update_that_keeps_killing_the_bot_is_given_up(
    inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    await inbox.admit(3, "{}")
    for _ in range(MAX_ATTEMPTS):
        assert await inbox.pending() == [Pending(3, "{}")]
    with caplog.at_level(logging.ERROR, logger="bot.inbox"):
        assert await inbox.pending() == []
    assert "update 3" in caplog.text and "given up" in caplog.text
    assert await inbox.count() == (0, 1)


async def test_done_ids_are_pruned_once_telegram_can_no_longer_resend_them(
    inbox: Inbox,
) -> None:
    await inbox.admit(1, "{}")
    await inbox.admit(2, "{}")
    await inbox.done(1)
    now = datetime.now(UTC)
    assert await inbox.prune(now) == 0
    assert await inbox.prune(now + KEEP_DONE + timedelta(days=1)) == 1
    assert await inbox.count() == (1, 0)  # never an update still waiting for its answer


def _contents(path: Path) -> bytes:
    # Everything SQLite may hold: the main file and the write-ahead log.
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes()
