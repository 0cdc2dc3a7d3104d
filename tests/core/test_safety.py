"""The crisis check, both ways: every crisis is caught, and idioms and topic questions are not."""

from __future__ import annotations

import logging

import pytest
import yaml

from bot.core import clauses, patterns
from bot.core.knowledge import Crisis
from bot.core.patterns import compile_bounded
from bot.core.safety import NOW_BAR, SENTENCE_BAR, CrisisDetector, sentence_bar
from tests.conftest import SHIPPED_KNOWLEDGE

SHIPPED = yaml.safe_load((SHIPPED_KNOWLEDGE / "crisis.yaml").read_text(encoding="utf-8"))["crisis"]


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector(Crisis.model_validate(SHIPPED))


@pytest.mark.parametrize("text", SHIPPED["examples"])
def test_every_shipped_crisis_example_is_detected(detector: CrisisDetector, text: str) -> None:
    assert detector.check(text) is not None


@pytest.mark.parametrize("text", SHIPPED["not_examples"])
def test_no_shipped_not_example_is_detected(detector: CrisisDetector, text: str) -> None:
    assert detector.check(text) is None


CRISES = [
    # Close to the everyday senses above, but not them
    "I've written my goodbye letter and put it on the table",
    "i took all my pills for the week at once",
    "I won't be around next week and nobody will notice",
    # Suicidal thoughts, explicit
    "I've been thinking about ending my life",
    "i want to end it all",
    "i keep thinking about suicide",
    "feeling suicidal tonight",
    "im gonna kill myself",
    "im gonna kill my self",
    "i wanna die",
    "I'm going to take my own life",
    "i want to hang myself",
    "I have a plan to end my life",
    "i tried to kill myself last year and i feel that way again",
    # Suicidal thoughts, indirect
    "everyone would be better off if I was dead",
    "I don't want to be alive anymore",
    "i dont want to be here anymore",
    "i cant go on like this",
    "there's no point in living",
    "no reason to live anymore",
    "wish i was dead",
    "I'm a burden to my family",
    "I'm saying goodbye to everyone",
    "i want to disappear forever",
    "I'm planning to jump off a bridge",
    "nobody would miss me if I was gone",
    "I might as well not exist",
    "i wish i'd never been born",
    # Typos and slang
    "thinking about sucide again",
    "im feeling suicdal",
    "suicidle thoughts",
    "owerdose",
    "kms lol",
    "i want to unalive myself",
    "thinking about sewerslide",
    "i wanna kil myself",
    # Self-harm
    "I've been cutting myself",
    "i self harm when it gets bad",
    "selfharm",
    "I've been self-harming",
    "I keep hurting myself",
    "been burning myself with a lighter",
    "i cut my wrists last night",
    "I've been having thoughts of harming myself",
    # Overdose
    "i took 30 paracetamol",
    "I've taken an overdose",
    "i overdosed last night",
    "I swallowed a bottle of pills",
    "i took a load of my sleeping pills",
    "how many tablets would kill me",
    # Harm to others
    "I'm going to hurt someone",
    "I want to kill my dad",
    "im going to stab him",
    "i could kill him, I really could, I've got a knife",
    # Abuse or danger at home
    "my husband beats me",
    "my dad hits me when he's drunk",
    "he chokes me when he's angry",
    "I'm scared to go home",
    "I'm not safe at home",
    "my boyfriend threatened me",
    "my stepdad touches me at night",
    "I am being abused at home",
    "my ex is coming round and I'm scared he'll hurt me",
    # A DIT question that mentions suicidal thoughts
    "I feel like I'd be better off dead, can DIT help with that?",
    "can DIT help with suicidal thoughts?",
]

NOT_CRISES = [
    # Everyday senses of staff's wording
    "took one paracetamol for a migraine, is that fine before the assessment?",
    "overdosed on crisps during the match, feel a bit rough",
    "I tried to hang the washing out but it started raining",
    "I won't be around next week, we're on our honeymoon. Can we move the session?",
    "saying goodbye to my team today, it's my last day at the office",
    "he can go jump off a pier for all I care, I am done with him",
    # Idioms
    "I'm dying to know how long the sessions are",
    "I'm just dying for a cup of tea",
    "this waiting list is killing me",
    "the suspense is killing me",
    "I'd kill for a coffee",
    "I killed it at my job interview",
    "I'm bored to death of waiting",
    "I'm dead tired after work",
    "my back is killing me",
    "my feet are killing me",
    # Topic questions about the problems DIT helps with
    "can DIT help with grief after my dad died?",
    "my mum died last year, can DIT help with grief?",
    "can DIT help with addiction?",
    "can DIT help with drinking too much",
    "my brother is an alcoholic, can dit help him?",
    "can DIT help with an eating disorder",
    "I have depression, will DIT help",
    "my partner and I argue all the time",
    "my therapist hurt my feelings",
    # Everyday words near crisis words
    "my phone died",
    "how many sessions does DIT take",
    "does DIT help with self esteem",
    "I'm putting myself forward for a course",
]


@pytest.mark.parametrize("text", CRISES)
def test_a_crisis_message_is_detected(detector: CrisisDetector, text: str) -> None:
    assert detector.check(text) is not None


@pytest.mark.parametrize("text", NOT_CRISES)
def test_an_ordinary_message_is_not_a_crisis(detector: CrisisDetector, text: str) -> None:
    assert detector.check(text) is None


def test_the_alarm_names_the_pattern_and_the_words_it_matched(detector: CrisisDetector) -> None:
    alarm = detector.check("Honestly I've been feeling SUICIDAL lately")
    assert alarm is not None
    assert alarm.matched.startswith("suicid")
    assert alarm.pattern in SHIPPED["patterns"]


def small_detector(**fields: object) -> CrisisDetector:
    return CrisisDetector(
        Crisis.model_validate({"reply": "Call 999.", "patterns": [r"\bhurt\s+myself\b"], **fields})
    )


def test_patterns_see_folded_text() -> None:
    detector = small_detector()
    assert detector.check("I'll HURT   myself!!") is not None
    assert detector.check("hurting others") is None


def test_idioms_are_removed_before_the_patterns_are_tried() -> None:
    detector = CrisisDetector(
        Crisis.model_validate(
            {
                "reply": "Call 999.",
                "patterns": [r"\bkilling me\b"],
                "idioms": [r"\bthe wait is killing me\b"],
            }
        )
    )
    assert detector.check("the wait is killing me") is None
    assert detector.check("the wait is killing me and he is killing me") is not None


def test_typo_words_are_corrected_before_the_patterns_are_tried() -> None:
    with_typos = CrisisDetector(
        Crisis.model_validate(
            {"reply": "Call 999.", "patterns": [r"\bsuicide\b"], "typo_words": ["suicide"]}
        )
    )
    without = CrisisDetector(Crisis.model_validate({"reply": "x", "patterns": [r"\bsuicide\b"]}))
    assert with_typos.check("thinking about sucide") is not None
    assert without.check("thinking about sucide") is None


def test_short_words_are_not_typo_corrected() -> None:
    detector = CrisisDetector(
        Crisis.model_validate({"reply": "x", "patterns": [r"\bdie\b"], "typo_words": ["die"]})
    )
    assert detector.check("the dye is blue") is None


def test_a_pattern_that_overruns_its_time_twice_is_taken_as_a_match_and_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Out of time is never read as "no crisis": on a busy machine a sound pattern can run out
    # of its wall-clock bound, and a missed crisis costs far more than a needless helpline.
    monkeypatch.setattr(patterns, "PATTERN_SECONDS", 0.001)
    monkeypatch.setattr(patterns, "PATTERN_SECONDS_LOADED", 0.002)
    detector = CrisisDetector(
        Crisis.model_validate({"reply": "Call 999.", "patterns": [r"(\w+\s?)+\d", r"\bsuicid"]})
    )
    with caplog.at_level(logging.WARNING, logger="bot.core.patterns"):
        alarm = detector.check("burden " * 500)
    assert alarm is not None and alarm.pattern == r"(\w+\s?)+\d"
    assert "ran out of time twice; taken as a match" in caplog.text


def test_a_pattern_that_overruns_its_first_bound_is_tried_again_with_a_longer_one(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(patterns, "PATTERN_SECONDS", 0.001)
    detector = CrisisDetector(
        Crisis.model_validate({"reply": "Call 999.", "patterns": [r"(\w+\s?)+\d", r"\bsuicid"]})
    )
    with caplog.at_level(logging.WARNING, logger="bot.core.patterns"):
        assert detector.check("burden " * 40) is None
        assert detector.check("burden " * 40 + "suicidal") is not None
    assert "ran out of 0.00 s" in caplog.text and "taken as a match" not in caplog.text


def test_only_the_beginning_of_a_huge_message_is_read() -> None:
    detector = small_detector()
    assert detector.check("x " * 5000 + "i will hurt myself") is None
    assert detector.check("i will hurt myself " + "x " * 5000) is not None


# Clause reading (bot.core.clauses), the pieces the rules above rest on.
def test_a_history_of_is_long_ago() -> None:
    assert clauses.LONG_AGO.search("can dit help if ive got a history of self harm")


def test_someone_else_being_fine_now_is_read_through_the_folded_contraction() -> None:
    assert clauses.OVER.search("my husband used to self harm hes fine now")
    assert clauses.OVER.search("she s fine now")


def test_words_in_a_book_or_film_are_settled_only_when_nobody_in_the_clause_does_them() -> None:
    pattern = compile_bounded(r"\bself\s*[- ]?\s*harm")
    clause = "reading a novel and the self harm chapters are intense"
    hit = pattern.search(clause)
    assert hit is not None
    reason = clauses.settled_by(clause, hit, clause, "good book", clause, recent=False)
    assert reason is clauses.Settled.MEDIA
    mine = "i watched a film and then i self harm"
    hit = pattern.search(mine)
    assert hit is not None
    assert clauses.settled_by(mine, hit, mine, "", mine, recent=False) is None


@pytest.mark.parametrize(
    "sentence",
    [
        "I've taken all of them tonight",
        "They're telling me to do it right now",
        "I'm stood by the river as we speak",
        "swallowed them ten minutes ago",
    ],
)
def test_a_sentence_that_says_it_is_now_needs_less_of_the_banks_vote(sentence: str) -> None:
    assert NOW_BAR < SENTENCE_BAR
    assert sentence_bar(sentence) == NOW_BAR


@pytest.mark.parametrize(
    "sentence",
    [
        "I'll be on my own again when it ends",
        "I check the locks every night",
        "I've taken all of them",
        "I said it in the session",
        # Nor is a time of day told in a story: "this morning" and "today" cost false alarms.
        "I sharpened the knives this morning",
        "there's a storyline on it at the moment",
    ],
)
def test_again_or_every_night_or_this_morning_is_not_now(sentence: str) -> None:
    assert sentence_bar(sentence) == SENTENCE_BAR
