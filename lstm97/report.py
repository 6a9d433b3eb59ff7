"""Per-trial rows → summary tables beside the paper's numbers → figures. No training happens here.

``write_report`` runs after a sweep: it gathers the job files into ``trials.csv`` and writes ``run.json``;
``rebuild`` (``make tables figures``) reads only the committed ``trials.csv`` and the rows' configs.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lstm97 import stats
from lstm97.config import Row
from lstm97.sweep import job_path, load_job, provenance, write_atomic

TRIAL_COLUMNS = ["experiment", "row", "cell", "seed", "trial", "success", "sequences", "presented",
                 "learned_at", "grown_at", "reason", "final_error", "wall_s",
                 "st1_at", "test_sequences", "test_wrong", "test_mean_error", "test_error_hist",
                 "test_confusion"]    # the last six: exps 3-6 (histogram over train.ERROR_BINS; exp 6's confusion)


def summarise(trials: pd.DataFrame, rows: tuple[Row, ...]) -> pd.DataFrame:
    """One line per paper row, in the paper's order, including rows we do not run."""
    lines = []
    for row in rows:
        t = trials[trials["row"] == row.label]
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
            "verdict": (stats.verdict(ci, mean, paper.success_pct if paper else None,
                                      paper.sequences if paper else None) if n
                        else "pending" if row.run else "not run"),
            "note": "; ".join(x for x in (row.note, paper.note if paper else "") if x),
        })
    return pd.DataFrame(lines)


def _opt(paper, name: str) -> float:
    value = getattr(paper, name, None) if paper else None
    return math.nan if value is None else float(value)


def _num(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def markdown(summary: pd.DataFrame, title: str, meta: dict) -> str:
    out = [f"# {title}", "",
           f"Made by `{meta.get('command', '?')}` at commit `{meta.get('commit', '?')}` "
           f"({meta.get('date', '?')}; jax {meta.get('jax', '?')}, {meta.get('device', '?')}, "
           f"{meta.get('cpus', '?')} CPUs; jobs trained for {_num(meta.get('jobs_wall_s_total', math.nan))} s in "
           f"all; each job's own commit and time are in run.json and jobs/).", "",
           "Success: k/n trials with an exact 95 % interval. " + SEQUENCES.get(meta.get("experiment"), "") +
           " Verdict: reproduced when the paper's rate lies in our interval and our mean is within ×0.5–×2 of the "
           "paper's; partly when one of the two holds; pending: not finished yet (the same `make` target resumes "
           "it). Rows marked [..] are pilots of other readings (docs/deviations.md).", "",
           "| row | cell | weights | lr | success | % [95% CI] | paper % | mean sequences [95% CI] | median | "
           "range | learned | paper sequences | cap | verdict | note |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    if extra_columns(summary):
        out[-2] = out[-2].replace("| learned |", "| ST1 (paper) | test wrong of 2,560: mean, max (paper) | "
                                  "test error (paper) |")
        out[-1] = "|" + "---|" * 17
    for r in summary.itertuples():
        ran = r.trials > 0
        learned = [_num(r.median_learned_at)]
        if extra_columns(summary):
            learned = [f"{_num(r.mean_st1)} ({_num(r.paper_st1)})",
                       f"{_num(r.mean_test_wrong, 1)}, {_num(r.max_test_wrong)} ({_num(r.paper_test_wrong, 1)})",
                       f"{_num(r.mean_test_error, 4)} ({_num(r.paper_test_error, 4)})"]
        out.append(" | ".join([
            f"| {r.row}", r.cell, _num(r.weights), f"{r.learning_rate:g}",
            f"{r.successes}/{r.trials}" if ran else r.verdict,
            f"{_num(r.success_pct)} [{_num(r.success_ci_low, 1)}, {_num(r.success_ci_high, 1)}]" if ran else "–",
            _num(r.paper_success_pct),
            f"{_num(r.mean_sequences)} [{_num(r.mean_ci_low)}, {_num(r.mean_ci_high)}]" if ran else "–",
            _num(r.median_sequences),
            f"{_num(r.min_sequences)}–{_num(r.max_sequences)}" if r.successes else "–",
            *learned, _num(r.paper_sequences), f"{r.cap:,}" if r.cell != "not run" else "–", r.verdict, r.note or "",
        ]) + " |")
    return "\n".join(out) + "\n"


def extra_columns(summary: pd.DataFrame) -> bool:
    """Exps 3-6 report ST1 and the 2,560-sequence tests beside the paper's."""
    return bool(summary[["paper_st1", "paper_test_wrong", "paper_test_error"]].notna().any().any())


def trials_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([t for rec in records for t in rec["trials"]], columns=TRIAL_COLUMNS)


def write_tables(experiment: str, folder: Path, trials: pd.DataFrame, rows: tuple[Row, ...],
                 meta: dict) -> pd.DataFrame:
    summary = summarise(trials, rows)
    write_atomic(folder / "summary.csv", summary.to_csv(index=False, float_format="%.6g"))
    write_atomic(folder / "summary.md", markdown(summary, TITLES.get(experiment, experiment),
                                                 {"experiment": experiment, **meta}))
    if experiment == "compare":
        from lstm97.compare_report import comparison_page, remaining_work
        write_atomic(folder / "README.md", comparison_page(summary, meta, folder.parent / "cerg",
                                                           remaining_work(trials, rows)))
    return summary


def collect(out: Path, rows: tuple[Row, ...], seed: int, trials: int | None) -> list[dict]:
    """Every finished job of the experiment whose file matches its row, seed and trial count."""
    return [rec for row in rows if row.run
            if (rec := load_job(job_path(out, row), row, seed, row.trials if trials is None else trials))]


def write_report(experiment: str, out: Path, rows: tuple[Row, ...], seed: int, trials: int | None,
                 command: str, wall_s: float | None, quick: bool) -> None:
    """Gather every finished job of the experiment (this run's and earlier ones') into the tables."""
    folder = out / experiment
    records = collect(out, rows, seed, trials)
    frame = trials_frame(records)
    write_atomic(folder / "trials.csv", frame.to_csv(index=False, float_format="%.6g"))
    meta = {"command": command, "quick": quick, "seed": seed, "trials": trials, "date": time.strftime("%Y-%m-%d"),
            "wall_s": None if wall_s is None else round(wall_s, 1),
            "jobs_wall_s_total": round(sum(rec["wall_s"] / rec.get("pack_size", 1) for rec in records), 1),
            "job_wall_s": {rec["label"]: rec["wall_s"] for rec in records},
            "job_commits": sorted({rec.get("commit", "unknown") for rec in records}), **provenance()}
    write_atomic(folder / "run.json", json.dumps(meta, indent=1) + "\n")
    write_tables(experiment, folder, frame, rows, meta)
    write_figures(experiment, folder, frame, rows)
    write_overview(out)


def rebuild(experiment: str, out: Path, figures: bool = True, from_jobs: bool = False) -> None:
    """Tables (and figures) from the committed trials.csv and the experiment's row configs; with
    ``from_jobs``, trials.csv is first rebuilt from the finished job files (after a resumed or partial run)."""
    from lstm97.experiments import quick, rows_of
    folder = out / experiment
    meta = json.loads((folder / "run.json").read_text()) if (folder / "run.json").exists() else {}
    rows = rows_of(experiment, quick=bool(meta.get("quick")))
    if meta.get("quick"):
        rows = tuple(quick(r) for r in rows)
    if from_jobs:
        write_report(experiment, out, rows, meta.get("seed", 0), meta.get("trials"),
                     command=f"python -m lstm97 report {experiment} --collect", wall_s=None,
                     quick=bool(meta.get("quick")))
        return
    path = folder / "trials.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; run `python -m lstm97 run {experiment}` first")
    trials = pd.read_csv(path)
    write_tables(experiment, folder, trials, rows, meta)
    if figures:
        write_figures(experiment, folder, trials, rows)
    write_overview(out)


def write_figures(experiment: str, folder: Path, trials: pd.DataFrame, rows: tuple[Row, ...]) -> None:
    from lstm97 import plots
    for name, fig in plots.FIGURES.get(experiment, lambda t, r: {})(trials, rows).items():
        tmp = folder / f".{name}.tmp.png"
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        tmp.replace(folder / name)
        plots.close(fig)


SEQUENCES = {
    "exp1": "Sequences: training strings presented when every string of the trial's training and test set was "
            "first predicted correctly (checked every 1 % of the paper's mean), over successful trials (mean with a "
            "bootstrap 95 % interval, median, range).",
    "exp2": "Sequences: training sequences presented before the successful run of correct sequences began, over "
            "successful trials only (mean with a bootstrap 95 % interval, median, range). *Learned*: median "
            "sequences before the first run of 1,000 correct sequences.",
    "exp3": "Sequences: training sequences presented when ST2 (3c: its single rule) first held on a fresh set of 256 "
            "(checked every 1 % of the paper's mean), over successful trials; ST1 likewise. Test: the final net "
            "on 2,560 fresh sequences, mean over successful trials (paper: its fraction × 2,560).",
    "exp4": "Sequences: training sequences presented when ST3(0.01) first held (the 2,000 most recent all correct, "
            "their mean absolute error below 0.01), over successful trials. Test: the final net on 2,560 fresh "
            "sequences, mean and worst over successful trials.",
    "exp5": "Sequences: training sequences presented when fewer than n_seq of the 2,000 most recent had an error "
            "above 0.04, over successful trials. Test: the final net on 2,560 fresh sequences (wrong: error ≥ 0.04; "
            "error: mean absolute error, the paper's \"MSE\" column read as such).",
    "exp6": "Sequences: training sequences presented when ST3(0.1) first held, over successful trials. Test: the "
            "final net on 2,560 fresh sequences (wrong: some output off by 0.3 or more).",
}

TITLES = {"compare": "Beyond the paper: every cell on every LSTM row of experiments 1-6",
          "exp1": "Experiment 1: Table 1 (embedded Reber grammar), ours beside the paper's",
          "exp2": "Experiment 2: Tables 2 and 3 (and task 2b), ours beside the paper's",
          "exp3": "Experiment 3: Tables 4, 5 and 6 (noise and signal on one channel), ours beside the paper's",
          "exp4": "Experiment 4: Table 7 (the adding problem), ours beside the paper's",
          "exp5": "Experiment 5: Table 8 (the multiplication problem), ours beside the paper's",
          "exp6": "Experiment 6: Table 9 (temporal order), ours beside the paper's"}


def _paper_text(r) -> str:
    pct = "?" if pd.isna(r.paper_success_pct) else f"{r.paper_success_pct:g} %"
    seqs = "" if pd.isna(r.paper_sequences) else f", {r.paper_sequences:,.0f}"
    return pct + seqs


def _ours_text(r) -> str:
    if not r.trials:
        return "–"
    text = f"{r.successes}/{r.trials} ({r.success_pct:.0f} % [{r.success_ci_low:.1f}, {r.success_ci_high:.1f}])"
    if r.successes:
        text += f", mean {r.mean_sequences:,.0f}, median {r.median_sequences:,.0f}"
    return text


def write_overview(out: Path) -> Path:
    """``results/README.md``: one table of every paper row of every experiment that has a summary."""
    from lstm97.experiments import PAPER as EXPERIMENTS
    lines = ["# Results: every row of the paper's tables beside ours", "",
             "Built from each experiment's `summary.csv` by `make tables` (no training). Paper: success rate and "
             "mean training sequences to success as printed (exps 3-6 give no rate; read as 100 %, see "
             "docs/deviations.md). Ours: successful/all trials with the exact 95 % interval, then the mean and "
             "median sequences to success of the successful trials. Verdict: reproduced when the paper's rate "
             "lies in our interval and our mean is within ×0.5–×2 of the paper's; partly when one holds. Pilots of "
             "other readings are on the experiment pages only.", "",
             "| experiment | row | paper | ours | verdict | page |", "|---|---|---|---|---|---|"]
    counts: dict[str, int] = {}
    for name in EXPERIMENTS:
        path = out / name / "summary.csv"
        if not path.exists():
            lines.append(f"| {name} | – | – | not run yet | pending | – |")
            continue
        summary = pd.read_csv(path)
        summary = summary[~summary["row"].str.contains(r"\[", regex=True)]
        for r in summary.itertuples():
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
            lines.append(f"| {name} | {r.row} | {_paper_text(r)} | {_ours_text(r)} | {r.verdict} | "
                         f"[{name}/summary.md]({name}/summary.md) |")
    lines += ["", "Verdicts: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "."]
    path = out / "README.md"
    write_atomic(path, "\n".join(lines) + "\n")
    return path
