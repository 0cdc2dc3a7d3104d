"""The composition root: the one place that turns a config into a running engine."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.adapters.embeddings import Embeddings
from bot.adapters.encoder import Encoder, EncoderError
from bot.adapters.sqlite.store import SqliteStore
from bot.config import TOKEN_ENV, Config, ConfigError
from bot.core.engine import Engine
from bot.editing.knowledge_files import load_knowledge
from bot.service.conversation import Conversation
from bot.service.usage import UsageRecorder

# Telegram is imported inside the functions that need it: the other commands (`ask`, `chat`,
# `eval`) start noticeably faster without it.
if TYPE_CHECKING:
    from telegram.request import BaseRequest

    from bot.adapters.telegram.bot import AnyApplication, TelegramBot
    from bot.editing.reloader import KnowledgeReloader

# Digits, a colon, then the secret: "123456789:AAE..." as BotFather gives it.
_TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{30,60}$")


def build_engine(config: Config) -> Engine:
    """Load the knowledge base named by the config and build the engine over it."""
    knowledge = load_knowledge(config.knowledge_dir)
    return Engine.from_knowledge(
        knowledge,
        config.clinic,
        config.matching,
        config.unanswered_retention_days,
        build_embeddings(config),
        user_retention_days=config.user_retention_days,
    )


def build_embeddings(config: Config) -> Embeddings | None:
    """The sentence encoder with its cache, or None (logged) when it is off or cannot load:
    the bot then recognises a crisis by its patterns alone, and says so in the log."""
    if not config.meaning:
        return None
    try:
        return Embeddings(Encoder(), config.cache_dir)
    except EncoderError as exc:
        logging.getLogger(__name__).error("%s; the crisis check uses its patterns alone", exc)
        return None


@asynccontextmanager
async def chat_conversation(config: Config, engine: Engine) -> AsyncIterator[Conversation]:
    """The service as Telegram has it, over a database in memory: `dit-bot chat` then saves
    state and counts turns exactly as the bot does, and leaves nothing behind."""
    store = SqliteStore(Path(":memory:"))
    await store.open()
    recorder = UsageRecorder(
        store, config.unanswered_retention_days, user_retention_days=config.user_retention_days
    )
    try:
        yield Conversation(engine, store, recorder)
    finally:
        await recorder.stop()
        await store.close()


# Start-up calls to Telegram (deleteWebhook, setWebhook) are retried this often, then the bot
# stops with one line: a rejected webhook is a configuration error, not a network blip.
BOOTSTRAP_RETRIES = 5
# What Telegram accepts as a webhook's secret token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


def check_webhook(config: Config) -> None:
    """Webhook mode only with a secret token (else anyone who finds the path can pose as any
    user) and, unless a self-hosted Bot API server is used, an https:// address."""
    hook = config.telegram.webhook
    if not hook.url:
        raise ConfigError("telegram.webhook.url is required when telegram.mode is webhook")
    if not hook.url.startswith("https://") and not config.telegram.base_url:
        raise ConfigError(
            "telegram.webhook.url must start with https:// (Telegram delivers webhooks only "
            "over HTTPS)"
        )
    if not hook.secret_token or not _SECRET.fullmatch(hook.secret_token):
        raise ConfigError(
            "telegram.webhook.secret_token is required in webhook mode: 16 to 256 letters, "
            "digits, '_' or '-', so that only Telegram can deliver updates"
        )


def bot_token(config: Config) -> str:
    """The token, checked for shape; the message never repeats it, since it is a secret."""
    token = (config.token() or "").strip()
    if not token:
        raise ConfigError(
            f"no Telegram bot token: set {TOKEN_ENV} (or telegram.token in the config)"
        )
    if not _TOKEN.match(token):
        raise ConfigError(
            f"the Telegram bot token (from {TOKEN_ENV} or telegram.token) is malformed: "
            "expected digits, a colon and the secret, as BotFather gives it"
        )
    return token


@dataclass(frozen=True)
class TelegramService:
    """The running bot's parts, as the composition root wired them."""

    application: AnyApplication
    bot: TelegramBot
    conversation: Conversation
    store: SqliteStore
    recorder: UsageRecorder
    reloader: KnowledgeReloader

    @property
    def engine(self) -> Engine:
        return self.conversation.engine


def build_application(config: Config, engine: Engine | None = None) -> AnyApplication:
    """The Telegram Application, built by `build_telegram`."""
    return build_telegram(config, engine).application


def build_telegram(config: Config, engine: Engine | None = None) -> TelegramService:
    """The Telegram Application: handlers, flood control, and the life cycle around them.

    Updates pass through the durable inbox (bot.adapters.sqlite.inbox) and the fair intake
    (adapters.telegram.intake). post_init opens the store, queues what the inbox holds unanswered
    from before, purges unanswered questions past their retention, and starts
    the background work (the reloader's watch on the knowledge folder; the recorder's
    sweeps and daily purge); post_shutdown stops it and closes the store. `run_polling` and
    `run_webhook` call both around serving (tests that drive the Application call them too).
    Background work is plain asyncio tasks: PTB's JobQueue needs an optional extra.
    """
    from telegram.ext import AIORateLimiter, Application

    from bot.adapters.sqlite.inbox import Inbox
    from bot.adapters.telegram.bot import TelegramBot, register
    from bot.adapters.telegram.intake import (
        DurableUpdateQueue,
        FairUpdateProcessor,
        PollRequest,
        replay,
    )
    from bot.editing.reloader import KnowledgeReloader, Reload

    token = bot_token(config)
    keep_message_text_out_of_logs()
    # Opt into PTB's coming timedelta durations (the adapter reads both kinds): without it
    # every 429 from Telegram also logs a deprecation warning from inside PTB.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    engine = engine if engine is not None else build_engine(config)
    store = SqliteStore(config.database)
    telegram = config.telegram
    inbox = Inbox(store)
    queue = DurableUpdateQueue(inbox, batched=telegram.mode == "polling")
    intake = FairUpdateProcessor(telegram.concurrent_updates, telegram.backlog, inbox)
    recorder = UsageRecorder(
        store,
        config.unanswered_retention_days,
        user_retention_days=config.user_retention_days,
        inbox=inbox,
    )
    reloader = KnowledgeReloader(
        engine, config.knowledge_dir, config.matching, config.reload_interval_seconds
    )
    conversation = Conversation(engine, store, recorder)
    bot = TelegramBot(
        conversation,
        send_attempts=telegram.send_attempts,
        recorder=recorder,
        reloader=reloader,
        admins=frozenset(config.admins),
        typing_after=telegram.typing_after_seconds,
        intake=intake,
    )
    limits = telegram.rate_limit

    async def post_init(application: AnyApplication) -> None:
        await store.open()
        # Before polling starts: what a crash left unanswered goes first.
        await replay(inbox, queue, application.bot)
        await recorder.purge()
        await _set_commands(bot, application)

        async def tell_admins(result: Reload) -> None:
            await bot.admin.tell_admins(application.bot, result)

        reloader.on_broken = tell_admins
        reloader.start()
        recorder.start()

    async def post_shutdown(application: AnyApplication) -> None:
        await reloader.stop()
        await recorder.stop()
        await store.close()

    builder = (
        Application.builder()
        .token(token)
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=limits.overall_max_rate,
                overall_time_period=limits.overall_time_period,
                group_max_rate=limits.group_max_rate,
                group_time_period=limits.group_time_period,
                max_retries=limits.max_retries,
            )
        )
        .update_queue(queue)
        .get_updates_request(PollRequest(queue, _http_client(telegram.http, for_polling=True)))
        .request(_http_client(telegram.http, for_polling=False))
        .concurrent_updates(intake)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if telegram.base_url:
        root = telegram.base_url.rstrip("/").removesuffix("/bot")
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    application = builder.build()
    register(application, bot)
    return TelegramService(application, bot, conversation, store, recorder, reloader)


def _http_client(name: str, *, for_polling: bool) -> BaseRequest:
    """The HTTP client for Bot API calls, sized as python-telegram-bot's builder sizes its own:
    one connection for getUpdates, 256 for everything else."""
    pool = 1 if for_polling else 256
    if name == "aiohttp":
        from bot.adapters.telegram.aiohttp_request import AiohttpRequest

        return AiohttpRequest(connection_pool_size=pool)
    from telegram.request import HTTPXRequest

    return HTTPXRequest(connection_pool_size=pool)


def keep_message_text_out_of_logs() -> None:
    """Below INFO, python-telegram-bot logs whole updates and every request it sends (message
    text and user ids together) and aiosqlite every statement with its values; httpx logs
    request URLs, which hold the token. Their loggers never go below INFO (httpx: WARNING),
    whatever `log_level` says."""
    for name, floor in (
        ("telegram", logging.INFO),
        ("httpcore", logging.INFO),
        ("aiosqlite", logging.INFO),
    ):
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.getEffectiveLevel()))
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _set_commands(bot: TelegramBot, application: AnyApplication) -> None:
    from telegram.error import TelegramError

    try:
        await bot.set_commands(application.bot)
    except TelegramError:
        # The menu is a convenience; the bot answers without it.
        logging.getLogger(__name__).warning("could not set the command menu", exc_info=True)


def run_telegram(config: Config) -> None:
    """Serve Telegram (long polling, or a webhook per the config) until SIGINT or SIGTERM.

    PTB installs the signal handlers; on a stop signal it finishes the updates in hand, then
    runs post_shutdown, which closes the database, so no state is lost.
    """
    from telegram import Update
    from telegram.error import InvalidToken

    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if config.telegram.mode == "webhook":
        check_webhook(config)  # before anything is built or any request is made
    application = build_application(config)
    telegram = config.telegram
    try:
        if telegram.mode == "webhook":
            hook = telegram.webhook
            path = hook.path.strip("/")
            application.run_webhook(
                listen=hook.listen,
                port=hook.port,
                url_path=path,
                webhook_url=f"{(hook.url or '').rstrip('/')}/{path}",  # checked above
                secret_token=hook.secret_token,
                allowed_updates=Update.ALL_TYPES,
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
        else:
            application.run_polling(
                allowed_updates=Update.ALL_TYPES,
                timeout=telegram.poll_timeout,
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
    except InvalidToken:
        raise ConfigError(
            f"Telegram rejected the bot token; check {TOKEN_ENV} (BotFather /token)"
        ) from None
