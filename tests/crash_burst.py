"""A burst of messages, a SIGKILL mid-burst and a restart: what the durable inbox is for.

The bot runs as `python -m bot run` in a child process against the fake Bot API in this one,
so that killing it kills nothing else. Used by tests/test_crash_recovery.py (which requires
that nothing is lost) and benchmarks/crash_recovery.py (which prints the figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.config import TOKEN_ENV
from tests.fake_bot_api import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
# One reply each, whatever came before it.
QUESTION = "how many sessions is it"
FIRST_USER = 5000


@dataclass(frozen=True)
class Outcome:
    messages: int
    replied_before_kill: int
    lost: int
    duplicates: int
    drain_seconds: float


async def burst_kill_restart(
    api: FakeBotApi,
    folder: Path,
    *,
    users: int = 50,
    each: int = 10,
    kill_after: int = 166,
    throttle_every: int = 9,
    within: float = 120.0,
) -> Outcome:
    """`users` x `each` messages at once, 1 in `throttle_every` sends answered 429; SIGKILL
    after `kill_after` replies; a restart; then wait until every message is answered."""
    config = _write_config(api, folder)
    api.fail_every("sendMessage", throttle_every, retry_after=1)
    bot = await start_bot(config)
    try:
        await api.wait_for(lambda a: bool(a.called("setMyCommands")), within=60)
        people = range(FIRST_USER, FIRST_USER + users)
        for _ in range(each):
            for user in people:
                api.message(user, QUESTION)
        await api.wait_for(lambda a: len(a.sent()) >= kill_after, within=within)
    finally:
        bot.kill()  # SIGKILL: no clean-up of any kind
        await bot.wait()
    replied = len(api.sent())
    started = time.perf_counter()
    bot = await start_bot(config)
    try:
        with contextlib.suppress(TimeoutError):  # what is still missing is reported as lost
            await api.wait_for(lambda a: _short(a, people, each) == 0, within=within)
        drained = time.perf_counter() - started
    finally:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.communicate(), 30)
    counts = Counter(call.chat_id for call in api.sent())
    return Outcome(
        messages=users * each,
        replied_before_kill=replied,
        lost=_short(api, people, each),
        duplicates=sum(max(0, counts[user] - each) for user in people),
        drain_seconds=drained,
    )


def _short(api: FakeBotApi, people: range, each: int) -> int:
    counts = Counter(call.chat_id for call in api.sent())
    return sum(max(0, each - counts[user]) for user in people)


def _write_config(api: FakeBotApi, folder: Path) -> Path:
    config = folder / "config.yaml"
    config.write_text(
        f"knowledge_dir: {ROOT / 'knowledge'}\n"
        f"cache_dir: {ROOT / 'data' / 'cache'}\n"
        "database: data/bot.sqlite3\n"
        "telegram:\n"
        f"  base_url: {api.url}\n"
        "  poll_timeout: 1\n"
        "  rate_limit: {overall_max_rate: 0, group_max_rate: 0, max_retries: 5}\n",
        encoding="utf-8",
    )
    return config


async def start_bot(config: Path) -> asyncio.subprocess.Process:
    """`python -m bot run --config CONFIG` with the fake API's token, its stderr piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        env={**os.environ, TOKEN_ENV: TOKEN},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
