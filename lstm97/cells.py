"""Recurrent cells as bundles of pure functions: ``init_params``, ``init_carry``, ``step``.

Source: Hochreiter & Schmidhuber (1997), Sec. 4 and Appendix A.1 (``../shared/paper/spec.md`` §1).

Every net of the paper is an architecture *value* (a frozen dataclass), not a new function. A cell is
unbatched; trials and batches come from ``jax.vmap``. ``functools.partial(step, params)`` is what
``lax.scan`` wants, over ``embed(params, xs)``: the input layer's contribution to every step, computed
before the time loop (it is feed-forward).

The 1997 LSTM (``LSTM1997``), for block j with cells v = 1..S and sources u (inputs, hidden units)::

    y_in_j  = f(Σ_u w_{in_j,u} y_u)          input gate  (one per block, shared by its cells)
    y_out_j = f(Σ_u w_{out_j,u} y_u)         output gate (one per block; absent in exp 2a/2b)
    s_v(t)  = s_v(t-1) + y_in_j · g(Σ_u w_{c_v,u} y_u)     CEC, fixed self-weight 1.0, no forget gate
    y_c_v   = y_out_j · h(s_v(t))
    y_k     = f(Σ_v w_{k,c_v} y_c_v [+ Σ_i w_{k,i} x_i] [+ b_k])   outputs from the *current* cells (§1.3)

with f = logistic, g = 4σ−2 ∈ [−2,2], h = 2σ−1 ∈ [−1,1] (exp 2a/2b: g = σ, h = identity). Recurrent
sources are the previous step's hidden activations, the input is the current step's (spec §1.3).

Hidden units are stored stacked in the order [cells (C = B·S), input gates (B), output gates (B)], so one
matrix product computes every net input. With ``truncated=True`` (the paper's rule) the recurrent
sources pass through ``stop_gradient``: errors reach the past only through the cell state s, and
``jax.grad`` of the summed loss equals the paper's forward-mode truncated RTRL (tested against an
independent numpy implementation in ``tests/test_gradient.py``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lstm97.readings import legacy_repr

Params = dict[str, jax.Array]

SQUASH: dict[str, Callable[[jax.Array], jax.Array]] = {
    "logistic": jax.nn.sigmoid,              # f, and g1 (exp 2a/2b cell input), range [0, 1]
    "g2": lambda x: 4.0 * jax.nn.sigmoid(x) - 2.0,   # cell input squashing, range [-2, 2]
    "h1": lambda x: 2.0 * jax.nn.sigmoid(x) - 1.0,   # cell output squashing, range [-1, 1]
    "identity": lambda x: x,                 # exp 2a/2b cell output
}


RECURRENT_INIT = ("uniform", "gates_zero", "zero")
OUT_INIT = ("uniform", "zero", "zero_bias", "small")
CELL_BIAS_INIT = ("uniform", "zero")
HIDDEN_ORDER = ("previous", "in_place")


@dataclass(frozen=True)
class LSTM1997:
    """The 1997 memory-cell net (spec §1). Connectivity "F": cells and gates see inputs and all hidden
    units, outputs see cells only; "B": cells and gates see inputs only, outputs see inputs and cells."""

    n_in: int
    n_out: int
    blocks: int
    block_size: int
    connectivity: str = "F"
    output_gate: bool = True
    bias_cells: bool = False
    bias_gates: bool = False
    bias_out: bool = False
    g: str = "g2"
    h: str = "h1"
    init_scale: float = 0.1                  # U[-a, a] for every weight (Table 11)
    in_gate_bias: tuple[float, ...] | None = None   # None: random like any weight ("r" in Table 10)
    out_gate_bias: tuple[float, ...] | None = None
    truncated: bool = True                   # the paper's truncated gradient (spec §1.5)
    symbolic: bool = False                   # inputs arrive as symbol indices (one-hot by gather)
    recurrent_init: str = "uniform"          # hidden(t-1) -> cells and gates: "uniform" like every weight,
                                             # "gates_zero" (from the gates: 0) or "zero" (a reading, exp 2c)
    hidden_order: str = "previous"           # what a cell's net input reads from the gates: their previous
                                             # step ("previous", spec §1.3) or this step ("in_place", a reading)
    out_init: str = "uniform"                # the output units' weights and bias: "uniform" like every weight,
                                             # "zero", "zero_bias" (the bias only) or "small" (U[-a/10, a/10])
    cell_bias_init: str = "uniform"          # the cells' own bias weights (bias_cells): "uniform" like every
                                             # weight, or "zero" (a reading, exp 3)
    # fields that only init_params reads: rows differing in them alone share one compiled program
    INIT_ONLY: ClassVar[tuple[str, ...]] = ("init_scale", "in_gate_bias", "out_gate_bias", "recurrent_init",
                                            "out_init", "cell_bias_init")

    def __post_init__(self):
        if self.recurrent_init not in RECURRENT_INIT:
            raise ValueError(f"recurrent_init must be one of {', '.join(RECURRENT_INIT)}, got {self.recurrent_init!r}")
        if self.out_init not in OUT_INIT:
            raise ValueError(f"out_init must be one of {', '.join(OUT_INIT)}, got {self.out_init!r}")
        if self.cell_bias_init not in CELL_BIAS_INIT:
            raise ValueError(f"cell_bias_init must be one of {', '.join(CELL_BIAS_INIT)}, got {self.cell_bias_init!r}")
        if self.hidden_order not in HIDDEN_ORDER:
            raise ValueError(f"hidden_order must be one of {', '.join(HIDDEN_ORDER)}, got {self.hidden_order!r}")
        if self.connectivity not in ("F", "B"):
            raise ValueError(f"connectivity must be 'F' or 'B', got {self.connectivity!r}")
        for name, biases in (("in_gate_bias", self.in_gate_bias), ("out_gate_bias", self.out_gate_bias)):
            if biases is not None and len(biases) != self.blocks:
                raise ValueError(f"{name} needs one value per block ({self.blocks}), got {biases}")
        if self.g not in SQUASH or self.h not in SQUASH:
            raise ValueError(f"unknown squashing function {self.g!r} or {self.h!r}")

    def __repr__(self) -> str:
        """The fingerprint's: the defaults of later readings print as LSTM1997 did before they were fields."""
        return legacy_repr(self, {"recurrent_init": "uniform", "hidden_order": "previous", "out_init": "uniform",
                                  "cell_bias_init": "uniform"})

    @property
    def n_cells(self) -> int:
        return self.blocks * self.block_size

    @property
    def n_hidden(self) -> int:
        return self.n_cells + self.blocks * (2 if self.output_gate else 1)

    @property
    def n_recurrent(self) -> int:
        """Hidden units that feed cells and gates at the next step (0 for connectivity B)."""
        return self.n_hidden if self.connectivity == "F" else 0

    def shapes(self) -> dict[str, tuple[int, ...]]:
        H, C, K, I = self.n_hidden, self.n_cells, self.n_out, self.n_in
        return {
            "w_hidden_x": (H, I),                      # inputs -> cells, input gates, output gates
            "w_hidden_h": (H, self.n_recurrent),       # hidden(t-1) -> cells and gates
            "b_hidden": (H,),
            "w_out_c": (K, C),                         # current cell outputs -> output units
            "w_out_x": (K, I if self.connectivity == "B" else 0),
            "b_out": (K,),
        }

    def masks(self) -> Params:
        """1 where a bias weight exists (spec §1.4): biases are weights from a constant-1 unit."""
        C, B = self.n_cells, self.blocks
        b_hidden = np.concatenate([
            np.full((C,), float(self.bias_cells), np.float32),
            np.full((self.n_hidden - C,), float(self.bias_gates), np.float32),
        ])
        return {"b_hidden": b_hidden, "b_out": np.full((self.n_out,), float(self.bias_out), np.float32)}


@dataclass(frozen=True)
class RNN1997:
    """Table 2's RTRL/BPTT net: logistic hidden units, self-recurrent (fully recurrent among themselves),
    connectivity B (hidden sees inputs, outputs see inputs and hidden), logistic outputs, full gradient.
    With one hidden unit and no biases it has (p+2)^2 weights (36 / 144 / 10404 for p = 4 / 10 / 100)."""

    n_in: int
    n_out: int
    n_hidden: int = 1
    bias: bool = False
    init_scale: float = 0.2
    truncated: bool = False
    symbolic: bool = False

    def shapes(self) -> dict[str, tuple[int, ...]]:
        H, K, I = self.n_hidden, self.n_out, self.n_in
        return {"w_hidden_x": (H, I), "w_hidden_h": (H, H), "b_hidden": (H,),
                "w_out_h": (K, H), "w_out_x": (K, I), "b_out": (K,)}

    def masks(self) -> Params:
        return {"b_hidden": np.full((self.n_hidden,), float(self.bias), np.float32),
                "b_out": np.full((self.n_out,), float(self.bias), np.float32)}


class Carry(NamedTuple):
    s: jax.Array        # cell states (LSTM) or unused (RNN: shape (0,))
    y: jax.Array        # hidden activations of the previous step


class Drive(NamedTuple):
    """What the inputs contribute to the net inputs of one step (or of every step, stacked)."""
    hidden: jax.Array   # W_hidden_x · x(t)
    out: jax.Array      # W_out_x · x(t) (zeros where inputs do not feed the outputs)


class Cell(NamedTuple):
    init_params: Callable[[jax.Array], Params]
    init_carry: Callable[[], Carry]
    embed: Callable[[Params, jax.Array], Drive]      # all steps at once: (L,) symbols or (L, n_in)
    step: Callable[[Params, Carry, Drive], tuple[Carry, jax.Array]]


@functools.lru_cache(maxsize=4096)
def n_weights(arch: Any) -> int:
    """Adaptive weights as the paper counts them: every connection plus the biases that exist."""
    masks = arch.masks()
    total = 0
    for name, shape in arch.shapes().items():
        size = 1
        for d in shape:
            size *= d
        total += int(masks[name].sum()) if name in masks else size
    return total


def _init_uniform(key: jax.Array, arch: Any) -> Params:
    shapes = arch.shapes()
    keys = jax.random.split(key, len(shapes))
    params = {name: jax.random.uniform(k, shape, minval=-arch.init_scale, maxval=arch.init_scale)
              for k, (name, shape) in zip(keys, sorted(shapes.items()))}
    for name, mask in arch.masks().items():
        params[name] = params[name] * mask
    return params


def _project(w: jax.Array, xs: jax.Array, symbolic: bool) -> jax.Array:
    """x(t) W^T for every step: dense inputs (L, n_in), or the rows W[:, x(t)] for symbol indices (L,).

    Done once per sequence, outside the time loop: the gradient then scatters L columns into W once,
    instead of accumulating a dense (rows × n_in) cotangent at every step."""
    if w.shape[1] == 0:
        return jnp.zeros((xs.shape[0], w.shape[0]), w.dtype)
    return w.T[xs] if symbolic else xs @ w.T


def _embed(arch: Any) -> Callable[[Params, jax.Array], Drive]:
    def embed(params: Params, xs: jax.Array) -> Drive:
        return Drive(hidden=_project(params["w_hidden_x"], xs, arch.symbolic),
                     out=_project(params["w_out_x"], xs, arch.symbolic))
    return embed


def lstm1997(arch: LSTM1997) -> Cell:
    C, B, S = arch.n_cells, arch.blocks, arch.block_size
    g, h = SQUASH[arch.g], SQUASH[arch.h]
    masks = arch.masks()

    def init_params(key: jax.Array) -> Params:
        params = _init_uniform(key, arch)
        b = params["b_hidden"]
        if arch.in_gate_bias is not None:
            b = b.at[C:C + B].set(jnp.asarray(arch.in_gate_bias, b.dtype))
        if arch.out_gate_bias is not None and arch.output_gate:
            b = b.at[C + B:C + 2 * B].set(jnp.asarray(arch.out_gate_bias, b.dtype))
        if arch.bias_cells and arch.cell_bias_init == "zero":          # same draws, then the cells' set to 0
            b = b.at[:C].set(0.0)
        params["b_hidden"] = b
        if arch.n_recurrent and arch.recurrent_init != "uniform":     # same draws, then some set to 0
            first = 0 if arch.recurrent_init == "zero" else C           # sources: [cells, gates]
            params["w_hidden_h"] = params["w_hidden_h"].at[:, first:].set(0.0)
        if arch.out_init != "uniform":                                  # same draws, then scaled
            scale = {"zero": 0.0, "zero_bias": 1.0, "small": 0.1}[arch.out_init]
            params["w_out_c"], params["w_out_x"] = params["w_out_c"] * scale, params["w_out_x"] * scale
            params["b_out"] = params["b_out"] * (0.0 if arch.out_init == "zero_bias" else scale)
        return params

    def init_carry() -> Carry:
        return Carry(s=jnp.zeros(C), y=jnp.zeros(arch.n_hidden))

    in_place = arch.hidden_order == "in_place" and arch.n_recurrent > 0

    def step(params: Params, carry: Carry, drive: Drive) -> tuple[Carry, jax.Array]:
        y_prev = carry.y[:arch.n_recurrent]
        if arch.truncated:
            y_prev = jax.lax.stop_gradient(y_prev)
        w, b = params["w_hidden_h"], params["b_hidden"] * masks["b_hidden"]
        if in_place:        # the gates first, from the previous step; the cells then read this step's gates
            net_g = drive.hidden[C:] + w[C:] @ y_prev + b[C:]
            y_in = jax.nn.sigmoid(net_g[:B])
            y_out = jax.nn.sigmoid(net_g[B:]) if arch.output_gate else jnp.ones(B, net_g.dtype)
            gates = jnp.concatenate([y_in, y_out]) if arch.output_gate else y_in
            if arch.truncated:
                gates = jax.lax.stop_gradient(gates)
            net_c = drive.hidden[:C] + w[:C, :C] @ y_prev[:C] + w[:C, C:] @ gates + b[:C]
            net = jnp.concatenate([net_c, net_g])
        else:
            net = drive.hidden + w @ y_prev + b
            y_in = jax.nn.sigmoid(net[C:C + B])
            y_out = jax.nn.sigmoid(net[C + B:]) if arch.output_gate else jnp.ones(B, net.dtype)
        s = carry.s + jnp.repeat(y_in, S) * g(net[:C])
        y_c = jnp.repeat(y_out, S) * h(s)
        out_net = params["w_out_c"] @ y_c + drive.out + params["b_out"] * masks["b_out"]
        hidden = jnp.concatenate([y_c, y_in, y_out]) if arch.output_gate else jnp.concatenate([y_c, y_in])
        return Carry(s=s, y=hidden), jax.nn.sigmoid(out_net)

    return Cell(init_params, init_carry, _embed(arch), step)


def rnn1997(arch: RNN1997) -> Cell:
    masks = arch.masks()

    def init_params(key: jax.Array) -> Params:
        return _init_uniform(key, arch)

    def init_carry() -> Carry:
        return Carry(s=jnp.zeros(0), y=jnp.zeros(arch.n_hidden))

    def step(params: Params, carry: Carry, drive: Drive) -> tuple[Carry, jax.Array]:
        y_prev = jax.lax.stop_gradient(carry.y) if arch.truncated else carry.y
        y = jax.nn.sigmoid(drive.hidden + params["w_hidden_h"] @ y_prev + params["b_hidden"] * masks["b_hidden"])
        out_net = params["w_out_h"] @ y + drive.out + params["b_out"] * masks["b_out"]
        return Carry(s=carry.s, y=y), jax.nn.sigmoid(out_net)

    return Cell(init_params, init_carry, _embed(arch), step)
