"""The embedding cache: each text encoded once per model, kept on disk, rebuilt when damaged."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from bot.adapters.embeddings import Embeddings
from bot.adapters.encoder import DIMENSIONS, Encoder, Vectors

TEXTS = ["how many sessions are there", "can DIT help with grief?", "what is DIT"]


class CountingEncoder:
    """The real encoder, with a record of every text it was asked to encode."""

    def __init__(self, encoder: Encoder) -> None:
        self.inner = encoder
        self.model_id = encoder.model_id
        self.seen: list[str] = []

    def encode(self, texts: Iterable[str]) -> Vectors:
        texts = list(texts)
        self.seen.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture
def counting(embeddings: Embeddings) -> CountingEncoder:
    return CountingEncoder(embeddings.encoder)


def _over(encoder: CountingEncoder, cache_dir: Path | None) -> Embeddings:
    return Embeddings(cast(Encoder, encoder), cache_dir)


def _cache_file(cache_dir: Path, encoder: CountingEncoder) -> Path:
    return cache_dir / f"{encoder.model_id}.npz"


def test_saved_vectors_are_read_back_without_encoding_again(
    tmp_path: Path, counting: CountingEncoder
) -> None:
    first = _over(counting, tmp_path)
    vectors = first.embed(TEXTS)
    first.save()
    assert _cache_file(tmp_path, counting).is_file()
    assert sorted(counting.seen) == sorted(TEXTS)

    later = CountingEncoder(counting.inner)
    again = _over(later, tmp_path).embed(TEXTS)
    assert later.seen == []
    assert np.array_equal(again, vectors)


def test_embedded_vectors_are_the_encoders_own_in_order(
    tmp_path: Path, counting: CountingEncoder
) -> None:
    # Ten texts take the two-worker path; the rows must still follow the texts.
    texts = [f"question number {n} about therapy" for n in range(10)]
    vectors = _over(counting, tmp_path).embed(texts)
    assert vectors.shape == (10, DIMENSIONS)
    for text, row in zip(texts, vectors, strict=True):
        assert np.array_equal(row, counting.inner.encode([text])[0])


def test_a_text_repeated_in_one_call_is_encoded_once(counting: CountingEncoder) -> None:
    vectors = _over(counting, None).embed(["hello", "hello", "bye"])
    assert sorted(counting.seen) == ["bye", "hello"]
    assert np.array_equal(vectors[0], vectors[1])


def test_only_new_texts_are_encoded_after_a_restart(
    tmp_path: Path, counting: CountingEncoder
) -> None:
    first = _over(counting, tmp_path)
    first.embed(TEXTS)
    first.save()
    later = CountingEncoder(counting.inner)
    _over(later, tmp_path).embed([*TEXTS, "a brand new phrasing"])
    assert later.seen == ["a brand new phrasing"]


def test_no_texts_give_an_empty_matrix(counting: CountingEncoder) -> None:
    assert _over(counting, None).embed([]).shape == (0, DIMENSIONS)
    assert counting.seen == []


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(b"\x00not a numpy file at all" * 50, id="garbage"),
        pytest.param(None, id="truncated"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_damaged_cache_file_is_rebuilt_not_raised(
    tmp_path: Path,
    counting: CountingEncoder,
    caplog: pytest.LogCaptureFixture,
    damage: bytes | None,
) -> None:
    good = _over(counting, tmp_path)
    expected = good.embed(TEXTS)
    good.save()
    path = _cache_file(tmp_path, counting)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2] if damage is None else damage)

    later = CountingEncoder(counting.inner)
    with caplog.at_level(logging.WARNING, logger="bot.adapters.embeddings"):
        rebuilt = _over(later, tmp_path)
    assert any("damaged embedding cache" in r.getMessage() for r in caplog.records)
    assert np.array_equal(rebuilt.embed(TEXTS), expected)
    assert sorted(later.seen) == sorted(TEXTS)

    rebuilt.save()
    last = CountingEncoder(counting.inner)
    assert np.array_equal(_over(last, tmp_path).embed(TEXTS), expected)
    assert last.seen == []


def test_a_cache_file_of_the_wrong_shape_is_rebuilt(
    tmp_path: Path, counting: CountingEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    np.savez(
        _cache_file(tmp_path, counting),
        keys=np.asarray(["a", "b"]),
        vectors=np.zeros((2, 7), dtype=np.float32),
    )
    with caplog.at_level(logging.WARNING, logger="bot.adapters.embeddings"):
        cache = _over(counting, tmp_path)
    assert any("damaged embedding cache" in r.getMessage() for r in caplog.records)
    cache.embed(["hello"])
    assert counting.seen == ["hello"]


def test_passing_messages_are_never_kept_in_the_cache(
    tmp_path: Path, counting: CountingEncoder
) -> None:
    cache = _over(counting, tmp_path)
    cache.embed(TEXTS)
    message = "a private message from a user"
    vector = cache.encode([message])
    assert vector.shape == (1, DIMENSIONS)
    cache.save()

    later = CountingEncoder(counting.inner)
    _over(later, tmp_path).embed([message])
    assert later.seen == [message]


def test_encoding_only_messages_writes_no_cache_file(
    tmp_path: Path, counting: CountingEncoder
) -> None:
    cache = _over(counting, tmp_path)
    cache.encode(["a private message"])
    cache.save()
    assert not _cache_file(tmp_path, counting).exists()


def test_saving_with_nothing_new_leaves_the_file_alone(
    tmp_path: Path, counting: CountingEncoder
) -> None:
    first = _over(counting, tmp_path)
    first.embed(TEXTS)
    first.save()
    path = _cache_file(tmp_path, counting)
    before = path.stat()

    first.save()
    later = _over(CountingEncoder(counting.inner), tmp_path)
    later.embed(TEXTS)
    later.save()

    after = path.stat()
    # The file is replaced (a new inode) whenever it is written.
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_a_cache_that_cannot_be_written_is_logged_not_raised(
    tmp_path: Path, counting: CountingEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("in the way")
    cache = _over(counting, blocked)
    vectors = cache.embed(TEXTS)
    with caplog.at_level(logging.WARNING, logger="bot.adapters.embeddings"):
        cache.save()
    assert any("could not save" in r.getMessage() for r in caplog.records)
    assert np.array_equal(cache.embed(TEXTS), vectors)


def test_without_a_cache_folder_nothing_is_written(
    tmp_path: Path, counting: CountingEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cache = _over(counting, None)
    cache.embed(TEXTS)
    cache.save()
    assert list(tmp_path.iterdir()) == []


def test_a_derived_figure_is_computed_once_per_key_and_kept_beside_the_cache(
    embeddings: Embeddings, tmp_path: Path
) -> None:
    calls: list[str] = []

    def compute() -> float:
        calls.append("x")
        return 0.625

    first = Embeddings(embeddings.encoder, tmp_path)
    assert first.figure("threshold-a", compute) == 0.625
    again = Embeddings(embeddings.encoder, tmp_path)
    assert again.figure("threshold-a", compute) == 0.625
    assert calls == ["x"]
    assert again.figure("threshold-b", compute) == 0.625  # another bank: computed afresh
    assert calls == ["x", "x"]


def test_a_damaged_figures_file_is_recomputed_not_raised(
    embeddings: Embeddings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = Embeddings(embeddings.encoder, tmp_path)
    cache.figure("k", lambda: 0.5)
    (figures,) = tmp_path.glob("*.figures.json")
    figures.write_text("[not json", encoding="utf-8")
    assert Embeddings(embeddings.encoder, tmp_path).figure("k", lambda: 0.75) == 0.75
    assert "damaged figures file" in caplog.text


def test_derived_arrays_are_computed_once_per_key_and_kept_beside_the_cache(
    embeddings: Embeddings, tmp_path: Path
) -> None:
    calls: list[str] = []
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)

    def compute() -> dict[str, Vectors]:
        calls.append("x")
        return {"weights": weights}

    first = Embeddings(embeddings.encoder, tmp_path)
    assert np.array_equal(first.derived("classifier", "key-a", compute)["weights"], weights)
    again = Embeddings(embeddings.encoder, tmp_path)
    read = again.derived("classifier", "key-a", compute)
    assert calls == ["x"]
    assert set(read) == {"weights"}
    assert np.array_equal(read["weights"], weights)
    again.derived("classifier", "key-b", compute)  # other phrasings: computed afresh
    assert calls == ["x", "x"]


def test_nothing_derived_is_kept_as_nothing(embeddings: Embeddings, tmp_path: Path) -> None:
    calls: list[str] = []

    def compute() -> dict[str, Vectors]:
        calls.append("x")
        return {}

    Embeddings(embeddings.encoder, tmp_path).derived("classifier", "k", compute)
    assert Embeddings(embeddings.encoder, tmp_path).derived("classifier", "k", compute) == {}
    assert calls == ["x"]


def test_a_damaged_derived_file_is_recomputed_not_raised(
    embeddings: Embeddings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = Embeddings(embeddings.encoder, tmp_path)
    cache.derived("classifier", "k", lambda: {"bias": np.zeros(2, dtype=np.float32)})
    (derived,) = tmp_path.glob("*.classifier.npz")
    derived.write_bytes(b"not an npz file")
    ones = np.ones(2, dtype=np.float32)
    found = Embeddings(embeddings.encoder, tmp_path).derived("classifier", "k", lambda: {"b": ones})
    assert np.array_equal(found["b"], ones)
    assert "damaged file" in caplog.text


def test_derived_arrays_without_a_cache_folder_are_computed_each_time(
    embeddings: Embeddings, tmp_path: Path
) -> None:
    calls: list[str] = []

    def compute() -> dict[str, Vectors]:
        calls.append("x")
        return {}

    cache = Embeddings(embeddings.encoder, None)
    cache.derived("classifier", "k", compute)
    cache.derived("classifier", "k", compute)
    assert calls == ["x", "x"]
