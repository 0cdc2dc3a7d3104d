"""How replies look in Telegram: splitting, buttons, commands in text, log context."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.adapters.telegram.rendering import describe, keyboard, request_for, split_text
from bot.core.replies import Option
from bot.core.requests import Command, Message


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
