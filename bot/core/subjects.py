"""Whose question a message is: DIT's, or another therapy's.

Every fact the bot gives is about DIT. "How many sessions does CBT usually take" shares its
words and most of its meaning with the question about DIT's sessions, and used to be answered
with DIT's number; "how does EMDR work" with how DIT works. A message that names another
therapy (`other_therapies` in knowledge/language.yaml) and nowhere refers to DIT, by one of its
names or as "it" or "this", asks about that therapy, and no answer about DIT fits it.

The other therapy must be named in the message's last sentence, where a story's question
usually is ("my sister did CBT. how many sessions will I get?" asks about the writer's own
therapy), and referring words count anywhere in the message ("my sister did CBT and said it
was all worksheets, how many sessions is it?"). A message that compares the two names DIT,
and is the matcher's ("what's the difference between DIT and CBT" is a question the
knowledge says it cannot answer).
"""

from __future__ import annotations

import re

from bot.core.knowledge import Language
from bot.core.text import fold, sentences

# Words that stand for the therapy the person is asking about: "is it like CBT?", "is this
# CBT?". Not "you" ("what homework do you get in CBT") nor "here" ("do you do EMDR here").
REFERRING_WORDS = ("it", "this", "that", "this one")


class Subjects:
    """Which therapy a message asks about, from the staff's lists of names."""

    def __init__(self, language: Language) -> None:
        ours = [*language.names, *([language.plain_name] if language.plain_name else [])]
        self._ours = _phrases([*ours, *REFERRING_WORDS])
        self._others = _phrases(language.other_therapies)

    def other_therapy(self, text: str) -> str | None:
        """The other therapy a message asks about, as the knowledge spells it: None when it
        names none, or also refers to DIT."""
        if self._others is None:
            return None
        if self._ours is not None and self._ours.search(fold(text)):
            return None
        last = (sentences(text) or [text])[-1]
        found = self._others.search(fold(last))
        return found[0] if found else None


def _phrases(phrases: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """One pattern for whole folded phrases, the longest first."""
    folded = sorted({fold(p) for p in phrases if fold(p)}, key=len, reverse=True)
    if not folded:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in folded) + r")\b")
