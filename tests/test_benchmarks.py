"""The benchmarks are not run by the suite (they measure speed), but they must still import:
a module moved or renamed in bot/ breaks them silently otherwise."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted(
    path.stem
    for path in (Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py")
    if path.stem != "__init__"
)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_imports(name: str) -> None:
    importlib.import_module(f"benchmarks.{name}")
