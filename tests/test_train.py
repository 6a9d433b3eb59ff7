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


def test_diagnose_states_reading_traces_the_row_under_that_reading(monkeypatch, capsys):
    """``diagnose states ROW --reading NAME`` traces the row the search trains under NAME (its fingerprint),
    with the seed given; without ``--reading``, the paper's row."""
    import experiments
    from lstm97 import diagnostics, search
    from lstm97.__main__ import main
    from lstm97.engines import fingerprint
    seen = []
    monkeypatch.setattr(diagnostics, "state_trace", lambda row, *a, **k: seen.append((row, a, k)) or row.label)
    assert main(["diagnose", "states", "exp3 3b T=100 N=3", "2", "50", "1", "--reading", "cell_bias_init=zero"]) == 0
    assert main(["diagnose", "states", "exp3 3b T=100 N=3"]) == 0
    (wanted,) = search.plan("exp3 3b T=100 N=3", experiments.registry(), only="cell_bias_init=zero").rows
    (under, numbers, seed), (paper, _, _) = seen
    assert under.reading.name == "cell_bias_init=zero" and fingerprint(under) == fingerprint(wanted)
    assert numbers == (2, 50) and seed == {"seed": 1}
    assert paper.reading.name == "paper" and fingerprint(paper) != fingerprint(wanted)


def test_state_trace_shows_each_blocks_gates_from_its_initial_biases():
    """``diagnose states``: 3b's blocks start with input-gate biases −1, −3, −5 and output-gate biases −2, −4,
    −6 (Table 10), so after one sequence each block's gates sit near σ of its bias; |s| and error are in range;
    the rows follow the job's own trials (trial 0, 1), and nets without output gates are refused."""
    import math
    from experiments import exp3, exp2
    from lstm97.diagnostics import state_trace
    row = next(r for r in exp3.EXPERIMENT.rows if r.label == "3b T=100 N=3")
    lines = [line.split(" | ") for line in state_trace(row.scaled(chunk=1), trials=2, sequences=1, points=1,
                                                        probes=16).splitlines() if line.startswith("| 1 |")]
    assert [line[1] for line in lines] == ["0", "1"]
    sigma = lambda b: 1 / (1 + math.exp(-b))
    for line in lines:
        error, spread = float(line[2]), float(line[3])
        s, in_gate, out_gate, bias = ([float(v) for v in field.split(" / ")] for field in line[4:8])
        assert 0 <= error <= 1 and spread >= 0 and len(s) == 3 and all(v >= 0 for v in s)
        assert all(abs(g - sigma(b)) < 0.05 for g, b in zip(in_gate, (-1, -3, -5)))
        assert all(abs(g - sigma(b)) < 0.05 for g, b in zip(out_gate, (-2, -4, -6)))
        assert all(abs(b) <= 0.11 for b in bias)                  # cell biases: U[-0.1, 0.1], one update
    with pytest.raises(ValueError, match="not a 1997 LSTM with output gates"):
        state_trace(next(r for r in exp2.EXPERIMENT.rows if r.label == "2a LSTM p=100"))
    with pytest.raises(ValueError, match="trials must be 1 to the row's 10"):
        state_trace(row, trials=11)
