"""Generator facts of tasks 2a, 2b, 2c (spec §3, decision 8, erratum 3)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstm97.tasks import TaskError, make_task


def _batch(task, n, seed=0):
    return jax.vmap(task.sample)(jax.random.split(jax.random.PRNGKey(seed), n))


def test_2a_two_fixed_sequences_and_next_symbol_targets():
    task = make_task("exp2a", p=6)
    seqs = _batch(task, 200)
    names = task.symbol_names()
    assert names == ["a1", "a2", "a3", "a4", "a5", "x", "y"]
    x = np.asarray(seqs.x)
    assert set(map(tuple, x)) == {(5, 0, 1, 2, 3, 4, 5), (6, 0, 1, 2, 3, 4, 6)}
    # target at step t is the one-hot next symbol; every step but the last carries one and is judged
    np.testing.assert_array_equal(np.asarray(seqs.target[:, :-1].argmax(-1)), x[:, 1:])
    assert np.asarray(seqs.target).sum(-1).min() == 1.0
    np.testing.assert_array_equal(np.asarray(seqs.mask[0]), [1, 1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(np.asarray(seqs.judge[0]), [1, 1, 1, 1, 1, 1, 0])
    assert 0.4 < (x[:, 0] == 5).mean() < 0.6


def test_2b_random_middle_only_final_prediction_judged():
    task = make_task("exp2b", p=100)
    seqs = _batch(task, 400)
    x = np.asarray(seqs.x)
    assert x.shape == (400, 101)
    np.testing.assert_array_equal(x[:, 0], x[:, -1])
    assert set(np.unique(x[:, 0])) == {99, 100}
    middle = x[:, 1:-1]
    assert middle.min() == 0 and middle.max() == 98                          # a1 .. a99 only
    assert abs(middle.mean() - 49.0) < 0.5                                   # uniform over 99 symbols
    judge = np.asarray(seqs.judge[0])
    assert judge.sum() == 1 and judge[99] == 1                               # the step that predicts the class


def test_2c_structure():
    task = make_task("exp2c", p=10, q=20)
    names = task.symbol_names()
    seqs = _batch(task, 500)
    for i in range(500):
        n = int(seqs.length[i])
        sym = [names[j] for j in np.asarray(seqs.x[i, :n])]
        assert sym[0] == "b" and sym[1] in ("x", "y")
        assert sym[-2] == "e" and sym[-1] == sym[1]                          # the class repeats after e
        assert all(s.startswith("a") for s in sym[2:-2]) and len(sym[2:-2]) >= 20     # q distractors at least
        assert n >= task.q + 4
        mask = np.asarray(seqs.mask[i])
        assert mask.sum() == 1 and mask[n - 2] == 1                          # target where e is the input
        assert np.asarray(seqs.target[i, n - 2]).argmax() == (sym[1] == "y")


def test_2c_expected_length_is_q_plus_13():
    task = make_task("exp2c", p=100, q=100)
    lengths = np.asarray(_batch(task, 20000, seed=3).length, dtype=float)
    se = lengths.std() / np.sqrt(len(lengths))
    assert abs(lengths.mean() - 113.0) < 4 * se                              # erratum 3: q + 13, not q + 14
    assert lengths.min() == 104


def test_2c_classes_balanced_and_distractors_uniform():
    task = make_task("exp2c", p=4, q=50)
    seqs = _batch(task, 4000, seed=1)
    cls = np.asarray(seqs.x[:, 1])
    assert abs((cls == 6).mean() - 0.5) < 0.03
    d = np.asarray(seqs.x[:, 2:52]).ravel()
    counts = np.bincount(d, minlength=8)[:4] / len(d)
    assert np.abs(counts - 0.25).max() < 0.01


@pytest.mark.parametrize("name, options, message", [
    ("exp9", {}, "unknown task"),
    ("exp4", {"T": 15}, "multiple of 10"),
    ("exp2c", {"z": 3}, "no option"),
    ("exp2c", {"p": "ten"}, "integer"),
    ("exp2c", {"p": 0}, "positive"),
    ("exp2a", {"p": -3}, "positive"),
])
def test_bad_task_options(name, options, message):
    with pytest.raises(TaskError, match=message):
        make_task(name, **options)


def test_sample_is_pure():
    task = make_task("exp2c", p=10, q=10)
    a, b = task.sample(jax.random.PRNGKey(7)), task.sample(jax.random.PRNGKey(7))
    assert all(bool(jnp.array_equal(u, v)) for u, v in zip(a, b))
