"""Fairness under a flood: one user sends 200 messages at once, each reply taking 50 ms to
send, while another user sends /help every 0.2 s. How long does the other user wait?

    .venv/bin/python -m benchmarks.flood          # 3 runs each of the default backlog and a
                                                   # backlog of 1,000 (nothing skipped)

The real Application (bot.bootstrap.build_application) against the fake Bot API in the same
process, over HTTP on 127.0.0.1. Latency: the message available to getUpdates -> its reply
received by the fake API. Printed per run: the other user's p50 / p99 / max, and how many of
the flooder's messages were answered or skipped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.bootstrap import build_engine
from bot.config import TOKEN_ENV, Config
from bot.core.engine import Engine
from tests.fake_bot_api import TOKEN, FakeBotApi
from tests.running_bot import config_for, running

ROOT = Path(__file__).resolve().parent.parent
FLOODER, OTHER = 1, 2
FLOOD = 200
PROBES = 20
PROBE_EVERY = 0.2
SEND_SECONDS = 0.05


async def _run(engine: Engine, backlog: int) -> str:
    api = FakeBotApi()
    await api.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = config_for(api, ROOT / "knowledge", Path(folder) / "bot.sqlite3")
            telegram = config.telegram.model_copy(update={"backlog": backlog})
            config = config.model_copy(update={"telegram": telegram})
            async with running(config, engine):
                await api.wait_for(lambda a: bool(a.called("setMyCommands")))
                api.delay("sendMessage", SEND_SECONDS)
                for _ in range(FLOOD):
                    api.message(FLOODER, "how many sessions is it")
                latencies = []
                for number in range(1, PROBES + 1):
                    started = time.perf_counter()
                    api.message(OTHER, "/help")
                    await api.replies(OTHER, number, within=60)
                    latencies.append(time.perf_counter() - started)
                    await asyncio.sleep(PROBE_EVERY)
                answered = len(api.sent(FLOODER))
    finally:
        await api.stop()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    return (
        f"backlog {backlog:>5}: other user p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"flooder's replies so far {answered} of {FLOOD}"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    os.environ[TOKEN_ENV] = TOKEN
    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    engine = build_engine(Config(knowledge_dir=ROOT / "knowledge"))
    for backlog in (Config().telegram.backlog, 1000):
        for _ in range(runs):
            print(asyncio.run(_run(engine, backlog)))


if __name__ == "__main__":
    main()
