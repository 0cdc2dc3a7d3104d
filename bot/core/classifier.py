"""Which entry a message asks about, as learned from the staff's phrasings: a softmax regression
over the phrasings' vectors, trained whenever the meaning index is built.

Nearness to the closest phrasing (`MeaningIndex.similarity_to`) weighs every direction of the
encoder's space alike, and most of them say how a question is put ("can you tell me", "is it",
the length of the message) rather than what it asks. A linear model trained to tell the
entries apart by their own phrasings learns which directions separate them. On the project's
inscope cases (it is trained on phrasings only, though 50 of those 1,336 questions are also
phrasings word for word, and its settings were chosen on them) it found the right entry for
95.4% of messages, where the closest phrasing found it for 92.3% (BENCHMARKS.md). Its
confidence is no better at telling odd questions from real ones, so it is one more
opinion in `bot.core.fusion`, never the judge of whether to answer.

Training is deterministic (plain gradient descent from zero weights; no randomness) and takes
about 0.3 s for the shipped knowledge, so its weights are kept in the cache beside the vectors,
keyed by `fingerprint` (the phrasings, their entries, the model and the settings): a start or
a reload with the same phrasings reads them instead. Its cost grows with readings times
entries, so above `Training.budget` (some 300 entries) no classifier is trained and fusion
reads similarity alone, as it did before; nor below `Training.least` readings per entry, too
few to learn from, nor for fewer than `Training.fewest` entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.vectors import DIMENSIONS, Vectors


@dataclass(frozen=True)
class Training:
    """How the classifier is trained.

    Chosen on the shared development set's and the case files' inscope questions, by the share
    whose most likely entry is answered right: `temperature` 3 to 30, `decay` 1e-4 to 1e-3,
    up to 600 rounds. Stopping before the phrasings are all fitted is what makes it generalise:
    Adam, which fits them all within 50 rounds, found 94.5%, plain descent for 100 rounds at
    this rate 95.4% (the same as 600 rounds at a sixth of the rate, in a sixth of the time).
    """

    temperature: float = 5.0
    rate: float = 3.0
    rounds: int = 100
    decay: float = 1e-4
    # Readings times entries above which no classifier is trained: training costs about 2 s
    # per million (0.3 s for the shipped 2,210 readings of 70 entries); with ~17 readings an
    # entry this is reached at about 300 entries, and every start or reload with changed
    # phrasings pays it.
    budget: int = 1_500_000
    # Readings per entry, on average, below which none is trained: from one or two phrasings
    # an entry is learned by its wording, not its meaning, and the classifier is sure of a
    # choice that is a coin toss ("and can that be changed?" between two entries about
    # changing something, at 0.97). A phrasing naming the therapy is read twice.
    least: float = 5.0
    # Entries below which none is trained: its probabilities always add up to 1, so among a
    # handful of entries it is sure of one of them for any message at all (out-of-scope
    # questions got a median top probability of 0.98 with 2 or 4 entries).
    fewest: int = 20


TRAINING = Training()
# Raise when the way the classifier is trained changes, so that cached weights are not reused.
TRAINING_METHOD = 1


def fingerprint(
    owners: Sequence[str], texts: Sequence[str], model_id: str, training: Training = TRAINING
) -> str:
    """Names everything a trained classifier depends on: each phrasing as read and the entry
    owning it, in order; the encoder; the settings and the method."""
    digest = hashlib.sha256(f"{model_id}|{training}|{TRAINING_METHOD}".encode())
    for owner, text in zip(owners, texts, strict=True):
        digest.update(f"\0{owner}\0{text}".encode())
    return f"entry-classifier-{digest.hexdigest()[:32]}"


class EntryClassifier:
    """The probability that a message asks about each entry. Immutable."""

    def __init__(
        self,
        ids: Sequence[str],
        weights: npt.NDArray[np.float32],
        bias: npt.NDArray[np.float32],
        temperature: float,
    ) -> None:
        self.ids = tuple(ids)
        self._weights = weights
        self._bias = bias
        self._temperature = temperature

    @classmethod
    def train(
        cls, owners: Sequence[str], matrix: Vectors, training: Training = TRAINING
    ) -> EntryClassifier | None:
        """A classifier from one row of `matrix` per phrasing and the id of the entry owning
        each (`owners`); None when there is nothing to tell apart or too much to train on."""
        if len(owners) != len(matrix):
            raise ValueError("one owner per row")
        ids = list(dict.fromkeys(owners))
        if len(ids) < max(2, training.fewest) or len(owners) * len(ids) > training.budget:
            return None
        if len(owners) < training.least * len(ids):
            return None
        rows = np.asarray(matrix, dtype=np.float32).reshape(-1, DIMENSIONS)
        label = {entry_id: k for k, entry_id in enumerate(ids)}
        targets = np.eye(len(ids), dtype=np.float32)[[label[o] for o in owners]]
        weights = np.zeros((DIMENSIONS, len(ids)), dtype=np.float32)
        bias = np.zeros(len(ids), dtype=np.float32)
        t = np.float32(training.temperature)
        for _ in range(training.rounds):
            error = (_softmax((rows @ weights + bias) * t) - targets) / np.float32(len(rows))
            weights -= np.float32(training.rate) * (
                rows.T @ error * t + np.float32(training.decay) * weights
            )
            bias -= np.float32(training.rate) * error.sum(axis=0) * t
        return cls(ids, weights, bias, training.temperature)

    def arrays(self) -> dict[str, npt.NDArray[np.float32]]:
        """The learned weights, to be kept (`from_arrays` makes the classifier again)."""
        return {"weights": self._weights, "bias": self._bias}

    @classmethod
    def from_arrays(
        cls,
        owners: Sequence[str],
        arrays: Mapping[str, npt.NDArray[np.float32]],
        training: Training = TRAINING,
    ) -> EntryClassifier | None:
        """The classifier `train` made for `owners`, from its `arrays`; None when they do not
        fit (nothing was trained, the file was not written for these entries, or it holds
        anything but finite numbers)."""
        ids = list(dict.fromkeys(owners))
        weights, bias = arrays.get("weights"), arrays.get("bias")
        if weights is None or bias is None:
            return None
        if weights.shape != (DIMENSIONS, len(ids)) or bias.shape != (len(ids),):
            return None
        numbers = (np.issubdtype(a.dtype, np.floating) for a in (weights, bias))
        if not all(numbers) or not (np.isfinite(weights).all() and np.isfinite(bias).all()):
            return None
        return cls(ids, weights.astype(np.float32), bias.astype(np.float32), training.temperature)

    def probabilities(self, vectors: Vectors) -> Mapping[str, float]:
        """Each entry's probability for the first row of `vectors` (empty without a row)."""
        if not len(vectors):
            return {}
        row = np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSIONS)[:1]
        found = _softmax((row @ self._weights + self._bias) * self._temperature)[0]
        return dict(zip(self.ids, found.tolist(), strict=True))


def _softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    shifted: npt.NDArray[np.float32] = np.exp(logits - logits.max(axis=1, keepdims=True))
    found: npt.NDArray[np.float32] = shifted / shifted.sum(axis=1, keepdims=True)
    return found
