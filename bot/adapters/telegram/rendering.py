"""How replies look in Telegram: buttons, messages cut to Telegram's length, and the text of
an update read as an engine request; plain functions, no I/O."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, MessageLimit

from bot.core.replies import Option
from bot.core.requests import Command, Message, Request

CALLBACK_DATA_LIMIT = 64
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s|$)")
_SEPARATORS = ("\n\n", "\n", " ")

_LOG = logging.getLogger(__name__)


def keyboard(options: Sequence[Option]) -> InlineKeyboardMarkup | None:
    """One button per row, so long labels stay readable."""
    rows = []
    for option in options:
        if len(option.action.encode()) > CALLBACK_DATA_LIMIT:
            _LOG.warning("button %r dropped: its action is over 64 bytes", option.action)
            continue
        rows.append([InlineKeyboardButton(option.label, callback_data=option.action)])
    return InlineKeyboardMarkup(rows) if rows else None


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most `limit` UTF-16 units (Telegram's measure), cut between paragraphs,
    else between lines, else between words, else anywhere."""
    parts = [part.strip() for part in _split(text, limit, _SEPARATORS)]
    return [part for part in parts if part] or [text]


def _split(text: str, limit: int, separators: Sequence[str]) -> list[str]:
    if _units(text) <= limit:
        return [text]
    if not separators:
        return _cut(text, limit)
    separator, finer = separators[0], separators[1:]
    chunks: list[str] = []
    current = ""
    for part in text.split(separator):
        for piece in _split(part, limit, finer):
            joined = current + separator + piece if current else piece
            if _units(joined) <= limit:
                current = joined
            else:
                chunks.append(current)
                current = piece
    chunks.append(current)
    return chunks


def _cut(text: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for character in text:
        if _units(current + character) > limit:
            chunks.append(current)
            current = ""
        current += character
    chunks.append(current)
    return chunks


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def request_for(text: str) -> Request:
    """Text as the engine should see it: "/name ..." is a command, anything else a message."""
    command = _COMMAND.match(text)
    return Command(command[1].lower()) if command else Message(text)


def private_chat(chat: Chat | None) -> bool:
    return chat is not None and chat.type == ChatType.PRIVATE


def describe(update: object) -> str:
    """Where an update came from, for logs: ids and kind, never what the person wrote."""
    if not isinstance(update, Update):
        return repr(update) if update is not None else "no update"
    kinds = ("message", "edited_message", "callback_query", "my_chat_member", "channel_post")
    kind = next((k for k in kinds if getattr(update, k, None) is not None), "other")
    chat = update.effective_chat
    user = update.effective_user
    return (
        f"update {update.update_id} ({kind}) chat {chat.id if chat else None} "
        f"user {user.id if user else None}"
    )
