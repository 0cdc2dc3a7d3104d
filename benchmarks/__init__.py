"""Benchmarks for DIT bot: run each with `python -m benchmarks.<name>` (see BENCHMARKS.md)."""
