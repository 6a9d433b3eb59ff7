"""Figures from per-trial rows only (rliable ``plot_utils`` style: functions take ``ax=None``, return ``ax``)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lstm97 import stats  # noqa: E402
from lstm97.config import Row  # noqa: E402


def sequences_against(xs: list[float], groups: list[pd.DataFrame], caps: list[int], xlabel: str, ax=None):
    """Sequences to success per trial (dots), our mean with a bootstrap 95 % interval, the median start of
    the first run of 1,000 correct sequences (open circles) and failed trials at their cap (×); the paper's
    means are drawn by the caller."""
    ax = ax or plt.gca()
    rng = np.random.default_rng(0)
    means, lows, highs = [], [], []
    for x, group, cap in zip(xs, groups, caps):
        ok = group.loc[group["success"].astype(bool), "sequences"].to_numpy(float)
        jitter = x * np.exp(rng.uniform(-0.04, 0.04, len(ok)))
        ax.scatter(jitter, ok, s=9, color="tab:blue", alpha=0.45, linewidths=0)
        failed = len(group) - len(ok)
        if failed:
            ax.scatter([x], [cap], marker="x", color="tab:gray", s=30)
            ax.annotate(f"{failed} failed", (x, cap), textcoords="offset points", xytext=(4, 4), fontsize=7,
                        color="tab:gray")
        mean = ok.mean() if len(ok) else np.nan
        low, high = stats.mean_interval(ok)
        means.append(mean)
        lows.append(mean - low if np.isfinite(low) else 0.0)
        highs.append(high - mean if np.isfinite(high) else 0.0)
    ax.errorbar(xs, means, yerr=[lows, highs], fmt="o-", color="tab:blue", capsize=3,
                label="lstm97: mean of successful trials (95 % CI)")
    learned = [np.median(g.loc[g["learned_at"] >= 0, "learned_at"]) if (g["learned_at"] >= 0).any() else np.nan
               for g in groups]
    ax.plot(xs, learned, "o", mfc="none", color="tab:green",
            label="lstm97: median start of the first 1,000 correct in a row")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("training sequences to success")
    ax.grid(True, which="both", alpha=0.3)
    return ax


def exp2_figures(trials: pd.DataFrame, rows: tuple[Row, ...]) -> dict:
    figures = {}
    table3 = [r for r in rows if r.task_name == "exp2c" and not r.pilot]
    panels = {
        "table3_vs_q.png": ([r for r in table3 if r.task.p == r.task.q], lambda r: r.task.q,
                            "minimal time lag − 1, q (p = q distractor symbols)"),
        "table3_vs_q_over_p.png": ([r for r in table3 if r.task.q == 1000], lambda r: r.task.q / r.task.p,
                                   "q / p (expected occurrences of each distractor; q = 1000)"),
    }
    for name, (selected, xof, xlabel) in panels.items():
        selected = sorted(selected, key=xof)
        ran = [r for r in selected if (trials["row"] == r.label).any()]
        if not ran:
            continue
        fig, ax = plt.subplots(figsize=(6, 4.2))
        sequences_against([xof(r) for r in ran], [trials[trials["row"] == r.label] for r in ran],
                          [r.cap for r in ran], xlabel=xlabel, ax=ax)
        ax.plot([xof(r) for r in selected], [r.paper.sequences for r in selected], "s--", color="tab:red",
                label="Hochreiter & Schmidhuber 1997")
        ax.set_xticks([xof(r) for r in selected], [f"{xof(r):g}" for r in selected])
        ax.minorticks_off()
        ax.legend(fontsize=8)
        ax.set_title("Task 2c (Table 3): " + ("lag grows with the alphabet" if "q.png" in name
                                             else "more frequent distractors"), fontsize=10)
        figures[name] = fig
    return figures


def close(fig) -> None:
    plt.close(fig)


FIGURES = {"exp2": exp2_figures}
