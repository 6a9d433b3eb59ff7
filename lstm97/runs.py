"""A run's results: its finished job files (the job store) → ``trials.csv`` and ``run.json`` → the report
(``report.write_tables``, ``report.write_figures``). ``python -m lstm97 run`` ends here, and so does
``report --collect``; the tables themselves never read a job file.
"""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pandas as pd

from lstm97.config import Row
from lstm97.experiment import Experiment
from lstm97.files import tables_folder, write_atomic
from lstm97.provenance import provenance
from lstm97.report import TRIAL_COLUMNS, write_figures, write_overview, write_tables
from lstm97.sweep import load_job


def trials_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([t for rec in records for t in rec["trials"]], columns=TRIAL_COLUMNS)


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


def write_report(experiment: Experiment, out: Path, rows: tuple[Row, ...], seed: int, trials: int | None,
                 command: str, wall_s: float | None, quick: bool, overview: tuple[str, ...] = ()) -> None:
    """Gather every finished job of the experiment (this run's and earlier ones') into the tables of
    ``seed`` (``files.tables_folder``: seed 0's in ``out/<experiment>``, another's in a folder of its own);
    with ``overview`` (the paper's experiments), seed 0's tables also update ``out/README.md``."""
    folder = tables_folder(out, experiment.name, seed)
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
    if seed == 0 and overview:
        write_overview(out, overview)
