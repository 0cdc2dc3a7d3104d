"""The entry classifier on vectors made by hand: what it learns from phrasings, and when it
declines to learn at all."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bot.core.classifier import TRAINING, EntryClassifier, fingerprint
from tests.core.handmade import unit

# Two entries with six phrasings each: "sessions" along axis 0, "anxiety" along axis 1, each
# phrasing with a different amount of axis 2 (how a question is put, shared by both).
OWNERS = ["sessions"] * 6 + ["anxiety"] * 6
ROWS = np.vstack(
    [unit(1, 0, w) for w in (0, 0.2, 0.4, 0.6, 0.8, 1)]
    + [unit(0, 1, w) for w in (0, 0.2, 0.4, 0.6, 0.8, 1)]
)


# Two entries are too few for the shipped settings (`fewest`): these tests lift that.
PAIR = replace(TRAINING, fewest=2)


def _trained() -> EntryClassifier:
    found = EntryClassifier.train(OWNERS, ROWS, PAIR)
    assert found is not None
    return found


def test_the_entry_a_message_resembles_is_the_most_likely() -> None:
    classifier = _trained()
    leaning = classifier.probabilities(unit(0.4, 1, 0.9))
    assert max(leaning, key=leaning.__getitem__) == "anxiety"
    assert max(classifier.probabilities(unit(1, 0.4)).items(), key=lambda p: p[1])[0] == (
        "sessions"
    )


def test_what_is_shared_by_every_entry_does_not_decide() -> None:
    # Axis 2 is in both entries' phrasings alike: a message made mostly of it, with a little
    # of sessions' axis, still leans to sessions.
    probabilities = _trained().probabilities(unit(0.3, 0, 1))
    assert probabilities["sessions"] > probabilities["anxiety"]


def test_probabilities_cover_every_entry_and_add_up_to_one() -> None:
    probabilities = _trained().probabilities(unit(1, 1))
    assert set(probabilities) == {"sessions", "anxiety"}
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_training_is_deterministic() -> None:
    first, second = _trained(), _trained()
    message = unit(0.7, 1, 0.3)
    assert first.probabilities(message) == second.probabilities(message)


def test_only_the_first_row_is_read_and_no_row_reads_as_nothing() -> None:
    classifier = _trained()
    assert classifier.probabilities(np.vstack([unit(1), unit(0, 1)])) == (
        classifier.probabilities(unit(1))
    )
    assert classifier.probabilities(ROWS[:0]) == {}


def test_nothing_is_trained_for_fewer_entries_than_the_fewest() -> None:
    assert EntryClassifier.train(OWNERS, ROWS) is None  # 2 of the shipped 20
    assert EntryClassifier.train(["sessions"] * 6, ROWS[:6], replace(PAIR, fewest=1)) is None
    assert EntryClassifier.train(OWNERS, ROWS, replace(PAIR, fewest=3)) is None


def test_a_message_far_along_the_learned_directions_still_gets_probabilities() -> None:
    # Logits of hundreds would overflow exp without the shift by the largest.
    probabilities = _trained().probabilities(unit(1, 0) * 1000)
    assert all(np.isfinite(p) for p in probabilities.values())
    assert probabilities["sessions"] == pytest.approx(1.0)


def test_the_bias_learns_which_entry_has_more_phrasings() -> None:
    # Three more sessions phrasings along axis 3 only: a message with nothing of either
    # entry's own axis leans to the entry with more phrasings.
    owners = OWNERS + ["sessions"] * 3
    rows = np.vstack([ROWS, unit(0, 0, 0, 1), unit(0, 0, 0, 1), unit(0, 0, 0, 1)])
    classifier = EntryClassifier.train(owners, rows, PAIR)
    assert classifier is not None
    probabilities = classifier.probabilities(unit(0, 0, 0, 0, 1))
    assert probabilities["sessions"] > probabilities["anxiety"]


def test_nothing_is_trained_from_too_few_phrasings_per_entry() -> None:
    few = ["sessions", "sessions", "anxiety", "anxiety"]
    assert EntryClassifier.train(few, np.vstack([ROWS[:2], ROWS[6:8]]), PAIR) is None
    assert EntryClassifier.train(few, np.vstack([ROWS[:2], ROWS[6:8]]), replace(PAIR, least=2))


def test_nothing_is_trained_above_the_budget() -> None:
    over = replace(PAIR, budget=len(OWNERS) * 2 - 1)
    assert EntryClassifier.train(OWNERS, ROWS, over) is None
    assert EntryClassifier.train(OWNERS, ROWS, replace(over, budget=len(OWNERS) * 2))


def test_owners_and_rows_must_agree() -> None:
    with pytest.raises(ValueError, match="one owner per row"):
        EntryClassifier.train(OWNERS + ["anxiety"], ROWS)


def test_a_classifier_made_again_from_its_arrays_gives_the_same_probabilities() -> None:
    classifier = _trained()
    again = EntryClassifier.from_arrays(OWNERS, classifier.arrays(), PAIR)
    assert again is not None
    message = unit(0.3, 1, 0.5)
    assert again.probabilities(message) == classifier.probabilities(message)


def test_arrays_that_do_not_fit_the_entries_make_no_classifier() -> None:
    arrays = _trained().arrays()
    assert EntryClassifier.from_arrays([*OWNERS, "third"], arrays, PAIR) is None
    assert EntryClassifier.from_arrays(OWNERS, {"weights": arrays["weights"]}, PAIR) is None
    assert EntryClassifier.from_arrays(OWNERS, {}, PAIR) is None


def test_the_fingerprint_names_phrasings_owners_model_and_settings() -> None:
    texts = [f"phrasing {i}" for i in range(len(OWNERS))]
    base = fingerprint(OWNERS, texts, "model")
    assert fingerprint(OWNERS, texts, "model") == base
    assert fingerprint(OWNERS, [*texts[:-1], "changed"], "model") != base
    assert fingerprint(list(reversed(OWNERS)), texts, "model") != base
    assert fingerprint(OWNERS, texts, "other model") != base
    assert fingerprint(OWNERS, texts, "model", PAIR) != base


def test_arrays_that_are_not_finite_numbers_make_no_classifier() -> None:
    arrays = _trained().arrays()
    broken = {**arrays, "bias": np.full_like(arrays["bias"], np.nan)}
    assert EntryClassifier.from_arrays(OWNERS, broken, PAIR) is None
    text = {**arrays, "bias": np.array(["a", "b"])}
    assert EntryClassifier.from_arrays(OWNERS, text, PAIR) is None  # type: ignore[arg-type]


def test_training_gives_the_probabilities_it_gave_when_its_weights_were_first_cached() -> None:
    # Cached weights are keyed by TRAINING_METHOD, not by the code: if training changes and
    # these move, raise TRAINING_METHOD so that no start reads weights trained the old way.
    found = _trained().probabilities(unit(0.95, 1, 0.2))
    assert found["anxiety"] == pytest.approx(0.758354, abs=1e-5)
