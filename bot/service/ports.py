"""What the service layer needs from storage and the recording of use: small protocols, so that it
works with any implementation (SQLite in `bot.adapters.sqlite`, or an in-memory database for
`dit-bot chat`) and never imports one."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.library import Library
from bot.core.replies import Turn, UserState
from bot.core.requests import Request
from bot.service.records import ReportSource


class StateStore(Protocol):
    """Per-user state, by user id."""

    async def load(self, user_id: int) -> UserState: ...

    async def save(self, user_id: int, state: UserState) -> None: ...

    async def forget(self, user_id: int) -> None: ...

    async def close(self) -> None: ...


class TurnRecorder(Protocol):
    """Counts turns and notes the questions the bot could not answer."""

    async def observe(
        self, user_id: int, request: Request, turn: Turn, library: Library, *, edit: bool = False
    ) -> None: ...

    def forget(self, user_id: int) -> None: ...


class Upkeep(Protocol):
    """The store as the recorder keeps it: the records of use, and what ages out."""

    @property
    def usage(self) -> ReportSource: ...

    async def expire(self, inactive_since: datetime) -> int: ...

    async def users_seen_since(self, since: datetime) -> int: ...

    async def checkpoint(self) -> None: ...


class Prunable(Protocol):
    """Something that drops what is too old to matter (the durable inbox's answered ids)."""

    async def prune(self, now: datetime) -> int: ...
