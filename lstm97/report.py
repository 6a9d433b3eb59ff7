"""Per-trial rows → summary tables beside the paper's numbers → figures. No training happens here.

``write_report`` runs after a sweep: it gathers the job files into ``trials.csv`` and writes ``run.json``;
``rebuild`` (``make tables figures``) reads only the committed ``trials.csv`` and the rows' configs.
"""
from __future__ import annotations

import io
import json
import math
import time
from pathlib import Path

import pandas as pd

from lstm97.config import Row
from lstm97.marks import QUICK_TITLE, QUICK_VERDICT, quick_banner, quick_parts, sizes_text, span  # noqa: F401
from lstm97.store import tables_folder, write_atomic
from lstm97.sweep import load_job, provenance
from lstm97.summary import summarise  # noqa: F401 (tables are built here; plots and search use it too)

TRIAL_COLUMNS = ["experiment", "row", "cell", "reading", "pilot", "seed", "trial", "success", "sequences", "presented",
                 "learned_at", "grown_at", "reason", "final_error", "wall_s",
                 "st1_at", "test_sequences", "test_wrong", "test_mean_error", "test_error_hist",
                 "test_confusion"]    # the last six: exps 3-6 (histogram over train.ERROR_BINS; exp 6's confusion)


def _num(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def sizes_tested(trials: pd.DataFrame, rows: tuple[Row, ...] = ()) -> list[int]:
    """The test-set sizes the trial rows record (``test_sequences``), else those the rows are built with:
    the number the tables and figures state, never a fixed 2,560."""
    labels = {r.label for r in rows}
    if "test_sequences" in trials and len(trials):
        got = trials[trials["row"].isin(labels)] if labels else trials
        values = pd.to_numeric(got["test_sequences"], errors="coerce").dropna()
        sizes = sorted({int(v) for v in values if v > 0})
        if sizes:
            return sizes
    return sorted({r.test_sequences for r in rows if r.run and r.test_sequences})


def markdown(summary: pd.DataFrame, title: str, meta: dict, test_sequences: list[int] | None = None) -> str:
    """``summary.md``; ``test_sequences``: the test-set sizes used (``sizes_tested``; default the paper's)."""
    from lstm97.paper import TEST_SET
    tests = sizes_text(test_sequences)
    quick = bool(meta.get("quick"))
    out = [f"# {title}" + (QUICK_TITLE if quick else ""), ""]
    if quick:
        out += [quick_banner(quick_parts(summary, test_sequences)), ""]
    out += [f"Seed {meta.get('seed', 0)}. Made by `{meta.get('command', '?')}` at commit `{meta.get('commit', '?')}` "
           f"({meta.get('date', '?')}; jax {meta.get('jax', '?')}, {meta.get('device', '?')}, "
           f"{meta.get('cpus', '?')} CPUs; jobs trained for {_num(meta.get('jobs_wall_s_total', math.nan))} s in "
           f"all; each job's own commit and time are in run.json and jobs/).", "",
           "Success: k/n trials with an exact 95 % interval. "
           + SEQUENCES.get(meta.get("experiment"), "").format(tests=tests) +
           " Verdict: reproduced when the paper's rate lies in our interval and our mean is within ×0.5–×2 of the "
           "paper's; partly when one of the two holds; pending: not finished yet (the same `make` target resumes "
           "it). Reading: the project's readings of what the paper leaves open (lstm97/readings.py); *paper* is the "
           "defaults, and every line marked *pilot* tries another reading (docs/deviations.md).", "",
           "| row | reading | cell | weights | lr | success | % [95% CI] | paper % | mean sequences [95% CI] | median | "
           "range | learned | paper sequences | cap | verdict | note |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    if extra_columns(summary):
        paper_of = "" if tests == f"{TEST_SET:,}" else f", of {TEST_SET:,}"      # the paper's test set: 2,560
        out[-2] = out[-2].replace("| learned |", f"| ST1 (paper) | test wrong of {tests}: mean, max "
                                  f"(paper{paper_of}) | test error (paper) |")
        out[-1] = "|" + "---|" * 18
    for r in summary.itertuples():
        ran = r.trials > 0
        learned = [_num(r.median_learned_at)]
        if extra_columns(summary):
            learned = [f"{_num(r.mean_st1)} ({_num(r.paper_st1)})",
                       f"{_num(r.mean_test_wrong, 1)}, {_num(r.max_test_wrong)} ({_num(r.paper_test_wrong, 1)})",
                       f"{_num(r.mean_test_error, 4)} ({_num(r.paper_test_error, 4)})"]
        out.append(" | ".join([
            f"| {r.row}", ("pilot: " if _true(r.pilot) else "") + str(r.reading), r.cell, _num(r.weights), f"{r.learning_rate:g}",
            f"{r.successes}/{r.trials}" if ran else r.verdict,
            f"{_num(r.success_pct)} [{_num(r.success_ci_low, 1)}, {_num(r.success_ci_high, 1)}]" if ran else "–",
            _num(r.paper_success_pct),
            f"{_num(r.mean_sequences)} [{_num(r.mean_ci_low)}, {_num(r.mean_ci_high)}]" if ran else "–",
            _num(r.median_sequences),
            f"{_num(r.min_sequences)}–{_num(r.max_sequences)}" if r.successes else "–",
            *learned, _num(r.paper_sequences), f"{r.cap:,}" if r.cell != "not run" else "–", r.verdict, r.note or "",
        ]) + " |")
    return "\n".join(out) + "\n"


def _true(value) -> bool:
    return str(value) == "True"


def extra_columns(summary: pd.DataFrame) -> bool:
    """Exps 3-6 report ST1 and the final tests (on ``row.test_sequences`` fresh sequences) beside the paper's."""
    return bool(summary[["paper_st1", "paper_test_wrong", "paper_test_error"]].notna().any().any())


def trials_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([t for rec in records for t in rec["trials"]], columns=TRIAL_COLUMNS)


def write_tables(experiment: str, folder: Path, trials: pd.DataFrame, rows: tuple[Row, ...],
                 meta: dict) -> pd.DataFrame:
    summary = summarise(trials, rows, quick=bool(meta.get("quick")))
    tests = sizes_tested(trials, rows)
    write_atomic(folder / "summary.csv", summary.to_csv(index=False, float_format="%.6g"))
    write_atomic(folder / "summary.md", markdown(summary, TITLES.get(experiment, experiment),
                                                 {"experiment": experiment, **meta}, tests))
    if experiment == "compare":
        from lstm97.compare_report import comparison_page, remaining_work
        write_atomic(folder / "README.md", comparison_page(summary, meta, folder.parent / "cerg",
                                                           remaining_work(trials, rows), tests))
    return summary


def collect(out: Path, rows: tuple[Row, ...], seed: int, trials: int | None) -> list[dict]:
    """Every finished job of the experiment whose file matches its row, seed and trial count; each trial
    carries its row's reading and pilot flag (columns, from the row that owns the file)."""
    records = [(row, rec) for row in rows if row.run
               if (rec := load_job(out, row, seed, row.trials if trials is None else trials))]
    return [{**rec, "trials": [{**t, "reading": row.reading.name, "pilot": row.pilot} for t in rec["trials"]]}
            for row, rec in records]


def _job_name(record: dict) -> str:
    """A job's label, with its reading where that is not the paper's (rows of several readings share labels)."""
    reading = record["trials"][0]["reading"] if record["trials"] else "paper"
    return record["label"] if reading == "paper" else f"{record['label']} ({reading})"


def write_report(experiment: str, out: Path, rows: tuple[Row, ...], seed: int, trials: int | None,
                 command: str, wall_s: float | None, quick: bool) -> None:
    """Gather every finished job of the experiment (this run's and earlier ones') into the tables of
    ``seed`` (``store.tables_folder``: seed 0's in ``out/<experiment>``, another's in a folder of its own)."""
    folder = tables_folder(out, experiment, seed)
    records = collect(out, rows, seed, trials)
    text = trials_frame(records).to_csv(index=False, float_format="%.6g")
    write_atomic(folder / "trials.csv", text)
    frame = pd.read_csv(io.StringIO(text))          # the tables read what trials.csv holds, as a rebuild does
    meta = {"command": command, "quick": quick, "seed": seed, "trials": trials, "date": time.strftime("%Y-%m-%d"),
            "wall_s": None if wall_s is None else round(wall_s, 1),
            "jobs_wall_s_total": round(sum(rec["wall_s"] / rec.get("pack_size", 1) for rec in records), 1),
            "job_wall_s": {_job_name(rec): rec["wall_s"] for rec in records},
            "job_commits": sorted({rec.get("commit", "unknown") for rec in records}), **provenance()}
    write_atomic(folder / "run.json", json.dumps(meta, indent=1) + "\n")
    write_tables(experiment, folder, frame, rows, meta)
    write_figures(experiment, folder, frame, rows, quick=quick)
    if seed == 0:
        write_overview(out)


def rebuild(experiment: str, out: Path, figures: bool = True, from_jobs: bool = False, seed: int = 0) -> None:
    """Tables (and figures) from the committed trials.csv and the experiment's row configs; with
    ``from_jobs``, trials.csv is first rebuilt from the finished job files (after a resumed or partial run).
    ``seed``: the tables of that seed (``store.tables_folder``)."""
    from lstm97.experiments import quick, rows_of
    folder = tables_folder(out, experiment, seed)
    meta = json.loads((folder / "run.json").read_text()) if (folder / "run.json").exists() else {}
    rows = rows_of(experiment, quick=bool(meta.get("quick")))
    if meta.get("quick"):
        rows = tuple(quick(r) for r in rows)
    if from_jobs:
        write_report(experiment, out, rows, seed, meta.get("trials"),
                     command=f"python -m lstm97 report {experiment} --collect", wall_s=None,
                     quick=bool(meta.get("quick")))
        return
    path = folder / "trials.csv"
    if not path.exists():
        with_seed = f" --seed {seed}" if seed else ""
        raise FileNotFoundError(f"{path} does not exist; run `python -m lstm97 run {experiment}{with_seed}` first")
    from lstm97.trials_file import read_trials
    trials = read_trials(path)                      # a broken file: TrialsFileError, before anything is written
    write_tables(experiment, folder, trials, rows, meta)
    if figures:
        write_figures(experiment, folder, trials, rows, quick=bool(meta.get("quick")))
    if seed == 0:
        write_overview(out)


def write_figures(experiment: str, folder: Path, trials: pd.DataFrame, rows: tuple[Row, ...],
                  quick: bool = False) -> None:
    from lstm97 import plots
    for name, fig in plots.figures(experiment, trials, rows, quick).items():
        tmp = folder / f".{name}.tmp.png"
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        tmp.replace(folder / name)
        plots.close(fig)


SEQUENCES = {
    "exp1": "Sequences: training strings presented when every string of the trial's training and test set was "
            "first predicted correctly (checked every 1 % of the paper's mean), over successful trials (mean with a "
            "bootstrap 95 % interval, median, range).",
    "exp2": "Sequences: training sequences presented before the frozen-weight test of 10,000 fresh sequences that "
            "passed (run every 1 % of the paper's mean, decision 13; pilots under exp2_success=streak: before the "
            "run of 10,000 correct training sequences began), over successful trials only (mean with a bootstrap "
            "95 % interval, median, range). *Learned*: median sequences before the first run of 1,000 correct "
            "training sequences.",
    "exp3": "Sequences: training sequences presented when ST2 (3c: its single rule) first held on the trial's set of "
            "256, drawn once (pilots under st_test_set=fresh: a fresh set at every check; decision 14), checked every "
            "1 % of the paper's mean, over successful trials; ST1 likewise. Test: the final net "
            "on {tests} fresh sequences, mean over successful trials (paper: its fraction × 2,560).",
    "exp4": "Sequences: training sequences presented when ST3(0.01) first held (the 2,000 most recent all correct, "
            "their mean absolute error below 0.01), over successful trials. Test: the final net on {tests} fresh "
            "sequences, mean and worst over successful trials.",
    "exp5": "Sequences: training sequences presented when fewer than n_seq of the 2,000 most recent had an error "
            "above 0.04, over successful trials. Test: the final net on {tests} fresh sequences (wrong: error ≥ 0.04; "
            "error: mean absolute error, the paper's \"MSE\" column read as such).",
    "exp6": "Sequences: training sequences presented when ST3(0.1) first held, over successful trials. Test: the "
            "final net on {tests} fresh sequences (wrong: some output off by 0.3 or more).",
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


def _is_quick(summary: pd.DataFrame, folder: Path) -> bool:
    """Whether an experiment's summary comes from a --quick run: its ``quick`` column, else its run.json."""
    if "quick" in summary:
        return bool(summary["quick"].astype(str).str.lower().eq("true").any())
    try:
        return bool(json.loads((folder / "run.json").read_text()).get("quick"))
    except (OSError, ValueError, AttributeError):
        return False


def _searched(out: Path) -> dict[tuple[str, str], str]:
    """Per paper row, what ``python -m lstm97 readings`` tried (``readings/summary.csv``): on which seed, how
    many readings, and the best one's result, linked to the readings page."""
    path = out / "readings" / "summary.csv"
    if not path.exists():
        return {}
    table, found = pd.read_csv(path), {}
    for (experiment, row, seed), group in table.groupby(["experiment", "row", "seed"], sort=False):
        best = group.sort_values(["successes", "mean_sequences"], ascending=[False, True]).iloc[0]
        text = (f"seed {seed}: {len(group)} reading{'s' if len(group) > 1 else ''}; best {best.reading} "
                f"{int(best.successes)}/{int(best.trials)} ([readings](readings/summary.md))")
        found[(experiment, row)] = "; ".join(x for x in (found.get((experiment, row)), text) if x)
    return found


def write_overview(out: Path) -> Path:
    """``results/README.md``: one table of every paper row of every experiment that has a summary."""
    from lstm97.experiments import PAPER as EXPERIMENTS
    lines = ["# Results: every row of the paper's tables beside ours", "",
             "Built from each experiment's `summary.csv` by `make tables` (no training). Paper: success rate and "
             "mean training sequences to success as printed (exps 3-6 give no rate; read as 100 %, see "
             "docs/deviations.md). Ours: successful/all trials with the exact 95 % interval, then the mean and "
             "median sequences to success of the successful trials. Verdict: reproduced when the paper's rate "
             "lies in our interval and our mean is within ×0.5–×2 of the paper's; partly when one holds. *Ours* is "
             "under the project's default readings (`lstm97/readings.py`, docs/deviations.md); *other readings* "
             "are the same row under other readings of what the paper leaves open (pilots, with their own "
             "verdicts; the experiment pages have every pilot); *searched*: the readings `python -m lstm97 "
             "readings` tried on a search seed (`readings/summary.md`). A reading counts as a row's answer only after a "
             "confirmation run on seed 0, which no search uses.", "",
             "| experiment | row | paper | ours | verdict | other readings | searched | page |",
             "|---|---|---|---|---|---|---|---|"]
    searched = _searched(out)
    counts: dict[str, int] = {}
    found, quick = [], []
    for name in EXPERIMENTS:
        path = out / name / "summary.csv"
        if not path.exists():
            lines.append(f"| {name} | – | – | not run yet | pending | – |")
            continue
        summary = pd.read_csv(path)
        found.append(name)
        if _is_quick(summary, out / name):
            quick.append(name)
        pilots = summary["pilot"].astype(str) == "True" if "pilot" in summary else \
            summary["row"].str.contains(r"\[", regex=True)          # summaries written before the column
        others = summary[pilots & summary["row"].isin(summary.loc[~pilots, "row"])] if "reading" in summary \
            else summary.iloc[:0]                                   # pilots that share a paper row's label
        for r in summary[~pilots].itertuples():
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
            other = "; ".join(f"{o.reading}: {_ours_text(o)}, {o.verdict}"
                              for o in others[others["row"] == r.row].itertuples() if o.trials)
            lines.append(f"| {name} | {r.row} | {_paper_text(r)} | {_ours_text(r)} | {r.verdict} | {other or '–'} | "
                         f"{searched.get((name, r.row), '–')} | [{name}/summary.md]({name}/summary.md) |")
    lines += ["", "Verdicts: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "."]
    if quick:                  # a --quick run's folder (results/quick): title and banner say so
        which = "" if quick == found else f" ({', '.join(quick)})"
        lines[0] += QUICK_TITLE
        lines[1:1] = ["", quick_banner(["small budgets (each experiment's page states its trials per row, caps "
                                        "and test-set size)"], which=which)]
    path = out / "README.md"
    write_atomic(path, "\n".join(lines) + "\n")
    return path
