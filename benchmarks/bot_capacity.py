"""Whole-bot capacity against a bare python-telegram-bot echo bot, over HTTP on 127.0.0.1.

    .venv/bin/python -m benchmarks.bot_capacity              # 3 runs of each, 100 users x 10
    .venv/bin/python -m benchmarks.bot_capacity 5 200 10     # runs, users, messages each
    .venv/bin/python -m benchmarks.bot_capacity --burst      # the 30/s burst run alone
    .venv/bin/python -m benchmarks.bot_capacity 3 100 10 --only bot:polling,echo:polling

The fake Bot API (tests/fake_bot_api.py) runs in a child process, standing in for Telegram and
for the users, so that it does not share the bot's core. Each user sends a message, waits for
the reply, then sends the next (a closed loop). Four contestants, in turn, each on its own:

- the bot: `bot.bootstrap.build_application` with everything on (the encoder and the crisis
  classifier, the durable inbox, the recording, a fresh SQLite database), the overall rate
  limit lifted (Telegram's 30/s would otherwise be what is measured);
- a bare echo bot: `Application.builder()` with python-telegram-bot's defaults and one
  `MessageHandler` that sends the text back;
- each of them with long polling and with a webhook (the fake API then POSTs every update to
  the bot's webhook, with the secret token).

Printed per contestant, the median of the runs: replies per second, CPU milliseconds per reply
in the bot's process (all its threads), and Bot API calls per reply by method; then the ratio
of the bot's replies per second to the echo bot's, polling and webhook.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.knowledge_gen import SHIPPED_KNOWLEDGE, make_queries
from bot.config import Config, RateLimit, Telegram, Webhook
from bot.editing.knowledge_files import load_knowledge

RUNS = 3
# The bot with each HTTP client it offers (telegram.http), and the echo bot.
CONTESTANTS = ("bot", "bot-aiohttp", "echo")
USERS = 100
MESSAGES = 10
BURST_USERS = 100
BURST_MESSAGES = 10
FIRST_USER = 10_000
SECRET = "benchmark-secret-token"


@dataclass
class Outcome:
    messages: int
    replies: int
    seconds: float
    cpu_seconds: float
    calls: dict[str, int]
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.replies / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_reply(self) -> float:
        return self.cpu_seconds * 1000 / self.replies if self.replies else 0.0


def _texts(count: int) -> list[str]:
    knowledge = load_knowledge(SHIPPED_KNOWLEDGE)
    return [q.text for q in make_queries(knowledge, count, seed=5)]


# The child: Telegram and the users


def _serve(plan: dict[str, Any], to_parent: Any, from_parent: Any) -> None:
    asyncio.run(_users(plan, to_parent, from_parent))


async def _users(plan: dict[str, Any], to_parent: Any, from_parent: Any) -> None:
    import httpx

    from tests.fake_bot_api import FakeBotApi

    users: int = plan["users"]
    per_user: int = plan["messages"]
    closed_loop: bool = plan["closed_loop"]
    texts: list[str] = plan["texts"]
    total = users * per_user
    put_at: dict[int, list[float]] = {}
    latencies: list[float] = []
    left = {FIRST_USER + u: per_user for u in range(users)}
    done = asyncio.Event()
    hook: dict[str, Any] = {}
    posts: set[asyncio.Task[Any]] = set()

    class Api(FakeBotApi):
        def _record(self, call: Any) -> None:
            super()._record(call)
            if call.method == "setWebhook":
                hook["url"] = call.params["url"]
            chat = call.chat_id
            if call.method != "sendMessage" or call.status != 200 or chat not in put_at:
                return
            if put_at[chat]:
                latencies.append(time.perf_counter() - put_at[chat].pop(0))
            if len(latencies) >= total:
                done.set()
            elif closed_loop and left[chat]:
                send(chat)

        def _put(self, update: dict[str, Any]) -> None:
            if "url" not in hook:
                super()._put(update)
                return
            body = {"update_id": next(self._update_ids), **update}
            task = asyncio.create_task(client.post(hook["url"], json=body, headers=headers))
            posts.add(task)
            task.add_done_callback(posts.discard)

    api = Api()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=64))

    def send(chat: int) -> None:
        left[chat] -= 1
        text = texts[(chat * 7919 + left[chat]) % len(texts)]
        put_at.setdefault(chat, []).append(time.perf_counter())
        api.message(chat, text)

    await api.start()
    to_parent.put(api.url)
    # Polling starts with deleteWebhook, a webhook with setWebhook; the first getUpdates or
    # the webhook server's listening follows a moment later.
    await api.wait_for(lambda a: bool(a.called("deleteWebhook") or a.called("setWebhook")), 120)
    await asyncio.sleep(1.0)
    to_parent.put("go")
    started = time.perf_counter()
    for chat in list(left):
        for _ in range(1 if closed_loop else per_user):
            send(chat)
    try:
        async with asyncio.timeout(plan["within"]):
            await done.wait()
    except TimeoutError:
        pass
    seconds = time.perf_counter() - started
    calls = Counter(call.method for call in api.calls if call.status == 200)
    for method in ("getMe", "deleteWebhook", "setWebhook", "setMyCommands"):
        calls.pop(method, None)  # start-up, not per reply
    to_parent.put(
        {
            "messages": total,
            "replies": len(latencies),
            "seconds": seconds,
            "latencies": latencies,
            "calls": dict(calls),
        }
    )
    await asyncio.get_running_loop().run_in_executor(None, from_parent.get)
    await client.aclose()
    await api.stop()


# The parent: the bot or the echo bot


def run(
    contestant: str,
    mode: str,
    users: int,
    messages: int,
    *,
    closed_loop: bool = True,
    limits: RateLimit | None = None,
    within: float = 120.0,
) -> Outcome:
    context = multiprocessing.get_context("spawn")
    to_parent, from_parent = context.Queue(), context.Queue()
    plan = {
        "users": users,
        "messages": messages,
        "closed_loop": closed_loop,
        "texts": _texts(500),
        "within": within,
    }
    child = context.Process(target=_serve, args=(plan, to_parent, from_parent), daemon=True)
    child.start()
    try:
        url = to_parent.get(timeout=60)
        with tempfile.TemporaryDirectory(prefix="dit-capacity-") as tmp:
            http = "aiohttp" if contestant.endswith("aiohttp") else "httpx"
            config = _config(url, Path(tmp), mode, limits or RateLimit(overall_max_rate=0), http)
            serve = _echo if contestant == "echo" else _bot
            result = asyncio.run(serve(config, to_parent, within + 60))
        from_parent.put("stop")
        child.join(timeout=30)
    finally:
        if child.is_alive():
            child.terminate()
    return Outcome(
        result["messages"],
        result["replies"],
        result["seconds"],
        result["cpu_seconds"],
        result["calls"],
        result["latencies"],
    )


def _config(url: str, folder: Path, mode: str, limits: RateLimit, http: str) -> Config:
    from tests.fake_bot_api import TOKEN

    port = _free_port()
    return Config(
        knowledge_dir=SHIPPED_KNOWLEDGE,
        database=folder / "bot.sqlite3",
        log_level="WARNING",
        telegram=Telegram(
            token=TOKEN,
            base_url=url,
            poll_timeout=1,
            rate_limit=limits,
            http="aiohttp" if http == "aiohttp" else "httpx",
            mode="webhook" if mode == "webhook" else "polling",
            webhook=Webhook(
                listen="127.0.0.1",
                port=port,
                url=f"http://127.0.0.1:{port}",
                path="telegram",
                secret_token=SECRET,
            ),
        ),
    )


async def _bot(config: Config, to_parent: Any, within: float) -> dict[str, Any]:
    from bot.bootstrap import build_application

    app = build_application(config)
    await app.initialize()
    await app.post_init(app)
    try:
        return await _serve_updates(app, config, to_parent, within)
    finally:
        await app.post_shutdown(app)


async def _echo(config: Config, to_parent: Any, within: float) -> dict[str, Any]:
    """A bare echo bot: PTB's defaults, one handler."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await context.bot.send_message(message.chat_id, message.text)

    root = (config.telegram.base_url or "").rstrip("/")
    app = (
        Application.builder()
        .token(config.telegram.token or "")
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    return await _serve_updates(app, config, to_parent, within)


async def _serve_updates(app: Any, config: Config, to_parent: Any, within: float) -> dict[str, Any]:
    from telegram import Update

    hook = config.telegram.webhook
    if config.telegram.mode == "webhook":
        await app.updater.start_webhook(
            listen=hook.listen,
            port=hook.port,
            url_path=hook.path,
            webhook_url=f"{hook.url}/{hook.path}",
            secret_token=hook.secret_token,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        await app.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
    await app.start()
    try:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, to_parent.get, True, 120)  # "go"
        cpu = time.process_time()
        result: dict[str, Any] = await loop.run_in_executor(None, to_parent.get, True, within)
        result["cpu_seconds"] = time.process_time() - cpu
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ms(values: list[float], share: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1e3:.1f}"


def _median(outcomes: list[Outcome]) -> Outcome:
    """The run with the median rate (its other figures go with it)."""
    ordered = sorted(outcomes, key=lambda o: o.rate)
    return ordered[len(ordered) // 2]


def compare(runs: int, users: int, messages: int, only: list[tuple[str, str]] | None = None) -> int:
    rows: dict[tuple[str, str], list[Outcome]] = {}
    keys = only or [(c, m) for c in CONTESTANTS for m in ("polling", "webhook")]
    for _ in range(runs):  # interleaved, so that drift in the machine hits all alike
        for key in keys:
            rows.setdefault(key, []).append(run(*key, users, messages))
    print(f"{users} users x {messages} messages, closed loop; median of {runs} runs by rate")
    print()
    print("| contestant | mode | replies/s (runs) | CPU ms/reply | p50 ms | calls per reply |")
    print("|---|---|---|---|---|---|")
    lost = 0
    for (contestant, mode), outcomes in rows.items():
        best = _median(outcomes)
        lost += sum(o.messages - o.replies for o in outcomes)
        rates = ", ".join(f"{o.rate:.0f}" for o in outcomes)
        calls = ", ".join(
            f"{method} {count / best.replies:.2f}"
            for method, count in sorted(best.calls.items(), key=lambda kv: -kv[1])
            if best.replies
        )
        print(
            f"| {contestant} | {mode} | {best.rate:.0f} ({rates}) "
            f"| {best.cpu_ms_per_reply:.2f} | {_ms(best.latencies, 0.5)} | {calls} |"
        )
    print()
    for mode in ("polling", "webhook"):
        if ("echo", mode) not in rows:
            continue
        echo = statistics.median(o.rate for o in rows[("echo", mode)])
        for contestant in CONTESTANTS[:-1]:
            if (contestant, mode) not in rows:
                continue
            bot = statistics.median(o.rate for o in rows[(contestant, mode)])
            print(f"{mode}: {contestant} at {bot / echo:.2f}x the echo bot's replies per second")
    print(f"lost: {lost}")
    return 0 if lost == 0 else 1


def burst() -> int:
    defaults = RateLimit()
    total = BURST_USERS * BURST_MESSAGES
    expected = total / defaults.overall_max_rate * defaults.overall_time_period
    outcome = run(
        "bot",
        "polling",
        BURST_USERS,
        BURST_MESSAGES,
        closed_loop=False,
        limits=defaults,
        within=expected * 1.5 + 15,
    )
    print(
        f"burst, default limits ({defaults.overall_max_rate:g}/s), {BURST_USERS} users x "
        f"{BURST_MESSAGES} at once: {outcome.replies} of {total} replies in "
        f"{outcome.seconds:.1f} s (at exactly the configured rate: {expected:.1f} s); "
        f"p50 {_ms(outcome.latencies, 0.5)} ms, p99 {_ms(outcome.latencies, 0.99)} ms"
    )
    return 0 if outcome.replies == total else 1


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if argv[:1] == ["--burst"]:
        return burst()
    only: list[tuple[str, str]] | None = None
    if "--only" in argv:  # some contestants alone, e.g. to profile one: bot:polling,echo:polling
        at = argv.index("--only")
        only = [(c, m) for c, m in (pair.split(":") for pair in argv[at + 1].split(","))]
        argv = argv[:at] + argv[at + 2 :]
    runs = int(argv[0]) if argv else RUNS
    users = int(argv[1]) if len(argv) > 1 else USERS
    messages = int(argv[2]) if len(argv) > 2 else MESSAGES
    return compare(runs, users, messages, only)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
