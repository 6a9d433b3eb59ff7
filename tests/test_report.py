"""Summary statistics and verdicts on hand-made trial rows."""
import math

import pandas as pd

from experiments.exp2 import ROWS
from lstm97 import stats
from lstm97.report import summarise


def test_success_interval_is_exact_binomial():
    low, high = stats.success_interval(20, 20)
    assert high == 100.0 and 83.0 < low < 84.0            # Clopper-Pearson: (0.05/2)^(1/20) = 0.8316
    low, high = stats.success_interval(0, 18)
    assert low == 0.0 and 18.0 < high < 19.0


def test_verdicts():
    assert stats.verdict((80.0, 100.0), 40_000, 100, 30_000) == "reproduced"
    assert stats.verdict((80.0, 100.0), 70_000, 100, 30_000) == "partly"         # > ×2 slower
    assert stats.verdict((20.0, 60.0), 70_000, 100, 30_000) == "not reproduced"
    assert stats.verdict((0.0, 18.5), math.nan, 0, None) == "reproduced"
    assert stats.verdict((5.0, 40.0), 1000, 0, None) == "not reproduced"


def test_summary_counts_successful_trials_only():
    row = next(r for r in ROWS if r.label == "2c q=100 p=100")
    trials = pd.DataFrame({"row": [row.label] * 4, "success": [True, True, True, False],
                           "sequences": [10_000, 20_000, 60_000, row.cap], "learned_at": [5000, 8000, -1, -1],
                           "reason": ["success"] * 3 + ["cap"]})
    s = summarise(trials, (row,)).iloc[0]
    assert (s.trials, s.successes, s.success_pct) == (4, 3, 75.0)
    assert s.mean_sequences == 30_000 and s.median_sequences == 20_000
    assert s.median_learned_at == 6500 and s.paper_sequences == 31_000
    assert s.verdict == "partly"         # the mean is within ×0.5–×2, but 100 % lies outside [19.4, 99.4]
