"""The tables of the continual embedded Reber grammar (``continual.py``), its table builder on the one report
path (``report.Tables``): the jobs (``results/cerg/jobs/``, trained through ``sweep`` like every other) become
``trials.csv`` (one line per net) and ``meta.json``, then ``summary.csv``, ``summary.md`` (Gers et al.'s
Table 2 beside ours) and ``test_lengths.png``. ``python -m lstm97 report cerg`` rebuilds them from
``trials.csv`` and ``meta.json``.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from lstm97.files import write_atomic
from lstm97.marks import quick_banner, span
from lstm97.plots import cerg_figure, close
from lstm97.stats import success_interval
from lstm97.trials_file import CERG_COLUMNS, CERG_OPTIONAL, read_trials

def _commands(folder: Path, command: str) -> list[str]:
    """The commands whose runs trained the jobs in the table: the earlier ones (meta.json) and this one."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        earlier = meta.get("jobs_made_by") or [meta["command"]]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        earlier = []
    return list(dict.fromkeys([*earlier, command]))


def summarise(trials: pd.DataFrame, rows: tuple) -> pd.DataFrame:
    out = []
    for row in rows:
        got = trials[trials["row"] == row.label] if len(trials) else trials
        n = len(got)
        entry = {"row": row.label, "weights": row.weights, "run": bool(row.run and n), "nets": n,
                 "max_streams": row.max_streams, "test": f"{row.test_streams}×{row.test_len:,}",
                 "max_ticks": row.max_ticks, "note": row.note}
        if n:
            k = {c: int((got["outcome"] == c).sum()) for c in ("perfect", "good", "rest", "diverged")}
            solved = got.loc[got["solved"], "streams_to_solution"]
            low, high = success_interval(k["perfect"], n)
            entry.update(perfect_pct=100 * k["perfect"] / n, perfect_low=low, perfect_high=high,
                         streams_mean=float(solved.mean()) if len(solved) else math.nan,
                         streams_median=float(solved.median()) if len(solved) else math.nan,
                         good_pct=100 * k["good"] / n, rest_pct=100 * (k["rest"] + k["diverged"]) / n,
                         diverged=k["diverged"],
                         good_length=float(got.loc[got["outcome"] == "good", "test_mean_length"].mean()),
                         rest_length=float(got.loc[~got["solved"] & (got["outcome"] != "good"),
                                                   "test_mean_length"].mean()),
                         symbols_median=float(got["symbols_trained"].median()),
                         budget=int((~got["solved"] & (got["ticks"] >= row.max_ticks)).sum()) if row.max_ticks else 0)
        if row.paper is not None:
            entry.update({f"paper_{k}": v for k, v in vars(row.paper).items()})
        out.append(entry)
    return pd.DataFrame(out)


def _n(x, digits: int = 0) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def _quick_lines(summary: pd.DataFrame, meta: dict) -> list[str]:
    """A quick run's banner (under the title): the nets per row, streams and test length it used."""
    nets = [n for n in summary.get("nets", []) if n]
    parts = [f"{span(nets)} net{'' if span(nets) == '1' else 's'} per row"] if nets else []
    parts += [text.format(meta[key]) for key, text in (("max_streams", "at most {:,} training streams per net"),
                                                       ("train_len", "training streams of at most {:,} symbols"),
                                                       ("test_len", "test streams of {:,} symbols"))
              if isinstance(meta.get(key), int)]
    return [quick_banner(parts, "Gers et al.'s numbers do not compare"), ""]


def summary_markdown(summary: pd.DataFrame, meta: dict) -> str:
    jobs = meta.get("jobs", {})
    commits = sorted({j.get("commit") or "?" for j in jobs.values()})
    runs = [c for c in meta.get("jobs_made_by", []) if c != meta.get("command")]
    made = (f"Made by `{meta.get('command', '')}`"
            + (" after " + ", ".join(f"`{c}`" for c in runs) if runs else "")
            + f" (seed {meta.get('seed')}), jax {meta.get('jax', '?')}, on "
            f"{meta.get('device', '?')} ({meta.get('cpus', '?')} CPUs); the jobs trained for "
            f"{_n(sum(j.get('wall_s') or 0 for j in jobs.values()))} s in all, at commit "
            + ", ".join(f"`{c}`" for c in commits) + " (each job's own in `meta.json` and `jobs/`; +dirty: the "
            "working tree had uncommitted changes when the job started).")
    quick = bool(meta.get("quick"))
    lines = ["# The continual embedded Reber grammar (Gers, Schmidhuber & Cummins 2000, Table 2)"
             + (" (quick run)" if quick else ""), "", *(_quick_lines(summary, meta) if quick else []), made, "",
             f"Test streams: 10 × {_n(meta.get('test_len'))} symbols; training streams end at the first wrong "
             f"prediction or after {_n(meta.get('train_len', 100_000))} symbols. "
             "Perfect: all 10 test streams predicted to their end; good: not perfect, average error-free "
             "test-stream length above 1,000 symbols; rest: the others (lengths in ⟨⟩ are mean error-free "
             "test-stream lengths). Ours: perfect with its exact 95 % interval and the mean / median training "
             "streams to the solution. Symbols per net count training and test symbols; a net stopped by that "
             "budget is classed by its last finished test.", "",
             "| row | weights | nets | training streams ≤ | symbols per net ≤ | ours: perfect | ours: good | "
             "ours: rest | stopped by the symbol budget | Gers et al.: perfect | good | rest |", "|---" * 12 + "|"]
    for r in summary.itertuples():
        gers = ("",) * 3
        if hasattr(r, "paper_perfect"):
            gers = (f"{_n(r.paper_perfect)} % ({_n(r.paper_streams)})",
                    f"{_n(r.paper_good)} % ⟨{_n(r.paper_good_length)}⟩",
                    f"{_n(r.paper_rest)} % ⟨{_n(r.paper_rest_length)}⟩")
        if r.run:
            ours = (f"{r.perfect_pct:.0f} % [{r.perfect_low:.0f}, {r.perfect_high:.0f}] "
                    f"({_n(r.streams_mean)} / {_n(r.streams_median)})",
                    f"{r.good_pct:.0f} % ⟨{_n(r.good_length)}⟩",
                    f"{r.rest_pct:.0f} % ⟨{_n(r.rest_length)}⟩"
                    + (f", {int(r.diverged)} diverged" if r.diverged else ""))
            ours += (f"{int(r.budget)} of {r.nets}" if r.max_ticks else "–",)
        else:
            ours = (r.note or "not run yet", "", "", "")
        lines.append(f"| {r.row} | {r.weights} | {r.nets or '–'} | {r.max_streams:,} | "
                     f"{_n(r.max_ticks) if r.max_ticks else 'no limit'} | " + " | ".join(ours + gers) + " |")
    return "\n".join(lines) + "\n"


def _figure(folder: Path, trials: pd.DataFrame, rows: tuple, quick: bool = False) -> None:
    """``test_lengths.png`` beside the table (written to a temporary name, then renamed); marked on a quick run."""
    if not len(trials):
        return
    fig = cerg_figure(trials, [r.label for r in rows if r.run], quick=quick)
    tmp = folder / f".test_lengths.{os.getpid()}.png"
    fig.savefig(tmp, dpi=120)
    close(fig)
    os.replace(tmp, folder / "test_lengths.png")


def scale(rows: tuple, streams: int | None = None, ticks: int | None = None,
          test_len: int | None = None) -> tuple:
    """The rows at a smaller scale than Gers et al.'s (stated in the table)."""
    changes = {k: v for k, v in (("max_streams", streams), ("max_ticks", ticks), ("test_len", test_len))
               if v is not None}
    return tuple(replace(r, **changes) for r in rows)


class ContinualTables:
    """Gers et al.'s Table 2 beside ours (``summarise``, ``summary_markdown``, ``test_lengths.png``)."""
    meta_file = "meta.json"

    def csv(self, pairs: list[tuple[Any, dict]]) -> str | None:
        nets = pd.DataFrame([net for _, rec in pairs for net in rec["nets"]])
        return nets.drop(columns=["test_lengths"]).to_csv(index=False) if len(nets) else None

    def describe(self, pairs: list[tuple[Any, dict]], rows: tuple, folder: Path, run: dict) -> dict:
        """The scale the rows ran at, the commands that made the jobs, each job's commit and time."""
        records = [rec for _, rec in pairs]
        first = next((r for r in rows if r.run), rows[0])
        return {"command": run["command"], "jobs_made_by": _commands(folder, run["command"]), "seed": run["seed"],
                "quick": run["quick"], "trials": run["trials"], "max_streams": first.max_streams, "max_ticks": first.max_ticks,
                "test_len": first.test_len, "train_len": first.train_len,
                "jobs": {r["label"]: {k: r.get(k) for k in ("commit", "finished", "wall_s")} for r in records},
                **{k: v for k, v in (records[0] if records else {}).items()
                   if k in ("python", "jax", "jaxlib", "optax", "numpy", "device", "machine", "cpus")}}

    def read(self, folder: Path, experiment, seed: int) -> tuple[pd.DataFrame, dict]:
        if not (folder / "trials.csv").exists():
            raise FileNotFoundError(f"no {folder / 'trials.csv'} yet (make {experiment.name})")
        trials = read_trials(folder / "trials.csv", CERG_COLUMNS, CERG_OPTIONAL)     # its problem in its own words
        try:
            meta = json.loads((folder / "meta.json").read_text()) if (folder / "meta.json").exists() else {}
            if not isinstance(meta, dict):
                raise TypeError("not a JSON object")
        except (ValueError, TypeError) as e:
            raise ValueError(f"{folder}: trials.csv or meta.json is unreadable ({e})") from None
        return trials, meta

    def rows(self, experiment, meta: dict) -> tuple:
        """The rows at the scale the run used (``meta.json``)."""
        try:
            return scale(experiment.run_rows(quick=bool(meta.get("quick"))), meta.get("max_streams"),
                         meta.get("max_ticks"), meta.get("test_len"))
        except (ValueError, TypeError) as e:
            raise ValueError(f"meta.json is unreadable ({e})") from None

    def write(self, experiment, folder: Path, trials: pd.DataFrame, rows: tuple, meta: dict,
              figures: bool) -> None:
        try:
            summary = summarise(trials, rows)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{folder}: trials.csv or meta.json is unreadable ({e})") from None
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "summary.csv", summary.to_csv(index=False))
        write_atomic(folder / "summary.md", summary_markdown(summary, meta))
        if figures:
            _figure(folder, trials, rows, quick=bool(meta.get("quick")))


CONTINUAL = ContinualTables()
