"""The SQLite store: state round trips, survives reopening, forgets, and migrates in order."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.sqlite.migrations import MIGRATIONS, StoreError
from bot.adapters.sqlite.store import SqliteStore
from bot.core.replies import UserState


@pytest.fixture
async def store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "nested" / "folder" / "bot.sqlite3")
    await store.open()
    yield store  # type: ignore[misc]
    await store.close()


async def test_unknown_user_has_fresh_state(store: SqliteStore) -> None:
    assert await store.load(42) == UserState()


async def test_state_round_trips_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SqliteStore(path)
    await store.open()
    state = UserState(guide_id="tour", guide_step=3, last_entry_id="sessions-count")
    await store.save(7, state)
    await store.close()

    reopened = SqliteStore(path)
    await reopened.open()
    loaded = await reopened.load(7)
    await reopened.close()
    assert (loaded.guide_id, loaded.guide_step, loaded.last_entry_id) == (
        "tour",
        3,
        "sessions-count",
    )
    assert loaded.first_seen is not None and loaded.last_seen is not None


async def test_first_seen_is_kept_and_last_seen_moves(store: SqliteStore) -> None:
    early = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 6, 1, tzinfo=UTC)
    await store.save(1, UserState(first_seen=early, last_seen=early))
    await store.save(1, UserState(first_seen=later, last_seen=later))
    loaded = await store.load(1)
    assert (loaded.first_seen, loaded.last_seen) == (early, later)


async def test_first_and_last_seen_keep_only_the_day(store: SqliteStore) -> None:
    seen = datetime(2024, 6, 1, 17, 3, 9, 123456, tzinfo=UTC)
    await store.save(1, UserState(first_seen=seen, last_seen=seen))
    loaded = await store.load(1)
    midnight = datetime(2024, 6, 1, tzinfo=UTC)
    assert (loaded.first_seen, loaded.last_seen) == (midnight, midnight)


async def test_forget_deletes_only_that_user(store: SqliteStore) -> None:
    await store.save(1, UserState(guide_id="tour"))
    await store.save(2, UserState(guide_id="tour"))
    await store.forget(1)
    assert await store.load(1) == UserState()
    assert (await store.load(2)).guide_id == "tour"
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT user_id FROM users").fetchall() == [(2,)]


async def test_only_state_columns_exist(store: SqliteStore) -> None:
    # Privacy by design: nothing a person writes has a column next to their id.
    with sqlite3.connect(store.path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(users)")]
    assert columns == [
        "user_id",
        "guide_id",
        "guide_step",
        "last_entry_id",
        "first_seen",
        "last_seen",
    ]


async def test_wal_mode_and_schema_version(store: SqliteStore) -> None:
    assert await store.version() == len(MIGRATIONS)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_later_migration_is_applied_once_in_order(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = SqliteStore(path)
    await first.open()
    await first.save(5, UserState(guide_id="tour"))
    await first.close()

    extra = (("CREATE TABLE later_feature (note TEXT NOT NULL, noted_on TEXT NOT NULL)",),)
    for _ in range(2):  # the second open finds nothing left to do
        upgraded = SqliteStore(path, MIGRATIONS + extra)
        await upgraded.open()
        assert await upgraded.version() == len(MIGRATIONS) + 1
        assert (await upgraded.load(5)).guide_id == "tour"
        await upgraded.close()


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    newer = SqliteStore(path, MIGRATIONS + (("CREATE TABLE later (x INTEGER)",),))
    await newer.open()
    await newer.close()
    older = SqliteStore(path)
    with pytest.raises(StoreError, match="newer"):
        await older.open()


async def test_a_failed_migration_leaves_the_version_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    broken = SqliteStore(path, MIGRATIONS + (("CREATE TABLE t (x)", "NOT SQL"),))
    with pytest.raises(sqlite3.OperationalError):
        await broken.open()
    store = SqliteStore(path)
    await store.open()
    assert await store.version() == len(MIGRATIONS)
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "t" not in tables
    await store.close()


async def test_use_before_open_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not open"):
        await SqliteStore(tmp_path / "x.sqlite3").load(1)


async def test_expire_forgets_only_users_not_seen_since(store: SqliteStore) -> None:
    old = datetime(2024, 1, 1, tzinfo=UTC)
    recent = datetime(2025, 1, 1, tzinfo=UTC)
    await store.save(1, UserState(guide_id="tour", first_seen=old, last_seen=old))
    await store.save(2, UserState(guide_id="tour", first_seen=old, last_seen=recent))
    assert await store.expire(datetime(2024, 6, 1, tzinfo=UTC)) == 1
    assert (await store.load(1)).guide_id is None  # a fresh state: forgotten
    assert (await store.load(2)).guide_id == "tour"
