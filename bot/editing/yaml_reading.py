"""YAML read with its line numbers: every value of a file paired with the line it is on, and the
problems found in it as `file:line` for the editor.

The YAML is composed into nodes first (which keep their line numbers) and only then turned
into Python values; anchors, aliases and tags are refused, since staff never need them and
they make a file mean something other than what it shows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

# The top-level keys a knowledge file may have, one section each.
SECTIONS = ("entries", "topics", "guides", "messages", "crisis", "language", "risk_examples")
Severity = Literal["error", "warning"]
YamlPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


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
class YamlDocument:
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
class Findings:
    root: Path
    problems: list[Problem] = field(default_factory=list)

    def problem(
        self,
        doc: YamlDocument,
        path: Iterable[str | int],
        message: str,
        severity: Severity = "error",
    ) -> None:
        self.problems.append(Problem(doc.name, doc.line(path), message, severity))


def parse_yaml(name: str, raw: bytes, reader: Findings) -> YamlDocument | None:
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
    doc = YamlDocument(name, None)
    if node is None:
        reader.problems.append(Problem(name, 1, "the file is empty", "warning"))
        return None
    doc.data = construct(node, (), doc, reader)
    if not isinstance(doc.data, dict):
        reader.problem(doc, (), f"expected sections such as {', '.join(SECTIONS)} at the top")
        return None
    for key in doc.data:
        if key not in SECTIONS:
            reader.problem(doc, (key,), f"unknown section {key!r}; expected one of {SECTIONS}")
    return doc


# Where YAML can start an anchor, an alias or a tag: after a space, a dash, "[", "{" or ",".
_MAYBE_SPECIAL = re.compile(r"(?:^|[\s\[{,])[&*!]", re.MULTILINE)


def _refuse_tags_and_aliases(name: str, text: str, reader: Findings) -> bool:
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


def construct(node: yaml.Node, path: YamlPath, doc: YamlDocument, reader: Findings) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = construct(key_node, path + ("<key>",), doc, reader)
            if not isinstance(key, str | int):
                reader.problems.append(
                    Problem(doc.name, key_node.start_mark.line + 1, "a key must be plain text")
                )
                continue
            doc.lines[path + (key,)] = key_node.start_mark.line + 1
            if key in result:
                reader.problem(doc, path + (key,), f"{key!r} is given twice here")
            result[key] = construct(value_node, path + (key,), doc, reader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            construct(item, path + (index,), doc, reader) for index, item in enumerate(node.value)
        ]
    return _SCALARS.construct_object(node)


def validate(
    model: type[M], value: Any, doc: YamlDocument, path: YamlPath, reader: Findings
) -> M | None:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        for error in exc.errors():
            loc = path + tuple(error["loc"])
            field_name = ".".join(str(part) for part in error["loc"]) or model.__name__.lower()
            reader.problem(doc, loc, explain(field_name, error))
        return None


def explain(field_name: str, error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown field {field_name!r}"
    if kind == "missing":
        return f"missing field {field_name!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        message = "use lowercase letters, digits and hyphens, at most 40 characters"
    return f"{field_name}: {message}"
