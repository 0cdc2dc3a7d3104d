"""The real Application against the fake Bot API, for tests of live reload and admin commands.

`running` goes through the life cycle `run_polling` does (post_init, polling, post_shutdown)
without taking over the event loop; `until` waits for a condition with a bound, never for a
fixed time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram import Update

from bot.bootstrap import TelegramService, build_telegram
from bot.config import Config, RateLimit, Telegram
from bot.core.engine import Engine
from bot.editing.reloader import KnowledgeReloader
from bot.service.usage import UsageRecorder
from tests.fake_bot_api import FakeBotApi


def config_for(api: FakeBotApi, knowledge_dir: Path, database: Path, **changes: Any) -> Config:
    telegram = Telegram(
        base_url=api.url,
        poll_timeout=1,
        rate_limit=RateLimit(overall_max_rate=0, group_max_rate=0, max_retries=3),
    )
    return Config(knowledge_dir=knowledge_dir, database=database, telegram=telegram, **changes)


@asynccontextmanager
async def running(config: Config, engine: Engine | None = None) -> AsyncIterator[TelegramService]:
    service = build_telegram(config, engine)
    app = service.application
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()
    try:
        yield service
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)


def reloader_of(service: TelegramService) -> KnowledgeReloader:
    return service.reloader


def recorder_of(service: TelegramService) -> UsageRecorder:
    return service.recorder


def engine_of(service: TelegramService) -> Engine:
    return service.engine


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until `condition()` holds, looking every few milliseconds, for at most `within`."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the state lives in other objects
            await asyncio.sleep(0.01)
