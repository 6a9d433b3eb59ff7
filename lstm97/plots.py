"""Figures from per-trial rows only (rliable ``plot_utils`` style: functions take ``ax=None``, return ``ax``)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lstm97 import stats  # noqa: E402
from lstm97.compare_report import comparison_grid  # noqa: E402
from lstm97.config import Row  # noqa: E402
from lstm97.registry import COMPARED as CELLS  # noqa: E402
from lstm97.summary import summarise  # noqa: E402
from lstm97.trials_file import confusion, of_row  # noqa: E402


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
        ran = [r for r in selected if len(of_row(trials, r))]
        if not ran:
            continue
        fig, ax = plt.subplots(figsize=(6, 4.2))
        sequences_against([xof(r) for r in ran], [of_row(trials, r) for r in ran],
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


def _by_row(trials: pd.DataFrame, rows) -> list[tuple[Row, pd.DataFrame]]:
    return [(r, of_row(trials, r)) for r in rows if r.run and len(of_row(trials, r))]


def exp1_figures(trials: pd.DataFrame, rows: tuple[Row, ...]) -> dict:
    """Distribution of sequences to success per Table 1 row, the paper's mean beside it."""
    ran = _by_row(trials, rows)
    if not ran:
        return {}
    fig, ax = plt.subplots(figsize=(7, 4.2))
    rng = np.random.default_rng(0)
    for i, (row, t) in enumerate(ran):
        ok = t.loc[t["success"].astype(bool), "sequences"].to_numpy(float)
        if len(ok):
            ax.boxplot([ok], positions=[i], widths=0.5, showfliers=False)
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(ok)), ok, s=9, alpha=0.5, color="tab:blue")
        ax.plot([i], [row.paper.sequences], "s", color="tab:red", label="paper's mean" if i == 0 else None)
        ax.annotate(f"{len(ok)}/{len(t)}", (i, ax.get_ylim()[0]), textcoords="offset points", xytext=(-8, 4),
                    fontsize=7)
    ax.set_xticks(range(len(ran)), [r.label.replace("LSTM ", "") for r, _ in ran], rotation=20, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("training strings to success")
    ax.set_title("Exp 1 (Table 1): strings until every string is predicted correctly", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    return {"table1_sequences.png": fig}


def against_t(trials: pd.DataFrame, rows: tuple[Row, ...], groups: dict[str, list[Row]], title: str) -> dict:
    """Sequences to success against the minimal length T, one line per group of rows (exps 3 and 4)."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    drawn = False
    for name, members in groups.items():
        members = sorted(members, key=lambda r: r.task.T)
        ran = [r for r in members if len(of_row(trials, r))]
        if not ran:
            continue
        drawn = True
        means = []
        for r in ran:
            t = of_row(trials, r)
            ok = t.loc[t["success"].astype(bool), "sequences"].to_numpy(float)
            ax.scatter(np.full(len(ok), r.task.T) * np.exp(np.random.default_rng(0).uniform(-0.05, 0.05, len(ok))),
                       ok, s=9, alpha=0.4)
            means.append(ok.mean() if len(ok) else np.nan)
            if len(ok) < len(t):
                ax.annotate(f"{len(t) - len(ok)} failed", (r.task.T, r.cap), fontsize=7, color="tab:gray")
                ax.scatter([r.task.T], [r.cap], marker="x", color="tab:gray")
        ax.plot([r.task.T for r in ran], means, "o-", label=f"lstm97 {name}: mean of successful trials")
        ax.plot([r.task.T for r in members], [r.paper.sequences for r in members], "s--",
                label=f"paper {name}")
    if not drawn:
        plt.close(fig)
        return {}
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("minimal sequence length T")
    ax.set_ylabel("training sequences to success")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    return fig


def exp3_figures(trials: pd.DataFrame, rows: tuple[Row, ...]) -> dict:
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(f"{r.task_name[3:]} N={r.task.N}", []).append(r)
    fig = against_t(trials, rows, groups, "Exp 3 (Tables 4-6): sequences to ST2 against T")
    return {"tables456_vs_T.png": fig} if fig else {}


def exp4_figures(trials: pd.DataFrame, rows: tuple[Row, ...]) -> dict:
    fig = against_t(trials, rows, {"adding": list(rows)}, "Exp 4 (Table 7): sequences to ST3(0.01) against T")
    return {"table7_vs_T.png": fig} if fig else {}


def _hist(cell) -> np.ndarray:
    return np.array([int(v) for v in str(cell).split(";")]) if isinstance(cell, str) else np.array([])


def exp5_figures(trials: pd.DataFrame, rows: tuple[Row, ...]) -> dict:
    """Test errors of each trial's final test (``test_sequences`` fresh sequences), pooled over each row's
    trials, for both n_seq."""
    ran = _by_row(trials, rows)
    hists = []
    for row, t in ran:
        parts = [_hist(c) for c in t.get("test_error_hist", []) if isinstance(c, str)]
        if parts:
            hists.append((row, np.sum(parts, axis=0)))
    if not hists:
        return {}
    fig, ax = plt.subplots(figsize=(6.5, 4))
    labels = [f"<{stats.ERROR_BINS[i + 1]:g}" if np.isfinite(stats.ERROR_BINS[i + 1]) else f"≥{stats.ERROR_BINS[i]:g}"
              for i in range(len(stats.ERROR_BINS) - 1)]
    width = 0.8 / len(hists)
    for j, (row, h) in enumerate(hists):
        ax.bar(np.arange(len(h)) + j * width, h / h.sum(), width=width, label=row.label)
    ax.axvline(3.5 + 0.4, color="tab:red", ls=":", label="0.04: wrong from here")
    ax.set_xticks(np.arange(len(labels)) + 0.4 - width / 2, labels, fontsize=8)
    ax.set_xlabel("absolute error at the end")
    ax.set_ylabel("fraction of test sequences (all trials)")
    ax.set_title("Exp 5 (Table 8): test errors for both n_seq", fontsize=10)
    ax.legend(fontsize=8)
    return {"table8_errors.png": fig}


def exp6_figures(trials: pd.DataFrame, rows: tuple[Row, ...]) -> dict:
    """Confusion of the test sequences for one trial per task (the first trial); the title states the test-set
    size the trial row records (``test_sequences``)."""
    figures = {}
    for row, t in _by_row(trials, rows):
        t = t.sort_values("trial")
        sizes = t["test_sequences"] if "test_sequences" in t else pd.Series(np.nan, index=t.index)
        cells = [(c, n) for c, n in zip(t.get("test_confusion", []), sizes) if isinstance(c, str)]
        if not cells:
            continue
        matrix = confusion(cells[0][0])
        size = int(cells[0][1]) if pd.notna(cells[0][1]) else int(matrix.sum())
        names = row.task.class_names()
        fig, ax = plt.subplots(figsize=(4 + 0.3 * len(names), 3.6 + 0.3 * len(names)))
        ax.imshow(matrix, cmap="Blues")
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(names)), names)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("predicted class (most active output)")
        ax.set_ylabel("true class")
        ax.set_title(f"Exp 6 task {row.label}: trial 0 on {size:,} test sequences", fontsize=9)
        figures[f"confusion_{row.label}.png"] = fig
    return figures


def compare_figures(trials: pd.DataFrame, rows: tuple[Row, ...]) -> dict:
    """Heat map of success rates (best learning rate per paper row and cell), each square labelled with its
    successes; pairs not finished yet stay grey."""
    grid = comparison_grid(summarise(trials, rows))
    grid = grid[grid["cell_kind"].isin(CELLS)] if not grid.empty else grid       # ablations: the page only
    if grid.empty:
        return {}
    paper_rows = list(dict.fromkeys(row.columns["paper_row"] for row in rows))
    matrix = np.full((len(paper_rows), len(CELLS)), np.nan)
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(paper_rows) + 1.6))
    for r in grid.itertuples():
        y, x = paper_rows.index(r.paper_row), CELLS.index(r.cell_kind)
        matrix[y, x] = r.success_pct
        ax.text(x, y, f"{r.successes}/{r.trials}", ha="center", va="center", fontsize=6,
                color="black" if r.success_pct > 60 else "white")
    ax.imshow(np.isnan(matrix), cmap="Greys", vmin=0, vmax=4, aspect="auto")      # pending: light grey
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap="viridis", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(CELLS)), CELLS, rotation=30, fontsize=8)
    ax.set_yticks(range(len(paper_rows)), paper_rows, fontsize=7)
    fig.colorbar(image, ax=ax, label="% trials successful (best rate)")
    ax.set_title(f"Every cell on every paper row ({int(np.isfinite(matrix).sum())} of {matrix.size} finished; "
                 "grey: pending)", fontsize=9)
    fig.tight_layout()
    return {"success_heatmap.png": fig}


def cerg_figure(trials: pd.DataFrame, labels: list[str], quick: bool = False):
    """The continual Reber grammar: each net's mean error-free test-stream length at its last test (log
    scale), perfect nets filled, Gers et al.'s 1,000-symbol line between "good" and "rest"."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    rng = np.random.default_rng(0)
    first = True                            # the legend's entries come from the first row with nets
    for x, label in enumerate(labels):
        got = trials[trials["row"] == label]
        if got.empty:
            continue
        y = np.maximum(got["test_mean_length"].to_numpy(float), 1.0)
        solved = got["solved"].astype(bool).to_numpy()
        xs = x + rng.uniform(-0.15, 0.15, len(y))
        ax.scatter(xs[solved], y[solved], color="tab:green", s=22, label="perfect" if first else None)
        ax.scatter(xs[~solved], y[~solved], facecolors="none", edgecolors="tab:blue", s=22,
                   label="not perfect" if first else None)
        first = False
    ax.axhline(1000, color="tab:gray", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xticks(range(len(labels)), [label.replace(" with ", "\nwith ") for label in labels], fontsize=7)
    ax.set_ylabel("mean error-free test-stream length")
    ax.set_title("Continual embedded Reber grammar: every net's last test", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", ncol=2)
    fig.tight_layout()
    return mark_quick(fig) if quick else fig


def close(fig) -> None:
    plt.close(fig)


QUICK = " (quick run)"


def mark_quick(fig):
    """A --quick run's figure: " (quick run)" after every axes title (its font kept), or as the suptitle of a
    figure without one."""
    titled = [ax for ax in fig.axes if ax.get_title()]
    for ax in titled:
        ax.title.set_text(ax.get_title() + QUICK)
    if not titled:
        fig.suptitle(QUICK.strip())
    return fig


def figures(make, trials: pd.DataFrame, rows: tuple[Row, ...], quick: bool = False) -> dict:
    """The figures ``make(trials, rows)`` draws (an experiment's ``figures``; ``None``: none) by file name,
    marked as a quick run's with ``quick``."""
    made = make(trials, rows) if make is not None else {}
    return {name: mark_quick(fig) if quick else fig for name, fig in made.items()}
