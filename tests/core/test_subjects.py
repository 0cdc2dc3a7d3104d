from __future__ import annotations

from bot.core.knowledge import Language
from bot.core.subjects import Subjects

SUBJECTS = Subjects(
    Language(
        names=("dit", "dynamic interpersonal psychotherapy"),
        plain_name="this therapy",
        synonyms={"dit": ("dynamic interpersonal",)},
        other_therapies=("CBT", "physio", "cognitive therapy", "cognitive behavioural therapy"),
    )
)


def test_a_question_naming_another_therapy_is_about_it() -> None:
    assert SUBJECTS.other_therapy("How many sessions does CBT usually take?") == "CBT"
    assert SUBJECTS.other_therapy("how many sessions does cbt take") == "CBT"  # as staff spell it


def test_a_question_that_also_names_dit_is_about_dit() -> None:
    assert SUBJECTS.other_therapy("is dit shorter than cbt") is None
    assert SUBJECTS.other_therapy("is Dynamic Interpersonal Psychotherapy like CBT?") is None
    assert SUBJECTS.other_therapy("is dynamic interpersonal shorter than CBT?") is None
    assert SUBJECTS.other_therapy("how does DIT's length compare to CBT?") is None


def test_it_this_or_is_that_before_the_other_therapy_stand_for_dit() -> None:
    assert SUBJECTS.other_therapy("is this therapy like cbt") is None
    assert SUBJECTS.other_therapy("is it cbt-ish") is None
    assert SUBJECTS.other_therapy("is that the same as CBT?") is None


def test_another_therapy_told_of_before_the_question_is_not_its_subject() -> None:
    said = "My sister had CBT last year. How many sessions will I get?"
    assert SUBJECTS.other_therapy(said) is None


def test_another_therapy_in_the_last_sentence_of_a_story_is_its_subject() -> None:
    said = "I sprained my ankle playing football. How many physio sessions will I need?"
    assert SUBJECTS.other_therapy(said) == "physio"


def test_the_longest_name_is_found() -> None:
    said = "how long does cognitive behavioural therapy last"
    assert SUBJECTS.other_therapy(said) == "cognitive behavioural therapy"


def test_a_name_inside_another_word_is_not_a_therapy() -> None:
    assert SUBJECTS.other_therapy("what do physiologists study") is None


def test_without_a_list_no_message_is_about_another_therapy() -> None:
    assert Subjects(Language()).other_therapy("how many sessions does cbt take") is None


def test_it_or_this_after_the_other_therapy_stands_for_that_therapy() -> None:
    assert SUBJECTS.other_therapy("how many sessions does cbt take? is it 12?") == "CBT"
    assert SUBJECTS.other_therapy("I start CBT this week, how many sessions will I have") == "CBT"


def test_that_alone_does_not_stand_for_dit() -> None:
    said = "I was told that cbt would help me, how many sessions does cbt take"
    assert SUBJECTS.other_therapy(said) == "CBT"


def test_a_short_last_question_is_the_question() -> None:
    assert SUBJECTS.other_therapy("My GP offered CBT. How many sessions?") is None


def test_an_earlier_sentence_that_asks_is_a_question_too() -> None:
    assert SUBJECTS.other_therapy("How many sessions does CBT take? Just curious.") == "CBT"
