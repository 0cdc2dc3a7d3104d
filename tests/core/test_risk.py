"""The learned crisis check, on small hand-made vector banks, so no encoder is needed."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from bot.core.knowledge import KnowledgeBase, RiskExamples
from bot.core.risk import (
    NEIGHBOURS,
    TARGET_FALSE_ALARMS,
    Example,
    RiskClassifier,
    bank_of,
)

DIM = 8
# Directions of the clusters; dimension 7 is left empty, for messages far from everything.
ACTIVE, OVERDOSE, SUPPORT, SAFE, FAR = 0, 1, 2, 3, 7


def unit(*weights: tuple[int, float]) -> npt.NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    for axis, weight in weights:
        vector[axis] = weight
    return vector / np.linalg.norm(vector)


def cluster(
    axis: int, count: int, rng: np.random.Generator, spread: float = 0.05
) -> npt.NDArray[np.float32]:
    """`count` unit vectors close to `axis` (cosine about 0.99 with it), none on FAR."""
    vectors = np.zeros((count, DIM), dtype=np.float32)
    vectors[:, axis] = 1.0
    vectors[:, :FAR] += rng.normal(0.0, spread, size=(count, FAR)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def bank(
    groups: list[tuple[str, str, npt.NDArray[np.float32]]],
) -> tuple[list[Example], npt.NDArray[np.float32]]:
    examples: list[Example] = []
    for kind, category, vectors in groups:
        examples += [Example(f"{category} {n}", kind, category) for n in range(len(vectors))]
    return examples, np.vstack([vectors for _, _, vectors in groups])


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture
def classifier(rng: np.random.Generator) -> RiskClassifier:
    examples, vectors = bank(
        [
            ("crisis", "active_ideation", cluster(ACTIVE, 8, rng)),
            ("crisis", "overdose_attempt", cluster(OVERDOSE, 6, rng)),
            ("support", "low_mood", cluster(SUPPORT, 6, rng)),
            ("safe", "everyday", cluster(SAFE, 12, rng)),
        ]
    )
    return RiskClassifier(examples, vectors)


def test_a_message_inside_the_crisis_cluster_gets_a_crisis_vote_and_its_category(
    classifier: RiskClassifier,
) -> None:
    active, overdose = classifier.judge(np.vstack([unit((ACTIVE, 1.0)), unit((OVERDOSE, 1.0))]))
    assert active.crisis > 0.99
    assert active.category == "active_ideation"
    assert active.nearest.startswith("active_ideation ")
    assert overdose.crisis > 0.99
    assert overdose.category == "overdose_attempt"
    assert active.crisis >= classifier.threshold


def test_a_message_inside_the_safe_cluster_gets_almost_no_crisis_vote(
    classifier: RiskClassifier,
) -> None:
    (judgement,) = classifier.judge(unit((SAFE, 1.0))[None, :])
    assert judgement.crisis < 0.01
    assert judgement.support < 0.01
    assert judgement.nearest.startswith("everyday ")


def test_a_message_inside_the_support_cluster_gets_a_support_vote(
    classifier: RiskClassifier,
) -> None:
    (judgement,) = classifier.judge(unit((SUPPORT, 1.0))[None, :])
    assert judgement.support > 0.99
    assert judgement.crisis < 0.01


def test_a_message_far_from_every_example_is_not_called_a_crisis(
    classifier: RiskClassifier,
) -> None:
    (orthogonal,) = classifier.judge(unit((FAR, 1.0))[None, :])
    assert orthogonal.crisis < 0.01


def test_a_message_only_loosely_like_crisis_examples_is_outvoted_by_the_background(
    rng: np.random.Generator,
) -> None:
    # Only crisis examples in the bank: without the imaginary safe example at BACKGROUND,
    # anything at all would get a crisis vote of 1.
    examples, vectors = bank([("crisis", "active_ideation", cluster(ACTIVE, 5, rng))])
    classifier = RiskClassifier(examples, vectors)
    loose, close = classifier.judge(
        np.vstack([unit((ACTIVE, 0.3), (FAR, 0.954)), unit((ACTIVE, 1.0))])
    )
    assert loose.crisis < 0.5
    assert close.crisis > 0.99


def test_rows_judged_together_get_the_judgements_they_get_alone(
    classifier: RiskClassifier, rng: np.random.Generator
) -> None:
    # A message, its sentences and its marked sentences are judged in one product; each is
    # judged as if it came alone (BLAS may round a product of several rows differently in the
    # last bit, nothing more).
    rows = np.vstack([cluster(ACTIVE, 3, rng), cluster(SAFE, 2, rng), cluster(SUPPORT, 2, rng)])
    together = classifier.judge(rows)
    alone = [classifier.judge(row[None, :])[0] for row in rows]
    for a, b in zip(together, alone, strict=True):
        assert (a.category, a.nearest) == (b.category, b.nearest)
        assert a.crisis == pytest.approx(b.crisis, abs=1e-6)
        assert a.support == pytest.approx(b.support, abs=1e-6)


def test_no_vectors_or_no_examples_give_empty_judgements(classifier: RiskClassifier) -> None:
    assert classifier.judge(np.zeros((0, DIM), dtype=np.float32)) == []
    empty = RiskClassifier([], np.zeros((0, DIM), dtype=np.float32))
    (judgement,) = empty.judge(unit((ACTIVE, 1.0))[None, :])
    assert (judgement.crisis, judgement.category) == (0.0, None)
    assert empty.threshold == 0.5


def test_a_vector_count_that_differs_from_the_examples_is_refused() -> None:
    with pytest.raises(ValueError):
        RiskClassifier([Example("a", "safe", "x")], np.zeros((2, DIM), dtype=np.float32))


def test_a_clean_bank_keeps_the_threshold_at_a_majority_vote(
    classifier: RiskClassifier,
) -> None:
    safe = np.array([e.kind == "safe" for e in classifier.examples])
    assert float(classifier.leave_one_out()[safe].max()) < 0.5
    assert classifier.threshold == 0.5


def test_the_threshold_rises_to_what_the_hard_negatives_score_held_out(
    rng: np.random.Generator,
) -> None:
    # Three of the twenty safe examples are written right beside crisis wording.
    examples, vectors = bank(
        [
            ("crisis", "active_ideation", cluster(ACTIVE, 20, rng)),
            ("safe", "idioms", cluster(ACTIVE, 3, rng)),
            ("safe", "everyday", cluster(SAFE, 17, rng)),
        ]
    )
    classifier = RiskClassifier(examples, vectors)
    held_out = classifier.leave_one_out()
    safe = np.array([e.kind == "safe" for e in examples])
    cut = np.quantile(held_out[safe], 1.0 - TARGET_FALSE_ALARMS, method="higher")
    expected = max(0.5, float(cut))
    assert classifier.threshold > 0.5
    assert classifier.threshold == pytest.approx(expected)
    # No more than the target share of the safe examples is over it.
    assert np.mean(held_out[safe] > classifier.threshold) <= TARGET_FALSE_ALARMS


def test_leave_one_out_never_lets_an_example_vote_for_itself(
    rng: np.random.Generator,
) -> None:
    examples, vectors = bank(
        [
            ("crisis", "active_ideation", unit((SAFE, 1.0))[None, :]),
            ("safe", "everyday", cluster(SAFE, 10, rng, spread=0.2)),
        ]
    )
    classifier = RiskClassifier(examples, vectors)
    assert classifier.leave_one_out()[0] == 0.0
    # Judged with itself in the bank, the same vector does get a crisis vote from itself.
    (with_itself,) = classifier.judge(vectors[:1])
    assert with_itself.crisis > 0.0
    assert with_itself.category == "active_ideation"


@pytest.mark.parametrize("size", [30, 1100], ids=["small", "over-one-block"])
def test_each_held_out_score_is_the_vote_of_a_bank_without_that_example(
    rng: np.random.Generator, size: int
) -> None:
    vectors = rng.normal(size=(size, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kinds = rng.choice(["crisis", "support", "safe"], size=size)
    examples = [Example(f"example {n}", str(kind), "c") for n, kind in enumerate(kinds)]
    held_out = RiskClassifier(examples, vectors).leave_one_out()
    assert held_out.shape == (size,)
    assert size > NEIGHBOURS
    for index in sorted({0, 1, size // 2, 511, 512, 513, size - 1} & set(range(size))):
        rest = [e for n, e in enumerate(examples) if n != index]
        without = RiskClassifier(rest, np.delete(vectors, index, axis=0))
        (judgement,) = without.judge(vectors[index : index + 1])
        assert held_out[index] == pytest.approx(judgement.crisis, abs=1e-4), index


def test_misjudged_lists_a_crisis_example_the_rest_of_the_bank_calls_safe(
    rng: np.random.Generator,
) -> None:
    examples, vectors = bank(
        [
            ("crisis", "active_ideation", cluster(ACTIVE, 6, rng)),
            ("crisis", "passive_ideation", unit((SAFE, 1.0))[None, :]),
            ("safe", "everyday", cluster(SAFE, 10, rng)),
        ]
    )
    classifier = RiskClassifier(examples, vectors)
    wrong = classifier.misjudged()
    assert [examples[index].text for index, _ in wrong] == ["passive_ideation 0"]
    (_, score) = wrong[0]
    assert score < classifier.threshold
    assert score == pytest.approx(float(classifier.leave_one_out()[6]))


def test_misjudged_lists_a_safe_example_the_rest_of_the_bank_calls_crisis(
    rng: np.random.Generator,
) -> None:
    examples, vectors = bank(
        [
            ("crisis", "active_ideation", cluster(ACTIVE, 10, rng)),
            ("safe", "idioms", unit((ACTIVE, 1.0))[None, :]),
            ("safe", "everyday", cluster(SAFE, 40, rng)),
        ]
    )
    classifier = RiskClassifier(examples, vectors)
    assert [examples[index].text for index, _ in classifier.misjudged()] == ["idioms 0"]


def test_a_clean_bank_has_nothing_misjudged(classifier: RiskClassifier) -> None:
    assert classifier.misjudged() == []


def test_the_bank_includes_every_faq_phrasing_as_safe_except_wildcards_and_small_talk(
    shipped_knowledge: KnowledgeBase,
) -> None:
    examples = bank_of(shipped_knowledge)
    risk = [
        Example(text, file.kind, file.category)
        for file in shipped_knowledge.risk_examples
        for text in file.examples
    ]
    risk_texts = {e.text for e in risk}
    # The risk bank comes first, as written; then each FAQ phrasing it lacks, once.
    assert examples[: len(risk)] == risk
    added = [e.text for e in examples[len(risk) :]]
    assert len(added) == len(set(added))
    assert not set(added) & risk_texts
    entries = shipped_knowledge.entries.values()
    phrasings = [p for e in entries if e.kind != "smalltalk" for p in e.phrasings]
    small_talk = {p for e in entries if e.kind == "smalltalk" for p in e.phrasings}
    # Small talk opens and closes crisis messages too ("see you tomorrow, if i'm still alive").
    assert small_talk
    assert not (small_talk - risk_texts) & set(added)
    wildcards = [p for p in phrasings if "*" in p]
    assert wildcards, "the shipped FAQ has wildcard phrasings to skip"
    assert not any("*" in t for t in added)
    faq = {e.text: e for e in examples[len(risk) :]}
    assert {e.kind for e in faq.values()} == {"safe"}
    assert {e.category for e in faq.values()} == {"faq"}
    expected = {p for p in phrasings if "*" not in p} - risk_texts
    assert set(faq) == expected


def test_a_phrasing_that_is_also_in_the_risk_bank_keeps_the_banks_label(
    small_knowledge: KnowledgeBase,
) -> None:
    knowledge = dataclasses.replace(
        small_knowledge,
        risk_examples=(
            RiskExamples(category="low_mood", kind="support", examples=("number of sessions",)),
            RiskExamples(
                category="active_ideation", kind="crisis", examples=("i want to end it all",)
            ),
        ),
    )
    examples = bank_of(knowledge)
    assert examples[:2] == [
        Example("number of sessions", "support", "low_mood"),
        Example("i want to end it all", "crisis", "active_ideation"),
    ]
    assert [e.text for e in examples].count("number of sessions") == 1
    assert Example("How many sessions does DIT take?", "safe", "faq") in examples
    assert not any("*" in e.text for e in examples)
    assert "can dit help with *" in small_knowledge.entries["help-not-listed"].phrasings
