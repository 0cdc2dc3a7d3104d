"""Matcher latency per message against the naive scan, on the shipped and generated knowledge.

    .venv/bin/python -m benchmarks.matcher_latency            # shipped, 1,000 and 10,000 entries
    .venv/bin/python -m benchmarks.matcher_latency 1000       # only the sizes given (0 = shipped)

For each knowledge base: load it, build the matcher, warm up on queries of another seed, then
time `Matcher.decide` per message (p50, p99). The naive scan is what a typical FAQ bot does:
`rapidfuzz.process.extractOne(message, every_phrasing, scorer=fuzz.WRatio)` with rapidfuzz's
default processor, timed on a subset of the same messages (it is slow at 10,000 entries).
"agree" is the share of that subset where both pick the same entry; "top-1" the share of the
messages made from a known entry where the pick is that entry.

"+ meaning" is `bot.core.fusion.decide` (the matcher, the second opinion by meaning and the
fused score) over the vector index, as the bot runs it (the message's vector is the crisis
check's, encoded before the clock starts: its cost is in benchmarks/message_latency.py).
Every phrasing is encoded by the shipped encoder, once: a generated base's ~100,000 phrasings
take about four minutes on two cores the first time, and are then read from
data/benchmark-cache/ (derived data, safe to delete).
"""

from __future__ import annotations

import statistics
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from benchmarks.knowledge_gen import SHIPPED_KNOWLEDGE, Query, generated_knowledge, make_queries
from bot.adapters.embeddings import Embeddings
from bot.adapters.encoder import Encoder
from bot.config import Matching
from bot.core.fusion import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.meaning import MeaningIndex
from bot.editing.knowledge_files import load_knowledge

QUERIES = 1000
WARM_UP = 200
# Naive scan subset per size: about 440 ms a message at 100,000 phrasings.
NAIVE_QUERIES = {0: 500, 1000: 200, 10000: 60}
# The generated bases' phrasing vectors: derived data, kept apart from the bot's own cache.
CACHE = Path(__file__).resolve().parent.parent / "data" / "benchmark-cache"


@dataclass
class Result:
    name: str
    entries: int
    phrasings: int
    load_s: float
    build_s: float
    p50_ms: float
    p99_ms: float
    naive_p50_ms: float
    naive_p99_ms: float
    agree: float
    top1: float
    naive_top1: float
    index_s: float
    meaning_p50_ms: float
    meaning_p99_ms: float
    meaning_top1: float
    story_p50_ms: float
    story_p99_ms: float


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(name: str, folder: Path, naive_count: int) -> Result:
    started = time.perf_counter()
    knowledge = load_knowledge(folder)
    loaded = time.perf_counter()
    matcher = Matcher(knowledge, Matching())
    built = time.perf_counter()

    for query in make_queries(knowledge, WARM_UP, seed=7):
        matcher.decide(query.text)
    queries = make_queries(knowledge, QUERIES, seed=1)
    times = []
    picks: list[str | None] = []
    for query in queries:
        start = time.perf_counter()
        decision = matcher.decide(query.text)
        times.append(time.perf_counter() - start)
        picks.append(decision.best.entry.id if decision.best else None)

    phrasings: list[str] = []
    owners: list[str] = []
    for entry in knowledge.entries.values():
        for text in entry.phrasings:
            phrasings.append(text)
            owners.append(entry.id)
    subset = _spread(queries, naive_count)
    process.extractOne("warm up", phrasings, scorer=fuzz.WRatio)
    naive_times = []
    naive_picks: list[str | None] = []
    for query in subset:
        start = time.perf_counter()
        found = process.extractOne(query.text, phrasings, scorer=fuzz.WRatio)
        naive_times.append(time.perf_counter() - start)
        naive_picks.append(owners[found[2]] if found else None)

    begun = time.perf_counter()
    index = _index(knowledge)
    index_s = time.perf_counter() - begun
    vectors = EMBEDDINGS.encode([q.text for q in queries])
    for query, row in zip(make_queries(knowledge, WARM_UP, seed=7), vectors, strict=False):
        decide(matcher, index, query.text, row[None, :])
    meaning_times = []
    meaning_picks: list[str | None] = []
    for query, row in zip(queries, vectors, strict=True):
        start = time.perf_counter()
        decision = decide(matcher, index, query.text, row[None, :])
        meaning_times.append(time.perf_counter() - start)
        meaning_picks.append(decision.best.entry.id if decision.best else None)
    # Two queries as one message of two sentences, read as the crisis check reads a story:
    # the mean of the sentences' vectors, then each sentence's.
    story_times = []
    for first, second, a, b in zip(queries, queries[1:], vectors, vectors[1:], strict=False):
        mean = (a + b) / np.linalg.norm(a + b)
        rows = np.vstack([mean, a, b])
        start = time.perf_counter()
        decide(matcher, index, f"{first.text}. {second.text}", rows)
        story_times.append(time.perf_counter() - start)

    index_of = {id(q): i for i, q in enumerate(queries)}
    ours = [picks[index_of[id(q)]] for q in subset]
    agree = statistics.fmean(a == b for a, b in zip(ours, naive_picks, strict=True))
    made = [(q, p) for q, p in zip(queries, picks, strict=True) if q.expected]
    naive_made = [(q, p) for q, p in zip(subset, naive_picks, strict=True) if q.expected]
    return Result(
        name=name,
        entries=len(knowledge.entries),
        phrasings=len(phrasings),
        load_s=loaded - started,
        build_s=built - loaded,
        p50_ms=percentile(times, 0.5) * 1e3,
        p99_ms=percentile(times, 0.99) * 1e3,
        naive_p50_ms=percentile(naive_times, 0.5) * 1e3,
        naive_p99_ms=percentile(naive_times, 0.99) * 1e3,
        agree=agree,
        top1=statistics.fmean(q.expected == p for q, p in made),
        naive_top1=statistics.fmean(q.expected == p for q, p in naive_made),
        index_s=index_s,
        meaning_p50_ms=percentile(meaning_times, 0.5) * 1e3,
        meaning_p99_ms=percentile(meaning_times, 0.99) * 1e3,
        story_p50_ms=percentile(story_times, 0.5) * 1e3,
        story_p99_ms=percentile(story_times, 0.99) * 1e3,
        meaning_top1=statistics.fmean(
            q.expected == p for q, p in zip(queries, meaning_picks, strict=True) if q.expected
        ),
    )


EMBEDDINGS = Embeddings(Encoder(), CACHE)


def _index(knowledge: KnowledgeBase) -> MeaningIndex:
    return MeaningIndex.build(knowledge, EMBEDDINGS)


def _spread(queries: list[Query], count: int) -> list[Query]:
    step = max(len(queries) // count, 1)
    return queries[::step][:count]


def table(results: list[Result]) -> str:
    header = (
        "| knowledge | entries | phrasings | load s | index s | p50 ms | p99 ms "
        "| naive p50 ms | naive p99 ms | x p50 | x p99 | agree | top-1 | naive top-1 "
        "| vectors s | + meaning p50 ms | + meaning p99 ms | + meaning top-1 "
        "| two sentences p50 ms | two sentences p99 ms |"
    )
    rows = [header, "|" + "---|" * 20]
    for r in results:
        rows.append(
            f"| {r.name} | {r.entries:,} | {r.phrasings:,} | {r.load_s:.2f} | {r.build_s:.2f} "
            f"| {r.p50_ms:.3f} | {r.p99_ms:.3f} | {r.naive_p50_ms:.2f} | {r.naive_p99_ms:.2f} "
            f"| {r.naive_p50_ms / r.p50_ms:.0f} | {r.naive_p99_ms / r.p99_ms:.0f} "
            f"| {r.agree:.0%} | {r.top1:.0%} | {r.naive_top1:.0%} "
            f"| {r.index_s:.2f} | {r.meaning_p50_ms:.3f} | {r.meaning_p99_ms:.3f} "
            f"| {r.meaning_top1:.0%} | {r.story_p50_ms:.3f} | {r.story_p99_ms:.3f} |"
        )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [0, 1000, 10000]
    results = []
    for size in sizes:
        context: AbstractContextManager[Path] = (
            nullcontext(SHIPPED_KNOWLEDGE) if size == 0 else generated_knowledge(size)
        )
        with context as folder:
            name = "shipped" if size == 0 else f"generated {size:,}"
            naive = NAIVE_QUERIES.get(size, 100)
            results.append(measure(name, folder, naive))
            print(f"done: {name}", file=sys.stderr, flush=True)
    print(
        f"{QUERIES} messages per knowledge base after {WARM_UP} warm-up messages; "
        "naive scan on a spread subset of them"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
