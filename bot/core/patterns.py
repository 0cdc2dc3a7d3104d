"""Staff's crisis patterns (knowledge/crisis.yaml) read over a message: idioms removed first,
distinctive words' typos corrected, letters held down read both ways, every search bounded
in time so that no pattern can stall the bot."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import regex
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core import clauses
from bot.core.knowledge import Crisis
from bot.core.text import MAX_CHARACTERS, fold, reveal

log = logging.getLogger(__name__)

# A typo is corrected to a distinctive word this similar (OSA, normalised), at this length.
_CUTOFF = 0.8
_MIN_LENGTH = 5
_LONG_RUNS = clauses.LONG_RUNS

# Staff's patterns run with the `regex` module's timeout: no pattern may hold a message longer.
# `dit-bot check` refuses a pattern that needs half of it on a long message.
PATTERN_SECONDS = clauses.PATTERN_SECONDS


# The timeout is in wall time, so a busy machine (other threads holding the GIL) can run a
# sound pattern out of it: it is tried once more with this much longer bound before the bot
# gives up on it. `dit-bot check` and the reloader refuse patterns that are slow in themselves.
PATTERN_SECONDS_LOADED = 10 * PATTERN_SECONDS
_OUT_OF_TIME = object()


def search_bounded(pattern: regex.Pattern[str], text: str) -> regex.Match[str] | object | None:
    """The pattern's first match, None, or `_OUT_OF_TIME` when even the longer bound ran out:
    then the message is taken for a crisis (a needless helpline list costs little; a crisis
    read as nothing could cost a life)."""
    for seconds in (PATTERN_SECONDS, PATTERN_SECONDS_LOADED):
        try:
            return pattern.search(text, timeout=seconds)
        except TimeoutError:
            log.warning("crisis pattern %r ran out of %.2f s", pattern.pattern, seconds)
    log.error("crisis pattern %r ran out of time twice; taken as a match", pattern.pattern)
    return _OUT_OF_TIME


def compile_bounded(pattern: str) -> regex.Pattern[str]:
    """A staff pattern, compiled by the `regex` module (same syntax as `re` here) so that each
    search can be given a timeout."""
    return regex.compile(pattern, regex.VERSION0)


@dataclass(frozen=True)
class Alarm:
    """Why a message was judged a crisis by a pattern: the pattern and the words it matched."""

    pattern: str
    matched: str


class CrisisPatterns:
    """One crisis file's patterns, idioms and typo words, compiled once."""

    def __init__(self, crisis: Crisis, words: Iterable[str] = ()) -> None:
        self._patterns = [compile_bounded(p) for p in crisis.patterns]
        self.compiled = {p.pattern: p for p in self._patterns}
        self._idioms = [compile_bounded(p) for p in crisis.idioms]
        self._typo_words = sorted({fold(w) for w in crisis.typo_words})
        self._known = frozenset(self._typo_words)
        # Words that letters spaced out across several words are split back into.
        vocabulary = {w for text in (*crisis.examples, *words) for w in fold(text).split()}
        self._vocabulary = frozenset(w for w in vocabulary | self._known if len(w) > 1 or w in "ai")

    def reveal(self, text: str) -> str:
        """The message's beginning as `text.reveal` undoes hidden and disguised letters."""
        return reveal(text[:MAX_CHARACTERS], self._vocabulary)

    def matches(self, revealed: str, first_only: bool = False) -> list[Alarm]:
        """Every pattern that matches (its first match), in the file's order."""
        folded = self.readable(revealed)
        # Letters held down are read both ways: "killl" as "kill", "diie" as "die".
        single = _LONG_RUNS.sub(r"\1", folded)
        found: list[Alarm] = []
        for pattern in self._patterns:
            for variant in (folded, single) if single != folded else (folded,):
                hit = search_bounded(pattern, variant)
                if hit is _OUT_OF_TIME:
                    # Never read as "no crisis": the whole text stands for what was matched,
                    # so that nothing in it can set the alarm aside either.
                    found.append(Alarm(pattern.pattern, variant))
                    break
                if isinstance(hit, regex.Match):
                    found.append(Alarm(pattern.pattern, hit.group(0)))
                    break
            if found and first_only:
                break
        return found

    def readable(self, text: str) -> str:
        """Folded, typos corrected, idioms removed: what the patterns read."""
        folded = self._corrected(fold(text))
        for idiom in self._idioms:
            try:
                folded = idiom.sub(" ", folded, timeout=PATTERN_SECONDS)
            except TimeoutError:
                log.error("crisis idiom %r took too long and was skipped", idiom.pattern)
        return folded

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
