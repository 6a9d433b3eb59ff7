"""Criteria, final tests, intervals and summary columns on made-up outputs whose right answers are known by hand.

* exp 1's success rule (Sec. 5.1, decision 7) needs BOTH the training and the test set right;
* ABS(β) and the test errors on hand-built outputs (``criteria.test_errors``);
* the rules on the training stream (ST3, exp 5's n_seq, exp 2's 10,000 in a row) on made-up streams;
* ``train.final_test`` through a fake cell whose outputs are set per trial: known wrong counts, mean errors
  (against 3c's noise-free target), histograms and exp 6's confusion matrix;
* ``stats``: Clopper-Pearson intervals against hand-computed values, the bootstrap interval's coverage;
* ``report.summarise``'s columns on a made-up trials table (means over successful trials only, decision 17).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from lstm97 import report, stats, train
from lstm97.cells import Cell
from lstm97.criteria import Recent, ReberSets, Streak
from lstm97.criteria import test_errors as errors_of      # not collected as a test
from experiments import rows_of
from lstm97.tasks import make_task
from tests.test_tasks_later import reber_legal

NAMES = "BTPSXVE"


# ---------------------------------------------------------------- exp 1: training AND test set

@pytest.fixture(scope="module")
def reber():
    task = make_task("exp1", pair=0)
    sets = {}
    for which, s in (("train", task.train_set), ("test", task.test_set)):
        outputs = np.full(s.x.shape + (7,), 0.5, np.float32)           # steps without a judgement: anything
        for i, (row, n) in enumerate(zip(s.x, s.length)):
            legal = reber_legal("".join(NAMES[j] for j in row[:n]))     # an independent reading of the grammar
            for t in range(n - 1):
                outputs[i, t] = [0.8 if NAMES[j] in legal[t] else 0.2 for j in range(7)]
        sets[which] = (s.x, outputs)
    return task, sets


def _check_exp1(task, sets, spoil: dict) -> int:
    """ReberSets' check with outputs that are right everywhere except at ``spoil[which] = (string, step)``,
    where an illegal successor becomes the most active output. Returns success_at (-1: no success)."""
    def outputs_of(batch):
        x = np.asarray(batch.x)
        for which, (xs, outputs) in sets.items():
            if x.shape == xs.shape and (x == xs).all():
                out = outputs.copy()
                if which in spoil:
                    i, t = spoil[which]
                    illegal = int(np.argmin(out[i, t]))                 # an output at 0.2: an illegal symbol
                    out[i, t, illegal] = 0.95
                return jnp.asarray(out)
        raise AssertionError("the rule looked at a set that is neither the training nor the test set")

    crit = ReberSets()
    state = crit.check(crit.init(), outputs_of, task, jax.random.PRNGKey(0), 0, jnp.int32(1234))
    return int(state.success_at)


def test_exp1_success_needs_the_training_and_the_test_set(reber):
    task, sets = reber
    assert _check_exp1(task, sets, {}) == 1234                                   # both right: success now
    last_test = (len(sets["test"][0]) - 1, int(task.test_set.length[-1]) - 2)
    assert _check_exp1(task, sets, {"test": (0, 0)}) == -1, "right on the training set, wrong on the test set"
    assert _check_exp1(task, sets, {"test": last_test}) == -1, "the test set's last judged step"
    assert _check_exp1(task, sets, {"train": (0, 0)}) == -1, "wrong on the training set, right on the test set"
    last_train = (len(sets["train"][0]) - 1, int(task.train_set.length[-1]) - 2)
    assert _check_exp1(task, sets, {"train": last_train}) == -1, "the training set's last judged step"


# ---------------------------------------------------------------- ABS(β) and test errors on hand-built outputs

def test_errors_on_hand_built_adding_outputs():
    """Exp 4 (ABS(0.04), Table 11): outputs = target + δ at the last step, nonsense elsewhere (not judged)."""
    task = make_task("exp4", T=100)
    deltas = np.array([0.0, 0.01, -0.0399, 0.0399, 0.0401, -0.0401, 0.2, -0.5], np.float32)
    batch = jax.jit(jax.vmap(task.sample))(jax.random.split(jax.random.PRNGKey(0), len(deltas)))
    end = np.asarray(batch.judge)[:, :, None]
    outputs = np.where(end > 0, np.asarray(batch.target) + deltas[:, None, None], 7.0)
    wrong, err = map(np.asarray, errors_of(task, jnp.asarray(outputs), batch))
    np.testing.assert_array_equal(wrong, np.abs(deltas) >= 0.04)                  # 4 of 8 wrong
    assert wrong.sum() == 4
    np.testing.assert_allclose(err, np.abs(deltas), atol=2e-6)                  # mean |error| at the judged step


def test_errors_of_3c_are_against_the_noise_free_target():
    """Exp 3c: misclassified when |output − noise-free target| > 0.1; the error is the difference to the
    noise-free target (0.2 / 0.8), not to the noisy training target."""
    task = make_task("exp3c", T=100, N=3)
    batch = jax.jit(jax.vmap(task.sample))(jax.random.split(jax.random.PRNGKey(1), 64))
    clean = np.where(np.asarray(batch.x)[:, 0, 0] > 0, 0.2, 0.8)
    outputs = np.asarray(batch.judge)[:, :, None] * (clean[:, None, None] + 0.05)
    wrong, err = map(np.asarray, errors_of(task, jnp.asarray(outputs, jnp.float32), batch))
    assert not wrong.any()
    np.testing.assert_allclose(err, 0.05, atol=1e-6)
    wrong, err = map(np.asarray, errors_of(task, jnp.asarray(outputs + 0.06 * np.asarray(batch.judge)[:, :, None],
                                                               jnp.float32), batch))
    assert wrong.all()
    np.testing.assert_allclose(err, 0.11, atol=1e-6)


# ---------------------------------------------------------------- rules on the training stream

def _stream(criterion, correct, error):
    correct, error = jnp.asarray(correct), jnp.asarray(error, jnp.float32)

    def step(state, inputs):
        i, ok, e = inputs
        return criterion.update(state, i + 1, ok, e), None

    state, _ = jax.lax.scan(step, criterion.init(), (jnp.arange(len(correct)), correct, error))
    return int(state.success_at)


def test_st3_and_n_seq_rules_on_made_up_streams():
    """ST3(β): all of the 2,000 most recent correct and their mean absolute error below β (exps 4, 6);
    exp 5: fewer than n_seq of the 2,000 most recent wrong."""
    n = 2600
    ok, err = np.ones(n, bool), np.full(n, 0.0099)
    st3 = Recent(2000, fewer_wrong_than=1, mean_below=0.01)
    assert _stream(st3, ok, err) == 2000                        # met as soon as 2,000 sequences were seen
    assert _stream(st3, ok, np.full(n, 0.0101)) == -1           # the average is not below 0.01
    spoiled = ok.copy()
    spoiled[99] = False                                         # sequence 100 wrong: met at 2,100
    assert _stream(st3, spoiled, err) == 2100
    for n_seq in (140, 13):
        rule = Recent(2000, fewer_wrong_than=n_seq)
        wrong = ok.copy()
        wrong[:n_seq - 1] = False                               # n_seq − 1 wrong: fewer than n_seq
        assert _stream(rule, wrong, np.ones(n)) == 2000
        wrong[:n_seq] = False                                   # n_seq wrong: met once the first drops out
        assert _stream(rule, wrong, np.ones(n)) == 2001


def test_ten_thousand_in_a_row():
    """Exp 2: success after 10,000 successive correct sequences; counted as the sequences before that run."""
    ok = np.ones(10_600, bool)
    ok[[100, 499]] = False
    assert _stream(Streak(10_000), ok, np.zeros(len(ok))) == 500
    ok[10_400] = False
    assert _stream(Streak(10_000), ok, np.zeros(len(ok))) == -1


# ---------------------------------------------------------------- final_test through a fake cell

class FakeState(NamedTuple):
    params: dict
    key: jax.Array


def _fake_cell(kind: str):
    """Outputs set by hand from what the input reveals (the class), per trial by ``params``; the same output at
    every step (only the last is judged)."""
    def embed(params, xs):
        L = xs.shape[0]
        if kind == "exp3a":                                    # class 1: first input +1, target 1.0; class 2: 0.0
            class1 = xs[0, 0] > 0
            y = jnp.where(class1, 1.0 - params["d1"], params["d2"])
            return jnp.full((L, 1), y)
        if kind == "exp3c":                                    # noise-free target 0.2 / 0.8 plus δ
            clean = jnp.where(xs[0, 0] > 0, 0.2, 0.8)
            return jnp.full((L, 1), clean + params["d1"])
        relevant = (xs == 4) | (xs == 5)                       # exp 6a: X = 4, Y = 5; class = bits t1 t2
        order = jnp.cumsum(relevant) - 1
        cls = jnp.sum(jnp.where(relevant, (xs == 5) * 2 ** (1 - order), 0))
        guess = jnp.where((cls == 0) & (params["swap"] > 0), 1, cls)   # with swap: class Q answered as R
        return jnp.broadcast_to(0.05 + 0.9 * jax.nn.one_hot(guess, 4), (L, 4))

    def step(params, carry, drive):
        return carry, drive

    return Cell(init_params=None, init_carry=lambda: jnp.zeros(()), embed=embed, step=step)


def _final(monkeypatch, kind, task, params, size=512):
    row = rows_of("exp3", variants=False)[0].scaled(task=task, task_name=f"exp{kind[3:]}")
    monkeypatch.setattr(train, "make_cell", lambda arch: _fake_cell(kind))
    trials = len(next(iter(params.values())))
    # every trial the same key, so every trial meets the same test sequences
    state = FakeState({k: jnp.asarray(v, jnp.float32) for k, v in params.items()},
                      jnp.tile(jax.random.PRNGKey(7), (trials, 1)))
    out = train.final_test(row, state, size)
    hist = np.array([[int(v) for v in h.split(";")] for h in out["test_error_hist"]])
    return out, hist


def test_final_test_counts_known_errors(monkeypatch):
    """Exp 3a (ABS(0.2)), 512 test sequences per trial. Trials 0-3 miss every target by δ = 0.05, 0.19, 0.21,
    0.5: wrong 0, 0, 512, 512; mean error δ; every sequence in δ's histogram bin (edges 0, .005, .01, .02,
    .04, .08, .16, .32, ∞). Trial 4 misses class 1 by 0.15 and class 2 by 0.25: its wrong count is the number
    of class-2 sequences, which the histogram counts in bin [0.16, 0.32)."""
    size = 512
    d1 = [0.05, 0.19, 0.21, 0.5, 0.15]
    d2 = [0.05, 0.19, 0.21, 0.5, 0.25]
    out, hist = _final(monkeypatch, "exp3a", make_task("exp3a", T=10, N=1), {"d1": d1, "d2": d2}, size)
    np.testing.assert_array_equal(out["test_wrong"][:4], [0, 0, size, size])
    np.testing.assert_allclose(out["test_mean_error"][:4], d1[:4], atol=1e-5)
    for trial, bin_ in enumerate([4, 6, 6, 7]):
        expected = np.zeros(8, int)
        expected[bin_] = size
        np.testing.assert_array_equal(hist[trial], expected, err_msg=f"trial {trial}")
    w = int(out["test_wrong"][4])
    assert 0 < w < size
    np.testing.assert_array_equal(hist[4], [0, 0, 0, 0, 0, size - w, w, 0])
    np.testing.assert_allclose(out["test_mean_error"][4], (0.15 * (size - w) + 0.25 * w) / size, atol=1e-5)
    # class 2 has probability ½: w ~ Binomial(512, ½), bounds at false alarm 1e-4 (5e-5 per tail)
    assert sps.binom.ppf(5e-5, size, 0.5) <= w <= sps.binom.isf(5e-5, size, 0.5)
    assert "test_confusion" not in out


def test_final_test_3c_error_is_the_difference_to_the_noise_free_target(monkeypatch):
    out, hist = _final(monkeypatch, "exp3c", make_task("exp3c", T=10, N=1), {"d1": [0.012, -0.05, 0.12]})
    np.testing.assert_array_equal(out["test_wrong"], [0, 0, 512])       # |δ| > 0.1: misclassified
    np.testing.assert_allclose(out["test_mean_error"], [0.012, 0.05, 0.12], atol=1e-5)
    np.testing.assert_array_equal(hist, [[0, 0, 512, 0, 0, 0, 0, 0],           # 0.012 in [0.01, 0.02)
                                         [0, 0, 0, 0, 512, 0, 0, 0],           # 0.05 in [0.04, 0.08)
                                         [0, 0, 0, 0, 0, 512, 0, 0]])          # 0.12 in [0.08, 0.16)


def test_final_test_confusion_matrix_of_temporal_order(monkeypatch):
    """Exp 6a (ABS(0.3) on every output): trial 0 answers every class right (outputs 0.95 / 0.05: mean error
    0.05); trial 1 answers class Q as R: those sequences are wrong with mean error (0.95 + 0.95 + 0.05 + 0.05)/4
    = 0.5, and the confusion matrix holds them at (Q, R)."""
    size = 512
    out, hist = _final(monkeypatch, "exp6a", make_task("exp6a"), {"swap": [0, 1]}, size)
    conf = np.array([[[int(v) for v in r.split(",")] for r in c.split(";")] for c in out["test_confusion"]])
    assert conf.shape == (2, 4, 4) and (conf.sum(axis=(1, 2)) == size).all()
    np.testing.assert_array_equal(conf[0], np.diag(np.diag(conf[0])))            # right: diagonal only
    np.testing.assert_array_equal(conf[0].sum(1), conf[1].sum(1))                  # the same test sequences
    q = int(conf[1][0, 1])
    assert conf[1][0, 0] == 0 and q == conf[0][0, 0]
    np.testing.assert_array_equal(np.delete(np.delete(conf[1], 0, 0), 0, 1), np.diag(np.diag(conf[0])[1:]))
    # Q has probability ¼: q ~ Binomial(512, ¼), 128 expected; bounds at false alarm 1e-4 (5e-5 per tail)
    assert sps.binom.ppf(5e-5, size, 0.25) <= q <= sps.binom.isf(5e-5, size, 0.25)
    np.testing.assert_array_equal(out["test_wrong"], [0, q])
    np.testing.assert_allclose(out["test_mean_error"], [0.05, (0.05 * (size - q) + 0.5 * q) / size], atol=1e-5)
    np.testing.assert_array_equal(hist, [[0, 0, 0, 0, size, 0, 0, 0], [0, 0, 0, 0, size - q, 0, 0, q]])


# ---------------------------------------------------------------- intervals

@pytest.mark.parametrize("k, n", [(0, 10), (1, 10), (5, 10), (10, 10), (27, 30), (29, 30), (0, 18), (18, 18)])
def test_clopper_pearson_against_hand_computed_values(k, n):
    """Exact 95 % interval: lower = Beta(0.025; k, n−k+1), upper = Beta(0.975; k+1, n−k); for k = 0 the upper
    end is 1 − 0.025^(1/n) (0/10: 30.85 %), for k = n the lower end is 0.025^(1/n)."""
    low = 0.0 if k == 0 else sps.beta.ppf(0.025, k, n - k + 1)
    high = 1.0 if k == n else sps.beta.ppf(0.975, k + 1, n - k)
    if k == 0:
        assert math.isclose(high, 1 - 0.025 ** (1 / n), rel_tol=1e-9)
    if k == n:
        assert math.isclose(low, 0.025 ** (1 / n), rel_tol=1e-9)
    got = stats.success_interval(k, n)
    np.testing.assert_allclose(got, (100 * low, 100 * high), atol=1e-6)


def test_clopper_pearson_printed_values():
    np.testing.assert_allclose(stats.success_interval(0, 10), (0.0, 30.85), atol=0.005)
    np.testing.assert_allclose(stats.success_interval(1, 10), (0.25, 44.50), atol=0.005)
    np.testing.assert_allclose(stats.success_interval(5, 10), (18.71, 81.29), atol=0.005)


def test_bootstrap_mean_interval_covers_the_true_mean_at_its_level():
    """2,500 samples of 30 standard-normal values. The percentile bootstrap's coverage for the mean of 30
    normal values is about P(|t_29| < 1.96·√(29/30)) ≈ 0.936 (it uses the plug-in sd and the normal quantile);
    taking the true coverage within [0.925, 0.945], the number of intervals covering 0 lies within
    [binom.ppf(5e-5, 2500, 0.925), binom.isf(5e-5, 2500, 0.945)] = [2259, 2405] (expected ≈ 2340) with false-alarm
    probability ≤ 1e-4. A 90 % interval (coverage ≈ 0.88, ≈ 2210) or a 99 % one (≈ 2460) falls outside."""
    rng = np.random.default_rng(2024)
    m, n = 2500, 30
    covered = 0
    for _ in range(m):
        low, high = stats.mean_interval(rng.normal(size=n))
        covered += low <= 0.0 <= high
    low_bound, high_bound = sps.binom.ppf(5e-5, m, 0.925), sps.binom.isf(5e-5, m, 0.945)
    assert low_bound <= covered <= high_bound, f"{covered} of {m} intervals cover the mean"


def test_bootstrap_mean_interval_edge_cases():
    assert all(math.isnan(v) for v in stats.mean_interval(np.array([5.0])))
    assert stats.mean_interval(np.array([7.0, 7.0, 7.0])) == (7.0, 7.0)
    low, high = stats.mean_interval(np.array([100.0, 200.0, 600.0]))
    assert 100.0 <= low <= 300.0 <= high <= 600.0


# ---------------------------------------------------------------- summary columns

def test_summary_columns_on_a_made_up_table():
    """Decision 17: mean (and median, range) of sequences over successful trials only; k/n with the exact
    interval; test columns over successful trials; a row without trials is pending."""
    rows = rows_of("exp4", variants=False)
    label, other = rows[0].label, rows[1].label
    records = []
    for i, (ok, seqs, wrong, err) in enumerate([(True, 100, 1, 0.004), (True, 600, 3, 0.008), (False, 222_000, 90, 0.3),
                                                (True, 200, 2, 0.006), (False, 222_000, 70, 0.2)]):
        records.append({"experiment": "exp4", "row": label, "cell": "lstm1997", "seed": 0, "trial": i,
                        "success": ok, "sequences": seqs, "presented": seqs, "learned_at": -1, "grown_at": -1,
                        "reason": "success" if ok else "cap", "final_error": 0.1, "wall_s": 1.0,
                        "st1_at": np.nan, "test_sequences": 2560, "test_wrong": wrong, "test_mean_error": err,
                        "test_error_hist": "", "test_confusion": np.nan,
                        "reading": getattr(getattr(rows[0], "reading", None), "name", "paper")})
    summary = report.summarise(pd.DataFrame(records, columns=report.TRIAL_COLUMNS), rows[:2])
    line = summary.iloc[0]
    assert line["row"] == label and line["trials"] == 5 and line["successes"] == 3
    assert line["success_pct"] == pytest.approx(60.0)
    np.testing.assert_allclose([line["success_ci_low"], line["success_ci_high"]],
                               [100 * sps.beta.ppf(0.025, 3, 3), 100 * sps.beta.ppf(0.975, 4, 2)], atol=1e-6)
    assert line["mean_sequences"] == pytest.approx(300.0)         # (100 + 600 + 200)/3, not the caps
    assert line["median_sequences"] == pytest.approx(200.0)
    assert line["min_sequences"] == 100 and line["max_sequences"] == 600
    assert line["mean_ci_low"] <= 300.0 <= line["mean_ci_high"]
    assert line["mean_test_wrong"] == pytest.approx(2.0) and line["max_test_wrong"] == 3
    assert line["mean_test_error"] == pytest.approx(0.006)
    assert line["paper_sequences"] == 74_000 and line["cap"] == rows[0].cap
    assert line["weights"] == 93
    empty = summary.iloc[1]
    assert empty["row"] == other and empty["trials"] == 0 and empty["verdict"] == "pending"
    assert math.isnan(empty["mean_sequences"])
