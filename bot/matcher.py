"""Finding the entry a message asks about, and deciding whether to answer, ask back or abstain.

Every phrasing of every entry (its question and alternates) is analysed once per knowledge load
into weighted terms. A message is scored against the phrasings that share a term with it,
through an inverted index, so the cost follows the message, not the size of the knowledge base.

A phrasing's score is a recall-leaning F-measure of two weighted coverages:
  recall     how much of the phrasing the message contains (did they ask *this*?)
  precision  how much of the message the phrasing explains (did they ask something *else*?)
Terms weigh by rarity across entries, so "bereavement" counts for more than "help". Words
the knowledge base never uses weigh as much as its rarest words: "how many *minutes* is each
session" must not be answered as "how many sessions". A `*` in a phrasing stands for such
unknown words ("can dit help with *"), which is how questions about conditions the
overview does not list find the honest answer.
Long messages are also scored sentence by sentence, so a question buried in a story is found.
"""

from __future__ import annotations

import copy
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.config import Matching
from bot.knowledge import Entry, KnowledgeBase
from bot.text import WILDCARD, Analyzer

# Weight of recall against precision: people add context, so unexplained words cost less
# than a missing part of the question.
BETA = 1.5
SMALLTALK_BETA = 0.75
# A wildcard stands for unknown words less surely than a spelled-out word does.
WILDCARD_DISCOUNT = 0.9
WILDCARD_EXPONENT = 3
_SENTENCES = re.compile(r"[.?!;:\n]+|\s[-\u2013\u2014]\s|,\s*(?:but|and|so)\s")


class Outcome(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    FALLBACK = "fallback"


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    phrasing: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    text: str
    terms: frozenset[str]
    weight: float
    wildcard: bool
    smalltalk: bool


@dataclass(frozen=True)
class _Segment:
    """Terms of a message, or of one of its sentences, and how far to trust a match on them.

    Small talk ("thanks, that helps") is matched on terms that keep the fillers the other
    entries ignore.
    """

    terms: list[str]
    sentence: bool
    share: float = 1.0
    smalltalk: bool = False


class Matcher:
    """An index over one knowledge base. Immutable: a reload builds a new one."""

    def __init__(self, knowledge: KnowledgeBase, settings: Matching) -> None:
        self.settings = settings
        self._entries: list[Entry] = list(knowledge.entries.values())
        language = knowledge.language
        self.analyzer = Analyzer(
            language.synonyms,
            language.filler_words,
            (text for entry in self._entries for text in entry.phrasings),
        )
        analysed: list[tuple[int, str, list[str]]] = []
        document_frequency: dict[str, int] = defaultdict(int)
        for index, entry in enumerate(self._entries):
            entry_terms: set[str] = set()
            for text in entry.phrasings:
                terms = self.analyzer.first_terms(text, 1 if entry.kind == "smalltalk" else 0)
                analysed.append((index, text, terms))
                entry_terms.update(terms)
            for term in entry_terms - {WILDCARD}:
                document_frequency[term] += 1

        count = max(len(self._entries), 1)
        self._idf = {t: math.log(1 + count / df) for t, df in document_frequency.items()}
        self._unknown_weight = math.log(1 + count)
        # Two rare words' worth: a sentence carrying less is weak evidence on its own.
        self._informative_mass = 2 * self._unknown_weight
        # Words only small talk uses ("bye", "thanks"), never a question about DIT.
        said_by = {kind: set[str]() for kind in ("smalltalk", "other")}
        for index, _, terms in analysed:
            kind = "smalltalk" if self._entries[index].kind == "smalltalk" else "other"
            said_by[kind].update(terms)
        self._chat = frozenset(said_by["smalltalk"] - said_by["other"])
        self._phrasings: list[_Phrasing] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        for index, text, terms in analysed:
            plain = frozenset(terms) - {WILDCARD}
            if not plain:
                continue
            position = len(self._phrasings)
            self._phrasings.append(
                _Phrasing(
                    entry_index=index,
                    text=text,
                    terms=plain,
                    weight=sum(self._idf[t] for t in plain),
                    wildcard=WILDCARD in terms,
                    smalltalk=self._entries[index].kind == "smalltalk",
                )
            )
            for term in plain:
                self._postings[term].append(position)

    def with_settings(self, settings: Matching) -> Matcher:
        """The same index deciding with other thresholds (for the sweep)."""
        twin = copy.copy(self)
        twin.settings = settings
        return twin

    @property
    def size(self) -> int:
        """How many phrasings the index holds."""
        return len(self._phrasings)

    def weight(self, term: str) -> float:
        return self._idf.get(term, self._unknown_weight)

    def is_known(self, term: str) -> bool:
        return term in self._idf

    def rank(self, text: str, limit: int = 5) -> list[Candidate]:
        """The best entries for a message, best first, at most one candidate per entry."""
        best: dict[int, tuple[float, str]] = {}
        for segment in self._segments(text):
            for position, score in self._score(segment):
                phrasing = self._phrasings[position]
                if score > best.get(phrasing.entry_index, (0.0, ""))[0]:
                    best[phrasing.entry_index] = (score, phrasing.text)
        ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        return [
            Candidate(self._entries[index], round(score, 4), phrasing)
            for index, (score, phrasing) in ordered[:limit]
        ]

    def _mass(self, terms: list[str]) -> float:
        return sum(self.weight(t) for t in terms)

    def decide(self, text: str, candidates: Sequence[Candidate] | None = None) -> Decision:
        """Answer when one entry is confident and clearly ahead; ask back when a few are close."""
        s = self.settings
        ranked = list(candidates) if candidates is not None else self.rank(text)
        if not ranked or ranked[0].score < s.clarify_threshold:
            return Decision(Outcome.FALLBACK, tuple(ranked))
        best = ranked[0]
        # Entries linked as related are follow-ups of each other, not rivals: the best one
        # is answered and the others come as its buttons.
        rivals = [
            c
            for c in ranked[1:]
            if c.entry.id not in best.entry.related and best.entry.id not in c.entry.related
        ]
        runner_up = rivals[0].score if rivals else 0.0
        if best.score >= s.answer_threshold and best.score - runner_up >= s.margin:
            return Decision(Outcome.ANSWER, tuple(ranked))
        floor = max(s.clarify_threshold, best.score - s.clarify_window)
        close = [best, *(c for c in rivals if c.score >= floor)]
        if all(c.entry.kind == "smalltalk" for c in close):
            # "ok thanks bye": asking "did you mean goodbye or OK?" would only be silly.
            return Decision(Outcome.ANSWER, tuple(ranked))
        return Decision(Outcome.CLARIFY, tuple(close[: s.max_options]))

    def _segments(self, text: str) -> list[_Segment]:
        """The whole message, each of its sentences, and its small talk, to be scored."""
        segments = []
        parts = [p for p in _SENTENCES.split(text) if p.strip()]
        whole = self.analyzer.terms(text)
        if whole:
            segments.append(_Segment(whole, sentence=len(parts) <= 1))
        if len(parts) > 1:
            for part in parts:
                terms = self.analyzer.terms(part)
                if terms and terms != whole:
                    # A sentence may match perfectly ("would DIT help us?") while saying
                    # little; the less it says, the less it counts.
                    informative = min(1.0, self._mass(terms) / self._informative_mass)
                    segments.append(_Segment(terms, True, share=informative**0.5))
        chat = self.analyzer.first_terms(text, 1)
        if chat:
            segments.append(_Segment(chat, sentence=True, smalltalk=True))
        return segments

    def _score(self, segment: _Segment) -> list[tuple[int, float]]:
        query = set(segment.terms)
        weights = {t: self.weight(t) for t in query}
        total = sum(weights.values())
        unknown = sum(w for t, w in weights.items() if t not in self._idf)
        candidates: set[int] = set()
        for term in query:
            candidates.update(self._postings.get(term, ()))
        scored = []
        for position in candidates:
            phrasing = self._phrasings[position]
            if phrasing.smalltalk != segment.smalltalk:
                continue
            matched = sum(weights[t] for t in phrasing.terms & query)
            recall = matched / phrasing.weight
            explained = matched
            if segment.smalltalk:
                # "ok thanks bye": the other chat words are small talk too, not a question.
                explained += sum(weights[t] for t in query - phrasing.terms if t in self._chat)
            penalty = 1.0
            if phrasing.wildcard:
                # The spelled-out words must all be there, and something unknown in the slot,
                # within one sentence: a story's unknown words do not fill it.
                if recall < 1.0 or unknown == 0 or not segment.sentence:
                    continue
                explained += unknown
                recall *= WILDCARD_DISCOUNT
                # Known words the phrasing leaves out ("manic depression" in "my brother has
                # manic depression") mean some other entry is about this message.
                penalty = (explained / total) ** WILDCARD_EXPONENT
            precision = explained / total
            # Small talk must be most of what was said: "<script>alert('hi')</script>" is no
            # greeting. Everything else leans on recall, as people add context to questions.
            beta = SMALLTALK_BETA if segment.smalltalk else BETA
            fit = _f_measure(recall, precision, beta)
            scored.append((position, segment.share * penalty * fit))
        return scored


def _f_measure(recall: float, precision: float, beta: float) -> float:
    if recall <= 0 or precision <= 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)
