"""The paper's criteria on hand-made outputs: ABS(β), exp 2's 'N successive correct sequences', ST3(β) and
exp 5's n_seq rule on the training stream, exp 3's ST1/ST2 on test sets, exp 1's legal-successor test."""
import jax
import jax.numpy as jnp
import numpy as np

from lstm97.criteria import Streak
from lstm97.tasks import make_task
from lstm97.tasks.base import Sequence, judge


def _seq(target, judged):
    target = jnp.asarray(target, jnp.float32)
    return Sequence(x=jnp.zeros(len(target), jnp.int32), target=target, mask=jnp.asarray(judged, jnp.float32),
                    judge=jnp.asarray(judged, jnp.float32), length=jnp.int32(len(target)))


def test_abs_threshold_on_every_output_unit():
    seq = _seq([[1.0, 0.0], [0.0, 1.0]], [0, 1])
    ok, worst = judge(jnp.array([[0.0, 1.0], [0.19, 0.81]]), seq, 0.2)    # unjudged step may be wrong
    assert bool(ok) and abs(float(worst) - 0.19) < 1e-6
    ok, _ = judge(jnp.array([[1.0, 0.0], [0.21, 0.9]]), seq, 0.2)         # one unit off by 0.21: wrong
    assert not bool(ok)
    ok, _ = judge(jnp.array([[1.0, 0.0], [0.0, 0.75]]), seq, 0.25)        # exactly β is not below β
    assert not bool(ok)


def test_task_thresholds_are_the_papers():
    assert make_task("exp2a").threshold == 0.25 and make_task("exp2b").threshold == 0.25
    assert make_task("exp2c").threshold == 0.2


def _feed(rule, outcomes, cap=10**6):
    state, seqs, done_at = rule.init(), 0, None
    for ok in outcomes:
        seqs += 1
        state = rule.update(state, jnp.int32(seqs), jnp.bool_(ok))
        if done_at is None and rule.failed(state, jnp.int32(seqs), cap):
            done_at = seqs
    return state, done_at


def test_streak_success_counts_sequences_before_the_run():
    rule = Streak(window=5)
    state, _ = _feed(rule, [0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1])
    assert int(state.success_at) == 5                   # five sequences came before the run of five correct
    state, _ = _feed(rule, [1, 1, 1, 1])
    assert int(state.success_at) == -1                  # four in a row is not enough
    state, _ = _feed(Streak(window=10), [0] * 3 + [1] * 10)
    assert int(state.learned_at) == 3 and int(state.success_at) == 3   # learned: first run of window/10


def test_streak_fails_once_success_cannot_start_within_the_cap():
    rule = Streak(window=3)
    _, done_at = _feed(rule, [0] * 10, cap=4)
    assert done_at == 4
    state, done_at = _feed(rule, [0, 0, 0, 1, 1, 1], cap=4)   # the run starts after 3 ≤ cap: success
    assert done_at is None and int(state.success_at) == 3
    state, done_at = _feed(rule, [0, 0, 0, 0, 1, 1, 1], cap=4)
    assert done_at == 4 and int(state.success_at) == 4   # success noted past the cap, but the trial had failed


def test_streak_handles_arrays():
    rule = Streak(window=2)
    state = rule.update(rule.init(), jnp.int32(1), jnp.bool_(True))
    assert np.asarray(state.streak) == 1


# --- exps 1, 3-6 (Table 11, decisions 7, 12-14) ---------------------------------------------------------------

from lstm97 import criteria as rules  # noqa: E402  (module import: pytest would collect TestSet, test_errors)
from lstm97.criteria import Recent, ReberSets  # noqa: E402


def _feed_errors(rule, outcomes):
    """Run a per-sequence rule over (correct, error) pairs; returns the final state."""
    state = rule.init()
    for i, (correct, error) in enumerate(outcomes, start=1):
        state = rule.update(state, jnp.int32(i), jnp.bool_(correct), jnp.float32(error))
    return state


def test_st3_needs_the_whole_window_correct_and_a_low_mean_error():
    st3 = Recent(window=5, fewer_wrong_than=1, mean_below=0.01)
    assert int(_feed_errors(st3, [(True, 0.005)] * 4).success_at) == -1           # not before the window is full
    assert int(_feed_errors(st3, [(True, 0.005)] * 5).success_at) == 5            # counted when first met (D13)
    one_wrong = [(True, 0.005)] * 3 + [(False, 0.05)] + [(True, 0.005)] * 5
    assert int(_feed_errors(st3, one_wrong).success_at) == 9                      # the wrong one must leave the window
    high_mean = [(True, 0.02)] * 10                                        # all correct, mean 0.02 ≥ 0.01
    assert int(_feed_errors(st3, high_mean).success_at) == -1


def test_st3_squared_reading():
    outcomes = [(True, 0.09)] * 5                                          # mean 0.09, mean square 0.0081
    assert int(_feed_errors(Recent(5, 1, 0.01), outcomes).success_at) == -1
    assert int(_feed_errors(Recent(5, 1, 0.01, squared=True), outcomes).success_at) == 5


def test_exp5_rule_counts_wrong_sequences_in_the_window():
    rule = Recent(window=10, fewer_wrong_than=3)                           # "fewer than n_seq" with n_seq = 3
    three_wrong = [(False, 0.1)] * 3 + [(True, 0.0)] * 7
    assert int(_feed_errors(rule, three_wrong).success_at) == -1
    assert int(_feed_errors(rule, three_wrong + [(True, 0.0)]).success_at) == 11  # first wrong one left the window
    assert int(_feed_errors(rule, [(False, 0.1)] * 2 + [(True, 0.0)] * 8).success_at) == 10


def test_recent_rule_fails_at_the_cap():
    rule = Recent(window=5)
    state = _feed_errors(rule, [(False, 0.5)] * 7)
    assert bool(rule.failed(state, jnp.int32(7), 7)) and not bool(rule.failed(state, jnp.int32(6), 7))


def test_test_errors_against_the_noise_free_target():
    task = make_task("exp3c", T=20, N=1)
    batch = jax.vmap(task.sample)(jax.random.split(jax.random.PRNGKey(0), 64))
    clean = jax.vmap(task.clean_target)(batch)
    wrong, err = rules.test_errors(task, clean, batch)                           # outputs = the conditional mean
    assert not bool(wrong.any()) and float(err.max()) == 0.0
    wrong, err = rules.test_errors(task, clean + 0.11, batch)                    # off by 0.11 > 0.1: all wrong
    assert bool(wrong.all()) and np.allclose(err, 0.11, atol=1e-6)


def test_st1_st2_on_a_test_set():
    task = make_task("exp3a", T=20, N=3)
    rule = rules.TestSet(size=32, max_wrong=0, mean_below=0.01)
    perfect = lambda batch: batch.target                                   # the noise-free target itself
    state = rule.check(rule.init(), perfect, task, jax.random.PRNGKey(1), 0, jnp.int32(300))
    assert int(state.st1_at) == 300 and int(state.success_at) == 300
    close = lambda batch: batch.target + 0.05                              # right class, mean error 0.05
    state = rule.check(rule.init(), close, task, jax.random.PRNGKey(1), 0, jnp.int32(300))
    assert int(state.st1_at) == 300 and int(state.success_at) == -1        # ST1 but not ST2
    later = rule.check(state, perfect, task, jax.random.PRNGKey(2), 0, jnp.int32(600))
    assert int(later.st1_at) == 300 and int(later.success_at) == 600       # the first ST1 is kept


def test_reber_sets_need_every_legal_successor_on_top():
    task = make_task("exp1", pair=-1, seed=0)
    rule = ReberSets()

    def legal_outputs(batch):                                              # 1 on legal successors, 0 elsewhere
        for which in ("train", "test"):
            b, legal = task.variant_sets(which, 1)
            if b.x.shape == batch.x.shape and bool(jnp.all(b.x == batch.x)):
                return legal.astype(jnp.float32)
        raise AssertionError("unexpected batch")

    state = rule.check(rule.init(), legal_outputs, task, jax.random.PRNGKey(0), 1, jnp.int32(90))
    assert int(state.success_at) == 90
    uniform = lambda batch: jnp.full(batch.target.shape, 0.5)             # ties: legal not above illegal
    assert int(rule.check(rule.init(), uniform, task, jax.random.PRNGKey(0), 1, jnp.int32(90)).success_at) == -1
