"""The conversation: one turn for any front end, so `dit-bot chat` behaves as Telegram does.

Real SQLite files in tmp_path; the Telegram side is the real Application against the fake
Bot API.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.sqlite.store import SqliteStore
from bot.adapters.terminal import chat
from bot.bootstrap import build_engine
from bot.config import Config
from bot.core.engine import Engine
from bot.core.replies import Kind, UserState
from bot.core.requests import Command, Message
from bot.service.conversation import Conversation
from bot.service.usage import UsageRecorder
from tests.fake_bot_api import FakeBotApi
from tests.running_bot import config_for, running

USER = 1001
# What one person does, typed: a greeting, an answer, a question nobody covered, a vague one
# (asked back), then a guided explanation picked by its button.
SAID = [
    "/start",
    "how many sessions are there",
    "what is the capital of Peru",
    "what happens in the weekly session",
    "/guide",
]


def database_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a turn leaves on disk, without the user id (the terminal has its own)."""
    with sqlite3.connect(path) as db:
        return {
            "users": db.execute(
                "SELECT guide_id, guide_step, last_entry_id, first_seen, last_seen FROM users"
            ).fetchall(),
            "counts": db.execute(
                "SELECT kind, entry_id, count FROM usage_counts ORDER BY kind, entry_id"
            ).fetchall(),
            "unanswered": db.execute(
                "SELECT kind, text, best_entry_id FROM unanswered ORDER BY kind, text"
            ).fetchall(),
        }


@pytest.fixture
def config(knowledge_dir: Path, api: FakeBotApi, tmp_path: Path) -> Config:
    return config_for(api, knowledge_dir, tmp_path / "telegram.sqlite3", meaning=False)


@pytest.fixture
def engine(config: Config) -> Engine:
    return build_engine(config)


@pytest.fixture
async def conversation(engine: Engine, store: SqliteStore) -> Conversation:
    return Conversation(engine, store, UsageRecorder(store, retention_days=90))


async def test_a_turn_saves_the_state_the_engine_gave(
    conversation: Conversation, store: SqliteStore
) -> None:
    exchange = await conversation.take(USER, Message("how many sessions are there"))
    assert exchange.turn.replies[0].kind is Kind.ANSWER
    saved = await store.load(USER)
    assert saved.last_entry_id == exchange.turn.state.last_entry_id == "sessions-count"
    assert saved.first_seen is not None and saved.last_seen is not None


async def test_forget_deletes_the_state_instead_of_saving_it(
    conversation: Conversation, store: SqliteStore
) -> None:
    await conversation.take(USER, Message("how many sessions are there"))
    exchange = await conversation.take(USER, Command("forget"))
    assert await store.load(USER) == UserState()
    assert exchange.turn.replies  # the confirmation


async def test_a_turn_is_answered_when_the_state_cannot_be_read(
    conversation: Conversation, store: SqliteStore
) -> None:
    await store.close()  # every load and save now fails
    try:
        exchange = await conversation.take(USER, Message("how many sessions are there"))
    finally:
        await store.open()
    assert exchange.turn.replies[0].kind is Kind.ANSWER
    assert await store.load(USER) == UserState()  # nothing written over what could not be read


@pytest.mark.usefixtures("telegram_token")
async def test_a_chat_turn_saves_state_and_counts_like_a_telegram_turn(
    api: FakeBotApi, config: Config, engine: Engine, tmp_path: Path
) -> None:
    async with running(config, engine) as telegram:
        for said in SAID:
            before = len(api.sent(USER))
            api.message(USER, said)
            await api.wait_for(lambda api, n=before: len(api.sent(USER)) > n)
            await api.wait_for(lambda _: telegram.application.update_queue.empty())
        last = api.sent(USER)[-1]
        before = len(api.sent(USER))
        api.press(USER, last, last.buttons[0][1])  # the first button, as "1" in the terminal
        await api.wait_for(lambda api: len(api.sent(USER)) > before)
    # After the shutdown: the last turn's counts and the clarify left waiting are written.
    by_telegram = database_rows(config.database)

    chat_database = tmp_path / "chat.sqlite3"
    store = SqliteStore(chat_database)
    await store.open()
    books = UsageRecorder(store, retention_days=90)
    lines = iter([*SAID[1:], "1"])  # the terminal starts with /start itself

    def read(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None  # how the end of input reaches `chat`, as from a TTY

    await chat(Conversation(engine, store, books), read, lambda text: None)
    await books.stop()
    await store.close()
    by_chat = database_rows(chat_database)

    assert by_chat == by_telegram
    assert by_chat["users"][0][0] == "tour"  # the guide the button started
    assert {kind for kind, _, _ in by_chat["unanswered"]} == {"fallback", "clarify"}
