"""The pruned index gives exactly what scoring every phrasing gives: same entries, same scores.

`Matcher.rank` skips phrasings whose best possible score cannot place (see bot/core/matcher.py).
These tests hold it to a reference that scores every phrasing of the knowledge base, on the
evaluation cases and on a generated knowledge base where common words ("dit", "help") are in
most phrasings. No timing here: benchmarks/matcher_latency.py measures speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from benchmarks.knowledge_gen import make_queries, write_knowledge
from bot.config import Matching
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Candidate, Matcher
from bot.editing.knowledge_files import load_knowledge

EVAL_CASES = Path(__file__).resolve().parents[1] / "cases" / "eval.yaml"
LIMITS = (1, 5, 50)


def reference_rank(matcher: Matcher, text: str, limit: int) -> list[Candidate]:
    """Every phrasing scored against every segment; per entry its best, ties to the first."""
    best: dict[int, tuple[float, str]] = {}
    for segment in matcher._segments(text):
        score = matcher._scorer(segment)
        for position in range(matcher.size):
            value = score(position)
            phrasing = matcher._phrasings[position]
            if value is not None and value > best.get(phrasing.entry_index, (0.0, ""))[0]:
                best[phrasing.entry_index] = (value, phrasing.text)
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    return [
        Candidate(matcher._entries[index], round(value, 4), text)
        for index, (value, text) in ordered[:limit]
    ]


def summary(candidates: list[Candidate]) -> list[tuple[str, float, str]]:
    return [(c.entry.id, c.score, c.phrasing) for c in candidates]


def eval_messages() -> list[str]:
    return [str(case["q"]) for case in yaml.safe_load(EVAL_CASES.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def shipped_matcher() -> Matcher:
    return Matcher(load_knowledge(Path(__file__).resolve().parents[2] / "knowledge"), Matching())


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KnowledgeBase, Matcher]]:
    folder = write_knowledge(600, tmp_path_factory.mktemp("generated") / "knowledge", seed=3)
    knowledge = load_knowledge(folder)
    yield knowledge, Matcher(knowledge, Matching())


def assert_ranks_as_reference(matcher: Matcher, text: str) -> None:
    expected = summary(reference_rank(matcher, text, max(LIMITS)))
    for limit in LIMITS:
        assert summary(matcher.rank(text, limit)) == expected[:limit], (text, limit)


def test_the_evaluation_cases_rank_as_an_exhaustive_score(shipped_matcher: Matcher) -> None:
    for text in eval_messages():
        assert_ranks_as_reference(shipped_matcher, text)


def test_the_private_exhaustive_rank_is_the_reference(shipped_matcher: Matcher) -> None:
    for text in eval_messages()[:60]:
        exhaustive = shipped_matcher._rank(text, 5, exhaustive=True)
        assert summary(exhaustive) == summary(reference_rank(shipped_matcher, text, 5))


def test_decisions_on_the_evaluation_cases_are_unchanged(shipped_matcher: Matcher) -> None:
    for text in eval_messages():
        reference = reference_rank(shipped_matcher, text, 5)
        pruned = shipped_matcher.decide(text)
        assert pruned == shipped_matcher.decide(text, reference), text


def test_a_generated_knowledge_base_ranks_as_an_exhaustive_score(
    generated: tuple[KnowledgeBase, Matcher],
) -> None:
    knowledge, matcher = generated
    texts = [q.text for q in make_queries(knowledge, 120, seed=11)] + eval_messages()[::4]
    for text in texts:
        assert_ranks_as_reference(matcher, text)


def test_common_words_alone_are_ranked_exactly(generated: tuple[KnowledgeBase, Matcher]) -> None:
    _, matcher = generated
    for text in ("dit", "help", "can dit help", "how does dit help", "what is dit", "dit dit"):
        assert_ranks_as_reference(matcher, text)


def test_an_entry_s_own_score_is_the_one_its_rank_gives(shipped_matcher: Matcher) -> None:
    for text in eval_messages()[::5]:
        ranked = shipped_matcher.rank(text, 12)
        scored = shipped_matcher.scores_of(text, [c.entry.id for c in ranked])
        assert {c.entry.id: c.score for c in ranked} == {i: c.score for i, c in scored.items()}
    assert shipped_matcher.scores_of("how many sessions", ["no-such-entry"]) == {}
