"""A problem at the place in the knowledge files a value came from."""

from __future__ import annotations

from bot.core.knowledge import KnowledgeBase
from bot.editing.yaml_reading import Problem, Severity


def problem_at(
    knowledge: KnowledgeBase, key: tuple[str | int, ...], message: str, severity: Severity
) -> Problem:
    file, line = knowledge.where(*key)
    return Problem(file, line, message, severity)
