"""Distortion-removal benchmark: deterministic data generation, one metric harness, baselines."""
__version__ = "0.1.0"
