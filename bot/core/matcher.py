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
A message with no words at all ("👍") has no terms: it is matched by its symbols alone, against
small-talk phrasings that are symbols alone.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.settings import Matching
from bot.core.text import MAX_CHARACTERS, WILDCARD, Analyzer, words

# Weight of recall against precision: people add context, so unexplained words cost less
# than a missing part of the question.
BETA = 1.5
SMALLTALK_BETA = 0.75
# Small talk must be what the message is mostly about: a phrasing, chat words and fillers must
# explain more than this share of it, or an unrelated question is taken for small talk by one
# greeting word ("how do you say good morning in french", "what's my horoscope for today").
# On the case files, small talk that was right left at most 0.5 unexplained; such questions
# 0.54 and more.
SMALLTALK_MOST = 0.5
# A wildcard stands for unknown words less surely than a spelled-out word does.
WILDCARD_DISCOUNT = 0.9
WILDCARD_EXPONENT = 3
_SENTENCES = re.compile(
    r"[.?!;:\n]+|\s[-\u2013\u2014]\s|,\s*(?:but|and|so|also)\s|[,\s]\s*(?:anyway|btw)\s"
    r"|,\s*(?=(?:is|are|does|do|how|what|whats|who|why|will|would|could|should)\s)"
)


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
    # The share of the message's weight in words no phrasing uses ("parliament").
    unknown: float = 0.0

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
    # A wildcard phrasing's terms before and after its `*`, in order.
    slot: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


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
        self._index_of = {entry.id: index for index, entry in enumerate(self._entries)}
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
        # Chat words and fillers ("mate", "lol"): what a message says that is no question.
        fillers = {t for word in language.filler_words for t in self.analyzer.terms(word, 1)}
        self._chatter = self._chat | fillers
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
                    slot=_sides_of_slot(terms),
                )
            )
            for term in plain:
                self._postings[term].append(position)
        self._build_pruning()
        # Symbols (emoji) of small-talk phrasings that have no words, and the entry of each.
        self._symbols: dict[str, int] = {}
        for index, entry in enumerate(self._entries):
            if entry.kind == "smalltalk":
                for text in entry.phrasings:
                    if not words(text):
                        for symbol in _symbols(text):
                            self._symbols.setdefault(symbol, index)

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
        # Only the beginning is read: this bounds the work any message can cause.
        text = text[:MAX_CHARACTERS]
        found = self._rank(text, limit, exhaustive=False)
        if not found and not words(text):
            return self._by_symbols(text)
        return found

    def scores_of(self, text: str, entry_ids: Iterable[str]) -> dict[str, Candidate]:
        """The words' score of each of these entries, as `rank` would give it, for entries
        it did not rank among its first (meaning's candidates); entries the words find
        nothing of are left out."""
        text = text[:MAX_CHARACTERS]
        wanted = {self._index_of[i] for i in entry_ids if i in self._index_of}
        if not wanted:
            return {}
        positions = [p for index in sorted(wanted) for p in self._positions_of[index]]
        best: dict[int, tuple[float, str]] = {}
        for segment in self._segments(text):
            score = self._scorer(segment)
            scored = ((p, score(p)) for p in positions)
            self._keep_best(best, [(p, value) for p, value in scored if value is not None])
        return {
            self._entries[index].id: Candidate(self._entries[index], round(value, 4), phrasing)
            for index, (value, phrasing) in best.items()
        }

    def _by_symbols(self, text: str) -> list[Candidate]:
        """A message of symbols only ("👍", "🙂🙂"): the small-talk entry every one of its symbols
        belongs to. Any symbol no such phrasing has, or symbols of two entries: nothing."""
        owners = {self._symbols.get(symbol, -1) for symbol in _symbols(text)}
        if len(owners) != 1 or -1 in owners:
            return []
        entry = self._entries[owners.pop()]
        return [Candidate(entry, 1.0, text.strip())]

    def _rank(self, text: str, limit: int, exhaustive: bool) -> list[Candidate]:
        # `exhaustive` scores every phrasing sharing a term with the message (the reference
        # the tests hold the pruned search to). Of an entry's equally scored phrasings the
        # first listed is shown.
        best: dict[int, tuple[float, str]] = {}
        top = _Top(limit)
        for segment in self._segments(text):
            scored = self._score(segment) if exhaustive else self._score_pruned(segment, top)
            self._keep_best(best, scored)
        ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        return [
            Candidate(self._entries[index], round(score, 4), phrasing)
            for index, (score, phrasing) in ordered[:limit]
        ]

    def _keep_best(
        self, best: dict[int, tuple[float, str]], scored: list[tuple[int, float]]
    ) -> None:
        """Each entry's best score and phrasing so far, updated with a segment's scores; of an
        entry's equally scored phrasings the first listed is kept."""
        for position, score in sorted(scored):
            phrasing = self._phrasings[position]
            if score > best.get(phrasing.entry_index, (0.0, ""))[0]:
                best[phrasing.entry_index] = (score, phrasing.text)

    def _mass(self, terms: list[str]) -> float:
        return sum(self.weight(t) for t in terms)

    def decide(self, text: str, candidates: Sequence[Candidate] | None = None) -> Decision:
        """Answer when one entry is confident and clearly ahead; ask back when a few are close."""
        s = self.settings
        ranked = list(candidates) if candidates is not None else self.rank(text)
        unknown = self._unknown_share(text)
        if not ranked or ranked[0].score < s.clarify_threshold:
            return Decision(Outcome.FALLBACK, tuple(ranked), unknown)
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
            return Decision(Outcome.ANSWER, tuple(ranked), unknown)
        floor = max(s.clarify_threshold, best.score - s.clarify_window)
        close = [best, *(c for c in rivals if c.score >= floor)]
        if all(c.entry.kind == "smalltalk" for c in close):
            # "ok thanks bye": asking "did you mean goodbye or OK?" would only be silly.
            return Decision(Outcome.ANSWER, tuple(ranked), unknown)
        return Decision(Outcome.CLARIFY, tuple(close[: s.max_options]), unknown)

    def _unknown_share(self, text: str) -> float:
        terms = self.analyzer.terms(text)
        total = self._mass(terms)
        unknown = sum(self._unknown_weight for t in terms if t not in self._idf)
        return unknown / total if total else 0.0

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
        """Every phrasing sharing a term with the segment, scored."""
        score = self._scorer(segment)
        candidates: set[int] = set()
        for term in set(segment.terms):
            candidates.update(self._postings.get(term, ()))
        scored = []
        for position in candidates:
            value = score(position)
            if value is not None:
                scored.append((position, value))
        return scored

    def _scorer(self, segment: _Segment) -> Callable[[int], float | None]:
        """Scores one phrasing against the segment (None: it cannot match it at all)."""
        query = set(segment.terms)
        weights = {t: self.weight(t) for t in query}
        total = sum(weights.values())
        unknown = sum(w for t, w in weights.items() if t not in self._idf)

        def score(position: int) -> float | None:
            phrasing = self._phrasings[position]
            if phrasing.smalltalk != segment.smalltalk:
                return None
            matched = sum(weights[t] for t in phrasing.terms & query)
            recall = matched / phrasing.weight
            explained = matched
            if segment.smalltalk:
                # "ok thanks bye": the other chat words are small talk too, not a question.
                explained += sum(weights[t] for t in query - phrasing.terms if t in self._chat)
                said = query - phrasing.terms - self._chatter
                if sum(weights[t] for t in said) > SMALLTALK_MOST * total:
                    return None
            penalty = 1.0
            if phrasing.wildcard:
                # The spelled-out words must all be there, and something unknown in the slot,
                # within one sentence: a story's unknown words do not fill it.
                if recall < 1.0 or unknown == 0 or not segment.sentence:
                    return None
                if not self._fills_slot(segment.terms, phrasing.slot):
                    return None
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
            return segment.share * penalty * fit

        return score

    def _fills_slot(self, terms: list[str], slot: tuple[frozenset[str], frozenset[str]]) -> bool:
        """Whether unknown words stand where the phrasing's `*` is: next to the words before
        it (or, for a leading `*`, the words after it), with those before it all earlier and
        those after it all later. "duration of dit treatment" has its unknown word before
        "dit treatment", not in the slot of "is dit a treatment for *"."""
        before, after = slot
        position = 0
        while position < len(terms):
            if terms[position] in self._idf:
                position += 1
                continue
            end = position
            while end < len(terms) and terms[end] not in self._idf:
                end += 1
            # The unknown run terms[position:end], with its neighbours.
            ahead, behind = set(terms[:position]), set(terms[end:])
            if before <= ahead and after <= behind:
                if before:
                    if terms[position - 1] in before:
                        return True
                elif not after or (end < len(terms) and terms[end] in after):
                    return True
            position = end
        return False

    # The pruned search. A plain phrasing (no wildcard, not small talk) scores
    # share * F(matched / its weight, matched / message weight), which is
    # share * (1 + b2) * matched / (b2 * its weight + message weight): given its matched
    # weight, a phrasing's score needs nothing else. So the matched weight of every phrasing
    # that shares a term with the message is added up at once, in numpy, from the terms'
    # postings, and the phrasings are scored exactly best first, until the next could not
    # reach the `limit`-th best entry score found so far. (A walk of each term's postings in
    # Python, sorted by weight, did the same with bounds; at 10,000 entries a long message's
    # common words made it 10 to 30 ms.)

    def _build_pruning(self) -> None:
        plain: dict[str, list[int]] = defaultdict(list)
        self._wild_postings: dict[str, list[int]] = defaultdict(list)
        self._chat_postings: dict[str, list[int]] = defaultdict(list)
        self._positions_of: dict[int, list[int]] = defaultdict(list)
        for position, phrasing in enumerate(self._phrasings):
            self._positions_of[phrasing.entry_index].append(position)
            if phrasing.smalltalk:
                for term in phrasing.terms:
                    self._chat_postings[term].append(position)
            elif phrasing.wildcard:
                # It needs every one of its terms in the message: its rarest one will be.
                rarest = max(phrasing.terms, key=lambda t: (self._idf[t], t))
                self._wild_postings[rarest].append(position)
            else:
                for term in phrasing.terms:
                    plain[term].append(position)
        self._plain_postings = {t: np.array(found, dtype=np.intp) for t, found in plain.items()}
        self._weights = np.array([p.weight for p in self._phrasings], dtype=np.float64)

    def _score_pruned(self, segment: _Segment, top: _Top) -> list[tuple[int, float]]:
        """What `_score` gives, less phrasings that cannot reach `top`."""
        score = self._scorer(segment)
        query = set(segment.terms)
        scored: list[tuple[int, float]] = []

        def consider(position: int) -> None:
            value = score(position)
            if value is not None:
                scored.append((position, value))
                if value > 0:
                    top.offer(self._phrasings[position].entry_index, value)

        if segment.smalltalk:
            chat: set[int] = set()
            for term in query:
                chat.update(self._chat_postings.get(term, ()))
            for position in sorted(chat):
                consider(position)
            return scored
        if segment.sentence and any(t not in self._idf for t in query):
            for term in sorted(query):
                for position in self._wild_postings.get(term, ()):
                    consider(position)
        weights = {t: self.weight(t) for t in query}
        total = sum(weights.values())
        known = sorted(t for t in query if t in self._plain_postings)
        if not known or total <= 0:
            return scored
        postings = [self._plain_postings[t] for t in known]
        matched = np.bincount(
            np.concatenate(postings),
            weights=np.repeat([weights[t] for t in known], [len(p) for p in postings]),
            minlength=len(self._weights),
        )
        met = np.flatnonzero(matched)
        b2 = BETA * BETA
        scale = segment.share * (1 + b2) * _BOUND_MARGIN
        bound = scale * matched[met] / (b2 * self._weights[met] + total)
        # Best first, a growing batch at a time: sorting every phrasing met would cost more
        # than scoring the few that can place.
        batch = 4 * top.limit
        while len(met):
            if len(met) > batch:
                cut = np.argpartition(-bound, batch - 1)
                taken, rest = cut[:batch], cut[batch:]
            else:
                taken, rest = np.arange(len(met)), np.arange(0)
            taken = taken[np.argsort(-bound[taken], kind="stable")]
            for position, most in zip(met[taken].tolist(), bound[taken].tolist(), strict=True):
                if most < top.floor:
                    return scored
                consider(position)
            met, bound = met[rest], bound[rest]
            batch *= 4
        return scored


# Above float rounding: a bound a hair low must not cut a phrasing that ties the last place.
_BOUND_MARGIN = 1 + 1e-9


class _Top:
    """The `limit` best entry scores found so far; `floor` is the lowest of them once full."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 1)
        self.scores: dict[int, float] = {}
        self.floor = 0.0

    def offer(self, entry_index: int, score: float) -> None:
        scores = self.scores
        if entry_index in scores:
            if score <= scores[entry_index]:
                return
        elif len(scores) >= self.limit:
            if score <= self.floor:
                return
            del scores[min(scores, key=scores.__getitem__)]
        scores[entry_index] = score
        if len(scores) >= self.limit:
            self.floor = min(scores.values())


# Marks that change how a symbol looks, not what it is: variation selectors, the joiner
# and skin tones ("👍🏽" is "👍").
_MODIFIERS = frozenset({"\ufe0e", "\ufe0f", "\u200d", *map(chr, range(0x1F3FB, 0x1F400))})


def _sides_of_slot(terms: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The terms before and after a phrasing's first `*` (none if it has no `*`)."""
    if WILDCARD not in terms:
        return frozenset(), frozenset()
    at = terms.index(WILDCARD)
    return frozenset(terms[:at]) - {WILDCARD}, frozenset(terms[at + 1 :]) - {WILDCARD}


def _symbols(text: str) -> set[str]:
    """The symbols (emoji and the like) in a text, without their modifiers."""
    return {
        ch for ch in text if ch not in _MODIFIERS and unicodedata.category(ch) in ("So", "Sk", "Sm")
    }


def _f_measure(recall: float, precision: float, beta: float) -> float:
    if recall <= 0 or precision <= 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)
