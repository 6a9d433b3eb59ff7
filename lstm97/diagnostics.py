"""Diagnostics of rows that do not reproduce. Exp 2: internal state drift at initialisation (spec §1.7);
exp 1: which predictions the nets get right while they train; the comparison (issue 6): what the gates of a
gated LSTM do while it trains (``gate_trace``).

If |s| is large at the target step, h'(s) ≈ 0 and no error reaches the cell input or input gate: the
trial cannot start learning. ``python -m lstm97 diagnose exp2`` prints, for each exp 2c row, the median
|s| at the target step over the row's initial nets (one fresh sequence each) and the fraction of nets whose
h'(s) exceeds 0.05 (h' ≤ 0.5 everywhere).
"""
from __future__ import annotations


from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np

from lstm97.cells import SQUASH, LSTM1997
from lstm97.registry import make_cell
from lstm97.config import Row
from lstm97.readings import PAPER
from lstm97.modern import GatedLSTM
from lstm97.tasks.exp1 import legal_correct
from lstm97.train import batch_outputs, make_train, trial_keys


def state_at_target(row: Row, seed: int = 0, trials: int | None = None) -> np.ndarray:
    """Cell states (trials, cells) at the last target step of one fresh sequence, for the initial nets."""
    cell = make_cell(row.arch)

    def one(key: jax.Array) -> jax.Array:
        k_init, k_stream = jax.random.split(key)
        params = cell.init_params(k_init)
        seq = row.task.sample(jax.random.split(k_stream)[1])
        _, states = jax.lax.scan(lambda c, d: (cell.step(params, c, d)[0],) * 2, cell.init_carry(),
                                 cell.embed(params, seq.x))
        last = jnp.max(jnp.where(seq.mask > 0, jnp.arange(len(seq.mask)), -1))
        return states.s[last]

    return np.asarray(jax.vmap(one)(trial_keys(row, seed, trials or row.trials)))


def drift_table(rows: tuple[Row, ...]) -> str:
    lines = ["| row | median abs(s) at target | nets with h'(s) > 0.05 |", "|---|---|---|"]
    for row in rows:
        s = state_at_target(row)
        h_prime = np.asarray(jax.vmap(jax.grad(SQUASH[row.arch.h]))(jnp.asarray(s.ravel())))
        lines.append(f"| {row.label} | {np.median(np.abs(s)):.1f} | {(h_prime > 0.05).mean():.0%} |")
    return "\n".join(lines)


PROBED = "LSTM 3 blocks x 2 lr=0.5"       # exp 1's row reber_probe looks at


def reber_probe(row: Row, updates: str = "sequence", chunks: int = 40, trials: int = 3, every: int = 5,
                full: bool = False) -> str:
    """Exp 1's row ``PROBED`` (seed 0, ``trials`` trials, no stopping; ``full``: the full
    gradient), every ``every`` × 1,000 strings on each trial's 256 training strings: the fraction of strings
    entirely right, of steps right (legal successors above illegal ones) and of right predictions of the symbol
    before last (the T/P that repeats the second symbol across the embedded string); and at the step that
    predicts it, the median |s| over cells and strings and the share of them with h'(s) > 0.05 (spec §1.7's
    drift). ``python -m lstm97 diagnose exp1 [sequence|step] [full]``."""
    row = row.scaled(cap=10 ** 7, chunk=1000, updates=updates, arch=replace(row.arch, truncated=not full))
    train, cell, task = make_train(row), make_cell(row.arch), row.task
    h_prime = jax.grad(SQUASH[row.arch.h])

    def states(params, seq):
        _, s = jax.lax.scan(lambda c, d: (cell.step(params, c, d)[0],) * 2, cell.init_carry(),
                            cell.embed(params, seq.x))
        return s.s[seq.length - 3]

    def evaluate(params, variant):
        batch, legal = task.variant_sets("train", variant)
        out = batch_outputs(cell, params)(batch)
        low = jnp.where(legal, out, jnp.inf).min(-1)
        high = jnp.where(legal, -jnp.inf, out).max(-1)
        step_ok = (low > high) | (batch.judge == 0)
        before_last = step_ok[jnp.arange(step_ok.shape[0]), batch.length - 3]
        s = jax.vmap(states, (None, 0))(params, batch).ravel()
        return (jax.vmap(legal_correct)(out, legal, batch.judge).mean(), step_ok.mean(), before_last.mean(),
                jnp.median(jnp.abs(s)), (jax.vmap(h_prime)(s) > 0.05).mean())

    state = jax.jit(jax.vmap(train.init))(trial_keys(row, 0, trials), jnp.arange(trials))
    chunk, evaluate = jax.jit(train.chunk), jax.jit(jax.vmap(evaluate))
    lines = [f"updates per {updates}, {'full' if full else 'truncated'} gradient; per trial: strings right / "
             "steps right / symbol before last right / median |s| there / share with h'(s) > 0.05",
             "| strings | " + " | ".join(f"trial {i}" for i in range(trials)) + " |", "|---" * (trials + 1) + "|"]
    for i in range(1, chunks + 1):
        state = chunk(state)
        if i % every == 0:
            cols = zip(*(np.asarray(a) for a in evaluate(state.params, state.variant)))
            lines.append(f"| {i * row.chunk:,} | " + " | ".join(
                f"{a:.3f} / {b:.3f} / {c:.3f} / {d:.1f} / {e:.2f}" for a, b, c, d, e in cols) + " |")
    return "\n".join(lines)


def _run_fresh(row: Row, cell):
    """``(params, key, variant) -> (sequence, carries, outputs)``: the net run over every step of one fresh
    sequence of the row's task (the trial's own data variant where the task has several, exp 1)."""
    task = row.task

    def run(params, key, variant):
        seq = task.sample_variant(key, variant) if task.variants > 1 else task.sample(key)

        def step(c, d):
            c, out = cell.step(params, c, d)
            return c, (c, out)

        _, (carry, out) = jax.lax.scan(step, cell.init_carry(), cell.embed(params, seq.x))
        return seq, carry, out
    return run


def _snapshots(row: Row, trials: int, seed: int, sequences: int, points: int, look):
    """The row's first ``trials`` trials of ``seed``, trained as its job trains them (``train.make_train``, the
    job's trial keys, stopping rule included); ``points`` times over the first ``sequences`` sequences, the
    batch state and ``look(params, key, variant)`` of each trial (jitted, vmapped over the trials)."""
    train = make_train(row)
    state = jax.jit(jax.vmap(train.init))(trial_keys(row, seed, trials), jnp.arange(trials))
    chunk, look = jax.jit(train.chunk), jax.jit(jax.vmap(look))
    every = max(1, -(-sequences // points // row.chunk))
    for _ in range(points):
        for _ in range(every):
            state = chunk(state)
        yield state, np.asarray(look(state.params, state.key, state.variant))


def gate_trace(row: Row, trials: int = 4, sequences: int = 30_000, points: int = 10, probes: int = 64) -> str:
    """A gated-LSTM row of the comparison: its first ``trials`` trials, trained exactly as its job trains them
    (``train.make_train`` with the job's trial keys, stopping rule included), looked at ``points`` times over
    the first ``sequences`` sequences on ``probes`` fresh sequences each. At each sequence's last step: the
    absolute output error, the mean |s| and |cell output|, and the mean input, output and forget-gate
    activations (for the 1997 connectivity, whose gates feed back; the vanilla net feeds back its cell outputs
    only, and its gates show as –); then the largest |peephole weight| of each gate.
    ``python -m lstm97 diagnose gates "<comparison row label>" [trials] [sequences]``."""
    arch = row.arch
    if not isinstance(arch, GatedLSTM):
        raise ValueError(f"{row.label}: not a gated LSTM (forget-gate, peephole or vanilla)")
    if not 1 <= trials <= row.trials or sequences < 1 or points < 1 or probes < 1:
        raise ValueError(f"trials must be 1 to the job's {row.trials}; sequences, points and probes at least 1")
    run = _run_fresh(row, make_cell(arch))
    C, B = arch.n_cells, arch.blocks
    gates_fed_back = arch.recurrent == "all"

    def at_end(params, key, variant):
        seq, carry, out = run(params, key, variant)
        last = seq.length - 1
        y = carry.y[last]
        gates = [y[C + i * B:C + (i + 1) * B].mean() for i in range(3)] if gates_fed_back else [jnp.nan] * 3
        error = jnp.abs(out[last] - seq.target[last]).mean()
        return jnp.stack([error, jnp.abs(carry.s[last]).mean(), jnp.abs(y[:C]).mean(), *gates])

    def look(params, key, variant):
        keys = jax.random.split(jax.random.fold_in(key, 0x6A7E), probes)
        return jax.vmap(at_end, (None, 0, None))(params, keys, variant).mean(0)

    names = ("input", "output", "forget")
    lines = [f"{row.label}: trials 0-{trials - 1}; at the last step of {probes} fresh sequences: mean absolute "
             "error, mean |s|, mean |cell output|, mean gate activations; then the largest |peephole weight|",
             "| sequences | trial | error | abs(s) | abs(cell output) | input gate | output gate | forget gate | "
             + " | ".join(f"max abs(peephole {n})" for n in names) + " | done |", "|---" * 12 + "|"]
    for state, stats in _snapshots(row, trials, 0, sequences, points, look):
        peep = np.abs(np.asarray(state.params["w_peep"]))
        for t in range(trials):
            p = [f"{peep[t, g].max():.2f}" if peep.shape[-1] else "–" for g in (0, 1, 2)]
            fields = [f"{v:.3f}" if np.isfinite(v) else "–" for v in stats[t]]
            lines.append(f"| {int(np.asarray(state.seqs)[t]):,} | {t} | " + " | ".join(fields + p)
                         + f" | {'yes' if bool(np.asarray(state.done)[t]) else ''} |")
    return "\n".join(lines)



def state_trace(row: Row, trials: int = 3, sequences: int = 30_000, points: int = 10, probes: int = 128,
                seed: int = 0) -> str:
    """A 1997-LSTM row (any paper row but 2a/2b's), its first ``trials`` trials on ``seed``, trained exactly
    as its job trains them (``train.make_train`` with the job's trial keys, stopping rule included), looked at
    ``points`` times over the first ``sequences`` sequences on ``probes`` fresh sequences each. At each
    sequence's last target step: the mean absolute output error and the spread of the outputs (a net whose
    outputs do not vary has learned nothing), then for each block its mean |s|, mean input-gate and
    output-gate activation, and its cells' bias weight (where cells have one). Where a block's |s| grows
    large, h'(s) ≈ 0 and no error reaches it (state drift, spec §1.7).
    ``python -m lstm97 diagnose states "<experiment> <row>" [trials] [sequences] [seed]``."""
    arch = row.arch
    if not isinstance(arch, LSTM1997) or not arch.output_gate:
        raise ValueError(f"{row.label}: not a 1997 LSTM with output gates (2a/2b's net has none)")
    if not 1 <= trials <= row.trials or sequences < 1 or points < 1 or probes < 1:
        raise ValueError(f"trials must be 1 to the row's {row.trials}; sequences, points and probes at least 1")
    run = _run_fresh(row, make_cell(arch))
    C, B, S = arch.n_cells, arch.blocks, arch.block_size

    def at_end(params, key, variant):
        seq, carry, out = run(params, key, variant)
        last = jnp.max(jnp.where(seq.mask > 0, jnp.arange(len(seq.mask)), -1))
        y = carry.y[last]
        return jnp.concatenate([out[last], jnp.abs(out[last] - seq.target[last]),
                                jnp.abs(carry.s[last]).reshape(B, S).mean(1), y[C:C + B], y[C + B:C + 2 * B]])

    def look(params, key, variant):
        keys = jax.random.split(jax.random.fold_in(key, 0x57A7), probes)
        return jax.vmap(at_end, (None, 0, None))(params, keys, variant)

    K = row.task.n_out
    fmt = lambda values: " / ".join(f"{v:.2f}" for v in values)
    under = f" under the reading {row.reading.name}" if row.reading != PAPER else ""
    lines = [f"{row.label}{under}: trials 0-{trials - 1} of seed {seed}; at the last target step of {probes} fresh "
             "sequences: mean absolute error, standard deviation of the outputs, then by block (1 / 2 / …) the "
             "mean |s|, input gate, output gate and the cells' bias weight",
             "| sequences | trial | error | output sd | abs(s) | input gate | output gate | cell bias | done |",
             "|---" * 9 + "|"]
    for state, stats in _snapshots(row, trials, seed, sequences, points, look):
        bias = np.asarray(state.params["b_hidden"])[:, :C] if arch.bias_cells else None
        for t in range(trials):
            r = stats[t]
            blocks = [r[:, 2 * K + j * B:2 * K + (j + 1) * B].mean(0) for j in range(3)]
            cell_bias = fmt(bias[t].reshape(B, S).mean(1)) if bias is not None else "–"
            lines.append(f"| {int(np.asarray(state.seqs)[t]):,} | {t} | {r[:, K:2 * K].mean():.3f} | "
                         f"{r[:, :K].std(0).mean():.3f} | " + " | ".join(fmt(b) for b in blocks)
                         + f" | {cell_bias} | {'yes' if bool(np.asarray(state.done)[t]) else ''} |")
    return "\n".join(lines)
