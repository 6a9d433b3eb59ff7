"""A run's results: its finished job files (the job store) → ``trials.csv`` and the run's meta file → the
tables and figures, through the experiment's table builder (``Experiment.tables``, ``report.Tables``).
``python -m lstm97 run`` ends here, and so does ``report --collect``; the tables never read a job file.
"""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pandas as pd

from lstm97.experiment import Experiment
from lstm97.files import tables_folder, write_atomic
from lstm97.provenance import provenance
from lstm97.report import tables_of, write_overview
from lstm97.sweep import load_job
from lstm97.trainers import Job


def collect(out: Path, rows: tuple[Job, ...], seed: int, trials: int | None) -> list[tuple[Job, dict]]:
    """Every finished job of ``rows`` whose file matches its row, seed and trial count, with its row."""
    return [(row, rec) for row in rows if row.run
            if (rec := load_job(out, row, seed, row.trials if trials is None else trials))]


def write_report(experiment: Experiment, out: Path, rows: tuple[Job, ...], seed: int, trials: int | None,
                 command: str, wall_s: float | None, quick: bool, overview: tuple[str, ...] = ()) -> None:
    """Gather every finished job of the experiment (this run's and earlier ones') into the tables of
    ``seed`` (``files.tables_folder``: seed 0's in ``out/<experiment>``, another's in a folder of its own);
    with ``overview`` (the paper's experiments), seed 0's tables also update ``out/README.md``."""
    tables = tables_of(experiment)
    folder = tables_folder(out, experiment.name, seed)
    pairs = collect(out, rows, seed, trials)
    text = tables.csv(pairs)
    if text is not None:
        write_atomic(folder / "trials.csv", text)
    frame = pd.read_csv(io.StringIO(text)) if text else pd.DataFrame()   # what trials.csv holds, as a rebuild reads
    run = {"command": command, "quick": quick, "seed": seed, "trials": trials, "date": time.strftime("%Y-%m-%d"),
           "wall_s": wall_s, "provenance": provenance()}
    meta = tables.describe(pairs, rows, folder, run)
    write_atomic(folder / tables.meta_file, json.dumps(meta, indent=1) + "\n")
    tables.write(experiment, folder, frame, rows, meta, figures=True)
    if seed == 0 and overview:
        write_overview(out, overview)
