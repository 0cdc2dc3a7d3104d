"""`dit-bot check` by meaning: phrasings of two entries that say the same thing, and entries
whose phrasings lean towards another entry. Warnings only, each at the file and line to open.

Wildcard phrasings ("can dit help with *") are left out: without their slot they say little,
and the slot is what tells them apart.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from bot.embeddings import Embeddings
from bot.knowledge import KnowledgeBase
from bot.knowledge_files import Problem
from bot.text import WILDCARD

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


def check_meaning(knowledge: KnowledgeBase, embeddings: Embeddings) -> list[Problem]:
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
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    owner = np.asarray(owners)
    same_entry = owner[:, None] == owner[None, :]
    return [
        *_same_meaning(knowledge, texts, owners, keys, np.where(same_entry, -1.0, similarity)),
        *_leaning(knowledge, texts, owners, keys, similarity, same_entry),
    ]


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
    across: np.ndarray,
) -> list[Problem]:
    found = []
    # Each pair once, reported at the later phrasing: the one more likely just added.
    for first, second in zip(*np.nonzero(np.triu(across >= SAME_MEANING)), strict=True):
        score = float(across[first, second])
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
    similarity: np.ndarray,
    same_entry: np.ndarray,
) -> list[Problem]:
    own = np.where(same_entry, similarity, -1.0).max(axis=1)
    elsewhere = np.where(same_entry, -1.0, similarity)
    nearest = elsewhere.argmax(axis=1)
    rows_of: dict[str, list[int]] = {}
    for row, entry_id in enumerate(owners):
        rows_of.setdefault(entry_id, []).append(row)
    found = []
    for entry_id, rows in rows_of.items():
        if len(rows) < MIN_PHRASINGS:
            continue
        strays = [r for r in rows if elsewhere[r, nearest[r]] > own[r]]
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
