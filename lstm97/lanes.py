"""The fast engine: the paper's forward algorithm for the 1997 LSTM, every trial of a row in one SIMD lane.

Source: Hochreiter & Schmidhuber (1997), Appendix A.1 (spec §1.5): with the truncated gradient, errors reach
the past only through the cell states, whose self-weight is 1.0, so the derivatives of each cell state with
respect to its own cell's incoming weights and its block's input-gate weights can be carried forward in time:

    P_{c,u}(t) = P_{c,u}(t−1) + y_in_j(t) g'(net_c(t)) y_u(t−1)           (∂s_c/∂w_{c,u})
    Q_{c,u}(t) = Q_{c,u}(t−1) + g(net_c(t)) f'(net_in_j(t)) y_u(t−1)      (∂s_c/∂w_{in_j,u})

The error of a step reaches the output weights, the output gates and (through ∂E/∂s_c · P, Q) the cells and
input gates. O(W) work per step, no stored activations, no backward pass; per-step updates come for free.

Layout: the whole batch is one program whose arrays end with the trial axis (``(units, sources, trials)``),
and every matrix product is written as a short sum of broadcast products over the sources, so XLA fuses a
step into a few loops vectorised across trials. The input layer's part of every step is computed before the
time loop, and the error terms only at steps where some trial has a target (``lax.cond``): in exps 2c-6 that
is the last few steps. Measured here (exp 4 at T = 100, one process, 512 trials, `results/bench/`): the
whole trainer runs at 14.05 M trial-steps/s against the scan engine's 10.94 M. With few trials (≤ 64) its longer
step costs more than it saves, and with a target at every step (exp 1) the scan engine stays ahead, so
``Row.engine_used`` picks by those measurements.

The result equals ``jax.grad`` of the scanned truncated loss (``train.sequence_loss``) up to float rounding
(tested in ``tests/test_lanes.py``): the scan-based gradient stays as the oracle and as the engine for the
nets this one does not cover (the RTRL net, the full gradient, many input symbols).
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from lstm97.cells import SQUASH, LSTM1997, Params
from lstm97.tasks.base import Sequence

MAX_INPUTS = 32      # symbol inputs become one-hot vectors here: beyond this, the scan engine's gathers win
WIDE = 128           # trials at once from which this engine beats the scan engine per sequence (make bench)


def supports(arch: Any, optimiser_state: Any = ()) -> bool:
    """Whether this engine computes the row's gradient: the 1997 cell with the truncated rule (hidden units
    reading the previous step), few inputs,
    and an optimiser without state (plain SGD, decision 2)."""
    return (isinstance(arch, LSTM1997) and arch.truncated and arch.hidden_order == "previous"
            and arch.n_in <= MAX_INPUTS
            and not jax.tree.leaves(optimiser_state))


def _with_slope(fn: Callable[[jax.Array], jax.Array], x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """fn(x) and fn'(x) elementwise."""
    return jax.jvp(fn, (x,), (jnp.ones_like(x),))


def _matvec(w: jax.Array, v: jax.Array) -> jax.Array:
    """(rows, n, K) · (n, K) -> (rows, K) as n broadcast products (fuses into one vectorised loop)."""
    total = jnp.zeros((w.shape[0], w.shape[2]), w.dtype)
    for i in range(w.shape[1]):
        total = total + w[:, i, :] * v[i][None, :]
    return total


def _outer(a: jax.Array, v: jax.Array) -> jax.Array:
    """(rows, K) ⊗ (n, K) -> (rows, n, K)."""
    return a[:, None, :] * v[None, :, :]


def make_learn(arch: LSTM1997, optimiser, per_step: bool):
    """``learn(params, opt_state, seqs) -> (params, opt_state, loss, outputs)`` for a whole batch: params and
    sequences carry the trial axis first (as ``vmap`` would), outputs come back as (trials, L, n_out). Outputs
    are computed at the steps where some trial has a target or a judged output, and are zero elsewhere."""
    C, B, S = arch.n_cells, arch.blocks, arch.block_size
    H, R = arch.n_hidden, arch.n_recurrent
    g, h = SQUASH[arch.g], SQUASH[arch.h]
    masks = arch.masks()
    gate_rows = slice(C, C + B)
    out_rows = slice(C + B, H)

    def rep(a: jax.Array) -> jax.Array:
        """Block values (B, K) to their cells (C, K)."""
        return jnp.repeat(a, S, axis=0)

    def block_sum(a: jax.Array) -> jax.Array:
        """Cell values (C, …) summed over each block's cells -> (B, …)."""
        return a.reshape((B, S) + a.shape[1:]).sum(axis=1)

    def drive(w: Params, x: tuple) -> jax.Array:
        """Σ_i w_{·,i} x_i + bias for every lane: the input layer's part of the hidden net inputs."""
        total = w["b_hidden"]
        for i, x_i in enumerate(x):
            total = total + w["w_hidden_x"][:, i, :] * x_i[None, :]
        return total

    def forward(w: Params, carry, x: tuple, d: jax.Array):
        """One time step for every lane: the new carry and what the error of this step needs."""
        s, y, P, Q = carry
        y_prev = y[:R]
        net = d
        for r in range(R):
            net = net + w["w_hidden_h"][:, r, :] * y_prev[r][None, :]
        y_in = jax.nn.sigmoid(net[gate_rows])
        y_out = jax.nn.sigmoid(net[out_rows]) if arch.output_gate else jnp.ones_like(y_in)
        g_c, g_slope = _with_slope(g, net[:C])
        a = rep(y_in) * g_slope                                         # ∂s/∂net_c
        b = g_c * rep(y_in * (1.0 - y_in))                              # ∂s/∂net_in
        s = s + rep(y_in) * g_c
        P = {"x": tuple(p + a * x_i[None, :] for p, x_i in zip(P["x"], x)),
             "h": P["h"] + _outer(a, y_prev), "b": P["b"] + a}
        Q = {"x": tuple(q + b * x_i[None, :] for q, x_i in zip(Q["x"], x)),
             "h": Q["h"] + _outer(b, y_prev), "b": Q["b"] + b}
        h_c, h_slope = _with_slope(h, s)
        y_c = rep(y_out) * h_c
        hidden = [y_c, y_in, y_out] if arch.output_gate else [y_c, y_in]
        return (s, jnp.concatenate(hidden), P, Q), (y_prev, y_out, h_c, h_slope, y_c)

    def readout(w: Params, P, Q, x: tuple, target, mask, local):
        """The outputs of a step and its error's contribution to every gradient (split by rows)."""
        y_prev, y_out, h_c, h_slope, y_c = local
        xs = jnp.stack(x) if x else jnp.zeros((0, mask.shape[0]), mask.dtype)
        stack = lambda parts: jnp.stack(parts, axis=1) if parts else jnp.zeros((C, 0, mask.shape[0]), mask.dtype)
        out = jax.nn.sigmoid(_matvec(w["w_out_c"], y_c) + _matvec(w["w_out_x"], xs) + w["b_out"])
        diff = out - target
        loss = 0.5 * mask * jnp.sum(diff ** 2, axis=0)
        delta = mask[None, :] * diff * out * (1.0 - out)                # ∂E/∂net_k
        e = _matvec(jnp.swapaxes(w["w_out_c"], 0, 1), delta)            # ∂E/∂y_c  (C, K)
        ds = e * rep(y_out) * h_slope                                   # ∂E/∂s_c at this step
        grads = {
            "cell_x": stack([ds * p for p in P["x"]]), "cell_h": ds[:, None, :] * P["h"], "cell_b": ds * P["b"],
            "in_x": block_sum(stack([ds * q for q in Q["x"]])), "in_h": block_sum(ds[:, None, :] * Q["h"]),
            "in_b": block_sum(ds * Q["b"]),
            "w_out_c": _outer(delta, y_c), "w_out_x": _outer(delta, xs) if arch.connectivity == "B" else
            jnp.zeros_like(w["w_out_x"]), "b_out": delta * masks["b_out"][:, None],
        }
        if arch.output_gate:
            d_out = block_sum(e * h_c) * y_out * (1.0 - y_out)          # ∂E/∂net_out (immediate only)
            grads.update(out_x=_outer(d_out, xs), out_h=_outer(d_out, y_prev), out_b=d_out)
        return grads, loss, out

    def assemble(parts: dict) -> Params:
        """Row blocks of the hidden weights, stacked in the cells' order [cells, input gates, output gates]."""
        kinds = ("cell", "in", "out") if arch.output_gate else ("cell", "in")
        stack = lambda src: jnp.concatenate([parts[f"{k}_{src}"] for k in kinds])
        return {"w_hidden_x": stack("x"), "w_hidden_h": stack("h"),
                "b_hidden": stack("b") * masks["b_hidden"][:, None],
                "w_out_c": parts["w_out_c"], "w_out_x": parts["w_out_x"], "b_out": parts["b_out"]}

    def learn(params: Params, opt_state, seqs: Sequence):
        K = seqs.mask.shape[0]
        dtype = params["w_hidden_h"].dtype              # float32 in training, float64 in the gradient tests
        w = {k: jnp.moveaxis(v, 0, -1) for k, v in params.items()}
        w["b_hidden"] = w["b_hidden"] * masks["b_hidden"][:, None]
        w["b_out"] = w["b_out"] * masks["b_out"][:, None]
        x = (jax.nn.one_hot(seqs.x, arch.n_in, dtype=dtype) if arch.symbolic else seqs.x)
        x = tuple(jnp.moveaxis(x[:, :, i], 0, -1) for i in range(arch.n_in))      # I rows of (L, K)
        needed = ((seqs.mask > 0) | (seqs.judge > 0)).any(axis=0)
        target, mask = jnp.moveaxis(seqs.target, 0, -1), jnp.moveaxis(seqs.mask, 0, -1)
        # per-sequence updates: the input layer's part of every step at once, outside the time loop
        drives = None if per_step else jax.vmap(lambda *x_t: drive(w, x_t))(*x)
        zeros = lambda *shape: jnp.zeros(shape + (K,), dtype)
        I = arch.n_in
        carry = (zeros(C), zeros(H), {"x": tuple(zeros(C) for _ in range(I)), "h": zeros(C, R), "b": zeros(C)},
                 {"x": tuple(zeros(C) for _ in range(I)), "h": zeros(C, R), "b": zeros(C)})
        shapes = jax.eval_shape(lambda: readout(w, carry[2], carry[3], tuple(zeros() for _ in range(I)),
                                                target[0], mask[0],
                                                (zeros(R), zeros(B), zeros(C), zeros(C), zeros(C))))
        no_error = jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), shapes)

        def body(state, inputs):
            w, opt_state, carry, total = state
            x_t, d_t, target_t, mask_t, any_needed = inputs
            carry, local = forward(w, carry, x_t, drive(w, x_t) if per_step else d_t)

            def with_error():
                grads, loss, out = readout(w, carry[2], carry[3], x_t, target_t, mask_t, local)
                return grads if per_step else jax.tree.map(jnp.add, total, grads), loss, out

            # most steps of exps 2c-6 carry no target in any lane: no error, nothing to add there
            grads, loss, out = jax.lax.cond(any_needed, with_error,
                                            lambda: (no_error[0] if per_step else total,) + no_error[1:])
            if per_step:
                updates, opt_state = optimiser.update(assemble(grads), opt_state, w)
                w = jax.tree.map(jnp.add, w, updates)
            else:
                total = grads
            return (w, opt_state, carry, total), (loss, out)

        steps = (x, jnp.zeros((mask.shape[0], 0)) if per_step else drives, target, mask, needed)
        (w, opt_state, _, total), (losses, outs) = jax.lax.scan(body, (w, opt_state, carry, no_error[0]), steps)
        if not per_step:
            updates, opt_state = optimiser.update(assemble(total), opt_state, w)
            w = jax.tree.map(jnp.add, w, updates)
        new = {k: jnp.moveaxis(w[k], -1, 0) for k in params}
        # biases that do not exist stay exactly as they were (zero), as under the scan engine
        new["b_hidden"] = jnp.where(masks["b_hidden"] > 0, new["b_hidden"], params["b_hidden"])
        new["b_out"] = jnp.where(masks["b_out"] > 0, new["b_out"], params["b_out"])
        return new, opt_state, losses.sum(axis=0), jnp.moveaxis(outs, -1, 0)

    return learn
