"""The seed-parallel trainer end to end on a tiny row: it learns, it is deterministic, and a row's first
trials do not depend on how many trials run beside them."""
import numpy as np
import pytest

from experiments.exp2 import lstm_2c
from lstm97.config import Row
from lstm97.criteria import Streak
from lstm97.tasks import make_task
from lstm97.train import train_row

TINY = Row("test", "tiny 2c", "exp2c", make_task("exp2c", p=4, q=4, k_max=8), lstm_2c(4), learning_rate=0.5,
           trials=3, cap=4000, criterion=Streak(50), chunk=250)


def _numbers(rows):
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]


@pytest.fixture(scope="module")
def tiny_result():
    return train_row(TINY, seed=0)


def test_tiny_row_learns(tiny_result):
    assert len(tiny_result) == 3
    assert all(r["success"] for r in tiny_result)
    assert all(0 <= r["sequences"] < TINY.cap and r["presented"] >= r["sequences"] + 50 for r in tiny_result)


def test_same_seed_same_rows(tiny_result):
    assert _numbers(train_row(TINY, seed=0)) == _numbers(tiny_result)


def test_other_seed_other_rows(tiny_result):
    """The numbers differ, not just the ``seed`` column (which alone would make any two seeds differ)."""
    without_seed = lambda rows: [{k: v for k, v in r.items() if k != "seed"} for r in _numbers(rows)]
    assert without_seed(train_row(TINY, seed=1)) != without_seed(tiny_result)


def test_first_trials_do_not_depend_on_the_trial_count(tiny_result):
    two = _numbers(train_row(TINY, seed=0, trials=2))
    assert two == _numbers(tiny_result)[:2]


def test_cap_ends_a_trial_as_failure():
    rows = train_row(TINY.scaled(cap=10, chunk=7), seed=0)
    assert not any(r["success"] for r in rows)
    assert all(r["reason"] == "cap" and r["sequences"] == 10 and r["presented"] == 10 for r in rows)


def test_per_step_updates_train_too():
    rows = train_row(TINY.scaled(updates="step", trials=2), seed=0)
    assert np.all([r["presented"] > 0 for r in rows])
    assert any(r["success"] for r in rows)


def _interrupt_after(chunks):
    """A progress callback that kills the run (as Ctrl-C would) after ``chunks`` chunks."""
    calls = []

    def progress(done, budget):
        calls.append(done)
        if len(calls) == chunks:
            raise KeyboardInterrupt
    return progress


def test_resume_from_checkpoint_gives_the_uninterrupted_numbers(tiny_result, tmp_path):
    path = tmp_path / "tiny.ckpt.npz"
    with pytest.raises(KeyboardInterrupt):
        train_row(TINY, seed=0, progress=_interrupt_after(3), checkpoint=path, checkpoint_s=0.0)
    assert path.exists()
    resumed = train_row(TINY, seed=0, checkpoint=path, checkpoint_s=0.0)
    assert _numbers(resumed) == _numbers(tiny_result)
    assert not path.exists()


def test_checkpoint_of_another_row_is_ignored(tiny_result, tmp_path):
    path = tmp_path / "other.ckpt.npz"
    with pytest.raises(KeyboardInterrupt):
        train_row(TINY.scaled(learning_rate=0.3), seed=0, checkpoint=path, checkpoint_s=0.0,
                  progress=_interrupt_after(2))
    assert path.exists()
    assert _numbers(train_row(TINY, seed=0, checkpoint=path)) == _numbers(tiny_result)
