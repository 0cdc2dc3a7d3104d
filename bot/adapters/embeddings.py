"""Sentence vectors with a memory: each text is encoded once per model, then read from disk.

Encoding the risk bank and every phrasing takes tens of seconds, so the vectors are kept in one
file per model (`<cache_dir>/<model id>.npz`), keyed by a hash of the text. A restart, or a
reload that changed one example, encodes only what is new. The file is rewritten whole and
atomically, so a crash never leaves half a cache; a damaged file is simply rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.adapters.encoder import Encoder
from bot.core.vectors import DIMENSIONS, Vectors

log = logging.getLogger(__name__)


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# The name under which a derived file keeps the key it was computed for.
_DERIVED_KEY = "__key__"


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


class Embeddings:
    """Encodes texts through `encoder`, remembering every vector in `cache_dir` (if given)."""

    def __init__(self, encoder: Encoder, cache_dir: Path | None = None) -> None:
        self.encoder = encoder
        self.model_id = encoder.model_id
        self._path = cache_dir / f"{encoder.model_id}.npz" if cache_dir else None
        self._vectors: dict[str, Vectors] = {}
        self._lock = threading.Lock()
        self._dirty = False
        self._load()

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text, from the cache where possible; new vectors are kept in memory
        until `save`."""
        keys = [_key(t) for t in texts]
        with self._lock:
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if missing:
            found = self.encoder.encode(list(missing.values()))
            with self._lock:
                self._vectors.update(zip(missing, found, strict=True))
                self._dirty = True
        if not keys:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            return np.vstack([self._vectors[k] for k in keys])

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Vectors for passing texts (messages): never cached, so no message text is kept."""
        return self.encoder.encode(texts)

    def figure(self, key: str, compute: Callable[[], float]) -> float:
        """A number derived from cached vectors (the risk threshold), computed once per `key`
        and kept beside them; the key must name everything the number depends on."""
        path = self._path.with_suffix(".figures.json") if self._path else None
        figures: dict[str, float] = {}
        if path is not None and path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                figures = {str(k): float(v) for k, v in loaded.items()}
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                log.warning("ignoring a damaged figures file %s: %s", path, exc)
        if key in figures:
            return figures[key]
        value = compute()
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                # Only the latest figures matter; older keys belong to banks no longer served.
                _write_atomically(path, json.dumps({key: value}).encode("utf-8"))
            except OSError as exc:
                log.warning("could not save %s: %s", path, exc)
        return value

    def derived(
        self, name: str, key: str, compute: Callable[[], Mapping[str, Vectors]]
    ) -> Mapping[str, Vectors]:
        """Arrays derived from cached vectors (the entry classifier's weights), computed once
        per `key` and kept beside them in `<model id>.<name>.npz`; the key must name
        everything the arrays depend on. Only the latest key is kept per name."""
        path = self._path.with_suffix(f".{name}.npz") if self._path else None
        if path is not None and path.exists():
            try:
                with path.open("rb") as f, np.load(f, allow_pickle=False) as data:
                    if str(data[_DERIVED_KEY]) == key:
                        return {k: data[k] for k in data.files if k != _DERIVED_KEY}
            except Exception as exc:  # unreadable in any way means the same: compute again
                log.warning("ignoring a damaged file %s: %s", path, exc)
        arrays = dict(compute())
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                buffer = io.BytesIO()
                stored: dict[str, npt.NDArray[Any]] = {_DERIVED_KEY: np.asarray(key), **arrays}
                np.savez(buffer, allow_pickle=False, **stored)
                _write_atomically(path, buffer.getvalue())
            except OSError as exc:
                log.warning("could not save %s: %s", path, exc)
        return arrays

    def save(self) -> None:
        """Write the cache file if anything was added; failures are logged, never raised."""
        if self._path is None or not self._dirty:
            return
        with self._lock:
            keys = sorted(self._vectors)
            matrix = (
                np.vstack([self._vectors[k] for k in keys])
                if keys
                else np.zeros((0, DIMENSIONS), dtype=np.float32)
            )
            self._dirty = False
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            np.savez(buffer, keys=np.asarray(keys), vectors=matrix)
            _write_atomically(self._path, buffer.getvalue())
        except OSError as exc:
            log.warning("could not save the embedding cache %s: %s", self._path, exc)

    def _load(self) -> None:
        if self._path is None or not self._path.exists():
            return
        try:
            # Opened here so that a damaged file is closed whatever np.load makes of it.
            with self._path.open("rb") as f, np.load(f, allow_pickle=False) as data:
                keys, matrix = data["keys"], data["vectors"]
                if matrix.ndim != 2 or matrix.shape[1] != DIMENSIONS or len(keys) != len(matrix):
                    raise ValueError("unexpected shape")
                self._vectors = {
                    str(k): row.astype(np.float32) for k, row in zip(keys, matrix, strict=True)
                }
        except Exception as exc:  # unreadable in any way means the same: encode again
            log.warning("ignoring a damaged embedding cache %s: %s", self._path, exc)
            self._vectors = {}
