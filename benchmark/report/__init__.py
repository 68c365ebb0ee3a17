"""Reports: the leaderboard and the paper-demo table, from evaluated results.

``results`` (read summaries) -> ``tables`` (ranking, per-level means), ``weights`` (the recipe of
each network's checkpoint) and ``statistics`` (paired tests) -> ``plots`` -> ``page`` (README.md and
index.html, with ``page.css`` and ``page.js``); ``paper`` holds the paper's published rows,
``paper_demo`` scores the paper's own demo clips and our baselines on them.
"""
from .page import render
from .paper_demo import score_demo, write_markdown

__all__ = ["render", "score_demo", "write_markdown"]
