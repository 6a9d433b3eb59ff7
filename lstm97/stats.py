"""Statistics of one table row from its per-trial arrays (rliable style: plain functions of arrays).

Success rates get exact (Clopper–Pearson) 95 % intervals; mean sequences to success get a percentile
bootstrap interval over the successful trials (decision 17: means over successful trials only).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

ERROR_BINS = (0.0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, np.inf)   # test-error histogram edges


def success_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval for the success proportion, in percent."""
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    return 100.0 * ci.low, 100.0 * ci.high


def mean_interval(values: np.ndarray, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean; NaN for fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2 or np.all(values == values[0]):
        return (math.nan, math.nan) if len(values) < 2 else (float(values[0]), float(values[0]))
    res = stats.bootstrap((values,), np.mean, confidence_level=level, n_resamples=2000, method="percentile",
                          rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def verdict(success_ci: tuple[float, float], mean: float, paper_pct: float | None,
            paper_seq: float | None) -> str:
    """Reproduced: the paper's success rate lies in our interval and our mean sequences to success lies
    within ×0.5–×2 of the paper's (where the paper gives one). One of the two: partly."""
    if paper_pct is None:
        return "no paper number"
    rate_ok = success_ci[0] - 1e-9 <= paper_pct <= success_ci[1] + 1e-9
    if paper_seq is None:
        return "reproduced" if rate_ok else "not reproduced"
    seq_ok = not math.isnan(mean) and 0.5 * paper_seq <= mean <= 2.0 * paper_seq
    if rate_ok and seq_ok:
        return "reproduced"
    return "partly" if (rate_ok or seq_ok) else "not reproduced"
