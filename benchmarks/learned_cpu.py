"""Where the CPU of understanding one message goes: the encoder (tokenizer, onnxruntime), the
crisis classifier's vote over the bank, the matcher and the meaning index.

    .venv/bin/python -m benchmarks.learned_cpu [ROUNDS] [capacity|cases]

The messages: by default the 500 the capacity benchmark sends (benchmarks/bot_capacity.py,
mostly short questions), or with `cases` the project's case files (tests/cases/, longer, many
split into sentences). First the pipeline is run once as the engine runs it, recording which
texts the crisis check encodes for each message; then each part is timed on its own over all
messages, ROUNDS times (default 5), in turns, and the median per message is printed: CPU time
of the whole process (`time.process_time`: the encoder's worker threads count too) and wall
time. The machine is shared, so compare rows of one run, not runs. Last, the whole of it again
with several messages at once in worker threads, as the bot runs it, with the encoder's own
pool of two threads for a message of several texts and without it.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from benchmarks.knowledge_gen import SHIPPED_KNOWLEDGE, make_queries
from bot.bootstrap import build_engine
from bot.config import Config
from bot.core.fusion import decide
from bot.core.meaning import second_opinion
from bot.core.vectors import Vectors
from bot.editing.knowledge_files import load_knowledge

REPO_ROOT = Path(__file__).resolve().parent.parent
# asyncio.to_thread's default on two cores: min(32, cores + 4).
THREADS = 6


def capacity_messages() -> list[str]:
    return [q.text for q in make_queries(load_knowledge(SHIPPED_KNOWLEDGE), 500, seed=5)]


def case_messages() -> list[str]:
    paths = sorted((REPO_ROOT / "tests/cases").glob("*.yaml"))
    return [str(c["q"]) for p in paths for c in yaml.safe_load(p.read_text("utf-8"))]


def main(argv: list[str]) -> int:
    rounds = int(argv[0]) if argv else 5
    which = argv[1] if len(argv) > 1 else "capacity"
    messages = case_messages() if which == "cases" else capacity_messages()
    engine = build_engine(Config(knowledge_dir=REPO_ROOT / "knowledge"))
    library = engine.library
    detector, matcher, index = library.detector, library.matcher, library.meaning
    assert detector.meaning is not None and index is not None and library.embeddings is not None
    meaning = detector.meaning
    encoder = library.embeddings.encoder
    classifier = meaning.classifier
    tokenizer, session = encoder._tokenizer, encoder._session

    # One pass as the engine runs it, recording what is encoded per message.
    calls: list[list[str]] = []

    def recording(texts: list[str]) -> Vectors:
        calls[-1].extend(texts)
        return meaning.encode(texts)

    detector.meaning = replace(meaning, encode=recording)
    vectors: list[Vectors] = []
    for text in messages:
        calls.append([])
        risk = detector.assess(text)
        assert risk.vectors is not None
        vectors.append(risk.vectors)
    detector.meaning = meaning
    texts = [t for call in calls for t in call]
    distinct = sum(len(set(call)) for call in calls)
    feeds = []
    for text in texts:
        enc = tokenizer.encode(text.encode("utf-8", "replace").decode("utf-8"))
        ids = np.asarray([enc.ids], dtype=np.int64)
        feeds.append({"input_ids": ids, "attention_mask": np.ones_like(ids)})
    tokens = [f["input_ids"].shape[1] for f in feeds]
    n = len(messages)
    print(f"{n} messages ({which}); {len(texts)} texts encoded, {len(texts) / n:.2f} a message")
    print(
        f"  distinct within their message: {distinct} ({len(texts) - distinct} repeats); "
        f"messages with more than one text: {sum(len(c) > 1 for c in calls)}"
    )
    print(
        f"  tokens a text: mean {statistics.fmean(tokens):.1f}, median "
        f"{statistics.median(tokens)}, max {max(tokens)}; a message: "
        f"{sum(tokens) / n:.1f}"
    )
    judged = [classifier.judge(v) for v in vectors]
    decisions = [matcher.decide(t) for t in messages]
    bank = classifier._vectors

    def everything() -> None:
        for text in messages:
            risk = detector.assess(text)
            decide(matcher, index, text, risk.vectors)

    def patterns_only() -> None:
        detector.meaning = None
        try:
            for text in messages:
                detector.assess(text)
        finally:
            detector.meaning = meaning

    def encode_as_called() -> None:
        for call in calls:
            meaning.encode(call)

    def encode_serial() -> None:
        for text in texts:
            encoder._encode_one(text)

    def tokenize() -> None:
        for text in texts:
            tokenizer.encode(text)

    def run() -> None:
        for feed in feeds:
            session.run(None, feed)

    def judge() -> None:
        for v in vectors:
            classifier.judge(v)

    def bank_product() -> None:
        for v in vectors:
            _ = (bank @ v.T).T

    def transposed_product() -> None:
        for v in vectors:
            _ = v @ bank.T

    def vote() -> None:
        for v in vectors:
            for row in (bank @ v.T).T:
                classifier._vote(row)

    def match() -> None:
        for text in messages:
            matcher.decide(text)

    def opinion() -> None:
        for decision, v in zip(decisions, vectors, strict=True):
            second_opinion(decision, index, v)

    parts: list[tuple[str, Callable[[], None], int]] = [
        ("everything (assess + decide: words, second opinion, fusion)", everything, n),
        ("crisis patterns, reveal, sentences (no meaning)", patterns_only, n),
        ("encoder as called (pool for 2+ texts)", encode_as_called, n),
        ("encoder, every text (repeats too) in this thread", encode_serial, n),
        ("  tokenizer", tokenize, n),
        ("  onnxruntime session.run", run, n),
        ("classifier.judge", judge, n),
        ("  product: bank @ message.T (as judged)", bank_product, n),
        ("  product: message @ bank.T (before: same bits)", transposed_product, n),
        ("  product + votes", vote, n),
        ("matcher.decide", match, n),
        ("second_opinion (meaning index)", opinion, n),
    ]
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in parts}
    wall: dict[str, list[float]] = {name: [] for name, _, _ in parts}
    for _ in range(rounds + 1):  # the first round warms up
        for name, work, count in parts:
            c, w = time.process_time(), time.perf_counter()
            work()
            cpu[name].append((time.process_time() - c) * 1000 / count)
            wall[name].append((time.perf_counter() - w) * 1000 / count)
    print(f"\nper message, median of {rounds} rounds, ms")
    print("| part | CPU | wall |")
    print("|---|---|---|")
    for name, _, _ in parts:
        c, w = statistics.median(cpu[name][1:]), statistics.median(wall[name][1:])
        print(f"| {name} | {c:.3f} | {w:.3f} |")

    # As the bot runs it: several messages at once in worker threads (asyncio.to_thread), the
    # encoder's own pool of two threads for a message of several texts, or not.
    def serial(texts: list[str]) -> Vectors:
        distinct = list(dict.fromkeys(texts))
        rows = np.vstack([encoder._encode_one(t) for t in distinct])
        return rows[[distinct.index(t) for t in texts]]

    def one(text: str) -> None:
        risk = detector.assess(text)
        decide(matcher, index, text, risk.vectors)

    print(f"\nconcurrent: {THREADS} threads, per message, median of {rounds} rounds, ms")
    print("| encoder | CPU | wall / messages |")
    print("|---|---|---|")
    together: dict[str, tuple[list[float], list[float]]] = {"pool": ([], []), "serial": ([], [])}
    with ThreadPoolExecutor(THREADS) as threads:
        for _ in range(rounds + 1):
            for name, (c_list, w_list) in together.items():
                if name == "serial":
                    encoder.encode = serial  # type: ignore[method-assign]
                c, w = time.process_time(), time.perf_counter()
                list(threads.map(one, messages))
                c_list.append((time.process_time() - c) * 1000 / n)
                w_list.append((time.perf_counter() - w) * 1000 / n)
                vars(encoder).pop("encode", None)
    for name, (c_list, w_list) in together.items():
        c, w = statistics.median(c_list[1:]), statistics.median(w_list[1:])
        print(f"| {name} | {c:.3f} | {w:.3f} |")
    per_token = statistics.median(cpu["  onnxruntime session.run"][1:]) * n / sum(tokens)
    per_text = statistics.median(cpu["  onnxruntime session.run"][1:]) * n / len(texts)
    print(f"\nonnxruntime: {per_text:.3f} ms a text, {per_token * 1000:.1f} us a token (mean)")
    assert len(judged) == n
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
