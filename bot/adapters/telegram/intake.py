"""How Telegram updates come in: kept on disk first, then served fairly, one line per user.

`DurableUpdateQueue` is the Application's update queue. The webhook server awaits its `put`
before it answers 200; the poller's next getUpdates (which confirms the batch before it) goes
through `PollRequest`, which first writes the batch. Either way an update is in the inbox
before Telegram may forget it.

`FairUpdateProcessor` decides when each update is handled. Each user has a line: their
updates are handled one at a time, in order, and an update waiting behind its own user's
earlier ones holds none of the `workers` slots, so one user's burst cannot delay anyone
else. A line longer than `backlog` drops what comes next (the user is told once), unless it
must be answered: a crisis is never dropped. When an update has been handled, the inbox
marks it done.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from telegram.request import BaseRequest


class Waiting(Protocol):
    """An update admitted but not answered when the bot last stopped."""

    @property
    def update_id(self) -> int: ...

    @property
    def payload(self) -> str: ...


class Inbox(Protocol):
    """Where updates wait on disk until they are answered (`bot.adapters.sqlite.inbox`)."""

    async def admit_all(self, updates: Sequence[tuple[int, int | None, str]]) -> list[int]: ...

    async def pending(self) -> Sequence[Waiting]: ...

    async def done(self, update_id: int) -> None: ...


_LOG = logging.getLogger(__name__)

# PTB holds one of its own slots for each update from arrival to the end of handling, waiting
# in a line included; the real limit is `workers` below, so PTB's is only a sanity bound.
_PTB_SLOTS = 100_000


class DurableUpdateQueue(asyncio.Queue[object]):
    """An update queue that keeps each update in the inbox before it is queued.

    Webhook mode (`batched=False`): `put` admits the update, then queues it; the webhook
    answers 200 only after `put` returns. Polling mode (`batched=True`): the poller puts a
    whole getUpdates batch and then asks for the next batch, which is what confirms this one
    to Telegram; so `put` only holds the update, and `flush`, called by `PollRequest` before
    that next getUpdates is sent, admits the whole batch in one transaction and queues it.

    A resend of an update already admitted (after a crash Telegram sends again what was not
    confirmed) is not queued again. If the inbox cannot be written, updates are still queued
    and answered: replying matters more than surviving a crash.
    """

    def __init__(self, inbox: Inbox, *, batched: bool = False) -> None:
        super().__init__()
        self.inbox = inbox
        self.batched = batched
        self._held: list[Update] = []
        self._flushing = asyncio.Lock()
        # The batch being kept. The poller's task may be cancelled mid-flush (PTB cancels it
        # when polling stops); the keeping goes on regardless, and the next flush (the last
        # getUpdates of a stop) waits for it, so no batch is confirmed before it is on disk.
        self._keeping: asyncio.Future[None] | None = None

    async def put(self, item: object) -> None:
        if not isinstance(item, Update):
            await super().put(item)  # PTB's own signals, such as the one that stops it
            return
        self._held.append(item)
        if not self.batched:
            await self.flush()

    async def flush(self) -> None:
        """Admit the updates held, in one transaction, and queue the new ones in order."""
        async with self._flushing:
            if self._keeping is None:
                if not self._held:
                    return
                held, self._held = self._held, []
                self._keeping = asyncio.ensure_future(self._keep(held))
            await asyncio.shield(self._keeping)
            self._keeping = None

    async def _keep(self, held: list[Update]) -> None:
        try:
            fresh = set(
                await self.inbox.admit_all([(u.update_id, _user_of(u), u.to_json()) for u in held])
            )
        except Exception:
            _LOG.exception("could not keep %d updates in the inbox; answering anyway", len(held))
            fresh = {u.update_id for u in held}
        for update in held:
            if update.update_id in fresh:
                await super().put(update)
            else:
                _LOG.info("update %s was sent again; it is already in hand", update.update_id)

    async def put_again(self, item: object) -> None:
        """Queue an update that is already in the inbox (replayed at start-up)."""
        await super().put(item)


class PollRequest(BaseRequest):
    """The getUpdates connection: before each call, which confirms the previous batch to
    Telegram, that batch is kept in the inbox (`DurableUpdateQueue.flush`). The calls go
    through `inner`, the HTTP client configured for getUpdates."""

    def __init__(self, queue: DurableUpdateQueue, inner: BaseRequest) -> None:
        self.queue = queue
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        await self.queue.flush()
        return await self.inner.do_request(*args, **kwargs)


async def replay(inbox: Inbox, queue: DurableUpdateQueue, bot: Any) -> int:
    """Queue the updates that were not done when the bot stopped, oldest first; how many.

    Called before polling starts, so they are handled before anything new from each user."""
    replayed = 0
    for pending in await inbox.pending():
        try:
            update = Update.de_json(_loads(pending.payload), bot)
        except Exception:
            _LOG.exception(
                "update %s in the inbox cannot be read; it is dropped", pending.update_id
            )
            await inbox.done(pending.update_id)
            continue
        await queue.put_again(update)
        replayed += 1
    if replayed:
        _LOG.warning("%d updates were not answered before the last stop; answering them", replayed)
    return replayed


def _loads(payload: str) -> dict[str, Any]:
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise ValueError("an update is a JSON object")
    return data


@dataclass
class _Line:
    """One user's updates in hand: the one being handled and those waiting behind it."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Messages past the backlog are screened for a crisis one at a time: a flood must not
    # take every worker thread from the other users' turns.
    screen: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Resolved when the latest update to arrive has taken its place for `turn` (or was
    # skipped): the next one waits for it, so that screening cannot reorder the line.
    last_placed: asyncio.Future[None] | None = None
    length: int = 0
    told: bool = False  # told that messages were skipped, since the line last emptied


async def _never(update: object) -> bool:
    return False


async def _nothing(update: object) -> None:
    return None


class FairUpdateProcessor(BaseUpdateProcessor):
    """Per-user lines in front of `workers` slots; see the module's docstring."""

    def __init__(self, workers: int, backlog: int, inbox: Inbox | None = None) -> None:
        super().__init__(max_concurrent_updates=_PTB_SLOTS)
        if workers < 1 or backlog < 1:
            raise ValueError("workers and backlog must be at least 1")
        self.workers = workers
        self.backlog = backlog
        self.inbox = inbox
        self._slots = asyncio.Semaphore(workers)
        self._lines: dict[int, _Line] = {}
        self._working = 0
        # Updates whose replies could not be delivered because the bot was stopping: left
        # undone in the inbox, so that they are answered after the next start.
        self._later: set[int] = set()
        # Set by the Telegram adapter, which knows what an update says.
        self.must_answer: Callable[[object], Awaitable[bool]] = _never
        self.on_skipped: Callable[[object], Awaitable[None]] = _nothing

    async def initialize(self) -> None:
        """Nothing to set up: the lines are made as users write."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for the updates in hand before this."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _line_key(update)
        line = self._lines.setdefault(key, _Line())
        line.length += 1
        # The place in the line is fixed now, on arrival, before anything is awaited.
        before, placed = line.last_placed, asyncio.get_running_loop().create_future()
        line.last_placed = placed
        try:
            if line.length > self.backlog and not await self._screened(line, update):
                _close(coroutine)
                placed.set_result(None)
                if not line.told:
                    line.told = True
                    await self.on_skipped(update)
                return
            if before is not None:
                await before
            # No await between taking the place and queueing for the turn: asyncio.Lock
            # serves waiters first come, first served.
            placed.set_result(None)
            async with line.turn, self._slots:
                self._working += 1
                try:
                    await coroutine
                finally:
                    self._working -= 1
        finally:
            if not placed.done():
                placed.set_result(None)
            _close(coroutine)  # if it never ran (cancelled while waiting)
            line.length -= 1
            if line.length == 0:
                del self._lines[key]
            await self._done(update)

    async def _screened(self, line: _Line, update: object) -> bool:
        """Whether an update past the backlog must be answered anyway (a crisis, say)."""
        try:
            async with line.screen:
                return await self.must_answer(update)
        except Exception:
            # Unsure is answered: skipping a crisis is the one thing this may never do.
            _LOG.exception("could not screen an update past the backlog; answering it")
            return True

    def waiting(self, user_id: int) -> int:
        """How many of this user's updates are in hand (being handled or waiting)."""
        line = self._lines.get(user_id)
        return line.length if line is not None else 0

    def answer_later(self, update: object) -> None:
        """Leave this update undone in the inbox: the bot stopped before its replies got
        through, and answers it at the next start."""
        if isinstance(update, Update):
            self._later.add(update.update_id)

    @property
    def working(self) -> int:
        """How many updates are being handled now (all users)."""
        return self._working

    async def _done(self, update: object) -> None:
        if self.inbox is None or not isinstance(update, Update):
            return
        if update.update_id in self._later:
            self._later.discard(update.update_id)
            _LOG.warning("update %s is left to be answered after a restart", update.update_id)
            return
        try:
            await self.inbox.done(update.update_id)
        except Exception:
            # It will be answered again after a restart: a duplicate, never a loss.
            _LOG.exception("could not mark update %s done in the inbox", update.update_id)


def _user_of(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user is not None else None


def _line_key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return 0


def _close(coroutine: Awaitable[Any]) -> None:
    """Discard a handler that will not run, without 'never awaited' warnings."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()
