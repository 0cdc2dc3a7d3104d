"""Score fusion on vectors made by hand: which entry the sum answers, when it leaves the
decision to the cascade, and when it says it does not know."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bot.core.classifier import EntryClassifier
from bot.core.fusion import Fusion, decide
from bot.core.fusion import fuse as fuse_with
from bot.core.knowledge import Entry
from bot.core.matcher import Candidate, Decision, Matcher, Outcome
from bot.core.meaning import MeaningIndex
from bot.core.vectors import DIMENSIONS
from tests.core.handmade import entry, unit

SESSIONS = entry("sessions", "how many sessions", "how many * are there")
ANXIETY = entry("anxiety", "can it help with anxiety")
COST = entry("cost", "how much does it cost", related=("fees",))
FEES = entry("fees", "are there fees", related=("cost",))
WAITING = entry("waiting", "how long is the wait", kind="not_covered")
HELLO = entry("hello", "hello", kind="smalltalk")
ENTRIES = [SESSIONS, ANXIETY, COST, FEES, WAITING, HELLO]
# One axis per entry ("fees" a little off "cost"'s); the wildcard reads as "how many are there".
ROWS = [
    unit(1),
    unit(1),
    unit(0, 1),
    unit(0, 0, 1),
    unit(0, 0, 1, 0, 0, 0.1),
    unit(0, 0, 0, 0, 0, 0, 1),
    unit(0, 0, 0, 1),
]
TEXTS = [t for e in ENTRIES for t in e.phrasings]
# Not in the index: as if its phrasings could not be encoded.
UNINDEXED = entry("unindexed", "what is it")
# The rule these vectors were drawn for (fusion's constants before the classifier): the tests
# pin it, so that a new sweep's constants do not move the boundaries they check.
RULE = Fusion(words=0.3, answer=0.45, last=0.5, unknown=0.5, remote=0.6, tie=0.06, likely=0.0)


def fuse(
    words: list[Candidate],
    cascade: Decision,
    index: MeaningIndex,
    vectors: np.ndarray,
    unknown: float,
    rule: Fusion = RULE,
    more: dict[str, Candidate] | None = None,
) -> Decision:
    return fuse_with(words, cascade, index, vectors, unknown, rule, more)


@pytest.fixture
def index() -> MeaningIndex:
    return MeaningIndex(ENTRIES, TEXTS, np.vstack(ROWS))


def _words(*scored: tuple[Entry, float]) -> list[Candidate]:
    return [Candidate(e, s, e.question) for e, s in scored]


def _said(decision: Decision) -> tuple[Outcome, str | None]:
    return decision.outcome, decision.best.entry.id if decision.best else None


# The words ranked both, weakly: neither is answered on meaning alone.
BOTH = _words((SESSIONS, 0.1), (ANXIETY, 0.1))
ASKED_BACK = Decision(Outcome.CLARIFY, tuple(_words((SESSIONS, 0.4), (ANXIETY, 0.4))))
FELL_BACK = Decision(Outcome.FALLBACK, ())


def test_the_entry_the_words_rank_second_is_answered_when_meaning_puts_it_far_ahead(
    index: MeaningIndex,
) -> None:
    # Sessions: 0.3 * 0.6 + 0.7 * 0 = 0.18; anxiety: 0.3 * 0.5 + 0.7 * 1 = 0.85.
    words = _words((SESSIONS, 0.6), (ANXIETY, 0.5))
    cascade = Decision(Outcome.ANSWER, tuple(words))
    assert _said(fuse(words, cascade, index, unit(0, 1), 0.0)) == (Outcome.ANSWER, "anxiety")


def test_the_words_score_counts_for_every_entry_they_rank(index: MeaningIndex) -> None:
    # As close in meaning to both (0.71); the words' runner-up is far ahead in words.
    words = _words((SESSIONS, 0.1), (ANXIETY, 0.9))
    decided = fuse(words, ASKED_BACK, index, unit(1, 1), 0.0)
    assert _said(decided) == (Outcome.ANSWER, "anxiety")
    assert decided.best is not None and decided.best.phrasing == "can it help with anxiety"


def test_an_entry_the_words_did_not_rank_needs_meaning_alone_to_be_very_close(
    index: MeaningIndex,
) -> None:
    decided = fuse([], FELL_BACK, index, unit(0.2, 1), 0.0)  # 0.98 to anxiety
    assert _said(decided) == (Outcome.ANSWER, "anxiety")
    assert decided.best is not None and decided.best.phrasing == "can it help with anxiety"
    # 0.77: enough for the sum (0.54), not for meaning alone (`alone` 0.8).
    assert fuse([], FELL_BACK, index, unit(1, 1.2), 0.0).outcome is Outcome.FALLBACK
    looser = fuse([], FELL_BACK, index, unit(1, 1.2), 0.0, replace(RULE, alone=0.7))
    assert _said(looser) == (Outcome.ANSWER, "anxiety")


def test_the_words_score_of_an_entry_only_meaning_ranked_counts_too(index: MeaningIndex) -> None:
    # 0.77 to anxiety: not enough on meaning alone, enough with the words' score of it.
    assert fuse([], FELL_BACK, index, unit(1, 1.2), 0.0).outcome is Outcome.FALLBACK
    scored = {"anxiety": Candidate(ANXIETY, 0.3, "can it help with anxiety")}
    decided = fuse([], FELL_BACK, index, unit(1, 1.2), 0.0, more=scored)
    assert _said(decided) == (Outcome.ANSWER, "anxiety")


def test_a_message_no_entry_reaches_falls_back_unless_the_cascade_asked_back(
    index: MeaningIndex,
) -> None:
    far = unit(0, 0, 0, 0, 1)
    assert fuse(BOTH, FELL_BACK, index, far, 0.0).outcome is Outcome.FALLBACK
    assert fuse(BOTH, ASKED_BACK, index, far, 0.0) is ASKED_BACK


def test_the_best_score_is_answered_from_the_answer_threshold_on(index: MeaningIndex) -> None:
    # With meaning alone counted, the score is the cosine itself.
    message = unit(0, 1, 0, 0, 1)
    rule = replace(RULE, words=0.0)
    score = index.similarity_to("anxiety", message)
    at = fuse(BOTH, FELL_BACK, index, message, 0.0, replace(rule, answer=score))
    assert _said(at) == (Outcome.ANSWER, "anxiety")
    above = fuse(BOTH, FELL_BACK, index, message, 0.0, replace(rule, answer=score + 1e-6))
    assert above.outcome is Outcome.FALLBACK


def test_a_near_tie_between_unrelated_entries_is_left_to_the_cascade(
    index: MeaningIndex,
) -> None:
    between = unit(1, 1)  # 0.71 to sessions and to anxiety
    assert fuse(BOTH, ASKED_BACK, index, between, 0.0) is ASKED_BACK
    answered = Decision(Outcome.ANSWER, tuple(_words((COST, 0.9))))
    assert fuse(BOTH, answered, index, between, 0.0) is answered
    # A lead of `tie` or more is the sum's to decide.
    leaning = unit(1, 1.2)  # anxiety 0.77 against 0.64
    assert _said(fuse(BOTH, ASKED_BACK, index, leaning, 0.0)) == (Outcome.ANSWER, "anxiety")
    # With meaning alone counted, the lead is the difference of the cosines themselves.
    lead = index.similarity_to("anxiety", leaning) - index.similarity_to("sessions", leaning)
    exactly = fuse(BOTH, ASKED_BACK, index, leaning, 0.0, replace(RULE, words=0.0, tie=lead))
    assert _said(exactly) == (Outcome.ANSWER, "anxiety")
    wider = replace(RULE, words=0.0, tie=lead + 1e-6)
    assert fuse(BOTH, ASKED_BACK, index, leaning, 0.0, wider) is ASKED_BACK


def test_related_entries_are_not_rivals_for_the_lead(index: MeaningIndex) -> None:
    # Cost and fees are both close and as good as tied, but each is the other's follow-up.
    decided = fuse([], ASKED_BACK, index, unit(0, 0, 1, 0, 0, 0.05), 0.0)
    assert decided.outcome is Outcome.ANSWER
    assert decided.best is not None and decided.best.entry.id in {"cost", "fees"}


def test_a_story_is_also_read_by_its_last_sentence(index: MeaningIndex) -> None:
    # The whole story is as close to sessions as to anxiety; its last sentence asks about
    # anxiety: 0.5 * 1 + 0.5 * 0.71 = 0.85 against 0.71 in meaning.
    story = np.vstack([unit(1, 1), unit(1), unit(0, 1)])
    assert _said(fuse(BOTH, ASKED_BACK, index, story, 0.0)) == (Outcome.ANSWER, "anxiety")
    ignoring_it = fuse(BOTH, ASKED_BACK, index, story, 0.0, replace(RULE, last=0.0))
    assert ignoring_it is ASKED_BACK


def test_a_story_s_whole_counts_when_it_is_closer_than_the_blend(index: MeaningIndex) -> None:
    # The whole is about anxiety (1.0); the last sentence about sessions: blended, both 0.5.
    story = np.vstack([unit(0, 1), unit(0, 1), unit(1)])
    assert _said(fuse(BOTH, ASKED_BACK, index, story, 0.0)) == (Outcome.ANSWER, "anxiety")


def test_an_odd_question_sharing_a_word_is_not_answered(index: MeaningIndex) -> None:
    # "how do jam sessions work for musicians": 0.55 close to sessions, its words 0.9 sure,
    # and 60% of its weight in words no phrasing uses.
    odd = unit(1, 0, 0, 0, 1.5)
    words = _words((SESSIONS, 0.9))
    cascade = Decision(Outcome.ANSWER, tuple(words))
    assert fuse(words, cascade, index, odd, 0.6).outcome is Outcome.FALLBACK
    # Answered when most of its words are known, when it is a story, or closer in meaning.
    assert _said(fuse(words, cascade, index, odd, 0.3)) == (Outcome.ANSWER, "sessions")
    story = np.vstack([odd, odd])
    assert _said(fuse(words, cascade, index, story, 0.6)) == (Outcome.ANSWER, "sessions")
    near = fuse(words, cascade, index, odd, 0.6, replace(RULE, remote=0.5))
    assert _said(near) == (Outcome.ANSWER, "sessions")


def test_an_odd_question_gets_no_not_covered_answer_either(index: MeaningIndex) -> None:
    # "when is the next session of parliament" is no question about the waiting list.
    odd = unit(0, 0, 0, 0, 1.5, 0, 1)
    words = _words((WAITING, 0.9))
    cascade = Decision(Outcome.ANSWER, tuple(words))
    decided = fuse(words, cascade, index, odd, 0.6)
    assert decided.outcome is Outcome.FALLBACK and decided.best is not None
    assert decided.best.entry.id == "waiting"  # the words' candidates, kept for the record
    assert _said(fuse(words, cascade, index, odd, 0.3)) == (Outcome.ANSWER, "waiting")


def test_unknown_words_in_a_wildcard_s_slot_are_expected(index: MeaningIndex) -> None:
    odd = unit(1, 0, 0, 0, 1.5)
    words = [Candidate(SESSIONS, 0.9, "how many * are there")]
    cascade = Decision(Outcome.ANSWER, tuple(words))
    assert _said(fuse(words, cascade, index, odd, 0.6)) == (Outcome.ANSWER, "sessions")


def test_an_entry_missing_from_the_index_counts_as_far_in_meaning(index: MeaningIndex) -> None:
    words = _words((UNINDEXED, 1.0))
    far = unit(0, 0, 0, 0, 1)
    # 0.3 * 1.0 + 0.7 * 0: under `answer`, yet it is a candidate like any other.
    assert fuse(words, FELL_BACK, index, far, 0.0).outcome is Outcome.FALLBACK
    lower = fuse(words, FELL_BACK, index, far, 0.0, replace(RULE, answer=0.25))
    assert _said(lower) == (Outcome.ANSWER, "unindexed")


def test_small_talk_is_left_to_the_cascade(index: MeaningIndex) -> None:
    # Nearest is "hello", but whether a message is mostly small talk is the cascade's rule.
    hello = unit(0, 0.1, 0, 1)
    assert fuse(_words((HELLO, 0.2)), FELL_BACK, index, hello, 0.0) is FELL_BACK
    # And small talk the cascade answered stands, though the sum would answer anxiety.
    greeted = Decision(Outcome.ANSWER, tuple(_words((HELLO, 0.9))))
    assert fuse([], greeted, index, unit(0, 1), 0.0) is greeted


def test_small_talk_answers_where_the_words_chose_an_entry_unrelated_in_meaning(
    index: MeaningIndex,
) -> None:
    # "you're really good at this": the words chose anxiety for a shared word, and the
    # message sits near "hello" and at about 0.2 from anxiety, where unrelated sentences sit.
    chose_anxiety = Decision(Outcome.ANSWER, tuple(_words((ANXIETY, 0.5))))
    complimented = unit(0, 0.2, 0, 1)
    assert _said(fuse([], chose_anxiety, index, complimented, 0.0)) == (Outcome.ANSWER, "hello")
    # At about 0.4 from anxiety the entry is related enough: the words' choice stands.
    related_enough = unit(0, 0.45, 0, 1)
    assert fuse([], chose_anxiety, index, related_enough, 0.0) is chose_anxiety


def test_without_an_index_or_vectors_the_words_alone_decide(small_matcher: Matcher) -> None:
    text = "how many sessions does dit take"
    alone = small_matcher.decide(text)
    for decided in (
        decide(small_matcher, None, text, None),
        decide(small_matcher, None, text, unit(1)),
    ):
        assert _said(decided) == _said(alone)
        assert decided.unknown == alone.unknown


def _leaning_to(entry_id: str, ids: list[str]) -> EntryClassifier:
    """A classifier sure of one entry whatever the message (bias only)."""
    bias = np.array([4.0 if i == entry_id else 0.0 for i in ids], dtype=np.float32)
    weights = np.zeros((DIMENSIONS, len(ids)), dtype=np.float32)
    return EntryClassifier(ids, weights, bias, 1.0)


def test_the_classifier_s_vote_settles_entries_equally_close() -> None:
    ids = [e.id for e in ENTRIES]
    index = MeaningIndex(ENTRIES, TEXTS, np.vstack(ROWS), classifier=_leaning_to("anxiety", ids))
    between = unit(1, 1)  # 0.71 to sessions and to anxiety: a near tie without the vote
    assert fuse(BOTH, ASKED_BACK, index, between, 0.0) is ASKED_BACK
    voted = fuse(BOTH, ASKED_BACK, index, between, 0.0, replace(RULE, likely=0.3))
    assert _said(voted) == (Outcome.ANSWER, "anxiety")
    # Its confidence is the fused score, never above 1 although the vote may lift it there.
    assert voted.best is not None and 0.0 < voted.best.score <= 1.0
    lifted = fuse(BOTH, ASKED_BACK, index, unit(0, 1), 0.0, replace(RULE, likely=1.0))
    assert lifted.best is not None and lifted.best.score == 1.0


def test_the_classifier_s_vote_counts_for_a_story_s_last_sentence() -> None:
    ids = [e.id for e in ENTRIES]
    # Sure of anxiety only for messages along axis 7, which no phrasing uses.
    weights = np.zeros((DIMENSIONS, len(ids)), dtype=np.float32)
    weights[7, ids.index("anxiety")] = 20.0
    classifier = EntryClassifier(ids, weights, np.zeros(len(ids), dtype=np.float32), 1.0)
    index = MeaningIndex(ENTRIES, TEXTS, np.vstack(ROWS), classifier=classifier)
    # The whole story lies between sessions and anxiety (0.71 each, an even vote); its last
    # sentence (0.58 each) has axis 7: its vote lifts anxiety to 0.58 + 0.3 = 0.88.
    story = np.vstack([unit(1, 1), unit(1), unit(1, 1, 0, 0, 0, 0, 0, 1)])
    rule = replace(RULE, likely=0.3, last=1.0)
    assert _said(fuse(BOTH, ASKED_BACK, index, story, 0.0, rule)) == (Outcome.ANSWER, "anxiety")
    assert fuse(BOTH, ASKED_BACK, index, story, 0.0, replace(rule, likely=0.0)) is ASKED_BACK


def test_the_classifier_s_vote_lifts_no_message_past_the_guards() -> None:
    ids = [e.id for e in ENTRIES]
    voting = replace(RULE, likely=0.3)
    sure_of_anxiety = _leaning_to("anxiety", ids)
    index = MeaningIndex(ENTRIES, TEXTS, np.vstack(ROWS), classifier=sure_of_anxiety)
    # 0.77 in meaning alone, under `alone` (0.8), however sure the classifier is.
    assert fuse([], FELL_BACK, index, unit(1, 1.2), 0.0, voting).outcome is Outcome.FALLBACK
    # An odd question 0.55 close to sessions, the classifier sure of it: still odd.
    index = MeaningIndex(ENTRIES, TEXTS, np.vstack(ROWS), classifier=_leaning_to("sessions", ids))
    odd = unit(1, 0, 0, 0, 1.5)
    words = _words((SESSIONS, 0.9))
    cascade = Decision(Outcome.ANSWER, tuple(words))
    assert fuse(words, cascade, index, odd, 0.6, voting).outcome is Outcome.FALLBACK
