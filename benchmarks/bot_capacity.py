"""Whole-bot capacity: the real Application against the fake Bot API over HTTP on 127.0.0.1.

    .venv/bin/python -m benchmarks.bot_capacity          # 100 users x 20, then the burst
    .venv/bin/python -m benchmarks.bot_capacity 200 10   # other users x messages

The fake Bot API (tests/fake_bot_api.py) runs in a child process, standing in for Telegram and
for the users, so that it does not share the bot's core. The bot is built by
`bot.bootstrap.build_application` on the shipped knowledge with a fresh SQLite database, and
polls the fake API for updates as it would poll Telegram.

1. Sustained: the overall rate limit is lifted (`overall_max_rate: 0`); each user sends a
   message, waits for the reply, then sends the next. Replies per second over the run, latency
   per reply (message available to getUpdates -> sendMessage received), and replies lost.
2. Burst with the default limits (30 messages a second overall): 100 users send 10 messages
   each at once; the 1,000 replies must all arrive, at about the configured rate.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.knowledge_gen import SHIPPED_KNOWLEDGE, make_queries
from bot.config import Config, RateLimit, Telegram
from bot.knowledge_files import load_knowledge

USERS = 100
MESSAGES = 20
BURST_USERS = 100
BURST_MESSAGES = 10
FIRST_USER = 10_000


@dataclass
class Outcome:
    messages: int
    replies: int
    seconds: float
    latencies: list[float]

    @property
    def lost(self) -> int:
        return self.messages - self.replies


def _texts(count: int) -> list[str]:
    knowledge = load_knowledge(SHIPPED_KNOWLEDGE)
    return [q.text for q in make_queries(knowledge, count, seed=5)]


# The child: Telegram and the users


def _serve(plan: dict[str, Any], to_parent: Any, from_parent: Any) -> None:
    asyncio.run(_users(plan, to_parent, from_parent))


async def _users(plan: dict[str, Any], to_parent: Any, from_parent: Any) -> None:
    from tests.fake_bot_api import FakeBotApi

    users: int = plan["users"]
    per_user: int = plan["messages"]
    closed_loop: bool = plan["closed_loop"]
    texts: list[str] = plan["texts"]
    total = users * per_user
    put_at: dict[int, list[float]] = {}
    latencies: list[float] = []
    counts = {"put": 0, "sent": 0}
    left = {FIRST_USER + u: per_user for u in range(users)}
    done = asyncio.Event()

    class Api(FakeBotApi):
        def _record(self, call: Any) -> None:
            super()._record(call)
            chat = call.chat_id
            if call.method != "sendMessage" or call.status != 200 or chat not in put_at:
                return
            counts["sent"] += 1
            if put_at[chat]:
                latencies.append(time.perf_counter() - put_at[chat].pop(0))
            if len(latencies) >= total:
                done.set()
            elif closed_loop and left[chat]:
                send(chat)

    api = Api()

    def send(chat: int) -> None:
        left[chat] -= 1
        text = texts[(chat * 7919 + left[chat]) % len(texts)]
        put_at.setdefault(chat, []).append(time.perf_counter())
        counts["put"] += 1
        api.message(chat, text)

    await api.start()
    to_parent.put(api.url)
    # Polling starts with deleteWebhook; give the first getUpdates a moment to arrive.
    await api.wait_for(lambda a: bool(a.called("deleteWebhook")), within=60)
    await asyncio.sleep(0.5)
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
    to_parent.put(
        {"messages": total, "replies": len(latencies), "seconds": seconds, "latencies": latencies}
        | counts
    )
    await asyncio.get_running_loop().run_in_executor(None, from_parent.get)
    await api.stop()


# The parent: the bot


def run(users: int, messages: int, closed_loop: bool, limits: RateLimit, within: float) -> Outcome:
    from benchmarks.knowledge_gen import SHIPPED_KNOWLEDGE as knowledge_dir
    from tests.fake_bot_api import TOKEN

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
            config = Config(
                knowledge_dir=knowledge_dir,
                database=Path(tmp) / "bot.sqlite3",
                log_level="WARNING",
                telegram=Telegram(token=TOKEN, base_url=url, poll_timeout=1, rate_limit=limits),
            )
            result = asyncio.run(_bot(config, to_parent, within + 60))
        from_parent.put("stop")
        child.join(timeout=30)
    finally:
        if child.is_alive():
            child.terminate()
    return Outcome(result["messages"], result["replies"], result["seconds"], result["latencies"])


async def _bot(config: Config, to_parent: Any, within: float) -> dict[str, Any]:
    from telegram import Update

    from bot.bootstrap import build_application

    app = build_application(config)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()
    try:
        loop = asyncio.get_running_loop()
        result: dict[str, Any] = await loop.run_in_executor(None, to_parent.get, True, within)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)
    return result


def _ms(values: list[float], share: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1e3:.1f}"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    users = int(argv[0]) if argv else USERS
    messages = int(argv[1]) if len(argv) > 1 else MESSAGES
    lifted = RateLimit(overall_max_rate=0)
    sustained = run(users, messages, closed_loop=True, limits=lifted, within=90)
    defaults = RateLimit()
    burst_total = BURST_USERS * BURST_MESSAGES
    expected = burst_total / defaults.overall_max_rate * defaults.overall_time_period
    burst = run(BURST_USERS, BURST_MESSAGES, False, defaults, within=expected * 1.5 + 15)
    print("| run | messages | replies | lost | seconds | replies/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, outcome in (
        (f"sustained, limit lifted, {users} users x {messages} (closed loop)", sustained),
        (
            f"burst, default limits ({defaults.overall_max_rate:g}/s), "
            f"{BURST_USERS} users x {BURST_MESSAGES} at once",
            burst,
        ),
    ):
        rate = outcome.replies / outcome.seconds if outcome.seconds else 0.0
        print(
            f"| {name} | {outcome.messages} | {outcome.replies} | {outcome.lost} "
            f"| {outcome.seconds:.1f} | {rate:.0f} | {_ms(outcome.latencies, 0.5)} "
            f"| {_ms(outcome.latencies, 0.99)} |"
        )
    print(f"(the burst at exactly the configured rate would take {expected:.1f} s)")
    return 0 if sustained.lost == 0 and burst.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
