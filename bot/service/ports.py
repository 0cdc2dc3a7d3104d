"""What the service layer needs from storage and bookkeeping: small protocols, so that it
works with any implementation (SQLite in `bot.adapters.sqlite`, or an in-memory database for
`dit-bot chat`) and never imports one."""

from __future__ import annotations

from typing import Protocol

from bot.core.engine import Library, Request
from bot.core.replies import Turn, UserState


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
