"""The admins' commands in Telegram: /reload, /report and /stats, and word of broken knowledge.

Only the admins' Telegram user ids reach these (the handlers filter on them, see `register`);
from anyone else the commands fall through to "unknown command".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from telegram import Bot, Update
from telegram.error import TelegramError

from bot.adapters.telegram.delivery import Sender
from bot.core.engine import Engine
from bot.core.replies import Kind, Reply
from bot.editing.reloader import KnowledgeReloader, Reload, Status
from bot.editing.report import report_for
from bot.editing.report_rendering import render_short
from bot.editing.yaml_reading import Problem

if TYPE_CHECKING:
    from telegram.ext import ContextTypes

    from bot.service.usage import UsageRecorder

    Context = ContextTypes.DEFAULT_TYPE

# Problems listed in one message to the admins; `dit-bot check` shows them all.
PROBLEMS_SHOWN = 15
REPORT_DAYS = 30

_LOG = logging.getLogger(__name__)


class AdminCommands:
    """The admins' callbacks, over the engine being served, the reloader and the books."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        sender: Sender,
        *,
        reloader: KnowledgeReloader | None = None,
        recorder: UsageRecorder | None = None,
        admins: frozenset[int] = frozenset(),
    ) -> None:
        self._engine = engine
        self.sender = sender
        self.reloader = reloader
        self.recorder = recorder
        self.admins = admins

    async def reload(self, update: Update, context: Context) -> None:
        """/reload: look at the knowledge files now, and say what came of it."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or self.reloader is None:
            return
        result = await self.reloader.refresh(force=True)
        if result.status is Status.INVALID:
            text = self._broken_text(result.problems)
        elif result.status is Status.CHANGING:
            text = self._message("reload_busy")
        else:
            key = "reload_done" if result.status is Status.LOADED else "reload_unchanged"
            text = self._message(key, entries=result.entries)
        await self.sender.send(context.bot, chat.id, self._admin_notice(text))
        if result.status is Status.INVALID and result.new:
            await self.tell_admins(context.bot, result, skip=user.id)

    async def report(self, update: Update, context: Context) -> None:
        """/report: the unanswered questions and usage of the last 30 days, short."""
        chat = update.effective_chat
        if chat is None or self.recorder is None:
            return
        summary = await report_for(self.recorder.usage, self._engine().library, REPORT_DAYS)
        await self.sender.send(
            context.bot, chat.id, self._admin_notice(render_short(summary, self._message))
        )

    async def stats(self, update: Update, context: Context) -> None:
        """/stats: people, messages and replies by kind over the last week."""
        chat = update.effective_chat
        if chat is None or self.recorder is None:
            return
        found = await self.recorder.stats()
        text = self._message(
            "admin_stats",
            days=found.days,
            users=found.users,
            messages=found.messages,
            answers=found.kinds.get("answer", 0),
            clarifies=found.kinds.get("clarify", 0),
            fallbacks=found.kinds.get("fallback", 0),
            crisis=found.kinds.get("crisis", 0),
        )
        await self.sender.send(context.bot, chat.id, self._admin_notice(text))

    async def tell_admins(self, bot: Bot, result: Reload, skip: int | None = None) -> None:
        """Tell every admin (but `skip`) that the edited knowledge is broken, and where."""
        reply = self._admin_notice(self._broken_text(result.problems))
        for admin in sorted(self.admins - {skip}):
            try:
                await self.sender.send(bot, admin, reply)
            except TelegramError as exc:
                # An admin who never opened a chat with the bot cannot be written to.
                _LOG.warning("could not tell admin %s about the broken knowledge: %s", admin, exc)

    def _broken_text(self, problems: Sequence[Problem]) -> str:
        lines = [str(problem) for problem in problems[:PROBLEMS_SHOWN]]
        if len(problems) > PROBLEMS_SHOWN:
            lines.append("\u2026")
        return self._message("reload_failed", count=len(problems), problems="\n".join(lines))

    def _admin_notice(self, text: str) -> Reply:
        return Reply(Kind.NOTICE, text)

    def _message(self, key: str, **values: object) -> str:
        engine = self._engine()
        return engine.library.knowledge.message(key, engine.clinic, **values)
