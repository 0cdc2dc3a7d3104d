"""Entries and unit vectors made by hand, so that each branch of a rule on vectors is pinned."""

from __future__ import annotations

import numpy as np

from bot.core.knowledge import Entry
from bot.core.vectors import DIMENSIONS, Vectors


def unit(*weights: float) -> Vectors:
    """One row: the given leading components, the rest zero, scaled to length 1."""
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    vector[: len(weights)] = weights
    return (vector / np.linalg.norm(vector))[None, :]


def entry(
    entry_id: str, *phrasings: str, related: tuple[str, ...] = (), kind: str = "answer"
) -> Entry:
    """An entry whose first phrasing is its question and the rest its alternates."""
    return Entry(
        id=entry_id,
        topic="about",
        question=phrasings[0],
        alternates=phrasings[1:],
        answer=f"the answer of {entry_id}",
        related=related,
        source="a source",
        kind=kind,
    )
