"""The matcher, on a small knowledge base of our own: answer, ask back, or admit not knowing."""

from __future__ import annotations

import pytest

from bot.config import Matching
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, Outcome


def test_a_question_close_to_one_entry_is_answered(small_matcher: Matcher) -> None:
    decision = small_matcher.decide("How many sessions does DIT take?")
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id == "sessions-count"
    assert decision.confidence >= small_matcher.settings.answer_threshold


def test_an_alternate_phrasing_is_answered(small_matcher: Matcher) -> None:
    decision = small_matcher.decide("is dit good for bereavement")
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id == "help-bereavement"


def test_a_synonym_reaches_the_entry(small_matcher: Matcher) -> None:
    decision = small_matcher.decide("can dit help with grief")
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id == "help-bereavement"


def test_two_entries_that_share_their_wording_are_offered_back(small_matcher: Matcher) -> None:
    decision = small_matcher.decide("what happens in the weekly session")
    assert decision.outcome is Outcome.CLARIFY
    offered = {c.entry.id for c in decision.candidates}
    assert offered == {"first-session", "last-session"}


def test_asking_back_offers_at_most_max_options(small_knowledge: KnowledgeBase) -> None:
    matcher = Matcher(small_knowledge, Matching(max_options=2))
    decision = matcher.decide("what happens in a session")
    assert decision.outcome is Outcome.CLARIFY
    assert 1 <= len(decision.candidates) <= 2


def test_an_unrelated_message_falls_back(small_matcher: Matcher) -> None:
    decision = small_matcher.decide("what's the weather like in Paris tomorrow")
    assert decision.outcome is Outcome.FALLBACK
    assert decision.confidence < small_matcher.settings.clarify_threshold


def test_a_message_with_no_words_falls_back(small_matcher: Matcher) -> None:
    for text in ("", "   ", "?!", "🙂🙂"):
        decision = small_matcher.decide(text)
        assert decision.outcome is Outcome.FALLBACK
        assert decision.confidence == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "How many sessions does DIT take?",
        "what happens in the weekly session",
        "can dit help with gambling",
        "the weather in Paris",
        "hi",
        "sessions",
        "x" * 500,
        "tell me about " + "sessions and therapy and grief " * 40,
    ],
)
def test_confidence_is_between_zero_and_one(small_matcher: Matcher, text: str) -> None:
    decision = small_matcher.decide(text)
    assert 0.0 <= decision.confidence <= 1.0
    for candidate in small_matcher.rank(text):
        assert 0.0 <= candidate.score <= 1.0


def test_candidates_come_best_first(small_matcher: Matcher) -> None:
    scores = [c.score for c in small_matcher.rank("can dit help with depression or grief")]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) >= 2


def test_a_question_with_a_typo_is_still_answered(small_matcher: Matcher) -> None:
    decision = small_matcher.decide("can dit help with bereavment")
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id == "help-bereavement"


STORY = (
    "Sorry, this is a long one. My grandad lived with us for years and he taught me to "
    "fish, to cook and to fix bikes. He became ill last spring and I have not been "
    "sleeping well since, and work has been hard, my manager keeps asking me how I am. "
    "My GP mentioned a therapy called DIT at my last visit. Anyway, the thing I wanted "
    "to ask is: {question} Thanks for reading all this."
)


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("how many sessions does DIT take?", "sessions-count"),
        ("can DIT help with bereavement?", "help-bereavement"),
    ],
)
def test_a_question_buried_in_a_long_message_is_found(
    small_matcher: Matcher, question: str, entry_id: str
) -> None:
    decision = small_matcher.decide(STORY.format(question=question))
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id == entry_id


def test_the_wildcard_phrasing_catches_a_condition_the_knowledge_does_not_list(
    small_matcher: Matcher,
) -> None:
    decision = small_matcher.decide("can dit help with gambling")
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id == "help-not-listed"


def test_the_wildcard_phrasing_does_not_catch_a_listed_condition(small_matcher: Matcher) -> None:
    decision = small_matcher.decide("can dit help with depression")
    assert decision.best is not None
    assert decision.best.entry.id == "help-depression"
    ranked = {c.entry.id: c.score for c in small_matcher.rank("can dit help with depression")}
    assert ranked.get("help-not-listed", 0.0) < ranked["help-depression"]


def test_the_wildcard_needs_the_rest_of_its_phrasing(small_matcher: Matcher) -> None:
    ranked = small_matcher.rank("gambling")
    assert "help-not-listed" not in {c.entry.id for c in ranked}


def test_the_wildcard_needs_its_unknown_words_in_the_slot(small_matcher: Matcher) -> None:
    # Every spelled-out word is there and "gambling" is unknown, but it stands before the
    # phrasing's words, not where its `*` is.
    matched = {c.phrasing for c in small_matcher.rank("gambling dit help")}
    assert "can dit help with *" not in matched
    # Unknown words after the slot's neighbour are in it, however many.
    ranked = small_matcher.rank("can dit help with compulsive gambling")
    assert ranked[0].phrasing == "can dit help with *"


def test_words_the_knowledge_never_uses_lower_the_confidence(small_matcher: Matcher) -> None:
    plain = small_matcher.decide("how many sessions does dit take")
    padded = small_matcher.decide("how many sessions does dit take on tuesdays")
    assert plain.best is not None and padded.best is not None
    assert plain.best.entry.id == padded.best.entry.id == "sessions-count"
    assert padded.confidence < plain.confidence


def test_a_decision_tells_the_share_of_words_the_knowledge_never_uses(
    small_matcher: Matcher,
) -> None:
    assert small_matcher.decide("how many sessions does dit take").unknown == 0.0
    odd = small_matcher.decide("how do jam sessions work for trombonists").unknown
    assert 0.3 < odd < 1.0


def test_rank_gives_at_most_one_candidate_per_entry(small_matcher: Matcher) -> None:
    # sessions-count has three phrasings that all match this message.
    ranked = small_matcher.rank("how many sessions are there, the number of sessions", limit=20)
    ids = [c.entry.id for c in ranked]
    assert ids.count("sessions-count") == 1
    assert len(ids) == len(set(ids))


def test_rank_respects_its_limit(small_matcher: Matcher) -> None:
    assert len(small_matcher.rank("can dit help with depression sessions", limit=2)) <= 2


def test_a_candidate_names_the_phrasing_that_matched(small_matcher: Matcher) -> None:
    best = small_matcher.rank("number of sessions")[0]
    assert best.entry.id == "sessions-count"
    assert best.phrasing == "number of sessions"


def test_a_greeting_made_only_of_filler_words_is_answered_as_small_talk(
    small_matcher: Matcher,
) -> None:
    decision = small_matcher.decide("hi")
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id == "greeting"


def test_stricter_thresholds_turn_an_answer_into_asking_back(
    small_knowledge: KnowledgeBase,
) -> None:
    text = "how many sessions does dit take on tuesdays"
    relaxed = Matcher(small_knowledge, Matching())
    assert relaxed.decide(text).outcome is Outcome.ANSWER
    strict = relaxed.with_settings(Matching(answer_threshold=0.99, clarify_threshold=0.3))
    assert strict.decide(text).outcome is Outcome.CLARIFY
    assert strict.decide(text).best is not None


def test_with_settings_leaves_the_original_matcher_unchanged(small_matcher: Matcher) -> None:
    before = small_matcher.settings
    twin = small_matcher.with_settings(Matching(answer_threshold=0.9))
    assert small_matcher.settings == before
    assert twin.settings.answer_threshold == 0.9
    assert twin.size == small_matcher.size > 0


def test_the_matcher_copes_with_the_shipped_knowledge(shipped_knowledge: KnowledgeBase) -> None:
    matcher = Matcher(shipped_knowledge, Matching())
    decision = matcher.decide("how many sessions are there?")
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert "16" in decision.best.entry.answer
    assert matcher.decide("recipe for banana bread").outcome is Outcome.FALLBACK


def test_a_question_after_a_comma_is_weighed_on_its_own(shipped_knowledge: KnowledgeBase) -> None:
    matcher = Matcher(shipped_knowledge, Matching())
    text = "my manager goes spare whenever i book lots of leave, is it normally 16 sessions?"
    decision = matcher.decide(text)
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id in {"sessions-count", "sessions-decided"}


_CHAT = """\
    entries:
      - id: greeting
        kind: smalltalk
        topic: chat
        question: Hello
        alternates: [hi, good morning, how are you today]
        answer: Hello. Ask me anything about DIT.

      - id: acknowledge
        kind: smalltalk
        topic: chat
        question: OK
        alternates: [cool, "👍", "🙂"]
        answer: Anything else you'd like to know?

      - id: thanks
        kind: smalltalk
        topic: chat
        question: Thank you
        alternates: [thanks, cheers, "🙏"]
        answer: You're welcome.
    """


@pytest.fixture(scope="module")
def chat_matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    from bot.editing.knowledge_files import load_knowledge
    from tests.conftest import write_knowledge

    root = write_knowledge(
        tmp_path_factory.mktemp("chat") / "knowledge", {"entries/other.yaml": _CHAT}
    )
    return Matcher(load_knowledge(root), Matching())


@pytest.mark.parametrize("text", ["👍", "👍🏽", " 🙂🙂 ", "👍️"])
def test_a_message_of_symbols_only_is_the_small_talk_they_belong_to(
    chat_matcher: Matcher, text: str
) -> None:
    decision = chat_matcher.decide(text)
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.id == "acknowledge"


@pytest.mark.parametrize("text", ["🦄", "👍🙏", "?!"])
def test_symbols_no_entry_has_or_of_two_entries_are_not_guessed(
    chat_matcher: Matcher, text: str
) -> None:
    assert chat_matcher.decide(text).outcome is Outcome.FALLBACK


@pytest.mark.parametrize(
    "text", ["what does my horoscope say for today", "how do you say good morning in portuguese"]
)
def test_a_greeting_word_does_not_make_an_unrelated_question_small_talk(
    chat_matcher: Matcher, text: str
) -> None:
    # Most of the message is not small talk, so no small-talk entry may answer it.
    assert all(c.entry.kind != "smalltalk" for c in chat_matcher.rank(text))


@pytest.mark.parametrize(
    "text", ["good morning!", "cheers mate", "ok cool 👍", "hi, how are you today"]
)
def test_small_talk_with_fillers_is_still_small_talk(chat_matcher: Matcher, text: str) -> None:
    decision = chat_matcher.decide(text)
    assert decision.outcome is Outcome.ANSWER
    assert decision.best is not None
    assert decision.best.entry.kind == "smalltalk"
