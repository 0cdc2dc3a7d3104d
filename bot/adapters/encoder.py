"""The sentence encoder: text in, a unit vector out, from the model shipped in bot/models/.

The model is all-MiniLM-L6-v2, quantised to int8 and run by onnxruntime; PROVENANCE.json beside
it pins the official weights it was built from (scripts/build_encoder.py rebuilds it). Nothing is
downloaded: a missing or damaged file is an `EncoderError`, and the callers carry on without
meaning (the crisis patterns still run).

Each text is encoded on its own, never padded into a batch: dynamic quantisation scales the
activations of a whole batch together, so a text's vector would otherwise depend on its
neighbours, and cached vectors would not match fresh ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bot.core.vectors import DIMENSIONS, Vectors

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "minilm"
# The model was trained on inputs of up to 256 word pieces; longer ones are cut there.
MAX_TOKENS = 256
# Texts encoded at once, one per core of the two-core machines the bot is sized for.
WORKERS = 2


class EncoderError(Exception):
    """The encoder could not be loaded or run."""


class Encoder:
    def __init__(self, model_dir: Path | None = None) -> None:
        model_dir = model_dir if model_dir is not None else MODEL_DIR
        try:
            import onnxruntime
            import threadpoolctl
            from tokenizers import Tokenizer

            provenance = json.loads((model_dir / "PROVENANCE.json").read_text())
            model_file = model_dir / "model.onnx"
            expected = provenance["built"]["model.onnx"]
            digest = _sha256(model_file)
            if digest != expected:
                raise EncoderError(f"{model_file} does not match PROVENANCE.json ({digest[:12]})")
            self.model_id = f"minilm-l6-v2-int8-{digest[:16]}"
            self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
            self._tokenizer.no_padding()
            # Errors only: its warnings are about its own telemetry (it cannot write a device
            # id under a service user's missing home), with colour codes, in the service log.
            onnxruntime.set_default_logger_severity(3)
            options = onnxruntime.SessionOptions()
            # One thread per call: the bot runs it in a worker thread beside the event loop, and
            # onnxruntime's own pool would only fight that thread for the two cores.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = onnxruntime.InferenceSession(
                str(model_file), options, providers=["CPUExecutionProvider"]
            )
            self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="encoder")
            # The vectors are compared by small matrix products (a message against the risk
            # bank and the phrasings). OpenBLAS's own threads spin-wait for work on every such
            # product: one thread measured 12.9 ms of CPU per message against 26.0 ms.
            threadpoolctl.threadpool_limits(limits=1, user_api="blas")
        except EncoderError:
            raise
        except Exception as exc:  # any failure to load means the same thing to the caller
            raise EncoderError(f"cannot load the sentence encoder from {model_dir}: {exc}") from exc

    def encode(self, texts: Iterable[str]) -> Vectors:
        """One L2-normalised row per text (an empty text gives the model's vector for nothing).
        Several texts are encoded on both cores at once: onnxruntime releases the GIL."""
        texts = list(texts)
        # Each distinct text is encoded once: the sentence a crisis pattern matched in is
        # usually one of the message's sentences too, sometimes the whole message (8% of the
        # texts of the project's case files). A text's vector does not depend on its
        # neighbours (see the module's docstring), so the repeats are exact copies.
        distinct = list(dict.fromkeys(texts))
        if len(distinct) > 1:
            rows = list(self._pool.map(self._encode_one, distinct))
        else:
            rows = [self._encode_one(text) for text in distinct]
        if not rows:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        matrix = np.vstack(rows)
        if len(distinct) < len(texts):
            position = {text: i for i, text in enumerate(distinct)}
            matrix = matrix[[position[text] for text in texts]]
        return matrix

    def _encode_one(self, text: str) -> Vectors:
        # The tokenizer takes only valid Unicode; a lone surrogate (from bytes that were not
        # UTF-8, say, in a command-line argument) becomes "?".
        text = text.encode("utf-8", "replace").decode("utf-8")
        encoding = self._tokenizer.encode(text)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        mask = np.asarray([encoding.attention_mask], dtype=np.int64)
        try:
            # onnxruntime sessions may be run from several threads at once.
            (vector,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        except Exception as exc:
            raise EncoderError(f"the sentence encoder failed: {exc}") from exc
        return np.asarray(vector, dtype=np.float32)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
