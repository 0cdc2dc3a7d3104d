"""The dialogue engine on a small knowledge base: requests and state in, replies and state out."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Matching
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from bot.core.library import Library
from bot.core.matcher import Outcome
from bot.core.replies import Kind, Reply, Turn, UserState
from bot.core.requests import FORGET, Command, Message, Press
from bot.editing.knowledge_files import load_knowledge
from tests.conftest import CLINIC, REPO_ROOT, write_knowledge


def text_of(knowledge: KnowledgeBase, key: str, **values: object) -> str:
    return knowledge.message(key, CLINIC, **values)


def only(turn: Turn) -> Reply:
    assert len(turn.replies) == 1
    return turn.replies[0]


def actions(reply: Reply) -> list[str]:
    return [option.action for option in reply.options]


# Free text


async def test_a_dit_question_mentioning_suicidal_thoughts_gets_the_crisis_reply(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    text = "How many sessions does DIT take? I've been having suicidal thoughts"
    turn = small_engine.respond(Message(text), UserState())
    reply = only(turn)
    assert reply.kind is Kind.CRISIS
    assert reply.entry_id is None
    assert reply.options == ()
    assert "116 123" in reply.text
    assert reply.text.startswith(small_knowledge.crisis.reply.split("\n")[0])


async def test_the_crisis_reply_fills_in_the_clinic_contact(small_engine: Engine) -> None:
    reply = only(small_engine.respond(Message("i want to kill myself"), UserState()))
    assert reply.kind is Kind.CRISIS
    assert CLINIC.contact in reply.text
    assert "{clinic_contact}" not in reply.text


async def test_a_crisis_does_not_change_the_state(small_engine: Engine) -> None:
    state = UserState(last_entry_id="sessions-count", guide_id="tour", guide_step=1)
    turn = small_engine.respond(Message("i want to kill myself"), state)
    assert turn.state == state


async def test_a_clear_question_gets_its_answer_with_related_options(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    turn = small_engine.respond(Message("how many sessions does dit take"), UserState())
    reply = only(turn)
    assert reply.kind is Kind.ANSWER
    assert reply.entry_id == "sessions-count"
    assert reply.text == small_knowledge.entries["sessions-count"].answer
    assert 0.5 <= reply.confidence <= 1.0
    assert actions(reply) == ["a:sessions-change", "a:first-session"]
    assert [o.entry_id for o in reply.options] == ["sessions-change", "first-session"]
    assert reply.options[0].label == small_knowledge.entries["sessions-change"].question
    assert turn.state.last_entry_id == "sessions-count"


async def test_an_answer_fills_in_the_clinic_contact(small_engine: Engine) -> None:
    reply = only(small_engine.respond(Message("can dit help with gambling"), UserState()))
    assert reply.kind is Kind.ANSWER
    assert reply.entry_id == "help-not-listed"
    assert CLINIC.contact in reply.text


async def test_a_not_covered_question_is_a_fallback_naming_its_entry(small_engine: Engine) -> None:
    reply = only(small_engine.respond(Message("how much does dit cost"), UserState()))
    assert reply.kind is Kind.FALLBACK
    assert reply.entry_id == "nc-cost"
    assert CLINIC.contact in reply.text


async def test_a_question_about_another_therapy_gets_no_answer_about_dit(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    turn = small_engine.respond(Message("how many sessions does cbt take"), UserState())
    reply = only(turn)
    assert reply.kind is Kind.FALLBACK
    assert reply.entry_id is None
    assert reply.text == text_of(small_knowledge, "other_therapy", therapy="cbt")
    assert "cbt" in reply.text
    assert actions(reply)[0].startswith("t:")
    assert turn.state == UserState()


async def test_a_did_you_mean_about_another_therapy_offers_no_dit_questions(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    message = "what happens in the weekly session of cbt"
    # The words ask back between two sessions, as without "of cbt" (the close-call test).
    assert small_engine.library.matcher.decide(message).outcome is Outcome.CLARIFY
    reply = only(small_engine.respond(Message(message), UserState()))
    assert reply.kind is Kind.FALLBACK
    assert reply.text == text_of(small_knowledge, "other_therapy", therapy="cbt")


async def test_small_talk_that_names_another_therapy_is_still_small_talk(
    small_engine: Engine,
) -> None:
    reply = only(small_engine.respond(Message("hi cbt"), UserState()))
    assert reply.kind is Kind.SMALLTALK


async def test_a_question_about_dit_that_mentions_another_therapy_is_answered(
    small_engine: Engine,
) -> None:
    message = Message("my sister had cbt. how many sessions does it take")
    reply = only(small_engine.respond(message, UserState()))
    assert reply.kind is Kind.ANSWER
    assert reply.entry_id == "sessions-count"


async def test_a_not_covered_answer_about_another_therapy_still_stands(
    small_engine: Engine,
) -> None:
    reply = only(small_engine.respond(Message("what is the price of cbt"), UserState()))
    assert reply.kind is Kind.FALLBACK
    assert reply.entry_id == "nc-cost"


async def test_a_greeting_is_small_talk_and_leaves_the_last_answer_alone(
    small_engine: Engine,
) -> None:
    state = UserState(last_entry_id="sessions-count")
    turn = small_engine.respond(Message("hi"), state)
    assert only(turn).kind is Kind.SMALLTALK
    assert only(turn).entry_id == "greeting"
    assert turn.state == state


async def test_a_close_call_asks_back_with_the_options(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    turn = small_engine.respond(Message("what happens in the weekly session"), UserState())
    reply = only(turn)
    assert reply.kind is Kind.CLARIFY
    assert reply.text == text_of(small_knowledge, "clarify")
    assert reply.entry_id is None
    assert 0 < reply.confidence <= 1
    assert sorted(actions(reply)) == ["a:first-session", "a:last-session"]
    assert {o.label for o in reply.options} == {
        small_knowledge.entries["first-session"].question,
        small_knowledge.entries["last-session"].question,
    }


async def test_asking_back_with_one_question_says_this_not_one_of_these(
    small_knowledge: KnowledgeBase,
) -> None:
    # A strict answer bar: a fair match with no rival is offered back as a single question.
    strict = Engine(Library.build(small_knowledge, Matching(answer_threshold=0.95)), CLINIC)
    reply = only(strict.respond(Message("what happens first"), UserState()))
    assert reply.kind is Kind.CLARIFY
    assert actions(reply) == ["a:first-session"]
    assert reply.text == text_of(small_knowledge, "clarify_one")
    assert reply.text != text_of(small_knowledge, "clarify")


async def test_an_unrelated_message_falls_back_with_topics_and_the_clinic_contact(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    turn = small_engine.respond(Message("what is the capital of Peru"), UserState())
    reply = only(turn)
    assert reply.kind is Kind.FALLBACK
    assert reply.entry_id is None
    assert CLINIC.contact in reply.text
    # Only topics that hold entries are offered.
    assert actions(reply) == ["t:problems", "t:sessions", "t:therapist", "t:practical", "t:chat"]
    labels = {t.id: t.label for t in small_knowledge.topics}
    assert reply.options[0].label == labels["problems"]


async def test_an_empty_message_gets_the_empty_notice(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    reply = only(small_engine.respond(Message("   "), UserState()))
    assert reply.kind is Kind.FALLBACK
    assert reply.text == text_of(small_knowledge, "empty")


# Follow-ups


async def test_a_follow_up_is_read_among_the_related_entries_of_the_last_answer(
    small_engine: Engine,
) -> None:
    alone = only(small_engine.respond(Message("and can that be changed?"), UserState()))
    assert alone.kind is Kind.CLARIFY
    assert sorted(actions(alone)) == ["a:sessions-change", "a:therapist-change"]

    first = small_engine.respond(Message("how many sessions does dit take"), UserState())
    assert "sessions-change" in small_engine.library.knowledge.entries["sessions-count"].related
    follow = only(small_engine.respond(Message("and can that be changed?"), first.state))
    assert follow.kind is Kind.ANSWER
    assert follow.entry_id == "sessions-change"


async def test_a_long_message_is_not_read_as_a_follow_up(small_engine: Engine) -> None:
    first = small_engine.respond(Message("how many sessions does dit take"), UserState())
    text = "and can that be changed, I mean the thing we talked about a few days ago, you know?"
    follow = only(small_engine.respond(Message(text), first.state))
    assert follow.entry_id != "sessions-change"


async def test_a_follow_up_is_not_answered_with_a_related_entry_it_does_not_ask_about(
    small_engine: Engine,
) -> None:
    first = small_engine.respond(Message("can dit help with depression"), UserState())
    assert first.state.last_entry_id == "help-depression"
    follow = only(small_engine.respond(Message("and what about that?"), first.state))
    assert follow.entry_id != "help-bereavement"


async def test_the_issues_follow_up_example_works_on_the_shipped_knowledge(
    shipped_engine: Engine,
) -> None:
    first = shipped_engine.respond(Message("how many sessions does DIT take?"), UserState())
    assert only(first).entry_id is not None
    related = set(shipped_engine.library.knowledge.entries[only(first).entry_id].related)
    follow = only(shipped_engine.respond(Message("and can that be changed?"), first.state))
    assert follow.entry_id in related


# Buttons


async def test_pressing_an_answer_button_gives_that_answer(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    turn = small_engine.respond(Press("a:sessions-change"), UserState())
    reply = only(turn)
    assert reply.kind is Kind.ANSWER
    assert reply.entry_id == "sessions-change"
    assert reply.confidence == 1.0
    assert small_knowledge.entries["sessions-change"].answer in reply.text
    assert turn.state.last_entry_id == "sessions-change"


@pytest.mark.parametrize(
    "action",
    [
        "a:no-such-entry",
        "t:no-such-topic",
        "g:no-such-guide:0",
        "g:tour:x",
        "g:tour:\u00b2",  # a superscript two: a digit to str.isdigit, not to int()
        "g:tour:-1",
        "g:resume",
        "zz:unknown",
        "",
    ],
)
async def test_a_stale_or_unknown_button_gets_the_expired_notice(
    small_engine: Engine, small_knowledge: KnowledgeBase, action: str
) -> None:
    turn = small_engine.respond(Press(action), UserState())
    reply = only(turn)
    assert reply.kind is Kind.NOTICE
    assert reply.text == text_of(small_knowledge, "expired")
    assert actions(reply) == ["g:menu", "t", "c:ask"]
    assert turn.state == UserState()


async def test_a_topic_button_lists_its_questions(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    reply = only(small_engine.respond(Press("t:sessions"), UserState()))
    assert reply.kind is Kind.NOTICE
    label = next(t.label for t in small_knowledge.topics if t.id == "sessions")
    assert label in reply.text
    assert actions(reply) == [
        "a:sessions-count",
        "a:sessions-change",
        "a:first-session",
        "a:last-session",
    ]


async def test_the_topics_button_lists_the_topics(small_engine: Engine) -> None:
    reply = only(small_engine.respond(Press("t"), UserState()))
    assert all(action.startswith("t:") for action in actions(reply))
    assert "t:sessions" in actions(reply)


async def test_the_ask_and_urgent_buttons(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    ask = only(small_engine.respond(Press("c:ask"), UserState()))
    assert ask.text == text_of(small_knowledge, "ask_prompt")
    urgent = only(small_engine.respond(Press("c:urgent"), UserState()))
    assert urgent.kind is Kind.CRISIS


# Commands


async def test_start_greets_with_the_menu(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    turn = small_engine.respond(Command("start"), UserState())
    reply = only(turn)
    assert reply.kind is Kind.NOTICE
    assert reply.text == text_of(small_knowledge, "start")
    assert CLINIC.name in reply.text
    assert actions(reply) == ["g:menu", "t", "c:ask"]
    assert turn.state == UserState()


async def test_help_explains_and_offers_the_menu(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    reply = only(small_engine.respond(Command("help"), UserState()))
    assert reply.text == text_of(small_knowledge, "help")
    assert actions(reply) == ["g:menu", "t", "c:ask"]


async def test_topics_lists_the_topics_that_have_entries(small_engine: Engine) -> None:
    reply = only(small_engine.respond(Command("topics"), UserState()))
    assert actions(reply) == ["t:problems", "t:sessions", "t:therapist", "t:practical", "t:chat"]


async def test_guide_lists_the_guides(small_engine: Engine) -> None:
    reply = only(small_engine.respond(Command("guide"), UserState()))
    assert reply.kind is Kind.NOTICE
    assert actions(reply) == ["g:tour:0"]
    assert reply.options[0].label == "A short tour"


async def test_privacy_says_how_long_unanswered_questions_are_kept(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    reply = only(small_engine.respond(Command("privacy"), UserState()))
    assert reply.text == text_of(
        small_knowledge, "privacy", retention_days=30, user_retention_days=365
    )
    assert "365 days" in reply.text
    assert "30" in reply.text
    assert "{retention_days}" not in reply.text


async def test_forget_asks_the_adapter_to_forget_and_starts_afresh(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    state = UserState(
        guide_id="tour",
        guide_step=2,
        last_entry_id="sessions-count",
        first_seen=datetime(2026, 1, 1, tzinfo=UTC),
        last_seen=datetime(2026, 1, 2, tzinfo=UTC),
    )
    turn = small_engine.respond(Command("forget"), state)
    assert turn.effects == frozenset({FORGET})
    assert turn.state == UserState()
    assert only(turn).text == text_of(small_knowledge, "forgotten")


async def test_urgent_gives_the_crisis_reply(small_engine: Engine) -> None:
    reply = only(small_engine.respond(Command("urgent"), UserState()))
    assert reply.kind is Kind.CRISIS
    assert "999" in reply.text


async def test_an_unknown_command_says_so_and_offers_the_menu(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    reply = only(small_engine.respond(Command("frobnicate"), UserState()))
    assert reply.kind is Kind.NOTICE
    assert reply.text == text_of(small_knowledge, "unknown_command")
    assert actions(reply) == ["g:menu", "t", "c:ask"]


async def test_only_forget_has_effects(small_engine: Engine) -> None:
    for name in ("start", "help", "topics", "guide", "privacy", "urgent", "nope"):
        assert (small_engine.respond(Command(name), UserState())).effects == frozenset()


# Guides


async def test_a_guide_walks_forward_and_back_and_remembers_the_step(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    first = small_engine.respond(Press("g:tour:0"), UserState())
    step = only(first)
    assert step.kind is Kind.GUIDE
    assert step.edit is True
    assert step.entry_id == "sessions-count"
    assert small_knowledge.entries["sessions-count"].answer in step.text
    assert "1" in step.text and "3" in step.text
    assert actions(step) == ["g:tour:1", "g:stop"]
    assert first.state.guide_id == "tour"
    assert first.state.guide_step == 0

    second = small_engine.respond(Press("g:tour:1"), first.state)
    step = only(second)
    assert "DIT can help with several problems." in step.text
    assert actions(step) == ["a:help-bereavement", "g:tour:0", "g:tour:2", "g:stop"]
    assert second.state.guide_step == 1

    back = small_engine.respond(Press("g:tour:0"), second.state)
    assert back.state.guide_step == 0


async def test_the_last_step_offers_finish_and_finishing_leaves_the_guide(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    last = small_engine.respond(Press("g:tour:2"), UserState())
    step = only(last)
    assert step.options[-2].label == text_of(small_knowledge, "button_finish")
    assert step.options[-2].action == "g:tour:3"
    assert last.state.guide_step == 2

    done = small_engine.respond(Press("g:tour:3"), last.state)
    reply = only(done)
    assert reply.kind is Kind.GUIDE
    assert reply.text == text_of(small_knowledge, "guide_finished")
    assert actions(reply) == ["t", "c:ask"]
    assert done.state.guide_id is None
    assert done.state.guide_step == 0


async def test_stopping_a_guide_leaves_it(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    inside = small_engine.respond(Press("g:tour:1"), UserState())
    stopped = small_engine.respond(Press("g:stop"), inside.state)
    assert only(stopped).text == text_of(small_knowledge, "guide_stopped")
    assert stopped.state.guide_id is None
    assert stopped.state.guide_step == 0


async def test_start_in_the_middle_of_a_guide_offers_to_continue(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    inside = small_engine.respond(Press("g:tour:1"), UserState())
    turn = small_engine.respond(Command("start"), inside.state)
    reply = only(turn)
    assert reply.text == text_of(
        small_knowledge, "start_returning", title="A short tour", step=2, total=3
    )
    assert actions(reply) == ["g:resume", "g:tour:0", "t"]
    assert turn.state == inside.state

    resumed = small_engine.respond(Press("g:resume"), turn.state)
    assert only(resumed).kind is Kind.GUIDE
    assert resumed.state.guide_step == 1
    assert "a:help-bereavement" in actions(only(resumed))


async def test_guide_in_the_middle_of_a_guide_offers_to_continue(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    inside = small_engine.respond(Press("g:tour:2"), UserState())
    reply = only(small_engine.respond(Command("guide"), inside.state))
    assert reply.text == text_of(
        small_knowledge, "guide_continue", title="A short tour", step=3, total=3
    )
    assert "g:resume" in actions(reply)


async def test_a_question_in_the_middle_of_a_guide_keeps_the_guide(small_engine: Engine) -> None:
    inside = small_engine.respond(Press("g:tour:1"), UserState())
    turn = small_engine.respond(Message("can dit help with depression"), inside.state)
    assert only(turn).entry_id == "help-depression"
    assert turn.state.guide_id == "tour"
    assert turn.state.guide_step == 1


async def test_a_state_naming_a_guide_that_no_longer_exists_gets_a_plain_start(
    small_engine: Engine, small_knowledge: KnowledgeBase
) -> None:
    state = UserState(guide_id="retired-guide", guide_step=4)
    reply = only(small_engine.respond(Command("start"), state))
    assert reply.text == text_of(small_knowledge, "start")
    assert only(small_engine.respond(Press("g:resume"), state)).text == text_of(
        small_knowledge, "expired"
    )


# State and isolation


async def test_no_user_text_ends_up_in_the_state(small_engine: Engine) -> None:
    said = [
        "my name is Alice Example and my number is 07700 900123",
        "how many sessions does dit take",
        "and can that be changed?",
        "what is the capital of Peru",
        "hi",
    ]
    state = UserState()
    for text in said:
        state = (small_engine.respond(Message(text), state)).state
    values = [str(v) for v in dataclasses.asdict(state).values() if v is not None]
    for text in said:
        for value in values:
            assert text not in value
    assert "Alice" not in repr(state)
    assert "07700" not in repr(state)
    assert state.last_entry_id == "sessions-change"


async def test_a_new_library_is_used_from_the_next_request(
    small_engine: Engine, tmp_path: Path
) -> None:
    root = write_knowledge(
        tmp_path / "other",
        {
            "entries/other.yaml": """\
                entries:
                  - id: greeting
                    kind: smalltalk
                    topic: chat
                    question: Hello
                    answer: Hello from the new knowledge.
                """
        },
    )
    before = only(small_engine.respond(Message("hello"), UserState()))
    small_engine.replace_library(Library.build(load_knowledge(root), Matching()))
    after = only(small_engine.respond(Message("hello"), UserState()))
    assert before.text != after.text
    assert after.text == "Hello from the new knowledge."


def test_the_core_imports_nothing_from_telegram_nor_any_event_loop() -> None:
    for path in sorted((REPO_ROOT / "bot" / "core").glob("*.py")):
        name = path.stem
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            roots = {m.split(".")[0] for m in modules}
            assert not roots & {"telegram", "asyncio", "aiosqlite"}, name


def test_importing_the_engine_does_not_load_telegram() -> None:
    code = (
        "import sys, bot.core.engine, bot.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'telegram'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
