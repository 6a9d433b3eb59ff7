"""Jobs, workers and resumable result files.

A sweep is a list of jobs, one per table row; a job trains all the row's trials at once (its row type's
trainer, ``trainers.py``: ``train.train_row``, ``continual.run_row``) and writes ``<out>/<experiment>/jobs/<row>.seed<S>.<fingerprint>.json`` atomically
(``store.py``): a run under another seed or reading writes beside it. A run skips jobs whose file is intact and
holds the trial count, so a killed run loses at most the jobs in flight, and those only back to their last
checkpoint (``train.train_row`` saves a job's whole state every two minutes). A job being trained holds
``<same name>.lock`` (``store.Lock``: pid, host, process start and a heartbeat); other workers, and other runs
into the same folder, leave it alone while its holder lives and beats, and take it over after.
With ``workers > 1`` each worker is its own single-threaded process (one per core beats one process with
two threads for nets this small). With ``pack`` (the comparison's learning-rate sweep), the jobs of rows
that differ only in their rate train in one batch (``train.train_rows``), each still written to its own file.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Iterable

from tqdm import tqdm

from lstm97 import files, store, trainers
from lstm97.engines import WIDEST, pack_key, packable, wide_key
from lstm97.provenance import code_provenance
from lstm97.train import enable_compilation_cache
from lstm97.trainers import Job

SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
CHECKPOINT_S = 120.0        # seconds between checkpoints of a job in flight ($LSTM97_CHECKPOINT_S)


class SweepError(RuntimeError):
    """A sweep cannot go on; the message is one line for the user."""


def identity(row: Job, trials: int) -> str:
    """What a job file's name and ``fingerprint`` hold: the trainer's fingerprint of the row, and where a trial's
    numbers depend on how many train together (``Trainer.exact``), the count too."""
    trainer = trainers.of(row)
    return f"{trainer.fingerprint(row)}/{trainer.items}={trials}" if trainer.exact else trainer.fingerprint(row)


def job_path(out: Path, row: Job, seed: int, trials: int | None = None) -> Path:
    """``<out>/<experiment>/jobs/<row>.seed<seed>.<fingerprint>.json`` (``store.job_file``, ``identity``; trials:
    the row's own count unless given)."""
    return store.job_file(out / row.experiment / "jobs", row.label, seed,
                          identity(row, row.trials if trials is None else trials))


def load_job(out: Path, row: Job, seed: int, trials: int) -> dict | None:
    """The job's record if its file is intact (``store.read_record``) and holds at least ``trials`` trials
    of this row and seed; cut to ``trials`` (an ``exact`` trainer's identity names the count, so its file
    serves that count alone)."""
    return store.load(job_path(out, row, seed, trials), row.label, identity(row, trials), seed, trials,
                      trainers.of(row).items)


def estimated_cost(row: Job) -> float:
    return trainers.of(row).cost(row)


def most_steps(row: Job, trials: int) -> int:
    return trainers.of(row).steps(row, trials)


def _key(row: Job) -> str:
    """A job's identity in a run: rows of several readings share a label (and so their trial keys)."""
    return f"{row.job} ({row.reading.name})"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


class Plan:
    """Where a worker stands in a sweep, for its progress bar: each job's place in the run's order ("job k of
    N") and an estimate of the time the whole run has left, at this worker's measured rate shared by
    ``workers`` workers, with every pending trial run to its cap (so an upper estimate)."""

    def __init__(self, order: list[list[Job]], pending_steps: int, workers: int):
        self.place = {_key(row): i + 1 for i, row in enumerate(r for group in order for r in group)}
        self.total = len(self.place)
        self.pending, self.workers = pending_steps, workers
        self.start, self.steps_done = time.perf_counter(), 0

    def name(self, rows: list[Job]) -> str:
        first, last = self.place[_key(rows[0])], self.place[_key(rows[-1])]
        where = f"job {first}" if len(rows) == 1 else f"jobs {first}-{last}"
        reading = "" if rows[0].reading.name == "paper" else f" [{rows[0].reading.name}]"
        return f"{where} of {self.total}: {rows[0].label}{reading}" + \
            (f" (+{len(rows) - 1} rows)" if len(rows) > 1 else "")

    def eta(self, steps_now: int) -> str:
        elapsed = time.perf_counter() - self.start
        done = self.steps_done + steps_now
        if done <= 0 or elapsed < 1:
            return "run: measuring"
        left = max(self.pending - done, 0) / (done / elapsed) / self.workers
        return f"run ≤ {_duration(left)} left"


def run_job(row: Job, out: Path, seed: int, trials: int, position: int = 0, show: bool = True,
            write: bool = True) -> dict:
    return run_jobs([row], out, seed, trials, position, show, write, pack=False)[0]


def run_jobs(rows: list[Job], out: Path, seed: int, trials: int, position: int = 0, show: bool = True,
             write: bool = True, pack: bool | str = False, plan: Plan | None = None) -> list[dict]:
    """Train the jobs of ``rows``: one row alone (``train.train_row``), or with ``pack`` rows that differ only
    in their learning rate side by side in one batch (``train.train_rows``; the same numbers, about twice
    as fast for a 4-rate sweep). Each row gets its own job file; ``pack_size`` records how many shared the
    batch, whose wall time each file's ``wall_s`` gives, and ``pack`` which batch it was (its first job's file
    name), so that time is counted per batch as trained, whatever rule packed it."""
    trainer = trainers.of(rows[0])
    desc = plan.name(rows) if plan else rows[0].label + (f" (+{len(rows) - 1} rows)" if len(rows) > 1 else "")
    bar = tqdm(total=1, desc=desc[:60], unit=trainer.unit, unit_scale=True, position=position,
               leave=True, disable=not show, dynamic_ncols=True, mininterval=2.0)
    length = trainer.length(rows[0])

    def progress(done: int, budget: int) -> None:
        bar.total = budget
        bar.n = done
        if plan is not None:
            bar.set_postfix_str(plan.eta(done * length), refresh=False)
        bar.refresh()

    made_by = code_provenance()      # the code this process runs: the tree when it first trained
    start = time.time()
    first = job_path(out, rows[0], seed, trials)
    ckpt = store.sibling(first, ".pack.ckpt.npz" if pack else ".ckpt.npz")
    options = dict(seed=seed, trials=trials, progress=progress, checkpoint=ckpt,
                   checkpoint_s=float(os.environ.get("LSTM97_CHECKPOINT_S", CHECKPOINT_S)))
    results = trainer.train(rows, pack, **options)
    bar.close()
    # a resumed batch's trials count the time before the checkpoint too (``train._train``): so does the file
    wall = round(max([time.time() - start] + [t.get("wall_s", 0.0) for ts in results for t in ts]), 3)
    records = []
    for row, trial_dicts in zip(rows, results):
        record = {"schema": store.SCHEMA, "job": row.job, "label": row.label, "fingerprint": identity(row, trials),
                  "seed": seed, trainer.items: trial_dicts, "checksum": store.checksum(trial_dicts), "wall_s": wall,
                  "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **made_by}
        if pack:
            record["pack_size"] = len(rows)
            record["pack"] = first.stem         # the batch it trained in: its first job's file name, one per batch
        if write:
            write_job(job_path(out, row, seed, trials), record)
        records.append(record)
    if plan is not None:
        plan.steps_done += sum(trainer.used(t) for rec in records for t in rec[trainer.items]) * length
    return records


def write_job(path: Path, record: dict) -> None:
    files.write_atomic(path, json.dumps(record, indent=1) + "\n")


def batches(rows: list[Job], pack: bool | str, trials: int | None = None) -> list[list[Job]]:
    """The order jobs run in, cheapest first so that a run cut short has finished as many rows as it could.
    With ``pack``, rows that differ only in their learning rate (``engines.pack_key``) form one batch; with
    ``pack="wide"``, rows that can share one program (``engines.wide_key``: also their initial weights, task
    values and caps), at most ``engines.WIDEST`` trials to a batch, and never a row whose trials may run more
    than ``LONGEST_PADDED`` times the steps of the batch's shortest (a program runs at its full width until its
    last trial stops: a reading at 10x the cap beside nine at 3x would idle most lanes for most of the run)."""
    groups: dict[str, list[Job]] = {}
    for row in rows:
        if pack and packable(row):
            key = wide_key(row) if pack == "wide" else pack_key(row)
        else:
            key = f"alone {_key(row)}"
        groups.setdefault(key, []).append(row)
    split = []
    for group in groups.values():
        if pack == "wide":
            size = max(1, WIDEST // (group[0].trials if trials is None else trials))
            for run in _similar_lengths(group):
                split += [run[i:i + size] for i in range(0, len(run), size)]
        else:
            split.append(group)
    return sorted(split, key=lambda group: sum(map(estimated_cost, group)))


LONGEST_PADDED = 4 / 3      # a wide batch wastes at most a quarter of its steps on lanes whose trials have stopped


def _similar_lengths(group: list[Job]) -> list[list[Job]]:
    """``group`` in runs whose most steps per trial (cap × longest sequence) stay within ``LONGEST_PADDED`` of
    the run's shortest, each run in the group's order."""
    runs: list[list[Job]] = []
    for row in sorted(group, key=lambda r: most_steps(r, 1)):
        if runs and most_steps(row, 1) <= LONGEST_PADDED * most_steps(runs[-1][0], 1):
            runs[-1].append(row)
        else:
            runs.append([row])
    order = {id(row): i for i, row in enumerate(group)}
    return [sorted(run, key=lambda r: order[id(r)]) for run in runs]


def work(rows: list[Job], out: Path, seed: int, trials: int | None, position: int = 0,
         show: bool = True, pack: bool | str = False, workers: int = 1) -> int:
    """Take every unfinished, unlocked job in turn (with ``pack``, every unfinished, unlocked job of a batch
    together); returns how many this worker trained."""
    enable_compilation_cache()
    code_provenance()                                  # pinned before the first job starts
    count = lambda row: row.trials if trials is None else trials
    order = batches(rows, pack, trials)
    pending = sum(most_steps(row, count(row)) for row in rows if load_job(out, row, seed, count(row)) is None)
    plan = Plan(order, pending, workers)
    done = 0
    for group in order:
        n = count(group[0])
        locks = [store.Lock(store.sibling(job_path(out, row, seed, n), ".lock")) for row in group]
        held = [(row, lock) for row, lock in zip(group, locks)
                if load_job(out, row, seed, n) is None and lock.acquire()]
        try:
            # another worker may have finished some meanwhile
            todo = [row for row, _ in held if load_job(out, row, seed, n) is None]
            if todo:
                run_jobs(todo, out, seed, n, position, show, pack=pack and packable(todo[0]), plan=plan)
                done += len(todo)
        finally:
            for _, lock in held:
                lock.release()
    return done


def _worker(args) -> int:
    return work(*args)


def finished(rows: Iterable[Job], out: Path, seed: int, trials: int | None) -> int:
    """How many of the jobs of ``rows`` have an intact result file for ``seed`` (those a run reuses)."""
    return sum(load_job(out, row, seed, row.trials if trials is None else trials) is not None
               for row in rows if row.run)


def run_sweep(rows: Iterable[Job], out: Path, seed: int = 0, trials: int | None = None, workers: int = 1,
              show: bool = True, poll_s: float = 5.0, backend: str = "local", pack: bool | str = False) -> list[dict]:
    """Run every job (``workers`` processes, or Ray tasks with ``backend="ray"``), wait for jobs other runs
    hold (and take over those whose holder died: ``store.Lock``), return all records. ``pack``: rows that
    differ only in their learning rate train in one batch, ``"wide"``: rows that can share one program
    (``batches``; local backend only; Ray runs one task per job)."""
    rows = [row for row in rows if row.run]
    workers = max(1, min(workers, len(rows)))
    if backend == "ray":
        run_on_ray(rows, out, seed, trials)
    elif backend != "local":
        raise SweepError(f"unknown backend {backend!r}; known: local, ray")
    elif workers == 1:
        work(rows, out, seed, trials, 0, show, pack)
    else:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + SINGLE_THREAD).strip()
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(workers) as pool:
            pool.map(_worker, [(rows, out, seed, trials, i, show, pack, workers) for i in range(workers)])
    records = []
    for row in rows:
        n = row.trials if trials is None else trials
        lock = store.sibling(job_path(out, row, seed, n), ".lock")
        told = False
        while (record := load_job(out, row, seed, n)) is None:
            if store.holder(lock) is None:                # a live run holds it: wait for that run
                if not told:
                    print(f"lstm97: waiting for job {row.job}, held by another run ({lock})", file=sys.stderr)
                    told = True
                time.sleep(poll_s)
            elif backend == "ray" or work([row], out, seed, trials, 0, show) == 0 and store.holder(lock):
                raise SweepError(f"job {row.job} did not finish; run the same command again to resume")
        records.append(record)
    return records


def _ray_job(row: Job, out: str, seed: int, trials: int) -> dict:
    """One job on a Ray worker: train it (checkpointing under ``out`` where that folder is shared) and return
    its record; the driver writes the result file."""
    enable_compilation_cache()
    return run_job(row, Path(out), seed, trials, show=False, write=False)


def run_on_ray(rows: list[Job], out: Path, seed: int, trials: int | None) -> None:
    """Every unfinished job as a Ray task (retried up to 3 times if its worker dies). ``ray.init()`` joins the
    cluster named by ``RAY_ADDRESS`` or starts a local one. Results land through the same atomic job files and
    locks as the local backend, written by this driver, so resume works the same under either backend."""
    try:
        import ray
    except ImportError:
        raise SweepError("--backend ray needs Ray: pip install 'lstm97[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(runtime_env={"env_vars": {"XLA_FLAGS": SINGLE_THREAD}}, include_dashboard=False,
                 logging_level="ERROR", log_to_driver=False)
    task = ray.remote(num_cpus=1, max_retries=3)(_ray_job)
    pending, locks = {}, []
    try:
        for row in sorted(rows, key=estimated_cost):
            n = row.trials if trials is None else trials
            path = job_path(out, row, seed, n)
            lock = store.Lock(store.sibling(path, ".lock"))
            if load_job(out, row, seed, n) is not None or not lock.acquire():
                continue
            locks.append(lock)
            pending[task.remote(row, str(out), seed, n)] = (row, path)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            row, path = pending.pop(ready[0])
            record = ray.get(ready[0])
            write_job(path, record)
            print(f"lstm97: {row.job} done on Ray", file=sys.stderr)
    finally:
        for lock in locks:
            lock.release()
        if started:
            ray.shutdown()
