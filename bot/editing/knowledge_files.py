"""Reading the knowledge folder: YAML files in, a KnowledgeBase or `file:line` problems out.

Every problem names the file and line an editor has to open, so the YAML is composed into
nodes first (which keep their line numbers) and only then turned into Python values.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import regex
import yaml
from pydantic import BaseModel, ValidationError

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

SECTIONS = ("entries", "topics", "guides", "messages", "crisis", "language", "risk_examples")
Severity = Literal["error", "warning"]
YamlPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
Identified = TypeVar("Identified", Entry, Topic, Guide)


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong in a knowledge file, pointing at the line to fix."""

    file: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else "warning: "
        return f"{self.file}:{self.line}: {tag}{self.message}"


class KnowledgeError(Exception):
    """The knowledge folder could not be loaded; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0] if errors else problems[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}")


@dataclass
class _Document:
    """One file's values plus the line of every value in it, by path."""

    name: str
    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)
    _by_prefix: dict[int, dict[YamlPath, list[tuple[YamlPath, int]]]] = field(default_factory=dict)

    def lines_under(self, path: YamlPath) -> list[tuple[YamlPath, int]]:
        """Every value path starting with `path`, with its line; indexed once per prefix size,
        so locating each of a file's many entries does not rescan the whole file."""
        size = len(path)
        index = self._by_prefix.get(size)
        if index is None:
            index = defaultdict(list)
            for value_path, line in self.lines.items():
                index[value_path[:size]].append((value_path, line))
            self._by_prefix[size] = index
        return index.get(path, [])

    def line(self, path: Iterable[str | int]) -> int:
        key = tuple(path)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)


@dataclass
class _Reader:
    root: Path
    problems: list[Problem] = field(default_factory=list)

    def problem(
        self, doc: _Document, path: Iterable[str | int], message: str, severity: Severity = "error"
    ) -> None:
        self.problems.append(Problem(doc.name, doc.line(path), message, severity))


def read_knowledge(root: Path) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load and check every YAML file under `root`; the knowledge base is None on any error."""
    reader = _Reader(root)
    try:
        files = sorted(p for p in root.rglob("*.y*ml") if p.is_file())
    except OSError as exc:
        return None, [Problem(str(root), 0, f"cannot read the knowledge folder: {exc.strerror}")]
    if not root.is_dir():
        return None, [Problem(str(root), 0, "knowledge folder not found")]
    if not files:
        return None, [Problem(str(root), 0, "no .yaml files in the knowledge folder")]

    digest = hashlib.sha256()
    documents: list[_Document] = []
    for path in files:
        name = _display_name(path, root)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            reader.problems.append(Problem(name, 0, f"cannot read file: {exc.strerror}"))
            continue
        digest.update(name.encode() + b"\0" + raw + b"\0")
        doc = _parse(name, raw, reader)
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


def _parse(name: str, raw: bytes, reader: _Reader) -> _Document | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        reader.problems.append(Problem(name, line, "not UTF-8 text; save the file as UTF-8"))
        return None
    try:
        if _refuse_tags_and_aliases(name, text, reader):
            return None
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(exc, "problem", None) or "invalid YAML"
        reader.problems.append(Problem(name, line, f"not valid YAML: {what}"))
        return None
    doc = _Document(name, None)
    if node is None:
        reader.problems.append(Problem(name, 1, "the file is empty", "warning"))
        return None
    doc.data = _construct(node, (), doc, reader)
    if not isinstance(doc.data, dict):
        reader.problem(doc, (), f"expected sections such as {', '.join(SECTIONS)} at the top")
        return None
    for key in doc.data:
        if key not in SECTIONS:
            reader.problem(doc, (key,), f"unknown section {key!r}; expected one of {SECTIONS}")
    return doc


# Where YAML can start an anchor, an alias or a tag: after a space, a dash, "[", "{" or ",".
_MAYBE_SPECIAL = re.compile(r"(?:^|[\s\[{,])[&*!]", re.MULTILINE)


def _refuse_tags_and_aliases(name: str, text: str, reader: _Reader) -> bool:
    """Tags (`!x`, `!!int`) and anchors or aliases (`&a`, `*a`) are problems at their lines.

    Staff never need them, a tag can make a value crash the reader (`!!timestamp 2024-13-45`)
    and aliases can expand a few lines into gigabytes, so they are refused before the file is
    composed. Whether any were found."""
    if not _MAYBE_SPECIAL.search(text):
        return False  # most files: no "&", "*" or "!" where YAML would read one
    found = False
    for event in yaml.parse(text, Loader=_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        anchor = getattr(event, "anchor", None)
        tag = getattr(event, "tag", None)
        if isinstance(event, yaml.AliasEvent):
            message = f"'*{anchor}' (an alias) is not allowed here; write the value out"
        elif anchor is not None:
            message = f"'&{anchor}' (an anchor) is not allowed here; remove it"
        elif tag is not None and not _implicit(event):
            tag = str(tag).replace("tag:yaml.org,2002:", "!!")
            message = (
                f"'{tag}' (a YAML tag) is not allowed here; if it is part of the text, "
                "put the whole text in quotes"
            )
        else:
            continue
        reader.problems.append(Problem(name, line, message))
        found = True
    return found


def _implicit(event: yaml.Event) -> bool:
    # Plain scalars and collections report the tag their style implies, not one that was typed.
    implicit = getattr(event, "implicit", False)
    return bool(implicit[0] if isinstance(implicit, tuple) else implicit)


_SCALARS = yaml.constructor.SafeConstructor()
# libyaml's parser where PyYAML was built with it: several times faster, same nodes and marks.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _construct(node: yaml.Node, path: YamlPath, doc: _Document, reader: _Reader) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, path + ("<key>",), doc, reader)
            if not isinstance(key, str | int):
                reader.problems.append(
                    Problem(doc.name, key_node.start_mark.line + 1, "a key must be plain text")
                )
                continue
            doc.lines[path + (key,)] = key_node.start_mark.line + 1
            if key in result:
                reader.problem(doc, path + (key,), f"{key!r} is given twice here")
            result[key] = _construct(value_node, path + (key,), doc, reader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, path + (index,), doc, reader) for index, item in enumerate(node.value)
        ]
    return _SCALARS.construct_object(node)


def _validate(
    model: type[M], value: Any, doc: _Document, path: YamlPath, reader: _Reader
) -> M | None:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        for error in exc.errors():
            loc = path + tuple(error["loc"])
            field_name = ".".join(str(part) for part in error["loc"]) or model.__name__.lower()
            reader.problem(doc, loc, _explain(field_name, error))
        return None


def _explain(field_name: str, error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown field {field_name!r}"
    if kind == "missing":
        return f"missing field {field_name!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        message = "use lowercase letters, digits and hyphens, at most 40 characters"
    return f"{field_name}: {message}"


@dataclass
class _Located:
    """Where a validated object came from, for cross-reference problems."""

    doc: _Document
    path: YamlPath


def _sequence(
    doc: _Document, section: str, model: type[M], reader: _Reader
) -> list[tuple[M, _Located]]:
    items = doc.data.get(section)
    if not isinstance(items, list):
        reader.problem(doc, (section,), f"{section!r} must be a list (items start with '- ')")
        return []
    found = []
    for index, item in enumerate(items):
        obj = _validate(model, item, doc, (section, index), reader)
        if obj is not None:
            found.append((obj, _Located(doc, (section, index))))
    return found


def _assemble(documents: list[_Document], reader: _Reader, fingerprint: str) -> KnowledgeBase:
    entries: dict[str, tuple[Entry, _Located]] = {}
    topics: dict[str, tuple[Topic, _Located]] = {}
    guides: dict[str, tuple[Guide, _Located]] = {}
    messages: dict[str, str] = {}
    crisis: Crisis | None = None
    language = Language()
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
            crisis = _validate(Crisis, doc.data["crisis"], doc, ("crisis",), reader) or crisis
            if crisis is not None:
                _check_patterns(crisis, doc, reader)
        if "language" in doc.data:
            language = _merge_language(language, doc, reader)
        if "risk_examples" in doc.data:
            bank = _validate(
                RiskExamples, doc.data["risk_examples"], doc, ("risk_examples",), reader
            )
            if bank is not None:
                risk_examples.append(bank)
                _locate(locations_of_banks, (len(risk_examples) - 1,), doc, ("risk_examples",))

    _cross_check(entries, topics, guides, reader)
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
    doc: _Document,
    path: YamlPath,
) -> None:
    """Record the line of every value under `path` in `doc`, keyed under `key` instead."""
    size = len(path)
    for value_path, line in doc.lines_under(path):
        if "<key>" not in value_path:
            locations.setdefault(key + value_path[size:], (doc.name, line))


def _read_messages(doc: _Document, messages: dict[str, str], reader: _Reader) -> None:
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


def _merge_language(language: Language, doc: _Document, reader: _Reader) -> Language:
    extra = _validate(Language, doc.data["language"], doc, ("language",), reader)
    if extra is None:
        return language
    for canonical in extra.synonyms.keys() & language.synonyms.keys():
        reader.problem(doc, ("language", "synonyms", canonical), f"synonym {canonical!r} twice")
    return Language(
        synonyms={**language.synonyms, **extra.synonyms},
        filler_words=language.filler_words + extra.filler_words,
    )


def _check_resources(crisis: Crisis, documents: list[_Document], reader: _Reader) -> None:
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


def _check_patterns(crisis: Crisis, doc: _Document, reader: _Reader) -> None:
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
    reader: _Reader,
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
    entries: dict[str, tuple[Entry, _Located]], messages: dict[str, str], reader: _Reader
) -> None:
    for entry, where in entries.values():
        for name in placeholders_in(entry.answer) - PLACEHOLDERS:
            reader.problem(where.doc, where.path + ("answer",), f"unknown placeholder {{{name}}}")
