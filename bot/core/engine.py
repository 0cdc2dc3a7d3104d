"""The dialogue engine: a request and a user's state in, replies and the new state out.

It does no I/O and knows nothing of Telegram: every adapter (Telegram, the terminal chat,
the batch commands) turns what a person did into a Request and shows the Turn it gets back.
Safety comes first in `respond`: a message is checked for crisis content before matching.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.core.fusion import decide
from bot.core.knowledge import Entry, Guide, KnowledgeBase, crisis_reply, render
from bot.core.library import Library
from bot.core.matcher import Decision, Outcome
from bot.core.replies import Kind, Option, Reply, Turn, UserState
from bot.core.requests import (
    ANSWER_PREFIX,
    ASK,
    FORGET,
    GUIDE_PREFIX,
    GUIDE_RESUME,
    GUIDE_STOP,
    GUIDES,
    TOPIC_PREFIX,
    TOPICS,
    URGENT,
    Message,
    Press,
    Request,
)
from bot.core.safety import Level
from bot.core.settings import Clinic, Matching
from bot.core.text import is_plain_number, words
from bot.core.vectors import Embedder, Vectors

_LOG = logging.getLogger(__name__)
# Related entries offered under an answer.
MAX_RELATED = 3

# Words that make a short message lean on the previous answer ("and can that be changed?").
_FOLLOW_UP_WORDS = frozenset({"that", "it", "this", "they", "those", "there", "and", "also"})
_FOLLOW_UP_MAX_WORDS = 10
_FOLLOW_UP_DEPTH = 50
_FOLLOW_UP_SUPPORT = 0.5


class Engine:
    def __init__(
        self,
        library: Library,
        clinic: Clinic,
        retention_days: int = 90,
        user_retention_days: int = 365,
    ) -> None:
        self.library = library
        self.clinic = clinic
        self.retention_days = retention_days
        self.user_retention_days = user_retention_days

    @classmethod
    def from_knowledge(
        cls,
        knowledge: KnowledgeBase,
        clinic: Clinic,
        matching: Matching,
        retention_days: int = 90,
        embeddings: Embedder | None = None,
        user_retention_days: int = 365,
    ) -> Engine:
        library = Library.build(knowledge, matching, embeddings)
        return cls(library, clinic, retention_days, user_retention_days)

    def replace_library(self, library: Library) -> None:
        """Serve a new knowledge base from the next request on (one reference swap)."""
        self.library = library

    def respond(self, request: Request, state: UserState, library: Library | None = None) -> Turn:
        """Everything the bot says back to one thing a person did, from `library` (the one
        being served, if not given): one snapshot for the whole request, even across a reload.

        Takes milliseconds of CPU (the encoder, the matcher): callers with an event loop run
        it in a worker thread (`bot.service.conversation`)."""
        library = library if library is not None else self.library
        limits = (self.retention_days, self.user_retention_days)
        return _Answering(library, self.clinic, limits, state).respond(request)

    def is_crisis(self, text: str) -> bool:
        """Whether a message would get the crisis reply."""
        return self.library.detector.assess(text).level is Level.CRISIS


class _Answering:
    """One request's worth of work against one library snapshot."""

    def __init__(
        self, library: Library, clinic: Clinic, retention: tuple[int, int], state: UserState
    ) -> None:
        self.library = library
        self.knowledge = library.knowledge
        self.clinic = clinic.filled(library.knowledge.messages)
        # Days unanswered questions and users' state are kept.
        self.retention_days, self.user_retention_days = retention
        self.state = state

    def respond(self, request: Request) -> Turn:
        if isinstance(request, Message):
            return self.message(request.text)
        if isinstance(request, Press):
            return self.press(request.action)
        return self.command(request.name)

    # Free text

    def message(self, text: str) -> Turn:
        risk = self.library.detector.assess(text)
        if risk.level is Level.CRISIS:
            return self.turn(self.crisis(risk.category))
        turn = self.understood(text, risk.vectors)
        return self.with_support(turn) if risk.level is Level.SUPPORT else turn

    def understood(self, text: str, vectors: Vectors | None = None) -> Turn:
        """The reply to a question; `vectors` (the crisis check's encoding of the message)
        let meaning weigh in with the words (`bot.core.fusion.decide`)."""
        if not text.strip():
            return self.turn(self.reply(Kind.FALLBACK, "empty"))
        decision = self.follow_up(text)
        if decision is None:
            decision = decide(self.library.matcher, self.library.meaning, text, vectors)
        therapy = self.library.subjects.other_therapy(text) if _is_about_dit(decision) else None
        if therapy:
            # Every answer is about DIT; this question is about another therapy.
            options = self.topic_options()
            return self.turn(
                self.reply(Kind.FALLBACK, "other_therapy", options=options, therapy=therapy)
            )
        if decision.outcome is Outcome.ANSWER and decision.best is not None:
            entry = decision.best.entry
            return self.answer(entry, decision.confidence)
        if decision.outcome is Outcome.CLARIFY:
            options = tuple(
                Option(c.entry.question, ANSWER_PREFIX + c.entry.id, c.entry.id)
                for c in decision.candidates
            )
            key = "clarify_one" if len(options) == 1 else "clarify"
            reply = self.reply(Kind.CLARIFY, key, options=options, confidence=decision.confidence)
            return self.turn(reply)
        reply = self.reply(
            Kind.FALLBACK, "fallback", options=self.topic_options(), confidence=decision.confidence
        )
        return self.turn(reply)

    def follow_up(self, text: str) -> Decision | None:
        """Read a short follow-up in the light of the last answer, among its related entries.

        "and can that be changed?" after the sessions answer means the number of sessions.
        The message itself must point at the entry (the last question only breaks ties), and
        about as strongly as at anything else, so a new question is never bent to the old one.
        """
        last = self.knowledge.entries.get(self.state.last_entry_id or "")
        said = words(text)
        if last is None or not said or len(said) > _FOLLOW_UP_MAX_WORDS:
            return None
        if not _FOLLOW_UP_WORDS & set(said):
            return None
        matcher = self.library.matcher
        alone = {c.entry.id: c.score for c in matcher.rank(text, _FOLLOW_UP_DEPTH)}
        if not alone:
            return None
        floor = _FOLLOW_UP_SUPPORT * max(alone.values())
        ranked = [
            c
            for c in matcher.rank(f"{last.question} {text}", _FOLLOW_UP_DEPTH)
            if c.entry.id in last.related and alone.get(c.entry.id, 0.0) >= floor > 0
        ]
        decision = matcher.decide(text, ranked)
        return decision if decision.outcome is Outcome.ANSWER else None

    # Buttons

    def press(self, action: str) -> Turn:
        if action.startswith(ANSWER_PREFIX):
            entry = self.knowledge.entries.get(action.removeprefix(ANSWER_PREFIX))
            return self.answer(entry, 1.0) if entry else self.expired()
        if action == TOPICS:
            return self.turn(self.topics())
        if action.startswith(TOPIC_PREFIX):
            return self.topic(action.removeprefix(TOPIC_PREFIX))
        if action == GUIDES:
            return self.turn(self.guides())
        if action == GUIDE_STOP:
            stopped = self.state.evolve(guide_id=None, guide_step=0)
            return Turn((self.reply(Kind.NOTICE, "guide_stopped", edit=True),), stopped)
        if action == GUIDE_RESUME:
            guide = self.knowledge.guides.get(self.state.guide_id or "")
            return self.guide_step(guide, self.state.guide_step) if guide else self.expired()
        if action.startswith(GUIDE_PREFIX):
            guide_id, _, step = action.removeprefix(GUIDE_PREFIX).partition(":")
            guide = self.knowledge.guides.get(guide_id)
            if guide is None or not is_plain_number(step):
                return self.expired()
            return self.guide_step(guide, int(step))
        if action == ASK:
            return self.turn(self.reply(Kind.NOTICE, "ask_prompt"))
        if action == URGENT:
            return self.turn(self.crisis())
        return self.expired()

    # Commands

    def command(self, name: str) -> Turn:
        if name == "start":
            return self.turn(self.start())
        if name == "help":
            return self.turn(self.reply(Kind.NOTICE, "help", options=self.menu_options()))
        if name == "topics":
            return self.turn(self.topics())
        if name == "guide":
            if self.in_guide():
                return self.turn(self.offer_to_continue("guide_continue"))
            return self.turn(self.guides())
        if name == "privacy":
            privacy = self.reply(
                Kind.NOTICE,
                "privacy",
                retention_days=self.retention_days,
                user_retention_days=self.user_retention_days,
            )
            return self.turn(privacy)
        if name == "forget":
            forgotten = self.reply(Kind.NOTICE, "forgotten")
            return Turn((forgotten,), UserState(), frozenset({FORGET}))
        if name == "urgent":
            return self.turn(self.crisis())
        return self.turn(self.reply(Kind.NOTICE, "unknown_command", options=self.menu_options()))

    # Building replies

    def answer(self, entry: Entry, confidence: float) -> Turn:
        kind = {
            "answer": Kind.ANSWER,
            "smalltalk": Kind.SMALLTALK,
            "not_covered": Kind.FALLBACK,
        }[entry.kind]
        related = tuple(
            Option(self.knowledge.entries[r].question, ANSWER_PREFIX + r, r)
            for r in entry.related[:MAX_RELATED]
            if r in self.knowledge.entries
        )
        reply = Reply(
            kind=kind,
            text=render(entry.answer, self.clinic),
            options=related,
            entry_id=entry.id,
            confidence=round(confidence, 4),
        )
        state = self.state.evolve(last_entry_id=entry.id) if entry.kind == "answer" else self.state
        return Turn((reply,), state)

    def crisis(self, category: str | None = None) -> Reply:
        text = crisis_reply(self.knowledge.crisis, self.clinic, category)
        return Reply(Kind.CRISIS, text, confidence=1.0)

    def with_support(self, turn: Turn) -> Turn:
        """A sensitive message's answer (or honest fallback) with a gentle pointer to support."""
        note = render(self.knowledge.crisis.support, self.clinic)
        first, *rest = turn.replies
        kind = Kind.SUPPORT if first.kind in (Kind.ANSWER, Kind.FALLBACK) else first.kind
        supported = replace(first, kind=kind, text=f"{first.text}\n\n{note}")
        return replace(turn, replies=(supported, *rest))

    def start(self) -> Reply:
        if self.in_guide():
            return self.offer_to_continue("start_returning")
        return self.reply(Kind.NOTICE, "start", options=self.menu_options())

    def offer_to_continue(self, key: str) -> Reply:
        guide = self.knowledge.guides[self.state.guide_id or ""]
        options = (
            Option(self.text("button_continue"), GUIDE_RESUME),
            Option(self.text("button_restart"), f"{GUIDE_PREFIX}{guide.id}:0"),
            Option(self.text("button_topics"), TOPICS),
        )
        return self.reply(
            Kind.NOTICE,
            key,
            options=options,
            title=guide.title,
            step=self.state.guide_step + 1,
            total=len(guide.steps),
        )

    def topics(self) -> Reply:
        return self.reply(Kind.NOTICE, "topics", options=self.topic_options())

    def topic(self, topic_id: str) -> Turn:
        topic = next((t for t in self.knowledge.topics if t.id == topic_id), None)
        if topic is None:
            return self.expired()
        options = tuple(
            Option(e.question, ANSWER_PREFIX + e.id, e.id)
            for e in self.knowledge.entries_in(topic.id)
        )
        return self.turn(self.reply(Kind.NOTICE, "topic", options=options, label=topic.label))

    def guides(self) -> Reply:
        options = tuple(
            Option(g.title, f"{GUIDE_PREFIX}{g.id}:0") for g in self.knowledge.guides.values()
        )
        return self.reply(Kind.NOTICE, "guides", options=options)

    def guide_step(self, guide: Guide, number: int) -> Turn:
        total = len(guide.steps)
        if number >= total:
            done = self.state.evolve(guide_id=None, guide_step=0)
            after = (
                Option(self.text("button_topics"), TOPICS),
                Option(self.text("button_ask"), ASK),
            )
            finished = self.reply(Kind.GUIDE, "guide_finished", options=after, edit=True)
            return Turn((finished,), done)
        step = guide.steps[number]
        entry = self.knowledge.entries.get(step.entry) if step.entry else None
        title = step.title or (entry.question if entry else guide.title)
        body = render(entry.answer if entry else step.text or "", self.clinic)
        options = [Option(c.label, ANSWER_PREFIX + c.entry, c.entry) for c in step.choices]
        if number > 0:
            back = f"{GUIDE_PREFIX}{guide.id}:{number - 1}"
            options.append(Option(self.text("button_back"), back))
        last = number == total - 1
        next_label = self.text("button_finish" if last else "button_next")
        options.append(Option(next_label, f"{GUIDE_PREFIX}{guide.id}:{number + 1}"))
        options.append(Option(self.text("button_stop"), GUIDE_STOP))
        reply = self.reply(
            Kind.GUIDE,
            "guide_step",
            options=tuple(options),
            entry_id=entry.id if entry else None,
            edit=True,
            title=title,
            step=number + 1,
            total=total,
            text=body,
        )
        state = self.state.evolve(
            guide_id=guide.id,
            guide_step=number,
            last_entry_id=entry.id if entry else self.state.last_entry_id,
        )
        return Turn((reply,), state)

    def expired(self) -> Turn:
        return self.turn(self.reply(Kind.NOTICE, "expired", options=self.menu_options()))

    def menu_options(self) -> tuple[Option, ...]:
        return (
            Option(self.text("button_tour"), GUIDES),
            Option(self.text("button_topics"), TOPICS),
            Option(self.text("button_ask"), ASK),
        )

    def topic_options(self) -> tuple[Option, ...]:
        return tuple(
            Option(t.label, TOPIC_PREFIX + t.id)
            for t in self.knowledge.topics
            if self.knowledge.entries_in(t.id)
        )

    def in_guide(self) -> bool:
        return self.state.guide_id is not None and self.state.guide_id in self.knowledge.guides

    def text(self, key: str, **values: object) -> str:
        return self.knowledge.message(key, self.clinic, **values)

    def reply(
        self,
        kind: Kind,
        key: str,
        *,
        options: tuple[Option, ...] = (),
        entry_id: str | None = None,
        confidence: float = 0.0,
        edit: bool = False,
        **values: object,
    ) -> Reply:
        return Reply(
            kind=kind,
            text=self.text(key, **values),
            options=options,
            entry_id=entry_id,
            confidence=round(confidence, 4),
            edit=edit,
        )

    def turn(self, reply: Reply) -> Turn:
        return Turn((reply,), self.state)


def _is_about_dit(decision: Decision) -> bool:
    """Whether a decision would tell or offer facts about DIT: an answer from an entry that
    gives some, or a choice of questions (not small talk, nor a "not covered" entry's
    "I don't know")."""
    if decision.outcome is Outcome.CLARIFY:
        return True
    best = decision.best
    return decision.outcome is Outcome.ANSWER and best is not None and best.entry.kind == "answer"
