"""The forget gate's own experiment: the continual embedded Reber grammar (CERG) of Gers, Schmidhuber & Cummins
(2000), "Learning to forget", spec §11.

Embedded Reber strings (exp 1's grammar, ``tasks/exp1.py``) follow each other in one stream with no marked
boundary: after a string's final E the next string's B comes. At every step the net reads one symbol and
predicts the legal next symbols: its target is 1 on every legal successor and 0 elsewhere (a prediction is
right when every output is within 0.49 of its target, so both legal successors must be on). Weights change
after every symbol (online, the truncated gradient of the 1997 rule, computed forward as in Appendix A.1:
``continual_rtrl.make_rtrl``); learning rate 0.5.

Protocol per net (spec §11): a *training stream* runs until the net's first wrong prediction (or
``train_len`` symbols); the net's activations are reset at the start of each stream, and, for "standard LSTM
with external reset", also at the start of every string. After each training stream the net is tested on
``test_streams`` fixed test streams of ``test_len`` symbols, each also ending at its first wrong prediction; a
net that predicts all of them to the end is a *perfect* solution and stops, its "training streams to
solution" the streams it took. A net still not perfect after ``max_streams`` training streams is *good* when
its average error-free test-stream length exceeds 1,000 symbols, else *rest* (Gers et al.'s Table 2).

Nets: Gers et al.'s 4 blocks of 2 cells; inputs feed cells and gates, cell outputs feed cell inputs, every gate
and the outputs, inputs also feed the outputs; every gate and output biased; input- and output-gate biases
−0.5, −1, −1.5, −2, forget-gate biases +0.5, +1, +1.5, +2 (block 1 … 4); other weights U[−0.2, 0.2]
(424 weights with forget gates, 360 without). g ∈ [−2, 2], h ∈ [−1, 1] as in 1997 (the paper does not say).

All nets of a row run at once (``vmap``), each its own state machine (training, testing, done) advanced one
symbol per tick inside ``lax.scan``. ``python -m lstm97 run cerg [--quick]`` writes ``results/cerg/``
(``continual_report.py``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from lstm97 import checkpoint as checkpoint_file
from lstm97.cells import Carry, n_weights
from lstm97.continual_rtrl import make_rtrl
from lstm97.modern import GatedLSTM
from lstm97.readings import PAPER, Reading
from lstm97.registry import cell_name, make_cell
from lstm97.seeds import root_key
from lstm97.tasks.cerg import Gen, legal_target, stream_next, stream_start

TOLERANCE = 0.49            # a prediction is right when every output error is below this (spec §11)
GOOD_LENGTH = 1000          # "good": average error-free test-stream length above this
TRAIN, TEST, DONE = 0, 1, 2
INT32_MAX = 2 ** 31 - 1     # limits must fit the on-device int32 counters
UNIT = 2 ** 30              # the symbol counters are (units of 2^30, rest): exact past 2^31 symbols


def count_add(count: jax.Array) -> jax.Array:
    """(2,) int32 (high, low) + 1, carrying at 2^30 so that neither part overflows."""
    high, low = count[0], count[1] + 1
    return jnp.stack([high + (low >= UNIT), jnp.where(low >= UNIT, low - UNIT, low)])


def count_value(count) -> int:
    high, low = (int(v) for v in np.asarray(count))
    return high * UNIT + low
SEED_STREAM = 2000          # fold_in(PRNGKey(seed), 2000), then split over nets: every row shares its
                            # nets' keys (paired comparisons: net i of each row starts alike where shapes agree)

def cerg_net(forget_gate: bool) -> GatedLSTM:
    """Gers et al. (2000)'s CERG net (spec §11), with or without forget gates."""
    return GatedLSTM(n_in=7, n_out=7, blocks=4, block_size=2, forget_gate=forget_gate, recurrent="cells",
                     bias_cells=False, bias_gates=True, bias_out=True, shortcut=True, init_scale=0.2,
                     in_gate_bias=(-0.5, -1.0, -1.5, -2.0), out_gate_bias=(-0.5, -1.0, -1.5, -2.0),
                     forget_bias=(0.5, 1.0, 1.5, 2.0) if forget_gate else 1.0, symbolic=True)


def starting_carry(row, gen: Gen, carry: Carry, S, zero: Carry):
    """The carry (and sensitivities) a symbol starts from: reset at every string's start for rows "with
    external reset", else as left by the previous symbol; with state decay d, s(t−1) enters as d·s(t−1),
    so its sensitivities as d·S(t−1)."""
    reset = row.reset_strings & gen.starts
    carry = jax.tree.map(lambda z, c: jnp.where(reset, z, c), zero, carry)
    S = jax.tree.map(lambda a: jnp.where(reset, 0.0, a), S)
    if row.state_decay != 1.0:
        carry = carry._replace(s=row.state_decay * carry.s)
        S = jax.tree.map(lambda a: row.state_decay * a, S)
    return carry, S


def stream_outputs(row, w: jax.Array, key: jax.Array, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The net's outputs (n, 7) on the first ``n`` symbols of the stream from ``key`` (weights fixed, the row's
    reset rule ``starting_carry``, as the trainer's ticks), their targets, and which symbols open a string."""
    forward = make_rtrl(row.arch).forward
    zero = make_cell(row.arch).init_carry()

    def step(state, _):
        gen, carry = state
        carry, _ = starting_carry(row, gen, carry, jnp.zeros(()), zero)
        carry, out = forward(w, carry, gen.sym)
        return (stream_next(gen), carry), (out, legal_target(gen), gen.starts)

    outs, targets, starts = jax.lax.scan(step, (stream_start(key), zero), None, length=n)[1]
    return np.asarray(outs), np.asarray(targets), np.asarray(starts)


# --- one row: every net at once ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class GersRef:
    """One row of Gers et al. (2000)'s Table 2 (spec §11)."""
    perfect: float                  # % perfect solutions
    streams: float | None           # mean training streams to a perfect solution
    good: float
    good_length: float | None       # mean error-free length of the good ones
    rest: float
    rest_length: float | None


@dataclass(frozen=True)
class ContinualRow:
    label: str
    arch: GatedLSTM
    learning_rate: float = 0.5      # §11: 0.5
    reset_strings: bool = False     # "with external reset": activations reset at every string's start
    state_decay: float = 1.0        # "state decay (0.9)": s(t−1) × this before every step (Table 2)
    decay: float = 1.0              # learning rate × decay after every training stream (rows not run, §11)
    nets: int = 100                 # §11: 100 nets per row
    max_streams: int = 30_000       # §11: at most 30,000 training streams
    train_len: int = 100_000        # UNKNOWN (10⁵ or 10⁶ in the notes): docs/deviations.md
    test_streams: int = 10          # §11: 10 test streams …
    test_len: int = 100_000         # … of 100,000 symbols
    max_ticks: int = 0              # ours: symbols (training and test) per net before it stops; 0: no limit
    chunk: int = 2_000              # ticks per compiled call
    paper: GersRef | None = None
    run: bool = True
    note: str = ""
    experiment: str = "cerg"        # the job store's folder, <out>/<experiment>/jobs (not in the fingerprint)

    def __post_init__(self):
        for name in ("nets", "max_streams", "train_len", "test_streams", "test_len", "chunk"):
            if not 1 <= getattr(self, name) <= INT32_MAX:
                raise ValueError(f"{self.label}: {name} must be between 1 and {INT32_MAX:,}, got {getattr(self, name)}")
        if not 0 <= self.max_ticks <= INT32_MAX:
            raise ValueError(f"{self.label}: the symbol budget must be 0 (no limit) or at most {INT32_MAX:,}, "
                             f"got {self.max_ticks}")
        if not 0.0 < self.state_decay <= 1.0:
            raise ValueError(f"{self.label}: state decay must be in (0, 1], got {self.state_decay}")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise ValueError(f"{self.label}: learning rate must be a positive number, got {self.learning_rate}")

    @property
    def weights(self) -> int:
        return n_weights(self.arch)

    @property
    def cell(self) -> str:
        """The cell's name in tables, from the one registry of cells (``registry.cell_name``)."""
        return cell_name(self.arch)

    @property
    def trials(self) -> int:
        """The row's nets: its trials, as the driver (``sweep``) counts them."""
        return self.nets

    @property
    def job(self) -> str:
        return f"{self.experiment}/{self.label}"

    @property
    def reading(self) -> Reading:
        return PAPER

    def fingerprint(self) -> str:
        """Everything that decides the numbers; ``test_every`` 1: a test after every training stream (a field
        once, kept so that the committed jobs still match)."""
        fields = {k: v for k, v in vars(self).items()
                  if k not in ("label", "paper", "run", "note", "nets", "chunk", "experiment")}
        if self.state_decay == 1.0:                 # added later: rows without decay keep their fingerprint
            del fields["state_decay"]
        return repr(sorted({**fields, "test_every": 1}.items()))


class NetState(NamedTuple):
    w: jax.Array
    lr: jax.Array
    S: Any                  # the sensitivities ds/dw (make_rtrl)
    carry: Carry
    gen: Gen
    phase: jax.Array        # TRAIN, TEST or DONE
    run: jax.Array          # right predictions so far in the current stream
    streams: jax.Array      # training streams finished
    trained: jax.Array      # training symbols presented (one weight update each), ``count_add``
    key: jax.Array          # for the next training stream
    test_key: jax.Array     # the net's fixed test streams
    test_index: jax.Array
    test_lengths: jax.Array  # error-free length of each test stream of the test under way
    last_lengths: jax.Array  # … of the last finished test
    solved_at: jax.Array    # training streams to a perfect solution, −1 while none
    diverged: jax.Array
    ticks: jax.Array        # symbols processed, training and test, ``count_add``


def make_row(row: ContinualRow):
    """``(init(key) -> NetState, chunk(NetState) -> NetState)``; vmap both over nets."""
    arch = row.arch
    rtrl = make_rtrl(arch)
    forward, rtrl_step = rtrl.forward, rtrl.step
    cell = make_cell(arch)
    zero_carry = cell.init_carry()

    def init(key: jax.Array) -> NetState:
        k_init, k_stream, k_test = jax.random.split(key, 3)
        w = ravel_pytree(cell.init_params(k_init))[0]
        k_stream, k_first = jax.random.split(k_stream)
        return NetState(w=w, lr=jnp.float32(row.learning_rate), S=rtrl.init_sens(), carry=zero_carry,
                        gen=stream_start(k_first), phase=jnp.int32(TRAIN), run=jnp.int32(0),
                        streams=jnp.int32(0), trained=jnp.zeros(2, jnp.int32), key=k_stream, test_key=k_test,
                        test_index=jnp.int32(0), test_lengths=jnp.zeros(row.test_streams, jnp.int32),
                        last_lengths=jnp.zeros(row.test_streams, jnp.int32),
                        solved_at=jnp.int32(-1), diverged=jnp.bool_(False), ticks=jnp.zeros(2, jnp.int32))

    def begin(ns: NetState) -> tuple[Carry, jax.Array]:
        return starting_carry(row, ns.gen, ns.carry, ns.S, zero_carry)

    def train_tick(ns: NetState) -> NetState:
        carry, S = begin(ns)
        target = legal_target(ns.gen)
        carry, out, grad, S = rtrl_step(ns.w, carry, S, ns.gen.sym, target)
        right = jnp.all(jnp.abs(out - target) < TOLERANCE)
        w = ns.w - ns.lr * grad
        diverged = ~jnp.all(jnp.isfinite(w))
        run = ns.run + right
        end = ~right | (run >= row.train_len)
        streams = ns.streams + end
        key, k_next = jax.random.split(ns.key)
        to_test = end
        fresh = jax.tree.map(lambda a, b: jnp.where(to_test, a, b),
                             stream_start(jax.random.fold_in(ns.test_key, 0)), stream_start(k_next))
        return ns._replace(
            w=w, lr=jnp.where(end, ns.lr * row.decay, ns.lr),
            S=jax.tree.map(lambda a: jnp.where(end, 0.0, a), S),
            carry=jax.tree.map(lambda z, c: jnp.where(end, z, c), zero_carry, carry),
            gen=jax.tree.map(lambda a, b: jnp.where(end, a, b), fresh, stream_next(ns.gen)),
            phase=jnp.where(diverged, DONE, jnp.where(to_test, TEST, TRAIN)),
            run=jnp.where(end, 0, run), streams=streams, trained=count_add(ns.trained),
            key=jnp.where(end, key, ns.key), test_index=jnp.where(to_test, 0, ns.test_index),
            diverged=diverged)

    def test_tick(ns: NetState) -> NetState:
        carry, _ = begin(ns)
        target = legal_target(ns.gen)
        carry, out = forward(ns.w, carry, ns.gen.sym)
        right = jnp.all(jnp.abs(out - target) < TOLERANCE)
        run = ns.run + right
        end = ~right | (run >= row.test_len)
        lengths = jnp.where(end, ns.test_lengths.at[ns.test_index].set(run), ns.test_lengths)
        index = ns.test_index + end
        finished = index >= row.test_streams
        perfect = finished & jnp.all(lengths >= row.test_len)
        stop = perfect | (finished & (ns.streams >= row.max_streams))
        key, k_next = jax.random.split(ns.key)
        next_test = stream_start(jax.random.fold_in(ns.test_key, index))
        fresh = jax.tree.map(lambda a, b: jnp.where(finished, a, b), stream_start(k_next), next_test)
        return ns._replace(
            carry=jax.tree.map(lambda z, c: jnp.where(end, z, c), zero_carry, carry),
            gen=jax.tree.map(lambda a, b: jnp.where(end, a, b), fresh, stream_next(ns.gen)),
            phase=jnp.where(stop, DONE, jnp.where(finished, TRAIN, TEST)),
            run=jnp.where(end, 0, run), key=jnp.where(finished, key, ns.key),
            test_index=jnp.where(finished, 0, index), test_lengths=lengths,
            last_lengths=jnp.where(finished, lengths, ns.last_lengths),
            solved_at=jnp.where(perfect, ns.streams, ns.solved_at))

    def tick(ns: NetState) -> NetState:
        live = ns.phase != DONE
        ns = jax.lax.switch(ns.phase, (train_tick, test_tick, lambda s: s), ns)
        ticks = jnp.where(live, count_add(ns.ticks), ns.ticks)
        high, low = divmod(row.max_ticks, UNIT)
        spent = (row.max_ticks > 0) & ((ticks[0] > high) | ((ticks[0] == high) & (ticks[1] >= low)))
        return ns._replace(ticks=ticks, phase=jnp.where(spent, DONE, ns.phase))

    def chunk(states: NetState) -> NetState:
        return jax.lax.scan(lambda s, _: (jax.vmap(tick)(s), None), states, None, length=row.chunk)[0]

    return init, chunk


def outcome(length: float, solved: bool) -> str:
    """Gers et al.'s classes: perfect, good (average error-free test-stream length > 1,000), rest."""
    return "perfect" if solved else ("good" if length > GOOD_LENGTH else "rest")


def run_row(row: ContinualRow, seed: int = 0, nets: int | None = None, progress=None,
            checkpoint: Path | None = None, checkpoint_s: float = 120.0) -> list[dict]:
    """Train every net of ``row`` at once until each is perfect, diverged or past ``max_streams``; one dict
    per net. Checkpoints as ``train.train_row`` (same file format, resumed when they match)."""
    nets = row.nets if nets is None else nets
    init, chunk = make_row(row)
    keys = jax.random.split(jax.random.fold_in(root_key(seed), SEED_STREAM), nets)
    state = jax.jit(jax.vmap(init))(keys)
    tag = np.array(f"{row.fingerprint()}/{seed}/{nets}")
    finished_at = np.full(nets, np.nan)
    elapsed = 0.0
    if checkpoint is not None and checkpoint.exists():
        state, finished_at, elapsed, _ = checkpoint_file.load(checkpoint, state, tag, finished_at, nets)
    start, saved = time.perf_counter() - elapsed, time.perf_counter()
    step = jax.jit(chunk, donate_argnums=0)
    while True:
        phase = np.asarray(state.phase)
        now = time.perf_counter() - start
        finished_at[(phase == DONE) & np.isnan(finished_at)] = now
        if progress is not None:
            streams = np.where(phase == DONE, row.max_streams, np.minimum(np.asarray(state.streams), row.max_streams))
            progress(int(streams.sum()), nets * row.max_streams)
        if (phase == DONE).all():
            break
        if checkpoint is not None and time.perf_counter() - saved > checkpoint_s:
            checkpoint_file.save(checkpoint, state, tag, finished_at, now, nets)
            saved = time.perf_counter()
        state = step(state)
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    out = []
    for i in range(nets):
        lengths = np.asarray(state.last_lengths[i])
        solved = bool(np.asarray(state.solved_at[i]) >= 0)
        mean_length = float(lengths.mean())
        out.append({"row": row.label, "cell": row.cell, "seed": seed,
                    "net": i, "solved": solved, "streams_to_solution": int(state.solved_at[i]) if solved else -1,
                    "streams": int(state.streams[i]), "symbols_trained": count_value(state.trained[i]),
                    "test_mean_length": round(mean_length, 1), "test_lengths": lengths.tolist(),
                    "outcome": "diverged" if bool(state.diverged[i]) else outcome(mean_length, solved),
                    "ticks": count_value(state.ticks[i]),
                    "final_learning_rate": float(state.lr[i]), "wall_s": round(float(finished_at[i]), 2)})
    return out
