"""``make_train(row)``: every trial of a table row trains at once, in one jitted program.

Protocol (spec §1.5, decisions 1, 2, 5, 13, 16): each trial draws a fresh sequence from the task, runs the
cell over it from a zero state, takes the gradient of ½ Σ_t Σ_k mask_t (t_k − y_k)² (truncated for the 1997
cell), and applies one plain SGD step (``optax.sgd``, no momentum): one sequence per update. Criteria on the
training stream are judged after every sequence, criteria on test sets (exps 1 and 3) after every chunk; a
trial stops at success or at its cap and then holds its weights. Exps 3-6 then test each trial's final net
on 2,560 fresh sequences (``final_test``).

The training loop is a pure function of the trial keys (purejaxrl style): ``init(key, index)`` builds one
trial's state, ``chunk(states)`` presents ``row.chunk`` sequences to every trial with ``lax.scan``. The
gradient comes from one of two engines (``make_learn``): ``scan`` (``jax.grad`` through the time loop,
vmapped over trials; per-step updates by ``rtrl.py``) or ``lanes`` (the paper's forward rule with the trials
as SIMD lanes, ``lanes.py``). ``train_row`` runs the chunks from Python so that the progress bar advances,
checkpoints are written and the row ends when every trial is done; with several devices the trials are split
over them (``placement``).
"""
from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lstm97 import checkpoint as checkpoint_file
from lstm97.cells import Params
from lstm97.config import Row
from lstm97.criteria import test_errors
from lstm97.engines import fingerprint, make_learn, packable, sequence_loss, wide_key
from lstm97.registry import make_cell
from lstm97.seeds import root_key
from lstm97.stats import ERROR_BINS
from lstm97.tasks.base import Sequence, judge, mean_error


class TrialState(NamedTuple):
    params: Params
    opt_state: Any
    key: jax.Array          # the trial's stream key: one split per sequence
    seqs: jax.Array         # sequences presented so far
    crit: Any               # the criterion's own state
    done: jax.Array
    diverged: jax.Array
    recent_error: jax.Array  # moving average (rate 1/100) of each sequence's largest judged error
    growth: Any = ()         # construction.GrowthState for rows built sequentially (exp 2a/2b option)
    variant: Any = 0         # the data variant of tasks with several (exp 1: trial i uses set pair i mod 3)
    member: Any = ()         # in a wide program (``make_train(members=...)``), the trial's row: which net start,
                             # task values and cap it has; () where every trial has the same


class Train(NamedTuple):
    init: Callable[[jax.Array, jax.Array], TrialState]   # one trial from its key and index (vmap it)
    chunk: Callable[[TrialState], TrialState]        # a whole batch: every leaf has the trial axis first


def trial_keys(row: Row, seed: int, trials: int) -> jax.Array:
    """fold_in(root, crc32(job)), then fold_in(job_key, trial): trial i's key does not depend on the count.
    The root key holds the whole seed (``seeds.root_key``: any seed in [0, 2⁶³))."""
    job_key = jax.random.fold_in(root_key(seed), row.job_hash)
    return jax.vmap(lambda i: jax.random.fold_in(job_key, i))(jnp.arange(trials))


class Rate(NamedTuple):
    """The state of ``sgd_in_state``: the trial's own learning rate."""
    rate: jax.Array


def sgd_in_state() -> optax.GradientTransformation:
    """Plain SGD whose learning rate is part of each trial's state instead of a constant of the program, so
    that the rows of a learning-rate sweep share one batch (``train_rows``). The step is optax.sgd's:
    (−rate) × gradient, the same float operations, so the numbers equal ``optax.sgd(rate)``'s (tested)."""
    def update(grads, state: Rate, params=None):
        del params
        # one rate per trial: a scalar under vmap, or (trials,) against the lanes engine's trailing trial axis
        return jax.tree.map(lambda g: -jnp.reshape(state.rate, (1,) * (g.ndim - state.rate.ndim) + state.rate.shape)
                            * g, grads), state

    return optax.GradientTransformation(lambda params: Rate(jnp.float32(jnp.nan)), update)


def make_train(row: Row, rate_in_state: bool = False, members: tuple[Row, ...] = ()) -> Train:
    """With ``rate_in_state`` each trial's learning rate is the third argument of ``init`` (see
    ``sgd_in_state``), and ``row.learning_rate`` is not used. ``members``: the rows of a wide program
    (``engines.wide_key`` equal, ``row`` among them); each trial's row index is ``init``'s fourth argument,
    and picks its net's start (``init_params``), its task's generator and its cap, each computed as that
    row's alone would (``lax.switch``), so its numbers are those of its row trained alone."""
    cell = make_cell(row.arch)
    task, criterion = row.task, row.criterion
    optimiser = sgd_in_state() if rate_in_state else optax.sgd(row.learning_rate)
    learn = make_learn(row, cell, optimiser)
    members = members or (row,)
    starts, tasks = _distinct([m.arch for m in members]), _distinct([m.task for m in members])
    caps = {m.cap for m in members}
    wide = max(len(starts), len(tasks), len(caps)) > 1
    start_of = jnp.asarray([starts.index(m.arch) for m in members], jnp.int32)
    task_of = jnp.asarray([tasks.index(m.task) for m in members], jnp.int32)
    cap_of = jnp.asarray([m.cap for m in members], jnp.int32)
    init_params = [make_cell(arch).init_params for arch in starts]
    samplers = [t.sample for t in tasks]

    variants = task.variants

    def init(key: jax.Array, index: jax.Array, rate: jax.Array | None = None, member: jax.Array = 0) -> TrialState:
        k_init, k_stream = jax.random.split(key)
        params = (jax.lax.switch(start_of[member], init_params, k_init) if len(starts) > 1
                  else cell.init_params(k_init))
        growth = ()
        if row.construction is not None:
            params, growth = row.construction.init(params)
        opt_state = Rate(jnp.asarray(rate, jnp.float32)) if rate_in_state else optimiser.init(params)
        return TrialState(params=params, opt_state=opt_state, key=k_stream,
                          seqs=jnp.int32(0), crit=criterion.init(), done=jnp.bool_(False),
                          diverged=jnp.bool_(False), recent_error=jnp.float32(1.0), growth=growth,
                          variant=(index % variants).astype(jnp.int32),
                          member=jnp.asarray(member, jnp.int32) if wide else ())

    def draw(state: TrialState) -> tuple[jax.Array, Sequence]:
        key, k_seq = jax.random.split(state.key)
        if variants > 1:
            return key, task.sample_variant(k_seq, state.variant)
        return key, (jax.lax.switch(task_of[state.member], samplers, k_seq) if len(tasks) > 1
                     else task.sample(k_seq))

    def settle(state: TrialState, key, seq: Sequence, params, opt_state, loss, outputs) -> TrialState:
        """One trial's bookkeeping after its sequence: criterion, stop, divergence, frozen when done."""
        correct, worst = judge(outputs, seq, task.threshold)
        error = mean_error(outputs, seq)
        active = ~state.done
        keep = lambda new, old: jax.tree.map(lambda n, o: jnp.where(active, n, o), new, old)
        seqs = state.seqs + active.astype(jnp.int32)
        growth = state.growth
        if row.construction is not None:
            params, growth = row.construction.update(growth, params, loss, seqs)
            growth = keep(growth, state.growth)
        crit = keep(criterion.update(state.crit, seqs, correct, error), state.crit)
        diverged = state.diverged | (active & ~jnp.isfinite(loss))
        cap = cap_of[state.member] if len(caps) > 1 else row.cap
        done = state.done | diverged | (crit.success_at >= 0) | criterion.failed(crit, seqs, cap)
        recent = jnp.where(active, state.recent_error + 0.01 * (worst - state.recent_error),
                           state.recent_error)
        return TrialState(params=keep(params, state.params), opt_state=keep(opt_state, state.opt_state),
                          key=key, seqs=seqs, crit=crit, done=done, diverged=diverged,
                          recent_error=recent, growth=growth, variant=state.variant, member=state.member)

    def present(state: TrialState, _) -> tuple[TrialState, None]:
        keys, seqs = jax.vmap(draw)(state)
        params, opt_state, loss, outputs = learn(state.params, state.opt_state, seqs)
        return jax.vmap(settle)(state, keys, seqs, params, opt_state, loss, outputs), None

    def check(state: TrialState) -> TrialState:
        """Criteria judged on test sets (exps 1-3) look at every trial after each chunk; a trial that is done
        keeps its state."""
        key = jax.random.fold_in(state.key, CHECK_STREAM)
        crit = criterion.check(state.crit, batch_outputs(cell, state.params), task, key, state.variant,
                               state.seqs)
        crit = jax.tree.map(lambda n, o: jnp.where(state.done, o, n), crit, state.crit)
        return state._replace(crit=crit, done=state.done | (crit.success_at >= 0))

    def chunk(state: TrialState) -> TrialState:
        state = jax.lax.scan(present, state, None, length=row.chunk)[0]
        if not criterion.checks:
            return state
        if criterion.checks_alone:                   # one trial after another: a done one costs nothing
            return jax.lax.map(lambda one: jax.lax.cond(one.done, lambda s: s, check, one), state)
        return jax.vmap(check)(state)

    return Train(init, chunk)


def _distinct(values: list) -> list:
    """``values`` without repeats, in first-seen order."""
    return [v for i, v in enumerate(values) if v not in values[:i]]


def batch_outputs(cell, params: Params) -> Callable[[Sequence], jax.Array]:
    """The net's outputs on a batch of sequences (no learning)."""
    return jax.vmap(lambda seq: sequence_loss(cell, params, seq)[1])


CHECK_STREAM, TEST_STREAM = 0x0C4EC4, 0x7E57    # fold_in constants: test sequences apart from training ones




def final_test(row: Row, state: TrialState, size: int, batch: int = 256) -> dict[str, np.ndarray]:
    """After training (exps 3-6, decision 15): each trial's final net on ``size`` fresh sequences of its own
    test stream; per trial the number misclassified, the mean absolute error (against the noise-free target
    in exp 3c, where it is the paper's "average difference to mean"), a histogram of the sequences' errors
    over ``ERROR_BINS``, and for classification tasks (exp 6) the confusion matrix (true × predicted class,
    the class being the most active output at the end)."""
    cell, task = make_cell(row.arch), row.task
    part_size = math.gcd(size, batch)         # batches that tile the test set (2,560 and 256: of 256)
    classes = task.n_out if task.classifies else 0
    edges = jnp.asarray(ERROR_BINS[1:-1])

    def one(params: Params, key: jax.Array):
        keys = jax.random.split(jax.random.fold_in(key, TEST_STREAM), size).reshape(-1, part_size, 2)

        def part(keys):
            seqs = jax.vmap(task.sample)(keys)
            outputs = batch_outputs(cell, params)(seqs)
            wrong, err = test_errors(task, outputs, seqs)
            hist = jnp.zeros(len(ERROR_BINS) - 1, jnp.int32).at[jnp.searchsorted(edges, err, side="right")].add(1)
            confusion = jnp.zeros((max(classes, 1), max(classes, 1)), jnp.int32)
            if classes:
                last = jnp.argmax(seqs.judge, axis=1)
                at_end = lambda a: jnp.take_along_axis(a, last[:, None, None], axis=1)[:, 0]
                truth, guess = at_end(seqs.target).argmax(-1), at_end(outputs).argmax(-1)
                confusion = confusion.at[truth, guess].add(1)
            return wrong.sum(), err.sum(), hist, confusion

        wrong, err, hist, confusion = jax.lax.map(part, keys)
        return wrong.sum(), err.sum() / size, hist.sum(0), confusion.sum(0)

    wrong, err, hist, confusion = jax.jit(jax.vmap(one))(state.params, state.key)
    out = {"test_wrong": np.asarray(wrong), "test_mean_error": np.asarray(err),
           "test_error_hist": [";".join(map(str, h)) for h in np.asarray(hist)]}
    if classes:
        out["test_confusion"] = [";".join(",".join(map(str, r)) for r in c) for c in np.asarray(confusion)]
    return out


def enable_compilation_cache() -> None:
    """JAX's persistent compilation cache, so a rerun (or a resumed run) loads its programs instead of
    compiling them again: ``$LSTM97_CACHE`` or ``~/.cache/lstm97/xla``; ``LSTM97_CACHE=off`` disables it."""
    path = os.environ.get("LSTM97_CACHE", str(Path.home() / ".cache" / "lstm97" / "xla"))
    if path.lower() in ("", "0", "off", "none"):
        return
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)   # our programs compile in 1-3 s
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def placement(trials: int, shard: bool | None = None) -> tuple[int, Any]:
    """How many lanes to run and where: with several devices (GPUs, or CPU devices made with
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N``) the trial axis is split over a one-axis mesh
    (``NamedSharding``), padded to a multiple of the device count with extra trials whose results are
    dropped. Each trial's numbers depend only on its own key, so they do not depend on the split (tested)."""
    devices = jax.devices()
    if shard is None:
        shard = len(devices) > 1
    if not shard or len(devices) == 1:
        return trials, None
    lanes_ = -(-trials // len(devices)) * len(devices)
    mesh = jax.sharding.Mesh(np.array(devices), ("trials",))
    return lanes_, jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("trials"))


def train_row(row: Row, seed: int = 0, trials: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              checkpoint: Path | None = None, checkpoint_s: float = 120.0,
              shard: bool | None = None) -> list[dict]:
    """Train every trial of ``row`` at once; returns one dict per trial.

    ``progress(sequences_done, sequences_budget)`` is called after each chunk with the sequences presented
    over all trials and the most they could present (trials × (cap + window)). With ``checkpoint``, the whole
    state is saved there every ``checkpoint_s`` seconds (at a chunk boundary, atomically) and a run finding a
    matching checkpoint continues from it: the chunks after it are the same computation, so the numbers are
    those of an uninterrupted run. The file is removed when the row is done. ``shard``: split the trials
    over the devices (default: when there are several; ``placement``)."""
    trials = row.trials if trials is None else trials
    train = make_train(row)
    return _train([row], train, None, seed, trials, progress, checkpoint, checkpoint_s, shard)[0]


def train_rows(rows: list[Row], seed: int = 0, trials: int | None = None,
               progress: Callable[[int, int], None] | None = None,
               checkpoint: Path | None = None, checkpoint_s: float = 120.0,
               shard: bool | None = None) -> list[list[dict]]:
    """``train_row`` for rows that can share one program (``engines.wide_key``: rows that differ in their
    learning rate, their nets' initial weights, their tasks' values and their caps), all in one batch: the
    trials of every row side by side, each with its row's keys, its row's rate (``sgd_in_state``) and, where
    rows differ in more, its row's start, task and cap (``make_train(members=...)``). A batch of 40 trials
    costs about as much per sequence as one of 10 on this machine (make bench: exp4 T=100, one core, 6.83M
    against 3.21M trial-steps/s), so a 4-rate sweep runs about twice as fast. Each trial's numbers depend
    only on its key and its row, so they equal those of ``train_row`` on its row (tested). Returns each
    row's trial dicts, in the order of ``rows``."""
    if not rows or any(not packable(r) or wide_key(r) != wide_key(rows[0]) for r in rows):
        raise ValueError("train_rows takes rows with per-sequence updates that differ only in their learning "
                         "rate, initial weights, task values or cap (engines.wide_key)")
    trials = rows[0].trials if trials is None else trials
    train = make_train(rows[0], rate_in_state=True, members=tuple(rows))
    return _train(rows, train, [r.learning_rate for r in rows], seed, trials, progress, checkpoint,
                  checkpoint_s, shard)


def _train(rows: list[Row], train: Train, rates: list[float] | None, seed: int, trials: int,
           progress, checkpoint: Path | None, checkpoint_s: float, shard: bool | None) -> list[list[dict]]:
    row, real = rows[0], trials * len(rows)
    lanes_, sharding = placement(real, shard)
    keys = jnp.concatenate([trial_keys(r, seed, trials) for r in rows])
    index = jnp.tile(jnp.arange(trials), len(rows))
    lane = jnp.arange(lanes_) % real             # padding lanes repeat real trials; their results are dropped
    if rates is None:
        state = jax.jit(jax.vmap(train.init))(keys[lane], index[lane])
    else:
        lane_rates = jnp.repeat(jnp.asarray(rates, jnp.float32), trials)
        member = jnp.repeat(jnp.arange(len(rows), dtype=jnp.int32), trials)
        state = jax.jit(jax.vmap(train.init))(keys[lane], index[lane], lane_rates[lane], member[lane])
    finished_at = np.full(real, np.nan)
    tag = np.array(("rates in state|" if rates is not None else "")
                   + "|".join(f"{fingerprint(r)}/{seed}/{trials}" for r in rows))
    elapsed = 0.0
    # a trial's key moves on every chunk, also once it is done, and its final test draws from it: each row's
    # test keys are taken when that row's last trial is done, as a run of the row alone ends there
    test_keys, row_done = np.asarray(state.key)[:real].copy(), np.zeros(len(rows), bool)
    if checkpoint is not None and checkpoint.exists():
        state, finished_at, elapsed, extra = checkpoint_file.load(checkpoint, state, tag, finished_at, real)
        if "row_done" in extra:
            test_keys, row_done = extra["test_keys"], extra["row_done"]
    if sharding is not None:
        state = jax.device_put(state, sharding)
    start = time.perf_counter() - elapsed
    chunk = jax.jit(train.chunk, donate_argnums=0)
    budget = trials * sum(r.criterion.most_sequences(r.cap) for r in rows)
    saved = time.perf_counter()
    while not np.asarray(state.done)[:real].all():
        state = chunk(state)
        done = np.asarray(state.done)[:real]
        now = time.perf_counter() - start
        finished_at[done & np.isnan(finished_at)] = now
        ended = ~row_done & done.reshape(len(rows), trials).all(axis=1)
        if ended.any():
            lane_ended = np.repeat(ended, trials)
            test_keys[lane_ended] = np.asarray(state.key)[:real][lane_ended]
            row_done |= ended
        if progress is not None:
            progress(int(np.asarray(state.seqs)[:real].sum()), budget)
        if checkpoint is not None and time.perf_counter() - saved > checkpoint_s and not done.all():
            checkpoint_file.save(checkpoint, state, tag, finished_at, now, real, test_keys=test_keys, row_done=row_done)
            saved = time.perf_counter()
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    state = jax.tree.map(lambda leaf: np.asarray(leaf)[:real], state)
    state = state._replace(key=test_keys)
    tests = {}
    for task in _distinct([r.task for r in rows]) if row.test_sequences else ():   # one test per task
        group = [i for i, r in enumerate(rows) if r.task == task]
        lanes_of = np.concatenate([np.arange(i * trials, (i + 1) * trials) for i in group])
        result = final_test(rows[group[0]], jax.tree.map(lambda leaf: leaf[lanes_of], state), row.test_sequences)
        for at, i in enumerate(group):
            tests[i] = {k: v[at * trials:(at + 1) * trials] for k, v in result.items()}
    out = []
    for i, r in enumerate(rows):
        part = slice(i * trials, (i + 1) * trials)
        out.append(trial_rows(r, seed, jax.tree.map(lambda leaf: leaf[part], state), finished_at[part],
                              tests.get(i, {})))
    return out


def trial_rows(row: Row, seed: int, state: TrialState, wall: np.ndarray, tests: dict | None = None) -> list[dict]:
    success_at = np.asarray(state.crit.success_at)
    seqs = np.asarray(state.seqs)
    diverged = np.asarray(state.diverged)
    err = np.asarray(state.recent_error)
    learned_at = np.asarray(state.crit.learned_at)          # every criterion's state has it (-1: unused)
    grown_at = np.asarray(state.growth.grown_at) if state.growth != () else np.full(len(seqs), -1)
    st1_at = np.asarray(state.crit.st1_at) if "st1_at" in state.crit._fields else np.full(len(seqs), -1)
    tests = tests or {}
    rows = []
    for i in range(len(seqs)):
        success = bool(success_at[i] >= 0)
        reason = "success" if success else ("diverged" if diverged[i] else "cap")
        rows.append({
            "experiment": row.experiment, "row": row.label, "cell": row.cell, "seed": seed, "trial": i,
            "success": success, "sequences": int(success_at[i]) if success else int(row.cap),
            "presented": int(seqs[i]), "learned_at": int(learned_at[i]), "grown_at": int(grown_at[i]),
            "reason": reason, "final_error": float(err[i]),
            "wall_s": round(float(wall[i]), 3),
        })
        if "st1_at" in state.crit._fields:
            rows[-1]["st1_at"] = int(st1_at[i])
        if tests:
            rows[-1].update(test_sequences=row.test_sequences, test_wrong=int(tests["test_wrong"][i]),
                            test_mean_error=float(tests["test_mean_error"][i]),
                            test_error_hist=tests["test_error_hist"][i])
            if "test_confusion" in tests:
                rows[-1]["test_confusion"] = tests["test_confusion"][i]
    return rows
