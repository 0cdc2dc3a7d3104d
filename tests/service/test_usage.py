"""The recorder: replies counted, fallbacks and unresolved clarifies recorded, old ones purged.

Driven with the small knowledge base's engine and a real SQLite store; the clock is ours.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.sqlite.migrations import MIGRATIONS
from bot.adapters.sqlite.store import SqliteStore
from bot.adapters.sqlite.unanswered import SqliteUnansweredLog
from bot.core.engine import Engine
from bot.core.replies import Kind, Turn, UserState
from bot.core.requests import Command, Message, Press, Request
from bot.service.usage import UsageRecorder
from tests.running_bot import until

USER = 1001
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
UNRELATED = "Call me on 07700 900123 or jo@example.org: what is the capital of Peru"
VAGUE = "what happens in the weekly session"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def books(store: SqliteStore, clock: Clock) -> UsageRecorder:
    return UsageRecorder(store, retention_days=90, pending_seconds=600, clock=clock)


async def act(engine: Engine, books: UsageRecorder, request: Request, user: int = USER) -> Turn:
    turn = engine.respond(request, UserState())
    await books.observe(user, request, turn, engine.library)
    return turn


def rows(store: SqliteStore, sql: str = "SELECT kind, text, best_entry_id FROM unanswered") -> Any:
    with sqlite3.connect(store.path) as db:
        return db.execute(sql).fetchall()


def totals(store: SqliteStore) -> dict[str, int]:
    found = rows(store, "SELECT kind, count FROM usage_counts WHERE entry_id = ''")
    return dict(found)


# Unanswered questions


async def test_a_fallback_is_recorded_masked_and_without_a_user_id(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    turn = await act(small_engine, books, Message(UNRELATED))
    assert turn.replies[0].kind is Kind.FALLBACK

    ((kind, text, best),) = rows(store)
    assert kind == "fallback"
    assert text == "Call me on [phone] or [email]: what is the capital of Peru"
    assert best is None or best in small_engine.library.knowledge.entries
    columns = [c[1] for c in rows(store, "PRAGMA table_info(unanswered)")]
    assert columns == ["id", "at", "kind", "text", "best_entry_id", "confidence"]
    assert b"900123" not in store.path.read_bytes() + wal(store).read_bytes()


def wal(store: SqliteStore) -> Path:
    return store.path.with_name(store.path.name + "-wal")


async def test_a_clarify_waits_in_memory_and_is_recorded_when_the_user_moves_on(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    clarify = await act(small_engine, books, Message(VAGUE + " 12345678"))
    assert clarify.replies[0].kind is Kind.CLARIFY
    assert rows(store) == []  # nothing on disk while the person may still press a button

    await act(small_engine, books, Message("how many sessions are there"))

    ((kind, text, best),) = rows(store)
    assert (kind, text) == ("clarify", VAGUE + " [number]")
    assert best in {o.entry_id for o in clarify.replies[0].options}


async def test_pressing_an_offered_option_resolves_the_clarify(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    clarify = await act(small_engine, books, Message(VAGUE))
    await act(small_engine, books, Press(clarify.replies[0].options[1].action))
    await act(small_engine, books, Message("how many sessions are there"))
    await books.stop()
    assert rows(store) == []


async def test_any_other_button_leaves_the_clarify_unresolved(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    await act(small_engine, books, Message(VAGUE))
    await act(small_engine, books, Press("t"))
    assert [kind for kind, _, _ in rows(store)] == ["clarify"]


async def test_each_user_has_their_own_waiting_clarify(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    clarify = await act(small_engine, books, Message(VAGUE), user=1)
    await act(small_engine, books, Message("hi"), user=2)
    assert rows(store) == []
    await act(small_engine, books, Press(clarify.replies[0].options[0].action), user=1)
    assert rows(store) == []


async def test_a_clarify_nobody_answers_is_recorded_after_a_while(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore, clock: Clock
) -> None:
    await act(small_engine, books, Message(VAGUE))
    clock.now += timedelta(seconds=599)
    assert await books.sweep() == 0
    clock.now += timedelta(seconds=1)
    assert await books.sweep() == 1
    assert [kind for kind, _, _ in rows(store)] == ["clarify"]
    assert await books.sweep() == 0


async def test_waiting_clarifies_are_recorded_on_stop_but_not_after_forget(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    await act(small_engine, books, Message(VAGUE), user=1)
    await act(small_engine, books, Message(VAGUE + " please"), user=2)
    books.forget(2)
    await books.stop()
    assert [text for _, text, _ in rows(store)] == [VAGUE]


# Counts


async def test_every_reply_is_counted_and_a_crisis_is_never_stored(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    crisis = small_engine.library.knowledge.crisis.examples[0]
    requests: list[Request] = [
        Message("how many sessions are there"),
        Message("hi"),
        Message(UNRELATED),
        Message(VAGUE),
        Message(crisis),
        Press("a:help-depression"),
        Press("g:tour:0"),  # a guide step: not one of the counted kinds
        Command("urgent"),
    ]
    kinds = []
    for request in requests:
        kinds.append((await act(small_engine, books, request)).replies[0].kind)
    assert kinds == [
        Kind.ANSWER,
        Kind.SMALLTALK,
        Kind.FALLBACK,
        Kind.CLARIFY,
        Kind.CRISIS,
        Kind.ANSWER,
        Kind.GUIDE,
        Kind.CRISIS,
    ]

    assert totals(store) == {
        "message": 5,
        "answer": 2,
        "smalltalk": 1,
        "fallback": 1,
        "clarify": 1,
        "crisis": 2,
    }
    by_entry = rows(store, "SELECT kind, entry_id, count FROM usage_counts WHERE entry_id != ''")
    assert sorted(by_entry) == [
        ("answer", "help-depression", 1),
        ("answer", "sessions-count", 1),
        ("smalltalk", "greeting", 1),
    ]
    stored = " ".join(text for _, text, _ in rows(store))
    assert crisis not in stored
    data = store.path.read_bytes() + wal(store).read_bytes()
    assert crisis.encode() not in data


async def test_stats_are_the_last_week(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore, clock: Clock
) -> None:
    await store.save(1, UserState(last_seen=NOW - timedelta(days=2)))
    await store.save(2, UserState(last_seen=NOW - timedelta(days=10)))
    await act(small_engine, books, Message("how many sessions are there"))
    clock.now -= timedelta(days=8)
    await act(small_engine, books, Message(UNRELATED))  # before the week
    clock.now = NOW

    stats = await books.stats()
    assert (stats.days, stats.users, stats.messages) == (7, 1, 1)
    assert stats.kinds == {"answer": 1}


# Retention


async def test_purge_deletes_only_what_is_past_retention(
    books: UsageRecorder, store: SqliteStore
) -> None:
    log = SqliteUnansweredLog(store.reading())
    await log.record("old question", "fallback", None, 0.1, at=NOW - timedelta(days=91))
    await log.record("recent question", "fallback", None, 0.1, at=NOW - timedelta(days=89))
    assert await books.purge() == 1
    assert [text for _, text, _ in rows(store)] == ["recent question"]


async def test_old_questions_are_purged_daily_in_the_background(
    store: SqliteStore, clock: Clock
) -> None:
    books = UsageRecorder(store, retention_days=30, sweep_seconds=0.01, clock=clock)
    log = SqliteUnansweredLog(store.reading())
    books.start()
    try:
        await until(lambda: books._purged is not None)
        await log.record("asked long ago", "fallback", None, 0.1, at=NOW - timedelta(days=29))
        clock.now += timedelta(days=1, seconds=1)  # a day on: it is past retention now
        await until(lambda: rows(store) == [])
    finally:
        await books.stop()


async def test_forget_deletes_the_user_but_not_the_unlinked_questions(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    assert await store.version() == len(MIGRATIONS)
    await store.save(USER, UserState(guide_id="tour"))
    await act(small_engine, books, Message(UNRELATED))
    await store.forget(USER)
    assert rows(store, "SELECT * FROM users") == []
    assert len(rows(store)) == 1


async def test_a_database_failure_never_stops_a_turn(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    await store.close()
    with caplog.at_level(logging.ERROR, logger="bot.service.usage"):
        await act(small_engine, books, Message(UNRELATED))
    assert "could not count or record a turn" in caplog.text


async def test_a_support_reply_is_counted_and_its_message_is_never_stored(
    shipped_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    text = "my brother died by suicide last year, is there a support group near me?"
    turn = await act(shipped_engine, books, Message(text))
    assert turn.replies[0].kind is Kind.SUPPORT
    assert rows(store) == []
    assert totals(store)["support"] == 1
    assert text.encode() not in store.path.read_bytes() + wal(store).read_bytes()


async def test_the_daily_purge_forgets_users_inactive_past_their_retention(
    store: SqliteStore, clock: Clock
) -> None:
    books = UsageRecorder(store, retention_days=90, user_retention_days=365, clock=clock)
    idle = NOW - timedelta(days=400)
    await store.save(1, UserState(guide_id="tour", first_seen=idle, last_seen=idle))
    await store.save(2, UserState(guide_id="tour", first_seen=idle, last_seen=NOW))
    await books.purge()
    assert (await store.load(1)).guide_id is None
    assert (await store.load(2)).guide_id == "tour"


async def test_an_edited_message_is_answered_again_but_counted_once(
    small_engine: Engine, books: UsageRecorder, store: SqliteStore
) -> None:
    request = Message("how many sessions are there")
    turn = await act(small_engine, books, request)
    await books.observe(USER, request, turn, small_engine.library, edit=True)
    assert totals(store)["message"] == 1
    assert totals(store)["answer"] == 2  # both replies were sent
