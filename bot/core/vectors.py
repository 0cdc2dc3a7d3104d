"""Sentence vectors as the core sees them: their type, and what it asks of an encoder.

The encoder itself (a model file, onnxruntime) and the cache of vectors on disk are adapters
(`bot.adapters.encoder`, `bot.adapters.embeddings`); the core only needs this much of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

# The width of the shipped model's vectors (all-MiniLM-L6-v2).
DIMENSIONS = 384

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Texts in, one unit vector per text out."""

    # Names the model, so that vectors and figures derived from them are kept per model.
    model_id: str

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Vectors of texts seen again and again (the risk bank, the phrasings): remembered."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Vectors of a message and its sentences: computed, never remembered."""
        ...

    def figure(self, key: str, compute: Callable[[], float]) -> float:
        """A number derived from the vectors (a threshold), computed once per `key`."""
        ...

    def derived(
        self, name: str, key: str, compute: Callable[[], Mapping[str, Vectors]]
    ) -> Mapping[str, Vectors]:
        """Arrays derived from the vectors (the entry classifier's weights), computed once per
        `key` and kept under `name`."""
        ...

    def save(self) -> None:
        """Keep what `embed` computed, so that the next start need not compute it again."""
        ...
