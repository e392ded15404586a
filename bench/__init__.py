"""Benchmarks for the scenario pipeline and the engine; run them with `python bench/run.py`."""
