"""Jobs and tables of the continual embedded Reber grammar (``continual.py``): one job file per row in
``results/cerg/jobs/`` (atomic, with a checksum, resumed when it matches the row, seed and net count), then
``trials.csv`` (one line per net), ``summary.csv``, ``summary.md`` (Gers et al.'s Table 2 beside ours) and
``meta.json``, and ``test_lengths.png``. ``python -m lstm97 report cerg`` rebuilds them from ``trials.csv``.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from lstm97 import files, store
from lstm97.continual import ContinualRow, run_row

def _job_path(out: Path, row: ContinualRow, seed: int) -> Path:
    """``out/cerg/jobs/<row>.seed<seed>.<fingerprint>.json`` (``store.job_file``)."""
    return store.job_file(out / "cerg" / "jobs", row.label, seed, row.fingerprint())


def _load(out: Path, row: ContinualRow, seed: int, nets: int) -> dict | None:
    return store.load(_job_path(out, row, seed), row.label, row.fingerprint(), seed, nets, items="nets")


def finished(rows, out: Path, seed: int, nets: int | None) -> int:
    """How many of ``rows`` have an intact job file for ``seed`` (those a run reuses)."""
    return sum(_load(out, r, seed, r.nets if nets is None else nets) is not None for r in rows)


def run_cerg(rows: tuple[ContinualRow, ...], out: Path, seed: int = 0, nets: int | None = None,
             command: str = "", quick: bool = False, only: str | None = None) -> pd.DataFrame:
    """Train every runnable row (those whose label contains ``only``, if given) not already in
    ``out/cerg/jobs`` (job by job, each written atomically), then write the tables from every finished job
    of ``rows``. Returns the per-net rows."""
    from lstm97.train import enable_compilation_cache
    enable_compilation_cache()
    records = []
    for row in rows:
        if not row.run:
            continue
        n = row.nets if nets is None else nets
        path = _job_path(out, row, seed)
        record = _load(out, row, seed, n)
        if record is None and (only is None or only in row.label):
            lock = store.Lock(store.sibling(path, ".lock"))
            if not lock.acquire():
                print(f"lstm97: {row.label}: another run holds {lock.path}; skipped", flush=True)
                continue
            try:
                record = _train(row, seed, n, path)
            finally:
                lock.release()
        if record is not None:
            records.append(record)
    trials = pd.DataFrame([net for r in records for net in r["nets"]])
    first = next((r for r in rows if r.run), rows[0])
    folder = files.tables_folder(out, "cerg", seed)
    meta = {"command": command, "jobs_made_by": _commands(folder, command), "seed": seed, "quick": quick,
            "max_streams": first.max_streams, "max_ticks": first.max_ticks, "test_len": first.test_len, "train_len": first.train_len,
            "jobs": {r["label"]: {k: r.get(k) for k in ("commit", "finished", "wall_s")} for r in records},
            **{k: v for k, v in (records[0] if records else {}).items()
               if k in ("python", "jax", "jaxlib", "optax", "numpy", "device", "machine", "cpus")}}
    write_report(folder, trials, rows, meta)
    return trials


def _commands(folder: Path, command: str) -> list[str]:
    """The commands whose runs trained the jobs in the table: the earlier ones (meta.json) and this one."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        earlier = meta.get("jobs_made_by") or [meta["command"]]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        earlier = []
    return list(dict.fromkeys([*earlier, command]))


def _train(row: ContinualRow, seed: int, nets: int, path: Path) -> dict:
    from tqdm import tqdm

    from lstm97.provenance import provenance
    bar = tqdm(total=1, desc=row.label[:28].ljust(28), unit="stream", unit_scale=True, dynamic_ncols=True,
               mininterval=2.0)

    def progress(done: int, budget: int) -> None:
        bar.total, bar.n = budget, done
        bar.refresh()

    made_by, start = provenance(), time.time()        # before training: the code that runs
    per_net = run_row(row, seed, nets, progress, checkpoint=store.sibling(path, ".ckpt.npz"),
                      checkpoint_s=float(os.environ.get("LSTM97_CHECKPOINT_S", 120)))
    bar.close()
    record = {"schema": store.SCHEMA, "label": row.label, "fingerprint": row.fingerprint(), "seed": seed,
              "nets": per_net, "checksum": store.checksum(per_net), "wall_s": round(time.time() - start, 1),
              "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **made_by}
    files.write_atomic(path, json.dumps(record, indent=1) + "\n")
    return record


def summarise(trials: pd.DataFrame, rows: tuple[ContinualRow, ...]) -> pd.DataFrame:
    from lstm97.stats import success_interval
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
    from lstm97.marks import quick_banner, span
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


def write_report(folder: Path, trials: pd.DataFrame, rows: tuple[ContinualRow, ...], meta: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if len(trials):
        files.write_atomic(folder / "trials.csv", trials.drop(columns=["test_lengths"]).to_csv(index=False))
    summary = summarise(trials, rows)
    files.write_atomic(folder / "summary.csv", summary.to_csv(index=False))
    files.write_atomic(folder / "meta.json", json.dumps(meta, indent=1) + "\n")
    files.write_atomic(folder / "summary.md", summary_markdown(summary, meta))
    _figure(folder, trials, rows, quick=bool(meta.get("quick")))


def _figure(folder: Path, trials: pd.DataFrame, rows: tuple[ContinualRow, ...], quick: bool = False) -> None:
    """``test_lengths.png`` beside the table (written to a temporary name, then renamed); marked on a quick run."""
    if not len(trials):
        return
    from lstm97.plots import cerg_figure, close
    fig = cerg_figure(trials, [r.label for r in rows if r.run], quick=quick)
    tmp = folder / f".test_lengths.{os.getpid()}.png"
    fig.savefig(tmp, dpi=120)
    close(fig)
    os.replace(tmp, folder / "test_lengths.png")


def rebuild(out: Path, rows: tuple[ContinualRow, ...], seed: int = 0) -> None:
    """``python -m lstm97 report cerg``: the tables and figure again from the committed trials.csv and meta.json
    (of ``seed``: ``files.tables_folder``), for ``rows`` (experiments/cerg.py's, passed in by the command line)."""
    folder = files.tables_folder(out, "cerg", seed)
    if not (folder / "trials.csv").exists():
        raise FileNotFoundError(f"no {folder / 'trials.csv'} yet (make cerg)")
    try:
        from lstm97.trials_file import CERG_COLUMNS, CERG_OPTIONAL, read_trials
        trials = read_trials(folder / "trials.csv", CERG_COLUMNS, CERG_OPTIONAL)
        meta = json.loads((folder / "meta.json").read_text()) if (folder / "meta.json").exists() else {}
        rows = scale(rows, meta.get("max_streams"), meta.get("max_ticks"), meta.get("test_len"))
        summary = summarise(trials, rows)
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{folder}: trials.csv or meta.json is unreadable ({e})") from None
    files.write_atomic(folder / "summary.csv", summary.to_csv(index=False))
    files.write_atomic(folder / "summary.md", summary_markdown(summary, meta))
    _figure(folder, trials, rows, quick=bool(meta.get("quick")))


def scale(rows: tuple[ContinualRow, ...], streams: int | None = None, ticks: int | None = None,
          test_len: int | None = None) -> tuple[ContinualRow, ...]:
    """The rows at a smaller scale than Gers et al.'s (stated in the table)."""
    changes = {k: v for k, v in (("max_streams", streams), ("max_ticks", ticks), ("test_len", test_len))
               if v is not None}
    return tuple(replace(r, **changes) for r in rows)
