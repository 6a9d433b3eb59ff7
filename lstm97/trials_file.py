"""Reading a per-trial results file (``trials.csv``) that may be broken: one clear line, not a traceback.

``read_trials(path, required, optional)`` returns the table, or raises ``TrialsFileError`` ("<path>: <problem>")
when the file is empty, not UTF-8, not CSV, lacks a required column, or holds a value of the wrong kind. Kinds:
``text``, ``number``, ``integer``, ``bool``; required columns' numbers and booleans may not be empty, optional
columns (checked only when present) may.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

# what report.summarise, plots and compare_report.remaining_work read from an experiment's trials.csv
EXPERIMENT_COLUMNS = {"experiment": "text", "row": "text", "seed": "integer", "trial": "integer",
                      "success": "bool", "sequences": "number", "presented": "number", "learned_at": "number",
                      "reason": "text", "wall_s": "number"}
EXPERIMENT_OPTIONAL = {"cell": "text", "reading": "text", "pilot": "bool", "paper_row": "text",
                       "rate_factor": "number", "variant": "text", "grown_at": "number", "final_error": "number", "st1_at": "number",
                       "test_sequences": "number", "test_wrong": "number", "test_mean_error": "number"}
# what continual_report.summarise and plots.cerg_figure read from cerg's trials.csv
CERG_COLUMNS = {"row": "text", "seed": "integer", "net": "integer", "solved": "bool",
                "streams_to_solution": "number", "symbols_trained": "number", "test_mean_length": "number",
                "outcome": "text", "ticks": "number"}
CERG_OPTIONAL = {"cell": "text", "streams": "number", "final_learning_rate": "number", "wall_s": "number"}

_BOOLS = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}


class TrialsFileError(ValueError):
    """A trials file that cannot be reported from; the message is one line, "<path>: <problem>"."""


def read_trials(path: Path | str, required: Mapping[str, str] = EXPERIMENT_COLUMNS,
                optional: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The table of ``path`` as ``pd.read_csv`` reads it, once every named column is checked."""
    path = Path(path)
    if optional is None:
        optional = EXPERIMENT_OPTIONAL if required is EXPERIMENT_COLUMNS else {}

    def fail(problem: str) -> NoReturn:
        raise TrialsFileError(f"{path}: {problem}")

    try:
        data = path.read_bytes()
    except OSError as e:
        fail(f"cannot read it ({e.strerror or e})")
    if not data.strip():
        fail("is empty (not even a header line)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        fail(f"is not UTF-8 text (byte {e.start} is {data[e.start]:#04x})")
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        fail(f"is not a CSV table ({first_line(e)})")
    if not isinstance(frame.index, pd.RangeIndex):      # read_csv takes surplus leading fields as an index
        fail(f"is not a CSV table (its lines have more fields than its header's {len(frame.columns)} columns)")
    missing = [name for name in required if name not in frame.columns]
    if missing:
        fail(f"lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
             f"(it has: {', '.join(map(str, frame.columns))})")
    for name, kind in {**optional, **required}.items():
        if name in frame.columns:
            frame[name] = check_column(frame[name], name, kind, name in required, fail)
    return frame


def check_column(values: pd.Series, name: str, kind: str, required: bool, fail) -> pd.Series:
    """One column as its kind (as read_csv gave it when every value is right), or ``fail`` naming the first
    bad value and its line."""
    if kind == "text" or (kind == "bool" and values.dtype == bool):
        return values
    if kind == "bool":
        converted = values.map(lambda v: _BOOLS.get(str(v).strip().lower()))
        bad, expected = converted.isna(), "True or False"
    else:
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna() & (values.notna() | required)
        if kind == "integer":
            bad |= converted.notna() & (converted % 1 != 0)
        expected = "an integer" if kind == "integer" else "a number"
    if bad.any():
        i = int(bad.to_numpy().argmax())
        value = values.iloc[i]
        shown = "is empty" if pd.isna(value) else f"has {str(value)!r}"
        fail(f"line {i + 2}, column {name} {shown}, not {expected}")
    return converted.astype(bool) if kind == "bool" else converted


def first_line(error: Exception) -> str:
    """The first non-empty line of an exception's message."""
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


def with_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Trials (or summary lines) with the grouping columns ``paper_row``, ``rate_factor`` and ``variant``
    (``Row.columns``); a file written before them gets them from its labels, the only place a label is read
    for structure: ``"<exp> <paper row> | <cell>[ [<variant>]] | lr x<factor>"`` (the comparison's), else
    the row is a paper row itself."""
    if {"paper_row", "rate_factor", "variant"} <= set(frame.columns):
        return frame
    parts = frame["row"].astype(str).str.split(" | ", regex=False, expand=True)
    if parts.shape[1] < 3:
        return frame.assign(paper_row=frame["experiment"].astype(str) + " " + frame["row"].astype(str)
                            if "experiment" in frame else frame["row"], rate_factor=1.0, variant="")
    variant = parts[1].str.extract(r"\[(.*)\]$", expand=False).fillna("")
    frame = frame.assign(paper_row=parts[0], rate_factor=parts[2].str.removeprefix("lr x").astype(float),
                         variant=variant)
    return frame if "cell" in frame else frame.assign(cell=parts[1].str.replace(r" \[.*\]$", "", regex=True))


def of_row(trials: pd.DataFrame, row) -> pd.DataFrame:
    """The trials of one row: its label and, where the file has the column, its reading (rows of several
    readings share a label, and so their trial keys)."""
    chosen = trials["row"] == row.label
    if "reading" in trials:
        reading = trials["reading"].astype(object)            # an all-empty column reads as float
        chosen &= reading.where(reading.notna(), "paper") == row.reading.name
    return trials[chosen]


def confusion(cell: str) -> np.ndarray:
    """A trial row's ``test_confusion`` (exp 6, written by ``train.final_test``): true class × most active output,
    rows separated by ';', columns by ','."""
    return np.array([[int(v) for v in line.split(",")] for line in cell.split(";")])
