"""Cells after 1997, with the interface of ``cells.py`` (``init_params``, ``init_carry``, ``embed``, ``step``).

Every net reads its task's inputs, keeps a recurrent state, and feeds logistic output units (the paper's
output layer, so that the 1997 tasks, losses and criteria apply unchanged): y_k = σ(Σ_v w_{k,v} o_v + b_k),
o the cell outputs (LSTMs) or hidden state (GRU, Elman).

``GatedLSTM`` covers three LSTMs (σ logistic, ⊙ elementwise; block j, cell c of block j):

* **Forget gate** — Gers, Schmidhuber & Cummins (2000), "Learning to forget" (spec §11): the 1997 block with a
  forget gate φ_j = σ(Σ_m w_{φ_j m} y_m(t−1) + b_φ); s_c(t) = φ_j(t) s_c(t−1) + in_j(t) g(net_c(t)); its bias
  starts at ``forget_bias`` (+1 by default, open = remember). ``forget_gate_lstm``.
* **Peepholes** — Gers & Schmidhuber (2000), "Recurrent nets that time and count" (spec §12): each gate also
  sees the states of its own block's cells through weights p: input and forget gates s(t−1), the output gate
  s(t); no error flows from the gates back into the states through them. ``peephole_lstm``.
* **Vanilla** — Greff et al. (2017), "LSTM: a search space odyssey" (spec §13): one cell per block, g = h =
  tanh, forget gate and peepholes, recurrent sources the cell outputs only, every unit biased, the full
  gradient (no truncation). ``vanilla_lstm``:
  z = tanh(W_z x + R_z y(t−1) + b_z), i = σ(W_i x + R_i y(t−1) + p_i ⊙ c(t−1) + b_i),
  f = σ(W_f x + R_f y(t−1) + p_f ⊙ c(t−1) + b_f), c = z ⊙ i + c(t−1) ⊙ f,
  o = σ(W_o x + R_o y(t−1) + p_o ⊙ c + b_o), y = tanh(c) ⊙ o.

With ``truncated=True`` (the 1997 rule, kept by Gers et al.) the recurrent sources and the peephole inputs
pass through ``stop_gradient``: errors reach the past only through the states.

``GRU`` — Cho et al. (2014): z = σ(W_z x + U_z h + b_z), r = σ(W_r x + U_r h + b_r),
ĥ = tanh(W_h x + U_h (r ⊙ h) + b_h), h(t) = (1 − z) ⊙ h(t−1) + z ⊙ ĥ; full gradient.

``Elman`` — Elman (1990): h(t) = tanh(W x + U h(t−1) + b); full gradient.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lstm97.cells import SQUASH, Carry, Cell, Drive, Params, _embed, _init_uniform

SQUASH_MODERN = dict(SQUASH, tanh=jnp.tanh)


@dataclass(frozen=True)
class GatedLSTM:
    """Memory-cell blocks with input, output and (optionally) forget gates and peepholes.

    Hidden units are stacked [cells (C), input gates (B), output gates (B), forget gates (B)]. Recurrent
    sources: every hidden unit (``recurrent="all"``, the 1997 connectivity F) or the cell outputs only
    (``recurrent="cells"``, the vanilla LSTM). Outputs see the cell outputs, and with ``shortcut`` the inputs."""

    n_in: int
    n_out: int
    blocks: int
    block_size: int = 1
    forget_gate: bool = True
    peepholes: bool = False
    recurrent: str = "all"
    bias_cells: bool = False
    bias_gates: bool = True
    bias_out: bool = False
    g: str = "g2"
    h: str = "h1"
    init_scale: float = 0.1
    forget_bias: float | tuple[float, ...] = 1.0   # initial forget-gate bias: every block, or one per block
    in_gate_bias: tuple[float, ...] | None = None
    out_gate_bias: tuple[float, ...] | None = None
    truncated: bool = True
    symbolic: bool = False
    shortcut: bool = False                    # inputs also feed the outputs directly (Gers et al. 2000's CERG net)
    # fields that only init_params reads: rows differing in them alone share one compiled program
    INIT_ONLY: ClassVar[tuple[str, ...]] = ("init_scale", "forget_bias", "in_gate_bias", "out_gate_bias")

    def __post_init__(self):
        if self.recurrent not in ("all", "cells"):
            raise ValueError(f"recurrent must be 'all' or 'cells', got {self.recurrent!r}")
        if self.g not in SQUASH_MODERN or self.h not in SQUASH_MODERN:
            raise ValueError(f"unknown squashing function {self.g!r} or {self.h!r}")

    @property
    def n_cells(self) -> int:
        return self.blocks * self.block_size

    @property
    def n_hidden(self) -> int:
        return self.n_cells + self.blocks * (3 if self.forget_gate else 2)

    @property
    def n_recurrent(self) -> int:
        return self.n_hidden if self.recurrent == "all" else self.n_cells

    def shapes(self) -> dict[str, tuple[int, ...]]:
        H, C, K, I = self.n_hidden, self.n_cells, self.n_out, self.n_in
        peep = C if self.peepholes else 0
        return {"w_hidden_x": (H, I), "w_hidden_h": (H, self.n_recurrent), "b_hidden": (H,),
                "w_peep": (3, peep), "w_out_c": (K, C), "w_out_x": (K, I if self.shortcut else 0), "b_out": (K,)}

    def masks(self) -> Params:
        C = self.n_cells
        b_hidden = np.concatenate([np.full((C,), float(self.bias_cells), np.float32),
                                    np.full((self.n_hidden - C,), float(self.bias_gates), np.float32)])
        peep = np.ones((3, C if self.peepholes else 0), np.float32)
        peep[2] = float(self.forget_gate)
        return {"b_hidden": b_hidden, "b_out": np.full((self.n_out,), float(self.bias_out), np.float32), "w_peep": peep}


def forget_gate_lstm(base, forget_bias: float = 1.0) -> GatedLSTM:
    """A 1997 net (``cells.LSTM1997``, connectivity F) with a forget gate per block, gates biased."""
    return GatedLSTM(n_in=base.n_in, n_out=base.n_out, blocks=base.blocks, block_size=base.block_size,
                     bias_cells=base.bias_cells, bias_gates=True, bias_out=base.bias_out, g=base.g, h=base.h,
                     init_scale=base.init_scale, forget_bias=forget_bias, in_gate_bias=base.in_gate_bias,
                     out_gate_bias=base.out_gate_bias, symbolic=base.symbolic)


def peephole_lstm(base, forget_bias: float = 1.0) -> GatedLSTM:
    return replace(forget_gate_lstm(base, forget_bias), peepholes=True)


def vanilla_lstm(n_in: int, n_out: int, cells: int, symbolic: bool = False, init_scale: float = 0.1,
                 bias_out: bool = True, forget_bias: float = 1.0) -> GatedLSTM:
    return GatedLSTM(n_in=n_in, n_out=n_out, blocks=cells, block_size=1, forget_gate=True, peepholes=True,
                     recurrent="cells", bias_cells=True, bias_gates=True, bias_out=bias_out, g="tanh", h="tanh",
                     init_scale=init_scale, forget_bias=forget_bias, truncated=False, symbolic=symbolic)


@dataclass(frozen=True)
class _HiddenLayerNet:
    """One layer of ``n_hidden`` units (``rows`` net inputs each) feeding logistic outputs; full gradient."""

    n_in: int
    n_out: int
    n_hidden: int
    bias_out: bool = True
    init_scale: float = 0.1
    truncated: bool = False
    symbolic: bool = False

    rows = 1

    def shapes(self) -> dict[str, tuple[int, ...]]:
        H, R = self.n_hidden, self.rows * self.n_hidden
        return {"w_hidden_x": (R, self.n_in), "w_hidden_h": (R, H), "b_hidden": (R,),
                "w_out_h": (self.n_out, H), "w_out_x": (self.n_out, 0), "b_out": (self.n_out,)}

    def masks(self) -> Params:
        return {"b_out": np.full((self.n_out,), float(self.bias_out), np.float32)}


@dataclass(frozen=True)
class GRU(_HiddenLayerNet):
    rows = 3            # update gate, reset gate, candidate


@dataclass(frozen=True)
class Elman(_HiddenLayerNet):
    rows = 1


def gated_lstm(arch: GatedLSTM) -> Cell:
    C, B, S, R = arch.n_cells, arch.blocks, arch.block_size, arch.n_recurrent
    g, h = SQUASH_MODERN[arch.g], SQUASH_MODERN[arch.h]
    masks = arch.masks()
    rows_in, rows_out, rows_f = slice(C, C + B), slice(C + B, C + 2 * B), slice(C + 2 * B, C + 3 * B)

    def init_params(key: jax.Array) -> Params:
        params = _init_uniform(key, arch)
        b = params["b_hidden"]
        if arch.in_gate_bias is not None:
            b = b.at[rows_in].set(jnp.asarray(arch.in_gate_bias, b.dtype))
        if arch.out_gate_bias is not None:
            b = b.at[rows_out].set(jnp.asarray(arch.out_gate_bias, b.dtype))
        if arch.forget_gate:
            b = b.at[rows_f].set(jnp.asarray(arch.forget_bias, b.dtype))
        params["b_hidden"] = b
        return params

    def init_carry() -> Carry:
        return Carry(s=jnp.zeros(C), y=jnp.zeros(R))

    def to_block(per_cell: jax.Array) -> jax.Array:
        """Σ over each block's cells: (C,) -> (B,)."""
        return per_cell.reshape(B, S).sum(axis=1)

    def step(params: Params, carry: Carry, drive: Drive) -> tuple[Carry, jax.Array]:
        y_prev, s_prev = carry.y, carry.s
        if arch.truncated:
            y_prev = jax.lax.stop_gradient(y_prev)
        s_seen = jax.lax.stop_gradient(s_prev) if arch.truncated else s_prev     # peepholes' view of s(t−1)
        peep = params["w_peep"] * masks["w_peep"]
        net = drive.hidden + params["w_hidden_h"] @ y_prev + params["b_hidden"] * masks["b_hidden"]
        net_in = net[rows_in] + (to_block(peep[0] * s_seen) if arch.peepholes else 0.0)
        y_in = jax.nn.sigmoid(net_in)
        keep = jnp.ones(B)
        if arch.forget_gate:
            keep = jax.nn.sigmoid(net[rows_f] + (to_block(peep[2] * s_seen) if arch.peepholes else 0.0))
        s = jnp.repeat(keep, S) * s_prev + jnp.repeat(y_in, S) * g(net[:C])
        s_now = jax.lax.stop_gradient(s) if arch.truncated else s
        y_out = jax.nn.sigmoid(net[rows_out] + (to_block(peep[1] * s_now) if arch.peepholes else 0.0))
        y_c = jnp.repeat(y_out, S) * h(s)
        hidden = [y_c, y_in, y_out] + ([keep] if arch.forget_gate else [])
        y = jnp.concatenate(hidden) if arch.recurrent == "all" else y_c
        out = jax.nn.sigmoid(params["w_out_c"] @ y_c + drive.out + params["b_out"] * masks["b_out"])
        return Carry(s=s, y=y), out

    return Cell(init_params, init_carry, _embed(arch), step)


def gru(arch: GRU) -> Cell:
    H = arch.n_hidden
    masks = arch.masks()

    def init_params(key: jax.Array) -> Params:
        return _init_uniform(key, arch)

    def init_carry() -> Carry:
        return Carry(s=jnp.zeros(0), y=jnp.zeros(H))

    def step(params: Params, carry: Carry, drive: Drive) -> tuple[Carry, jax.Array]:
        h_prev = jax.lax.stop_gradient(carry.y) if arch.truncated else carry.y
        U, b = params["w_hidden_h"], params["b_hidden"]
        gates = jax.nn.sigmoid(drive.hidden[:2 * H] + U[:2 * H] @ h_prev + b[:2 * H])
        z, r = gates[:H], gates[H:]
        candidate = jnp.tanh(drive.hidden[2 * H:] + U[2 * H:] @ (r * h_prev) + b[2 * H:])
        h_new = (1.0 - z) * h_prev + z * candidate
        out = jax.nn.sigmoid(params["w_out_h"] @ h_new + drive.out + params["b_out"] * masks["b_out"])
        return Carry(s=carry.s, y=h_new), out

    return Cell(init_params, init_carry, _embed(arch), step)


def elman(arch: Elman) -> Cell:
    masks = arch.masks()

    def init_params(key: jax.Array) -> Params:
        return _init_uniform(key, arch)

    def init_carry() -> Carry:
        return Carry(s=jnp.zeros(0), y=jnp.zeros(arch.n_hidden))

    def step(params: Params, carry: Carry, drive: Drive) -> tuple[Carry, jax.Array]:
        h_prev = jax.lax.stop_gradient(carry.y) if arch.truncated else carry.y
        h_new = jnp.tanh(drive.hidden + params["w_hidden_h"] @ h_prev + params["b_hidden"])
        out = jax.nn.sigmoid(params["w_out_h"] @ h_new + drive.out + params["b_out"] * masks["b_out"])
        return Carry(s=carry.s, y=h_new), out

    return Cell(init_params, init_carry, _embed(arch), step)


CELLS = {GatedLSTM: gated_lstm, GRU: gru, Elman: elman}


def name_of(arch) -> str:
    if isinstance(arch, GatedLSTM):
        if arch.recurrent == "cells" and not arch.truncated:
            return "vanilla_lstm"
        # without forget gate and peepholes, the 1997 LSTM in Gers et al. (2000)'s form (their CERG baseline)
        return "peephole_lstm" if arch.peepholes else ("forget_lstm" if arch.forget_gate else "lstm1997")
    return {GRU: "gru", Elman: "elman"}[type(arch)]
