"""The learned layer of the crisis check: how close a message is, in meaning, to the risk bank.

Staff keep a labelled bank in knowledge/risk/: crisis messages by category, messages that need a
gentle pointer to support, and hard negatives (idioms, everyday words, films, negation, the past).
At load time every example is encoded, and a message is judged by its nearest examples: each of
the k nearest votes for its kind with a weight that grows steeply with similarity. Nearest
neighbours ranked crisis against hard negatives better than a linear model on the same bank
(ROC AUC 0.954 against 0.940, leave-one-out), and an example that staff add counts at once.

The crisis threshold is not a tuned constant: it is chosen from the bank itself, by
leave-one-out, as the score that `TARGET_FALSE_ALARMS` of the hard negatives reach.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.knowledge import KnowledgeBase
from bot.core.vectors import Vectors

NEIGHBOURS = 25
# How steeply a neighbour's vote grows with its similarity (cosine); 20 means a neighbour 0.05
# closer counts e (2.7) times as much.
SHARPNESS = 20.0
# The share of the bank's hard negatives allowed over the threshold, by leave-one-out. The bank's
# negatives are written to sit right beside crisis wording, so real messages cross it far less.
TARGET_FALSE_ALARMS = 0.08
# A message far from every example is not judged by whatever happens to be nearest: an
# imaginary safe example at this similarity joins every vote, so a crisis vote needs examples
# closer than it. (Cosine similarity of MiniLM vectors; unrelated sentences sit near 0.1-0.3.)
BACKGROUND = 0.55
# The share of the neighbours' vote that makes a message one for a pointer to support.
SUPPORT_SHARE = 0.5

KINDS = ("crisis", "support", "safe")
# Crisis examples a bank needs before its "safe" verdict may set a pattern's alarm aside.
MIN_TO_OUTVOTE = 500


@dataclass(frozen=True)
class Example:
    text: str
    kind: str  # one of KINDS
    category: str


@dataclass(frozen=True)
class Judgement:
    """What the bank says about one piece of text."""

    crisis: float  # the neighbours' vote for crisis, 0 to 1
    support: float  # and for support
    category: str | None  # the crisis category most of the crisis vote went to
    nearest: str  # the closest example, for `dit-bot check` and the logs


class RiskClassifier:
    def __init__(
        self, examples: Sequence[Example], vectors: Vectors, threshold: float | None = None
    ) -> None:
        if len(examples) != len(vectors):
            raise ValueError("one vector per example")
        self.examples = tuple(examples)
        self._vectors = np.asarray(vectors, dtype=np.float32)
        kinds = np.array([e.kind for e in self.examples])
        self._is = {kind: (kinds == kind).astype(np.float32) for kind in KINDS}
        self._categories = np.array([e.category for e in self.examples])
        self.threshold = self.choose_threshold() if threshold is None else threshold
        # Only a bank with enough crisis examples may outvote a crisis pattern: with a handful,
        # a low crisis vote means the bank has not seen such wording, not that it is safe.
        self.can_outvote = int(self._is["crisis"].sum()) >= MIN_TO_OUTVOTE

    def judge(self, vectors: Vectors) -> list[Judgement]:
        """One judgement per row of `vectors` (unit vectors from the same encoder)."""
        if len(vectors) == 0 or len(self.examples) == 0:
            return [Judgement(0.0, 0.0, None, "") for _ in range(len(vectors))]
        # The bank times the message, not the message times the bank's transpose: the same
        # numbers to the bit (checked on the project's cases), but OpenBLAS takes a third less
        # time over the ~10 MB bank for a message of several rows (0.65 against 0.97 ms).
        similarity = (self._vectors @ np.asarray(vectors, dtype=np.float32).T).T
        return [self._vote(row) for row in similarity]

    def leave_one_out(self) -> npt.NDArray[np.float32]:
        """Each example's crisis vote from all the others: what it would get if it were new."""
        return self._held_out_scores()[0]

    def misjudged(self) -> list[tuple[int, float]]:
        """Examples the rest of the bank would judge wrongly: crisis examples under the
        threshold, and negatives over it; with their held-out crisis vote."""
        crisis, _ = self._held_out_scores()
        wrong = []
        for index, example in enumerate(self.examples):
            score = float(crisis[index])
            if (example.kind == "crisis") != (score >= self.threshold):
                wrong.append((index, score))
        return wrong

    def _vote(self, similarity: npt.NDArray[np.float32]) -> Judgement:
        k = min(NEIGHBOURS, len(similarity))
        nearest = np.argpartition(-similarity, k - 1)[:k]
        top = max(float(similarity[nearest].max()), BACKGROUND)
        weights = np.exp(SHARPNESS * (similarity[nearest] - top))
        total = float(weights.sum()) + float(np.exp(SHARPNESS * (BACKGROUND - top)))
        crisis_weights = weights * self._is["crisis"][nearest]
        crisis = float(crisis_weights.sum()) / total
        support = float((weights * self._is["support"][nearest]).sum()) / total
        category = None
        if crisis > 0:
            votes: dict[str, float] = {}
            for index, weight in zip(nearest, crisis_weights, strict=True):
                if weight > 0:
                    name = str(self._categories[index])
                    votes[name] = votes.get(name, 0.0) + float(weight)
            category = max(votes, key=lambda name: votes[name])
        best = int(nearest[np.argmax(similarity[nearest])])
        return Judgement(crisis, support, category, self.examples[best].text)

    def _held_out_scores(
        self, rows: npt.NDArray[np.intp] | None = None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """The crisis and support votes each example (or each of `rows`) gets from the others."""
        size = len(self.examples)
        rows = np.arange(size) if rows is None else rows
        crisis = np.zeros(len(rows), dtype=np.float32)
        support = np.zeros(len(rows), dtype=np.float32)
        if size < 2:
            return crisis, support
        k = min(NEIGHBOURS, size - 1)
        for start in range(0, len(rows), 512):
            chosen = rows[start : start + 512]
            block = self._vectors[chosen] @ self._vectors.T
            block[np.arange(len(chosen)), chosen] = -np.inf  # no example votes for itself
            nearest = np.argpartition(-block, k - 1, axis=1)[:, :k]
            sims = np.take_along_axis(block, nearest, axis=1)
            top = np.maximum(sims.max(axis=1, keepdims=True), BACKGROUND)
            weights = np.exp(SHARPNESS * (sims - top))
            total = weights.sum(axis=1) + np.exp(SHARPNESS * (BACKGROUND - top[:, 0]))
            end = start + len(chosen)
            crisis[start:end] = (weights * self._is["crisis"][nearest]).sum(1) / total
            support[start:end] = (weights * self._is["support"][nearest]).sum(1) / total
        return crisis, support

    def choose_threshold(self) -> float:
        """The crisis vote that TARGET_FALSE_ALARMS of the bank's safe examples reach, held out
        (never below a majority vote)."""
        negatives, _ = self._held_out_scores(np.flatnonzero(self._is["safe"] > 0))
        if len(negatives) == 0:
            return 0.5
        # Never below a majority vote: the threshold only ever rises for a harder bank.
        # "higher": the threshold is an actual example's vote, so at most the target share of
        # the negatives is over it however few there are.
        cut = np.quantile(negatives, 1.0 - TARGET_FALSE_ALARMS, method="higher")
        return max(0.5, float(cut))


# Raise when the way the threshold is chosen changes, so that cached thresholds are not reused.
THRESHOLD_METHOD = 2


def fingerprint(examples: Sequence[Example], model_id: str) -> str:
    """What the threshold depends on: the model, the examples, the constants and the method."""
    digest = hashlib.sha256(
        f"{model_id} {NEIGHBOURS} {SHARPNESS} {BACKGROUND} {TARGET_FALSE_ALARMS} "
        f"{THRESHOLD_METHOD}".encode()
    )
    for example in examples:
        digest.update(f"\0{example.kind}\0{example.text}".encode())
    return digest.hexdigest()[:24]


def bank_of(knowledge: KnowledgeBase) -> list[Example]:
    """The examples to learn from: the risk bank, and every FAQ question's phrasing as a safe
    example (an ordinary question is, by definition, what the bot is for). Small talk is left
    out: greetings, thanks, goodbyes and apologies are what a message in crisis opens or
    closes with ("see you tomorrow, if i'm still alive"), and 116 such phrasings as safe
    neighbours outvoted crisis wording after them (a review found ten such messages let
    through); the bank's own safe examples of bare small talk (chat_and_offtopic.yaml) keep
    "bye" from being taken for a crisis."""
    examples = [
        Example(text, bank.kind, bank.category)
        for bank in knowledge.risk_examples
        for text in bank.examples
    ]
    seen = {e.text for e in examples}
    for entry in knowledge.entries.values():
        if entry.kind == "smalltalk":
            continue
        for phrasing in entry.phrasings:
            if "*" not in phrasing and phrasing not in seen:
                seen.add(phrasing)
                examples.append(Example(phrasing, "safe", "faq"))
    return examples
