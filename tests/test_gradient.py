"""The truncated gradient of the 1997 cell against an independent forward-mode computation (Appendix A.1),
the CEC identity ∂s(t)/∂s(t−1) = 1, and the forward-mode rule of lstm97.rtrl against jax.grad."""
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lstm97.cells import LSTM1997, RNN1997, Carry
from lstm97.registry import make_cell
from lstm97.rtrl import make_forward_mode
from lstm97.tasks import make_task
from lstm97.engines import sequence_loss
from tests.rtrl_reference import truncated_gradient

NETS = {
    "exp1-like 3x2 F gate biases": LSTM1997(n_in=3, n_out=2, blocks=3, block_size=2, bias_gates=True,
                                            in_gate_bias=(-0.5, -1.0, -1.5), out_gate_bias=(-1.0, -2.0, -3.0),
                                            init_scale=0.8),
    "exp4-like 2x2 F all biases": LSTM1997(n_in=2, n_out=1, blocks=2, block_size=2, bias_cells=True,
                                           bias_gates=True, bias_out=True, init_scale=0.8),
    "exp2a-like B no output gate": LSTM1997(n_in=4, n_out=4, blocks=1, block_size=1, connectivity="B",
                                            output_gate=False, g="logistic", h="identity", init_scale=0.8),
}


def _random_problem(arch, seed, length=9):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(length, arch.n_in))
    targets = rng.uniform(size=(length, arch.n_out))
    mask = (rng.uniform(size=length) < 0.6).astype(float)
    mask[-1] = 1.0
    return xs, targets, mask


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_truncated_gradient_equals_forward_mode_reference(name, seed):
    arch = NETS[name]
    xs, targets, mask = _random_problem(arch, seed)
    with jax.enable_x64(True):
        cell = make_cell(arch)
        params = cell.init_params(jax.random.PRNGKey(seed))
        params = jax.tree.map(lambda a: a.astype(jnp.float64), params)
        seq_loss = lambda p: 0.5 * jnp.sum(mask[:, None] * (targets - jax.lax.scan(
            lambda c, d: cell.step(p, c, d), jax.tree.map(lambda a: a.astype(jnp.float64), cell.init_carry()),
            cell.embed(p, jnp.asarray(xs)))[1]) ** 2)
        grads = jax.grad(seq_loss)(params)
        reference = truncated_gradient(arch, jax.tree.map(np.asarray, params), xs, targets, mask)
    for key in reference:
        np.testing.assert_allclose(np.asarray(grads[key]), reference[key], rtol=0, atol=1e-9, err_msg=key)
    assert max(np.abs(r).max(initial=0) for r in reference.values()) > 1e-3      # not a vacuous comparison


def test_full_gradient_differs_from_truncated():
    arch = NETS["exp1-like 3x2 F gate biases"]
    xs, targets, mask = _random_problem(arch, 5)
    with jax.enable_x64(True):
        grads = {}
        for truncated in (True, False):
            a = dataclasses.replace(arch, truncated=truncated)
            cell = make_cell(a)
            params = jax.tree.map(lambda x: x.astype(jnp.float64), cell.init_params(jax.random.PRNGKey(5)))
            loss = lambda p: 0.5 * jnp.sum(mask[:, None] * (targets - jax.lax.scan(
                lambda c, d: cell.step(p, c, d), cell.init_carry(), cell.embed(p, jnp.asarray(xs)))[1]) ** 2)
            grads[truncated] = jax.grad(loss)(params)
    assert np.abs(np.asarray(grads[True]["w_hidden_h"] - grads[False]["w_hidden_h"])).max() > 1e-6


@pytest.mark.parametrize("truncated, identity", [(True, True), (False, False)])
def test_cec_carries_error_unscaled(truncated, identity):
    """∂s(t)/∂s(t−1) = 1 exactly through the CEC under the truncated rule (and not under the full one)."""
    arch = LSTM1997(n_in=3, n_out=2, blocks=2, block_size=2, bias_gates=True, init_scale=1.0, truncated=truncated)
    cell = make_cell(arch)
    params = cell.init_params(jax.random.PRNGKey(0))
    x = jax.random.normal(jax.random.PRNGKey(1), (1, 3))
    drive = jax.tree.map(lambda a: a[0], cell.embed(params, x))
    y_rest = jax.random.uniform(jax.random.PRNGKey(2), (arch.n_hidden - arch.n_cells,))

    def next_state(s_prev):
        y_c = 0.5 * (2 * jax.nn.sigmoid(s_prev) - 1)           # the previous cell outputs depend on s(t−1)
        return cell.step(params, Carry(s=s_prev, y=jnp.concatenate([y_c, y_rest])), drive)[0].s

    jac = jax.jacobian(next_state)(jnp.array([0.3, -1.2, 2.0, 0.1]))
    assert np.allclose(jac, np.eye(4), atol=0) == identity


@pytest.mark.parametrize("case", ["lstm-2c", "lstm-2b", "rnn-2a"])
def test_forward_mode_rule_matches_backprop(case):
    """lstm97.rtrl (one update per sequence) sums to jax.grad of the scanned loss; for the RTRL net, RTRL = BPTT."""
    if case == "lstm-2c":
        arch, task = LSTM1997(n_in=9, n_out=2, blocks=2, block_size=1, init_scale=0.5, symbolic=True), \
            make_task("exp2c", p=5, q=4, k_max=4)
    elif case == "lstm-2b":
        arch, task = LSTM1997(n_in=7, n_out=7, blocks=1, block_size=1, connectivity="B", output_gate=False,
                              g="logistic", h="identity", init_scale=0.5, symbolic=True), make_task("exp2b", p=6)
    else:
        arch, task = RNN1997(n_in=7, n_out=7, init_scale=0.5, symbolic=True), make_task("exp2a", p=6)
    with jax.enable_x64(True):
        cell = make_cell(arch)
        params = jax.tree.map(lambda a: a.astype(jnp.float64), cell.init_params(jax.random.PRNGKey(3)))
        seq = task.sample(jax.random.PRNGKey(4))
        expected = jax.grad(lambda p: sequence_loss(cell, p, seq)[0])(params)
        run = make_forward_mode(cell, arch, optax.sgd(1.0), per_step=False)
        got = run(params, optax.sgd(1.0).init(params), seq)[4]
    for key in expected:
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(expected[key]), rtol=0, atol=1e-12)


def test_per_step_updates_change_weights_within_a_sequence():
    arch = RNN1997(n_in=7, n_out=7, init_scale=0.5, symbolic=True)
    cell = make_cell(arch)
    params = cell.init_params(jax.random.PRNGKey(0))
    seq = make_task("exp2a", p=6).sample(jax.random.PRNGKey(1))
    sgd = optax.sgd(0.5)
    per_seq = make_forward_mode(cell, arch, sgd, per_step=False)(params, sgd.init(params), seq)[0]
    per_step = make_forward_mode(cell, arch, sgd, per_step=True)(params, sgd.init(params), seq)[0]
    assert not np.allclose(per_seq["w_out_x"], per_step["w_out_x"])


def test_symbol_inputs_give_the_same_gradient_as_one_hot_vectors():
    """Gathering weight columns for symbol indices is exactly the one-hot product, gradients included."""
    task = make_task("exp2c", p=6, q=5, k_max=5)
    seq = task.sample(jax.random.PRNGKey(9))
    symbolic = LSTM1997(n_in=10, n_out=2, blocks=2, block_size=1, init_scale=0.5, symbolic=True)
    dense = dataclasses.replace(symbolic, symbolic=False)
    with jax.enable_x64(True):
        params = jax.tree.map(lambda a: a.astype(jnp.float64), make_cell(symbolic).init_params(jax.random.PRNGKey(0)))
        one_hot = seq._replace(x=jax.nn.one_hot(seq.x, 10, dtype=jnp.float64))
        g_sym = jax.grad(lambda p: sequence_loss(make_cell(symbolic), p, seq)[0])(params)
        g_dense = jax.grad(lambda p: sequence_loss(make_cell(dense), p, one_hot)[0])(params)
    for key in g_sym:
        np.testing.assert_allclose(np.asarray(g_sym[key]), np.asarray(g_dense[key]), rtol=0, atol=1e-12)
    assert np.abs(np.asarray(g_sym["w_hidden_x"])).max() > 0


@pytest.mark.parametrize("name", ["exp1-like 3x2 F gate biases", "exp4-like 2x2 F all biases"])
def test_in_place_order_truncated_gradient_equals_reference_and_differs_from_previous(name):
    """The reading hidden_order=in_place (cells read this step's gates): jax.grad through the cell still equals
    the numpy forward-mode rule (written with the cells' sources swapped), and the gradient is not that of the
    default order. The lanes engine does not implement it, so such rows train on the scan engine."""
    from lstm97 import lanes
    arch = dataclasses.replace(NETS[name], hidden_order="in_place")
    assert not lanes.supports(arch) and lanes.supports(NETS[name])
    assert repr(NETS[name]) == repr(dataclasses.replace(arch, hidden_order="previous"))
    assert "hidden_order" not in repr(NETS[name]) and "hidden_order='in_place'" in repr(arch)
    xs, targets, mask = _random_problem(arch, 7)
    grads = {}
    with jax.enable_x64(True):
        for a in (arch, NETS[name]):
            cell = make_cell(a)
            params = jax.tree.map(lambda p: p.astype(jnp.float64), cell.init_params(jax.random.PRNGKey(7)))
            loss = lambda p: 0.5 * jnp.sum(mask[:, None] * (targets - jax.lax.scan(
                lambda c, d: cell.step(p, c, d), jax.tree.map(lambda z: z.astype(jnp.float64), cell.init_carry()),
                cell.embed(p, jnp.asarray(xs)))[1]) ** 2)
            grads[a.hidden_order] = jax.grad(loss)(params)
        reference = truncated_gradient(arch, jax.tree.map(np.asarray, params), xs, targets, mask)
    for key in reference:
        np.testing.assert_allclose(np.asarray(grads["in_place"][key]), reference[key], rtol=0, atol=1e-9,
                                   err_msg=key)
    assert np.abs(np.asarray(grads["in_place"]["w_hidden_h"] - grads["previous"]["w_hidden_h"])).max() > 1e-4
