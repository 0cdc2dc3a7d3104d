"""Whose question a message is: DIT's, or another therapy's.

Every fact the bot gives is about DIT. "How many sessions does CBT usually take" shares its
words and most of its meaning with the question about DIT's sessions, and used to be answered
with DIT's number; "how does EMDR work" with how DIT works. A message asks about another
therapy (`other_therapies` in knowledge/language.yaml) when:
- a question in it names that therapy: its last sentence, or any sentence ending in "?"
  ("my sister did CBT. how many sessions will I get?" asks about the writer's own therapy);
- it never names DIT (by a name or its synonyms, the plain name, or "DIT's");
- and nothing before the other therapy's first mention stands for DIT: "is it like CBT?",
  "is this CBT?", "is that the same as CBT?" ask about DIT, but in "how many sessions does
  CBT take? is it 12?" or "I start CBT this week" the "it" and "this" come after, and are not.
A message that compares the two names DIT, and is the matcher's ("what's the difference
between DIT and CBT" is a question the knowledge says it cannot answer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.knowledge import Language
from bot.core.text import fold

# Words that, before another therapy is named, stand for the one the person is asking about:
# "is it like CBT?", "is this CBT?", "is that the same as CBT?". Not "you" ("what homework do
# you get in CBT") nor "here" ("do you do EMDR here"), nor "that" alone ("I was told that CBT
# would help").
REFERRING_WORDS = ("it", "this", "this one", "is that")
# A sentence ends at . ! ? or ; before a space, or at a line break. Short sentences count
# ("How many sessions?"), unlike the crisis check's pieces (`bot.core.text.sentences`).
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


class Subjects:
    """Which therapy a message asks about, from the staff's lists of names."""

    def __init__(self, language: Language) -> None:
        names = [
            *language.names,
            *([language.plain_name] if language.plain_name else []),
            # The synonyms of a name ("dynamic interpersonal" for "dit").
            *(variant for name in language.names for variant in language.synonyms.get(name, ())),
        ]
        # "DIT's" folds to "dits".
        self._ours = _phrases([*names, *(f"{name}s" for name in language.names)])
        self._referring = _phrases(REFERRING_WORDS)
        self._others = _phrases(language.other_therapies)
        # The staff's own spelling of each ("CBT"), for the reply.
        self._spelled = {fold(other): other for other in language.other_therapies}

    def other_therapy(self, text: str) -> str | None:
        """The other therapy a message asks about, as the knowledge spells it; None when it
        asks about none, or about DIT."""
        if self._others is None:
            return None
        folded = fold(text)
        if self._ours is not None and self._ours.search(folded):
            return None
        first = self._others.search(folded)
        if first is None:
            return None
        if self._referring is not None and self._referring.search(folded[: first.start()]):
            return None
        for question in _questions(text):
            found = self._others.search(fold(question))
            if found:
                return self._spelled.get(found[0], found[0])
        return None


def _questions(text: str) -> list[str]:
    """The sentences that may hold the message's question: the last one, and every one that
    ends in a question mark."""
    parts = [p for p in _SENTENCE_END.split(text.strip()) if fold(p)]
    if not parts:
        return []
    return [*(p for p in parts[:-1] if p.rstrip().endswith("?")), parts[-1]]


def _phrases(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for whole folded phrases, the longest first."""
    folded = sorted({f for f in map(fold, phrases) if f}, key=len, reverse=True)
    if not folded:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in folded) + r")\b")
