"""Synthetic knowledge bases and realistic queries for the benchmarks.

A generated knowledge base is the shipped one (so its guides, messages, crisis patterns and
synonyms stay valid) plus generated entries up to the requested size. Each generated entry
recombines the phrasings of a shipped entry (its "template") with one or two topic words
drawn from a vocabulary of a few thousand real English words, with Zipf-like frequencies:
a few topic words are shared by hundreds of entries, most by a handful, and the template
words ("dit", "help", "session", "how") are in a large share of all phrasings, as they
would be in a network of clinics' FAQ. The vocabulary comes from the shipped knowledge and
the English prose of Python's own help topics (`pydoc_data`), so nothing is downloaded.

Queries are variants of phrasings (typos, extra words, dropped words), the evaluation
cases' messages, and unrelated messages.

    python -m benchmarks.knowledge_gen 1000 /tmp/kb1000   # write one to look at
"""

from __future__ import annotations

import random
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.text import STOP_WORDS, WILDCARD
from bot.editing.knowledge_files import load_knowledge

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_KNOWLEDGE = REPO_ROOT / "knowledge"
EVAL_CASES = REPO_ROOT / "tests" / "cases" / "eval.yaml"
PHRASINGS_PER_ENTRY = 10
ENTRIES_PER_FILE = 50

_WORD = re.compile(r"[a-z]+")
_FILLER_PREFIXES = (
    "hi",
    "hello",
    "hey there",
    "quick question",
    "sorry if this is silly but",
    "i was wondering",
    "my friend asked me",
    "ok so",
    "um",
    "can i ask",
)
_FILLER_SUFFIXES = (
    "?",
    "please",
    "thanks",
    "thank you",
    "for my sister",
    "at the moment",
    "if that makes sense",
    "lol",
    "tbh",
    "??",
)
_UNRELATED = (
    "what's the weather like in paris tomorrow",
    "who won the football last night",
    "can you recommend a good pizza place near me",
    "how do i reset my router password",
    "what time does the supermarket close on sunday",
    "my car is making a weird noise when i brake",
    "is it going to snow this weekend",
    "how many calories are in a banana",
    "what is the capital of australia",
    "can you book me a train ticket to leeds",
    "how do i change a flat tyre",
    "whats a good name for a cat",
    "tell me a joke",
    "how do you make pancakes",
    "where can i watch the new film",
)


@dataclass(frozen=True)
class Query:
    text: str
    # The entry the message was made from, when it was made from one.
    expected: str | None
    # "variant" of a phrasing, message of an evaluation "case", or "unrelated".
    kind: str


def vocabulary() -> list[str]:
    """A few thousand English words, most frequent first (the order gives the Zipf skew)."""
    texts: list[str] = []
    try:
        from pydoc_data.topics import topics

        texts.extend(topics.values())
    except ImportError:  # some distributions ship Python without its help topics
        pass
    for path in sorted(SHIPPED_KNOWLEDGE.rglob("*.yaml")):
        texts.append(path.read_text(encoding="utf-8"))
    counts = Counter(_WORD.findall(" ".join(texts).lower()))
    return [
        w
        for w, n in counts.most_common()
        if n >= 2 and 4 <= len(w) <= 12 and w not in STOP_WORDS and re.search("[aeiouy]", w)
    ]


def _templates(knowledge: KnowledgeBase) -> list[Entry]:
    return [e for e in knowledge.entries.values() if e.kind != "smalltalk"]


def _inject(phrasing: str, topic: list[str], rng: random.Random) -> str:
    """One phrasing of the template, made about the entry's topic words."""
    words = phrasing.lower().rstrip("?.!").split()
    joined = " ".join(topic)
    choice = rng.randrange(6)
    if WILDCARD in words or choice == 0:
        return f"{joined} {' '.join(words)}"
    if choice == 1:
        return f"{' '.join(words)} {joined}"
    if choice == 2:
        return f"{' '.join(words)} {rng.choice(('for', 'about', 'with', 'on'))} {joined}"
    if choice == 3:
        return f"{' '.join(words)} if i have {joined}"
    content = [i for i, w in enumerate(words) if w not in STOP_WORDS and w not in ("dit", "help")]
    if content:
        words[rng.choice(content)] = joined
        return " ".join(words)
    return f"{' '.join(words)} {joined}"


def _entries(
    knowledge: KnowledgeBase, count: int, words: list[str], rng: random.Random
) -> list[dict[str, object]]:
    templates = _templates(knowledge)
    weights = [1.0 / (rank + 5) for rank in range(len(words))]
    used: set[tuple[str, ...]] = set()
    made: list[dict[str, object]] = []
    while len(made) < count:
        template = rng.choice(templates)
        topic = rng.choices(words, weights, k=1 if rng.random() < 0.6 else 2)
        key = (template.id, *topic)
        if key in used or len(set(topic)) < len(topic):
            continue
        used.add(key)
        sources = list(template.phrasings)
        rng.shuffle(sources)
        while len(sources) < PHRASINGS_PER_ENTRY:
            sources.append(rng.choice(template.phrasings))
        phrasings = list(
            dict.fromkeys(_inject(p, topic, rng) for p in sources[:PHRASINGS_PER_ENTRY])
        )
        entry: dict[str, object] = {
            "id": f"gen-{len(made):05d}",
            "kind": template.kind,
            "question": phrasings[0],
            "alternates": phrasings[1:],
            "answer": f"{template.answer[:900]} (This entry is about {' '.join(topic)}.)",
        }
        if template.topic:
            entry["topic"] = template.topic
        if template.source:
            entry["source"] = template.source
        made.append(entry)
    return made


def write_knowledge(entries: int, destination: Path, seed: int = 0) -> Path:
    """A knowledge folder of `entries` entries in all (the shipped ones included)."""
    shutil.copytree(SHIPPED_KNOWLEDGE, destination, dirs_exist_ok=True)
    shipped = load_knowledge(SHIPPED_KNOWLEDGE)
    extra = max(entries - len(shipped.entries), 0)
    rng = random.Random(seed)
    made = _entries(shipped, extra, vocabulary(), rng)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    folder = destination / "entries" / "generated"
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(made), ENTRIES_PER_FILE):
        chunk = made[start : start + ENTRIES_PER_FILE]
        text = yaml.dump({"entries": chunk}, Dumper=dumper, sort_keys=False, width=1000)
        (folder / f"generated-{start // ENTRIES_PER_FILE:03d}.yaml").write_text(
            text, encoding="utf-8"
        )
    return destination


@contextmanager
def generated_knowledge(entries: int, seed: int = 0) -> Iterator[Path]:
    """A generated knowledge folder in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"dit-bench-{entries}-") as tmp:
        yield write_knowledge(entries, Path(tmp) / "knowledge", seed)


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # swapped letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # dropped letter
        return word[:i] + word[i + 1 :]
    if kind == 2:  # doubled letter
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiounrst") + word[i + 1 :]  # wrong letter


def variant(phrasing: str, rng: random.Random) -> str:
    """How a person might type a phrasing: typos, extra words, a word left out."""
    words = phrasing.replace(WILDCARD, rng.choice(("insomnia", "tinnitus", "ocd"))).split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if long_words and rng.random() < 0.5:
        i = rng.choice(long_words)
        words[i] = _typo(words[i], rng)
    stop = [i for i, w in enumerate(words) if w.lower() in STOP_WORDS]
    if stop and len(words) > 3 and rng.random() < 0.2:
        del words[rng.choice(stop)]
    if rng.random() < 0.35:
        words.insert(0, rng.choice(_FILLER_PREFIXES))
    if rng.random() < 0.35:
        words.append(rng.choice(_FILLER_SUFFIXES))
    if rng.random() < 0.15:
        words.append(rng.choice(("and", "also")) + " " + rng.choice(_UNRELATED))
    return " ".join(words)


def eval_messages() -> list[str]:
    cases = yaml.safe_load(EVAL_CASES.read_text(encoding="utf-8"))
    return [str(case["q"]) for case in cases]


def make_queries(knowledge: KnowledgeBase, count: int, seed: int = 1) -> list[Query]:
    """About 70% variants of phrasings, 15% evaluation messages, 15% unrelated messages."""
    rng = random.Random(seed)
    entries = list(knowledge.entries.values())
    cases = eval_messages()
    words = vocabulary()
    queries: list[Query] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.70:
            entry = rng.choice(entries)
            phrasing = rng.choice(entry.phrasings)
            queries.append(Query(variant(phrasing, rng), entry.id, "variant"))
        elif roll < 0.85:
            queries.append(Query(rng.choice(cases), None, "case"))
        elif rng.random() < 0.5:
            queries.append(Query(rng.choice(_UNRELATED), None, "unrelated"))
        else:
            text = " ".join(rng.choices(words[:3000], k=rng.randrange(3, 9)))
            queries.append(Query(text, None, "unrelated"))
    return queries


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m benchmarks.knowledge_gen ENTRIES FOLDER", file=sys.stderr)
        return 2
    destination = write_knowledge(int(argv[0]), Path(argv[1]))
    knowledge = load_knowledge(destination)
    phrasings = sum(len(e.phrasings) for e in knowledge.entries.values())
    print(f"{destination}: {len(knowledge.entries)} entries, {phrasings} phrasings")
    for query in make_queries(knowledge, 10):
        print(f"  [{query.kind}] {query.text!r} -> {query.expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
