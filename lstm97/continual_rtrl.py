"""The truncated gradient of the continual Reber grammar's gated nets, computed forward (Appendix A.1 of the
1997 paper, as Gers et al. 2000 train): ``make_rtrl(arch)`` gives the net's forward step and a step that also
carries the sensitivities ds/dw and returns the gradient of the squared error of one symbol, so that weights
can change after every symbol (``continual.py``). ``generic``: the same from ``jax.jacfwd`` (the tests' check
of the written-out rule).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from lstm97.cells import Carry, Drive
from lstm97.modern import SQUASH_MODERN, GatedLSTM
from lstm97.registry import make_cell


class Rtrl(NamedTuple):
    size: int                       # weights, flat
    unravel: Callable               # flat weights -> the cell's parameter dict
    forward: Callable               # (w, carry, sym) -> (carry, outputs)
    step: Callable                  # (w, carry, sens, sym, target) -> (carry, outputs, grad, sens)
    init_sens: Callable             # () -> zero sensitivities ds/dw


def make_rtrl(arch: GatedLSTM, generic: bool = False) -> Rtrl:
    """The forward (RTRL-style) truncated gradient of one step, for flat weights ``w``.

    Under the 1997 truncation (kept by Gers et al.) errors reach the past only through the cell states, so
    the gradient of the error at step t is ∂E/∂w + ∂E/∂s(t) · ds(t)/dw, and the sensitivities ds/dw obey
    S(t) = φ(t) S(t−1) + ∂s(t)/∂w|local (φ the forget gate, 1 without one).

    Two implementations, both checked against ``jax.grad`` through the truncated scan
    (``tests/test_continual.py``): for the CERG nets (recurrent sources the cell outputs, no peepholes) the
    paper's own bookkeeping written out (Appendix A.1, with Gers et al.'s forget-gate term); for any other
    truncated ``GatedLSTM`` (or ``generic=True``) one reverse-mode Jacobian of the cell step, in which s(t−1)
    enters as s(t−1) + S(t−1)·(w − w̄) (w̄ = w held constant): its value is s(t−1), its derivative
    S(t−1)."""
    if not arch.truncated:
        raise ValueError("the forward (RTRL) rule here is the truncated one; this net uses the full gradient")
    cell = make_cell(arch)
    flat, unravel = ravel_pytree(cell.init_params(jax.random.PRNGKey(0)))

    def forward(w, carry: Carry, sym):
        params = unravel(w)
        drive = cell.embed(params, sym[None])
        return cell.step(params, carry, Drive(drive.hidden[0], drive.out[0]))

    if generic or arch.peepholes or arch.recurrent != "cells" or not arch.symbolic:
        def step(w, carry: Carry, S, sym, target):
            def f(w_):
                s_in = carry.s + S @ (w_ - jax.lax.stop_gradient(w_))
                new, out = forward(w_, Carry(s_in, carry.y), sym)
                loss = 0.5 * jnp.sum((target - out) ** 2)
                return jnp.concatenate([new.s, loss[None]]), (new, out)
            jac, (new, out) = jax.jacrev(f, has_aux=True)(w)
            return new, out, jac[-1], jac[:-1]

        return Rtrl(flat.size, unravel, forward, step, lambda: jnp.zeros((arch.n_cells, flat.size)))
    return Rtrl(flat.size, unravel, forward, _written_out(arch, unravel), _sens_zeros(arch))


def _sens_zeros(arch: GatedLSTM):
    U = arch.n_in + arch.n_cells + 1
    names = ("cell", "in", "forget") if arch.forget_gate else ("cell", "in")
    return lambda: {name: jnp.zeros((arch.n_cells, U)) for name in names}


def _written_out(arch: GatedLSTM, unravel):
    """Appendix A.1's forward rule for a CERG net. With u(t) = (x(t), y^c(t−1), 1) the sources of every
    hidden unit, s_c(t) = φ_j s_c(t−1) + y^in_j g(net_c) and the stored partials (cells × sources) of s_c
    with respect to the weights of its own cell, input gate and forget gate:
        S^c(t) = φ_j S^c(t−1) + y^in_j g'(net_c) u,   S^in(t) = φ_j S^in(t−1) + g(net_c) y^in_j (1 − y^in_j) u,
        S^φ(t) = φ_j S^φ(t−1) + s_c(t−1) φ_j (1 − φ_j) u.
    The error at the state, e_s = y^out_j h'(s_c) Σ_k w_kc e_k, times these gives those rows' gradients;
    output gates and output units get their one-step derivatives."""
    C, B, S, I = arch.n_cells, arch.blocks, arch.block_size, arch.n_in
    g, h = SQUASH_MODERN[arch.g], SQUASH_MODERN[arch.h]
    masks = arch.masks()
    mask_h, mask_o = jnp.asarray(masks["b_hidden"]), jnp.asarray(masks["b_out"])

    def rep(v):
        return jnp.repeat(v, S)

    def to_block(v):
        return v.reshape((B, S) + v.shape[1:]).sum(axis=1)

    def step(w, carry: Carry, sens, sym, target):
        p = unravel(w)
        x = jax.nn.one_hot(sym, I)
        u = jnp.concatenate([x, carry.y, jnp.ones(1)])
        net = p["w_hidden_x"][:, sym] + p["w_hidden_h"] @ carry.y + p["b_hidden"] * mask_h
        y_in = jax.nn.sigmoid(net[C:C + B])
        y_out = jax.nn.sigmoid(net[C + B:C + 2 * B])
        phi = jax.nn.sigmoid(net[C + 2 * B:C + 3 * B]) if arch.forget_gate else jnp.ones(B)
        g_val, g_der = jax.jvp(g, (net[:C],), (jnp.ones(C),))
        s_new = rep(phi) * carry.s + rep(y_in) * g_val
        h_val, h_der = jax.jvp(h, (s_new,), (jnp.ones(C),))
        y_c = rep(y_out) * h_val
        out = jax.nn.sigmoid(p["w_out_c"] @ y_c + (p["w_out_x"][:, sym] if arch.shortcut else 0.0)
                             + p["b_out"] * mask_o)
        e_k = (out - target) * out * (1.0 - out)
        delta = p["w_out_c"].T @ e_k
        e_s = delta * rep(y_out) * h_der
        keep = rep(phi)[:, None]
        u_row = u[None, :]
        new = {"cell": keep * sens["cell"] + (rep(y_in) * g_der)[:, None] * u_row,
               "in": keep * sens["in"] + (g_val * rep(y_in * (1.0 - y_in)))[:, None] * u_row}
        rows = [e_s[:, None] * new["cell"], to_block(e_s[:, None] * new["in"]),
                (to_block(delta * h_val) * y_out * (1.0 - y_out))[:, None] * u_row]
        if arch.forget_gate:
            new["forget"] = keep * sens["forget"] + (carry.s * rep(phi * (1.0 - phi)))[:, None] * u_row
            rows.append(to_block(e_s[:, None] * new["forget"]))
        G = jnp.concatenate(rows)
        grads = {"w_hidden_x": G[:, :I], "w_hidden_h": G[:, I:I + C], "b_hidden": G[:, -1] * mask_h,
                 "w_peep": jnp.zeros_like(p["w_peep"]), "w_out_c": jnp.outer(e_k, y_c),
                 "w_out_x": jnp.outer(e_k, x) if arch.shortcut else jnp.zeros_like(p["w_out_x"]),
                 "b_out": e_k * mask_o}
        return Carry(s=s_new, y=y_c), out, ravel_pytree(grads)[0], new

    return step
