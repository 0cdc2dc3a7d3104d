"""The adapter's pure parts: splitting, buttons, commands in text, retries, log context."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram import bot as telegram_bot
from bot.adapters.telegram.bot import describe, keyboard, request_for, split_text
from bot.core.engine import Command, Message
from bot.core.replies import Option


def test_short_text_is_one_part() -> None:
    assert split_text("Hello.\n\nBye.") == ["Hello.\n\nBye."]


def test_long_text_is_split_between_paragraphs() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 150 for n in range(20)]
    parts = split_text("\n\n".join(p.strip() for p in paragraphs))
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.startswith("Paragraph") for p in parts)  # every cut falls between paragraphs
    assert "\n\n".join(parts) == "\n\n".join(p.strip() for p in paragraphs)


def test_one_huge_paragraph_is_cut_between_words_then_anywhere() -> None:
    words = " ".join(["abcdefghij"] * 1000)
    assert all(len(p) <= 4096 and not p.startswith(" ") for p in split_text(words))
    assert "".join(split_text("x" * 9000)) == "x" * 9000


def test_length_is_measured_in_utf16_units_as_telegram_does() -> None:
    emoji = "😊" * 3000  # 6000 UTF-16 units
    parts = split_text(emoji)
    assert len(parts) == 2 and "".join(parts) == emoji
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)


def test_one_button_per_row_and_nothing_over_64_bytes() -> None:
    markup = keyboard([Option("A", "a:one"), Option("B", "a:" + "x" * 70), Option("C", "t")])
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["a:one"], ["t"]]
    assert keyboard([]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", Command("start")),
        ("/Help@dit_test_bot", Command("help")),
        ("/urgent please", Command("urgent")),
        ("/ what?", Message("/ what?")),
        ("and/or", Message("and/or")),
        ("how many sessions?", Message("how many sessions?")),
    ],
)
def test_request_for(text: str, expected: object) -> None:
    assert request_for(text) == expected


def test_describe_gives_ids_never_text() -> None:
    update = Update.de_json(
        {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 77, "type": "private"},
                "from": {"id": 77, "is_bot": False, "first_name": "A"},
                "text": "my secret worry",
            },
        },
        None,
    )
    assert describe(update) == "update 5 (message) chat 77 user 77"
    assert describe(None) == "no update"


class _Flaky:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "sent"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telegram_bot, "RETRY_BACKOFF_SECONDS", 0.0)


async def test_network_errors_and_flood_waits_are_retried() -> None:
    call = _Flaky(NetworkError("reset"), TimedOut(), RetryAfter(0))
    assert await telegram_bot.deliver(call, 4) == "sent"
    assert call.calls == 4


async def test_retries_are_bounded() -> None:
    call = _Flaky(*[NetworkError("down")] * 5)
    with pytest.raises(NetworkError):
        await telegram_bot.deliver(call, 3)
    assert call.calls == 3


async def test_a_bad_request_is_not_retried() -> None:
    call = _Flaky(BadRequest("chat not found"))
    with pytest.raises(BadRequest):
        await telegram_bot.deliver(call, 3)
    assert call.calls == 1


def test_a_crisis_reply_gets_more_attempts() -> None:
    from bot.core.replies import Kind, Reply

    bot: Any = telegram_bot.TelegramBot.__new__(telegram_bot.TelegramBot)
    bot.send_attempts = 3
    crisis = bot._attempts(Reply(Kind.CRISIS, "x"))
    assert crisis > bot._attempts(Reply(Kind.ANSWER, "x")) == 3
