"""Recognising risk in a message, before anything else looks at it.

Two layers, both over the message as revealed by `bot.text.reveal` (hidden characters, look-alike
letters, spaced-out and leet-speak words undone):

- **Patterns** (knowledge/crisis.yaml): precise, for wording staff have seen. Idioms ("I'm dying
  to know") are removed first and typos of distinctive words corrected.
- **Meaning** (`bot.risk`): the message, and each of its sentences, is compared with the
  labelled bank in knowledge/risk/, so that wording nobody wrote is still recognised.

A message is a crisis when either layer says so, except where the bank's verdict on the whole
message outweighs a pattern or a single sentence: it is plainly about support rather than
danger now ("my brother died by suicide last year"); it negates or places in the past what was
found ("I'm not suicidal, just fed up") and the bank sees little risk in it; or the bank is all
but unanimous that it is safe ("I've overdosed on box sets this weekend").

Recall comes first: a false alarm costs a person one unneeded list of helplines, a miss could
cost far more. If the meaning layer fails, the patterns still run and the failure is logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import regex
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.encoder import Vectors
from bot.knowledge import Crisis
from bot.risk import SUPPORT_SHARE, Judgement, RiskClassifier
from bot.text import MAX_CHARACTERS, fold, reveal, sentences

log = logging.getLogger(__name__)

_CUTOFF = 0.8
_MIN_LENGTH = 5
# Up to this many words a message split into sentences is also encoded whole; a longer one's
# whole is the mean of its sentences (the encoder's cost grows with the square of the length).
WHOLE_WORDS = 25
# A pattern's alarm is set aside when the bank is all but unanimous that the message, and each
# of its sentences, is safe ("overdosed on box sets", "won't be around next month, I'm having a
# baby"). Chosen on the development sets; it kept every crisis in them.
OUTVOTED = 0.04
# The crisis vote a single sentence of a longer message needs (the whole message needs only the
# classifier's threshold).
SENTENCE_BAR = 0.9
# When the bank gives a whole message less crisis vote than this, a pattern in it that is
# negated or in the past ("not suicidal", "self-harmed years ago") is not taken for a crisis.
VETO_BELOW = 0.3

_LONG_RUNS = re.compile(r"([a-z])\1+")
# Words that deny or date what follows; only ever used to lift a pattern the bank disagrees with.
_NEGATED_OR_PAST = re.compile(
    r"\b(?:not|never|no|dont|didnt|wont|wouldnt|isnt|wasnt|nothing like|used to|years ago|"
    r"months ago|last year|when i was|as a (?:kid|child|teen|teenager)|in the past|"
    r"long time ago|back then|recovered|better place|doing (?:well|great|fine)|"
    r"(?:19|20)\d\d|much better|better now|free for|clean for|"
    r"film|movie|book|novel|show|series|episode|storyline|character|podcast|song|album|"
    r"news|article|documentary|holiday|appointment)\b"
)

# Narrower, for a whole message: an explicit denial, or risk placed well in the past.
_SETTLED = re.compile(
    r"\b(?:not (?:suicidal|going to|gonna|thinking|planning|in (?:any )?danger)|"
    r"no (?:plans?|thoughts?|urges?|intention|risk)|never (?:would|have|self)|"
    r"years ago|months ago|(?:19|20)\d\d|when i was|as a (?:kid|child|teen|teenager)|"
    r"used to|back then|in the past|long time ago|recovered|much better|better place|"
    r"free for|clean for)\b"
)


# Staff's patterns run with the `regex` module's timeout: no pattern may hold a message longer.
PATTERN_SECONDS = 0.05


def compile_bounded(pattern: str) -> regex.Pattern[str]:
    """A staff pattern, compiled by the `regex` module (same syntax as `re` here) so that each
    search can be given a timeout."""
    return regex.compile(pattern, regex.VERSION0)


class Level(StrEnum):
    NONE = "none"
    SUPPORT = "support"  # sensitive, not danger now: answer with a pointer to support
    CRISIS = "crisis"


@dataclass(frozen=True)
class Alarm:
    """Why a message was judged a crisis by a pattern: the pattern and the words it matched."""

    pattern: str
    matched: str


@dataclass(frozen=True)
class Assessment:
    """The verdict on one message: its level, the crisis category, and what decided it."""

    level: Level
    category: str | None = None
    why: str = ""


NOTHING = Assessment(Level.NONE)


@dataclass(frozen=True)
class Meaning:
    """The learned layer: a classifier over the bank and the encoder for messages."""

    classifier: RiskClassifier
    encode: Callable[[Sequence[str]], Vectors]


class CrisisDetector:
    def __init__(self, crisis: Crisis, meaning: Meaning | None = None) -> None:
        self._patterns = [compile_bounded(p) for p in crisis.patterns]
        self._idioms = [compile_bounded(p) for p in crisis.idioms]
        self._typo_words = sorted({fold(w) for w in crisis.typo_words})
        self._known = frozenset(self._typo_words)
        self.meaning = meaning

    def assess(self, text: str) -> Assessment:
        """The message's risk level: crisis, support or none (see the module's docstring)."""
        revealed = reveal(text[:MAX_CHARACTERS])
        alarm = self._match(revealed)
        judgements = self._judge(revealed)
        if not judgements:
            return Assessment(Level.CRISIS, None, alarm.pattern) if alarm else NOTHING
        whole, parts = judgements[0], judgements[1:]
        threshold = self.meaning.classifier.threshold if self.meaning else 1.0
        if whole.crisis >= threshold:
            return Assessment(Level.CRISIS, whole.category, f"like {whole.nearest!r}")
        support = max(judgements, key=lambda j: j.support)
        about_support = whole.support >= SUPPORT_SHARE and whole.crisis < VETO_BELOW
        # A sentence on its own has lost its context, so it must be clearer than a whole message,
        # and a message that as a whole is about bereavement or the past outweighs it.
        flagged = [j for j in parts if j.crisis >= max(threshold, SENTENCE_BAR)]
        # ...and so does a message that as a whole is safe and says the risk is denied or over.
        settled = whole.crisis < VETO_BELOW and bool(_SETTLED.search(fold(revealed)))
        if flagged and not (about_support or settled):
            top = max(flagged, key=lambda j: j.crisis)
            return Assessment(Level.CRISIS, top.category, f"like {top.nearest!r}")
        if (flagged and about_support) or (alarm is not None and support.support >= SUPPORT_SHARE):
            return Assessment(Level.SUPPORT, None, f"like {support.nearest!r}")
        if flagged and support.support >= SUPPORT_SHARE:
            return Assessment(Level.SUPPORT, None, f"like {support.nearest!r}")
        if alarm is not None:
            if self._outvoted(alarm, revealed, whole, parts):
                return NOTHING
            return Assessment(Level.CRISIS, whole.category, alarm.pattern)
        if support.support >= SUPPORT_SHARE:
            return Assessment(Level.SUPPORT, None, f"like {support.nearest!r}")
        return NOTHING

    def _outvoted(
        self, alarm: Alarm, revealed: str, whole: Judgement, parts: list[Judgement]
    ) -> bool:
        """Whether a real bank judges a pattern's match safe: negated or past and little vote,
        or all but no vote from the whole message and from each of its sentences."""
        if self.meaning is None or not self.meaning.classifier.can_outvote:
            return False
        if whole.crisis < VETO_BELOW and _negated_or_past(alarm, revealed):
            return True
        quiet = max((j.crisis for j in parts), default=0.0) < 0.5
        return whole.crisis < OUTVOTED and quiet

    def check(self, text: str) -> Alarm | None:
        """The first crisis pattern the message matches, or None (the patterns alone)."""
        return self._match(reveal(text[:MAX_CHARACTERS]))

    def _match(self, revealed: str) -> Alarm | None:
        folded = self._corrected(fold(revealed))
        for idiom in self._idioms:
            try:
                folded = idiom.sub(" ", folded, timeout=PATTERN_SECONDS)
            except TimeoutError:
                log.error("crisis idiom %r took too long and was skipped", idiom.pattern)
        # Letters held down are read both ways: "killl" as "kill", "diie" as "die".
        single = _LONG_RUNS.sub(r"\1", folded)
        for variant in (folded, single) if single != folded else (folded,):
            for pattern in self._patterns:
                try:
                    found = pattern.search(variant, timeout=PATTERN_SECONDS)
                except TimeoutError:
                    # A pattern that backtracks without end must not stall everyone: it is
                    # skipped (and `dit-bot check` refuses it), the other checks still run.
                    log.error("crisis pattern %r took too long and was skipped", pattern.pattern)
                    continue
                if found:
                    return Alarm(pattern.pattern, found.group(0))
        return None

    def _judge(self, revealed: str) -> list[Judgement]:
        """The bank's judgement of the whole message, then of each of its sentences."""
        if self.meaning is None:
            return []
        parts = sentences(revealed)
        try:
            if not parts:
                return self.meaning.classifier.judge(self.meaning.encode([revealed]))
            if len(revealed.split()) <= WHOLE_WORDS:
                return self.meaning.classifier.judge(self.meaning.encode([revealed, *parts]))
            # A long message is read as its sentences, and its whole as their mean: encoding it
            # again would double the cost, and judges the project's cases no better.
            vectors = self.meaning.encode(parts)
            whole = vectors.mean(axis=0)
            whole /= max(float(np.linalg.norm(whole)), 1e-9)
            return self.meaning.classifier.judge(np.vstack([whole[None, :], vectors]))
        except Exception:
            # Never silent, never stuck: the patterns have already run.
            log.exception("the learned crisis check failed; using the patterns alone")
            return []

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


def _negated_or_past(alarm: Alarm, revealed: str) -> bool:
    """Whether the sentence the pattern matched in also denies or dates it, outside the
    matched words themselves ("i'm not suicidal", "i self-harmed years ago")."""
    for sentence in [revealed, *sentences(revealed)][::-1]:
        folded = fold(sentence)
        if alarm.matched in folded:
            return bool(_NEGATED_OR_PAST.search(folded.replace(alarm.matched, " ")))
    return False
