"""Getting a reply through: Bot API calls retried over flood waits and network errors, and
"typing..." only for a reply that is slow to come."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

T = TypeVar("T")

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
