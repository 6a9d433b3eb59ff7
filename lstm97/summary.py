"""Per-trial rows → one summary line per table row: successes with their exact interval, sequences to
success, the paper's numbers and a verdict. Pure: a DataFrame of trials and the rows in, a DataFrame out
(``report`` writes it; ``plots`` and ``search`` read it)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lstm97 import stats
from lstm97.config import Row
from lstm97.marks import QUICK_VERDICT
from lstm97.trials_file import of_row


def summarise(trials: pd.DataFrame, rows: tuple[Row, ...], quick: bool = False) -> pd.DataFrame:
    """One line per paper row, in the paper's order, including rows we do not run. With ``quick`` (a
    ``--quick`` run's small budgets) every line says so and rows that ran get the verdict "quick run"."""
    lines = []
    for row in rows:
        t = of_row(trials, row)
        n, k = len(t), int(t["success"].sum()) if len(t) else 0
        seqs = t.loc[t["success"].astype(bool), "sequences"].to_numpy(dtype=float)
        learned = t.loc[t["learned_at"] >= 0, "learned_at"].to_numpy(dtype=float) if len(t) else np.array([])
        ci = stats.success_interval(k, n) if n else (math.nan, math.nan)
        mean = float(seqs.mean()) if len(seqs) else math.nan
        mean_ci = stats.mean_interval(seqs)
        paper = row.paper
        ok = t[t["success"].astype(bool)] if n else t
        def col(name: str) -> np.ndarray:
            values = ok[name].to_numpy(dtype=float) if name in ok and len(ok) else np.array([])
            return values[np.isfinite(values)]
        st1, test_wrong, test_error = col("st1_at"), col("test_wrong"), col("test_mean_error")
        st1 = st1[st1 >= 0]
        lines.append({
            "row": row.label, "cell": row.cell if row.run else "not run",
            "reading": row.reading.name, "pilot": row.pilot,
            "weights": row.weights if row.run else (getattr(paper, "weights", None) or math.nan),
            "learning_rate": row.learning_rate,
            "trials": n, "successes": k, "success_pct": 100.0 * k / n if n else math.nan,
            "success_ci_low": ci[0], "success_ci_high": ci[1],
            "mean_sequences": mean, "mean_ci_low": mean_ci[0], "mean_ci_high": mean_ci[1],
            "median_sequences": float(np.median(seqs)) if len(seqs) else math.nan,
            "min_sequences": float(seqs.min()) if len(seqs) else math.nan,
            "max_sequences": float(seqs.max()) if len(seqs) else math.nan,
            "median_learned_at": float(np.median(learned)) if len(learned) else math.nan,
            "learned_trials": len(learned), "diverged": int((t["reason"] == "diverged").sum()) if n else 0,
            "cap": row.cap,
            "mean_st1": float(st1.mean()) if len(st1) else math.nan,
            "mean_test_wrong": float(test_wrong.mean()) if len(test_wrong) else math.nan,
            "max_test_wrong": float(test_wrong.max()) if len(test_wrong) else math.nan,
            "mean_test_error": float(test_error.mean()) if len(test_error) else math.nan,
            "paper_st1": _opt(paper, "st1"), "paper_test_wrong": _opt(paper, "test_wrong"),
            "paper_test_error": _opt(paper, "test_error"),
            "paper_success_pct": paper.success_pct if paper and paper.success_pct is not None else math.nan,
            "paper_sequences": paper.sequences if paper and paper.sequences else math.nan,
            "verdict": (QUICK_VERDICT if n and quick
                        else stats.verdict(ci, mean, paper.success_pct if paper else None,
                                           paper.sequences if paper else None) if n
                        else "pending" if row.run else "not run"),
            "note": "; ".join(x for x in (row.note, paper.note if paper else "") if x),
            "quick": bool(quick),
            **(row.columns if "paper_row" in trials else {}),        # trials.csv files written before: none
        })
    return pd.DataFrame(lines)


def _opt(paper, name: str) -> float:
    value = getattr(paper, name, None) if paper else None
    return math.nan if value is None else float(value)
