"""Arbitrary input never breaks the bot: any text, button data or knowledge file.

Property-based (Hypothesis), with a fixed seed and a modest number of examples so that CI runs
the same cases every time. The properties: no exception escapes, and every message still gets
a reply of a known kind (the bound on time is pytest's own: a hang would stop the run).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.replies import Kind, UserState
from bot.core.requests import Command, Message, Press
from bot.core.safety import CrisisDetector
from bot.core.text import reveal, sentences
from bot.editing.knowledge_files import read_knowledge
from tests.conftest import write_knowledge

FUZZ = settings(
    max_examples=60,
    deadline=None,  # the encoder's first call loads lazily; time is not the property here
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any Unicode, control characters, lone surrogates and invisible characters included.
ANY_TEXT = st.text(st.characters(codec=None, blacklist_categories=()), max_size=300)
HUGE_TEXT = st.builds(lambda word, n: (word + " ") * n, st.text(max_size=12), st.integers(0, 3000))


@seed(20261202)
@FUZZ
@given(text=st.one_of(ANY_TEXT, HUGE_TEXT))
def test_any_message_gets_a_reply_of_a_known_kind(shipped_engine: Engine, text: str) -> None:
    turn = shipped_engine.respond(Message(text), UserState())
    assert turn.replies
    assert all(reply.kind in Kind for reply in turn.replies)


@seed(20261202)
@FUZZ
@given(action=st.one_of(ANY_TEXT, st.from_regex(r"[atgc]:[^\n]{0,40}", fullmatch=True)))
def test_any_button_data_gets_a_reply(shipped_engine: Engine, action: str) -> None:
    turn = shipped_engine.respond(Press(action), UserState())
    assert turn.replies


@seed(20261202)
@FUZZ
@given(name=ANY_TEXT)
def test_any_command_gets_a_reply(shipped_engine: Engine, name: str) -> None:
    turn = shipped_engine.respond(Command(name), UserState())
    assert turn.replies


@seed(20261202)
@FUZZ
@given(text=ANY_TEXT)
def test_the_crisis_check_and_its_text_tools_take_any_text(
    shipped_engine: Engine, text: str
) -> None:
    detector: CrisisDetector = shipped_engine.library.detector
    revealed = reveal(text)
    assert isinstance(revealed, str)
    assert all(part.strip() for part in sentences(revealed))
    detector.assess(text)


YAML_SCALARS = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        [
            "!Important question",
            "!!int abc",
            "!!timestamp 2024-13-45",
            "&a [x]",
            "*a",
            "{",
            "- - -",
            "? x",
            "%YAML 9.9",
            "\t\tx",
            "~",
            "yes",
        ]
    ),
)


@seed(20261202)
@FUZZ
@given(value=YAML_SCALARS)
def test_any_knowledge_file_gives_problems_never_an_exception(tmp_path: Path, value: str) -> None:
    text = f"entries:\n  - id: fuzz\n    question: {value}\n    answer: x\n    source: x\n"
    root = write_knowledge(tmp_path / "knowledge", {"entries/fuzz.yaml": text})
    knowledge, problems = read_knowledge(root)
    assert knowledge is not None or problems
    for problem in problems:
        assert problem.file and problem.message
    (root / "entries" / "fuzz.yaml").write_bytes(value.encode("utf-8", "surrogatepass"))
    knowledge, problems = read_knowledge(root)
    assert knowledge is not None or problems
