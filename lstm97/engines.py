"""The gradient engines and the choice between them: the one module that computes gradients for training.

``scan``: ``jax.grad`` of ``sequence_loss`` through ``lax.scan``, vmapped over trials (per-step updates by the
forward-mode rule of ``rtrl.py``); ``lanes``: the paper's forward rule hand-written for the 1997 cell with the
trials as SIMD lanes (``lanes.py``). ``choose(row)`` picks one (a row's ``engine`` field asks for one, or
``auto``), ``make_learn`` builds its update, ``fingerprint`` names a row's job (the engine is part of what
decides the numbers: float rounding differs between the engines), ``packable``/``pack_key`` say which rows
train side by side in one batch (``pack_key``: rows that differ in their rate; ``wide_key``: also in initial
weights, task values and cap).
"""
from __future__ import annotations

import zlib
from dataclasses import fields, replace
from functools import partial

import jax
import jax.numpy as jnp
import optax

from lstm97 import lanes
from lstm97.cells import Params
from lstm97.config import Row
from lstm97.readings import PAPER
from lstm97.rtrl import make_forward_mode
from lstm97.tasks.base import Sequence


def sequence_loss(cell, params: Params, seq: Sequence) -> tuple[jax.Array, jax.Array]:
    """½ Σ_t mask_t Σ_k (t_k − y_k)² over one sequence from a zero state; returns (loss, outputs)."""
    _, outputs = jax.lax.scan(partial(cell.step, params), cell.init_carry(), cell.embed(params, seq.x))
    loss = 0.5 * jnp.sum(seq.mask[:, None] * (seq.target - outputs) ** 2)
    return loss, outputs


def choose(row: Row) -> str:
    """``auto`` picks the engine that measured faster here (``make bench``): the lanes engine for per-step
    updates (where the scan engine needs a Jacobian per step) and for wide rows whose targets are sparse;
    the scan engine otherwise. It depends on the row's own trial count, never on a run's ``--trials``, so
    a row's numbers do not depend on how many of its trials a run asks for."""
    if row.engine == "lanes" and not lanes.supports(row.arch):
        raise ValueError(f"{row.label}: the lanes engine covers the truncated 1997 LSTM with at most "
                         f"{lanes.MAX_INPUTS} inputs")
    if row.engine != "auto":
        return row.engine
    if not lanes.supports(row.arch):
        return "scan"
    if row.updates == "step":
        return "lanes"
    sparse = not row.task.targets_every_step
    return "lanes" if sparse and row.trials >= lanes.WIDE else "scan"


def make_learn(row: Row, cell, optimiser):
    """``learn(params, opt_state, seqs) -> (params, opt_state, loss, outputs)`` for a batch of trials (trial
    axis first), by the row's engine: ``lanes`` (the paper's forward rule with trials as SIMD lanes,
    ``lanes.py``) or ``scan`` (``jax.grad`` through ``lax.scan``, vmapped; per-step updates by ``rtrl.py``)."""
    per_step = row.updates == "step"
    if choose(row) == "lanes":
        return lanes.make_learn(row.arch, optimiser, per_step)
    if per_step:
        forward_mode = make_forward_mode(cell, row.arch, optimiser, per_step=True)
        return jax.vmap(lambda p, o, seq: forward_mode(p, o, seq)[:4])
    grad_fn = jax.value_and_grad(partial(sequence_loss, cell), has_aux=True)

    def learn(params: Params, opt_state, seq: Sequence):
        (loss, outputs), grads = grad_fn(params, seq)
        updates, opt_state = optimiser.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, loss, outputs

    return jax.vmap(learn)


def packable(row: Row) -> bool:
    """Rows that can share a batch with rows differing only in their learning rate: one update per sequence
    on the scan engine or the lanes engine (there each trial's rate, ``train.sgd_in_state``'s state, meets
    its lane's gradients), and no network construction."""
    return choose(row) in ("scan", "lanes") and row.updates == "sequence" and row.construction is None


def pack_key(row: Row) -> str:
    """Equal for rows that differ only in label, learning rate, paper reference and note."""
    return repr(replace(row, label="", learning_rate=1.0, paper=None, note="", rate_factor=1.0))


WIDEST = 512        # trials in one CPU program at most (make bench: wider gains nothing per trial-step here)


def wide_key(row: Row) -> str:
    """Equal for rows that can train side by side in one program (``train.train_rows``), each trial with its
    own row's keys, rate, initial weights, task values and cap as data: rows that differ only in those, in
    label, paper reference, note and result columns. Their nets must differ only in fields that ``init_params``
    alone reads (the architecture's ``INIT_ONLY``), their tasks only in values of one shape (same generator
    type, sequence shapes, threshold, one variant); a criterion that checks test sets needs one task."""
    arch, task = row.arch, row.task
    init_only = getattr(type(arch), "INIT_ONLY", ())
    net = (type(arch).__name__,) + tuple((f.name, getattr(arch, f.name)) for f in fields(arch)
                                         if f.name not in init_only)
    if row.criterion.checks or task.variants > 1:
        shape = repr(task)
    else:
        sample = jax.eval_shape(task.sample, jax.random.PRNGKey(0))
        shape = (type(task).__name__, task.threshold, repr(jax.tree.map(lambda a: (a.shape, str(a.dtype)), sample)))
    rest = replace(row, label="", learning_rate=1.0, paper=None, note="", rate_factor=1.0, cap=1, reading=PAPER,
                   pilot=False, paper_row="", variant="", arch=None, task=None)
    return repr((rest, net, shape))


def fingerprint(row: Row) -> str:
    """A row's job identity: text that changes whenever anything deciding its numbers changes, the engine
    ``choose`` picks included (stored with results and in the job
    file's name). ``chunk`` is in it: test-set criteria are checked, and final tests draw their keys, at
    chunk boundaries. The label decides the trial keys; it is in the job file's name and checked on load."""
    fields = (row.task_name, row.task, row.arch, row.learning_rate, row.cap, row.criterion,
              ("chunk", row.chunk))
    if row.updates != "sequence":
        fields += (row.updates,)
    if row.construction is not None:
        fields += (row.construction,)
    if choose(row) != "scan":          # float rounding differs between the engines
        fields += (choose(row),)
    if row.test_sequences:
        fields += (row.test_sequences,)
    return f"{zlib.crc32(repr(fields).encode()):08x}"
