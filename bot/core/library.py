"""One knowledge base with everything built from it (matcher, crisis check, meaning index),
swapped whole when staff's edits are reloaded."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.meaning import MeaningIndex
from bot.core.risk import RiskClassifier, bank_of, fingerprint
from bot.core.safety import CrisisDetector, Meaning
from bot.core.settings import Matching
from bot.core.subjects import Subjects
from bot.core.vectors import Embedder

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Library:
    """One knowledge base with everything built from it; swapped whole on reload."""

    knowledge: KnowledgeBase
    matcher: Matcher
    detector: CrisisDetector
    subjects: Subjects

    # The encoder and its cache, kept to rebuild the learned crisis check on reload.
    embeddings: Embedder | None = None
    # The phrasings' vectors, for matching by meaning; None: by words alone.
    meaning: MeaningIndex | None = None

    @classmethod
    def build(
        cls, knowledge: KnowledgeBase, matching: Matching, embeddings: Embedder | None = None
    ) -> Library:
        """Everything built from one knowledge base; with `embeddings`, the crisis check also
        judges by meaning (the bank is encoded through the cache, so only new text costs)."""
        meaning = index = None
        if embeddings is None:
            _LOG.warning("no sentence encoder: crisis patterns only, matching by words alone")
        else:
            try:
                meaning = _meaning(knowledge, embeddings)
            except Exception:
                # The bot still starts and answers; the patterns alone recognise a crisis.
                _LOG.exception("the learned crisis check could not be built; patterns alone")
            try:
                index = MeaningIndex.build(knowledge, embeddings) if meaning else None
            except Exception:
                _LOG.exception("the phrasings could not be encoded; matching by words alone")
            if index is not None and index.classifier is None:
                # Fusion's constants were chosen with its vote: say so when it is missing.
                _LOG.info(
                    "no entry classifier (too few entries or phrasings, or too many to train"
                    " on; bot.core.classifier.Training): matching by closeness alone"
                )
        words = [text for bank in knowledge.risk_examples for text in bank.examples]
        detector = CrisisDetector(knowledge.crisis, meaning, words)
        matcher = Matcher(knowledge, matching)
        return cls(knowledge, matcher, detector, Subjects(knowledge.language), embeddings, index)


def _meaning(knowledge: KnowledgeBase, embeddings: Embedder) -> Meaning:
    examples = bank_of(knowledge)
    vectors = embeddings.embed([e.text for e in examples])
    embeddings.save()
    # The threshold takes a leave-one-out pass over the bank: computed once per bank.
    key = f"risk-threshold-{fingerprint(examples, embeddings.model_id)}"
    threshold = embeddings.figure(key, lambda: RiskClassifier(examples, vectors).threshold)
    return Meaning(RiskClassifier(examples, vectors, threshold), embeddings.encode)
