"""Turning what people type into terms: folding, spelling, synonyms and fillers."""

from __future__ import annotations

import pytest
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.knowledge import KnowledgeBase
from bot.core.text import _CORRECTION_CUTOFF, Analyzer, fold, words

SYNONYMS = {
    "bereavement": ["grief", "grieving", "lost someone", "passed away"],
    "session": ["sessions", "appointments", "appointment"],
    "postnatal depression": ["baby blues", "postpartum depression"],
    "addiction": ["drinking", "drugs"],
}
FILLERS = ["hi", "thanks", "tbh", "honestly", "please"]
VOCABULARY = [
    "How many sessions does DIT take?",
    "Can DIT help with bereavement?",
    "Can DIT help with depression?",
    "Is DIT psychodynamic?",
    "What happens in therapy?",
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(SYNONYMS, FILLERS, VOCABULARY)


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("HOW Many Sessions", "how many sessions"),
        ("Café thérapie naïve", "cafe therapie naive"),
        ("don't", "dont"),
        ("don\u2019t won\u2018t", "dont wont"),
        ("I'm   worried!!!", "im worried"),
        ("what's DIT??? 🤔🙏", "whats dit"),
        ("grief/loss, divorce & drinking", "grief loss divorce drinking"),
        ("16 sessions?", "16 sessions"),
        ("\uff24\uff29\uff34", "dit"),  # full-width letters
        ("", ""),
        ("😊😊", ""),
    ],
)
def test_folding_removes_case_accents_apostrophes_emoji_and_punctuation(
    typed: str, folded: str
) -> None:
    assert fold(typed) == folded


def test_words_splits_folded_text() -> None:
    assert words("Can DIT help—with grief?") == ["can", "dit", "help", "with", "grief"]


def test_the_same_question_written_differently_gives_the_same_terms(analyzer: Analyzer) -> None:
    assert analyzer.terms("HOW MANY SESSIONS does D.I.T. take?!") != []
    assert analyzer.terms("how many sessions does dit take") == analyzer.terms(
        "How many Sessions does DIT take?? 🙂"
    )


def test_stop_words_are_dropped_and_words_are_stemmed(analyzer: Analyzer) -> None:
    assert analyzer.terms("the therapy") == analyzer.terms("therapies")
    assert analyzer.terms("is it the") == []


def test_each_term_appears_once(analyzer: Analyzer) -> None:
    terms = analyzer.terms("session session sessions appointments")
    assert len(terms) == 1


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("bereavment", "bereavement"),
        ("depresion", "depression"),
        ("psychodinamic", "psychodynamic"),
        ("sesions", "sessions"),
        ("theraphy", "therapy"),
    ],
)
def test_a_misspelt_word_is_corrected_toward_the_vocabulary(
    analyzer: Analyzer, typo: str, meant: str
) -> None:
    assert analyzer.terms(typo) == analyzer.terms(meant)


def test_a_different_everyday_word_is_not_corrected_into_a_vocabulary_word() -> None:
    analyzer = Analyzer({}, [], ["how long is the waiting list"])
    assert analyzer.terms("wanting") != analyzer.terms("waiting")


@pytest.mark.parametrize("short", ["dti", "hep", "sesh"])
def test_short_words_are_not_spelling_corrected(analyzer: Analyzer, short: str) -> None:
    # Short words: too easy to turn one real word into another.
    assert analyzer.terms(short) == words(short)


@pytest.mark.parametrize(("typo", "meant"), [("tkae", "take"), ("greif", "grief")])
def test_two_swapped_letters_are_corrected_even_in_a_short_word(typo: str, meant: str) -> None:
    analyzer = Analyzer({}, [], ["how long does it take", "can it help with grief"])
    assert analyzer.terms(typo) == analyzer.terms(meant)


def test_a_word_far_from_the_vocabulary_is_left_alone(analyzer: Analyzer) -> None:
    assert analyzer.terms("gambling") == ["gambl"]


def test_a_known_word_is_never_corrected_into_another(analyzer: Analyzer) -> None:
    assert analyzer.terms("session") != analyzer.terms("depression")
    assert analyzer.terms("happens") == ["happen"]


def test_a_synonym_maps_to_its_canonical_word(analyzer: Analyzer) -> None:
    assert analyzer.terms("grief") == analyzer.terms("bereavement")
    assert analyzer.terms("appointments") == analyzer.terms("session")
    assert analyzer.terms("drinking") == analyzer.terms("addiction")


def test_a_many_word_synonym_is_recognised_as_a_phrase(analyzer: Analyzer) -> None:
    assert analyzer.terms("my dad passed away") == analyzer.terms("my dad bereavement")
    assert analyzer.terms("I lost someone") == analyzer.terms("bereavement")


def test_the_words_of_a_phrase_alone_are_not_the_synonym(analyzer: Analyzer) -> None:
    assert analyzer.terms("lost my keys") != analyzer.terms("bereavement keys")
    assert analyzer.terms("away") != analyzer.terms("bereavement")


def test_a_many_word_canonical_is_reached_from_its_variants(analyzer: Analyzer) -> None:
    assert analyzer.terms("baby blues") == analyzer.terms("postnatal depression")
    assert analyzer.terms("postpartum depression") == analyzer.terms("postnatal depression")


def test_a_specific_condition_does_not_also_count_as_the_general_one(analyzer: Analyzer) -> None:
    assert not set(analyzer.terms("baby blues")) & set(analyzer.terms("depression"))


def test_filler_words_are_ignored(analyzer: Analyzer) -> None:
    plain = analyzer.terms("how many sessions")
    assert analyzer.terms("hi thanks tbh how many sessions please") == plain
    assert analyzer.terms("honestly, hi!") == []


def test_filler_words_are_not_spelling_corrected_into_content(analyzer: Analyzer) -> None:
    assert analyzer.terms("thanks honestly") == []


def test_the_wildcard_is_kept_as_a_term(analyzer: Analyzer) -> None:
    assert "*" in analyzer.terms("can dit help with *")


def test_the_vocabulary_holds_the_words_of_questions_and_synonyms(analyzer: Analyzer) -> None:
    assert {"psychodynamic", "grief", "appointments", "sessions"} <= analyzer.vocabulary
    assert "*" not in analyzer.vocabulary


def test_the_closest_word_among_those_of_about_the_same_length_is_the_closest_of_all(
    shipped_knowledge: KnowledgeBase,
) -> None:
    vocabulary_texts = [p for e in shipped_knowledge.entries.values() for p in e.phrasings]
    analyzer = Analyzer({}, [], vocabulary_texts)
    everything = sorted(analyzer.vocabulary)
    typos = ["depresion", "bereavment", "lonelyness", "sesions", "relationshp", "therapistt"]
    typos += ["psychodynamc", "interpersonl", "consultaton", "flustered", "bulimiaa", "zzzzzz"]
    for typo in typos:
        whole = process.extractOne(
            typo, everything, scorer=OSA.normalized_similarity, score_cutoff=_CORRECTION_CUTOFF
        )
        expected = None if whole is None else whole[0]
        assert analyzer._closest(typo) == expected


@pytest.mark.parametrize(("typo", "meant"), [("bipolr", "bipolar"), ("therapyy", "therapy")])
def test_a_letter_left_out_or_typed_twice_is_corrected(typo: str, meant: str) -> None:
    analyzer = Analyzer({}, [], ["can dit help with bipolar", "what kind of therapy is it"])
    assert analyzer.terms(typo) == analyzer.terms(meant)


def test_a_known_word_in_another_form_is_not_taken_for_a_typo() -> None:
    # "talking" is one letter from "taking", but its stem is a known word: it is left alone.
    analyzer = Analyzer({}, [], ["is it safe to talk", "how long is it taking"])
    assert analyzer.terms("talking") == ["talk"]


def test_a_filler_in_another_form_is_ignored_too() -> None:
    analyzer = Analyzer({}, ["mum"], ["can dit help with a diagnosis"])
    assert analyzer.terms("my mum's diagnosis") == analyzer.terms("diagnosis")
