"""Matching by meaning: every phrasing's vector in one matrix, and the rule that joins it to the
lexical matcher.

The index holds one unit vector per reading of a phrasing (question and alternates; a wildcard
phrasing is read without its `*`, and one that names the therapy is read a second time with
plain words in place of the name: `Readings`), rows grouped by entry, so a message's
similarity to every entry is one
matrix product and one per-entry maximum. Above LARGE phrasings (thousands of entries) a
message is compared only with the nearest clusters of phrasings (`_Clusters`), as reading the
whole matrix would take longer than the rest of the answer. Vectors come through
`Embedder`, so each phrasing is encoded once per model and a reload encodes only what
changed. The message's own vector is the one the crisis check already computed
(`Assessment.vectors`): it is never encoded twice.

The rule (`second_opinion`): the lexical matcher decides first, the encoder is a second
opinion. Its decision is then one input of `bot.core.fusion`, which answers by a weighted sum
of both scores and leaves near ties, asking back and small talk to this rule. Meaning is
"confident" about an entry when the message is at least `confident` similar to one of its
phrasings and `gap` ahead of every entry not related to it. Then:

- lexical answer: kept, unless the message is far in meaning (under `far`) from every phrasing
  of the entry answered ("what time is it" shares only "time" with the anxiety entry), or
  meaning is confident about another entry that is `switch` closer than the one answered;
  a vetoed answer goes to the confident entry, else to the honest fallback;
- lexical fallback or "did you mean": meaning's confident entry is answered when it is very
  close (`alone`), among the words' own candidates, or small talk, and offered back when not;
  without a confident entry the lexical outcome stands.

Before that, meaning settles near-ties among the words' own candidates (`Rule.tie`): a "did
you mean" between entries that meaning tells clearly apart is answered, and a lexical answer
barely ahead of a runner-up that meaning puts much closer goes to the runner-up. Here each
candidate is judged by the closer of the whole message and its last sentence, where a story's
question usually is, and only meaning's own first choice is picked.

The message is read as a whole: for a long one that is the mean of its sentences' vectors.
Taking its best single sentence as well was tried (with a discount of 0 to 0.1) and cost right
answers on the case files: a story's side remarks find entries of their own.
Meaning never overrules the crisis check, which has run before any of this.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.classifier import EntryClassifier, fingerprint
from bot.core.knowledge import Entry, KnowledgeBase, Language
from bot.core.matcher import Candidate, Decision, Outcome
from bot.core.text import WILDCARD
from bot.core.vectors import DIMENSIONS, Embedder, Vectors

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """The constants of `second_opinion` (cosine similarities of MiniLM vectors).

    The defaults come from a sweep over the development set and the project's case files
    (`python -m benchmarks.meaning_sweep`; the table is in BENCHMARKS.md). Each is the most
    cautious value of the plateau where no group got worse and the most cases were right.
    """

    # Off-topic messages in those sets came at most 0.39 close to any phrasing, and questions
    # the lexical matcher missed mostly 0.55 to 0.9; 0.55 scored best of 0.45 to 0.7.
    confident: float = 0.55
    # 0 and 0.02 scored the same: some lead keeps meaning from choosing between near twins,
    # which the lexical "did you mean" does better.
    gap: float = 0.02
    # Vetoes up to 0.2 cost nothing on the sets; 0.25 lost a right answer.
    far: float = 0.2
    # A lexical answer on one shared word ("a long-standing dependence on alcohol" answered
    # with what the letters DIT stand for) goes to the entry meaning is confident about when
    # that is this much closer; 0.2 fixed the most such answers, 0.3 and 0.4 fewer.
    switch: float = 0.2
    # Where the matcher found nothing to answer, meaning answers when it is this close, or
    # when the matcher's candidates (`agreement`: how far down its ranking) include that same
    # entry; otherwise it asks back with the entry as an option. Chosen after the first run of
    # an unseen set (tests/cases/meaning_heldout.yaml, a development set since): answering
    # on 0.55 alone turned odd questions about DIT ("does my health insurance cover
    # dynamic interpersonal therapy", 0.73 from what DIT is) into answers to other questions.
    # Of 0.75-0.85 and 1 or 3 candidates, 0.8 with 1 kept the development set at 1.0 and
    # gave the most right on that set (inscope 0.905, out of scope 0.776). Later, with the
    # near-tie rule and the slot rule for wildcards in place, 2, 3 and 5 candidates all gained
    # on the case files (5: two more right answers, "the underlying philosophy of this
    # treatment", for one odd question answered, "explain dynamic programming in python");
    # 5 is all the candidates the words give.
    # Small talk meaning is confident about is answered too: its reply states no fact, and
    # "did you mean: Goodbye?" is no way to answer "goodnight".
    alone: float = 0.8
    agreement: int = 5
    # Asking back with meaning's entry as the one option needs this much: at 0.55 (just
    # confident) "when is the next session of parliament" was offered the waiting list. On the
    # case files 0.58 to 0.7 all gained that one and lost nothing; 0.6 is their middle.
    offer: float = 0.6
    # A one-sentence answer that the words found on a shared word while `strange` of the
    # message's weight is in words no phrasing uses, and that is less than `remote` close to
    # its entry in meaning, is an odd question ("how many sessions of play are there in a
    # day of test cricket", "how do jam sessions work for musicians"): the bot says it does
    # not know. A story is left alone: most of its words are in no phrasing; so is a
    # wildcard's answer ("can dit help with gambling"). On the case
    # files `strange` 0.3 and 0.4 with `remote` 0.45 turned four such answers into "I don't
    # know" and cost one right answer (slang no synonym knew, since added); `remote` 0.5
    # cost right answers. 0.4 asks more of the unknown words than 0.3 for the same gain.
    # (`bot.core.fusion` has the same rule for the answers it makes: `Fusion.unknown`, `remote`.)
    strange: float = 0.4
    remote: float = 0.45
    # Close candidates of the words (their "did you mean" options, or those within `window`
    # of a lexical answer) are told apart by meaning, read on the whole message and on its
    # last sentence (where a story's question usually is), each candidate by the closer of
    # the two. Meaning picks one only when it is meaning's own nearest entry (for the whole or
    # the last sentence), so an entry neither opinion puts first is never chosen.
    # - Words ask back: the candidate `tie` ahead of the others and at least `near` close is
    #   answered ("which method does DIT use to help you think about your problems", 0.73 to
    #   how DIT works, 0.05 ahead). On the case files every lead from 0 to 0.03 gained the
    #   same five and lost none; 0.05 and 0.08 fewer; `near` 0.55 one fewer.
    # - Words answer: a candidate within `window` of the answer in words and `rescue` closer
    #   in meaning (and `confident`) is answered instead ("what year was DIT first
    #   developed": the words lean to what DIT was developed for, meaning to its history).
    #   0.03 to 0.08 gained the same four and lost none; without the window (0.15, the
    #   matcher's clarify_window) a clear lexical answer was moved by a topic word
    #   ("what's causing your problems" to the problems list), and at 0.1 two fewer gained.
    tie: float = 0.03
    near: float = 0.45
    rescue: float = 0.08
    window: float = 0.15
    options: int = 3


RULE = Rule()


@dataclass(frozen=True)
class Near:
    """An entry and how close a message is to it in meaning (cosine, best phrasing)."""

    entry: Entry
    similarity: float
    phrasing: str


def phrasing_text(phrasing: str) -> str:
    """What the encoder reads for a phrasing: a wildcard is no word at all."""
    return " ".join(phrasing.replace(WILDCARD, " ").split())


class Readings:
    """Each phrasing of an entry as the encoder reads it, and again with the therapy's name
    in plain words ("what is dit" and "what is this therapy").

    People ask about "it" or "this therapy" as often as they name DIT, and the encoder weighs
    an unfamiliar acronym heavily: "does it carry on indefinitely" was 0.49 from "is dit open
    ended", too far to answer. Reading the phrasing both ways (the better of the two counts)
    brings such questions closer without moving the message's own vector. Replacing the name
    in messages as well was tried and lost right answers: it moved every message that names
    DIT. Small talk is never about the therapy and is read once.
    """

    def __init__(self, language: Language | None = None) -> None:
        names = sorted(language.names, key=len, reverse=True) if language else []
        plain = language.plain_name if language else None
        alternation = "|".join(re.escape(" ".join(name.split())) for name in names)
        self._name = re.compile(rf"\b(?:{alternation})\b", re.I) if names and plain else None
        self._plain = plain or ""

    def of(self, entry: Entry) -> list[tuple[str, str]]:
        """(phrasing, what the encoder reads for it) for each reading of each phrasing."""
        found = []
        for phrasing in entry.phrasings:
            text = phrasing_text(phrasing)
            if not text:
                continue
            found.append((phrasing, text))
            if self._name is not None and entry.kind != "smalltalk":
                plain = " ".join(self._name.sub(self._plain, text).split())
                if plain != text:
                    found.append((phrasing, plain))
        return found


class MeaningIndex:
    """The phrasings' vectors of one knowledge base, rows grouped by entry. Immutable."""

    def __init__(
        self,
        entries: Sequence[Entry],
        texts: Sequence[str],
        vectors: Vectors,
        readings: Readings | None = None,
        classifier: EntryClassifier | None = None,
    ) -> None:
        # `texts` and `vectors` are one row per reading (`Readings.of`), in the order of
        # `entries`; a text is the phrasing the reading was made from. `classifier`: trained
        # on these rows (`build` trains it), or none.
        self.entries = tuple(entries)
        if classifier is not None and not set(classifier.ids) <= {e.id for e in self.entries}:
            raise ValueError("a classifier trained on other entries")
        self.classifier = classifier
        self.texts = tuple(texts)
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, DIMENSIONS)
        readings = readings or Readings()
        counts = [len(readings.of(entry)) for entry in self.entries]
        if sum(counts) != len(self.matrix) or len(self.texts) != len(self.matrix):
            raise ValueError("one vector per reading of a phrasing")
        # The most entries any one entry is related to, either way round.
        linked: dict[str, set[str]] = {entry.id: set(entry.related) for entry in self.entries}
        for entry in self.entries:
            for other in entry.related:
                linked.setdefault(other, set()).add(entry.id)
        self.most_related = max((len(found) for found in linked.values()), default=0)
        # Where each entry's rows start; entries without phrasings get none (and never match).
        self._has_rows = np.array([c > 0 for c in counts], dtype=bool)
        self._starts = np.cumsum([0, *counts[:-1]])[self._has_rows]
        self._kept = [e for e, has in zip(self.entries, self._has_rows, strict=True) if has]
        self._rows_of = {
            entry.id: (int(start), int(start) + count)
            for entry, start, count in zip(
                self.entries, np.cumsum([0, *counts[:-1]]), counts, strict=True
            )
        }
        owner_of_row = np.repeat(np.arange(len(self._kept)), [c for c in counts if c > 0])
        self._clusters = _Clusters(self.matrix, owner_of_row) if len(self.matrix) > LARGE else None

    @classmethod
    def build(cls, knowledge: KnowledgeBase, embeddings: Embedder) -> MeaningIndex:
        """The index over `knowledge`, every phrasing encoded through the cache."""
        entries = list(knowledge.entries.values())
        readings = Readings(knowledge.language)
        owned = [(entry.id, pair) for entry in entries for pair in readings.of(entry)]
        reads = [read for _, (_, read) in owned]
        vectors = embeddings.embed(reads)
        embeddings.save()
        owners = [owner for owner, _ in owned]
        classifier = _classifier(owners, reads, vectors, embeddings)
        texts = [phrasing for _, (phrasing, _) in owned]
        return cls(entries, texts, vectors, readings, classifier)

    def rank(self, vectors: Vectors, limit: int = 5, floor: float = -1.0) -> list[Near]:
        """The entries nearest in meaning to any row of `vectors` and at least `floor` close,
        best first."""
        if not len(self._kept) or not len(vectors) or limit < 1:
            return []
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSIONS)
        if self._clusters is not None and len(vectors) == 1:
            entries, per_entry = self._clusters.nearest(vectors[0])
        else:
            entries = np.arange(len(self._kept))
            per_entry = np.maximum.reduceat((vectors @ self.matrix.T).max(axis=0), self._starts)
        kept = np.flatnonzero(per_entry >= floor)
        limit = min(limit, len(kept))
        if limit == 0:
            return []
        top = kept[np.argpartition(-per_entry[kept], limit - 1)[:limit]]
        top = top[np.argsort(-per_entry[top], kind="stable")]
        found = []
        for index in top:
            entry = self._kept[int(entries[index])]
            start, end = self._rows_of[entry.id]
            row = start + int(np.argmax((vectors @ self.matrix[start:end].T).max(axis=0)))
            found.append(Near(entry, float(per_entry[index]), self.texts[row]))
        return found

    def similarity_to(self, entry_id: str, vectors: Vectors) -> float:
        """How close any row of `vectors` comes to the entry's own phrasings (0 if it has none)."""
        start, end = self._rows_of.get(entry_id, (0, 0))
        if end <= start or not len(vectors):
            return 0.0
        return float((np.asarray(vectors, dtype=np.float32) @ self.matrix[start:end].T).max())

    def likelihoods(self, vectors: Vectors) -> Mapping[str, float]:
        """The classifier's probability of each entry for the first row of `vectors` (empty
        without a classifier)."""
        return self.classifier.probabilities(vectors) if self.classifier is not None else {}

    def has(self, entry_id: str) -> bool:
        """Whether the entry has phrasings in the index."""
        start, end = self._rows_of.get(entry_id, (0, 0))
        return end > start


# Above this many phrasings a message is compared with the nearest clusters of phrasings only,
# not with every one (see _Clusters). Below it, one product with the whole matrix takes under
# 3 ms and is exact; the shipped knowledge has ~650.
LARGE = 20_000
# The share of clusters read per message. At 10,000 entries (benchmarks/matcher_latency.py's
# queries) 1/8 led to the same decision as reading every phrasing for 99.3% of them (the same
# nearest entry for 95.7%) in a third of the time; 1/5 and 1/3: 99.5% and 99.7%, at about two
# and three times the cost.
PROBED = 1 / 8
_ROUNDS = 6


def _classifier(
    owners: list[str], reads: list[str], vectors: Vectors, embeddings: Embedder
) -> EntryClassifier | None:
    """The entry classifier for these phrasings: trained once per phrasings, model and
    settings, then read from the cache (a damaged or foreign file is trained again)."""

    def train() -> dict[str, Vectors]:
        trained = EntryClassifier.train(owners, vectors)
        return trained.arrays() if trained is not None else {}

    key = fingerprint(owners, reads, embeddings.model_id)
    arrays = embeddings.derived("classifier", key, train)
    if not arrays:
        return None
    kept = EntryClassifier.from_arrays(owners, arrays)
    if kept is None:
        _LOG.warning("the cached entry classifier does not fit its phrasings; trained again")
        return EntryClassifier.train(owners, vectors)
    return kept


class _Clusters:
    """An inverted file over a large matrix: its rows in ~sqrt(n) clusters by meaning
    (spherical k-means on a sample), a message compared only with the rows of the clusters
    nearest it. Approximate: an entry whose best phrasing sits in a cluster not read is
    judged by its others, or not at all."""

    def __init__(self, matrix: Vectors, owner_of_row: npt.NDArray[np.intp]) -> None:
        rng = np.random.default_rng(0)  # the same clusters for the same phrasings
        count = int(np.sqrt(len(matrix)))
        sample = matrix[rng.choice(len(matrix), min(len(matrix), 40 * count), replace=False)]
        centroids = sample[rng.choice(len(sample), count, replace=False)]
        for _ in range(_ROUNDS):
            centroids = _means(sample, _assign(sample, centroids), centroids)
        assigned = _assign(matrix, centroids)
        order = np.argsort(assigned, kind="stable")
        self.centroids = centroids
        self.bounds = np.searchsorted(assigned[order], np.arange(count + 1))
        # The rows again, cluster by cluster, so that each cluster is one contiguous slice.
        self.matrix = np.ascontiguousarray(matrix[order])
        self.owners = owner_of_row[order]
        self.probes = max(1, round(count * PROBED))
        # A few messages at once (worker threads); lru_cache is safe across threads.
        self._recent = functools.lru_cache(maxsize=16)(self._scan)

    def nearest(self, vector: Vectors) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        """Entries (kept positions) met in the clusters nearest `vector`, and their best
        similarity there."""
        # The cascade and the fused score each read the same message: its scan is kept.
        return self._recent(np.ascontiguousarray(vector, dtype=np.float32).tobytes())

    def _scan(self, key: bytes) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        vector = np.frombuffer(key, dtype=np.float32)
        probed = np.argpartition(-(self.centroids @ vector), self.probes - 1)[: self.probes]
        slices = [slice(self.bounds[c], self.bounds[c + 1]) for c in probed]
        similarity = np.concatenate([self.matrix[s] @ vector for s in slices])
        owners = np.concatenate([self.owners[s] for s in slices])
        order = np.argsort(owners, kind="stable")
        owners, similarity = owners[order], similarity[order]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        return owners[starts], np.maximum.reduceat(similarity, starts)


def _assign(rows: Vectors, centroids: Vectors) -> npt.NDArray[np.intp]:
    found = [np.argmax(rows[i : i + 8192] @ centroids.T, axis=1) for i in range(0, len(rows), 8192)]
    return np.concatenate(found)


def _means(rows: Vectors, assigned: npt.NDArray[np.intp], centroids: Vectors) -> Vectors:
    """Each cluster's mean direction; a cluster left empty keeps its centroid."""
    order = np.argsort(assigned, kind="stable")
    sizes = np.bincount(assigned, minlength=len(centroids))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    means = centroids.copy()
    filled = sizes > 0
    sums = np.add.reduceat(rows[order], starts[filled], axis=0)
    means[filled] = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
    return means


def second_opinion(
    decision: Decision, index: MeaningIndex, vectors: Vectors, rule: Rule = RULE
) -> Decision:
    """The lexical decision, checked and completed by meaning (see the module's docstring).
    `vectors`: the message's whole-text vector first (the crisis check's)."""
    whole = vectors[:1]
    best = decision.best
    broken = _tie_broken(decision, index, vectors, rule)
    if broken is not None:
        return broken
    own = index.similarity_to(best.entry.id, whole) if best is not None else 0.0
    if decision.outcome is Outcome.ANSWER and own + rule.switch > 1.001:
        # Close in meaning, and no entry can be `switch` closer (a cosine is at most 1, give or
        # take rounding): the answer stands, and the whole index need not be read.
        return decision
    # Enough entries that the first one not related to the nearest is among them. Entries
    # further than `confident - gap` can be neither the confident one nor a rival close enough
    # to matter.
    nearest = index.rank(whole, 2 + index.most_related, rule.confident - rule.gap)
    chosen: Near | None = None  # the entry meaning is confident about
    if nearest and nearest[0].similarity >= rule.confident:
        rivals = [n for n in nearest[1:] if not related(nearest[0].entry, n.entry)]
        if nearest[0].similarity - (rivals[0].similarity if rivals else 0.0) >= rule.gap:
            chosen = nearest[0]
    if decision.outcome is Outcome.ANSWER and best is not None:
        if chosen and chosen.entry.id != best.entry.id and chosen.similarity - own >= rule.switch:
            return _answer(chosen)
        strange = (
            len(vectors) == 1
            and decision.unknown >= rule.strange
            and own < rule.remote
            and best.entry.kind == "answer"
            and WILDCARD not in best.phrasing  # a wildcard's slot is where unknown words belong
        )
        if strange:
            return Decision(Outcome.FALLBACK, decision.candidates, decision.unknown)
        if own >= rule.far or not index.has(best.entry.id):
            return decision
        return _answer(chosen) if chosen else Decision(Outcome.FALLBACK, decision.candidates)
    if chosen is None:
        return decision
    # The matcher found nothing it could answer. Meaning answers when very close or when the
    # words point the same way; otherwise it asks back: an odd question that shares a topic
    # with an entry sits close in meaning to it, yet is not that question.
    agreed = [c.entry.id for c in decision.candidates[: rule.agreement]]
    if (
        chosen.similarity >= rule.alone
        or chosen.entry.id in agreed
        or chosen.entry.kind == "smalltalk"
    ):
        return _answer(chosen)
    if chosen.similarity < rule.offer:
        return decision
    return Decision(
        Outcome.CLARIFY, (Candidate(chosen.entry, round(chosen.similarity, 4), chosen.phrasing),)
    )


def _tie_broken(
    decision: Decision, index: MeaningIndex, vectors: Vectors, rule: Rule
) -> Decision | None:
    """The words' close candidates told apart by meaning (see `Rule.tie`), or None."""
    best = decision.best
    if best is None or decision.outcome is Outcome.FALLBACK:
        return None
    # The whole message and its last sentence (vectors: the whole, then each sentence).
    ends = vectors[:1] if len(vectors) < 2 else vectors[[0, len(vectors) - 1]]
    if decision.outcome is Outcome.CLARIFY:
        pool = list(decision.candidates)
    else:
        pool = [
            c
            for c in decision.candidates[: rule.options]
            if c is best
            or (c.score >= best.score - rule.window and not related(best.entry, c.entry))
        ]
    if len(pool) < 2:
        return None
    close = {c.entry.id: index.similarity_to(c.entry.id, ends) for c in pool}
    ranked = sorted(pool, key=lambda c: -close[c.entry.id])
    picked = ranked[0]
    if decision.outcome is Outcome.CLARIFY:
        floor, lead, behind = rule.near, rule.tie, close[ranked[1].entry.id]
    else:
        floor, lead, behind = rule.confident, rule.rescue, close[best.entry.id]
    if (
        (picked is best and decision.outcome is Outcome.ANSWER)
        or picked.entry.kind == "smalltalk"
        or close[picked.entry.id] < floor
        or close[picked.entry.id] - behind < lead
    ):
        return None
    # Meaning's own first choice, for the whole message or else for its last sentence (whose
    # scan, at 10,000 entries a few ms, is needed only when the whole's choice is another).
    if not any(
        picked.entry.id in {n.entry.id for n in index.rank(row[None, :], 1)} for row in ends
    ):
        return None
    return Decision(Outcome.ANSWER, (picked, *(c for c in decision.candidates if c is not picked)))


def _answer(near: Near) -> Decision:
    return Decision(
        Outcome.ANSWER, (Candidate(near.entry, round(near.similarity, 4), near.phrasing),)
    )


def related(a: Entry, b: Entry) -> bool:
    """Whether either entry lists the other as related: follow-ups, not rivals."""
    return b.id in a.related or a.id in b.related
