"""End-to-end: the real Application over real HTTP against a fake Bot API on 127.0.0.1.

Expected texts come from the knowledge base (or from the engine itself, replayed in-process
with the same state), so rewording the knowledge does not break these tests.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram import bot as telegram_bot
from bot.bootstrap import build_engine
from bot.config import TOKEN_ENV, Config, Matching, RateLimit
from bot.core.engine import Engine
from bot.core.knowledge import crisis_reply, render
from bot.core.replies import Kind, Reply, UserState
from bot.core.requests import Command, Message, Press, Request
from tests import running_bot
from tests.crash_burst import start_bot
from tests.fake_bot_api import TOKEN, Call, FakeBotApi
from tests.running_bot import running

ROOT = Path(__file__).resolve().parents[3]
KNOWLEDGE = ROOT / "knowledge"
# The encoder's cache the other tests fill, so that `dit-bot run` starts warm.
CACHE = ROOT / "data" / "cache"
USER = 1001


pytestmark = pytest.mark.usefixtures("telegram_token")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine(Config(knowledge_dir=KNOWLEDGE))


def config_for(
    api: FakeBotApi, database: Path, matching: Matching | None = None, **telegram: Any
) -> Config:
    """The shipped knowledge, no flood-control waits (retries on 429 stay on), and any
    `telegram:` settings given."""
    config = running_bot.config_for(api, KNOWLEDGE, database)
    return config.model_copy(
        update={
            "telegram": config.telegram.model_copy(update=telegram),
            "matching": matching or config.matching,
        }
    )


@pytest.fixture
async def bot(api: FakeBotApi, engine: Engine, tmp_path: Path) -> AsyncIterator[Any]:
    async with running(config_for(api, tmp_path / "data" / "bot.sqlite3"), engine) as app:
        yield app


class Replay:
    """The engine in-process, with its own state: what the bot should say, step by step."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.state = UserState()

    async def __call__(self, request: Request) -> Reply:
        turn = self.engine.respond(request, self.state)
        self.state = turn.state
        (reply,) = turn.replies
        return reply


def message(engine: Engine, key: str, **values: object) -> str:
    return engine.library.knowledge.message(key, engine.clinic, **values)


async def answered_questions(engine: Engine) -> list[str]:
    """Entry questions the engine answers with that very entry (what a burst can ask)."""
    found = []
    for entry in engine.library.knowledge.entries.values():
        turn = engine.respond(Message(entry.question), UserState())
        if entry.kind == "answer" and turn.replies[0].entry_id == entry.id:
            found.append(entry.question)
    assert len(found) >= 10, "the knowledge base should answer its own questions"
    return found


def rows(database: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT * FROM users").fetchall()


def database_of(app: Any) -> Path:
    path: Path = app.store.path
    return path


# The conversation


async def test_start_greets_with_menu_and_registers_commands(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    api.message(USER, "/start")
    (reply,) = await api.replies(USER, 1)
    assert reply.text == message(engine, "start")
    assert [data for _, data in reply.buttons] == ["g:menu", "t", "c:ask"]
    assert "parse_mode" not in reply.params
    (commands,) = api.called("setMyCommands")
    described = {c["command"]: c["description"] for c in commands.params["commands"]}
    assert described["urgent"] == message(engine, "command_urgent")
    assert set(described) == {"start", "help", "topics", "guide", "privacy", "forget", "urgent"}


async def test_a_question_is_answered_with_related_buttons(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    question = (await answered_questions(engine))[0]
    expected = await Replay(engine)(Message(question))
    api.message(USER, question)
    (reply,) = await api.replies(USER, 1)
    assert reply.text == expected.text
    assert [data for _, data in reply.buttons] == [o.action for o in expected.options]
    assert len(reply.buttons) <= 3
    # The answer came at once, so no "typing..." call was spent on it.
    assert not api.called("sendChatAction")
    # The answer is remembered by entry id only; the question itself is nowhere in the file.
    (row,) = rows(database_of(bot))
    assert row[3] == expected.entry_id
    assert question.encode() not in database_of(bot).read_bytes()


async def test_typing_is_shown_when_replies_may_take_a_while(
    api: FakeBotApi, engine: Engine, tmp_path: Path
) -> None:
    config = config_for(api, tmp_path / "bot.sqlite3", typing_after_seconds=0)
    async with running(config, engine):
        api.message(USER, "how many sessions is it")
        await api.replies(USER, 1)
    (typing,) = api.called("sendChatAction")
    assert typing.params["action"] == "typing"
    assert api.calls.index(typing) < api.calls.index(api.called("sendMessage")[-1])


async def test_typing_is_not_shown_when_many_updates_are_in_hand(
    api: FakeBotApi, engine: Engine, tmp_path: Path
) -> None:
    config = config_for(api, tmp_path / "bot.sqlite3", typing_after_seconds=0)
    async with running(config, engine):
        await api.wait_for(lambda a: bool(a.called("setMyCommands")))
        users = range(USER, USER + 12)
        for user in users:  # at once: one batch of updates
            api.message(user, "how many sessions is it")
        await api.wait_for(lambda a: all(a.sent(user) for user in users))
    assert 1 <= len(api.called("sendChatAction")) <= telegram_bot.TYPING_WHEN_AT_MOST


async def test_clarify_options_are_answered_by_button(
    api: FakeBotApi, engine: Engine, tmp_path: Path
) -> None:
    # Thresholds that answer nothing outright, so a vague word is sure to be asked back.
    matching = Matching(answer_threshold=1.0, margin=1.0, clarify_threshold=0.0, clarify_window=1.0)
    config = config_for(api, tmp_path / "bot.sqlite3", matching=matching)
    unsure = build_engine(config)
    vague = None
    for word in ("therapy", "sessions", "help", "therapist", "learn", "dit"):
        if (unsure.respond(Message(word), UserState())).replies[0].kind is Kind.CLARIFY:
            vague = word
            break
    assert vague is not None
    async with running(config, unsure):
        api.message(USER, vague)
        (clarify,) = await api.replies(USER, 1)
        assert clarify.text == message(engine, "clarify")
        _, action = clarify.buttons[-1]
        assert action.startswith("a:")
        api.press(USER, clarify, action)
        answer = (await api.replies(USER, 2))[1]
        entry = unsure.library.knowledge.entries[action.removeprefix("a:")]
        assert answer.method == "sendMessage"
        assert answer.text == render(
            entry.answer, unsure.clinic.filled(unsure.library.knowledge.messages)
        )
        assert api.called("answerCallbackQuery")


async def test_guided_tour_forward_back_and_stop_edit_in_place(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    replay = Replay(engine)
    api.message(USER, "/guide")
    (menu,) = await api.replies(USER, 1)
    assert menu.text == (await replay(Command("guide"))).text
    shown = menu
    for number, action in enumerate(["g:tour:0", "g:tour:1", "g:tour:0", "g:stop"], start=2):
        api.press(USER, shown, action)
        shown = (await api.replies(USER, number))[-1]
        expected = await replay(Press(action))
        assert shown.text == expected.text
        assert [data for _, data in shown.buttons] == [o.action for o in expected.options]
        assert shown.method == "editMessageText"  # every guide reply replaces the pressed one
        assert int(shown.params["message_id"]) == menu.result["message_id"]
    total = len(engine.library.knowledge.guides["tour"].steps)
    labels = [label for label, _ in api.sent(USER)[2].buttons]
    assert labels[-3:] == [
        message(engine, k) for k in ("button_back", "button_next", "button_stop")
    ]
    assert f"2 of {total}" in api.sent(USER)[2].text
    assert shown.text == message(engine, "guide_stopped")
    (row,) = rows(database_of(bot))
    assert row[1] is None  # stopped: no guide in progress


async def test_guide_resumes_after_restart(api: FakeBotApi, engine: Engine, tmp_path: Path) -> None:
    config = config_for(api, tmp_path / "bot.sqlite3")
    replay = Replay(engine)
    async with running(config, engine):
        api.message(USER, "/guide")
        (menu,) = await api.replies(USER, 1)
        api.press(USER, menu, "g:tour:0")
        first = (await api.replies(USER, 2))[-1]
        api.press(USER, first, "g:tour:1")
        await api.replies(USER, 3)
    for request in (Command("guide"), Press("g:tour:0"), Press("g:tour:1")):
        await replay(request)

    async with running(config, engine):  # a new Application on the same database
        api.message(USER, "/start")
        offer = (await api.replies(USER, 4))[-1]
        assert offer.text == (await replay(Command("start"))).text
        assert ("g:resume" in [data for _, data in offer.buttons]) is True
        api.press(USER, offer, "g:resume")
        resumed = (await api.replies(USER, 5))[-1]
        expected = await replay(Press("g:resume"))
        assert resumed.text == expected.text
        assert f"2 of {len(engine.library.knowledge.guides['tour'].steps)}" in resumed.text


async def test_forget_deletes_the_rows_and_confirms(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    api.message(USER, "/guide")
    (menu,) = await api.replies(USER, 1)
    api.press(USER, menu, "g:tour:0")
    await api.replies(USER, 2)
    api.message(USER + 1, "/start")
    await api.replies(USER + 1, 1)
    assert {row[0] for row in rows(database_of(bot))} == {USER, USER + 1}

    api.message(USER, "/forget")
    confirmation = (await api.replies(USER, 3))[-1]
    assert confirmation.text == message(engine, "forgotten")
    assert {row[0] for row in rows(database_of(bot))} == {USER + 1}


async def test_privacy_and_help(api: FakeBotApi, bot: Any, engine: Engine) -> None:
    api.message(USER, "/privacy")
    api.message(USER, "/help")
    privacy, help_ = await api.replies(USER, 2)
    assert privacy.text == message(engine, "privacy", retention_days=90, user_retention_days=365)
    assert help_.text == message(engine, "help")


# Safety


async def test_crisis_message_gets_the_crisis_reply(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    text = engine.library.knowledge.crisis.examples[0]
    api.message(USER, text)
    (reply,) = await api.replies(USER, 1)
    assert reply.text == (engine.respond(Message(text), UserState())).replies[0].text
    assert "116 123" in reply.text


async def test_a_crisis_reply_carries_its_categorys_resources_in_telegram(
    api: FakeBotApi, bot: Any
) -> None:
    api.message(USER, "he's locked me in the bedroom and says he'll hurt me if i call anyone")
    (reply,) = await api.replies(USER, 1)
    assert "0808 2000 247" in reply.text  # the National Domestic Abuse Helpline
    assert "116 123" in reply.text


async def test_a_sensitive_question_is_answered_with_a_pointer_to_support(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    text = "my brother died by suicide last year, would DIT help me with grief?"
    api.message(USER, text)
    (reply,) = await api.replies(USER, 1)
    expected = (engine.respond(Message(text), UserState())).replies[0]
    assert expected.kind is Kind.SUPPORT
    assert reply.text == expected.text
    assert "116 123" in reply.text


async def test_crisis_in_a_photo_caption(api: FakeBotApi, bot: Any, engine: Engine) -> None:
    text = engine.library.knowledge.crisis.examples[-1]
    api.photo(USER, caption=text)
    (reply,) = await api.replies(USER, 1)
    assert reply.text == (engine.respond(Message(text), UserState())).replies[0].text
    assert "116 123" in reply.text


async def test_urgent_command(api: FakeBotApi, bot: Any, engine: Engine) -> None:
    api.message(USER, "/urgent")
    (reply,) = await api.replies(USER, 1)
    assert reply.text == crisis_reply(
        engine.library.knowledge.crisis, engine.clinic.filled(engine.library.knowledge.messages)
    )


# What Telegram sends


async def test_sticker_and_captionless_photo_get_text_only(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    api.sticker(USER)
    api.photo(USER)
    replies = await api.replies(USER, 2)
    assert [r.text for r in replies] == [message(engine, "not_text")] * 2


async def test_a_group_that_adds_the_bot_again_later_is_told_again(
    api: FakeBotApi, bot: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telegram_bot, "GROUP_MEMORY", 0.0)  # "later" is at once
    group = -100400
    api.added_to_group(group, USER)
    await api.wait_for(lambda a: len(a.called("leaveChat")) == 1)
    api.added_to_group(group, USER)
    await api.wait_for(lambda a: len(a.called("leaveChat")) == 2)
    assert [c.text for c in api.sent(group)] == [message(engine, "group_chat")] * 2


async def test_a_stop_does_not_wait_out_a_crisis_replys_retries_and_it_is_sent_after_restart(
    api: FakeBotApi, engine: Engine, tmp_path: Path
) -> None:
    limits = RateLimit(overall_max_rate=0, group_max_rate=0, max_retries=0)
    config = config_for(api, tmp_path / "bot.sqlite3", rate_limit=limits)
    api.fail_every("sendMessage", 1, retry_after=600)  # Telegram says: come back in 10 minutes
    async with asyncio.timeout(60):  # the old retries would take 15 x 10 minutes
        async with running(config, engine):
            api.message(USER, "/urgent")
            await api.wait_for(lambda a: len(a.called("sendMessage")) >= 1)
        api.fail_every("sendMessage", 1_000_000)  # Telegram is fine again
        async with running(config, engine):
            (reply,) = await api.replies(USER, 1)
    assert reply.text == crisis_reply(
        engine.library.knowledge.crisis, engine.clinic.filled(engine.library.knowledge.messages)
    )


async def test_an_edited_message_is_answered_again(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    first, second = (await answered_questions(engine))[:2]
    original = api.message(USER, first)
    await api.replies(USER, 1)
    api.edit(original, second)
    replies = await api.replies(USER, 2)
    assert replies[1].text == (await Replay(engine)(Message(second))).text


async def test_a_4096_character_message(api: FakeBotApi, bot: Any, engine: Engine) -> None:
    text = ("How many sessions does DIT take? Ünïcödé ✓ عربى 中文 " * 100)[:4096]
    assert len(text) == 4096
    api.message(USER, text)
    (reply,) = await api.replies(USER, 1)
    assert reply.text == (await Replay(engine)(Message(text))).text


async def test_unknown_command_and_an_outdated_button(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    api.message(USER, "/frobnicate")
    (unknown,) = await api.replies(USER, 1)
    assert unknown.text == message(engine, "unknown_command")
    # A button from a message sent before the knowledge changed: its entry no longer exists.
    fake = Call(
        "sendMessage", {"chat_id": USER}, result={"message_id": unknown.result["message_id"]}
    )
    fake.params["reply_markup"] = {"inline_keyboard": [[{"text": "x", "callback_data": "a:gone"}]]}
    api.press(USER, fake, "a:gone")
    expired = (await api.replies(USER, 2))[-1]
    assert expired.text == message(engine, "expired")


async def test_group_chat_is_told_once_and_left(api: FakeBotApi, bot: Any, engine: Engine) -> None:
    group = -100200
    api.group_message(group, USER, "/start")
    await api.wait_for(lambda a: bool(a.called("leaveChat")))
    (said,) = api.sent(group)
    assert said.text == message(engine, "group_chat")
    assert api.called("leaveChat")[0].chat_id == group


async def test_added_to_a_group_says_so_once_and_leaves(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    group = -100300
    api.added_to_group(group, USER)
    api.group_message(group, USER, "/help")
    await api.wait_for(lambda a: len(a.called("leaveChat")) >= 1)
    # Updates are handled in the order fetched, and a repeated group update returns at once,
    # so once this later private message is answered both group updates are done with.
    api.message(USER, "/help")
    await api.replies(USER, 1)
    assert [c.text for c in api.sent(group)] == [message(engine, "group_chat")]
    assert [c.chat_id for c in api.called("leaveChat")] == [group]


async def test_burst_of_200_messages_from_20_users_answered_in_order(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    questions = (await answered_questions(engine))[:10]
    users = range(2001, 2021)
    expected: dict[int, list[str]] = {}
    for n, user in enumerate(users):
        replay = Replay(engine)
        asked = questions[n % 10 :] + questions[: n % 10]  # each user its own order
        expected[user] = [(await replay(Message(q))).text for q in asked]
        for question in asked:
            api.message(user, question)
    await api.wait_for(lambda a: len(a.sent()) >= 200, within=20)
    for user in users:
        assert [c.text for c in api.sent(user)] == expected[user]


async def test_a_429_with_retry_after_is_retried(api: FakeBotApi, bot: Any, engine: Engine) -> None:
    api.fail_once("sendMessage", retry_after=1)
    api.message(USER, "/urgent")
    (reply,) = await api.replies(USER, 1)
    attempts = [c for c in api.called("sendMessage") if c.chat_id == USER]
    assert [c.status for c in attempts] == [429, 200]
    assert reply.text == crisis_reply(
        engine.library.knowledge.crisis, engine.clinic.filled(engine.library.knowledge.messages)
    )


# The command line


async def test_dit_bot_run_serves_and_stops_cleanly_on_sigterm(
    api: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"knowledge_dir: {KNOWLEDGE}\n"
        f"cache_dir: {CACHE}\n"
        "database: data/bot.sqlite3\n"
        f"telegram:\n  base_url: {api.url}\n  poll_timeout: 1\n",
        encoding="utf-8",
    )
    process = await start_bot(config)
    try:
        await api.wait_for(lambda a: bool(a.called("setMyCommands")), within=15)
        api.message(USER, "/guide")
        (menu,) = await api.replies(USER, 1)
        api.press(USER, menu, "g:tour:0")
        await api.replies(USER, 2)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, stderr.decode()
    (row,) = rows(tmp_path / "data" / "bot.sqlite3")  # relative to the config file
    assert row[:3] == (USER, "tour", 0)


@pytest.mark.parametrize(
    ("token", "complaint"), [("", "no Telegram bot token"), ("not-a-token", "malformed")]
)
async def test_dit_bot_run_without_a_good_token_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    token: str,
    complaint: str,
) -> None:
    from bot.cli import main

    monkeypatch.setenv(TOKEN_ENV, token)
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge_dir: {KNOWLEDGE}\n", encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert complaint in err and err.count("\n") == 1 and "not-a-token" not in err


async def test_dit_bot_run_in_webhook_mode(api: FakeBotApi, tmp_path: Path) -> None:
    import httpx

    port = _free_port()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"knowledge_dir: {KNOWLEDGE}\n"
        f"cache_dir: {CACHE}\n"
        "telegram:\n"
        f"  base_url: {api.url}\n"
        "  mode: webhook\n"
        f"  webhook: {{port: {port}, url: 'http://127.0.0.1:{port}',\n"
        "             secret_token: a-long-s3cret-token}\n",
        encoding="utf-8",
    )
    process = await start_bot(config)
    try:
        await api.wait_for(lambda a: bool(a.called("setWebhook")), within=15)
        (hook,) = api.called("setWebhook")
        assert hook.params["url"] == f"http://127.0.0.1:{port}/telegram"
        assert hook.params["secret_token"] == "a-long-s3cret-token"
        update = {"update_id": 1, "message": api.message(USER, "/urgent")}
        headers = {"X-Telegram-Bot-Api-Secret-Token": "a-long-s3cret-token"}
        async with httpx.AsyncClient() as client, asyncio.timeout(10):
            # Telegram is told the address just before the server listens: wait for it.
            while True:
                try:
                    refused = await client.post(hook.params["url"], json=update)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            accepted = await client.post(hook.params["url"], json=update, headers=headers)
        assert (refused.status_code, accepted.status_code) == (403, 200)
        await api.replies(USER, 1)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, stderr.decode()
    # The 200 came after the update was kept; answered, only its id is left.
    with sqlite3.connect(tmp_path / "data" / "dit-bot.sqlite3") as db:
        assert db.execute("SELECT update_id, payload, done FROM inbox").fetchall() == [(1, None, 1)]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# Failures


class _Failing(Engine):
    """An engine that breaks on one word, to show the bot survives its own bugs."""

    def respond(self, request: Request, state: UserState, library: Any = None) -> Any:
        if request == Message("explode"):
            raise RuntimeError("boom")
        return super().respond(request, state, library)


async def test_a_failure_is_logged_told_and_the_bot_keeps_going(
    api: FakeBotApi, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    failing = _Failing(engine.library, engine.clinic)
    async with running(config_for(api, tmp_path / "bot.sqlite3"), failing):
        api.message(USER, "explode")
        api.message(USER, "/help")
        error, help_ = await api.replies(USER, 2)
    assert error.text == message(engine, "error")
    assert help_.text == message(engine, "help")
    (record,) = [r for r in caplog.records if r.name == "bot.adapters.telegram.bot" and r.exc_info]
    assert f"user {USER}" in record.getMessage() and "explode" not in record.getMessage()


async def test_crisis_is_answered_even_when_the_database_fails(
    api: FakeBotApi, bot: Any, engine: Engine
) -> None:
    store = bot.store
    await store.close()  # every load and save now fails
    text = engine.library.knowledge.crisis.examples[0]
    api.message(USER, text)
    (reply,) = await api.replies(USER, 1)
    assert reply.text == (engine.respond(Message(text), UserState())).replies[0].text
    await store.open()  # so that shutdown finds it as it left it


def test_config_example_loads_and_shows_the_defaults() -> None:
    from bot.config import load_config

    example = load_config(ROOT / "config.example.yaml")
    defaults = Config().model_copy(
        update={
            "knowledge_dir": KNOWLEDGE,
            "database": ROOT / "data" / "dit-bot.sqlite3",
            "cache_dir": CACHE,
        }
    )
    assert example == defaults
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    for name, value in Matching().model_dump().items():
        assert f"#   {name}: {value}" in text, f"matching.{name} default is not documented"
    for name, value in RateLimit().model_dump().items():
        assert f"#   {name}: {value:g}" in text, f"rate_limit.{name} default is not documented"


@pytest.mark.parametrize(
    ("webhook", "complaint"),
    [
        ("{url: 'http://bot.example.org', secret_token: a-long-s3cret-token}", "https://"),
        ("{url: 'https://bot.example.org'}", "secret_token is required"),
        ("{url: 'https://bot.example.org', secret_token: short}", "secret_token is required"),
        ("{secret_token: a-long-s3cret-token}", "webhook.url is required"),
    ],
)
def test_webhook_mode_refuses_to_start_without_https_and_a_secret(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, webhook: str, complaint: str
) -> None:
    from bot.cli import main

    config = tmp_path / "config.yaml"
    config.write_text(
        f"knowledge_dir: {KNOWLEDGE}\ntelegram:\n  mode: webhook\n  webhook: {webhook}\n",
        encoding="utf-8",
    )
    assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert complaint in err and err.count("\n") == 1


async def test_message_text_never_reaches_the_log_even_at_debug(
    api: FakeBotApi, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "my private question about grief zq7xw"
    async with running(config_for(api, tmp_path / "bot.sqlite3"), engine):
        api.message(USER, secret)
        await api.replies(USER, 1)
    # The fake Bot API server (tornado) logs its own requests; those are not the bot's.
    ours = [r for r in caplog.records if not r.name.startswith("tornado")]
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in ours)
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    assert "zq7xw" not in logged
    assert TOKEN.split(":")[1] not in logged
