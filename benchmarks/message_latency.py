"""Per-message cost of understanding: the crisis check (patterns and meaning) plus the matcher.

    .venv/bin/python -m benchmarks.message_latency [CASES.yaml ...]

Runs the engine's own work for each message, in one thread, on the shipped knowledge with the
shipped encoder: `CrisisDetector.assess`, then `bot.core.fusion.decide` (the matcher, the
second opinion by meaning and the fused score, on the vectors the crisis check computed), as
`Engine.handle` does in its worker thread. The messages are those of the case files given
(by default the project's, tests/cases/), short and long, each timed on its own, three
rounds; the first is a warm-up.
Prints p50, p90, p99 and the maximum, for everything and for the messages that are split into
sentences.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

from bot.bootstrap import build_engine
from bot.config import Config
from bot.core.fusion import decide
from bot.core.text import reveal, sentences

REPO_ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    engine = build_engine(Config(knowledge_dir=REPO_ROOT / "knowledge"))
    library = engine.library
    messages: list[str] = []
    paths = [Path(a) for a in sys.argv[1:]] or sorted((REPO_ROOT / "tests/cases").glob("*.yaml"))
    for path in paths:
        messages += [str(case["q"]) for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
    timings: list[float] = []
    split: list[float] = []
    for round_ in range(ROUNDS):
        for text in messages:
            started = time.perf_counter()
            risk = library.detector.assess(text)
            decide(library.matcher, library.meaning, text, risk.vectors)
            took = (time.perf_counter() - started) * 1000
            if round_ == 0:
                continue
            timings.append(took)
            if sentences(reveal(text)):
                split.append(took)
    print(f"{len(messages)} messages x {ROUNDS - 1} rounds, one thread, milliseconds")
    print("| messages | n | p50 | p90 | p99 | max |")
    print("|---|---|---|---|---|---|")
    for name, values in (("all", timings), ("split into sentences", split)):
        row = [percentile(values, q) for q in (0.5, 0.9, 0.99)] + [max(values)]
        print(f"| {name} | {len(values)} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
    print(f"mean {statistics.fmean(timings):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
