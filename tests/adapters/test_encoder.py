"""The shipped sentence encoder: faithful to the official model, stable, and verified on load."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.adapters.encoder import DIMENSIONS, MODEL_DIR, Encoder, EncoderError

OFFICIAL_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_shipped_model_is_close_to_the_official_fp32_vectors(encoder: Encoder) -> None:
    reference = json.loads((MODEL_DIR / "reference_vectors.json").read_text())
    sentences = reference["sentences"]
    expected = np.asarray(reference["vectors"], dtype=np.float64)
    assert len(sentences) == len(expected) > 0
    found = encoder.encode(sentences).astype(np.float64)
    cosines = (found * expected).sum(axis=1) / (
        np.linalg.norm(found, axis=1) * np.linalg.norm(expected, axis=1)
    )
    for sentence, cosine in zip(sentences, cosines, strict=True):
        assert cosine >= 0.97, f"{sentence!r}: cosine {cosine:.4f} with the fp32 model"


def test_vectors_are_unit_length_and_384_dimensional(encoder: Encoder) -> None:
    vectors = encoder.encode(["what is DIT?", "", "😢 feeling rubbish today"])
    assert vectors.shape == (3, DIMENSIONS) == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_no_texts_give_an_empty_matrix_of_the_right_width(encoder: Encoder) -> None:
    assert encoder.encode([]).shape == (0, DIMENSIONS)


def test_a_text_gets_the_same_vector_whatever_is_encoded_beside_it(encoder: Encoder) -> None:
    alone = encoder.encode(["a"])[0]
    with_one = encoder.encode(["a", "b"])[0]
    with_many = encoder.encode(["b", "a much longer sentence about therapy sessions", "a"])[2]
    assert np.array_equal(alone, with_one)
    assert np.array_equal(alone, with_many)


def test_a_text_given_twice_is_encoded_once_and_gets_the_same_row_each_time(
    encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[str] = []
    encode_one = encoder._encode_one

    def counting(text: str) -> np.ndarray:
        encoded.append(text)
        return encode_one(text)

    monkeypatch.setattr(encoder, "_encode_one", counting)
    vectors = encoder.encode(["a", "b", "a", "a"])
    assert sorted(encoded) == ["a", "b"]
    assert vectors.shape == (4, DIMENSIONS)
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[0], vectors[3])
    assert np.array_equal(vectors[[0, 1]], np.vstack([encode_one("a"), encode_one("b")]))


def test_a_paraphrase_is_closer_than_an_unrelated_question(encoder: Encoder) -> None:
    question, paraphrase, unrelated = encoder.encode(
        [
            "how many sessions are there",
            "how many appointments will I get",
            "what is the weather tomorrow",
        ]
    )
    assert float(question @ paraphrase) > float(question @ unrelated) + 0.2


def test_provenance_pins_the_official_weights_and_the_built_model() -> None:
    provenance = json.loads((MODEL_DIR / "PROVENANCE.json").read_text())
    assert provenance["sha256"]["model.safetensors"] == OFFICIAL_SAFETENSORS_SHA256
    assert provenance["built"]["model.onnx"] == _sha256(MODEL_DIR / "model.onnx")
    assert provenance["built"]["tokenizer.json"] == _sha256(MODEL_DIR / "tokenizer.json")


def test_the_licence_and_notice_ship_beside_the_model() -> None:
    for name in ("LICENSE", "NOTICE"):
        path = MODEL_DIR / name
        assert path.is_file(), f"{path} is missing"
        assert path.read_text(encoding="utf-8").strip(), f"{path} is empty"


def test_the_model_id_names_the_built_file(encoder: Encoder) -> None:
    assert encoder.model_id.endswith(_sha256(MODEL_DIR / "model.onnx")[:16])


def _copy_model(tmp_path: Path) -> Path:
    copy = tmp_path / "minilm"
    shutil.copytree(MODEL_DIR, copy)
    return copy


def test_an_altered_model_file_is_refused_with_an_encoder_error(tmp_path: Path) -> None:
    copy = _copy_model(tmp_path)
    model = copy / "model.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(EncoderError, match="does not match PROVENANCE"):
        Encoder(copy)


def test_a_truncated_model_file_is_refused_with_an_encoder_error(tmp_path: Path) -> None:
    copy = _copy_model(tmp_path)
    model = copy / "model.onnx"
    model.write_bytes(model.read_bytes()[:1000])
    with pytest.raises(EncoderError):
        Encoder(copy)


def test_an_unaltered_copy_of_the_model_loads(tmp_path: Path, encoder: Encoder) -> None:
    copy = Encoder(_copy_model(tmp_path))
    assert copy.model_id == encoder.model_id
    assert np.array_equal(copy.encode(["hello"]), encoder.encode(["hello"]))


def test_a_missing_model_folder_is_an_encoder_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError):
        Encoder(tmp_path / "nowhere")


def test_a_folder_without_a_model_file_is_an_encoder_error(tmp_path: Path) -> None:
    copy = _copy_model(tmp_path)
    (copy / "model.onnx").unlink()
    with pytest.raises(EncoderError):
        Encoder(copy)


def test_text_with_a_lone_surrogate_is_encoded_not_refused() -> None:
    encoder = Encoder()
    (vector,) = encoder.encode(["how many sessions \udcff is it"])
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
