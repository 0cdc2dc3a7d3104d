"""Start-up to the first answer, and resident memory when idle, on the shipped knowledge.

    .venv/bin/python -m benchmarks.startup

Each run is a fresh interpreter (`python -c`), so imports count as they do for the bot:
importing the bot, loading and checking the knowledge folder, building the matcher's index
and the crisis check, opening the database, then the engine's answer to one message. Then the
process idles a moment and reports its resident memory (VmRSS) and peak (VmHWM). The
Telegram library is imported too (the running bot needs it), but no network is touched.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = 5
REPO_ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import time
started = time.perf_counter()
import asyncio, json, sys
from pathlib import Path
from bot.config import Config
from bot.bootstrap import build_engine
from bot.core.requests import Message
from bot.core.replies import UserState
from bot.adapters.sqlite.store import SqliteStore
imported = time.perf_counter()
config = Config(knowledge_dir=Path(sys.argv[1]), database=Path(sys.argv[2]))
engine = build_engine(config)
built = time.perf_counter()

async def first_answer():
    store = SqliteStore(config.database)
    await store.open()
    opened = time.perf_counter()
    turn = engine.respond(Message("how many sessions are there"), UserState())
    answered = time.perf_counter()
    await store.close()
    return opened, answered, turn.replies[0].kind.value

opened, answered, kind = asyncio.run(first_answer())
import telegram.ext  # the running bot imports it too
time.sleep(0.5)
status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
kib = lambda key: int(status[key].split()[0])
print(json.dumps({
    "imports": imported - started, "knowledge_and_index": built - imported,
    "database": opened - built, "first_answer": answered - opened, "total": answered - started,
    "reply": kind, "rss_mib": kib("VmRSS") / 1024, "peak_mib": kib("VmHWM") / 1024,
}))
"""


def run_once(folder: Path) -> dict[str, float]:
    database = folder / f"startup-{len(list(folder.iterdir()))}.sqlite3"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(REPO_ROOT / "knowledge"), str(database)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dit-startup-") as tmp:
        run_once(Path(tmp))  # warm the file cache and the bytecode
        runs = [run_once(Path(tmp)) for _ in range(RUNS)]
    print(f"shipped knowledge, median of {RUNS} fresh processes (after one warm-up run)")
    print("| step | seconds |")
    print("|---|---|")
    for key in ("imports", "knowledge_and_index", "database", "first_answer", "total"):
        print(f"| {key.replace('_', ' ')} | {statistics.median(r[key] for r in runs):.3f} |")
    print()
    print("| memory | MiB |")
    print("|---|---|")
    print(f"| resident when idle (VmRSS) | {statistics.median(r['rss_mib'] for r in runs):.1f} |")
    print(f"| peak (VmHWM) | {statistics.median(r['peak_mib'] for r in runs):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
