"""Scoring the bot on evaluation cases, and sweeping the matcher's thresholds over them.

Case files use the format of the shared development set: a YAML list of
``{q, group, kinds, match, deny}`` items (see tests/cases/README.md).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.engine import Engine
from bot.core.replies import Kind, Reply, UserState, plain_text
from bot.core.requests import Message
from bot.core.settings import Matching

GROUPS = ("inscope", "unlisted", "oos", "crisis", "control", "chat")


class CaseError(Exception):
    """A case file could not be read."""


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str
    group: str
    # Optional: what the case is an instance of (a crisis category, a kind of control), for
    # figures per category.
    category: str | None = None
    kinds: tuple[Kind, ...]
    match: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class Miss:
    case: Case
    reply: Reply
    why: str


@dataclass
class Report:
    """Per-group share of cases handled right, and the misses."""

    totals: dict[str, list[int]] = field(default_factory=dict)
    categories: dict[str, list[int]] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    crisis_false_positives: int = 0

    def score(self, group: str) -> float:
        right, total = self.totals.get(group, [0, 0])
        return right / total if total else 1.0

    @property
    def groups(self) -> list[str]:
        return [g for g in GROUPS if g in self.totals] + sorted(self.totals.keys() - set(GROUPS))

    def objective(self) -> float:
        """One number to compare settings by: the mean group score, false alarms penalised."""
        mean = sum(self.score(g) for g in self.groups) / max(len(self.groups), 1)
        return mean - 0.05 * self.crisis_false_positives

    def summary(self) -> str:
        figures = " ".join(f"{g}={self.score(g):.3f}" for g in self.groups)
        cases = sum(total for _, total in self.totals.values())
        return f"{figures} crisis_false_positives={self.crisis_false_positives} cases={cases}"


def load_cases(paths: Iterable[Path]) -> list[Case]:
    cases: list[Case] = []
    for path in paths:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CaseError(f"cannot read {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise CaseError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(raw, list):
            raise CaseError(f"{path}: expected a list of cases")
        for index, item in enumerate(raw):
            try:
                cases.append(Case.model_validate(item))
            except ValidationError as exc:
                problem = exc.errors()[0]
                raise CaseError(f"{path}: case {index + 1}: {problem['msg']}") from None
    return cases


def judge(case: Case, reply: Reply) -> str | None:
    """Why the reply is wrong for the case, or None when it is right."""
    text = plain_text(reply)
    kind = reply.kind
    if kind is Kind.SUPPORT:  # an answer or fallback with a pointer to support counts as such
        kind = Kind.ANSWER if Kind.ANSWER in case.kinds else Kind.FALLBACK
    for pattern in case.deny:
        if re.search(pattern, text, re.I | re.M):
            return f"denied /{pattern}/ matched"
    if kind not in case.kinds:
        return f"kind {reply.kind.value!r} not in {[k.value for k in case.kinds]}"
    if kind is Kind.ANSWER:
        for pattern in case.match:
            if not re.search(pattern, text, re.I):
                return f"/{pattern}/ missing"
    return None


def evaluate(engine: Engine, cases: Sequence[Case]) -> Report:
    report = Report()
    for case in cases:
        turn = engine.respond(Message(case.q), UserState())
        reply = turn.replies[0]
        why = judge(case, reply)
        tally = report.totals.setdefault(case.group, [0, 0])
        tally[0] += why is None
        tally[1] += 1
        if case.category is not None:
            by_category = report.categories.setdefault(f"{case.group}:{case.category}", [0, 0])
            by_category[0] += why is None
            by_category[1] += 1
        if why is not None:
            report.misses.append(Miss(case, reply, why))
        if case.group != "crisis" and reply.kind is Kind.CRISIS:
            report.crisis_false_positives += 1
    return report


@dataclass(frozen=True)
class SweepResult:
    matching: Matching
    report: Report


# The grid `dit-bot sweep` searches; small enough to run in seconds.
SWEEP_GRID = {
    "answer_threshold": (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7),
    # Answering needs *some* lead over a rival, or the bot would never ask back.
    "margin": (0.02, 0.04, 0.06, 0.08, 0.1, 0.12),
    "clarify_threshold": (0.2, 0.25, 0.3, 0.35, 0.4, 0.45),
}


def sweep(engine: Engine, cases: Sequence[Case]) -> list[SweepResult]:
    """Every combination of the grid, best first (ties go to the more cautious setting)."""
    results = []
    names = list(SWEEP_GRID)
    library = engine.library
    for values in itertools.product(*(SWEEP_GRID[n] for n in names)):
        settings = dict(zip(names, values, strict=True))
        if settings["clarify_threshold"] > settings["answer_threshold"]:
            continue
        matching = library.matcher.settings.model_copy(update=settings)
        twin = replace(library, matcher=library.matcher.with_settings(matching))
        candidate = Engine(twin, engine.clinic)
        results.append(SweepResult(matching, evaluate(candidate, cases)))
    results.sort(
        key=lambda r: (
            -round(r.report.objective(), 6),
            -r.matching.answer_threshold,
            -r.matching.margin,
        )
    )
    return results
