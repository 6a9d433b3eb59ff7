"""Jobs, workers and resumable result files.

A sweep is a list of jobs, one per table row; a job trains all the row's trials at once
(``train.train_row``) and writes ``<out>/<experiment>/jobs/<row>.json`` atomically (temporary file, then
``os.replace``). A run skips jobs whose file is complete and matches the row's fingerprint, seed and trial
count, so a killed run loses at most the jobs in flight, and those only back to their last checkpoint
(``train.train_row`` saves a job's whole state every two minutes). A job being trained holds ``<row>.lock`` (with its
process id); other workers, and other runs into the same folder, leave it alone while that process lives.
With ``workers > 1`` each worker is its own single-threaded process (one per core beats one process with
two threads for nets this small). With ``pack`` (the comparison's learning-rate sweep), the jobs of rows
that differ only in their rate train in one batch (``train.train_rows``), each still written to its own file.
"""
from __future__ import annotations

import functools
import json
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Iterable

from lstm97.config import Row

SCHEMA = 1
SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
CHECKPOINT_S = 120.0        # seconds between checkpoints of a job in flight ($LSTM97_CHECKPOINT_S)


class SweepError(RuntimeError):
    """A sweep cannot go on; the message is one line for the user."""


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9=.-]+", "_", label).strip("_")


def job_path(out: Path, row: Row) -> Path:
    return out / row.experiment / "jobs" / f"{slug(row.label)}.json"


def provenance() -> dict:
    """Commit and package versions, stored with every result file."""
    import jax
    import numpy
    import optax
    try:
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)results"], cwd=root, capture_output=True, text=True,
                               timeout=10).stdout.strip()           # results being written are not code
        if dirty:
            commit += "+dirty"
    except (OSError, subprocess.SubprocessError):
        commit = ""
    source = "git"
    if not commit:                      # a copy of the tree without .git (a lent machine, a cluster's rsync)
        commit = os.environ.get("LSTM97_COMMIT", "unknown")
        source = "$LSTM97_COMMIT (uncommitted changes unknown)" if commit != "unknown" else "none"
    return {"commit": commit, "commit_from": source, "python": platform.python_version(), "jax": jax.__version__,
            "jaxlib": getattr(jax.lib, "__version__", jax.__version__), "optax": optax.__version__,
            "numpy": numpy.__version__, "device": str(jax.devices()[0]), "machine": platform.machine(),
            "cpus": os.cpu_count()}


@functools.lru_cache(maxsize=1)
def code_provenance() -> dict:
    """``provenance()`` once per process, when its worker starts: a long run's modules are those it imported
    at its start, whatever is committed or edited while it runs."""
    return provenance()


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def checksum(trials: list[dict]) -> str:
    """crc32 of the per-trial rows in a canonical form: a file edited or cut short no longer matches."""
    return f"{zlib.crc32(json.dumps(trials, sort_keys=True, separators=(',', ':')).encode()):08x}"


def load_job(path: Path, row: Row, seed: int, trials: int) -> dict | None:
    """The job's record if its file is complete and belongs to this row, seed and trial count. A file that
    cannot be read, fails its checksum or has another schema is reported in one line (and so recomputed;
    files written before checksums existed carry none and are read as they are);
    one from another configuration, seed or smaller trial count is silently not this job's."""
    if not path.exists():
        return None
    problem = None
    try:
        record = json.loads(path.read_text())
        if record.get("schema") != SCHEMA:
            problem = f"has schema {record.get('schema')!r}, not {SCHEMA}"
        elif "checksum" in record and record["checksum"] != checksum(record["trials"]):
            problem = "fails its checksum"          # files from before checksums existed have none
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        problem = "is unreadable or corrupt"
    if problem:
        print(f"lstm97: {path} {problem}; recomputing it", file=sys.stderr)
        return None
    if not (record["fingerprint"] == row.fingerprint() and record["seed"] == seed
            and len(record["trials"]) >= trials):
        return None
    record["trials"] = record["trials"][:trials]
    return record


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_held(path: Path) -> bool:
    try:
        return _alive(int(path.read_text().strip() or 0))
    except (OSError, ValueError):
        return False


def try_lock(path: Path) -> bool:
    """Take ``path`` (a lock file holding our pid); a lock whose process has died is taken over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(path.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid):
                return False
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return True
    return False


def estimated_cost(row: Row) -> float:
    """Trial-steps at the cap, weighted by the net's size. Cheap jobs run first, so that a run cut short
    has finished as many rows as it could; the rest resume next time."""
    return row.trials * row.cap * row.task.max_len * (1 + row.weights / 2000)


def run_job(row: Row, out: Path, seed: int, trials: int, position: int = 0, show: bool = True,
            write: bool = True) -> dict:
    return run_jobs([row], out, seed, trials, position, show, write, pack=False)[0]


def run_jobs(rows: list[Row], out: Path, seed: int, trials: int, position: int = 0, show: bool = True,
             write: bool = True, pack: bool = False) -> list[dict]:
    """Train the jobs of ``rows``: one row alone (``train.train_row``), or with ``pack`` rows that differ only
    in their learning rate side by side in one batch (``train.train_rows``; the same numbers, about twice
    as fast for a 4-rate sweep). Each row gets its own job file; ``pack_size`` records how many shared the
    batch, whose wall time each file's ``wall_s`` gives."""
    from tqdm import tqdm

    from lstm97.train import train_row, train_rows
    desc = rows[0].label if len(rows) == 1 else f"{rows[0].label} (+{len(rows) - 1} rates)"
    bar = tqdm(total=1, desc=desc[:28].ljust(28), unit="seq", unit_scale=True, position=position,
               leave=True, disable=not show, dynamic_ncols=True, mininterval=2.0)

    def progress(done: int, budget: int) -> None:
        bar.total = budget
        bar.n = done
        bar.refresh()

    made_by = code_provenance()      # the code this process runs: the tree when it first trained
    start = time.time()
    ckpt = job_path(out, rows[0]).with_suffix(".pack.ckpt.npz" if pack else ".ckpt.npz")
    options = dict(seed=seed, trials=trials, progress=progress, checkpoint=ckpt,
                   checkpoint_s=float(os.environ.get("LSTM97_CHECKPOINT_S", CHECKPOINT_S)))
    results = train_rows(rows, **options) if pack else [train_row(rows[0], **options)]
    bar.close()
    wall = round(time.time() - start, 2)
    records = []
    for row, trial_dicts in zip(rows, results):
        record = {"schema": SCHEMA, "job": row.job, "label": row.label, "fingerprint": row.fingerprint(),
                  "seed": seed, "trials": trial_dicts, "checksum": checksum(trial_dicts), "wall_s": wall,
                  "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **made_by}
        if pack:
            record["pack_size"] = len(rows)
        if write:
            write_job(job_path(out, row), record)
        records.append(record)
    return records


def write_job(path: Path, record: dict) -> None:
    write_atomic(path, json.dumps(record, indent=1) + "\n")


def batches(rows: list[Row], pack: bool) -> list[list[Row]]:
    """The order jobs run in, cheapest first so that a run cut short has finished as many rows as it could.
    With ``pack``, rows that differ only in their learning rate (``train.pack_key``) form one batch."""
    from lstm97.train import pack_key, packable
    groups: dict[str, list[Row]] = {}
    for row in rows:
        key = pack_key(row) if pack and packable(row) else f"alone {row.job}"
        groups.setdefault(key, []).append(row)
    return sorted(groups.values(), key=lambda group: sum(map(estimated_cost, group)))


def work(rows: list[Row], out: Path, seed: int, trials: int | None, position: int = 0,
         show: bool = True, pack: bool = False) -> int:
    """Take every unfinished, unlocked job in turn (with ``pack``, every unfinished, unlocked job of a batch
    together); returns how many this worker trained."""
    from lstm97.train import enable_compilation_cache, packable
    enable_compilation_cache()
    code_provenance()                                  # pinned before the first job starts
    done = 0
    for group in batches(rows, pack):
        n = group[0].trials if trials is None else trials
        held = [row for row in group if load_job(job_path(out, row), row, seed, n) is None
                and try_lock(job_path(out, row).with_suffix(".lock"))]
        try:
            # another worker may have finished some meanwhile
            todo = [row for row in held if load_job(job_path(out, row), row, seed, n) is None]
            if todo:
                run_jobs(todo, out, seed, n, position, show, pack=pack and packable(todo[0]))
                done += len(todo)
        finally:
            for row in held:
                job_path(out, row).with_suffix(".lock").unlink(missing_ok=True)
    return done


def _worker(args) -> int:
    return work(*args)


def run_sweep(rows: Iterable[Row], out: Path, seed: int = 0, trials: int | None = None, workers: int = 1,
              show: bool = True, poll_s: float = 5.0, backend: str = "local", pack: bool = False) -> list[dict]:
    """Run every job (``workers`` processes, or Ray tasks with ``backend="ray"``), wait for jobs other runs
    hold, return all records. ``pack``: rows that differ only in their learning rate train in one batch
    (local backend only; Ray runs one task per job)."""
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
            pool.map(_worker, [(rows, out, seed, trials, i, show, pack) for i in range(workers)])
    records = []
    for row in rows:
        n = row.trials if trials is None else trials
        path = job_path(out, row)
        told = False
        while (record := load_job(path, row, seed, n)) is None:
            lock = path.with_suffix(".lock")
            if not _lock_held(lock):
                raise SweepError(f"job {row.job} did not finish; run the same command again to resume")
            if not told:
                print(f"lstm97: waiting for job {row.job}, held by another run", file=sys.stderr)
                told = True
            time.sleep(poll_s)
        records.append(record)
    return records


def _ray_job(row: Row, out: str, seed: int, trials: int) -> dict:
    """One job on a Ray worker: train it (checkpointing under ``out`` where that folder is shared) and return
    its record; the driver writes the result file."""
    from lstm97.train import enable_compilation_cache
    enable_compilation_cache()
    return run_job(row, Path(out), seed, trials, show=False, write=False)


def run_on_ray(rows: list[Row], out: Path, seed: int, trials: int | None) -> None:
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
            path = job_path(out, row)
            if load_job(path, row, seed, n) is not None or not try_lock(path.with_suffix(".lock")):
                continue
            locks.append(path.with_suffix(".lock"))
            pending[task.remote(row, str(out), seed, n)] = (row, path)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            row, path = pending.pop(ready[0])
            record = ray.get(ready[0])
            write_job(path, record)
            print(f"lstm97: {row.job} done on Ray", file=sys.stderr)
    finally:
        for lock in locks:
            lock.unlink(missing_ok=True)
        if started:
            ray.shutdown()
