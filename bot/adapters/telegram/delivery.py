"""Getting a reply through: Bot API calls retried over flood waits and network errors, and
"typing..." only for a reply that is slow to come."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup
from telegram import Message as TelegramMessage
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.adapters.telegram.rendering import keyboard, split_text
from bot.core.replies import Kind, Reply

T = TypeVar("T")

# A crisis reply gets this many times the usual attempts: it must get through.
CRISIS_PERSISTENCE = 5

# First pause after a network error; it doubles per attempt, up to the cap.
RETRY_BACKOFF_SECONDS = 0.5
RETRY_BACKOFF_CAP_SECONDS = 10.0
# How often a pause before a retry looks whether the bot is stopping.
PAUSE_STEP_SECONDS = 0.25

_LOG = logging.getLogger(__name__)


async def deliver(
    call: Callable[[], Awaitable[T]], attempts: int, running: Callable[[], bool] = lambda: True
) -> T:
    """Make a Bot API call, retrying flood waits and network errors up to `attempts` times
    while `running()` holds.

    The rate limiter has already waited out RetryAfter `max_retries` times by then; waiting
    more here is for replies that must not be lost (a crisis reply gets more attempts).
    """
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == attempts or not running():
                raise
            await _pause(retry_seconds(exc), running)
        except BadRequest:
            raise  # a subclass of NetworkError, but retrying cannot help
        except NetworkError as exc:
            if attempt == attempts or not running():
                raise
            pause = min(RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1), RETRY_BACKOFF_CAP_SECONDS)
            _LOG.info("network error (%s); retry %d in %.1f s", exc, attempt, pause)
            await _pause(pause, running)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _pause(seconds: float, running: Callable[[], bool]) -> None:
    """Sleep, waking early once the bot is stopping (PTB's stop waits for every handler)."""
    deadline = time.monotonic() + seconds
    while running() and (left := deadline - time.monotonic()) > 0:  # noqa: ASYNC110 - PTB sets no event
        await asyncio.sleep(min(left, PAUSE_STEP_SECONDS))


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB warns that `retry_after` will become a timedelta; either is handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: int | float | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@contextlib.asynccontextmanager
async def typing_if_slow(bot: Bot, chat_id: int, after: float | None) -> AsyncIterator[None]:
    """Show "typing..." only when the reply is not ready within `after` seconds.

    Most replies take a millisecond: an indicator for them would only cost a Bot API call
    (a third of the calls per message) and a round trip before the reply.
    """
    if after is None:
        yield
        return
    if after <= 0:
        await show_typing(bot, chat_id)
        yield
        return

    async def show_later() -> None:
        await asyncio.sleep(after)
        await show_typing(bot, chat_id)

    task = asyncio.create_task(show_later())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def show_typing(bot: Bot, chat_id: int) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        _LOG.debug("typing indicator failed in chat %s: %s", chat_id, exc)


class Sender:
    """Puts replies on screen: sent (split to Telegram's length, buttons on the last part) or,
    for a pressed button's answer, edited into the pressed message; each call retried.

    `running` says whether the Application still runs (set by `register`): once it is
    stopping, failed sends are not retried, so a stop never waits out a crisis reply's
    backoff; the update stays in the inbox, undone, and is answered after the restart.
    """

    def __init__(self, send_attempts: int = 3) -> None:
        self.send_attempts = send_attempts
        self.running: Callable[[], bool] = lambda: True

    async def show(
        self, bot: Bot, chat_id: int, query: CallbackQuery | None, replies: Sequence[Reply]
    ) -> None:
        # An old message (over 48 hours) is "inaccessible" and cannot be edited.
        pressed = query.message if query is not None else None
        editable = pressed if isinstance(pressed, TelegramMessage) else None
        for reply in replies:
            if reply.edit and editable is not None and await self.edit(bot, editable, reply):
                continue
            await self.send(bot, chat_id, reply)

    async def send(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        """Send a reply, split on paragraphs if long; the buttons go with the last part."""
        chunks = split_text(reply.text)
        markup = keyboard(reply.options)
        attempts = self.attempts(reply)
        for number, chunk in enumerate(chunks, 1):
            buttons = markup if number == len(chunks) else None

            def send(chunk: str = chunk, buttons: InlineKeyboardMarkup | None = buttons) -> Any:
                return bot.send_message(chat_id, chunk, reply_markup=buttons)

            await deliver(send, attempts, self.running)

    async def edit(self, bot: Bot, message: TelegramMessage, reply: Reply) -> bool:
        """Replace the pressed message with the reply; False when it has to be sent instead."""
        chunks = split_text(reply.text)
        if len(chunks) != 1:
            return False

        def edit() -> Any:
            return bot.edit_message_text(
                chunks[0],
                chat_id=message.chat.id,
                message_id=message.message_id,
                reply_markup=keyboard(reply.options),
            )

        try:
            await deliver(edit, self.attempts(reply), self.running)
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True  # the same button pressed twice: it already shows this
            _LOG.info("could not edit message %s (%s); sending anew", message.message_id, exc)
            return False
        return True

    def attempts(self, reply: Reply) -> int:
        return self.send_attempts * (CRISIS_PERSISTENCE if reply.kind is Kind.CRISIS else 1)
