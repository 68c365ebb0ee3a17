"""Paired significance tests between methods on the same examples."""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from ..baselines import display_name
from .tables import ranked


def wilcoxon_rows(entries: dict[str, dict[str, Any]], column: str = "si_sdr") -> tuple[list[str], list[list[str]]]:
    """Paired two-sided Wilcoxon signed-rank tests on the same examples, Holm-corrected.

    Each cell: the median paired difference (row minus column, dB) and the corrected p-value.
    """
    names = [n for n in ranked(entries) if entries[n].get("applicable", True)]
    tables = {n: entries[n]["_table"].set_index("id")[column] for n in names}
    pairs, pvalues, deltas = [], [], []
    for a, b in itertools.combinations(names, 2):
        joined = pd.concat([tables[a], tables[b]], axis=1, join="inner").dropna()
        diff = joined.iloc[:, 0] - joined.iloc[:, 1]
        p = 1.0 if len(diff) == 0 or np.all(diff == 0) else float(scipy.stats.wilcoxon(diff).pvalue)
        pairs.append((a, b))
        pvalues.append(p)
        deltas.append(float(np.median(diff)) if len(diff) else float("nan"))
    order = np.argsort(pvalues)
    corrected = np.empty(len(pvalues))
    running = 0.0
    for rank, index in enumerate(order):  # Holm step-down
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[index]))
        corrected[index] = running
    result = {pair: (delta, p) for pair, delta, p in zip(pairs, deltas, corrected)}
    header = ["method", *[display_name(n) for n in names]]
    rows = []
    for a in names:
        cells = []
        for b in names:
            if a == b:
                cells.append("")
                continue
            delta, p = result[(a, b)] if (a, b) in result else (-result[(b, a)][0], result[(b, a)][1])
            cells.append(f"{delta:+.2f} (p={p:.2g}){' *' if p < 0.05 else ''}")
        rows.append([display_name(a), *cells])
    return header, rows
