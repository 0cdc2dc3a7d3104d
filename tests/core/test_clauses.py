from __future__ import annotations

from bot.core import clauses
from bot.core.clauses import negated_or_past


def test_a_denial_in_the_patterns_own_clause_lifts_it() -> None:
    assert negated_or_past("hurt myself", "i would never hurt myself, my kids need me")


def test_a_date_after_a_comma_still_belongs_to_the_clause() -> None:
    assert negated_or_past("self harm", "self harm was my thing at school, not anymore")


def test_a_denial_across_a_though_or_but_is_about_something_else() -> None:
    said = "i wont be needing the sessions though, i have a plan to hang myself on friday"
    assert not negated_or_past("hang myself", said)
    said = "no it is not about dit but i am going to hang myself tonight"
    assert not negated_or_past("hang myself", said)


def test_a_following_sentence_can_date_a_risk_but_only_a_sentence_itself_denies_it() -> None:
    assert clauses.DATED.search("it was ten years ago")
    assert clauses.SETTLED.search("im not going to do anything myself")
    assert not clauses.DATED.search("im not going to do anything myself")


def test_someone_elses_youth_is_named_with_the_person() -> None:
    assert clauses.THEIR_YOUTH.search("when my grandmother was young she tried")
    assert clauses.THEIR_YOUTH.search("when our dad was a boy")
    assert not clauses.THEIR_YOUTH.search("when my son was in the bath")


def test_a_denial_counts_only_close_before_the_words() -> None:
    said = "no need to reply and i wont need it as im going to step in front of a bus on sunday"
    assert not negated_or_past("in front of a bus", said)
    assert negated_or_past("want to die", "i dont want to die, just to feel better")


def test_a_schedule_does_not_date_a_stated_intent() -> None:
    away = "i wont be around next week, hospital appointment"
    assert negated_or_past("wont be around next", away)
    assert not negated_or_past("kill myself", "im going to kill myself after my appointment")


def test_years_back_and_a_childhood_told_as_such_are_long_ago() -> None:
    assert clauses.LONG_AGO.search("a few years back i was very suicidal")
    assert clauses.LONG_AGO.search("growing up my dad beat me")
    assert clauses.LONG_AGO.search("when i was growing up he hit us")
    assert not clauses.LONG_AGO.search("my son is growing up and i worry i will hurt him")


def test_a_next_sentence_that_says_that_was_long_ago_dates_the_one_before() -> None:
    assert clauses.DATES_THE_LAST.search("that was 8 years ago and shes a happy kid now")
    assert clauses.DATES_THE_LAST.search("this all happened a long time ago")
    assert not clauses.DATES_THE_LAST.search("that was last night")
    assert not clauses.DATES_THE_LAST.search("i remember it was years ago when we met")


def test_a_loss_to_suicide_is_someone_elses() -> None:
    assert clauses.OTHERS_SUICIDE.search("do you offer anything for people bereaved by suicide")
    assert clauses.OTHERS_SUICIDE.search("how do therapists handle it when the loss was a suicide")
    assert not clauses.OTHERS_SUICIDE.search("i have been suicidal since the loss")


def test_a_denial_of_something_else_before_a_new_subject_denies_nothing() -> None:
    said = "if we dont get help im going to put her in hospital, nearly did tonight"
    assert not negated_or_past("im going to put her in hospital", said)
    assert negated_or_past("want to die", "what if i dont want to die but i just feel numb")
    assert negated_or_past("harming the baby", "im not having any thoughts of harming the baby")


def test_the_answer_is_no_answers_a_question_asked_unless_more_follows() -> None:
    assert clauses.ANSWERED_NO.search("and honestly the answer is no")
    assert clauses.ANSWER_RETRACTED.search("ive done a lot more than think about it")
    assert clauses.ANSWER_RETRACTED.search("they arent thoughts anymore, its a date in my diary")


def test_someone_elses_age_is_not_their_youth() -> None:
    # "When my son was 17 he tried to hang himself, he's 18 now and he's gone out with a rope"
    # (a review's): the age would have set the attempt aside as his past.
    assert not clauses.THEIR_YOUTH.search("when my son was 17 he tried to")


def test_now_i_and_what_is_to_come_are_not_the_past() -> None:
    assert clauses.NOT_PAST.search("and now im stood on the bridge")
    assert clauses.NOT_PAST.search("im going to end my life on friday")
    assert not clauses.NOT_PAST.search("i self harmed years ago and im fine now")
    assert not clauses.NOT_PAST.search("and now im 34 and happy")
    assert not clauses.SAID_NOW.search("i want to end things early with my therapist")


def test_zero_thoughts_of_it_is_a_denial() -> None:
    assert negated_or_past("ending things", "zero thoughts of ending things, i promise")
