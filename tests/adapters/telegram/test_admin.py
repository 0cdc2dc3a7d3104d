"""Admin commands, and the recording the running bot does, against the fake Bot API.

/reload, /report and /stats answer the user ids under `admins` only; anyone else gets exactly
what any unknown command gets. /reload itself is covered in test_reloader.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.sqlite.store import SqliteStore
from bot.adapters.sqlite.unanswered import SqliteUnansweredLog
from bot.core.engine import Engine
from tests.fake_bot_api import FakeBotApi
from tests.running_bot import config_for, engine_of, running, until

USER = 1001
ADMIN = 9001
ADMIN_COMMANDS = ("/reload", "/report", "/stats")
QUESTION = "How many sessions does DIT take?"
UNRELATED = "Call me on 07700 900123: what is the capital of Peru"
VAGUE = "what happens in the weekly session"


pytestmark = pytest.mark.usefixtures("telegram_token")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
async def bot(api: FakeBotApi, knowledge_dir: Path, database: Path) -> AsyncIterator[Any]:
    config = config_for(api, knowledge_dir, database, admins=(ADMIN,))
    async with running(config) as app:
        yield app


def message(engine: Engine, key: str, **values: object) -> str:
    return engine.library.knowledge.message(key, engine.clinic, **values)


def counted(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        found = db.execute(
            "SELECT kind, SUM(count) FROM usage_counts WHERE entry_id = '' GROUP BY kind"
        )
        return {kind: int(total) for kind, total in found.fetchall() if kind is not None}


def unanswered(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT kind, text FROM unanswered ORDER BY id").fetchall()


# Who may


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_to_anyone_else_an_admin_command_is_an_unknown_command(
    api: FakeBotApi, bot: Any, command: str
) -> None:
    api.message(USER, "/nonsense")
    api.message(USER, command)
    unknown, answered = await api.replies(USER, 2)
    assert answered.text == unknown.text == message(engine_of(bot), "unknown_command")
    assert answered.buttons == unknown.buttons


async def test_without_admins_nobody_has_the_admin_commands(
    api: FakeBotApi, knowledge_dir: Path, database: Path
) -> None:
    async with running(config_for(api, knowledge_dir, database)) as app:
        for command in ADMIN_COMMANDS:
            api.message(ADMIN, command)
        replies = await api.replies(ADMIN, len(ADMIN_COMMANDS))
        assert {r.text for r in replies} == {message(engine_of(app), "unknown_command")}


async def test_admin_commands_are_not_in_the_command_menu(api: FakeBotApi, bot: Any) -> None:
    await api.wait_for(lambda a: bool(a.called("setMyCommands")))
    (menu,) = api.called("setMyCommands")
    names = {c["command"] for c in menu.params["commands"]}
    assert names.isdisjoint({c.removeprefix("/") for c in ADMIN_COMMANDS})


# What they say


async def test_stats_counts_the_week(api: FakeBotApi, bot: Any, database: Path) -> None:
    engine = engine_of(bot)
    crisis = engine.library.knowledge.crisis.examples[0]
    for text in (QUESTION, UNRELATED, VAGUE, crisis, "hi"):
        api.message(USER, text)
    await api.replies(USER, 5)
    await until(lambda: counted(database).get("message") == 5)

    api.message(ADMIN, "/stats")
    (stats,) = await api.replies(ADMIN, 1)

    assert stats.text == message(
        engine,
        "admin_stats",
        days=7,
        users=1,
        messages=5,
        answers=1,
        clarifies=1,
        fallbacks=1,
        crisis=1,
    )
    assert not stats.buttons


async def test_report_shows_the_unanswered_questions_masked(
    api: FakeBotApi, bot: Any, database: Path
) -> None:
    api.message(USER, UNRELATED)
    api.message(USER, UNRELATED)
    await api.replies(USER, 2)
    await until(lambda: len(unanswered(database)) == 2)

    api.message(ADMIN, "/report")
    (report,) = await api.replies(ADMIN, 1)

    assert "Last 30 days: 2 questions, 2 not answered (100%)" in report.text
    assert "\u201cCall me on [phone]: what is the capital of Peru\u201d \u00d72" in report.text
    assert "900123" not in report.text


async def test_report_groups_the_unanswered_questions_by_meaning(
    api: FakeBotApi, bot: Any, database: Path
) -> None:
    # One question in two wordings that share almost no words.
    api.message(USER, "what is the capital city of peru")
    api.message(USER, "which town is peru's seat of government")
    await api.replies(USER, 2)
    await until(lambda: len(unanswered(database)) == 2)

    api.message(ADMIN, "/report")
    (report,) = await api.replies(ADMIN, 1)

    assert "\u00d72" in report.text  # one group of two


# What the running bot writes down


async def test_fallbacks_and_unresolved_clarifies_are_recorded_without_user_ids(
    api: FakeBotApi, bot: Any, database: Path
) -> None:
    api.message(USER, UNRELATED)
    api.message(USER, VAGUE)  # asked back ...
    api.message(USER, QUESTION)  # ... and not resolved: the user asked something else
    api.message(USER, VAGUE)
    clarify = (await api.replies(USER, 4))[-1]
    api.press(USER, clarify, clarify.buttons[0][1])  # resolved
    await api.replies(USER, 5)
    await until(lambda: counted(database).get("answer") == 2)

    assert unanswered(database) == [
        ("fallback", "Call me on [phone]: what is the capital of Peru"),
        ("clarify", VAGUE),
    ]
    with sqlite3.connect(database) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(unanswered)")}
    assert not {"user_id", "chat_id"} & columns


async def test_forget_keeps_the_unlinked_questions(
    api: FakeBotApi, bot: Any, database: Path
) -> None:
    api.message(USER, UNRELATED)
    api.message(USER, "/forget")
    await api.replies(USER, 2)
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)
    assert len(unanswered(database)) == 1


async def test_questions_past_retention_are_purged_at_start_up(
    api: FakeBotApi, knowledge_dir: Path, database: Path
) -> None:
    store = SqliteStore(database)
    await store.open()
    log = SqliteUnansweredLog(store.reading())
    now = datetime.now(UTC)
    await log.record("asked long ago", "fallback", None, 0.1, at=now - timedelta(days=31))
    await log.record("asked last week", "fallback", None, 0.1, at=now - timedelta(days=7))
    await store.close()

    config = config_for(api, knowledge_dir, database, unanswered_retention_days=30)
    async with running(config):
        assert unanswered(database) == [("fallback", "asked last week")]
