"""The comparison's page (issue 6): ``results/compare/README.md`` from the summary of every job.

Rows of the summary are grouped by their columns (``Row.columns``: the paper row, the rate factor and the
variant; ``trials_file.with_columns`` gives them to files written before): a cell with a variant (the 1997
net's ablations, the forget-bias cells) is shown as ``"<cell> [<variant>]"``. A (paper row, cell) is finished when every rate tried for it has its trials. The
page compares two nets by Fisher's exact test on their successes (two-sided); with 10 trials each, 0 of 10
against 5 of 10 is the smallest gap that reaches p < 0.05 (2 against 8 in the middle of the range). Nothing here trains: it reads the summary (and
``../cerg/trials.csv`` for the continual task).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from scipy import stats

from lstm97.files import write_atomic
from lstm97.marks import QUICK_TITLE, quick_banner, quick_parts
from lstm97.registry import COMPARED as CELLS
from lstm97.stats import success_interval
from lstm97.trials_file import read_trials, with_columns

ALPHA = 0.05
BASE = "lstm1997"


def fisher_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p of Fisher's exact test for k1 of n1 against k2 of n2 successes."""
    return float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


def _split(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with its grouping columns and, from them, ``cell_kind`` ("<cell> [<variant>]") and
    ``factor`` ("lr x<rate factor>")."""
    frame = with_columns(summary)
    variant = frame["variant"].fillna("").astype(str)
    return summary.assign(paper_row=frame["paper_row"], variant=variant, cell=frame["cell"],
                          cell_kind=frame["cell"].astype(str) + variant.map(lambda v: f" [{v}]" if v else ""),
                          factor=frame["rate_factor"].map(lambda f: f"lr x{float(f):g}"))


def comparison_grid(summary: pd.DataFrame) -> pd.DataFrame:
    """One line per finished (paper row, cell): the learning rate with the most successes (then the fewest
    mean sequences), with its numbers; ``rates`` counts the rates tried."""
    frame = _split(summary)
    groups = frame.groupby(["paper_row", "cell_kind"], sort=False)
    finished = groups["trials"].transform(lambda t: (t > 0).all())
    frame = frame.assign(rates=groups["factor"].transform("nunique"))[finished.astype(bool)]
    frame = frame.sort_values(["successes", "mean_sequences"], ascending=[False, True], na_position="last")
    best = frame.groupby(["paper_row", "cell_kind"], sort=False).head(1)
    return best.sort_values(["paper_row", "cell_kind"])


def _rate(r) -> str:
    return f"{r.successes}/{r.trials} [{r.success_ci_low:.0f}–{r.success_ci_high:.0f}%]"


def _cell_text(r) -> str:
    """k/n with its interval, the best rate (none is best where every rate tried got 0; a line that is not
    ``comparison_grid``'s is one rate's), the median sequences."""
    median = "" if pd.isna(r.median_sequences) else f", {r.median_sequences:,.0f}"
    rates = getattr(r, "rates", 1)
    rate = f"none of {rates} rates" if r.successes == 0 and rates > 1 else r.factor
    return f"{_rate(r)} ({rate}){median}"


def differences(grid: pd.DataFrame, cells: tuple[str, ...]) -> pd.DataFrame:
    """Each cell against the 1997 net on every paper row where both finished: successes at the best rate of
    each, and Fisher's p."""
    out = []
    for paper_row, group in grid.groupby("paper_row", sort=False):
        base = group[group["cell_kind"] == BASE]
        if base.empty:
            continue
        b = base.iloc[0]
        for kind in cells:
            hit = group[group["cell_kind"] == kind]
            if kind == BASE or hit.empty:
                continue
            r = hit.iloc[0]
            out.append({"paper_row": paper_row, "cell": kind, "k": r.successes, "n": r.trials, "cell_text": _cell_text(r),
                        "base_k": b.successes, "base_n": b.trials, "base_text": _cell_text(b),
                        "p": fisher_p(int(r.successes), int(r.trials), int(b.successes), int(b.trials))})
    return pd.DataFrame(out, columns=["paper_row", "cell", "k", "n", "cell_text", "base_k", "base_n", "base_text", "p"])


def ablation_effects(frame: pd.DataFrame) -> pd.DataFrame:
    """Every finished variant ``"<cell> [<change>]"`` (the 1997 net's ablations, the forget-bias variants)
    against the same cell at the paper's rate (× 1) on the same row."""
    frame = _split(frame)
    frame = frame[frame["trials"] > 0]
    base = frame[frame["factor"] == "lr x1"].set_index(["paper_row", "cell_kind"])
    out = []
    for r in frame[frame["variant"] != ""].itertuples():
        if (r.paper_row, r.cell) not in base.index:
            continue
        b = base.loc[(r.paper_row, r.cell)]
        out.append({"paper_row": r.paper_row, "cell": r.cell, "ablation": r.variant,
                    "text": _cell_text(r).replace(" (lr x1)", ""), "base_text": _cell_text(b).replace(" (lr x1)", ""),
                    "k": r.successes, "base_k": b.successes,
                    "p": fisher_p(int(r.successes), int(r.trials), int(b.successes), int(b.trials))})
    return pd.DataFrame(out, columns=["paper_row", "cell", "ablation", "text", "base_text", "k", "base_k", "p"])


def _p(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _verdict(k: int, base_k: int, p: float, better: str, worse: str) -> str:
    if p >= ALPHA:
        return "no difference detected"
    return better if k > base_k else worse


def cerg_lines(folder: Path) -> list[str]:
    """What the forget gate buys on the continual task, from ``cerg/trials.csv`` (if it exists)."""
    path = folder / "trials.csv"
    if not path.exists():
        return ["Not run yet: `make cerg`."]
    try:
        trials = read_trials(path, {"row": "text", "outcome": "text"})
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return [f"`{path}` is unreadable or has no `row` and `outcome` columns: `make cerg` rewrites it."]
    lines = ["| net | perfect | perfect or good (mean error-free test stream above 1,000 symbols) |",
             "|---|---|---|"]
    counts = {}
    for label, got in trials.groupby("row", sort=False):
        n = len(got)
        perfect = int((got["outcome"] == "perfect").sum())
        learned = int(got["outcome"].isin(["perfect", "good"]).sum())
        counts[label] = (learned, n)
        lo, hi = success_interval(perfect, n)
        lo2, hi2 = success_interval(learned, n)
        lines.append(f"| {label} | {perfect}/{n} [{lo:.0f}–{hi:.0f}%] | {learned}/{n} [{lo2:.0f}–{hi2:.0f}%] |")
    lines.append("")
    standard = counts.get("standard LSTM")
    for label in ("LSTM with forget gates", "standard LSTM with external reset", "LSTM with state decay (0.9)"):
        if standard and label in counts:
            (k, n), (k0, n0) = counts[label], standard
            lines.append(f"- {label} against the standard LSTM, perfect or good: {k}/{n} against {k0}/{n0} "
                         f"(Fisher p = {_p(fisher_p(k, n, k0, n0))}).")
    lines += ["", f"Scale: see `../cerg/summary.md` ({_cerg_scale(folder, trials)}, against Gers et al.'s 100 nets; "
              "nets stopped by the budget count as not perfect, so the perfect shares are lower bounds)."]
    return lines


def _cerg_scale(folder: Path, trials: pd.DataFrame) -> str:
    """'N nets a row' from the trial rows, and the symbols budget per net from the run's meta.json if it has one."""
    nets = trials.groupby("row", sort=False).size()
    count = f"{nets.max():,} nets a row" if nets.min() == nets.max() else f"{nets.min():,}-{nets.max():,} nets a row"
    try:
        ticks = json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("max_ticks")
    except (OSError, ValueError, AttributeError):
        ticks = None
    return count + (f", at most {ticks:,} symbols each" if isinstance(ticks, int) else "")


def _batches(trials: pd.DataFrame, rows, batch_of: dict[str, str]) -> pd.DataFrame:
    """The finished batches of ``rows`` in ``trials``: each batch's task, padded trial-steps and wall time (that
    of its last trial; the rows of one pack count once)."""
    by_label = {row.label: row for row in rows if row.run}
    finished = trials[trials["row"].isin(list(by_label))]
    labels = list(finished["row"])
    frame = pd.DataFrame({
        "batch": [batch_of.get(l, l) for l in labels],
        "task": [by_label[l].task_name for l in labels],
        "steps": [float(p) * by_label[l].task.max_len for l, p in zip(labels, finished["presented"])],
        "wall_s": [float(w) for w in finished["wall_s"]]}, columns=["batch", "task", "steps", "wall_s"])
    batches = frame.groupby("batch").agg(task=("task", "first"), steps=("steps", "sum"), seconds=("wall_s", "max"))
    return batches[batches["seconds"] > 0]


def remaining_work(trials: pd.DataFrame, rows, batch_of: dict[str, str] | None = None,
                   earlier: tuple | None = None) -> dict:
    """What is left, and how fast the finished jobs ran, in padded trial-steps (every sequence at its task's
    longest length: what the program computes). ``left``: the pending jobs with every trial run to the most
    sequences its rule allows (the cap; exp 2's streak rule can run a window past it), an upper bound.
    ``rate``: the finished jobs' steps over their batches' wall time, per worker process; a batch's time is
    that of its last trial, and the rows of a learning-rate pack count once (rows of one pack trained in
    separate batches, as some early exp-1 jobs were, then count as one: their time is undercounted).
    ``rates``: the lowest and highest rate of a single batch. ``batch_of``: each row label's batch (rows that
    trained side by side share one; ``engines.pack_key``), by default its own. ``hours``: the pending steps
    at the rate each task's finished batches ran, these and ``earlier``'s ((trials, rows, batch_of) of an
    earlier comparison on this machine), else at ``rate``."""
    batch_of = batch_of or {}
    by_label = {row.label: row for row in rows if row.run}
    done = set(trials.loc[trials["row"].isin(list(by_label)), "row"])
    pending = [row for label, row in by_label.items() if label not in done]
    steps_of = lambda row: row.trials * row.criterion.most_sequences(row.cap) * row.task.max_len
    left = sum(steps_of(row) for row in pending)
    batches = _batches(trials, rows, batch_of)
    steps, seconds = float(batches["steps"].sum()), float(batches["seconds"].sum())
    rate = steps / seconds if seconds else float("nan")
    per_batch = batches["steps"] / batches["seconds"]
    known = pd.concat([batches] + ([_batches(*earlier)] if earlier is not None else []))
    by_task = known.groupby("task")[["steps", "seconds"]].sum()
    task_rate = (by_task["steps"] / by_task["seconds"]).to_dict()
    hours = sum(steps_of(row) / task_rate.get(row.task_name, rate) for row in pending) / 3600
    return {"pending": len(pending), "left": float(left), "steps": steps, "seconds": seconds, "rate": rate,
            "rates": (float(per_batch.min()), float(per_batch.max())) if len(per_batch) else (float("nan"),) * 2,
            "hours": hours, "task_rates": task_rate}


def _e(x: float) -> str:
    return f"{x:.2g}".replace("e+", "e")


def _work_sentence(work: dict) -> str:
    if not work["pending"]:
        return ""
    text = (f" The {work['pending']} pending jobs need at most {_e(work['left'])} padded trial-steps (every trial "
            "to its cap)")
    if work["seconds"]:
        low, high = work["rates"]
        text += (f". The finished ones ran {_e(work['steps'])} in {work['seconds'] / 3600:,.1f} worker-hours: "
                 f"{work['rate'] / 1e6:.2f} M a second on average, {low / 1e6:.2f}–{high / 1e6:.2f} M for single "
                 f"batches")
    if pd.notna(work.get("hours")):
        text += (f". Planned: at the rate each task's finished batches ran here (this comparison's and the earlier "
                 f"one's in before/), the rest at its caps would take about {work['hours']:,.0f} worker-hours, an "
                 "upper bound (a trial that meets its rule stops early)")
    return text + "."


def _quick_lines(summary: pd.DataFrame, test_sequences: list[int] | None) -> list[str]:
    """A quick run's banner (under the title) with the trials per row, caps and test-set sizes it used."""
    return [quick_banner(quick_parts(summary, test_sequences), "no finding below applies"), ""]


def comparison_page(summary: pd.DataFrame, meta: dict, cerg_folder: Path | None = None,
                    work: dict | None = None, test_sequences: list[int] | None = None) -> str:
    """``results/compare/README.md``: the grid of paper rows × cells (best learning rate of each), what it
    shows (each cell against the 1997 net; each ablation against it), the continual task, and the nets'
    weight counts. Unfinished pairs are marked pending, and the findings use finished ones only. A quick run's
    page (``meta["quick"]``) says so in its title and a banner with the budgets used (``test_sequences``: the
    test-set sizes of its trial rows, ``report.sizes_tested``)."""
    frame = _split(summary)
    jobs, done = len(frame), int((frame["trials"] > 0).sum())
    grid = comparison_grid(summary)
    paper_rows = list(dict.fromkeys(frame["paper_row"]))
    complete = [p for p in paper_rows if set(grid.loc[grid["paper_row"] == p, "cell_kind"]) >= set(CELLS)]
    quick = bool(meta.get("quick"))
    lines = ["# Every cell on every row of the paper" + (QUICK_TITLE if quick else ""), "",
             *(_quick_lines(summary, test_sequences) if quick else []),
             f"Made by `{meta.get('command', '?')}` at commit `{meta.get('commit', '?')}` (each job's own commit "
             "is in `jobs/`). Each cell of the grid: successes at the best of the learning rates tried (the row's "
             "rate × 0.1, 0.3, 1, 3; on the long rows, T = 1000 or q ≥ 500, the one factor that was best for that "
             "cell on the same task's shorter rows; the best in brackets, or \"none of 4 rates\" where every rate got "
             "0) with the exact 95 % interval, then the "
             "median sequences to success. Every rate's line is in `summary.md`. Every net trains under the paper "
             "row's protocol: online SGD with one sequence per update, the row's stopping rule, cap (3× the "
             "paper's mean) and test, 10 trials, under the reading that is the row's answer in the paper's tables "
             "(its column below: `paper` for the defaults, else the reading confirmed for it; "
             "docs/deviations.md). The comparison made before under the earlier readings is kept, frozen, in "
             "[before/README.md](before/README.md).", "",
             f"**Status: {done} of {jobs} jobs finished; {len(complete)} of {len(paper_rows)} paper rows have every "
             "cell at every planned rate.** Pending pairs are marked `pending`; `make compare` resumes them job by "
             "job. The findings below use finished pairs only." + (_work_sentence(work) if work else ""), ""]
    lines += ["## Success at the best learning rate", "",
              "| paper row | reading | " + " | ".join(CELLS) + " |", "|---" * (len(CELLS) + 2) + "|"]
    for paper_row in paper_rows:
        group = grid[grid["paper_row"] == paper_row]
        cells = []
        for kind in CELLS:
            hit = group[group["cell_kind"] == kind]
            cells.append("pending" if hit.empty else _cell_text(hit.iloc[0]))
        readings = sorted(set(frame.loc[frame["paper_row"] == paper_row, "reading"].dropna().astype(str))) \
            if "reading" in frame else []
        lines.append(f"| {paper_row} | {', '.join(readings) or 'paper'} | " + " | ".join(cells) + " |")

    diffs = differences(grid, CELLS)
    lines += ["", "## What the comparison shows", "",
              "Each cell against the 1997 LSTM on the rows where both finished, at each one's best rate, by "
              "Fisher's exact test (two-sided, p < 0.05). With 10 trials a side it takes a gap of 5 in 10 at the "
              "extremes (0 against 5) and 6 in the middle (2 against 8): \"no difference detected\" is not "
              "\"equal\". Taking each net's best of four rates favours neither side (every net, the 1997 LSTM "
              "included, gets four), but it is chosen on the trials it is then tested on, so the p values are "
              "approximate. The tests are not corrected for "
              "multiplicity: over 5 cells × 31 rows a few p < 0.05 come by chance alone, so a pattern across rows "
              "says more than one row does.", "",
              "| cell | rows compared | worse than the 1997 LSTM | better | no difference detected |",
              "|---|---|---|---|---|"]
    for kind in CELLS[1:]:
        d = diffs[diffs["cell"] == kind]
        worse = d[(d["p"] < ALPHA) & (d["k"] < d["base_k"])]
        better = d[(d["p"] < ALPHA) & (d["k"] > d["base_k"])]
        lines.append(f"| {kind} | {len(d)} | {len(worse)} | {len(better)} | {len(d) - len(worse) - len(better)} |")
    significant = diffs[diffs["p"] < ALPHA]
    for title, part in (("Rows where a cell succeeds less often than the 1997 LSTM (p < 0.05)",
                         significant[significant["k"] < significant["base_k"]]),
                        ("Rows where a cell succeeds more often than the 1997 LSTM (p < 0.05)",
                         significant[significant["k"] > significant["base_k"]])):
        lines += ["", f"### {title}", ""]
        if part.empty:
            lines.append("None among the finished rows.")
            continue
        lines += ["| paper row | cell | the cell | the 1997 LSTM | p |", "|---|---|---|---|---|"]
        lines += [f"| {r.paper_row} | {r.cell} | {r.cell_text} | {r.base_text} | {_p(r.p)} |"
                  for r in part.itertuples()]

    effects = ablation_effects(summary)
    for title, part, against in (
            ("Which ablations of the 1997 design matter", effects[effects["cell"] == BASE], "the 1997 net"),
            ("The forget gate's initial bias: +5 instead of +1", effects[effects["cell"] != BASE], "bias +1")):
        lines += ["", f"### {title}", "",
                  f"Each variant at the paper's rate against the same net at the paper's rate ({against}) on the "
                  "same row (Fisher's exact test, two-sided).", ""]
        if part.empty:
            lines.append("None finished yet.")
            continue
        lines += ["| change | net | rows | helps (p < 0.05) | hurts (p < 0.05) | no difference detected |",
                  "|---|---|---|---|---|---|"]
        for (name, cell), group in part.groupby(["ablation", "cell"], sort=False):
            sig = group[group["p"] < ALPHA]
            helps, hurts = int((sig["k"] > sig["base_k"]).sum()), int((sig["k"] < sig["base_k"]).sum())
            lines.append(f"| {name} | {cell} | {len(group)} | {helps} | {hurts} | {len(group) - helps - hurts} |")
        lines += ["", f"| paper row | net | change | changed | {against} | p | reading |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {r.paper_row} | {r.cell} | {r.ablation} | {r.text} | {r.base_text} | {_p(r.p)} | "
                  f"{_verdict(r.k, r.base_k, r.p, 'helps', 'hurts')} |" for r in part.itertuples()]

    lines += ["", "## The forget gate's own experiment", "",
              "The continual embedded Reber grammar of Gers, Schmidhuber & Cummins (2000), their Table 2 beside "
              "ours in `../cerg/summary.md` (`make cerg`).", ""]
    lines += cerg_lines(cerg_folder) if cerg_folder is not None else ["Not run yet: `make cerg`."]

    lines += ["", "## Weights of each net", "",
              "The 1997 LSTM is the paper's net; every other cell has the size whose weight count is closest to it "
              "(forget-gate and peephole LSTMs: 1-16 blocks of 1-4 cells; the rest: 1-64 units). The 1997, "
              "forget-gate and peephole LSTMs learn by the truncated gradient, as in their papers; the vanilla "
              "LSTM, the GRU and the Elman net by the full gradient (backpropagation through time).",
              "", "| paper row | " + " | ".join(CELLS) + " |", "|---" * (len(CELLS) + 1) + "|"]
    for paper_row in paper_rows:
        group = frame[frame["paper_row"] == paper_row]
        weights = [group.loc[group["cell_kind"] == kind, "weights"] for kind in CELLS]
        lines.append(f"| {paper_row} | " + " | ".join("–" if w.empty else f"{int(w.iloc[0]):,}" for w in weights)
                     + " |")
    return "\n".join(lines) + "\n"


def write_page(folder: Path, summary: pd.DataFrame, trials: pd.DataFrame, rows, meta: dict,
               tests: list[int] | None = None, batch_of: dict[str, str] | None = None,
               earlier: tuple | None = None) -> None:
    """``README.md`` beside the comparison's tables (``comparison_page``), the continual task's from
    ``folder.parent / "cerg"``; ``batch_of``, ``earlier``: as ``remaining_work``'s."""
    write_atomic(folder / "README.md", comparison_page(summary, meta, folder.parent / "cerg",
                                                       remaining_work(trials, rows, batch_of, earlier), tests))
