"""Matching by meaning: the vector index against a plain loop, the rule that joins it to the
lexical matcher (on vectors made by hand, so each branch is pinned), and the shipped bot with
the real encoder on questions that share words, or no words, with an entry."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.adapters.embeddings import Embeddings
from bot.adapters.encoder import DIMENSIONS, Encoder, EncoderError, Vectors
from bot.config import Matching
from bot.core.classifier import EntryClassifier
from bot.core.engine import Engine
from bot.core.knowledge import Entry, KnowledgeBase, Language
from bot.core.library import Library
from bot.core.matcher import Candidate, Decision, Outcome
from bot.core.meaning import (
    LARGE,
    MeaningIndex,
    Readings,
    Rule,
    phrasing_text,
    second_opinion,
)
from bot.core.replies import Kind, UserState
from bot.core.requests import Message
from bot.core.safety import CrisisDetector, Meaning
from tests.conftest import CLINIC
from tests.core.handmade import entry as _entry
from tests.core.handmade import unit as _unit

# Three entries on three axes; "sessions" has two phrasings, one a little off its axis.
ENTRIES = [
    _entry("sessions", "how many sessions", "how long does it last"),
    _entry("anxiety", "can it help with anxiety"),
    _entry("cost", "how much does it cost"),
]
VECTORS = np.vstack([_unit(1), _unit(0.9, 0.1, 0.0, 0.3), _unit(0, 1), _unit(0, 0, 1)])
TEXTS = [t for e in ENTRIES for t in e.phrasings]


@pytest.fixture
def index() -> MeaningIndex:
    return MeaningIndex(ENTRIES, TEXTS, VECTORS)


def _decision(outcome: Outcome, *entries: tuple[str, float]) -> Decision:
    found = {e.id: e for e in ENTRIES}
    return Decision(outcome, tuple(Candidate(found[i], s, i) for i, s in entries))


def test_the_index_gives_each_entry_its_best_phrasing_as_a_loop_would(
    index: MeaningIndex,
) -> None:
    rng = np.random.default_rng(7)
    messages = rng.normal(size=(5, DIMENSIONS)).astype(np.float32)
    messages /= np.linalg.norm(messages, axis=1, keepdims=True)
    for message in messages:
        expected = {
            e.id: max(float(message @ VECTORS[i]) for i, t in enumerate(TEXTS) if t in e.phrasings)
            for e in ENTRIES
        }
        found = {n.entry.id: n.similarity for n in index.rank(message[None, :], 3)}
        assert found == pytest.approx(expected, abs=1e-6)
        assert list(found) == sorted(expected, key=lambda e: -expected[e])


def test_a_floor_finds_the_same_entries_as_scoring_every_phrasing() -> None:
    # 300 entries of 1 to 12 phrasings scattered around their own centres, as real ones are.
    rng = np.random.default_rng(11)
    entries, rows = [], []
    for number in range(300):
        centre = rng.normal(size=DIMENSIONS)
        count = int(rng.integers(1, 13))
        entries.append(_entry(f"e{number}", *(f"e{number} p{i}" for i in range(count))))
        rows += [centre + rng.normal(scale=0.6, size=DIMENSIONS) for _ in range(count)]
    vectors = np.asarray(rows, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = MeaningIndex(entries, [t for e in entries for t in e.phrasings], vectors)
    for number in range(20):
        message = vectors[number * 7] + rng.normal(scale=0.3, size=DIMENSIONS).astype(np.float32)
        message = (message / np.linalg.norm(message))[None, :]
        for floor in (0.2, 0.5, 0.8):
            every = [n for n in index.rank(message, 300) if n.similarity >= floor][:5]
            assert index.rank(message, 5, floor) == every


def test_a_large_index_reads_only_the_nearest_clusters_and_still_finds_the_entry() -> None:
    rng = np.random.default_rng(5)
    entries, rows = [], []
    for number in range(400):
        centre = rng.normal(size=DIMENSIONS)
        entries.append(_entry(f"e{number}", *(f"e{number} p{i}" for i in range(60))))
        rows += [centre + rng.normal(scale=0.5, size=DIMENSIONS) for _ in range(60)]
    vectors = np.asarray(rows, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert len(vectors) > LARGE
    index = MeaningIndex(entries, [t for e in entries for t in e.phrasings], vectors)
    for number in range(0, len(vectors), 1000):
        message = vectors[number] + rng.normal(scale=0.02, size=DIMENSIONS).astype(np.float32)
        message = (message / np.linalg.norm(message))[None, :]
        similarity = vectors @ message[0]
        best = int(np.argmax(similarity))
        nearest = index.rank(message, 1)[0]
        assert (nearest.entry.id, nearest.phrasing) == (
            f"e{best // 60}",
            f"e{best // 60} p{best % 60}",
        )
        assert nearest.similarity == pytest.approx(float(similarity[best]), abs=1e-5)


def test_rank_names_the_phrasing_that_came_closest(index: MeaningIndex) -> None:
    nearest = index.rank(_unit(0.9, 0.1, 0.0, 0.3), 1)
    assert (nearest[0].entry.id, nearest[0].phrasing) == ("sessions", "how long does it last")


def test_a_wildcard_phrasing_is_read_without_its_star() -> None:
    assert phrasing_text("can dit help with *") == "can dit help with"
    assert phrasing_text("my * could dit help") == "my could dit help"


def test_an_index_needs_one_vector_per_phrasing() -> None:
    with pytest.raises(ValueError, match="one vector per reading of a phrasing"):
        MeaningIndex(ENTRIES, TEXTS, VECTORS[:2])


NAMED = Language(names=("dit", "dynamic interpersonal therapy"), plain_name="this therapy")


def test_a_phrasing_that_names_the_therapy_is_also_read_in_plain_words() -> None:
    entry = _entry(
        "what", "What is Dynamic Interpersonal Therapy?", "is dit for me", "who is it for"
    )
    assert Readings(NAMED).of(entry) == [
        ("What is Dynamic Interpersonal Therapy?", "What is Dynamic Interpersonal Therapy?"),
        ("What is Dynamic Interpersonal Therapy?", "What is this therapy?"),
        ("is dit for me", "is dit for me"),
        ("is dit for me", "is this therapy for me"),
        ("who is it for", "who is it for"),
    ]


def test_names_inside_other_words_small_talk_and_no_plain_name_read_once() -> None:
    assert len(Readings(NAMED).of(_entry("e", "is it a bit like meditation"))) == 1
    chat = Entry(id="hi", kind="smalltalk", topic="chat", question="hi dit bot", answer="hi")
    assert len(Readings(NAMED).of(chat)) == 1
    unnamed = Language(names=("dit",))
    assert len(Readings(unnamed).of(_entry("e", "what is dit"))) == 1


def test_a_fallback_becomes_the_answer_meaning_is_confident_about(index: MeaningIndex) -> None:
    decided = second_opinion(_decision(Outcome.FALLBACK), index, _unit(0.2, 1))
    assert decided.outcome is Outcome.ANSWER
    assert decided.best is not None and decided.best.entry.id == "anxiety"


def test_a_fallback_only_fairly_close_in_meaning_asks_back_unless_the_words_agree(
    index: MeaningIndex,
) -> None:
    fairly_close = _unit(0, 1, 0, 0, 1)  # 0.71 from "anxiety", far from the rest
    words_elsewhere = second_opinion(
        _decision(Outcome.FALLBACK, ("cost", 0.3)), index, fairly_close
    )
    assert words_elsewhere.outcome is Outcome.CLARIFY
    assert [c.entry.id for c in words_elsewhere.candidates] == ["anxiety"]
    words_agree = second_opinion(_decision(Outcome.FALLBACK, ("anxiety", 0.3)), index, fairly_close)
    assert words_agree.outcome is Outcome.ANSWER
    assert words_agree.best is not None and words_agree.best.entry.id == "anxiety"


def test_a_fallback_stays_when_meaning_is_not_confident_either(index: MeaningIndex) -> None:
    # Close to "anxiety" (0.6) but hardly ahead of "cost" (0.6): no lead, no answer.
    decided = second_opinion(_decision(Outcome.FALLBACK), index, _unit(0, 1, 1))
    assert decided.outcome is Outcome.FALLBACK


def test_a_clarify_is_settled_by_a_confident_meaning(index: MeaningIndex) -> None:
    asked = _decision(Outcome.CLARIFY, ("sessions", 0.5), ("cost", 0.48))
    decided = second_opinion(asked, index, _unit(0.1, 0, 1))
    assert decided.outcome is Outcome.ANSWER
    assert decided.best is not None and decided.best.entry.id == "cost"


def test_an_answer_close_in_meaning_is_kept(index: MeaningIndex) -> None:
    answered = _decision(Outcome.ANSWER, ("sessions", 0.7))
    assert second_opinion(answered, index, _unit(1, 0.3)) is answered


def test_an_answer_very_close_in_meaning_is_kept_without_reading_the_whole_index(
    index: MeaningIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unread(*_: object, **__: object) -> list[object]:
        raise AssertionError("no other entry can be `switch` closer: the index is not read")

    monkeypatch.setattr(index, "rank", unread)
    answered = _decision(Outcome.ANSWER, ("sessions", 0.7))
    assert second_opinion(answered, index, _unit(1, 0.01)) is answered


def test_an_answer_far_in_meaning_from_its_entry_is_withdrawn(index: MeaningIndex) -> None:
    # Shares a word with "anxiety" but means something else, close to no entry.
    message = _unit(0, 0.1, 0, 0, 1)
    decided = second_opinion(_decision(Outcome.ANSWER, ("anxiety", 0.6)), index, message)
    assert decided.outcome is Outcome.FALLBACK


def test_a_withdrawn_answer_goes_to_the_entry_meaning_is_confident_about(
    index: MeaningIndex,
) -> None:
    decided = second_opinion(_decision(Outcome.ANSWER, ("anxiety", 0.6)), index, _unit(0, 0.1, 1))
    assert decided.best is not None and decided.best.entry.id == "cost"


def test_an_answer_moves_only_to_an_entry_much_closer_in_meaning(index: MeaningIndex) -> None:
    # Confident about "cost" (0.89) and "anxiety" is still 0.45 away: within `switch` it stays.
    answered = _decision(Outcome.ANSWER, ("anxiety", 0.6))
    message = _unit(0, 1, 2)
    assert second_opinion(answered, index, message, Rule(switch=0.5)) is answered
    moved = second_opinion(answered, index, message, Rule(switch=0.4))
    assert moved.best is not None and moved.best.entry.id == "cost"


def test_related_entries_are_not_rivals_for_the_lead() -> None:
    entries = [
        _entry("sessions", "how many sessions", related=("length",)),
        _entry("length", "how long is a session"),
        _entry("cost", "how much does it cost"),
    ]
    index = MeaningIndex(
        entries, [e.question for e in entries], np.vstack([_unit(1), _unit(1, 0.05), _unit(0, 1)])
    )
    decided = second_opinion(Decision(Outcome.FALLBACK, ()), index, _unit(1, 0.02))
    assert decided.outcome is Outcome.ANSWER


def test_a_clarify_between_the_words_candidates_goes_to_the_one_the_last_sentence_means(
    index: MeaningIndex,
) -> None:
    # A story ends in its question: the whole is as close to "sessions" as to "cost" (0.71
    # each, so meaning alone is not confident), its last sentence is about the cost.
    asked = _decision(Outcome.CLARIFY, ("sessions", 0.5), ("cost", 0.49))
    message = np.vstack([_unit(1, 0, 1), _unit(1, 0, 0.2), _unit(0.1, 0, 1)])
    decided = second_opinion(asked, index, message)
    assert decided.outcome is Outcome.ANSWER
    assert decided.best is not None and decided.best.entry.id == "cost"
    assert second_opinion(asked, index, message, Rule(tie=2.0)).outcome is Outcome.CLARIFY


def test_a_clarify_is_not_settled_for_a_candidate_meaning_does_not_put_first(
    index: MeaningIndex,
) -> None:
    # Nearer "sessions" than "cost", but nearest of all "anxiety", which the words did not
    # offer: meaning's rule for its own entry decides, not the tie between the two.
    asked = _decision(Outcome.CLARIFY, ("sessions", 0.5), ("cost", 0.49))
    decided = second_opinion(asked, index, _unit(0.5, 1, 0.1), Rule(alone=0.95))
    assert decided.best is not None and decided.best.entry.id == "anxiety"


def test_a_clarify_never_answers_small_talk_on_a_tie() -> None:
    entries = [
        _entry("language", "can i have it in another language"),
        Entry(id="greeting", kind="smalltalk", topic="chat", question="good morning", answer="hi"),
    ]
    index = MeaningIndex(entries, ["a", "b"], np.vstack([_unit(1), _unit(0, 1)]))
    asked = Decision(
        Outcome.CLARIFY, (Candidate(entries[0], 0.6, "a"), Candidate(entries[1], 0.6, "b"))
    )
    decided = second_opinion(asked, index, _unit(0.3, 1), Rule(confident=0.99))
    assert decided.outcome is Outcome.CLARIFY


def test_an_answer_goes_to_a_close_runner_up_of_the_words_that_meaning_puts_first(
    index: MeaningIndex,
) -> None:
    # The words barely prefer "anxiety"; meaning puts "cost" first, 0.16 closer: not the
    # `switch` (0.2) that moves an answer to any entry, but enough among the words' own.
    message = _unit(0, 0.8, 1)
    answered = _decision(Outcome.ANSWER, ("anxiety", 0.6), ("cost", 0.55))
    moved = second_opinion(answered, index, message)
    assert moved.outcome is Outcome.ANSWER
    assert moved.best is not None and moved.best.entry.id == "cost"
    # A clear answer in words (the runner-up outside `window`) stands.
    clear = _decision(Outcome.ANSWER, ("anxiety", 0.8), ("cost", 0.5))
    assert second_opinion(clear, index, message) is clear


# The shipped bot, with the real encoder.


@pytest.mark.parametrize(
    ("question", "entries"),
    [
        ("what are the advantages of doing DIT", {"benefits"}),
        ("whats the duration of DIT", {"sessions-count"}),
        # Formal words for a fixed number of sessions, and for the kind of therapy. Both
        # answers say it: a fixed number of sessions, and a set of 16.
        ("is DIT offered as a set number of meetings", {"time-limited", "sessions-count"}),
        # Both answers say that DIT is a psychodynamic therapy, which is what was asked;
        # "what sort of therapy is dynamic interpersonal therapy" is as close a reading.
        (
            "which school of thought is dynamic interpersonal therapy part of",
            {"psychodynamic", "what-is-dit"},
        ),
        # Not naming DIT: found through the phrasings read with "this therapy" for "dit".
        ("does this therapy just go on and on for years", {"time-limited"}),
    ],
)
async def test_a_question_in_other_words_finds_its_entry(
    shipped_engine: Engine, question: str, entries: set[str]
) -> None:
    reply = (shipped_engine.respond(Message(question), UserState())).replies[0]
    assert reply.kind is Kind.ANSWER
    assert reply.entry_id in entries


@pytest.mark.parametrize("question", ["what time is it", "how do I fix a flat tyre"])
async def test_a_question_far_from_every_entry_is_not_answered(
    shipped_engine: Engine, question: str
) -> None:
    reply = (shipped_engine.respond(Message(question), UserState())).replies[0]
    assert reply.kind is Kind.FALLBACK


def test_the_index_holds_every_phrasing_of_the_shipped_knowledge(
    shipped_engine: Engine, shipped_knowledge: KnowledgeBase
) -> None:
    index = shipped_engine.library.meaning
    assert index is not None
    readings = Readings(shipped_knowledge.language)
    entries = shipped_knowledge.entries.values()
    assert len(index.matrix) == sum(len(readings.of(e)) for e in entries)
    assert len(index.matrix) > sum(len(e.phrasings) for e in entries)


def test_the_shipped_index_has_a_classifier_that_knows_every_entry_it_holds(
    shipped_engine: Engine,
) -> None:
    index = shipped_engine.library.meaning
    assert index is not None and index.classifier is not None
    assert set(index.classifier.ids) == {e.id for e in index.entries if index.has(e.id)}
    # Each entry's own question is, to the classifier, most likely that entry.
    for entry in index.entries:
        row = index.texts.index(entry.question)
        likely = index.likelihoods(index.matrix[row : row + 1])
        assert max(likely, key=likely.__getitem__) == entry.id, entry.id


def test_an_index_refuses_a_classifier_trained_on_other_entries() -> None:
    weights = np.zeros((DIMENSIONS, 2), dtype=np.float32)
    other = EntryClassifier(["a", "elsewhere"], weights, np.zeros(2, dtype=np.float32), 1.0)
    with pytest.raises(ValueError, match="other entries"):
        MeaningIndex([_entry("a", "a")], ["a"], _unit(1), classifier=other)


def test_an_index_without_a_classifier_has_no_likelihoods() -> None:
    index = MeaningIndex([_entry("a", "a")], ["a"], _unit(1))
    assert index.classifier is None and index.likelihoods(_unit(1)) == {}


class _CountingEncoder:
    """The real encoder, noting every text it is asked to encode."""

    def __init__(self, real: Encoder) -> None:
        self.real = real
        self.model_id = real.model_id
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.seen += texts
        return self.real.encode(texts)


def test_a_reload_encodes_only_the_phrasings_that_changed(
    small_knowledge: KnowledgeBase, embeddings: Embeddings, tmp_path: Path
) -> None:
    counting = _CountingEncoder(embeddings.encoder)
    MeaningIndex.build(small_knowledge, Embeddings(counting, tmp_path))  # type: ignore[arg-type]
    assert len(counting.seen) == len(set(_texts_of(small_knowledge)))
    entry = small_knowledge.entries["sessions-count"]
    edited = entry.model_copy(update={"alternates": (*entry.alternates, "how many will i get")})
    changed = replace(small_knowledge, entries={**small_knowledge.entries, entry.id: edited})
    counting.seen.clear()
    restarted = Embeddings(counting, tmp_path)  # type: ignore[arg-type]
    MeaningIndex.build(changed, restarted)
    assert counting.seen == ["how many will i get"]


def test_a_restart_reads_the_trained_classifier_and_a_changed_phrasing_trains_it_again(
    shipped_knowledge: KnowledgeBase,
    embeddings: Embeddings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trained: list[int] = []
    train = EntryClassifier.train

    def counted(*args: object, **kwargs: object) -> EntryClassifier | None:
        trained.append(1)
        return train(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(EntryClassifier, "train", counted)
    first = MeaningIndex.build(shipped_knowledge, Embeddings(embeddings.encoder, tmp_path))
    again = MeaningIndex.build(shipped_knowledge, Embeddings(embeddings.encoder, tmp_path))
    assert len(trained) == 1
    message = first.matrix[:1]
    assert again.likelihoods(message) == first.likelihoods(message) != {}
    entry = shipped_knowledge.entries["sessions-count"]
    edited = entry.model_copy(update={"alternates": (*entry.alternates, "how many will i get")})
    changed = replace(shipped_knowledge, entries={**shipped_knowledge.entries, entry.id: edited})
    MeaningIndex.build(changed, Embeddings(embeddings.encoder, tmp_path))
    assert len(trained) == 2


def test_cached_weights_that_do_not_fit_are_trained_again_and_logged(
    shipped_knowledge: KnowledgeBase,
    embeddings: Embeddings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    MeaningIndex.build(shipped_knowledge, Embeddings(embeddings.encoder, tmp_path))
    monkeypatch.setattr(EntryClassifier, "from_arrays", lambda *_: None)
    index = MeaningIndex.build(shipped_knowledge, Embeddings(embeddings.encoder, tmp_path))
    assert index.classifier is not None
    assert "does not fit its phrasings; trained again" in caplog.text


def _texts_of(knowledge: KnowledgeBase) -> list[str]:
    return [phrasing_text(p) for e in knowledge.entries.values() for p in e.phrasings]


def test_without_the_encoder_matching_is_by_words_and_the_log_says_so(
    small_knowledge: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        library = Library.build(small_knowledge, Matching())
    assert library.meaning is None
    assert "matching by words alone" in caplog.text
    engine = Engine(library, CLINIC)
    assert engine.library.matcher.decide("how many sessions are there").outcome is Outcome.ANSWER


class _BrokenEncoder:
    def __call__(self, texts: Sequence[str]) -> Vectors:
        raise EncoderError("the model file is gone")


async def test_when_the_encoder_fails_on_a_message_the_words_alone_decide(
    shipped_engine: Engine, shipped_knowledge: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    library = shipped_engine.library
    assert library.detector.meaning is not None
    broken = CrisisDetector(
        shipped_knowledge.crisis, Meaning(library.detector.meaning.classifier, _BrokenEncoder())
    )
    engine = Engine(replace(library, detector=broken), CLINIC)
    text = "what time is it"
    with caplog.at_level(logging.ERROR):
        reply = (engine.respond(Message(text), UserState())).replies[0]
    # The words' own answer, shared word and all, which meaning would have withdrawn (whichever
    # entry the shipped words give it to); the failure is in the log.
    words_alone = library.matcher.decide(text)
    assert words_alone.outcome is Outcome.ANSWER and words_alone.best is not None
    assert reply.entry_id == words_alone.best.entry.id
    assert "the learned crisis check failed" in caplog.text


def test_small_talk_meaning_is_confident_about_is_answered_not_asked_back() -> None:
    # "goodnight" has no word of the small talk's, but sits close to it in meaning: asking
    # "did you mean: goodbye?" would be no way to answer it, and a greeting states no fact.
    entries = [
        _entry("sessions", "how many sessions"),
        Entry(id="goodbye", kind="smalltalk", topic="chat", question="bye", answer="bye"),
    ]
    index = MeaningIndex(entries, ["a", "b"], np.vstack([_unit(1), _unit(0, 1)]))
    decided = second_opinion(Decision(Outcome.FALLBACK, ()), index, _unit(0.1, 1, 0.8))
    assert decided.outcome is Outcome.ANSWER
    assert decided.best is not None and decided.best.entry.id == "goodbye"


def test_meaning_answers_an_entry_the_words_list_among_their_candidates(
    index: MeaningIndex,
) -> None:
    # Meaning is confident about "cost" (0.71, under `alone`); the words fell back with "cost"
    # third of their candidates: the two opinions agree.
    fell_back = _decision(Outcome.FALLBACK, ("sessions", 0.3), ("anxiety", 0.2), ("cost", 0.1))
    message = _unit(0, 0.3, 1, 1)
    decided = second_opinion(fell_back, index, message)
    assert decided.outcome is Outcome.ANSWER
    assert decided.best is not None and decided.best.entry.id == "cost"
    asked = second_opinion(fell_back, index, message, Rule(agreement=2))
    assert asked.outcome is Outcome.CLARIFY


def test_meaning_offers_its_entry_back_only_when_it_is_near_enough(index: MeaningIndex) -> None:
    # Confident about "cost" at 0.71 (under `alone`), the words having no candidate: asked back
    # with "cost" as the option, unless an offer needs more than that.
    message = _unit(0, 0.3, 1, 1)
    asked = second_opinion(Decision(Outcome.FALLBACK, ()), index, message)
    assert asked.outcome is Outcome.CLARIFY
    assert [c.entry.id for c in asked.candidates] == ["cost"]
    kept = second_opinion(Decision(Outcome.FALLBACK, ()), index, message, Rule(offer=0.75))
    assert kept.outcome is Outcome.FALLBACK


def test_an_answer_on_a_shared_word_in_a_mostly_unknown_message_is_withdrawn(
    index: MeaningIndex,
) -> None:
    # "jam sessions for musicians": half the words are in no phrasing and the message is only
    # 0.37 close to "sessions" (between `far` and `remote`).
    message = _unit(1, 0, 0, 0, 2.5)
    odd = replace(_decision(Outcome.ANSWER, ("sessions", 0.6)), unknown=0.5)
    assert second_opinion(odd, index, message).outcome is Outcome.FALLBACK
    familiar = replace(odd, unknown=0.2)
    assert second_opinion(familiar, index, message) is familiar
    # A story is mostly words no phrasing uses; its last sentence is read too.
    story = np.vstack([message, _unit(1, 0, 0, 0, 2.5)])
    assert second_opinion(odd, index, story) is odd
    closer = second_opinion(odd, index, message, Rule(remote=0.3))
    assert closer is odd
    # Unknown words in a wildcard's slot are what it is for ("can dit help with gambling").
    wildcard = Decision(Outcome.ANSWER, (Candidate(ENTRIES[0], 0.6, "sessions of *"),), 0.5)
    assert second_opinion(wildcard, index, message) is wildcard
