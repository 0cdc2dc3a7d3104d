"""One turn for any front end: load the user's state, ask the engine, apply its effects, save.

Telegram and `dit-bot chat` both go through here, so they behave alike: the state is read
before the engine answers and written after (or deleted, on /forget), and the turn is
counted once its replies are out. The engine runs in a worker thread: the encoder and the
matcher take milliseconds of CPU, which must not stall the event loop that serves everyone
else (onnxruntime releases the GIL, so it also uses the second core).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.engine import Engine
from bot.core.library import Library
from bot.core.replies import Turn, UserState
from bot.core.requests import FORGET, Request
from bot.service.ports import StateStore, TurnRecorder

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exchange:
    """One request from one user, what the engine made of it, and the knowledge it used."""

    user_id: int
    request: Request
    turn: Turn
    library: Library


class Conversation:
    """The turns of every user, against one engine and one store."""

    def __init__(
        self, engine: Engine, store: StateStore, recorder: TurnRecorder | None = None
    ) -> None:
        self.engine = engine
        self.store = store
        self.recorder = recorder

    async def take(self, user_id: int, request: Request) -> Exchange:
        """The engine's turn for one request, the user's state loaded before and saved after.

        On /forget the state is deleted instead; that is not caught, so the confirmation is
        never shown when the deletion failed."""
        state, known = await self._load(user_id)
        library = self.engine.library  # the one the turn is answered from, even across a reload
        turn = await asyncio.to_thread(self.engine.respond, request, state, library)
        if FORGET in turn.effects:
            if self.recorder is not None:
                self.recorder.forget(user_id)
            await self.store.forget(user_id)
        elif known:
            await self._save(user_id, turn.state)
        return Exchange(user_id, request, turn, library)

    async def record(self, exchange: Exchange, *, edit: bool = False) -> None:
        """Count the turn and note what it left unanswered, once its replies are out; never
        raises. An `edit` of a message already counted is not counted again."""
        if self.recorder is not None:
            await self.recorder.observe(
                exchange.user_id, exchange.request, exchange.turn, exchange.library, edit=edit
            )

    async def is_crisis(self, text: str) -> bool:
        """Whether a message would get the crisis reply (off the event loop, like `take`)."""
        return await asyncio.to_thread(self.engine.is_crisis, text)

    async def _load(self, user_id: int) -> tuple[UserState, bool]:
        """The user's state, and whether it could be read (so it may be written back)."""
        try:
            return await self.store.load(user_id), True
        except Exception:
            # Answering matters more than remembering: a crisis reply must not wait on disk.
            _LOG.exception("could not load the state of user %s; answering without it", user_id)
            return UserState(), False

    async def _save(self, user_id: int, state: UserState) -> None:
        now = datetime.now(UTC)
        try:
            await self.store.save(
                user_id, state.evolve(first_seen=state.first_seen or now, last_seen=now)
            )
        except Exception:
            _LOG.exception("could not save the state of user %s; replying anyway", user_id)
