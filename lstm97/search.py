"""Searching readings: one paper row trained under each reading of its experiment's grid, in one table.

An experiment declares the readings worth trying as data: ``READINGS`` in ``experiments/expN.py``, a tuple of
``readings.Reading`` (``PAPER`` first). For a paper row, each reading keeps only its fields that apply to the
row's task (``Reading.applying_to``), the experiment's ``rows(reading, pilot=True)`` builds the row, and a
reading whose row is one already in the grid (the same fingerprint: the field changes nothing for this row)
is tried once. Every row trains through ``sweep.run_sweep`` into the experiment's job store
(``<out>/<experiment>/jobs``), so a search resumes job by job and shares finished jobs with ``run``.

The table, ``<out>/readings/{trials.csv,summary.csv,summary.md}``, holds one line per (paper row, reading,
seed) with finished jobs, rebuilt at every call from ``runs.json``: the (row, seed, trials, quick) that were
asked for. Searches run on seed 1 by default, a seed no reported table uses; a reading picked there counts
only after a confirmation run on seed 0 at the paper's trial count (``--seed 0``).
"""
from __future__ import annotations

import difflib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from lstm97.config import Row
from lstm97.engines import fingerprint
from lstm97.experiment import Experiment, shrink_row
from lstm97.files import tables_folder, write_atomic
from lstm97.provenance import provenance
from lstm97.readings import FIELDS, PAPER, Reading
from lstm97.report import summarise, trials_frame, with_columns
from lstm97.runs import collect
from lstm97.sweep import batches, finished, load_job, most_steps, run_sweep

FOLDER = "readings"               # <out>/readings (files.tables_folder(out, "readings", 0))
INDEX = "runs.json"
SEARCH_SEED = 1                   # the default seed of a search: no reported table uses it
CONFIRM_SEED = 0                  # the seed of every reported table, and of a confirmation run


class SearchError(ValueError):
    """A row, reading or index the search cannot use; the message is one line for the user."""


Catalog = Mapping[str, Experiment]         # the experiments by name (the command line passes them in)


def searchable(catalog: Catalog) -> tuple[str, ...]:
    """The experiments that declare a grid (``readings``) and build their rows from a reading (``build``)."""
    return tuple(name for name, experiment in catalog.items() if experiment.searchable)


def declared(experiment: Experiment) -> tuple[Reading, ...]:
    """The experiment's ``readings``, ``PAPER`` first and each once."""
    return tuple(dict.fromkeys((PAPER, *experiment.readings)))


@dataclass(frozen=True)
class Plan:
    """One search: a paper row, the grid of rows built under its readings, the ones this call trains."""
    experiment: str
    label: str
    grid: tuple[Row, ...]           # one row per distinct reading, the paper's first
    skipped: tuple[str, ...]        # declared readings that build no row of their own, with why
    rows: tuple[Row, ...]           # those trained now (the grid, or the one --only names)
    trials: int                     # trials of each job
    quick: bool

    @property
    def name(self) -> str:
        return f"{self.experiment} {self.label}"


def parse_row(text: str, catalog: Catalog) -> tuple[Experiment, Row]:
    """``"<experiment> <label>"`` → the experiment and its paper row (a non-pilot row that is run)."""
    experiment, _, label = " ".join(text.split()).partition(" ")
    known = searchable(catalog)
    if experiment not in known:
        if experiment in catalog:
            raise SearchError(f"{experiment} declares no readings to search; experiments with READINGS: "
                              f"{', '.join(known)}")
        close = difflib.get_close_matches(experiment, known, n=2)
        raise SearchError(f"unknown experiment {experiment!r} in ROW {text!r}; "
                          + (f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(known)}")
                          + " (ROW is '<experiment> <label>', e.g. 'exp4 T=100')")
    rows = [r for r in catalog[experiment].rows if not r.pilot]
    found = [r for r in rows if r.label == label]
    labels = [r.label for r in rows if r.run]
    if not label:
        raise SearchError(f"ROW is '<experiment> <label>'; {experiment}'s rows: {', '.join(labels[:6])}"
                          f"{', …' if len(labels) > 6 else ''}")
    if not found:
        close = difflib.get_close_matches(label, labels, n=3, cutoff=0.5)
        hint = (f"did you mean {', '.join(repr(c) for c in close)}?" if close else
                f"its rows: {', '.join(labels[:6])}{', …' if len(labels) > 6 else ''}")
        raise SearchError(f"{experiment} has no paper row {label!r}; {hint}")
    row = found[0]
    if not row.run:
        raise SearchError(f"{experiment} {label} is not reproduced, so it has no readings to search"
                          + (f" ({row.note})" if row.note else ""))
    return catalog[experiment], row


def grid(experiment: Experiment, paper_row: Row, quick: bool = False) -> tuple[tuple[Row, ...], tuple[str, ...]]:
    """The rows of ``paper_row``'s label under each declared reading (``--quick``: shrunk by
    ``experiment.shrink_row``), the paper's first; and the declared readings dropped, each with why."""
    rows: dict[str, Row] = {}          # fingerprint → row
    skipped = []
    for reading in declared(experiment):
        applied = reading.applying_to(experiment.name, paper_row.task_name)
        if applied != reading and applied == PAPER:
            skipped.append(f"{reading.name} (does not apply to {paper_row.task_name})")
            continue
        (row,) = [r for r in experiment.build(applied, applied != PAPER) if r.label == paper_row.label]
        if quick:
            row = (experiment.shrink or shrink_row)(row)
        same = rows.get(fingerprint(row))
        if same is not None:
            if reading.name != same.reading.name:
                skipped.append(f"{reading.name} (builds the same row as {same.reading.name})")
            continue
        rows[fingerprint(row)] = row
    return tuple(rows.values()), tuple(skipped)


def plan(row_text: str, catalog: Catalog, only: str | Sequence[str] | None = None, quick: bool = False,
         trials: int | None = None) -> Plan:
    """Check a search's row and ``--only`` readings (one name or several; ``SearchError``, ``ReadingError``:
    one line) and say what it trains, in the grid's order (readings of one shape then share a program);
    nothing is written."""
    experiment, paper_row = parse_row(row_text, catalog)
    rows, skipped = grid(experiment, paper_row, quick)
    chosen = rows
    if only is not None:
        wanted = [Reading.parse(name) for name in ((only,) if isinstance(only, str) else only)]   # ReadingError
        for reading in wanted:
            if not any(r.reading == reading for r in rows):
                why = [s for s in skipped if s.split(" (")[0] == reading.name]
                raise SearchError(f"reading {reading.name!r} is not in the grid of {experiment.name} "
                                  f"{paper_row.label}" + (f": {why[0].split(' (', 1)[1][:-1]}" if why else "")
                                  + f"; its grid: {', '.join(r.reading.name for r in rows)}")
        chosen = tuple(r for r in rows if r.reading in wanted)
    count = trials if trials is not None else chosen[0].trials
    return Plan(experiment.name, paper_row.label, rows, skipped, chosen, count, quick)


# ---- the index of searches ---------------------------------------------------------------------------------

def index_path(out: Path) -> Path:
    return tables_folder(out, FOLDER, 0) / INDEX


def read_index(out: Path) -> list[dict]:
    """The searches asked for so far in ``out`` (``runs.json``); a broken file: ``SearchError``."""
    path = index_path(out)
    if not path.exists():
        return []
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))["runs"]
        if not isinstance(runs, list) or not all(
                isinstance(r, dict) and isinstance(r["row"], str) and isinstance(r["seed"], int)
                and isinstance(r["trials"], int) and isinstance(r["quick"], bool) for r in runs):
            raise ValueError("its runs are not (row, seed, trials, quick) entries")
    except (OSError, ValueError, KeyError, TypeError) as e:
        problem = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SearchError(f"{path}: not a readings index ({problem}); move it away to start a new one") from None
    return runs


def _entry_key(entry: dict) -> tuple:
    return entry["row"], entry["seed"], entry["trials"], entry["quick"]


def add_to_index(out: Path, entry: dict) -> None:
    runs = [r for r in read_index(out) if _entry_key(r) != _entry_key(entry)] + [entry]
    write_atomic(index_path(out), json.dumps({"runs": runs}, indent=1) + "\n")


# ---- a search ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Done:
    trained: int
    reused: int


def search(job: Plan, out: Path, catalog: Catalog, seed: int = SEARCH_SEED, workers: int = 1, command: str = "",
           show: bool = True) -> Done:
    """Train ``job.rows`` (resuming: finished jobs are reused), then rebuild ``<out>/readings``. The search is
    in the index before anything trains, so a killed search's finished jobs reach the table next time."""
    entry = {"row": job.name, "seed": seed, "trials": job.trials, "quick": job.quick, "command": command,
             "date": time.strftime("%Y-%m-%d")}
    add_to_index(out, entry)
    reused = finished(job.rows, out, seed, job.trials)
    # a row's readings train side by side wherever they can share one program (engines.wide_key)
    records = run_sweep(job.rows, out, seed=seed, trials=job.trials, workers=workers, show=show, pack="wide")
    add_to_index(out, entry)        # again: a search into the same folder meanwhile may have written it without
    write_tables(out, catalog, command)
    return Done(len(records) - reused, reused)


@dataclass(frozen=True)
class Program:
    """One program a search would run (``sweep.batches``, packed as ``search`` packs them)."""
    readings: tuple[str, ...]       # those it trains
    reused: tuple[str, ...]         # those of its batch whose job is finished for the seed (a run reuses them)
    trials: int                     # trials of each reading
    steps: int                      # padded trial-steps at most: every lane until the program's longest trial may stop


def programs(job: Plan, out: Path, seed: int = SEARCH_SEED) -> list[Program]:
    """What ``search(job, out, seed=seed)`` would do, batch by batch in its order (a batch whose jobs are all
    finished trains nothing), without training or writing anything."""
    made = []
    for group in batches(list(job.rows), "wide", job.trials):
        done = [load_job(out, row, seed, job.trials) is not None for row in group]
        todo = [row for row, finished_ in zip(group, done) if not finished_]
        steps = max((most_steps(row, 1) for row in todo), default=0) * job.trials * len(todo)
        made.append(Program(tuple(row.reading.name for row in todo),
                            tuple(row.reading.name for row, finished_ in zip(group, done) if finished_),
                            job.trials, steps))
    return made


# ---- the table ---------------------------------------------------------------------------------------------

COLUMNS = ["experiment", "row", "reading", "pilot", "seed", "trials", "successes", "success_pct", "success_ci_low",
           "success_ci_high", "mean_sequences", "median_sequences", "paper_success_pct", "paper_sequences",
           "verdict", "readings_tried", "grid", "commits", "cap", "quick"]


def write_tables(out: Path, catalog: Catalog, command: str = "") -> Path:
    """Rebuild ``<out>/readings`` from every search in its index: each grid row's finished job of that seed
    (at the largest trial count asked for whose job is finished)."""
    runs = read_index(out)
    groups: dict[tuple, list[int]] = {}
    for entry in runs:
        groups.setdefault((entry["row"], entry["quick"], entry["seed"]), []).append(entry["trials"])
    frames, lines, searched, unknown = [], [], [], []
    for (name, quick, seed), counts in sorted(groups.items(), key=lambda g: (_first(runs, g[0]), g[0][2])):
        try:
            experiment, paper_row = parse_row(name, catalog)
        except SearchError:
            unknown.append(name)
            continue
        rows, skipped = grid(experiment, paper_row, quick)
        found = []
        for row in rows:
            for count in sorted(set(counts), reverse=True):
                if pairs := collect(out, (row,), seed, count):
                    found.append((row, with_columns(pairs)[0]))
                    break
        searched.append({"row": name, "seed": seed, "quick": quick, "tried": len(found), "grid": rows,
                         "skipped": skipped, "trials": sorted(set(counts)),
                         "commands": [r["command"] for r in runs if (r["row"], r["quick"], r["seed"]) ==
                                      (name, quick, seed) and r.get("command")]})
        if not found:
            continue
        frame = trials_frame([rec for _, rec in found])
        frame["quick"] = quick
        frames.append(frame)
        summary = summarise(frame, tuple(row for row, _ in found), quick=quick)
        for (row, rec), line in zip(found, summary.to_dict("records")):
            lines.append({**line, "experiment": experiment.name, "seed": seed, "readings_tried": len(found),
                          "grid": len(rows), "commits": ";".join(sorted({rec.get("commit", "unknown")})),
                          "quick": quick})
    folder = tables_folder(out, FOLDER, 0)
    trials = pd.concat(frames, ignore_index=True) if frames else trials_frame([]).assign(quick=[])
    summary = pd.DataFrame(lines, columns=COLUMNS)
    write_atomic(folder / "trials.csv", trials.to_csv(index=False, float_format="%.6g"))
    write_atomic(folder / "summary.csv", summary.to_csv(index=False, float_format="%.6g"))
    write_atomic(folder / "summary.md", markdown(summary, searched, unknown, command, provenance()))
    return folder


def _first(runs: list[dict], key: tuple) -> int:
    """Where a (row, quick, seed) first appears in the index: the table keeps the order rows were searched."""
    name, quick, _ = key
    return next(i for i, r in enumerate(runs) if (r["row"], r["quick"]) == (name, quick))


def _num(x, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def markdown(summary, searched: list[dict], unknown: list[str], command: str, meta: dict) -> str:
    fields = ", ".join(f"{f.name} ({' | '.join(f.allowed)})" for f in FIELDS.values())
    out = ["# Readings searched: paper rows under other readings of what the paper leaves open", "",
           "One line per paper row, reading and seed with finished jobs: the row built by its experiment's "
           "`rows(reading)` under each reading of the experiment's grid (`READINGS` in experiments/expN.py; "
           "fields and values in lstm97/readings.py: " + fields + "), trained by `python -m lstm97 readings`. "
           "A reading that changes nothing for a row is tried once (listed below).", "",
           f"Last rebuilt by `{command or '?'}` at commit `{meta.get('commit', '?')}` ({time.strftime('%Y-%m-%d')}; "
           f"python {meta.get('python', '?')}, jax {meta.get('jax', '?')}, jaxlib {meta.get('jaxlib', '?')}, "
           f"numpy {meta.get('numpy', '?')}, optax {meta.get('optax', '?')}, {meta.get('device', '?')}, "
           f"{meta.get('cpus', '?')} CPUs). Each line's jobs name their own commit (last column).", "",
           f"**Rule.** A search runs on seed {SEARCH_SEED} by default, a seed no reported table uses. A reading "
           f"picked on the search seed counts only after a confirmation run on seed {CONFIRM_SEED} at the paper's "
           "trial count (`python -m lstm97 readings \"ROW\" --only NAME --seed 0`), and a default changes only "
           "with that evidence, recorded in decisions.md and docs/deviations.md.", "",
           "Success: k/n trials with an exact 95 % interval. Sequences: mean and median sequences to success over "
           "successful trials (the experiment page says what they count). Verdict: the experiment pages' rule: "
           "reproduced when the paper's rate lies in our interval and our mean is within ×0.5–×2 of the paper's; "
           "partly when one of the two holds."]
    if summary["quick"].astype(bool).any() if len(summary) else False:
        out += ["", "> QUICK RUN lines (quick: True): small budgets (at most 2 trials, cap 1,000 sequences, windows "
                "of 100) — a smoke test of the pipeline, not a result; verdicts do not apply."]
    out += ["", "## Rows searched", ""]
    for s in searched:
        names = ", ".join(r.reading.name for r in s["grid"])
        trials = "/".join(str(t) for t in s["trials"])
        out.append(f"- {s['row']}{' (quick)' if s['quick'] else ''}, seed {s['seed']}, {trials} trial"
                   f"{'' if s['trials'] == [1] else 's'} a reading: readings tried: {s['tried']} of "
                   f"{len(s['grid'])} in its grid ({names})"
                   + (f"; not tried: {'; '.join(s['skipped'])}" if s["skipped"] else "")
                   + (f" — `{s['commands'][-1]}`" if s["commands"] else ""))
    if not searched:
        out.append("- none yet")
    if unknown:
        out.append(f"- no longer searchable (index entries kept): {', '.join(sorted(set(unknown)))}")
    out += ["", "| experiment | row | reading | seed | success | % [95% CI] | paper % | mean sequences | median | "
            "paper sequences | verdict | trials | readings tried | commit |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        out.append(" | ".join([
            f"| {r.experiment}", r.row, str(r.reading), str(r.seed), f"{r.successes}/{r.trials}",
            f"{_num(r.success_pct)} [{_num(r.success_ci_low, 1)}, {_num(r.success_ci_high, 1)}]",
            _num(r.paper_success_pct), _num(r.mean_sequences), _num(r.median_sequences), _num(r.paper_sequences),
            r.verdict, str(r.trials), f"{r.readings_tried} of {r.grid}", r.commits]) + " |")
    if not len(summary):
        out.append("| – | – | – | – | no finished jobs yet |" + " – |" * 9)
    return "\n".join(out) + "\n"
