"""Unanswered questions and usage counts in SQLite: storage, retention, counters, reading."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.adapters.sqlite.unanswered import SqliteUnansweredLog, open_read_only
from bot.editing.report import gather_report
from bot.service.records import Count, Unanswered, day_of

NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
async def connection(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    # Autocommit, as the bot's store opens its one connection.
    async with aiosqlite.connect(tmp_path / "bot.sqlite3", isolation_level=None) as conn:
        yield conn


@pytest.fixture
async def log(connection: aiosqlite.Connection) -> SqliteUnansweredLog:
    log = SqliteUnansweredLog(connection)
    await log.setup()
    return log


# Storing


async def test_recorded_questions_are_masked_and_come_back(log: SqliteUnansweredLog) -> None:
    await log.record("mail me at a@b.com about DIT online", "fallback", "nc-online", 0.41, NOW)
    await log.record("is it weekly or what", "clarify", None, 0.5, NOW + timedelta(seconds=1))
    found = await log.fetch(NOW - timedelta(days=1))
    day = day_of(NOW)  # only the day is kept (see the next test)
    assert found == [
        Unanswered("mail me at [email] about DIT online", "fallback", "nc-online", 0.41, day),
        Unanswered("is it weekly or what", "clarify", None, 0.5, day),
    ]


async def test_a_question_keeps_only_its_day_so_it_cannot_be_joined_to_a_user_by_time(
    log: SqliteUnansweredLog,
) -> None:
    await log.record("is there parking", "fallback", None, 0.2, NOW.replace(hour=17, minute=3))
    (found,) = await log.fetch(NOW - timedelta(days=1))
    assert (found.at.hour, found.at.minute, found.at.second, found.at.microsecond) == (0, 0, 0, 0)
    assert found.at.date() == NOW.date()


async def test_no_user_id_or_unmasked_text_is_kept(
    log: SqliteUnansweredLog, connection: aiosqlite.Connection
) -> None:
    await log.record("I'm on 07700 900123", "fallback", None, 0.1, NOW)
    async with connection.execute("PRAGMA table_info(unanswered)") as cursor:
        columns = {row[1] for row in await cursor.fetchall()}
    assert columns == {"id", "at", "kind", "text", "best_entry_id", "confidence"}
    async with connection.execute("SELECT text FROM unanswered") as cursor:
        assert await cursor.fetchall() == [("I'm on [phone]",)]


async def test_only_fallbacks_and_clarifies_are_recorded(log: SqliteUnansweredLog) -> None:
    with pytest.raises(ValueError, match="only"):
        await log.record("i want to die", "crisis", None, 1.0, NOW)  # type: ignore[arg-type]
    assert await log.fetch(NOW - timedelta(days=1)) == []


async def test_setup_is_idempotent_and_shares_the_connection(
    connection: aiosqlite.Connection,
) -> None:
    first = SqliteUnansweredLog(connection)
    await first.setup()
    await first.record("x", "fallback", None, 0.0, NOW)
    await SqliteUnansweredLog(connection).setup()
    assert len(await first.fetch(NOW - timedelta(days=1))) == 1


async def test_writes_are_committed_on_a_connection_in_default_mode(tmp_path: Path) -> None:
    path = tmp_path / "default.sqlite3"
    async with aiosqlite.connect(path) as conn:
        log = SqliteUnansweredLog(conn)
        await log.setup()
        await log.record("is there parking", "fallback", None, 0.2, NOW)
        await log.count("fallback", day=NOW.date())
    # Another connection sees both writes.
    async with open_read_only(path) as reader:
        other = SqliteUnansweredLog(reader)
        assert len(await other.fetch(NOW - timedelta(days=1))) == 1
        assert await other.counts(NOW.date()) == [Count(NOW.date(), "fallback", None, 1)]


# Retention


async def test_purge_deletes_only_what_is_older_than_the_retention(
    log: SqliteUnansweredLog,
) -> None:
    await log.record("old question", "fallback", None, 0.1, NOW - timedelta(days=91))
    await log.record("just in time", "fallback", None, 0.1, NOW - timedelta(days=89))
    await log.record("new question", "clarify", None, 0.5, NOW - timedelta(days=1))
    assert await log.purge(NOW - timedelta(days=90)) == 1
    texts = [q.text for q in await log.fetch(NOW - timedelta(days=365))]
    assert texts == ["just in time", "new question"]
    assert await log.purge(NOW - timedelta(days=90)) == 0


async def test_fetch_since_leaves_out_older_questions(log: SqliteUnansweredLog) -> None:
    await log.record("before", "fallback", None, 0.1, NOW - timedelta(days=31))
    await log.record("after", "fallback", None, 0.1, NOW - timedelta(days=29))
    assert [q.text for q in await log.fetch(NOW - timedelta(days=30))] == ["after"]


async def test_naive_times_are_taken_as_utc(log: SqliteUnansweredLog) -> None:
    await log.record("naive", "fallback", None, 0.1, NOW.replace(tzinfo=None))
    (found,) = await log.fetch(day_of(NOW))
    assert found.at == day_of(NOW)


# Counters


async def test_counts_by_day_kind_and_entry(log: SqliteUnansweredLog) -> None:
    day = date(2024, 6, 30)
    for _ in range(3):
        await log.count("answer", "sessions-count", day)
    await log.count("answer", "what-is-dit", day)
    await log.count("fallback", day=day)
    await log.count("crisis", day=day)
    await log.count("answer", "sessions-count", day - timedelta(days=1))
    assert await log.counts(day) == [
        Count(day, "answer", None, 4),
        Count(day, "answer", "sessions-count", 3),
        Count(day, "answer", "what-is-dit", 1),
        Count(day, "crisis", None, 1),
        Count(day, "fallback", None, 1),
    ]
    assert len(await log.counts(day - timedelta(days=1))) == 7


async def test_a_turns_counts_are_written_at_once_and_add_up_like_single_ones(
    log: SqliteUnansweredLog,
) -> None:
    day = date(2024, 6, 30)
    await log.count_all(
        [("message", None), ("answer", "sessions-count"), ("answer", "sessions-count")], day
    )
    await log.count_all([], day)  # a turn with nothing to count writes nothing
    assert await log.counts(day) == [
        Count(day, "answer", None, 2),
        Count(day, "answer", "sessions-count", 2),
        Count(day, "message", None, 1),
    ]


async def test_one_unknown_kind_stops_the_whole_turns_counts(log: SqliteUnansweredLog) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        await log.count_all([("message", None), ("shrug", None)])  # type: ignore[list-item]
    assert await log.counts(date(2000, 1, 1)) == []


async def test_an_unknown_kind_is_not_counted(log: SqliteUnansweredLog) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        await log.count("notice")  # type: ignore[arg-type]


async def test_count_defaults_to_today(log: SqliteUnansweredLog) -> None:
    await log.count("smalltalk", "greeting")
    today = datetime.now(UTC).date()
    assert {c.day for c in await log.counts(today - timedelta(days=1))} == {today}


# Reading the database for the report


async def test_read_only_access_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(path) as conn:
        await SqliteUnansweredLog(conn).setup()
    async with open_read_only(path) as reader:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await SqliteUnansweredLog(reader).record("x", "fallback", None, 0.0, NOW)


async def test_a_database_without_the_tables_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path) as conn:
        await conn.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY)")
        await conn.commit()
    async with open_read_only(path) as reader:
        report = await gather_report(SqliteUnansweredLog(reader), None, NOW - timedelta(days=3))
    assert report.unanswered == 0


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_read_only(tmp_path / "nothing.sqlite3")
    assert not (tmp_path / "nothing.sqlite3").exists()
