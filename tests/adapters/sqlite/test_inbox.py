"""The durable inbox: updates kept until done, resends recognised, nothing said kept after."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.sqlite.inbox import KEEP_DONE, MAX_ATTEMPTS, Inbox, Pending
from bot.adapters.sqlite.store import SqliteStore


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


async def test_a_done_update_keeps_its_id_but_not_what_it_said_in_any_file(
    inbox: Inbox, store: SqliteStore
) -> None:
    await inbox.admit(1, '{"text": "a private worry"}')
    await inbox.done(1)
    assert not await inbox.admit(1, '{"text": "a private worry"}')  # a resend after a crash
    await store.checkpoint()  # what the running bot does every minute
    assert not any(b"a private worry" in data for data in _files(store.path))
    assert await inbox.pending() == []


async def test_forget_deletes_what_a_user_has_not_had_answered(
    inbox: Inbox, store: SqliteStore
) -> None:
    await inbox.admit(1, '{"text": "mine"}', user_id=7)
    await inbox.admit(2, '{"text": "theirs"}', user_id=8)
    await store.forget(7)
    assert await inbox.pending() == [Pending(2, '{"text": "theirs"}')]


async def test_an_update_that_keeps_killing_the_bot_is_given_up(
    inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    await inbox.admit(3, "{}")
    for _ in range(MAX_ATTEMPTS):
        assert await inbox.pending() == [Pending(3, "{}")]
    with caplog.at_level(logging.ERROR, logger="bot.adapters.sqlite.inbox"):
        assert await inbox.pending() == []
    assert "update 3" in caplog.text and "given up" in caplog.text
    assert await inbox.count() == (0, 1)


async def test_ids_are_pruned_once_telegram_can_no_longer_resend_them(inbox: Inbox) -> None:
    await inbox.admit(1, "{}")
    await inbox.admit(2, "{}")
    await inbox.done(1)
    now = datetime.now(UTC)
    assert await inbox.prune(now) == 0
    # Days later, the done id is no longer needed, and an update still waiting (the bot was
    # down all that time) is given up rather than kept for ever.
    assert await inbox.prune(now + KEEP_DONE + timedelta(days=1)) == 2
    assert await inbox.count() == (0, 0)


def _files(path: Path) -> list[bytes]:
    """Everything SQLite keeps on disk: the database and its write-ahead log, as they are."""
    return [p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
