"""Table 2's RTRL/BPTT net (``cells.RNN1997``, spec §3a): one self-recurrent logistic hidden unit, logistic output
units that see the inputs and the hidden unit (connectivity B), no biases, the full gradient.

The forward pass is checked against numbers computed by hand, the gradient against an independent float64
numpy BPTT written here (itself checked by central finite differences), never through the cell's own ``step``.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstm97.cells import RNN1997, Carry, n_weights
from lstm97.registry import make_cell
from lstm97.nets import rtrl_2a
from lstm97.tasks import make_task
from lstm97.engines import sequence_loss


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _run_cell(arch, params, xs):
    """The cell's outputs and hidden activations, one ``step`` at a time from the zero state."""
    cell = make_cell(arch)
    drives = cell.embed(params, jnp.asarray(xs))
    carry = cell.init_carry()
    outs, hidden = [], []
    for t in range(len(xs)):
        carry, y = cell.step(params, carry, jax.tree.map(lambda a: a[t], drives))
        outs.append(np.asarray(y))
        hidden.append(np.asarray(carry.y))
    return np.array(outs), np.array(hidden)


HAND = {"w_hidden_x": [[0.5, -1.0]], "w_hidden_h": [[2.0]], "b_hidden": [0.0],
        "w_out_h": [[1.5], [-0.5]], "w_out_x": [[0.3, 0.0], [0.0, -0.7]], "b_out": [0.0, 0.0]}


def test_forward_pass_by_hand():
    """Two inputs, one hidden unit, two outputs; inputs (1, 0) then (0, 1):
    h1 = σ(0.5) = 0.622459, y1 = (σ(1.5·h1 + 0.3), σ(−0.5·h1)) = (0.774464, 0.422815);
    h2 = σ(−1 + 2·h1) = σ(0.244919) = 0.560925, y2 = (σ(1.5·h2), σ(−0.5·h2 − 0.7)) = (0.698757, 0.272800)."""
    arch = RNN1997(n_in=2, n_out=2, n_hidden=1)
    params = {k: jnp.asarray(v, jnp.float32) for k, v in HAND.items()}
    outs, hidden = _run_cell(arch, params, np.array([[1.0, 0.0], [0.0, 1.0]], np.float32))
    h1 = _sig(0.5)
    h2 = _sig(-1.0 + 2.0 * h1)
    expected_h = [h1, h2]
    expected_y = [[_sig(1.5 * h1 + 0.3), _sig(-0.5 * h1)], [_sig(1.5 * h2), _sig(-0.5 * h2 - 0.7)]]
    np.testing.assert_allclose(hidden[:, 0], expected_h, rtol=1e-6)
    np.testing.assert_allclose(outs, expected_y, rtol=1e-6)
    np.testing.assert_allclose(hidden[:, 0], [0.622459, 0.560925], atol=1e-6)        # the numbers printed above
    np.testing.assert_allclose(outs, [[0.774464, 0.422815], [0.698757, 0.272800]], atol=1e-6)


def test_biases_exist_only_when_asked():
    """Table 2's net has no biases ((p+2)² weights): a bias value in the parameters changes nothing."""
    arch = RNN1997(n_in=2, n_out=2, n_hidden=1)
    params = {k: jnp.asarray(v, jnp.float32) for k, v in HAND.items()}
    xs = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    plain = _run_cell(arch, params, xs)[0]
    biased = dict(params, b_hidden=jnp.asarray([3.0]), b_out=jnp.asarray([1.0, -2.0]))
    np.testing.assert_array_equal(_run_cell(arch, biased, xs)[0], plain)
    with_bias = RNN1997(n_in=2, n_out=2, n_hidden=1, bias=True)
    outs, hidden = _run_cell(with_bias, biased, xs)
    h1 = _sig(0.5 + 3.0)
    np.testing.assert_allclose(hidden[0, 0], h1, rtol=1e-6)
    np.testing.assert_allclose(outs[0], [_sig(1.5 * h1 + 0.3 + 1.0), _sig(-0.5 * h1 - 2.0)], rtol=1e-6)


@pytest.mark.parametrize("p, weights", [(4, 36), (10, 144), (100, 10404)])
def test_weight_counts_of_table2(p, weights):
    """(p+1) inputs → 1 hidden unit, its self-connection, (p+1 inputs + 1 hidden) → p+1 outputs = (p+2)²."""
    assert n_weights(rtrl_2a(p)) == weights == (p + 2) ** 2


def test_symbol_inputs_are_one_hot_inputs():
    arch = rtrl_2a(4)
    dense = RNN1997(n_in=5, n_out=5, n_hidden=1, init_scale=0.2)
    params = make_cell(arch).init_params(jax.random.PRNGKey(3))
    seq = make_task("exp2a", p=4).sample(jax.random.PRNGKey(4))
    sym = _run_cell(arch, params, np.asarray(seq.x))[0]
    one_hot = _run_cell(dense, params, np.eye(5, dtype=np.float32)[np.asarray(seq.x)])[0]
    np.testing.assert_allclose(sym, one_hot, rtol=1e-6)


# ---------------------------------------------------------------- gradient: an independent numpy BPTT

def _numpy_forward(p, xs):
    H = p["w_hidden_h"].shape[0]
    h = np.zeros(H)
    hs, ys = [], []
    for x in xs:
        h = _sig(p["w_hidden_x"] @ x + p["w_hidden_h"] @ h + p["b_hidden"])
        ys.append(_sig(p["w_out_h"] @ h + p["w_out_x"] @ x + p["b_out"]))
        hs.append(h)
    return np.array(hs), np.array(ys)


def _numpy_loss(p, xs, targets, mask):
    return 0.5 * float(np.sum(mask[:, None] * (targets - _numpy_forward(p, xs)[1]) ** 2))


def _numpy_bptt(p, xs, targets, mask):
    """Backpropagation through time of ½ Σ_t mask_t Σ_k (t_k − y_k)², written from the equations above."""
    hs, ys = _numpy_forward(p, xs)
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    H = hs.shape[1]
    delta_next = np.zeros(H)                                       # δ of the hidden net input at t+1
    for t in reversed(range(len(xs))):
        d_out = mask[t] * (ys[t] - targets[t]) * ys[t] * (1 - ys[t])
        grads["w_out_h"] += np.outer(d_out, hs[t])
        grads["w_out_x"] += np.outer(d_out, xs[t])
        grads["b_out"] += d_out
        dh = p["w_out_h"].T @ d_out + p["w_hidden_h"].T @ delta_next
        delta = dh * hs[t] * (1 - hs[t])
        h_prev = hs[t - 1] if t > 0 else np.zeros(H)
        grads["w_hidden_x"] += np.outer(delta, xs[t])
        grads["w_hidden_h"] += np.outer(delta, h_prev)
        grads["b_hidden"] += delta
        delta_next = delta
    return grads


def _finite_differences(p, xs, targets, mask, eps=1e-6):
    grads = {}
    for k, v in p.items():
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up, down = {**p, k: v.copy()}, {**p, k: v.copy()}
            up[k][idx] += eps
            down[k][idx] -= eps
            g[idx] = (_numpy_loss(up, xs, targets, mask) - _numpy_loss(down, xs, targets, mask)) / (2 * eps)
        grads[k] = g
    return grads


@pytest.mark.parametrize("hidden, bias, seed", [(1, False, 0), (1, False, 1), (2, True, 2)])
def test_full_gradient_against_numpy_bptt(hidden, bias, seed):
    """jax.grad of the trainer's loss through the cell (float64) equals the numpy BPTT; the numpy BPTT equals
    central finite differences of the numpy forward pass. Table 2's nets use the full gradient."""
    rng = np.random.default_rng(seed)
    n_in, n_out, L = 5, 5, 7
    arch = RNN1997(n_in=n_in, n_out=n_out, n_hidden=hidden, bias=bias, init_scale=1.0)
    assert not arch.truncated
    p = {"w_hidden_x": rng.normal(size=(hidden, n_in)), "w_hidden_h": rng.normal(size=(hidden, hidden)) * 1.5,
         "b_hidden": rng.normal(size=hidden) if bias else np.zeros(hidden),
         "w_out_h": rng.normal(size=(n_out, hidden)), "w_out_x": rng.normal(size=(n_out, n_in)),
         "b_out": rng.normal(size=n_out) if bias else np.zeros(n_out)}
    xs = rng.normal(size=(L, n_in))
    targets = rng.uniform(size=(L, n_out))
    mask = (rng.uniform(size=L) < 0.6).astype(float)
    mask[-1] = 1.0
    reference = _numpy_bptt(p, xs, targets, mask)
    numeric = _finite_differences(p, xs, targets, mask)
    for k in p:
        np.testing.assert_allclose(reference[k], numeric[k], rtol=0, atol=1e-7, err_msg=f"numpy BPTT vs FD: {k}")
    with jax.enable_x64(True):
        from lstm97.tasks.base import Sequence
        seq = Sequence(x=jnp.asarray(xs), target=jnp.asarray(targets), mask=jnp.asarray(mask),
                       judge=jnp.asarray(mask), length=jnp.int32(L))
        cell = make_cell(arch)
        params = {k: jnp.asarray(v, jnp.float64) for k, v in p.items()}
        # the carry in float64 too: the cell's zero state is float32 by default
        cell = cell._replace(init_carry=lambda: Carry(s=jnp.zeros(0, jnp.float64), y=jnp.zeros(hidden, jnp.float64)))
        loss, grads = jax.value_and_grad(lambda q: sequence_loss(cell, q, seq)[0])(params)
    assert math.isclose(float(loss), _numpy_loss(p, xs, targets, mask), rel_tol=1e-12)
    for k in p:
        if not bias and k in ("b_hidden", "b_out"):
            np.testing.assert_array_equal(np.asarray(grads[k]), 0.0, err_msg=f"{k}: no bias, no gradient")
            continue
        np.testing.assert_allclose(np.asarray(grads[k]), reference[k], rtol=0, atol=1e-10, err_msg=k)
    assert max(np.abs(reference[k]).max() for k in ("w_hidden_h", "w_hidden_x")) > 1e-3   # through time, not vacuous


def test_gradient_reaches_back_through_the_recurrent_unit():
    """Full gradient: an input at step 1 gets error from a target at step 6 only through the hidden unit's
    self-connection (the truncated rule would cut it)."""
    rng = np.random.default_rng(5)
    p = {"w_hidden_x": rng.normal(size=(1, 3)), "w_hidden_h": np.array([[3.0]]), "b_hidden": np.zeros(1),
         "w_out_h": rng.normal(size=(3, 1)), "w_out_x": rng.normal(size=(3, 3)), "b_out": np.zeros(3)}
    xs = np.zeros((6, 3))
    xs[0, 1] = 1.0                                                # the input column 1 is on at step 1 only
    targets = rng.uniform(size=(6, 3))
    mask = np.zeros(6)
    mask[-1] = 1.0
    reference = _numpy_bptt(p, xs, targets, mask)
    assert abs(reference["w_hidden_x"][0, 1]) > 1e-6
    with jax.enable_x64(True):
        from lstm97.tasks.base import Sequence
        arch = RNN1997(n_in=3, n_out=3, n_hidden=1)
        cell = make_cell(arch)
        cell = cell._replace(init_carry=lambda: Carry(s=jnp.zeros(0, jnp.float64), y=jnp.zeros(1, jnp.float64)))
        seq = Sequence(x=jnp.asarray(xs), target=jnp.asarray(targets), mask=jnp.asarray(mask),
                       judge=jnp.asarray(mask), length=jnp.int32(6))
        grads = jax.grad(lambda q: sequence_loss(cell, q, seq)[0])({k: jnp.asarray(v) for k, v in p.items()})
    np.testing.assert_allclose(float(grads["w_hidden_x"][0, 1]), reference["w_hidden_x"][0, 1], rtol=1e-9)
