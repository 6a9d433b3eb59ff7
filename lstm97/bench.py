"""Throughput of the real trainer: ``python -m lstm97 bench TASK [K=V …]`` and ``make bench``.

The benchmark builds the paper's net for the task (``nets.paper_net``), makes a row whose trials never stop
(cap and success window out of reach), and times ``train.make_train(row).chunk``, the very function every
experiment runs, under ``jit``; with ``processes > 1`` it runs that many single-threaded copies at once (one
per core) and adds their rates. A trial-step is one time step of one trial: forward, gradient and, once per
sequence, the update. ``trial_steps_per_s`` counts the steps of the sequences' true lengths (the expected
length, estimated from 4,096 samples); ``padded_steps_per_s`` counts what the program computes, every
sequence padded to the task's longest.
"""
from __future__ import annotations

import json
import zlib
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from typing import Any
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from lstm97 import lanes, paper
from lstm97.config import Row
from lstm97.criteria import Streak
from lstm97.engines import choose
from lstm97.nets import paper_net
from lstm97.provenance import provenance
from lstm97.tasks import make_task
from lstm97.train import enable_compilation_cache, make_train, trial_keys

NEVER = 2 ** 30
SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

# make bench: the nets the throughput issue names, with the trial counts that run best here
SUITE = (
    ("exp2c", {"p": 100, "q": 100}),
    ("exp2c", {"p": 1000, "q": 1000}),
    ("exp4", {"T": 100}),
    ("exp6a", {}),
    ("exp1", {}),
)


@dataclass(frozen=True)
class Setting:
    task: str
    options: tuple[tuple[str, str], ...] = ()
    trials: int = 256
    seconds: float = 10.0
    chunk: int = 0                 # sequences per compiled chunk; 0: about 20,000 padded steps per trial
    engine: str = "auto"
    processes: int = 1
    updates: str = "sequence"      # or "step": weights change after every time step (decision 2's option)


def bench_row(setting: Setting) -> Row:
    task = make_task(setting.task, **dict(setting.options))
    arch, rate = paper_net(setting.task, task)
    chunk = setting.chunk or max(10, 20_000 // task.max_len)
    label = " ".join([f"bench {setting.task}"] + [f"{k}={v}" for k, v in setting.options])
    return Row("bench", label, setting.task, task, arch, rate, setting.trials, NEVER, Streak(NEVER),
               chunk=chunk, engine=setting.engine, updates=setting.updates)


def mean_length(task, samples: int = 4096) -> float:
    keys = jax.random.split(jax.random.PRNGKey(12345), samples)
    return float(jnp.mean(jax.jit(jax.vmap(task.sample))(keys).length))


def device_name() -> str:
    dev = jax.devices()[0]
    kind = getattr(dev, "device_kind", dev.platform)
    cpu = platform.processor() or platform.machine()
    return f"{jax.device_count()}x {dev.platform} ({kind}{', ' + cpu if dev.platform == 'cpu' else ''})"


def checksum(params) -> str:
    """crc32 of the weights' bytes: equal checksums, equal weights."""
    data = b"".join(np.asarray(leaf).tobytes() for leaf in jax.tree.leaves(params))
    return f"{zlib.crc32(data):08x}"


def timed(train, state, seconds: float, chunks: int | None = None) -> tuple[Any, int, float, float]:
    """Compile ``train.chunk``, run one warm-up chunk, then chunks for about ``seconds`` (or exactly
    ``chunks``); returns the state, the timed chunks, their seconds and the compile's seconds."""
    start = time.perf_counter()
    chunk = jax.jit(train.chunk, donate_argnums=0).lower(state).compile()
    compile_s = time.perf_counter() - start
    state = chunk(state)                                 # warm-up
    jax.block_until_ready(state)
    done, start = 0, time.perf_counter()
    while True:
        state = chunk(state)
        jax.block_until_ready(state.seqs)
        done += 1
        elapsed = time.perf_counter() - start
        if (done >= chunks) if chunks is not None else (elapsed >= seconds):
            return state, done, elapsed, compile_s


def run_one(setting: Setting, chunks: int | None = None) -> tuple[dict, object]:
    """One process: compile, then chunks for about ``seconds`` (or exactly ``chunks`` after one warm-up
    chunk); returns the measurements and the final trainer state."""
    enable_compilation_cache()
    row = bench_row(setting)
    train = make_train(row)
    state = jax.jit(jax.vmap(train.init))(trial_keys(row, 0, setting.trials), jnp.arange(setting.trials))
    state, done, elapsed, compile_s = timed(train, state, setting.seconds, chunks)
    sequences = done * row.chunk * setting.trials
    length = mean_length(row.task)
    return {
        "task": setting.task, "options": dict(setting.options), "engine": choose(row),
        "updates": setting.updates,
        "weights": row.weights, "trials": setting.trials, "chunk": row.chunk, "processes": 1,
        "seconds": round(elapsed, 2), "compile_s": round(compile_s, 2),
        "sequences_per_s": sequences / elapsed,
        "trial_steps_per_s": sequences * length / elapsed,
        "padded_steps_per_s": sequences * row.task.max_len / elapsed,
        "mean_length": round(length, 2), "max_length": row.task.max_len,
        "device": device_name(), "jax": jax.__version__,
        "weights_crc32": checksum(state.params), "sequences_per_trial": int(np.asarray(state.seqs)[0]),
    }, state


def run(setting: Setting) -> dict:
    """``processes`` single-threaded copies at once (each its own process), rates added."""
    bench_row(setting)                                   # bad task or options: fail before spawning
    if setting.processes == 1:
        return run_one(setting)[0]
    env = dict(os.environ, XLA_FLAGS=SINGLE_THREAD)
    argv = [sys.executable, "-m", "lstm97", "bench", setting.task,
            *[f"{k}={v}" for k, v in setting.options], "--trials", str(setting.trials),
            "--seconds", str(setting.seconds), "--chunk", str(setting.chunk), "--engine", setting.engine,
            "--updates", setting.updates, "--processes", "1", "--json"]
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(setting.processes)]
    results = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"bench worker failed: {err.strip().splitlines()[-1] if err.strip() else '?'}")
        results.append(json.loads(out))
    total = dict(results[0])
    for key in ("sequences_per_s", "trial_steps_per_s", "padded_steps_per_s"):
        total[key] = sum(r[key] for r in results)
    total["compile_s"] = max(r["compile_s"] for r in results)
    total["processes"] = setting.processes
    total["device"] = f"{setting.processes} processes on {results[0]['device']}"
    return total


def summary_line(result: dict) -> str:
    opts = " ".join(f"{k}={v}" for k, v in result["options"].items())
    return (f"{result['task']} {opts}".strip() + f": {result['trial_steps_per_s'] / 1e6:.2f}M trial-steps/s "
            f"({result['padded_steps_per_s'] / 1e6:.2f}M padded), {result['sequences_per_s']:,.0f} sequences/s, "
            f"compile {result['compile_s']:.1f} s, {result['trials']} trials × {result['processes']} "
            f"process(es), engine {result['engine']}, {result['device']}")


def paper_workload() -> list[tuple[str, str, str, int, float, float]]:
    """The paper's LSTM rows as (experiment, row, suite net whose rate stands in, trials, mean sequences to
    success, mean sequence length), from ``lstm97.paper``. Exp 2 rows add the 10,000-sequence success window;
    mean lengths are expected lengths (1.05 T where lengths are T..1.1 T; 2c: q + 13; exp 1: 12 symbols)."""
    rows = [("exp1", f"{b} blocks x {s} lr={lr:g}", "exp1", paper.TRIALS["exp1"], ref.sequences, 12.0)
            for (b, s, lr), ref in paper.TABLE1.items()]
    window = paper.EXP2_WINDOW
    rows.append(("exp2", "2a LSTM p=100", "exp2c p=100 q=100", paper.TRIALS["exp2a"],
                 paper.TABLE2[("LSTM", 100, 1.0)].sequences + window, 101.0))
    rows.append(("exp2", "2b LSTM p=100", "exp2c p=100 q=100", paper.TRIALS["exp2b"],
                 paper.TASK2B.sequences + window, 101.0))
    rows += [("exp2", f"2c q={q} p={p}", "exp2c p=100 q=100" if p <= 200 else "exp2c p=1000 q=1000",
              paper.TRIALS["exp2c"], ref.sequences + window, q + 13.0) for (q, p), ref in paper.TABLE3.items()]
    rows += [("exp3", f"{task} T={T} N={N}", "exp4 T=100", paper.TRIALS["exp3"], ref.sequences, 1.05 * T)
             for (task, T, N), ref in paper.TABLE456.items()]
    rows += [("exp4", f"T={T}", "exp4 T=100", paper.TRIALS["exp4"], ref.sequences, 1.05 * T)
             for T, ref in paper.TABLE7.items()]
    rows += [("exp5", f"n_seq={n}", "exp4 T=100", paper.TRIALS["exp5"], ref.sequences, 105.0)
             for n, ref in paper.TABLE8.items()]
    rows += [("exp6", task, "exp6a", paper.TRIALS[f"exp{task}"], ref.sequences, 105.0)
             for task, ref in paper.TABLE9.items()]
    return rows


# make bench: (net, configuration, setting changes). "before" is the foundation's trainer on one row at the
# paper's trial count; "after" the best settings found here.
PAPER_TRIALS = {"exp2c": 20, "exp4": 10, "exp6a": 20, "exp1": 30}
CONFIGS = (
    ("before: scan engine, paper's trials, 1 process", lambda task: dict(engine="scan",
                                                                        trials=PAPER_TRIALS[task])),
    ("auto engine, paper's trials, 1 process", lambda task: dict(trials=PAPER_TRIALS[task])),
    ("scan engine, 512 trials, 1 process", lambda task: dict(engine="scan", trials=512)),
    ("auto engine, 512 trials, 1 process", lambda task: dict(trials=512)),
    ("after: auto engine, 512 trials, 2 processes", lambda task: dict(trials=512, processes=2)),
)


def net_name(task: str, options: dict) -> str:
    return " ".join([task] + [f"{k}={v}" for k, v in sorted(options.items())])


def run_grid(rows: list[Row], seconds: float = 8.0, chunk: int = 200, before: list[list[int]] | None = None,
             what: str = "readings") -> tuple[dict, ...]:
    """Jobs that can share one program (``rows``, ``engines.wide_key`` equal: a paper row's grid of readings, or
    a comparison program's rows) trained three ways, in one process each: all rows' trials side by side in
    one program (``make_train(members=rows)``, as ``python -m lstm97 readings`` and a wide sweep train them),
    the same on the lanes engine (rows declaring ``engine="lanes"``, where it covers the net), and the way they
    trained before, one batch at a time (``before``: each batch's row indices, by default one row a batch),
    each batch for its share of ``seconds`` after its compile. ``what`` names the rows. Returns the
    measurements, wide first."""
    enable_compilation_cache()
    rows = [r.scaled(chunk=chunk, cap=NEVER) for r in rows]        # no trial stops while it is timed
    length = mean_length(rows[0].task)
    trials = rows[0].trials
    batches = [[rows[i] for i in batch] for batch in (before or [[i] for i in range(len(rows))])]

    def program(members: list[Row]):
        if len(members) == 1:                                      # a job alone, as train_row trains it
            train = make_train(members[0])
            return train, jax.jit(jax.vmap(train.init))(trial_keys(members[0], 0, trials), jnp.arange(trials))
        keys = jnp.concatenate([trial_keys(r, 0, trials) for r in members])
        member = jnp.repeat(jnp.arange(len(members), dtype=jnp.int32), trials)
        rates = jnp.repeat(jnp.asarray([r.learning_rate for r in members], jnp.float32), trials)
        train = make_train(members[0], rate_in_state=True, members=tuple(members))
        return train, jax.jit(jax.vmap(train.init))(keys, jnp.tile(jnp.arange(trials), len(members)), rates, member)

    def wide(members: list[Row]) -> tuple[int, float, float]:
        return timed(*program(members), seconds)[1:]

    chunks, wide_s, wide_compile = wide(rows)
    on_lanes = [replace(r, engine="lanes") for r in rows] if lanes.supports(rows[0].arch) else []
    lanes_run = wide(on_lanes) if on_lanes else None
    batch_sequences, batch_s, batch_compile = 0, 0.0, 0.0
    for batch in batches:
        _, n, elapsed, compile_s = timed(*program(batch), seconds * len(batch) / len(rows))
        batch_sequences += n * chunk * trials * len(batch)
        batch_s, batch_compile = batch_s + elapsed, batch_compile + compile_s

    def result(sequences: int, elapsed: float, compile_s: float, width: int, how: str, engine: str = "") -> dict:
        return {"task": rows[0].task_name, "options": {"T": getattr(rows[0].task, "T", None)},
                "engine": engine or choose(rows[0]),
                "updates": rows[0].updates, "weights": rows[0].weights, "trials": width, "chunk": chunk,
                "processes": 1, "seconds": round(elapsed, 2), "compile_s": round(compile_s, 2),
                "sequences_per_s": sequences / elapsed, "trial_steps_per_s": sequences * length / elapsed,
                "padded_steps_per_s": sequences * rows[0].task.max_len / elapsed, "mean_length": round(length, 2),
                "max_length": rows[0].task.max_len, "device": device_name(), "jax": jax.__version__, "how": how}

    n = len(rows)
    made = [result(chunks * chunk * trials * n, wide_s, wide_compile, trials * n,
                   f"{n} {what} x {trials} trials in one program")]
    if lanes_run is not None:
        made.append(result(lanes_run[0] * chunk * trials * n, lanes_run[1], lanes_run[2], trials * n,
                           f"{n} {what} x {trials} trials in one program, lanes engine", "lanes"))
    widths = sorted({len(b) * trials for b in batches}, reverse=True)
    how = (f"the same {n} {what}, one {trials}-trial job at a time" if widths == [trials] else
           f"the same {n} {what} in their {len(batches)} batches of {' and '.join(map(str, widths))} trials, "
           "one at a time")
    return tuple(made) + (result(batch_sequences, batch_s, batch_compile, max(widths), how),)


def run_suite(out, seconds: float = 8.0, command: str = "make bench", progress=print,
              grid: tuple[str, list[Row]] | None = None,
              packed: tuple[str, list[Row], list[list[int]]] | None = None) -> list[dict]:
    """Every suite net under every configuration; with ``grid`` (a paper row's name and its rows under a grid
    of readings) the grid trained wide against one job at a time, and with ``packed`` (a name, the rows of one
    wide program of the comparison and the batches they trained in before) that program against those
    batches (``run_grid``); writes ``bench.csv`` and ``README.md`` under ``out``."""

    out = Path(out)
    rows = []
    for task, options in SUITE:
        for config, changes in CONFIGS:
            setting = Setting(task, tuple((k, str(v)) for k, v in options.items()), seconds=seconds,
                              **changes(task))
            result = run(setting)
            rows.append({"net": net_name(task, options), "config": config, **{k: v for k, v in result.items()
                                                                              if k != "options"}})
            progress(f"{rows[-1]['net']} | {config}: {result['trial_steps_per_s'] / 1e6:.2f}M trial-steps/s")
    lines = []
    if grid is not None:
        lines.append((f"{grid[0]}, grid of {len(grid[1])} readings", run_grid(grid[1], seconds=seconds)))
    if packed is not None:
        name, members, before = packed
        lines.append((f"{name}, a comparison program of {len(members)} jobs",
                      run_grid(members, seconds=seconds, before=before, what="jobs")))
    for net, results in lines:
        for result in results:
            rows.append({"net": net, "config": result.pop("how"),
                         **{k: v for k, v in result.items() if k != "options"}})
            progress(f"{net} | {rows[-1]['config']}: {result['trial_steps_per_s'] / 1e6:.2f}M trial-steps/s")
    table = pd.DataFrame(rows)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".bench.csv.tmp"
    table.to_csv(tmp, index=False)
    tmp.replace(out / "bench.csv")
    write_readme(out, table, command)
    return rows


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    except (ValueError, OSError):
        mem = float("nan")
    return f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}"


def paper_estimate(table) -> list[tuple[str, float, float]]:
    """(experiment, trial-steps, hours at the measured paper-trial-count rates with two rows at a time)."""
    rates = {}
    for _, r in table.iterrows():
        if r["config"].startswith("auto engine, paper's trials"):
            rates[r["net"]] = r["trial_steps_per_s"]
    per_exp: dict[str, list[float]] = {}
    for exp, _, net, trials, sequences, length in paper_workload():
        steps = trials * sequences * length
        acc = per_exp.setdefault(exp, [0.0, 0.0])
        acc[0] += steps
        acc[1] += steps / rates[net] / 2 / 3600          # two processes, one row each
    return [(exp, steps, hours) for exp, (steps, hours) in per_exp.items()]


def write_readme(out, table, command: str) -> None:
    prov = provenance()
    lines = [
        "# Throughput of the trainer (`make bench`)", "",
        f"Made by `{command}` at commit `{prov['commit']}` with jax {prov['jax']}, on: {machine()}.",
        "A trial-step is one time step of one trial (forward, gradient, and once per sequence the update), "
        "counted over the sequences' true lengths; `padded` counts the steps the program computes. "
        "Each line trains the paper's net for the task with the real trainer (`train.make_train`) for "
        f"{table['seconds'].iloc[0]:.0f} s or more after compiling. Every number here is from `bench.csv`.", "",
        "| net | configuration | engine | trials | processes | M trial-steps/s | M padded/s | sequences/s |"
        " compile s |", "|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        lines.append(f"| {r['net']} | {r['config']} | {r['engine']} | {r['trials']} | {r['processes']} | "
                     f"{r['trial_steps_per_s'] / 1e6:.2f} | {r['padded_steps_per_s'] / 1e6:.2f} | "
                     f"{r['sequences_per_s']:,.0f} | {r['compile_s']:.1f} |")
    estimate = paper_estimate(table)
    total_steps = sum(s for _, s, _ in estimate)
    total_hours = sum(h for _, _, h in estimate)
    lines += ["", "## Time to reproduce the paper, estimated from these rates", "",
              "The paper's LSTM rows at the paper's trial counts and mean sequences to success "
              "(`bench.paper_workload()`; failed trials that run to their caps come on top), at the rate measured "
              "for the closest net at its paper trial count (auto engine, one process), two rows at a time:", "",
              "| experiment | trial-steps | hours |", "|---|---|---|"]
    lines += [f"| {exp} | {steps:.3g} | {hours:.2f} |" for exp, steps, hours in estimate]
    lines += [f"| all | {total_steps:.3g} | {total_hours:.2f} |", ""]
    (out / "README.md").write_text("\n".join(lines) + "\n")
