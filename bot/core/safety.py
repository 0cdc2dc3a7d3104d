"""Recognising risk in a message, before anything else looks at it.

Two layers, both over the message as revealed by `text.reveal` (hidden characters, look-alike
letters, spaced-out and leet-speak words undone):

- **Patterns** (knowledge/crisis.yaml): precise, for wording staff have seen. Idioms ("I'm dying
  to know") are removed first and typos of distinctive words corrected.
- **Meaning** (`bot.core.risk`): the message, and each of its sentences, is compared with the
  labelled bank in knowledge/risk/, so that wording nobody wrote is still recognised.

A message is a crisis when either layer says so. The bank may set a pattern's alarm aside only
when it has seen enough crisis wording to know (500 examples or more), and only when nothing
else in the message is alarming: every sentence, including the one the pattern matched in
however short or late, scores under 0.5. Then a message that is about loss or the past gets
its answer with a pointer to support ("my brother died by suicide last year"), and one the bank
is all but unanimous about is answered as usual, but only where the pattern's own sentence
scores under VETO_BELOW too ("since my dad passed I keep wishing I was dead as well. Is DIT
just for grief?" is about grief as a whole, not in that sentence), and the pattern's own
clause, read alone, under 0.5 (a question after a comma made "stood at the edge of the cliff
deciding whether to jump" read safe as a whole). One that denies or dates
what was found where it was said, and scores little as a whole, is answered as usual ("I'm not
suicidal, just fed up").
A single sentence flagged by the bank counts unless that sentence itself denies or dates it;
one that says it is happening now ("tonight", "right now") needs less of the bank's vote, is
not lifted by a denial in it ("not going to lie, I've taken them all tonight"), and keeps a
pattern's alarm that the bank would outvote.

A pattern's words are also read in their own clause. Where every occurrence of every pattern
that matched is denied there ("no thoughts of self harm", "my GP asked if I'd thought of it and
I haven't"), placed long ago ("when I was a teenager I burnt myself"), or tells of someone
else's death or past ("my aunt took an overdose in the 80s and survived"), the pattern is set
aside and the bank judges the message as one without a pattern: a crisis if it says so (the
whole, or one sentence over SENTENCE_BAR); otherwise the past and other people's deaths get
their answer with a pointer to support, and a denial is answered as usual. Nothing is settled
when the message says anything recent ("again", "last night", "right now"), when a denial is a
condition ("if i don't hurt myself") or is hedged or turned ("not suicidal exactly, I just
wouldn't mind not waking up"), or when the harm was done to the writer ("he strangled me"). A
date or a loss elsewhere in a pattern's clause does not reach words of now or of what is to
come there ("bereaved by suicide last year and now im stood on the bridge", "sectioned years
back and im going to kill myself this weekend"): neither the past, the bank's reading of the
message as about loss, nor (for "now I ...") its all but unanimous vote sets them aside.

Recall comes first: a false alarm costs a person one unneeded list of helplines, a miss could
cost far more. If the meaning layer fails, the patterns still run and the failure is logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from bot.core import clauses
from bot.core.knowledge import Crisis
from bot.core.patterns import Alarm, CrisisPatterns
from bot.core.risk import SUPPORT_SHARE, Judgement, RiskClassifier
from bot.core.text import fold, sentences
from bot.core.vectors import Vectors

log = logging.getLogger(__name__)

# Up to this many words a message split into sentences is also encoded whole; a longer one's
# whole is the mean of its sentences (the encoder's cost grows with the square of the length).
WHOLE_WORDS = 25
# A pattern's alarm is set aside when the bank is all but unanimous that the message, and each
# of its sentences, is safe ("overdosed on box sets", "won't be around next month, I'm having a
# baby"). Chosen on the development sets; it kept every crisis in them.
OUTVOTED = 0.04
# The crisis vote a single sentence of a longer message needs (the whole message needs only the
# classifier's threshold). 0.85 rather than 0.9 on the development sets: four more crises
# caught (a stockpile, a wish for a bad scan result) for four more false alarms, two of which a
# dated next sentence and medication negatives in the bank then took back. Then 0.8 rather
# than 0.85, after crisis set 8 showed crises told in one sentence beside a question about DIT:
# on every case file eight more caught ("i want to cut so bad right now", "I've got everything
# I need to finish it tonight", a baby, a bleed) for four more false alarms ("I'd never kill
# myself, I've got my kids. But I don't enjoy anything any more"); 0.75 caught eight more for
# twelve more false alarms, not kept.
SENTENCE_BAR = 0.8
# A sentence that says it is happening now ("I've injected way more than usual tonight on
# purpose", "right now they're telling me to walk into traffic") needs less: beside a question
# about DIT such sentences scored 0.7 to 0.8. Chosen on the case files and crisis set 13 (0.6,
# 0.65, 0.7): at 0.7 four more crises caught for one more false alarm ("cutting my own hair
# tonight"); lower caught none more and cost another. Only words for this very moment count:
# "again" and "every night" made "I'll be on my own again" at the end of therapy a crisis, and
# a review's near misses ("sharpened the knives this morning for a dinner party", "a storyline
# on EastEnders at the moment") were false alarms with "today", "this morning" or "at the
# moment". Such a sentence also keeps a pattern's alarm that the bank would outvote
# ("swallowed the lot as we speak, what's DIT?" scored 0.00 as a whole).
NOW_BAR = 0.7
_NOW = re.compile(
    r"\b(?:tonight|tonite|2nite|right\s+now|rn|atm|as\s+we\s+speak|just\s+now|"
    r"mins?\s+ago|minutes\s+ago)\b"
)
# When the bank gives a whole message less crisis vote than this, a pattern in it that is
# negated or in the past ("not suicidal", "self-harmed years ago") is not taken for a crisis.
VETO_BELOW = 0.3

_LONG_RUNS = clauses.LONG_RUNS
# Every sentence, however short: to find the one a pattern matched in.
_ALL_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")


def says_now(text: str) -> bool:
    """Whether the text says it is happening at this very moment ("tonight", "right now")."""
    return bool(_NOW.search(fold(text)))


def sentence_bar(sentence: str) -> float:
    """The crisis vote one sentence of a longer message needs: less when it says it is now."""
    return _bar(says_now(sentence))


def _bar(now: bool) -> float:
    return NOW_BAR if now else SENTENCE_BAR


def _counts_alone(
    judged: Judgement, sentence: str, after: str, whole: Judgement, threshold: float
) -> bool:
    """Whether one sentence of a longer message is a crisis by itself (see `_verdict`): over
    its bar, and not denied or dated by itself or the sentence `after` it in a message the
    bank finds safe, unless it says it is happening now."""
    folded = fold(sentence)
    now = bool(_NOW.search(folded))
    if judged.crisis < max(threshold, _bar(now)):
        return False
    return (
        now
        or whole.crisis >= VETO_BELOW
        or not (clauses.SETTLED.search(folded) or clauses.DATED.search(fold(after)))
    )


class Level(StrEnum):
    NONE = "none"
    SUPPORT = "support"  # sensitive, not danger now: answer with a pointer to support
    CRISIS = "crisis"


@dataclass(frozen=True)
class Assessment:
    """The verdict on one message: its level, the crisis category, and what decided it."""

    level: Level
    category: str | None = None
    why: str = ""
    # The message's vectors as the encoder gave them (its whole, then each sentence), so the
    # matcher can read its meaning without encoding it again; None without the learned layer.
    vectors: Vectors | None = field(default=None, compare=False, repr=False)


NOTHING = Assessment(Level.NONE)


@dataclass(frozen=True)
class Meaning:
    """The learned layer: a classifier over the bank and the encoder for messages."""

    classifier: RiskClassifier
    encode: Callable[[Sequence[str]], Vectors]


class CrisisDetector:
    def __init__(
        self, crisis: Crisis, meaning: Meaning | None = None, words: Iterable[str] = ()
    ) -> None:
        self.patterns = CrisisPatterns(crisis, words)
        self.meaning = meaning

    def assess(self, text: str) -> Assessment:
        """The message's risk level: crisis, support or none (see the module's docstring)."""
        revealed = self.patterns.reveal(text)
        alarms = self.patterns.matches(revealed)
        # The sentence each pattern matched in is always judged, however short or late it is.
        marked = [s for s in (self._sentence_of(a, revealed) for a in alarms) if s is not None]
        judged = self._judge(revealed, marked)
        if judged is None:
            return Assessment(Level.CRISIS, None, alarms[0].pattern) if alarms else NOTHING
        whole, parts, alarm_parts, vectors = judged
        verdict = self._verdict(alarms, revealed, whole, parts, alarm_parts)
        return replace(verdict, vectors=vectors)

    def _verdict(
        self,
        alarms: list[Alarm],
        revealed: str,
        whole: Judgement,
        parts: list[tuple[Judgement, str]],
        alarm_parts: list[Judgement],
    ) -> Assessment:
        threshold = self.meaning.classifier.threshold if self.meaning else 1.0
        if whole.crisis >= threshold:
            return Assessment(Level.CRISIS, whole.category, f"like {whole.nearest!r}")
        # A sentence on its own has lost its context, so it must be clearer than a whole
        # message; one that itself denies or dates the risk, in a message the bank finds safe,
        # is set aside ("My partner's ex used to hit her. She is safe now.").
        # The next sentence may date it too ("My dad's suicide note blamed me. It was ten years
        # ago."), but not deny it: "Some days I hope the bus doesn't brake. I'm not going to do
        # anything" denies acting, not the wish. And a sentence out of context is set aside
        # when the bank reads the whole message as all but unanimously about loss or the past
        # ("lost my dad to suicide last spring. everyone says i should be over it by now").
        following = [s for _, s in parts[1:]] + [""] if parts else []
        about_loss = whole.crisis < OUTVOTED and whole.support >= SUPPORT_SHARE
        flagged = [
            j
            for (j, sentence), after in zip(parts, following, strict=True)
            if not about_loss and _counts_alone(j, sentence, after, whole, threshold)
        ]
        if flagged:
            top = max(flagged, key=lambda j: j.crisis)
            return Assessment(Level.CRISIS, top.category, f"like {top.nearest!r}")
        everything = [whole, *(j for j, _ in parts), *alarm_parts]
        quiet = all(j.crisis < 0.5 for j in everything[1:])
        if alarms and self._may_outvote():
            # Words denied, long past, or someone else's past where they were said: the bank
            # judges the message as it judges any without a pattern (it found nothing above).
            settled = self._settled(alarms, revealed)
            if settled is not None:
                support = max(everything, key=lambda j: j.support)
                if support.support >= SUPPORT_SHARE:
                    return Assessment(Level.SUPPORT, None, f"like {support.nearest!r}")
                if settled in (clauses.Settled.DENIED, clauses.Settled.MEDIA):
                    return NOTHING
                # A past of one's own, or someone else's death or past: answered with a pointer.
                return Assessment(Level.SUPPORT, None, f"{settled}: {alarms[0].pattern}")
        if alarms:
            # Where the patterns matched: their sentences, else the parts of the message that
            # hold them (a message without full stops is still split at "but tbh": "wanted to
            # ask about DIT but tbh I've already tied the cord to the banister" read 0.04 as a
            # whole, 0.45 in its part), else the whole of a one-sentence message.
            matched = (
                alarm_parts
                or [j for j, sentence in parts if self._holds(alarms, sentence)]
                or [whole]
            )
            if not self._may_outvote():
                return Assessment(Level.CRISIS, whole.category, alarms[0].pattern)
            # Denied or dated where it was said ("no thoughts of ending it"), with nothing
            # alarming anywhere else in the message.
            elsewhere_quiet = all(
                j.crisis < 0.5 for j, sentence in parts if not self._holds(alarms, sentence)
            )
            # About loss or the past, as a whole or where the patterns matched; and the bank
            # gives little crisis vote where they matched. A whole about loss does not settle
            # it: "since my dad passed I keep wishing I was dead as well" beside a question
            # about grief got 0.02 as a whole, 0.35 in its sentence. (The cost: "a friend
            # hanged himself", 0.44 in its sentence, gets the crisis reply.)
            about_support = [j for j in [whole, *matched] if j.support >= SUPPORT_SHARE]
            little = all(j.crisis < VETO_BELOW for j in matched)
            # Not when a pattern's own clause says now or what is to come ("bereaved by suicide
            # last year and now im stood on the bridge"), other than the word suicide itself.
            to_come = self._said_beside(alarms, revealed, clauses.NOT_PAST)
            if quiet and about_support and little and not to_come:
                return Assessment(Level.SUPPORT, None, f"like {about_support[0].nearest!r}")
            # Not when the words' own clause is recent ("started hurting myself again since
            # christmas, where no one sees"): a "no" elsewhere in the sentence does not date it.
            # Not a message about loss whose words' sentence scores too much for support (just
            # above): a review found "my dad died last year and I've been planning to take my
            # own life on his anniversary" set aside for the "last year" in its clause.
            if (
                elsewhere_quiet
                and (little or not about_support)
                and whole.crisis < VETO_BELOW
                and not any(self._said_at(a, revealed, clauses.RECENT) for a in alarms)
                and all(clauses.negated_or_past(a.matched, revealed) for a in alarms)
            ):
                return NOTHING
            # All but unanimous, where the patterns matched too: "I want to be dead too" after
            # a mother's death, beside a question about bereavement, got 0.04 as a whole but
            # 0.40 in its own sentence.
            if (
                quiet
                and whole.crisis < OUTVOTED
                and little
                and not self._said_beside(alarms, revealed, clauses.SAID_NOW)
                and not any(says_now(s) for s in self._alarm_sentences(alarms, revealed))
                and self._clauses_quiet(alarms, revealed)
            ):
                return NOTHING
            return Assessment(Level.CRISIS, whole.category, alarms[0].pattern)
        support = max(everything, key=lambda j: j.support)
        if support.support >= SUPPORT_SHARE:
            return Assessment(Level.SUPPORT, None, f"like {support.nearest!r}")
        return NOTHING

    def _settled(self, alarms: list[Alarm], revealed: str) -> clauses.Settled | None:
        """Whether every occurrence of every pattern that matched is settled by its own clause
        (denied, long past, or someone else's past), and how; None if any one is not."""
        whole = self.patterns.readable(revealed)
        recent = bool(clauses.RECENT.search(whole))
        pieces = [p for p in _ALL_SENTENCES.split(revealed) if p and p.strip()]
        readable = [self.patterns.readable(p) for p in pieces]
        how: set[clauses.Settled] = set()
        for alarm in alarms:
            pattern = self.patterns.compiled[alarm.pattern]
            seen = False
            for index, piece in enumerate(pieces):
                sentence = readable[index]
                following = readable[index + 1] if index + 1 < len(pieces) else ""
                in_sentence = clauses.all_hits(pattern, sentence)
                in_clauses = 0
                for clause in clauses.CLAUSE_END.split(piece):
                    if not clause or not clause.strip():
                        continue
                    text = self.patterns.readable(clause)
                    for hit in clauses.all_hits(pattern, text):
                        in_clauses += 1
                        reason = clauses.settled_by(text, hit, sentence, following, whole, recent)
                        if reason is None:
                            return None
                        how.add(reason)
                # A match across clauses cannot be judged by one of them.
                if len(in_sentence) > in_clauses:
                    return None
                seen = seen or in_clauses > 0
            if not seen:
                return None
        if not how:
            return None
        # The least settled reason speaks for the message.
        return min(how, key=list(clauses.Settled).index)

    def _said_at(self, alarm: Alarm, revealed: str, words: re.Pattern[str]) -> bool:
        """Whether a clause the pattern matched in has these words: recent ("again",
        "tonight"), or now or to come."""
        for piece in _ALL_SENTENCES.split(revealed):
            for clause in clauses.CLAUSE_END.split(piece or ""):
                if (
                    clause
                    and clause.strip()
                    and self._holds([alarm], clause)
                    and words.search(self.patterns.readable(clause))
                ):
                    return True
        return False

    def _said_beside(self, alarms: list[Alarm], revealed: str, words: re.Pattern[str]) -> bool:
        """Whether a clause a pattern matched in has these words, other than the word suicide
        (which a loss beside it speaks for)."""
        return any(
            self._said_at(a, revealed, words) for a in alarms if a.matched.strip() != "suicid"
        )

    def _may_outvote(self) -> bool:
        """Only a real bank may set a pattern's alarm aside (see RiskClassifier.can_outvote)."""
        return self.meaning is not None and self.meaning.classifier.can_outvote

    def check(self, text: str) -> Alarm | None:
        """The first crisis pattern the message matches, or None (the patterns alone)."""
        revealed = self.patterns.reveal(text)
        found = self.patterns.matches(revealed, first_only=True)
        return found[0] if found else None

    def _holds(self, alarms: list[Alarm], sentence: str) -> bool:
        """Whether a pattern matched in this sentence."""
        readable = self.patterns.readable(sentence)
        single = _LONG_RUNS.sub(r"\1", readable)
        return any(a.matched in readable or a.matched in single for a in alarms)

    def _clauses_quiet(self, alarms: list[Alarm], revealed: str) -> bool:
        """Whether the bank reads every clause a pattern matched in, on its own, as safe: a
        question beside it can make a whole sentence read safe ("stood at the edge of the
        cliff deciding whether to jump, can u tell me if therapy helps" scored 0.00)."""
        if self.meaning is None:
            return True
        pieces = [
            c.strip()
            for p in _ALL_SENTENCES.split(revealed)
            for c in re.split(r"[,;:]", p or "")
            if c and c.strip() and self._holds(alarms, c)
        ]
        if not pieces:
            return True
        judged = self.meaning.classifier.judge(self.meaning.encode(pieces))
        return all(j.crisis < 0.5 for j in judged)

    def _alarm_sentences(self, alarms: list[Alarm], revealed: str) -> list[str]:
        """The sentences of the message the patterns matched in (the whole, for one)."""
        pieces = [p for p in _ALL_SENTENCES.split(revealed) if p and p.strip()]
        return [p for p in pieces if self._holds(alarms, p)] or [revealed]

    def _sentence_of(self, alarm: Alarm, revealed: str) -> str | None:
        """The sentence of the message a pattern matched in, if it is not the whole message."""
        pieces = [p for p in _ALL_SENTENCES.split(revealed) if p and p.strip()]
        if len(pieces) < 2:
            return None
        for piece in pieces:
            if self._holds([alarm], piece):
                return piece.strip()
        return None

    def _judge(
        self, revealed: str, marked: list[str]
    ) -> tuple[Judgement, list[tuple[Judgement, str]], list[Judgement], Vectors] | None:
        """The bank's judgement of the whole message, of each of its sentences (with the
        sentence), and of each sentence a pattern matched in; then the vectors of the whole
        and of each sentence. None without a learned layer."""
        if self.meaning is None:
            return None
        parts = sentences(revealed)
        try:
            if not parts:
                vectors = self.meaning.encode([revealed, *marked])
            elif len(revealed.split()) <= WHOLE_WORDS:
                vectors = self.meaning.encode([revealed, *parts, *marked])
            else:
                # A long message is read as its sentences, and its whole as their mean:
                # encoding it again would double the cost and judges the project's cases no
                # better.
                encoded = self.meaning.encode([*parts, *marked])
                mean = encoded[: len(parts)].mean(axis=0)
                mean /= max(float(np.linalg.norm(mean)), 1e-9)
                vectors = np.vstack([mean[None, :], encoded])
            whole, *rest = self.meaning.classifier.judge(vectors)
            judged = list(zip(rest[: len(parts)], parts, strict=True))
            return whole, judged, rest[len(parts) :], vectors[: 1 + len(parts)]
        except Exception:
            # Never silent, never stuck: the patterns still decide.
            log.exception("the learned crisis check failed; using the patterns alone")
            return None
