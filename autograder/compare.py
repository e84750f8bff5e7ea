"""Plain-float comparisons shared by the checks and the diagnoses (which must judge "the same number" alike)."""

from __future__ import annotations

import math


def is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def close(got, want, rel=1e-6, abs_tol=1e-9) -> bool:
    """True when got is a finite number near want; NaN, infinity and non-numbers never pass."""
    return is_num(got) and is_num(want) and abs(got - want) <= abs_tol + rel * abs(want)


def fmt(x) -> str:
    return f"{x:.6g}" if is_num(x) else str(x)[:40]


def non_finite(*values) -> bool:
    return any(isinstance(v, str) for v in values)
