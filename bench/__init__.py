"""Benchmarks: ``python -m bench`` measures the scoring core on full-size synthetic splits."""
