"""The lanes engine (the paper's forward rule, trials as SIMD lanes) against jax.grad through the scan and
against the independent numpy forward-mode reference; and the trainer's choice of engine."""
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lstm97 import lanes
from lstm97.cells import LSTM1997, RNN1997
from lstm97.registry import make_cell
from lstm97.rtrl import make_forward_mode
from lstm97.tasks.base import Sequence
from lstm97.engines import sequence_loss
from tests.rtrl_reference import truncated_gradient
from tests.test_gradient import NETS

SYMBOLIC = LSTM1997(n_in=6, n_out=2, blocks=2, block_size=1, init_scale=0.8, symbolic=True)
ALL = dict(NETS, **{"exp2c-like symbols": SYMBOLIC})


def _batch(arch, trials=3, length=9, seed=0):
    rng = np.random.default_rng(seed)
    if arch.symbolic:
        x = jnp.asarray(rng.integers(0, arch.n_in, size=(trials, length)), jnp.int32)
    else:
        x = jnp.asarray(rng.normal(size=(trials, length, arch.n_in)), jnp.float32)
    target = jnp.asarray(rng.uniform(size=(trials, length, arch.n_out)), jnp.float32)
    mask = (rng.uniform(size=(trials, length)) < 0.5).astype(np.float32)
    mask[:, -1] = 1.0
    mask = jnp.asarray(mask)
    return Sequence(x, target, mask, mask, jnp.full(trials, length, jnp.int32))


def _params(arch, trials=3, seed=0):
    return jax.vmap(make_cell(arch).init_params)(jax.random.split(jax.random.PRNGKey(seed), trials))


@pytest.mark.parametrize("name", sorted(ALL))
def test_lanes_sequence_update_equals_scan_gradient(name):
    arch = ALL[name]
    cell, sgd = make_cell(arch), optax.sgd(1.0)
    params, seqs = _params(arch), _batch(arch)
    new, _, loss, outputs = jax.jit(lanes.make_learn(arch, sgd, per_step=False))(params, sgd.init(params), seqs)
    (ref_loss, ref_out), grads = jax.vmap(jax.value_and_grad(lambda p, s: sequence_loss(cell, p, s),
                                                             has_aux=True))(params, seqs)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5, atol=1e-6)
    needed = np.asarray(seqs.mask > 0)[:, :, None]          # outputs are computed where an error or a test needs them
    np.testing.assert_allclose(np.where(needed, outputs, 0), np.where(needed, ref_out, 0), rtol=1e-5, atol=1e-6)
    for key in params:
        np.testing.assert_allclose(params[key] - new[key], grads[key], rtol=1e-4, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", sorted(NETS))
def test_lanes_gradient_equals_numpy_reference(name):
    """Independent of JAX's autodiff: the numpy forward-mode computation of Appendix A.1."""
    arch = NETS[name]
    params, seqs = _params(arch, trials=2, seed=3), _batch(arch, trials=2, seed=3)
    sgd = optax.sgd(1.0)
    new, *_ = lanes.make_learn(arch, sgd, per_step=False)(params, sgd.init(params), seqs)
    for i in range(2):
        p = {k: np.asarray(v[i], np.float64) for k, v in params.items()}
        ref = truncated_gradient(arch, p, np.asarray(seqs.x[i], np.float64), np.asarray(seqs.target[i]),
                                 np.asarray(seqs.mask[i]))
        for key in ref:
            np.testing.assert_allclose(params[key][i] - new[key][i], ref[key], rtol=1e-4, atol=1e-5,
                                       err_msg=key)


@pytest.mark.parametrize("name", ["exp2a-like B no output gate", "exp2c-like symbols", "exp1-like 3x2 F gate biases"])
def test_lanes_per_step_updates_equal_forward_mode_rule(name):
    """On-line updates (decision 2's option): the weights change after every step, as in rtrl.py."""
    arch = ALL[name]
    cell, sgd = make_cell(arch), optax.sgd(0.5)
    params, seqs = _params(arch), _batch(arch)
    new, _, loss, _ = lanes.make_learn(arch, sgd, per_step=True)(params, sgd.init(params), seqs)
    rule = make_forward_mode(cell, arch, sgd, per_step=True)
    ref, _, ref_loss, _, _ = jax.vmap(lambda p, s: rule(p, sgd.init(p), s))(params, seqs)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5, atol=1e-6)
    for key in params:
        np.testing.assert_allclose(new[key], ref[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_engine_choice():
    assert lanes.supports(NETS["exp4-like 2x2 F all biases"])
    assert not lanes.supports(dataclasses.replace(SYMBOLIC, truncated=False))    # full gradient: scan
    assert not lanes.supports(RNN1997(n_in=5, n_out=5))
    assert not lanes.supports(dataclasses.replace(SYMBOLIC, n_in=104))          # exp 2c p = 100: gathers
    assert not lanes.supports(SYMBOLIC, optax.adam(0.1).init({"w": jnp.zeros(2)}))


@pytest.mark.parametrize("name", ["exp2c-like symbols", "exp1-like 3x2 F gate biases"])
def test_lanes_in_float64_equals_numpy_reference_to_1e_12(name):
    """The engine takes its dtype from the parameters: under float64 the Appendix A.1 rule is exact up to
    rounding, not float32's 1e-5."""
    arch = ALL[name]
    with jax.enable_x64(True):
        params = jax.tree.map(lambda a: a.astype(jnp.float64), _params(arch, trials=2, seed=4))
        seqs = _batch(arch, trials=2, seed=4)
        seqs = seqs._replace(x=seqs.x if arch.symbolic else seqs.x.astype(jnp.float64),
                             target=seqs.target.astype(jnp.float64))
        sgd = optax.sgd(1.0)
        new, *_ = lanes.make_learn(arch, sgd, per_step=False)(params, sgd.init(params), seqs)
        assert all(v.dtype == jnp.float64 for v in new.values())
        for i in range(2):
            p = {k: np.asarray(v[i]) for k, v in params.items()}
            x = np.eye(arch.n_in)[np.asarray(seqs.x[i])] if arch.symbolic else np.asarray(seqs.x[i])
            ref = truncated_gradient(arch, p, x, np.asarray(seqs.target[i]), np.asarray(seqs.mask[i]))
            for key in ref:
                np.testing.assert_allclose(np.asarray(params[key][i] - new[key][i]), ref[key], rtol=1e-9,
                                           atol=1e-12, err_msg=key)
