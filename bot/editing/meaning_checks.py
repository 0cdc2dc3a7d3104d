"""`dit-bot check` by meaning: phrasings of two entries that say the same thing, and entries
whose phrasings lean towards another entry. Warnings only, each at the file and line to open.

Wildcard phrasings ("can dit help with *") are left out: without their slot they say little,
and the slot is what tells them apart.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from bot.core.knowledge import KnowledgeBase
from bot.core.text import WILDCARD
from bot.core.vectors import Embedder
from bot.editing.yaml_reading import Problem

# Cosine similarity at which two phrasings mean the same to the encoder. On the shipped
# knowledge 0.95 names a handful of pairs a reader agrees are one question ("What is DIT?" and
# "what does dit mean"); at 0.9 it was twenty, many only about DIT in general.
SAME_MEANING = 0.95
# The share of an entry's phrasings that, nearer to one other entry than to the rest of their
# own, make the entry worth a look. A few strays are normal (a quarter of the shipped
# phrasings have a nearer neighbour elsewhere); a third towards one entry named one pair on the
# shipped knowledge, two entries that do overlap (session numbers and time limits).
LEANING = 1 / 3
# An entry needs this many phrasings for a share of them to mean anything.
MIN_PHRASINGS = 3

_Key = tuple[str | int, ...]


def check_meaning(knowledge: KnowledgeBase, embeddings: Embedder) -> list[Problem]:
    """Both checks of the module's docstring on one knowledge base."""
    owners: list[str] = []
    texts: list[str] = []
    keys: list[_Key] = []
    for entry in knowledge.entries.values():
        found: list[tuple[str, _Key]] = [(entry.question, ("entry", entry.id, "question"))]
        found += [(t, ("entry", entry.id, "alternates", i)) for i, t in enumerate(entry.alternates)]
        for text, key in found:
            if WILDCARD not in text:
                owners.append(entry.id)
                texts.append(text)
                keys.append(key)
    if len(texts) < 2:
        return []
    vectors = embeddings.embed(texts)
    embeddings.save()
    codes = np.unique(np.asarray(owners), return_inverse=True)[1]
    size = len(texts)
    own = np.full(size, -1.0, dtype=np.float32)  # nearest phrasing of the same entry
    elsewhere = np.full(size, -1.0, dtype=np.float32)  # nearest of any other entry
    nearest = np.zeros(size, dtype=np.intp)
    twins: list[tuple[int, int, float]] = []
    # Block by block, so that a large knowledge base never holds all pairs in memory at once.
    for start in range(0, size, _BLOCK):
        rows = np.arange(start, min(start + _BLOCK, size))
        similarity = vectors[rows] @ vectors.T
        similarity[np.arange(len(rows)), rows] = -1.0
        same = codes[rows][:, None] == codes[None, :]
        own[rows] = np.where(same, similarity, -1.0).max(axis=1)
        across = np.where(same, -1.0, similarity)
        nearest[rows] = across.argmax(axis=1)
        elsewhere[rows] = across[np.arange(len(rows)), nearest[rows]]
        hits, others = np.nonzero(across >= SAME_MEANING)
        twins += [
            (int(rows[h]), int(o), float(across[h, o]))
            for h, o in zip(hits, others, strict=True)
            if rows[h] < o
        ]
    return [
        *_same_meaning(knowledge, texts, owners, keys, twins),
        *_leaning(knowledge, texts, owners, keys, (own, elsewhere, nearest)),
    ]


_BLOCK = 512


def _where(knowledge: KnowledgeBase, key: _Key, message: str) -> Problem:
    file, line = knowledge.where(*key)
    return Problem(file, line, message, "warning")


def _what(key: _Key, text: str) -> str:
    return f"question {text!r}" if key[2] == "question" else f"alternate {text!r}"


def _same_meaning(
    knowledge: KnowledgeBase,
    texts: list[str],
    owners: list[str],
    keys: list[_Key],
    twins: list[tuple[int, int, float]],
) -> list[Problem]:
    found = []
    # Each pair once, reported at the later phrasing: the one more likely just added.
    for first, second, score in twins:
        file, line = knowledge.where(*keys[first])
        found.append(
            _where(
                knowledge,
                keys[second],
                f"{_what(keys[second], texts[second])} of entry {owners[second]} means nearly "
                f"the same as {_what(keys[first], texts[first])} of entry {owners[first]} "
                f"({file}:{line}; {score:.2f}): a message like them may get either answer",
            )
        )
    return found


def _leaning(
    knowledge: KnowledgeBase,
    texts: list[str],
    owners: list[str],
    keys: list[_Key],
    neighbours: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> list[Problem]:
    own, elsewhere, nearest = neighbours
    rows_of: dict[str, list[int]] = {}
    for row, entry_id in enumerate(owners):
        rows_of.setdefault(entry_id, []).append(row)
    found = []
    for entry_id, rows in rows_of.items():
        if len(rows) < MIN_PHRASINGS:
            continue
        strays = [r for r in rows if elsewhere[r] > own[r]]
        towards = Counter(owners[nearest[r]] for r in strays)
        if not towards:
            continue
        other, count = towards.most_common(1)[0]
        if count < LEANING * len(rows):
            continue
        example = next(r for r in strays if owners[nearest[r]] == other)
        found.append(
            _where(
                knowledge,
                ("entry", entry_id, "question"),
                f"entry {entry_id}: {count} of its {len(rows)} phrasings are closer in meaning "
                f"to entry {other} than to the rest of {entry_id} (such as {texts[example]!r}, "
                f"nearest {texts[nearest[example]]!r}); merge them, or reword so each says "
                "what sets it apart",
            )
        )
    return found
