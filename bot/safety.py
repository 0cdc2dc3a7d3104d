"""Recognising a crisis in a message, before anything else looks at it.

Recall comes first: a false alarm costs a person one unneeded list of helplines, a miss could
cost far more. The patterns, the idioms that are not crises ("I'm dying to know") and the
words worth correcting for typos live in knowledge/crisis.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.knowledge import Crisis
from bot.text import fold

_CUTOFF = 0.8
_MIN_LENGTH = 5


@dataclass(frozen=True)
class Alarm:
    """Why a message was judged a crisis: the pattern and the words it matched."""

    pattern: str
    matched: str


class CrisisDetector:
    def __init__(self, crisis: Crisis) -> None:
        self._patterns = [re.compile(p) for p in crisis.patterns]
        self._idioms = [re.compile(p) for p in crisis.idioms]
        self._typo_words = sorted({fold(w) for w in crisis.typo_words})
        self._known = frozenset(self._typo_words)

    def check(self, text: str) -> Alarm | None:
        """The first crisis pattern the message matches, or None."""
        folded = self._corrected(fold(text))
        for idiom in self._idioms:
            folded = idiom.sub(" ", folded)
        for pattern in self._patterns:
            found = pattern.search(folded)
            if found:
                return Alarm(pattern.pattern, found.group(0))
        return None

    def _corrected(self, folded: str) -> str:
        if not self._typo_words:
            return folded
        out = []
        for word in folded.split():
            if len(word) >= _MIN_LENGTH and word not in self._known and word.isalpha():
                found = process.extractOne(
                    word, self._typo_words, scorer=OSA.normalized_similarity, score_cutoff=_CUTOFF
                )
                if found is not None:
                    word = str(found[0])
            out.append(word)
        return " ".join(out)
