"""Crash recovery: a 500-message burst from 50 users, 1 in 9 sends answered 429, the bot
killed with SIGKILL after 166 replies, then restarted.

    .venv/bin/python -m benchmarks.crash_recovery        # 3 runs
    .venv/bin/python -m benchmarks.crash_recovery 5      # 5 runs

Prints per run: replies before the kill, messages lost, duplicate replies, and the seconds
from the restart until every message was answered (start-up included).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from bot.bootstrap import build_engine
from bot.config import Config
from tests.crash_burst import ROOT, burst_kill_restart
from tests.fake_bot_api import FakeBotApi


async def _once() -> None:
    api = FakeBotApi()
    await api.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            outcome = await burst_kill_restart(api, Path(folder))
    finally:
        await api.stop()
    print(
        f"messages {outcome.messages}  replied before kill {outcome.replied_before_kill}  "
        f"lost {outcome.lost}  duplicates {outcome.duplicates}  "
        f"drained in {outcome.drain_seconds:.1f} s"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    logging.getLogger("tornado.access").setLevel(logging.ERROR)  # a line per 429 otherwise
    # Warm the encoder's cache once, so that each start measures the bot, not the encoding.
    build_engine(Config(knowledge_dir=ROOT / "knowledge", cache_dir=ROOT / "data" / "cache"))
    for _ in range(runs):
        asyncio.run(_once())


if __name__ == "__main__":
    main()
