"""The knowledge base: FAQ entries, topics, guides and every text the bot says.

Staff edit it as YAML in `knowledge/` (see knowledge/README.md); `bot.editing.knowledge_files` reads
and validates those files into the objects defined here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.core.settings import Clinic

# Telegram limits callback data to 64 bytes; ids travel inside it with a short prefix.
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
ANSWER_LIMIT = 1200
PLACEHOLDERS = frozenset({"clinic_name", "clinic_contact", "clinic_referral"})

EntryId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# Texts the code asks for by name. Their wording lives in knowledge/messages.yaml.
REQUIRED_MESSAGES = frozenset(
    {
        "start",
        "start_returning",
        "clinic_name",
        "clinic_contact",
        "clinic_referral",
        "admin_report",
        "admin_report_unanswered",
        "admin_report_more",
        "admin_report_none",
        "admin_report_given",
        "admin_report_full",
        "help",
        "privacy",
        "forgotten",
        "fallback",
        "other_therapy",
        "clarify",
        "clarify_one",
        "empty",
        "ask_prompt",
        "not_text",
        "skipped",
        "group_chat",
        "unknown_command",
        "topics",
        "topic",
        "guides",
        "guide_step",
        "guide_finished",
        "guide_stopped",
        "guide_continue",
        "expired",
        "error",
        "button_tour",
        "button_topics",
        "button_ask",
        "button_next",
        "button_back",
        "button_stop",
        "button_finish",
        "button_continue",
        "button_restart",
        "button_urgent",
        "command_start",
        "command_help",
        "command_topics",
        "command_guide",
        "command_privacy",
        "command_forget",
        "command_urgent",
        # For the admins only (see bot/editing/reloader.py and the admin commands).
        "reload_done",
        "reload_unchanged",
        "reload_failed",
        "reload_busy",
        "admin_stats",
    }
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Model):
    """One question the bot can answer, with the ways people ask it."""

    id: EntryId
    kind: Literal["answer", "smalltalk", "not_covered"] = "answer"
    topic: EntryId | None = None
    question: Text
    alternates: tuple[Text, ...] = ()
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    related: tuple[EntryId, ...] = ()
    source: Text | None = None

    @field_validator("answer")
    @classmethod
    def _answer_is_short(cls, answer: str) -> str:
        if len(answer) > ANSWER_LIMIT:
            raise ValueError(f"answer is {len(answer)} characters; keep it under {ANSWER_LIMIT}")
        return answer

    @model_validator(mode="after")
    def _facts_have_a_source(self) -> Entry:
        if self.kind == "answer" and self.source is None:
            raise ValueError("an answer needs `source`: the passage of the overview it rests on")
        return self

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)


class Topic(_Model):
    id: EntryId
    label: Text


class Choice(_Model):
    label: Text
    entry: EntryId


class GuideStep(_Model):
    """A step shows an entry's answer, or its own text; choices make it a menu."""

    entry: EntryId | None = None
    title: Text | None = None
    text: Text | None = None
    choices: tuple[Choice, ...] = ()

    @model_validator(mode="after")
    def _has_content(self) -> GuideStep:
        if (self.entry is None) == (self.text is None):
            raise ValueError("a step needs exactly one of `entry` or `text`")
        return self


class Guide(_Model):
    id: EntryId
    title: Text
    steps: tuple[GuideStep, ...] = Field(min_length=1)


RiskKind = Literal["crisis", "support", "safe"]
# The crisis categories that may have resources of their own in `Crisis.resources`; a bank file's
# category names one of these (kind crisis) or is free (kinds support and safe).
CRISIS_CATEGORIES = (
    "active_ideation",
    "passive_ideation",
    "overdose_attempt",
    "self_harm",
    "third_party",
    "harm_baby",
    "harm_others",
    "command_voices",
    "child_at_risk",
    "medical_danger",
    "domestic_abuse",
)
CategoryId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class RiskExamples(_Model):
    """One file of the labelled risk bank (knowledge/risk/): messages of one kind and category."""

    category: CategoryId
    kind: RiskKind
    examples: tuple[Text, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _crisis_category_is_known(self) -> RiskExamples:
        if self.kind == "crisis" and self.category not in CRISIS_CATEGORIES:
            known = ", ".join(CRISIS_CATEGORIES)
            raise ValueError(f"crisis category {self.category!r} is not one of: {known}")
        return self


class Crisis(_Model):
    """The crisis reply and what triggers it; see knowledge/README.md before editing patterns."""

    # `{resources}` in the reply is replaced by the resources for the message's category.
    reply: Text
    resources: dict[CategoryId, Text] = {}
    # Added under an answer when a message is sensitive but not a crisis (kind `support`).
    support: Text = "-"
    patterns: tuple[Text, ...] = Field(min_length=1)
    idioms: tuple[Text, ...] = ()
    typo_words: tuple[Text, ...] = ()
    examples: tuple[Text, ...] = ()
    not_examples: tuple[Text, ...] = ()


class Language(_Model):
    """Words the matcher treats as the same, and words it ignores."""

    synonyms: dict[Text, tuple[Text, ...]] = {}
    filler_words: tuple[Text, ...] = ()
    # The names people give the therapy ("dit", "dynamic interpersonal therapy") and the plain
    # words that can stand for them ("this therapy"): matching by meaning also reads each
    # phrasing that uses a name with the plain words in its place.
    names: tuple[Text, ...] = ()
    plain_name: Text | None = None
    # Other therapies people ask about ("cbt", "emdr"): a question about one of them that does
    # not also ask about DIT gets no answer about DIT (`bot.core.subjects`).
    other_therapies: tuple[Text, ...] = ()


@dataclass(frozen=True)
class KnowledgeBase:
    """A complete, validated knowledge base; replaced whole on reload, never patched."""

    entries: Mapping[str, Entry]
    topics: tuple[Topic, ...]
    guides: Mapping[str, Guide]
    messages: Mapping[str, str]
    crisis: Crisis
    language: Language
    # The labelled risk bank, one item per file in knowledge/risk/.
    risk_examples: tuple[RiskExamples, ...] = ()
    fingerprint: str = ""
    # Where each value came from, for problems that point at a line: a key such as
    # ("entry", "sessions-count", "alternates", 2), ("crisis", "examples", 0) or
    # ("messages", "fallback") maps to (file, line). Filled by bot.editing.knowledge_files.
    locations: Mapping[tuple[str | int, ...], tuple[str, int]] = field(default_factory=dict)

    def where(self, *key: str | int) -> tuple[str, int]:
        """The file and line of a value, or of the nearest enclosing one that is known."""
        path = tuple(key)
        while path:
            if path in self.locations:
                return self.locations[path]
            path = path[:-1]
        return ("", 0)

    def entries_in(self, topic_id: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.topic == topic_id]

    def message(self, key: str, clinic: Clinic, /, **values: object) -> str:
        return render(self.messages[key], clinic.filled(self.messages), **values)


_FIELD = re.compile(r"\{([a-z_]+)\}")
# An empty {resources} leaves a gap in the crisis reply; it closes to one blank line.
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def crisis_reply(crisis: Crisis, clinic: Clinic, category: str | None = None) -> str:
    """The crisis reply, with the resources for the category (if it has any) on top."""
    resources = crisis.resources.get(category or "", "")
    text = render(crisis.reply, clinic, resources=resources)
    return _BLANK_LINES.sub("\n\n", text).strip()


def render(text: str, clinic: Clinic, /, **values: object) -> str:
    """Fill {clinic_name}-style placeholders; unknown ones and stray braces stay as written."""
    known: dict[str, object] = {
        "clinic_name": clinic.name,
        "clinic_contact": clinic.contact,
        "clinic_referral": clinic.referral,
        **values,
    }
    return _FIELD.sub(lambda m: str(known.get(m[1], m[0])), text)


def placeholders_in(text: str) -> set[str]:
    return set(_FIELD.findall(text))
