"""Published numbers against the same numbers computed now: ``within`` a tolerance, and
``Moved``, the record of one that moved (what ``bench check`` prints)."""
from __future__ import annotations

import math
from typing import Any

Moved = tuple[str, str, Any, Any]  # (entry, field, published, now)


def within(published: Any, now: Any, tolerance: float) -> bool:
    """Equal, both undefined (NaN), or both finite and at most ``tolerance`` apart."""
    if published == now:
        return True
    try:
        a, b = float(published), float(now)
    except (TypeError, ValueError):
        return False
    return (math.isnan(a) and math.isnan(b)) or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= tolerance)
