"""Live reload: valid edits are served, invalid ones are not, and nobody sees a half-loaded base.

The first tests drive the reloader directly, one look at a time; the rest run the real
Application against the fake Bot API with a short reload interval and wait (with a bound)
for the reloader to have looked.
"""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import Any

import pytest

import bot.editing.reloader as reloader_module
from bot.bootstrap import build_engine
from bot.config import Config, Matching
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from bot.core.replies import UserState
from bot.core.requests import Message
from bot.editing.knowledge_files import read_knowledge
from bot.editing.reloader import KnowledgeReloader, Status, content_version, signature
from bot.editing.yaml_reading import Problem
from tests.conftest import SMALL_ENTRIES
from tests.fake_bot_api import FakeBotApi
from tests.running_bot import config_for, engine_of, reloader_of, running, until

USER = 1001
ADMIN = 9001
OTHER_ADMIN = 9002
QUESTION = "How many sessions does DIT take?"
OLD_ANSWER = "DIT is usually offered as a set of 16 sessions."
NEW_ANSWER = "DIT is usually offered as a set of 16 weekly sessions of 50 minutes."
SESSIONS = textwrap.dedent(SMALL_ENTRIES["entries/sessions.yaml"])
EDITED = SESSIONS.replace(OLD_ANSWER, NEW_ANSWER)
# YAML that does not parse: the quote is never closed (as in a file cut off mid-write).
BROKEN = EDITED[: EDITED.index('source: "usually') + len('source: "usually')]


pytestmark = pytest.mark.usefixtures("telegram_token")


def engine_for(knowledge_dir: Path) -> Engine:
    return build_engine(Config(knowledge_dir=knowledge_dir))


def edit(knowledge_dir: Path, text: str, name: str = "entries/sessions.yaml") -> None:
    (knowledge_dir / name).write_text(text, encoding="utf-8")


async def answer_to(engine: Engine, question: str = QUESTION) -> str:
    turn = engine.respond(Message(question), UserState())
    return turn.replies[0].text


def yaml_problem(problems: tuple[Problem, ...]) -> Problem:
    """The problem the cut-off file causes (an entry it held is also missing elsewhere)."""
    (problem,) = [p for p in problems if p.file == "knowledge/entries/sessions.yaml"]
    assert "not valid YAML" in problem.message
    return problem


def loaded(knowledge_dir: Path) -> KnowledgeBase:
    knowledge, problems = read_knowledge(knowledge_dir)
    assert knowledge is not None, problems
    return knowledge


# The reloader, one look at a time


def test_the_content_version_is_the_fingerprint_of_what_is_loaded(knowledge_dir: Path) -> None:
    assert content_version(knowledge_dir) == loaded(knowledge_dir).fingerprint
    edit(knowledge_dir, EDITED)
    assert content_version(knowledge_dir) == loaded(knowledge_dir).fingerprint


async def test_a_valid_edit_is_loaded_with_one_swap(knowledge_dir: Path) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    before = engine.library
    assert (await reloader.refresh()).status is Status.UNCHANGED
    edit(knowledge_dir, EDITED)

    result = await reloader.refresh()

    assert result.status is Status.LOADED
    assert result.entries == len(engine.library.knowledge.entries)
    assert engine.library is not before
    assert before.knowledge.entries["sessions-count"].answer == OLD_ANSWER  # never patched
    assert await answer_to(engine) == NEW_ANSWER
    assert (await reloader.refresh()).status is Status.UNCHANGED


async def test_touching_a_file_without_changing_it_loads_nothing(knowledge_dir: Path) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    library = engine.library
    edit(knowledge_dir, SESSIONS + "\n")  # the signature moves ...
    edit(knowledge_dir, SESSIONS)  # ... and the content is as before
    assert (await reloader.refresh()).status is Status.UNCHANGED
    assert engine.library is library


async def test_an_invalid_edit_keeps_the_last_good_version_and_is_reported_once(
    knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    library = engine.library
    edit(knowledge_dir, BROKEN)

    with caplog.at_level(logging.ERROR, logger="bot.editing.reloader"):
        first = await reloader.refresh()
        assert (first.status, first.new) == (Status.INVALID, False)  # maybe a save in progress
        assert not caplog.records
        second = await reloader.refresh()
        third = await reloader.refresh()

    assert (second.status, second.new) == (Status.INVALID, True)
    assert (third.status, third.new) == (Status.INVALID, False)
    assert engine.library is library
    assert await answer_to(engine) == OLD_ANSWER
    problem = yaml_problem(second.problems)
    assert problem.line > 1
    logged = [record.getMessage() for record in caplog.records]
    assert logged.count(str(problem)) == 1  # logged as file:line: message, once


async def test_reload_reports_a_broken_version_at_once(knowledge_dir: Path) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    edit(knowledge_dir, BROKEN)
    result = await reloader.refresh(force=True)
    assert (result.status, result.new) == (Status.INVALID, True)
    again = await reloader.refresh(force=True)
    assert (again.status, again.new) == (Status.INVALID, False)
    assert again.problems == result.problems


async def test_a_crisis_example_that_no_longer_matches_is_an_error(knowledge_dir: Path) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    crisis = (knowledge_dir / "crisis.yaml").read_text(encoding="utf-8")
    assert "  examples:\n" in crisis
    edit(
        knowledge_dir,
        crisis.replace("  examples:\n", "  examples:\n    - I would like some tea please\n", 1),
        "crisis.yaml",
    )
    result = await reloader.refresh(force=True)
    assert result.status is Status.INVALID
    assert any(
        p.file == "knowledge/crisis.yaml" and "not recognised as a crisis" in p.message
        for p in result.problems
    )


async def test_a_write_caught_half_way_fails_then_the_finished_file_loads(
    knowledge_dir: Path,
) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    edit(knowledge_dir, BROKEN)
    assert (await reloader.refresh()).status is Status.INVALID
    edit(knowledge_dir, EDITED)
    result = await reloader.refresh()
    assert result.status is Status.LOADED
    assert not result.new
    assert await answer_to(engine) == NEW_ANSWER


async def test_files_changing_while_read_are_read_again_next_time(
    knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    library = engine.library
    real_read = reloader_module.read_knowledge

    def read_then_edit(root: Path) -> tuple[KnowledgeBase | None, list[Problem]]:
        found = real_read(root)
        edit(knowledge_dir, EDITED.replace(NEW_ANSWER, NEW_ANSWER + " Ask us."))
        return found

    edit(knowledge_dir, EDITED)
    monkeypatch.setattr(reloader_module, "read_knowledge", read_then_edit)
    assert (await reloader.refresh()).status is Status.CHANGING
    assert engine.library is library
    monkeypatch.setattr(reloader_module, "read_knowledge", real_read)
    assert (await reloader.refresh()).status is Status.LOADED
    assert await answer_to(engine) == NEW_ANSWER + " Ask us."


async def test_a_knowledge_base_that_cannot_be_built_is_not_served(
    knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())

    def fail(*args: Any) -> Any:
        raise ValueError("no matcher today")

    monkeypatch.setattr(reloader_module.Library, "build", fail)
    edit(knowledge_dir, EDITED)
    result = await reloader.refresh(force=True)
    assert result.status is Status.INVALID
    assert "no matcher today" in result.problems[0].message
    assert await answer_to(engine) == OLD_ANSWER


async def test_a_removed_file_is_a_change(knowledge_dir: Path) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    before = signature(knowledge_dir)
    (knowledge_dir / "entries" / "other.yaml").unlink()
    assert signature(knowledge_dir) != before
    result = await reloader.refresh()
    assert result.status is Status.LOADED
    assert "therapist-change" not in engine.library.knowledge.entries


# Under a running Application


async def test_a_valid_edit_is_served_and_guide_state_survives(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    config = config_for(api, knowledge_dir, tmp_path / "bot.sqlite3", reload_interval_seconds=0.02)
    async with running(config) as app:
        engine = engine_of(app)
        reloader = reloader_of(app)
        api.message(USER, "/guide")
        (menu,) = await api.replies(USER, 1)
        api.press(USER, menu, "g:tour:0")
        step_one = (await api.replies(USER, 2))[-1]
        api.press(USER, step_one, "g:tour:1")
        await api.replies(USER, 3)

        edit(knowledge_dir, EDITED)
        await until(lambda: reloader.version == content_version(knowledge_dir))

        api.message(USER, QUESTION)
        replies = await api.replies(USER, 4)
        assert replies[-1].text == NEW_ANSWER
        api.message(USER, "/guide")
        resumed = (await api.replies(USER, 5))[-1]
        total = len(engine.library.knowledge.guides["tour"].steps)
        title = engine.library.knowledge.guides["tour"].title
        assert resumed.text == engine.library.knowledge.message(
            "guide_continue", engine.clinic, title=title, step=2, total=total
        )


async def test_an_invalid_edit_keeps_answers_tells_admins_and_logs_file_line(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_for(
        api,
        knowledge_dir,
        tmp_path / "bot.sqlite3",
        reload_interval_seconds=0.02,
        admins=(ADMIN, OTHER_ADMIN),
    )
    caplog.set_level(logging.ERROR, logger="bot.editing.reloader")
    async with running(config) as app:
        reloader = reloader_of(app)
        edit(knowledge_dir, BROKEN)
        await api.wait_for(lambda a: bool(a.sent(ADMIN)) and bool(a.sent(OTHER_ADMIN)))

        (told,) = api.sent(ADMIN)
        assert reloader.last is not None
        problem = yaml_problem(reloader.last.problems)
        assert str(problem) in told.text.splitlines()
        assert told.text == api.sent(OTHER_ADMIN)[0].text
        assert str(problem) in caplog.messages

        api.message(USER, QUESTION)
        (reply,) = await api.replies(USER, 1)
        assert reply.text == OLD_ANSWER

        # The same broken version is not reported again; another one is.
        polls = reloader.polls
        await until(lambda: reloader.polls >= polls + 3)
        assert len(api.sent(ADMIN)) == 1
        edit(knowledge_dir, BROKEN.replace("sessions-count", "sessions-count-x", 1))
        await api.wait_for(lambda a: len(a.sent(ADMIN)) == 2)

        edit(knowledge_dir, EDITED)
        await until(lambda: reloader.version == content_version(knowledge_dir))
        api.message(USER, QUESTION)
        assert (await api.replies(USER, 2))[-1].text == NEW_ANSWER


async def test_a_half_written_file_under_a_running_bot_recovers(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    config = config_for(api, knowledge_dir, tmp_path / "bot.sqlite3", reload_interval_seconds=0.02)
    async with running(config) as app:
        reloader = reloader_of(app)
        edit(knowledge_dir, BROKEN)
        await until(lambda: reloader.last is not None and reloader.last.status is Status.INVALID)
        api.message(USER, QUESTION)
        (reply,) = await api.replies(USER, 1)
        assert reply.text == OLD_ANSWER

        edit(knowledge_dir, EDITED)
        await until(lambda: reloader.last is not None and reloader.last.status is Status.LOADED)
        api.message(USER, QUESTION)
        assert (await api.replies(USER, 2))[-1].text == NEW_ANSWER


async def test_reload_by_an_admin_says_what_happened(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    # The watcher would only look in an hour: everything here is /reload's doing.
    config = config_for(
        api,
        knowledge_dir,
        tmp_path / "bot.sqlite3",
        reload_interval_seconds=3600,
        admins=(ADMIN, OTHER_ADMIN),
    )
    async with running(config) as app:
        engine = engine_of(app)
        entries = len(engine.library.knowledge.entries)

        def text(key: str, **values: object) -> str:
            return engine.library.knowledge.message(key, engine.clinic, **values)

        api.message(ADMIN, "/reload")
        (unchanged,) = await api.replies(ADMIN, 1)
        assert unchanged.text == text("reload_unchanged", entries=entries)

        edit(knowledge_dir, EDITED)
        api.message(ADMIN, "/reload")
        done = (await api.replies(ADMIN, 2))[-1]
        assert done.text == text("reload_done", entries=entries)
        api.message(USER, QUESTION)
        assert (await api.replies(USER, 1))[-1].text == NEW_ANSWER

        edit(knowledge_dir, BROKEN)
        api.message(ADMIN, "/reload")
        failed = (await api.replies(ADMIN, 3))[-1]
        problems = reloader_of(app).last.problems
        listed = "\n".join(str(p) for p in problems)
        assert failed.text == text("reload_failed", count=len(problems), problems=listed)
        assert str(yaml_problem(problems)) in failed.text.splitlines()
        # The other admin is told too; the one who asked gets one message, not two.
        (told,) = await api.replies(OTHER_ADMIN, 1)
        assert told.text == failed.text
        api.message(ADMIN, "/reload")
        again = (await api.replies(ADMIN, 4))[-1]
        assert again.text == failed.text
        assert len(api.sent(OTHER_ADMIN)) == 1
        assert (await answer_to(engine)) == NEW_ANSWER
        assert not any(call.buttons for call in api.sent(ADMIN))


async def test_the_watcher_stops_with_the_application(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    config = config_for(api, knowledge_dir, tmp_path / "bot.sqlite3", reload_interval_seconds=0.02)
    async with running(config) as app:
        reloader = reloader_of(app)
        await until(lambda: reloader.polls >= 2)
    polls = reloader.polls
    edit(knowledge_dir, EDITED)
    assert not reloader.watching
    assert reloader.polls == polls


# The risk bank, live


async def test_a_risk_example_added_by_staff_counts_after_the_reload(tmp_path: Path) -> None:
    import shutil

    from bot.core.replies import Kind
    from tests.conftest import SHIPPED_KNOWLEDGE

    knowledge_dir = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, knowledge_dir)
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    # A coded phrase no pattern or example knows yet (the shipped bank, grown, recognised
    # an earlier one on its own: "taking the long walk to the quarry, for good").
    coded = "the blue kettle plan is on for thursday"
    assert (engine.respond(Message(coded), UserState())).replies[0].kind is not Kind.CRISIS

    bank = knowledge_dir / "risk" / "active_ideation_local.yaml"
    bank.write_text(
        "risk_examples:\n"
        "  category: active_ideation\n"
        "  kind: crisis\n"
        "  examples:\n"
        "    - the blue kettle plan is how i end my life\n"
        "    - doing the blue kettle plan on thursday, then it's over\n"
        "    - the blue kettle plan is on, i won't be here after\n",
        encoding="utf-8",
    )
    assert (await reloader.refresh()).status is Status.LOADED
    assert (engine.respond(Message(coded), UserState())).replies[0].kind is Kind.CRISIS


async def test_a_pattern_that_cannot_be_bounded_is_refused_and_the_last_good_stays(
    knowledge_dir: Path,
) -> None:
    engine = engine_for(knowledge_dir)
    reloader = KnowledgeReloader(engine, knowledge_dir, Matching())
    served = engine.library
    crisis = (knowledge_dir / "crisis.yaml").read_text(encoding="utf-8")
    slow = crisis.replace("  patterns:\n", "  patterns:\n    - '(\\w+\\s?)+\\d'\n", 1)
    (knowledge_dir / "crisis.yaml").write_text(slow, encoding="utf-8")

    result = await reloader.refresh()

    assert result.status is Status.INVALID
    assert any("takes too long" in p.message for p in result.problems)
    assert engine.library is served
    assert await answer_to(engine) == OLD_ANSWER
