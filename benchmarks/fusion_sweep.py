"""The sweep that chose the constants of `fusion.Fusion`: every combination of a grid, scored.

    .venv/bin/python -m benchmarks.fusion_sweep [--leave-out NAME.yaml ...] [CASES.yaml ...]

By default on the shared development set (../shared/eval/dev.yaml, when present) and the
project's case files (tests/cases/*.yaml); crisis and control cases, and messages the crisis
check stops, are left out (fusion never sees them). Each message is checked and matched once:
its words' scores, its similarity to every entry (whole and last sentence), its share of
unknown words, the cascade's reply, and whether each entry's answer would be judged right.
Each rule of the grid is then scored on those with numpy, as `fuse` decides, and rules are
listed by the mean over the groups inscope, out of scope, unlisted and chat of the files not
left out, the most cautious first among equals (higher `answer`, then higher `tie`). The best
rule's figures are shown on the files left out, beside those of the cascade alone
(`second_opinion`); then `fuse` itself is run with that rule on every case, to confirm that
the replica agrees with it.
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.bootstrap import build_engine
from bot.config import Config
from bot.core.engine import Engine, _Answering
from bot.core.fusion import Fusion, fuse
from bot.core.matcher import Candidate, Decision, Outcome
from bot.core.meaning import related, second_opinion
from bot.core.replies import Kind, Reply, UserState
from bot.core.safety import Level
from bot.core.vectors import Vectors
from bot.editing.evaluation import Case, judge, load_cases

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SET = REPO_ROOT.parent / "shared" / "eval" / "dev.yaml"
GROUPS = ("inscope", "oos", "unlisted", "chat")
GRID = {
    "words": (0.2, 0.3, 0.4, 0.5, 0.6),
    "answer": tuple(round(0.4 + 0.025 * i, 3) for i in range(13)),
    "last": (0.0, 0.5, 1.0),
    "unknown": (0.3, 0.4, 0.5, 2.0),
    "remote": (0.45, 0.5, 0.55, 0.6),
    "tie": (0.0, 0.02, 0.04, 0.06),
    "likely": (0.0, 0.1, 0.2, 0.3),
}

Matrix = npt.NDArray[np.float64]
# What `fuse` is given for a case: the words' ranking, the cascade's decision, vectors, unknown,
# and the words' scores of meaning's candidates they did not rank.
Inputs = tuple[list[Candidate], Decision, Vectors, float, dict[str, Candidate]]


@dataclass
class Prepared:
    """Everything a rule needs about each case, one row per case."""

    files: npt.NDArray[np.str_]
    groups: npt.NDArray[np.str_]
    lexical: Matrix  # the words' score per entry (0 outside their candidates)
    whole: Matrix  # similarity per entry, whole message
    last: Matrix  # similarity per entry, last sentence (the whole for one sentence)
    likely_whole: Matrix  # the classifier's probability per entry, whole message
    likely_last: Matrix  # the same for the last sentence
    several: npt.NDArray[np.bool_]  # more than one sentence
    unknown: Matrix
    right: npt.NDArray[np.bool_]  # per entry: its answer would be judged right
    fallback_right: npt.NDArray[np.bool_]
    clarify_right: npt.NDArray[np.bool_]
    cascade_right: npt.NDArray[np.bool_]
    cascade_asked: npt.NDArray[np.bool_]
    cascade_small_talk: npt.NDArray[np.bool_]
    wildcard: npt.NDArray[np.bool_]  # per entry: the words matched it by a wildcard
    small_talk: npt.NDArray[np.bool_]  # per entry
    ranked: npt.NDArray[np.bool_]  # per entry: among the words' candidates
    candidate: npt.NDArray[np.bool_]  # per entry: the words' or meaning's (`fuse` reads no other)
    related: npt.NDArray[np.bool_]  # entry by entry, the diagonal included


def main() -> int:
    args = sys.argv[1:]
    left_out = {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--leave-out"}
    paths = [Path(a) for i, a in enumerate(args) if a != "--leave-out" and a not in left_out]
    if not paths:
        paths = ([DEV_SET] if DEV_SET.exists() else []) + sorted(
            (REPO_ROOT / "tests" / "cases").glob("*.yaml")
        )
    engine = build_engine(Config(knowledge_dir=REPO_ROOT / "knowledge"))
    if engine.library.meaning is None:
        print("the sentence encoder is not available: nothing to sweep")
        return 1
    cases = [(path.name, case) for path in paths for case in load_cases([path])]
    data, inputs = prepare(engine, cases)
    kept = ~np.isin(data.files, sorted(left_out))
    results = []
    for values in itertools.product(*GRID.values()):
        rule = dict(zip(GRID, values, strict=True))
        right = decide(data, **rule)
        results.append((objective(right, data.groups, kept), rule, right))
    # Among rules that score the same, the most cautious: the highest bar to answer, then the
    # widest near tie left to the cascade.
    results.sort(key=lambda r: (-round(r[0], 6), -r[1]["answer"], -r[1]["tie"]))
    print(f"{len(data.groups)} cases; left out: {', '.join(sorted(left_out)) or 'none'}")
    for score, rule, right in results[:10]:
        print(f"{score:.4f} {rule} {figures(right, data.groups, kept)}")
    best_rule, best_right = results[0][1], results[0][2]
    if left_out:
        print("left out, best rule:", figures(best_right, data.groups, ~kept))
        print("left out, the cascade alone:", figures(data.cascade_right, data.groups, ~kept))
    chosen = Fusion(**best_rule)  # type: ignore[arg-type]  # every value of the grid a float
    # A replica that has drifted from `fuse` chose nothing: fail loudly.
    return 1 if confirm(engine, inputs, data, chosen, best_right) else 0


def prepare(engine: Engine, cases: list[tuple[str, Case]]) -> tuple[Prepared, list[Inputs]]:
    library = engine.library
    index, matcher = library.meaning, library.matcher
    assert index is not None
    entries = list(library.knowledge.entries.values())
    position = {e.id: i for i, e in enumerate(entries)}
    answering = _Answering(library, engine.clinic, (1, 1), UserState())
    rows: dict[str, list[object]] = defaultdict(list)
    inputs: list[Inputs] = []
    for name, case in cases:
        if case.group not in GROUPS:
            continue
        risk = library.detector.assess(case.q)
        if risk.level is Level.CRISIS or risk.vectors is None:
            continue
        ranked = matcher.rank(case.q, Fusion().candidates)
        decision = matcher.decide(case.q, ranked)
        cascade = second_opinion(decision, index, risk.vectors)
        lexical = np.zeros(len(entries))
        wildcard = np.zeros(len(entries), dtype=bool)
        found = np.zeros(len(entries), dtype=bool)
        for c in ranked:
            lexical[position[c.entry.id]] = c.score
            wildcard[position[c.entry.id]] = "*" in c.phrasing
            found[position[c.entry.id]] = True
        vectors = risk.vectors
        candidate = found.copy()
        near = [n.entry.id for n in index.rank(vectors[:1], Fusion().candidates)]
        for entry_id in near:
            candidate[position[entry_id]] = True
        # Meaning's candidates get the words' score too, as `decide` gives it to `fuse`.
        more = matcher.scores_of(case.q, [i for i in near if not found[position[i]]])
        for c in more.values():
            lexical[position[c.entry.id]] = c.score
            wildcard[position[c.entry.id]] = "*" in c.phrasing
        ranked_or_scored = found.copy()
        for entry_id in more:
            ranked_or_scored[position[entry_id]] = True
        whole = [index.similarity_to(e.id, vectors[:1]) for e in entries]
        last = [index.similarity_to(e.id, vectors[-1:]) for e in entries]
        likely_whole = index.likelihoods(vectors[:1])
        likely_last = index.likelihoods(vectors[-1:])
        right = [
            judge(case, answering.answer(e, 1.0).replies[0]) is None if index.has(e.id) else False
            for e in entries
        ]
        rows["files"].append(name)
        rows["groups"].append(case.group)
        rows["lexical"].append(lexical)
        rows["whole"].append(whole)
        rows["last"].append(last)
        rows["likely_whole"].append([likely_whole.get(e.id, 0.0) for e in entries])
        rows["likely_last"].append([likely_last.get(e.id, 0.0) for e in entries])
        rows["several"].append(len(vectors) > 1)
        rows["unknown"].append(decision.unknown)
        rows["right"].append(right)
        rows["fallback_right"].append(judge(case, Reply(Kind.FALLBACK, "")) is None)
        rows["clarify_right"].append(Kind.CLARIFY in case.kinds)
        rows["cascade_right"].append(
            verdict(cascade, right, position, rows["clarify_right"][-1], rows["fallback_right"][-1])
        )
        rows["cascade_asked"].append(cascade.outcome is Outcome.CLARIFY)
        said = cascade.best if cascade.outcome is Outcome.ANSWER else None
        rows["cascade_small_talk"].append(said is not None and said.entry.kind == "smalltalk")
        rows["wildcard"].append(wildcard)
        rows["ranked"].append(ranked_or_scored)
        rows["candidate"].append(candidate)
        inputs.append((ranked, cascade, vectors, decision.unknown, more))
    linked = np.array([[related(a, b) or a.id == b.id for b in entries] for a in entries])
    data = Prepared(
        **{k: np.array(v) for k, v in rows.items()},
        small_talk=np.array([e.kind == "smalltalk" for e in entries]),
        related=linked,
    )
    return data, inputs


def verdict(
    decision: Decision,
    right: list[bool],
    position: dict[str, int],
    clarify_right: object,
    fallback_right: object,
) -> bool:
    """Whether the reply to a decision is judged right, from the verdicts already made."""
    if decision.outcome is Outcome.ANSWER and decision.best is not None:
        return right[position[decision.best.entry.id]]
    return bool(clarify_right if decision.outcome is Outcome.CLARIFY else fallback_right)


def decide(
    d: Prepared,
    words: float,
    answer: float,
    last: float,
    unknown: float,
    remote: float,
    tie: float,
    likely: float,
) -> npt.NDArray[np.bool_]:
    """Whether each case is answered right under a rule: `fuse`, on whole matrices."""
    n = len(d.groups)
    meaning = closeness(d, d.whole, d.last, last)
    # The vote counts in the score only; the guards read plain closeness.
    voted = closeness(d, d.whole + likely * d.likely_whole, d.last + likely * d.likely_last, last)
    fused = np.where(d.candidate, words * d.lexical + (1 - words) * voted, -np.inf)
    best = fused.argmax(1)
    top = fused[np.arange(n), best]
    rival = np.where(d.related[best], -np.inf, fused).max(1)
    small_talk = d.cascade_small_talk | d.small_talk[best]
    low = top < answer
    odd = (
        ~d.several
        & (d.unknown >= unknown)
        & (d.whole[np.arange(n), best] < remote)
        & ~d.wildcard[np.arange(n), best]
    )
    unfounded = ~d.ranked[np.arange(n), best] & (meaning[np.arange(n), best] < Fusion().alone)
    odd |= unfounded
    tied = top - rival < tie
    right = d.right[np.arange(n), best]
    right = np.where(tied, d.cascade_right, right)
    right = np.where(odd, d.fallback_right, right)
    right = np.where(low, np.where(d.cascade_asked, d.cascade_right, d.fallback_right), right)
    return np.where(small_talk, d.cascade_right, right)


def closeness(d: Prepared, whole: Matrix, last_sentence: Matrix, last: float) -> Matrix:
    """Per entry, the whole's closeness or, for several sentences, if higher, the blend."""
    blended = last * last_sentence + (1 - last) * whole
    return np.where(d.several[:, None], np.maximum(whole, blended), whole)


def objective(
    right: npt.NDArray[np.bool_], groups: npt.NDArray[np.str_], kept: npt.NDArray[np.bool_]
) -> float:
    found = figures(right, groups, kept)
    return float(np.mean(list(found.values())))


def figures(
    right: npt.NDArray[np.bool_], groups: npt.NDArray[np.str_], kept: npt.NDArray[np.bool_]
) -> dict[str, float]:
    return {
        g: round(float(right[kept & (groups == g)].mean()), 3)
        for g in GROUPS
        if (kept & (groups == g)).any()
    }


def confirm(
    engine: Engine,
    inputs: list[Inputs],
    data: Prepared,
    rule: Fusion,
    replica: npt.NDArray[np.bool_],
) -> int:
    """Run `fuse` itself with the chosen rule; the number of cases where its reply is judged
    otherwise than the replica's."""
    library = engine.library
    assert library.meaning is not None
    position = {e: j for j, e in enumerate(library.knowledge.entries)}
    differ = 0
    for i, (ranked, cascade, vectors, unknown, more) in enumerate(inputs):
        decision = fuse(ranked, cascade, library.meaning, vectors, unknown, rule, more)
        right = verdict(
            decision, list(data.right[i]), position, data.clarify_right[i], data.fallback_right[i]
        )
        differ += right != replica[i]
    print(f"fuse itself with {rule}: {differ} of {len(inputs)} verdicts differ from the replica")
    return differ


if __name__ == "__main__":
    sys.exit(main())
