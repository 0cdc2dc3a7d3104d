"""Reading the knowledge folder: YAML files in, a KnowledgeBase or `file:line` problems out.

Every problem names the file and line an editor has to open (`bot.editing.yaml_reading` keeps
the lines); here each file's sections are validated and assembled into one knowledge base.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import regex

from bot.core.knowledge import (
    CRISIS_CATEGORIES,
    PLACEHOLDERS,
    REQUIRED_MESSAGES,
    Crisis,
    Entry,
    Guide,
    KnowledgeBase,
    Language,
    RiskExamples,
    Topic,
    placeholders_in,
)
from bot.core.text import fold
from bot.editing.yaml_reading import (
    Findings,
    KnowledgeError,
    M,
    Problem,
    YamlDocument,
    YamlPath,
    parse_yaml,
    validate,
)

Identified = TypeVar("Identified", Entry, Topic, Guide)


def read_knowledge(root: Path) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load and check every YAML file under `root`; the knowledge base is None on any error."""
    reader = Findings(root)
    try:
        files = sorted(p for p in root.rglob("*.y*ml") if p.is_file())
    except OSError as exc:
        return None, [Problem(str(root), 0, f"cannot read the knowledge folder: {exc.strerror}")]
    if not root.is_dir():
        return None, [Problem(str(root), 0, "knowledge folder not found")]
    if not files:
        return None, [Problem(str(root), 0, "no .yaml files in the knowledge folder")]

    digest = hashlib.sha256()
    documents: list[YamlDocument] = []
    for path in files:
        name = _display_name(path, root)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            reader.problems.append(Problem(name, 0, f"cannot read file: {exc.strerror}"))
            continue
        digest.update(name.encode() + b"\0" + raw + b"\0")
        doc = parse_yaml(name, raw, reader)
        if doc is not None:
            documents.append(doc)

    knowledge = _assemble(documents, reader, digest.hexdigest())
    has_errors = any(p.severity == "error" for p in reader.problems)
    return (None if has_errors else knowledge), sorted(reader.problems)


def load_knowledge(root: Path) -> KnowledgeBase:
    """The knowledge base under `root`, or KnowledgeError listing every error."""
    knowledge, problems = read_knowledge(root)
    if knowledge is None:
        raise KnowledgeError(problems)
    return knowledge


def _display_name(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent if root.parent != root else root))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class _Located:
    """Where a validated object came from, for cross-reference problems."""

    doc: YamlDocument
    path: YamlPath


def _sequence(
    doc: YamlDocument, section: str, model: type[M], reader: Findings
) -> list[tuple[M, _Located]]:
    items = doc.data.get(section)
    if not isinstance(items, list):
        reader.problem(doc, (section,), f"{section!r} must be a list (items start with '- ')")
        return []
    found = []
    for index, item in enumerate(items):
        obj = validate(model, item, doc, (section, index), reader)
        if obj is not None:
            found.append((obj, _Located(doc, (section, index))))
    return found


def _assemble(documents: list[YamlDocument], reader: Findings, fingerprint: str) -> KnowledgeBase:
    entries: dict[str, tuple[Entry, _Located]] = {}
    topics: dict[str, tuple[Topic, _Located]] = {}
    guides: dict[str, tuple[Guide, _Located]] = {}
    messages: dict[str, str] = {}
    crisis: Crisis | None = None
    language = Language()
    languages: list[tuple[YamlDocument, Language]] = []  # each file's own, for its lines
    risk_examples: list[RiskExamples] = []

    locations_of_banks: dict[tuple[str | int, ...], tuple[str, int]] = {}

    def unique(
        store: dict[str, tuple[Identified, _Located]], what: str
    ) -> Callable[[Identified, _Located], None]:
        def add(obj: Identified, where: _Located) -> None:
            key = str(obj.id)
            if key in store:
                first = store[key][1]
                reader.problem(
                    where.doc,
                    where.path + ("id",),
                    f"duplicate {what} id {key!r} (first at {first.doc.name}:"
                    f"{first.doc.line(first.path + ('id',))})",
                )
                return
            store[key] = (obj, where)

        return add

    for doc in documents:
        if "entries" in doc.data:
            for entry, where in _sequence(doc, "entries", Entry, reader):
                unique(entries, "entry")(entry, where)
        if "topics" in doc.data:
            for topic, where in _sequence(doc, "topics", Topic, reader):
                unique(topics, "topic")(topic, where)
        if "guides" in doc.data:
            for guide, where in _sequence(doc, "guides", Guide, reader):
                unique(guides, "guide")(guide, where)
        if "messages" in doc.data:
            _read_messages(doc, messages, reader)
        if "crisis" in doc.data:
            if crisis is not None:
                reader.problem(doc, ("crisis",), "the crisis section is given in two files")
            crisis = validate(Crisis, doc.data["crisis"], doc, ("crisis",), reader) or crisis
            if crisis is not None:
                _check_patterns(crisis, doc, reader)
        if "language" in doc.data:
            extra = validate(Language, doc.data["language"], doc, ("language",), reader)
            if extra is not None:
                language = _merge_language(language, extra, doc, reader)
                languages.append((doc, extra))
        if "risk_examples" in doc.data:
            bank = validate(
                RiskExamples, doc.data["risk_examples"], doc, ("risk_examples",), reader
            )
            if bank is not None:
                risk_examples.append(bank)
                _locate(locations_of_banks, (len(risk_examples) - 1,), doc, ("risk_examples",))

    _cross_check(entries, topics, guides, reader)
    _check_other_therapies(language, languages, reader)
    _check_texts(entries, messages, reader)
    missing = sorted(REQUIRED_MESSAGES - messages.keys())
    if missing:
        reader.problems.append(
            Problem(reader.root.name, 0, f"messages missing: {', '.join(missing)}")
        )
    if crisis is None:
        reader.problems.append(Problem(reader.root.name, 0, "no crisis section in any file"))
        crisis = Crisis(reply="-", patterns=("(?!)",))
    else:
        _check_resources(crisis, documents, reader)

    locations: dict[tuple[str | int, ...], tuple[str, int]] = {}
    for kind, store in (("entry", entries), ("topic", topics), ("guide", guides)):
        for key, (_, where) in store.items():
            _locate(locations, (kind, key), where.doc, where.path)
    for doc in documents:
        for section in ("messages", "crisis"):
            if section in doc.data:
                _locate(locations, (section,), doc, (section,))
    for bank_key, bank_where in locations_of_banks.items():
        locations[("risk_examples",) + bank_key] = bank_where

    return KnowledgeBase(
        entries={key: value[0] for key, value in entries.items()},
        topics=tuple(value[0] for value in topics.values()),
        guides={key: value[0] for key, value in guides.items()},
        messages=messages,
        crisis=crisis,
        language=language,
        risk_examples=tuple(risk_examples),
        fingerprint=fingerprint,
        locations=locations,
    )


def _locate(
    locations: dict[tuple[str | int, ...], tuple[str, int]],
    key: tuple[str | int, ...],
    doc: YamlDocument,
    path: YamlPath,
) -> None:
    """Record the line of every value under `path` in `doc`, keyed under `key` instead."""
    size = len(path)
    for value_path, line in doc.lines_under(path):
        if "<key>" not in value_path:
            locations.setdefault(key + value_path[size:], (doc.name, line))


def _read_messages(doc: YamlDocument, messages: dict[str, str], reader: Findings) -> None:
    block = doc.data["messages"]
    if not isinstance(block, dict):
        reader.problem(doc, ("messages",), "'messages' must map names to texts")
        return
    for key, text in block.items():
        if not isinstance(text, str) or not text.strip():
            reader.problem(doc, ("messages", key), f"message {key!r} must be a non-empty text")
            continue
        if key in messages:
            reader.problem(doc, ("messages", key), f"message {key!r} is defined twice")
        if key not in REQUIRED_MESSAGES:
            reader.problem(
                doc, ("messages", key), f"message {key!r} is not used by the bot", "warning"
            )
        for name in placeholders_in(text) - PLACEHOLDERS - _MESSAGE_VALUES.get(key, set()):
            reader.problem(doc, ("messages", key), f"unknown placeholder {{{name}}}")
        messages[key] = text.strip()


# Values the bot fills into particular messages, besides the clinic's details.
_MESSAGE_VALUES = {
    "guide_step": {"title", "step", "total", "text"},
    "guide_continue": {"title", "step", "total"},
    "topic": {"label"},
    "other_therapy": {"therapy"},
    "start_returning": {"title", "step", "total"},
    "privacy": {"retention_days", "user_retention_days"},
    "reload_done": {"entries"},
    "reload_unchanged": {"entries"},
    "reload_failed": {"count", "problems"},
    "admin_stats": {"days", "users", "messages", "answers", "clarifies", "fallbacks", "crisis"},
    "admin_report": {"days", "questions", "fallbacks", "rate", "clarifies", "crisis"},
    "admin_report_unanswered": {"count"},
    "admin_report_more": {"count"},
    "admin_report_given": {"entries"},
}


def _merge_language(
    language: Language, extra: Language, doc: YamlDocument, reader: Findings
) -> Language:
    for canonical in extra.synonyms.keys() & language.synonyms.keys():
        reader.problem(doc, ("language", "synonyms", canonical), f"synonym {canonical!r} twice")
    return Language(
        synonyms={**language.synonyms, **extra.synonyms},
        filler_words=language.filler_words + extra.filler_words,
        names=language.names + extra.names,
        plain_name=extra.plain_name or language.plain_name,
        other_therapies=language.other_therapies + extra.other_therapies,
    )


def _check_other_therapies(
    language: Language, languages: list[tuple[YamlDocument, Language]], reader: Findings
) -> None:
    """No other therapy may be one of DIT's names, in whichever file either is written."""
    names = {fold(name) for name in language.names}
    for doc, own in languages:
        for index, other in enumerate(own.other_therapies):
            if fold(other) in names:
                where = ("language", "other_therapies", index)
                reader.problem(doc, where, f"{other!r} is a name of DIT, not another therapy")


def _check_resources(crisis: Crisis, documents: list[YamlDocument], reader: Findings) -> None:
    doc = next(d for d in documents if "crisis" in d.data)
    for category in crisis.resources:
        if category not in CRISIS_CATEGORIES:
            known = ", ".join(CRISIS_CATEGORIES)
            reader.problem(
                doc, ("crisis", "resources", category), f"unknown category {category!r}: {known}"
            )
    if crisis.resources and "{resources}" not in crisis.reply:
        reader.problem(
            doc,
            ("crisis", "reply"),
            "the reply has no {resources}, so no category's own resources would be shown",
            "warning",
        )


def _check_patterns(crisis: Crisis, doc: YamlDocument, reader: Findings) -> None:
    for group in ("patterns", "idioms"):
        for index, pattern in enumerate(getattr(crisis, group)):
            where = ("crisis", group, index)
            try:
                regex.compile(pattern, regex.VERSION0)
            except regex.error as exc:
                reader.problem(doc, where, f"{group}[{index}]: {exc}")


def _cross_check(
    entries: dict[str, tuple[Entry, _Located]],
    topics: dict[str, tuple[Topic, _Located]],
    guides: dict[str, tuple[Guide, _Located]],
    reader: Findings,
) -> None:
    for entry, where in entries.values():
        for index, related in enumerate(entry.related):
            if related not in entries:
                reader.problem(
                    where.doc,
                    where.path + ("related", index),
                    f"related entry {related!r} not found",
                )
            elif related == entry.id:
                reader.problem(where.doc, where.path + ("related", index), "relates to itself")
        if entry.topic is not None and entry.topic not in topics:
            reader.problem(where.doc, where.path + ("topic",), f"topic {entry.topic!r} not found")
    for guide, where in guides.values():
        for number, step in enumerate(guide.steps):
            at = where.path + ("steps", number)
            if step.entry is not None and step.entry not in entries:
                reader.problem(where.doc, at + ("entry",), f"entry {step.entry!r} not found")
            for index, choice in enumerate(step.choices):
                if choice.entry not in entries:
                    reader.problem(
                        where.doc,
                        at + ("choices", index, "entry"),
                        f"entry {choice.entry!r} not found",
                    )


def _check_texts(
    entries: dict[str, tuple[Entry, _Located]], messages: dict[str, str], reader: Findings
) -> None:
    for entry, where in entries.values():
        for name in placeholders_in(entry.answer) - PLACEHOLDERS:
            reader.problem(where.doc, where.path + ("answer",), f"unknown placeholder {{{name}}}")
