"""Per-trial rows → summary tables beside the paper's numbers → figures. No training happens here, and no
job file is read: ``runs.write_report`` gathers the jobs into ``trials.csv`` and calls ``write_tables`` and
``write_figures``; ``rebuild`` (``make tables figures``) reads only the committed ``trials.csv``, ``run.json``
and the rows' configs.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from lstm97 import plots
from lstm97.config import Row
from lstm97.experiment import Experiment
from lstm97.files import tables_folder, write_atomic
from lstm97.paper import TEST_SET
from lstm97.marks import QUICK_TITLE, QUICK_VERDICT, quick_banner, quick_parts, sizes_text, span  # noqa: F401
from lstm97.summary import summarise  # noqa: F401 (tables are built here; plots and search use it too)
from lstm97.trials_file import confusion, read_trials

TRIAL_COLUMNS = ["experiment", "row", "cell", "reading", "pilot", "seed", "trial", "success", "sequences", "presented",
                 "learned_at", "grown_at", "reason", "final_error", "wall_s",
                 "st1_at", "test_sequences", "test_wrong", "test_mean_error", "test_error_hist",
                 "test_confusion", "paper_row", "rate_factor", "variant"]    # the last six: exps 3-6 (histogram over stats.ERROR_BINS; exp 6's confusion)


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


def markdown(summary: pd.DataFrame, title: str, meta: dict, test_sequences: list[int] | None = None,
             sequences: str = "") -> str:
    """``summary.md``; ``test_sequences``: the test-set sizes used (``sizes_tested``; default the paper's);
    ``sequences``: what the experiment's sequences count (``Experiment.sequences``)."""
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
           + sequences.format(tests=tests) +
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


# where docs/deviations.md diagnoses each experiment's rows that do not reproduce (the mechanisms measured, the
# readings tried), from an experiment page
DIAGNOSIS = {"exp2": "../../docs/deviations.md#what-we-tried-where-exp-2-does-not-reproduce"}
CONFIRMED_WHY = "../docs/deviations.md#readings-confirmed-as-a-rows-answer"     # from results/README.md
DIAGNOSIS_ELSE = "../../docs/deviations.md#what-we-tried-where-exps-1-3-6-do-not-reproduce"


def where_they_fail(summary: pd.DataFrame, trials: pd.DataFrame, experiment: str, searched: dict | None = None,
                    tests: str = f"{TEST_SET:,}") -> str:
    """A page's section on its paper rows that do not reproduce, read from the trial rows: how many trials
    stopped at the cap or diverged, their running training error at the end and (exps 3-6) their final nets'
    test errors beside the successful trials', and how far the successful trials' mean lies from the paper's;
    then the readings ``python -m lstm97 readings`` tried on the row (``searched``: ``_searched``; ``None``: not
    said, as on another seed's page)."""
    pilots = summary["pilot"].astype(str) == "True"
    failing = summary[~pilots & (summary["trials"] > 0) & ~summary["verdict"].isin(["reproduced", QUICK_VERDICT])]
    if failing.empty:
        return ""
    own = trials[trials["pilot"].astype(str) != "True"] if "pilot" in trials else trials
    out = ["", "## Where the rows that do not reproduce fail", "",
           "From the trial rows above (each row's answer: its confirmed reading where it has one, else the "
           "defaults; this seed). Failed: trials stopped at the cap or "
           "diverged; error: the running training error the stopping rule reads, at the end (median, range)"
           + (f"; wrong: the final net's errors on {tests} fresh sequences (median, range)"
              if "test_wrong" in own and own["test_wrong"].notna().any() else "")
           + f". The mechanisms measured and the readings tried: [docs/deviations.md]"
           f"({DIAGNOSIS.get(experiment, DIAGNOSIS_ELSE)}).", ""]

    def spread(values: pd.Series, digits: int) -> str:
        values = pd.to_numeric(values, errors="coerce").dropna()
        if values.empty:
            return "–"
        return f"{_num(values.median(), digits)} ({_num(values.min(), digits)}–{_num(values.max(), digits)})"

    for r in failing.itertuples():
        mine = own[(own["row"] == r.row) & ((own["reading"] == r.reading) if "reading" in own else True)]
        ok, failed = mine[mine["success"].astype(str) == "True"], mine[mine["success"].astype(str) != "True"]
        parts = []
        if len(failed):
            reasons = failed["reason"].value_counts()
            parts.append(f"{len(failed)} of {len(mine)} failed ("
                         + ", ".join(f"{n} {'at the cap of ' + format(int(r.cap), ',') if why == 'cap' else why}"
                                     for why, n in reasons.items()) + ")")
            compare = [("error", "final_error", 4)]
            if "test_wrong" in mine and mine["test_wrong"].notna().any():
                compare.append(("wrong", "test_wrong", 0))
            for name, column, digits in compare:
                text = f"{name} {spread(failed[column], digits)}"
                if len(ok):
                    text += f" (successful trials: {spread(ok[column], digits)})"
                parts.append(text)
            if "test_confusion" in failed and failed["test_confusion"].map(lambda c: isinstance(c, str)).all():
                parts.append(misread(failed["test_confusion"]))
        if r.successes and not pd.isna(r.paper_sequences) and r.paper_sequences:
            ratio = r.mean_sequences / r.paper_sequences
            if not 0.5 <= ratio <= 2:
                parts.append(f"the successful trials' mean is ×{ratio:.3f} the paper's "
                             f"({'faster' if ratio < 1 else 'slower'}; median {_num(r.median_sequences)})")
        if searched is not None:
            found = searched.get((experiment, r.row))
            parts.append(f"searched: {found.replace('](readings/', '](../readings/')}" if found
                         else "no reading searched yet")
        out.append(f"- **{r.row}** ({r.verdict}): " + "; ".join(parts) + ".")
    return "\n".join(out) + "\n"


def misread(confusions: pd.Series) -> str:
    """Exp 6's failed nets, from their final confusion matrices (true × most active output, ``train.final_test``):
    how many classes each gets right (most of its test sequences on the right output), in trial order, and,
    pooled over their misclassified sequences, how often the guess misreads each relevant position. A class is
    its relevant symbols read as binary, t1 most significant (``lstm97/tasks/exp6.py``), so a guess misreads
    position k where its class index differs from the truth's in bit k."""
    matrices = np.stack([confusion(c) for c in confusions])
    n = matrices.shape[1]
    bits = n.bit_length() - 1
    right = (2 * np.diagonal(matrices, axis1=1, axis2=2) > matrices.sum(2)).sum(1)
    off = matrices.sum(0) * (1 - np.eye(n, dtype=int))               # pooled misclassified sequences
    wrong = int(off.sum())
    text = f"classes right per failed net {', '.join(map(str, right))} of {n}"
    if wrong and n == 2 ** bits:
        index = np.arange(n)
        differs = [(index[:, None] ^ index[None, :]) >> (bits - 1 - k) & 1 for k in range(bits)]
        text += (f"; of their {wrong:,} misclassified test sequences the guess misreads "
                 + ", ".join(f"t{k + 1} in {100 * (off * d).sum() / wrong:.0f} %" for k, d in enumerate(differs)))
    return text


def _true(value) -> bool:
    return str(value) == "True"


def extra_columns(summary: pd.DataFrame) -> bool:
    """Exps 3-6 report ST1 and the final tests (on ``row.test_sequences`` fresh sequences) beside the paper's."""
    return bool(summary[["paper_st1", "paper_test_wrong", "paper_test_error"]].notna().any().any())


def write_tables(experiment: Experiment, folder: Path, trials: pd.DataFrame, rows: tuple[Row, ...],
                 meta: dict) -> pd.DataFrame:
    """``summary.csv`` and ``summary.md`` (the paper's columns), then the experiment's further pages."""
    summary = summarise(trials, rows, quick=bool(meta.get("quick")))
    tests = sizes_tested(trials, rows)
    write_atomic(folder / "summary.csv", summary.to_csv(index=False, float_format="%.6g"))
    page = markdown(summary, experiment.title, {"experiment": experiment.name, **meta}, tests, experiment.sequences)
    if experiment.paper:                                    # the paper's experiments, not the comparison
        searched = _searched(folder.parent) if folder.name == experiment.name else None     # seed 0's page
        page += where_they_fail(summary, trials, experiment.name, searched, sizes_text(tests))
    write_atomic(folder / "summary.md", page)
    if experiment.pages is not None:
        experiment.pages(folder, summary, trials, rows, meta, tests)
    return summary


class Tables(Protocol):
    """An experiment's table builder (``Experiment.tables``; ``None``: ``PAPER``), the one report path's
    steps: ``csv`` turns the finished jobs (``(row, record)`` pairs) into ``trials.csv``, ``describe`` the
    run into its ``meta_file``; ``read`` gives a committed folder's trials and meta back (a broken file:
    ``FileNotFoundError`` or ``ValueError``, one line, before anything is written), ``rows`` the rows they
    were made with, ``write`` the tables (and figures) from them."""
    meta_file: str

    def csv(self, pairs: list[tuple[Any, dict]]) -> str | None: ...
    def describe(self, pairs: list[tuple[Any, dict]], rows: tuple, folder: Path, run: dict) -> dict: ...
    def read(self, folder: Path, experiment: Experiment, seed: int) -> tuple[pd.DataFrame, dict]: ...
    def rows(self, experiment: Experiment, meta: dict) -> tuple: ...
    def write(self, experiment: Experiment, folder: Path, trials: pd.DataFrame, rows: tuple, meta: dict,
              figures: bool) -> None: ...


def with_columns(pairs: list[tuple[Row, dict]]) -> list[dict]:
    """Each job's record with every trial carrying its row's reading, pilot flag and grouping columns (paper
    row, rate factor, variant: ``Row.columns``), from the row that owns the file."""
    return [{**rec, "trials": [{**t, "reading": row.reading.name, "pilot": row.pilot, **row.columns}
                               for t in rec["trials"]]} for row, rec in pairs]


def trials_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([t for rec in records for t in rec["trials"]], columns=TRIAL_COLUMNS)


def job_name(label: str, reading: str) -> str:
    """A job's label, with its reading where that is not the paper's (rows of several readings share labels):
    how run.json names jobs."""
    return label if reading == "paper" else f"{label} ({reading})"


def _job_name(record: dict) -> str:
    return job_name(record["label"], record["trials"][0]["reading"] if record["trials"] else "paper")


class PaperTables:
    """The paper's columns (``write_tables``, ``write_figures``) from ``trials.csv`` and ``run.json``."""
    meta_file = "run.json"

    def csv(self, pairs: list[tuple[Row, dict]]) -> str:
        return trials_frame(with_columns(pairs)).to_csv(index=False, float_format="%.6g")

    def describe(self, pairs: list[tuple[Row, dict]], rows: tuple, folder: Path, run: dict) -> dict:
        records = with_columns(pairs)
        wall_s = run["wall_s"]
        meta = {"command": run["command"], "quick": run["quick"], "seed": run["seed"], "trials": run["trials"],
                "date": run["date"], "wall_s": None if wall_s is None else round(wall_s, 1),
                "jobs_wall_s_total": round(sum(rec["wall_s"] / rec.get("pack_size", 1) for rec in records), 1),
                "job_wall_s": {_job_name(rec): rec["wall_s"] for rec in records},
                "job_commits": sorted({rec.get("commit", "unknown") for rec in records}), **run["provenance"]}
        packs = {_job_name(rec): rec["pack"] for rec in records if rec.get("pack")}    # batches as trained
        return meta | {"job_packs": packs} if packs else meta

    def read(self, folder: Path, experiment: Experiment, seed: int) -> tuple[pd.DataFrame, dict]:
        meta = read_meta(folder / self.meta_file)
        path = folder / "trials.csv"
        if not path.exists():
            with_seed = f" --seed {seed}" if seed else ""
            raise FileNotFoundError(f"{path} does not exist; run `python -m lstm97 run {experiment.name}{with_seed}` "
                                    "first")
        return read_trials(path), meta              # a broken file: TrialsFileError, before anything is written

    def rows(self, experiment: Experiment, meta: dict) -> tuple:
        return experiment.run_rows(quick=bool(meta.get("quick")))

    def write(self, experiment: Experiment, folder: Path, trials: pd.DataFrame, rows: tuple, meta: dict,
              figures: bool) -> None:
        write_tables(experiment, folder, trials, rows, meta)
        if figures:
            write_figures(experiment, folder, trials, rows, quick=bool(meta.get("quick")))


PAPER = PaperTables()


def tables_of(experiment: Experiment) -> Tables:
    return experiment.tables or PAPER


def rebuild(experiment: Experiment, out: Path, figures: bool = True, seed: int = 0,
            overview: tuple[str, ...] = ()) -> None:
    """Tables (and figures) from the committed trials.csv, the run's meta file and the experiment's row
    configs (``seed``: the tables of that seed, ``files.tables_folder``); with ``overview`` (the paper's
    experiments), seed 0's also update ``out/README.md``. Nothing trains, and no job file is read."""
    tables = tables_of(experiment)
    folder = tables_folder(out, experiment.name, seed)
    trials, meta = tables.read(folder, experiment, seed)
    tables.write(experiment, folder, trials, tables.rows(experiment, meta), meta, figures)
    if seed == 0 and overview:
        write_overview(out, overview)


def read_meta(path: Path) -> dict:
    """A run's description (``run.json``), or nothing where there is none; one that is no JSON object:
    ``ValueError`` naming the file."""
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a readable JSON file ({str(e).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: not a JSON object")
    return meta


def write_figures(experiment: Experiment, folder: Path, trials: pd.DataFrame, rows: tuple[Row, ...],
                  quick: bool = False) -> None:
    for name, fig in plots.figures(experiment.figures, trials, rows, quick).items():
        tmp = folder / f".{name}.tmp.png"
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        tmp.replace(folder / name)
        plots.close(fig)


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
    # best: the most successes, then the mean nearest the paper's by ratio (docs/deviations.md's pick rule)
    table["distance"] = (table["mean_sequences"] / table["paper_sequences"]).map(
        lambda ratio: abs(math.log(ratio)) if ratio > 0 else math.inf)
    for (experiment, row, seed), group in table.groupby(["experiment", "row", "seed"], sort=False):
        best = group.sort_values(["successes", "distance"], ascending=[False, True]).iloc[0]
        text = (f"seed {seed}: {len(group)} reading{'s' if len(group) > 1 else ''}; best {best.reading} "
                f"{int(best.successes)}/{int(best.trials)} ([readings](readings/summary.md))")
        found[(experiment, row)] = "; ".join(x for x in (found.get((experiment, row)), text) if x)
    return found


def write_overview(out: Path, experiments: tuple[str, ...]) -> Path:
    """``results/README.md``: one table of every paper row of each of ``experiments`` that has a summary."""
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
             "confirmation run on seed 0, which no search uses: *confirmed reading* is that answer, with its verdict "
             "(the row's line on its page; its default-reading line stays there as a pilot).", "",
             "| experiment | row | paper | ours | verdict | confirmed reading | other readings | searched | page |",
             "|---|---|---|---|---|---|---|---|---|"]
    searched = _searched(out)
    counts: dict[str, int] = {}
    found, quick = [], []
    for name in experiments:
        path = out / name / "summary.csv"
        if not path.exists():
            lines.append(f"| {name} | – | – | not run yet | pending | – | – | – | – |")
            continue
        summary = pd.read_csv(path)
        found.append(name)
        if _is_quick(summary, out / name):
            quick.append(name)
        pilots = summary["pilot"].astype(str) == "True" if "pilot" in summary else \
            pd.Series(False, index=summary.index)                   # summaries written before the column
        others = summary[pilots & summary["row"].isin(summary.loc[~pilots, "row"])] if "reading" in summary \
            else summary.iloc[:0]                                   # pilots that share a paper row's label
        for r in summary[~pilots].itertuples():
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
            mine = others[others["row"] == r.row]
            default, answer = r, "–"
            if str(getattr(r, "reading", "paper")) != "paper":        # the row's answer is a confirmed reading
                under = mine[mine["reading"] == "paper"]
                default = next(under.itertuples()) if len(under) else None
                mine = mine[mine["reading"] != "paper"]
                answer = f"{r.reading}: {_ours_text(r)}, **{r.verdict}** ([why]({CONFIRMED_WHY}))"
            other = "; ".join(f"{o.reading}: {_ours_text(o)}, {o.verdict}" for o in mine.itertuples() if o.trials)
            ours = (_ours_text(default), default.verdict) if default is not None else ("–", "–")
            lines.append(f"| {name} | {r.row} | {_paper_text(r)} | {ours[0]} | {ours[1]} | {answer} | "
                         f"{other or '–'} | {searched.get((name, r.row), '–')} | "
                         f"[{name}/summary.md]({name}/summary.md) |")
    lines += ["", "Each row's answer (under its confirmed reading where it has one, else the defaults): "
              + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "."]
    if quick:                  # a --quick run's folder (results/quick): title and banner say so
        which = "" if quick == found else f" ({', '.join(quick)})"
        lines[0] += QUICK_TITLE
        lines[1:1] = ["", quick_banner(["small budgets (each experiment's page states its trials per row, caps "
                                        "and test-set size)"], which=which)]
    path = out / "README.md"
    write_atomic(path, "\n".join(lines) + "\n")
    return path
