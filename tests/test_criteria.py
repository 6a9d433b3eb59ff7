"""ABS(β) judgements and exp 2's 'N successive correct sequences' rule on hand-made outputs."""
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
