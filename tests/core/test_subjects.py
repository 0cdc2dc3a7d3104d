from __future__ import annotations

from bot.core.knowledge import Language
from bot.core.subjects import Subjects

SUBJECTS = Subjects(
    Language(
        names=("dit", "dynamic interpersonal psychotherapy"),
        plain_name="this therapy",
        other_therapies=("cbt", "physio", "cognitive therapy", "cognitive behavioural therapy"),
    )
)


def test_a_question_naming_another_therapy_is_about_it() -> None:
    assert SUBJECTS.other_therapy("How many sessions does CBT usually take?") == "cbt"


def test_a_question_that_also_names_dit_is_about_dit() -> None:
    assert SUBJECTS.other_therapy("is dit shorter than cbt") is None
    assert SUBJECTS.other_therapy("is Dynamic Interpersonal Psychotherapy like CBT?") is None


def test_a_question_about_this_therapy_or_it_is_about_dit() -> None:
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
