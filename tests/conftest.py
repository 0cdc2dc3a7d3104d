"""Shared fixtures: the shipped knowledge base, and a small one of our own in tmp_path.

Tests of the matcher and the engine use the small knowledge base so that they do not break
when staff reword the shipped FAQ; tests that must see the shipped content say so by asking
for `shipped_knowledge`.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.embeddings import Embeddings
from bot.adapters.encoder import Encoder
from bot.adapters.sqlite.store import SqliteStore
from bot.config import TOKEN_ENV, Clinic, Matching
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from bot.core.library import Library
from bot.core.matcher import Matcher
from bot.editing.knowledge_files import load_knowledge
from tests.fake_bot_api import TOKEN, FakeBotApi

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_KNOWLEDGE = REPO_ROOT / "knowledge"
CLINIC = Clinic(
    name="Riverside Talking Therapies",
    contact="Riverside Talking Therapies on 01234 567890",
    referral="Ask your GP to refer you to Riverside.",
)

# A handful of entries built to exercise the matcher and the engine:
# - two unrelated session entries that share most of their wording (for "did you mean"),
# - per-problem entries and a wildcard entry for problems that are not listed,
# - a follow-up: "and can that be changed?" alone is torn between sessions-change and
#   therapist-change (their questions differ in one equally rare word), but after the
#   sessions-count answer, which relates to sessions-change, it can only mean that one,
# - small talk and a not-covered entry.
SMALL_ENTRIES = {
    "entries/sessions.yaml": """\
        entries:
          - id: sessions-count
            topic: sessions
            question: How many sessions does DIT take?
            alternates:
              - how many sessions are there
              - number of sessions
            answer: DIT is usually offered as a set of 16 sessions.
            related: [sessions-change, first-session]
            source: "usually offered in a set of 16 sessions"

          - id: sessions-change
            topic: sessions
            question: Can the schedule be changed?
            alternates:
              - can the number of sessions dit takes be changed
            answer: The number can be decided with your therapist at the first consultation.
            related: [sessions-count]
            source: "this can be decided between you and your therapist"

          - id: first-session
            topic: sessions
            question: What happens in the first weekly session?
            answer: You and your therapist agree how many sessions you will have.
            source: "at your first consultation"

          - id: last-session
            topic: sessions
            question: What happens in the last weekly session?
            answer: You look back together at what has changed.
            source: "a short term therapy"
        """,
    "entries/problems.yaml": """\
        entries:
          - id: help-bereavement
            topic: problems
            question: Can DIT help with bereavement?
            alternates:
              - is dit good for bereavement
            answer: Bereavement is one of the problems DIT has been developed for.
            related: [help-depression]
            source: "Bereavement"

          - id: help-depression
            topic: problems
            question: Can DIT help with depression?
            alternates:
              - is dit good for depression
            answer: Depression is one of the problems DIT has been developed for.
            related: [help-bereavement]
            source: "Depression"

          - id: help-not-listed
            topic: problems
            question: Can DIT help with a problem that is not on the list?
            alternates:
              - can dit help with *
            answer: >-
              That is not one of the problems listed in the information I have. Please ask
              {clinic_contact}.
            related: [help-depression]
            source: "It has been developed for the following:"
        """,
    "entries/other.yaml": """\
        entries:
          - id: greeting
            kind: smalltalk
            topic: chat
            question: Hello
            alternates: [hi, hiya, good morning]
            answer: Hello. Ask me anything about DIT.

          - id: therapist-change
            topic: therapist
            question: Can the therapist be changed?
            answer: Please ask {clinic_contact} about changing your therapist.
            source: "your therapist"

          - id: nc-cost
            kind: not_covered
            topic: practical
            question: How much does DIT cost?
            alternates: [what is the price of dit]
            answer: I don't have information about cost. Please ask {clinic_contact}.
        """,
    "guides.yaml": """\
        guides:
          - id: tour
            title: A short tour
            steps:
              - entry: sessions-count
              - text: DIT can help with several problems.
                choices:
                  - label: Bereavement
                    entry: help-bereavement
              - entry: help-depression
        """,
    "language.yaml": """\
        language:
          synonyms:
            session: [sessions, appointments, appointment]
            bereavement: [grief, grieving, lost someone, passed away]
          filler_words: [hi, hello, please, thanks, honestly, tbh]
          names: [dit]
          other_therapies: [cbt, physical therapy]
        """,
}


def write_knowledge(root: Path, files: dict[str, str] | None = None) -> Path:
    """A small, complete knowledge folder at `root`: the shipped texts plus our own entries.

    `files` adds or replaces files (relative path -> YAML text, dedented); a value of ""
    removes that file.
    """
    root.mkdir(parents=True, exist_ok=True)
    for name in ("messages.yaml", "crisis.yaml", "topics.yaml"):
        shutil.copyfile(SHIPPED_KNOWLEDGE / name, root / name)
    for name, text in {**SMALL_ENTRIES, **(files or {})}.items():
        path = root / name
        if text == "":
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A fresh small knowledge folder, for tests that change or break it."""
    return write_knowledge(tmp_path / "knowledge")


@pytest.fixture(scope="session")
def small_knowledge(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    # Knowledge bases are immutable, so one load serves every test.
    return load_knowledge(write_knowledge(tmp_path_factory.mktemp("small") / "knowledge"))


@pytest.fixture(scope="session")
def small_library(small_knowledge: KnowledgeBase) -> Library:
    return Library.build(small_knowledge, Matching())


@pytest.fixture(scope="session")
def small_matcher(small_library: Library) -> Matcher:
    return small_library.matcher


@pytest.fixture
def small_engine(small_library: Library) -> Engine:
    # A fresh engine per test: replace_library changes an engine.
    return Engine(small_library, CLINIC, retention_days=30)


@pytest.fixture(scope="session")
def shipped_knowledge() -> KnowledgeBase:
    return load_knowledge(SHIPPED_KNOWLEDGE)


@pytest.fixture(scope="session")
def embeddings() -> Embeddings:
    """The shipped encoder, with its cache where `dit-bot` itself keeps it (data/cache at the
    repository root), so that the bank is encoded once per clone, not once per test."""
    return Embeddings(Encoder(), REPO_ROOT / "data" / "cache")


@pytest.fixture(scope="session")
def shipped_engine(shipped_knowledge: KnowledgeBase, embeddings: Embeddings) -> Engine:
    return Engine.from_knowledge(shipped_knowledge, CLINIC, Matching(), embeddings=embeddings)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """An open SQLite store in a fresh file, closed after the test."""
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def telegram_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake Bot API's token in the environment, where `dit-bot run` reads it."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A fake Telegram Bot API over HTTP on 127.0.0.1, stopped after the test."""
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()
