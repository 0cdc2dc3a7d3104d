"""What the running bot writes down about its own use: counts, and the questions it missed.

For every turn the conversation (`bot.service.conversation`) hands over the request and the
engine's replies:

- every counted reply adds one to its kind's count for the day (and its entry's), and every
  typed message one to "message"; a crisis reply is counted like the rest and nothing about
  it is ever stored beyond that number;
- every fallback to a typed question is recorded, masked and without a user id
  (`bot.service.records`), with the entry that came closest;
- a clarify ("did you mean...?") is held in memory for that chat only, never on disk with a
  user id. If the person's next action is one of the offered buttons, it is forgotten; if it
  is anything else, or nothing comes within `pending_seconds`, the question is recorded as an
  unresolved clarify (like a fallback: masked, no user id). /forget drops it unrecorded.

Recorded questions older than the retention period are purged at start-up and daily.
Everything goes through the store's records of use (`Upkeep.usage`), and nothing here
may stop a reply: failures are logged and the bot goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast

from bot.core.library import Library
from bot.core.replies import Kind, Reply, Turn
from bot.core.requests import Message, Press, Request
from bot.service.background import BackgroundTask
from bot.service.masking import mask
from bot.service.ports import Prunable, Upkeep
from bot.service.records import COUNTED_KINDS, CountedKind, ReportSource, UnansweredKind

_LOG = logging.getLogger(__name__)

# How long an unanswered "did you mean" waits in memory for a button press.
PENDING_SECONDS = 600.0
# How often expired clarifies are recorded, and how often old questions are purged.
SWEEP_SECONDS = 60.0
PURGE_EVERY = timedelta(days=1)
STATS_DAYS = 7

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Pending:
    """A clarify waiting for its answer: the question (already masked) and what was offered."""

    text: str
    best_entry_id: str | None
    confidence: float
    actions: frozenset[str]
    at: datetime


@dataclass(frozen=True)
class Stats:
    """The admins' /stats: the last `days` days."""

    days: int
    users: int
    messages: int
    kinds: Mapping[str, int]


class UsageRecorder:
    def __init__(
        self,
        store: Upkeep,
        retention_days: int,
        *,
        user_retention_days: int = 365,
        pending_seconds: float = PENDING_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
        clock: Clock = _now,
        inbox: Prunable | None = None,
    ) -> None:
        self.store = store
        self.inbox = inbox
        self.retention_days = retention_days
        self.user_retention_days = user_retention_days
        self.pending_seconds = pending_seconds
        self.sweep_seconds = sweep_seconds
        self.clock = clock
        # By user id, in memory only.
        self._pending: dict[int, _Pending] = {}
        self._purged: datetime | None = None
        self._background = BackgroundTask("books", self._maintain)

    # Life cycle

    def start(self) -> None:
        """Record expired clarifies and purge old questions in the background until `stop`."""
        self._background.start()

    async def stop(self) -> None:
        """Stop, recording the clarifies still waiting: nobody can resolve them any more."""
        await self._background.stop()
        await self.sweep(everything=True)

    async def _maintain(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            await self.sweep()
            await self._checkpoint()
            if self._purged is None or self.clock() - self._purged >= PURGE_EVERY:
                await self.purge()

    async def _checkpoint(self) -> None:
        # Every sweep, so that an answered message's text is gone from the write-ahead log
        # within a minute, not only from the database.
        try:
            await self.store.checkpoint()
        except Exception:
            _LOG.exception("could not checkpoint the database's write-ahead log")

    # Each turn

    async def observe(
        self, user_id: int, request: Request, turn: Turn, library: Library, *, edit: bool = False
    ) -> None:
        """Count the turn's replies and record what was not answered; never raises.

        An `edit` of a message already counted is answered again but not counted again."""
        try:
            await self._observe(user_id, request, turn, library, edit)
        except Exception:
            _LOG.exception("could not count or record a turn; the reply went out regardless")

    def forget(self, user_id: int) -> None:
        """Drop the user's waiting clarify unrecorded (/forget)."""
        self._pending.pop(user_id, None)

    async def _observe(
        self, user_id: int, request: Request, turn: Turn, library: Library, edit: bool
    ) -> None:
        pending = self._pending.pop(user_id, None)
        if pending is not None and not (
            isinstance(request, Press) and request.action in pending.actions
        ):
            await self._record(pending, "clarify")
        typed = request.text.strip() if isinstance(request, Message) else ""
        counted: list[tuple[CountedKind, str | None]] = []
        if typed and not edit:
            counted.append(("message", None))
        for reply in turn.replies:
            if reply.kind in COUNTED_KINDS:
                entry_id = None if reply.kind is Kind.CRISIS else reply.entry_id
                counted.append((cast(CountedKind, str(reply.kind)), entry_id))
        # One write for the whole turn, before the questions it left unanswered.
        await self.store.usage.count_all(counted, self.clock().date())
        for reply in turn.replies:
            if not typed or reply.kind is Kind.CRISIS:
                continue
            if reply.kind is Kind.FALLBACK:
                await self._record(self._fallback(typed, reply, library), "fallback")
            elif reply.kind is Kind.CLARIFY:
                self._pending[user_id] = _Pending(
                    text=mask(typed),
                    best_entry_id=reply.options[0].entry_id if reply.options else None,
                    confidence=reply.confidence,
                    actions=frozenset(option.action for option in reply.options),
                    at=self.clock(),
                )

    def _fallback(self, text: str, reply: Reply, library: Library) -> _Pending:
        best: str | None = reply.entry_id
        if best is not None:  # a question the knowledge says it does not cover
            confidence = reply.confidence
        else:
            ranked = library.matcher.rank(text, 1)
            best = ranked[0].entry.id if ranked else None
            confidence = ranked[0].score if ranked else reply.confidence
        return _Pending(mask(text), best, round(confidence, 4), frozenset(), self.clock())

    async def sweep(self, everything: bool = False) -> int:
        """Record the clarifies nobody answered in time (all of them with `everything`)."""
        cutoff = self.clock() - timedelta(seconds=self.pending_seconds)
        expired = [
            user_id
            for user_id, pending in self._pending.items()
            if everything or pending.at <= cutoff
        ]
        for user_id in expired:
            pending = self._pending.pop(user_id)
            try:
                await self._record(pending, "clarify")
            except Exception:
                _LOG.exception("could not record an unresolved clarify")
        return len(expired)

    async def purge(self) -> int:
        """Delete recorded questions older than the retention period, and the state of users
        not seen for `user_retention_days`; how many questions went."""
        try:
            deleted = await self.store.usage.purge(
                self.clock() - timedelta(days=self.retention_days)
            )
            inactive_since = self.clock() - timedelta(days=self.user_retention_days)
            expired = await self.store.expire(inactive_since)
            if self.inbox is not None:
                await self.inbox.prune(self.clock())
        except Exception:
            _LOG.exception("could not purge old unanswered questions and inactive users")
            return 0
        if expired:
            _LOG.info("forgot %d users not seen for %d days", expired, self.user_retention_days)
        self._purged = self.clock()
        if deleted:
            _LOG.info(
                "purged %d unanswered questions older than %d days", deleted, self.retention_days
            )
        return deleted

    # For the admins

    @property
    def usage(self) -> ReportSource:
        """What has been written down: the unanswered questions and the counts."""
        return self.store.usage

    async def stats(self, days: int = STATS_DAYS) -> Stats:
        now = self.clock()
        since_day: date = (now - timedelta(days=days - 1)).date()
        kinds: dict[str, int] = {}
        for count in await self.store.usage.counts(since_day):
            if count.entry_id is None:
                kinds[count.kind] = kinds.get(count.kind, 0) + count.count
        users = await self.store.users_seen_since(now - timedelta(days=days))
        return Stats(days, users, kinds.pop("message", 0), kinds)

    # Writing

    async def _record(self, pending: _Pending, kind: UnansweredKind) -> None:
        await self.store.usage.record(
            pending.text, kind, pending.best_entry_id, pending.confidence, pending.at
        )
