"""Unanswered questions grouped by meaning for `dit-bot report`, each group with its nearest entry.

The questions are encoded in memory only (never into the vector cache: they are people's
words). Most frequent first, each question joins the group whose first question is nearest in
meaning, if near enough, or starts a group: one vector product per question against the
groups so far. A group's nearest entry is found in the phrasings' index; when meaning is
confident about it, as the bot itself would be (`bot.core.meaning.Rule`), the report suggests the
question as an `alternates` line for that entry. It is printed for staff to judge, never
written into the knowledge files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.knowledge import Entry
from bot.core.meaning import RULE, MeaningIndex, Rule
from bot.core.vectors import DIMENSIONS, Vectors

# Two questions belong together at this cosine similarity. Rewordings of one question measure
# 0.83-0.90 with the shipped encoder ("how much does DIT cost", "what is the price of DIT"),
# different questions on one subject 0.64-0.76 ("is dit free", "how much do I have to pay").
SAME_QUESTION = 0.8


@dataclass(frozen=True)
class Reader:
    """What the report needs to read meaning: the phrasings' index and the encoder."""

    index: MeaningIndex
    encode: Callable[[Sequence[str]], Vectors]
    rule: Rule = RULE


@dataclass(frozen=True)
class Nearest:
    entry: Entry
    similarity: float
    confident: bool


def group_by_meaning(
    texts: Sequence[str], vectors: Vectors, threshold: float = SAME_QUESTION
) -> list[list[int]]:
    """Indexes of `texts` (one row of `vectors` each) in groups, biggest group first.

    Identical texts go together first; then, most frequent first, each joins the group whose
    first text is nearest at or above `threshold`, or starts one."""
    same: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        same[" ".join(text.lower().split())].append(index)
    ordered = sorted(same.values(), key=lambda members: (-len(members), members[0]))
    leaders = np.zeros((len(ordered), DIMENSIONS), dtype=np.float32)
    groups: list[list[int]] = []
    for members in ordered:
        vector = vectors[members[0]]
        if groups:
            similarity = leaders[: len(groups)] @ vector
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                groups[best].extend(members)
                continue
        leaders[len(groups)] = vector
        groups.append(list(members))
    return sorted(groups, key=lambda group: (-len(group), min(group)))


def nearest_entry(reader: Reader, vector: Vectors) -> Nearest | None:
    """The entry nearest in meaning, and whether meaning is confident it is the one."""
    index = reader.index
    found = index.rank(vector[None, :], 2 + index.most_related)
    if not found:
        return None
    top = found[0]
    rivals = [n for n in found[1:] if n.entry.id not in top.entry.related]
    rivals = [n for n in rivals if top.entry.id not in n.entry.related]
    lead = top.similarity - (rivals[0].similarity if rivals else 0.0)
    confident = top.similarity >= reader.rule.confident and lead >= reader.rule.gap
    return Nearest(top.entry, top.similarity, confident)
