"""The sweep that chose the constants of `meaning.Rule`: every combination of a grid, scored.

    .venv/bin/python -m benchmarks.meaning_sweep [CASES.yaml ...]

By default on the shared development set (../shared/eval/dev.yaml, when present) and the
project's case files (tests/cases/*.yaml). Each message is checked for crisis and matched by
words once; then each rule of the grid decides, and the reply is judged as `dit-bot eval`
judges it. A rule is eligible when no group of any file set gets fewer right than the lexical
matcher alone; eligible rules are listed by cases right, then most cautious first (higher
`confident`, `gap` and `far` abstain more, a higher `switch` overrides the words less).
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bot.bootstrap import build_engine
from bot.config import Config
from bot.core.engine import _Answering
from bot.core.matcher import Decision, Outcome
from bot.core.meaning import Rule, second_opinion
from bot.core.replies import Kind, UserState
from bot.core.safety import Level
from bot.editing.evaluation import Case, judge, load_cases

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SET = REPO_ROOT.parent / "shared" / "eval" / "dev.yaml"
GRID = {
    "confident": (0.45, 0.5, 0.55, 0.6, 0.65, 0.7),
    "gap": (0.0, 0.02, 0.05, 0.1),
    "far": (0.0, 0.1, 0.15, 0.2, 0.25, 0.3),
    "switch": (0.2, 0.3, 0.4, 1.0),
}
# The near-tie rule's constants, swept with the others at their defaults.
TIE_GRID = {
    "tie": (0.0, 0.03, 0.05, 0.08, 2.0),
    "rescue": (0.03, 0.05, 0.08, 0.1, 0.14, 2.0),
}
# Meaning never acts (2.0: beyond any cosine).
LEXICAL = Rule(confident=2.0, gap=0.0, far=-1.0, switch=2.0, tie=2.0, rescue=2.0)


def main() -> int:
    paths = [Path(a) for a in sys.argv[1:]]
    if not paths:
        paths = ([DEV_SET] if DEV_SET.exists() else []) + sorted(
            (REPO_ROOT / "tests" / "cases").glob("*.yaml")
        )
    engine = build_engine(Config(knowledge_dir=REPO_ROOT / "knowledge"))
    library = engine.library
    if library.meaning is None:
        print("the sentence encoder is not available: nothing to sweep")
        return 1
    prepared = []
    for path in paths:
        for case in load_cases([path]):
            risk = library.detector.assess(case.q)
            if risk.level is Level.CRISIS or risk.vectors is None or not case.q.strip():
                continue  # the crisis reply does not depend on the rule
            prepared.append((path.name, case, risk, library.matcher.decide(case.q)))
    conversation = _Answering(library, engine.clinic, (90, 365), UserState())
    verdicts: dict[tuple[int, str], bool] = {}

    def right(number: int, case: Case, support: bool, decision: Decision) -> bool:
        best = decision.best
        key = (
            f"a:{best.entry.id}"
            if decision.outcome is Outcome.ANSWER and best
            else decision.outcome.value
        )
        if (number, key) not in verdicts:
            if decision.outcome is Outcome.ANSWER and best is not None:
                turn = conversation.answer(best.entry, best.score)
            elif decision.outcome is Outcome.CLARIFY:
                turn = conversation.turn(conversation.reply(Kind.CLARIFY, "clarify"))
            else:
                turn = conversation.turn(conversation.reply(Kind.FALLBACK, "fallback"))
            if support:
                turn = conversation.with_support(turn)
            verdicts[number, key] = judge(case, turn.replies[0]) is None
        return verdicts[number, key]

    def score(rule: Rule) -> Counter[tuple[str, str]]:
        tally: Counter[tuple[str, str]] = Counter()
        for number, (name, case, risk, lexical) in enumerate(prepared):
            assert library.meaning is not None and risk.vectors is not None
            decision = second_opinion(lexical, library.meaning, risk.vectors, rule)
            support = risk.level is Level.SUPPORT
            tally[name, case.group] += right(number, case, support, decision)
        return tally

    baseline = score(LEXICAL)
    results = []
    for values in itertools.product(*GRID.values()):
        rule = Rule(**dict(zip(GRID, values, strict=True)))
        tally = score(rule)
        eligible = all(tally[key] >= baseline[key] for key in baseline)
        caution = (rule.confident, rule.gap, rule.far, -rule.switch)
        results.append((eligible, sum(tally.values()), caution, rule, tally))
    results.sort(key=lambda r: (not r[0], -r[1], tuple(-c for c in r[2])))
    groups = sorted(baseline)
    total = len(prepared)
    print(f"{total} non-crisis messages; lexical alone: {sum(baseline.values())} right")
    print("| confident | gap | far | switch | right | gained, by file and group |")
    print("|---|---|---|---|---|---|")
    for _, right_count, _, rule, tally in [r for r in results if r[0]][:15]:
        changes = ", ".join(
            f"{name}:{group} {tally[name, group] - baseline[name, group]:+d}"
            for name, group in groups
            if tally[name, group] != baseline[name, group]
        )
        print(
            f"| {rule.confident} | {rule.gap} | {rule.far} | {rule.switch} | {right_count} "
            f"| {changes or '-'} |"
        )
    print("| tie | rescue | right | eligible |")
    print("|---|---|---|---|")
    for values in itertools.product(*TIE_GRID.values()):
        rule = replace(Rule(), **dict(zip(TIE_GRID, values, strict=True)))
        tally = score(rule)
        eligible = all(tally[key] >= baseline[key] for key in baseline)
        print(f"| {rule.tie} | {rule.rescue} | {sum(tally.values())} | {eligible} |")
    print(f"default {Rule()}: {sum(score(Rule()).values())} right")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
