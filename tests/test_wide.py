"""Wide programs (scan or lanes engine): rows that differ in learning rate, initial weights (``out_init``), task values (exp 4's
``marked_first``) and cap train side by side in one compiled program (``train.train_rows``), and each row's
trials come out bit for bit as that row trained alone (``train.train_row``). A trial whose numbers blow up
stops alone; a killed wide program resumes to the uninterrupted numbers; a sweep packs rows into batches
of at most ``engines.WIDEST`` trials."""
from dataclasses import replace

import pytest

from lstm97.config import Row
from lstm97.criteria import Recent
from lstm97.engines import WIDEST, pack_key, packable, wide_key
from lstm97.nets import lstm_45
from lstm97.sweep import LONGEST_PADDED, batches
from lstm97.tasks import make_task
from lstm97.train import train_row, train_rows
from tests.test_train import _numbers

BASE = Row("test", "wide base", "exp4", make_task("exp4", T=20), lstm_45((-3.0, -6.0)), learning_rate=0.5,
           trials=2, cap=600, criterion=Recent(50, fewer_wrong_than=1, mean_below=0.05), chunk=200,
           test_sequences=256)
WIDE = (
    BASE,
    replace(BASE, label="wide rate cap start", learning_rate=1.0, cap=1000, arch=replace(BASE.arch, out_init="zero")),
    replace(BASE, label="wide task start", task=make_task("exp4", T=20, marked_first="kept"),
            arch=replace(BASE.arch, out_init="small")),
    replace(BASE, label="wide blows up", learning_rate=float("inf")),
)


@pytest.fixture(scope="module")
def wide():
    return train_rows(list(WIDE), seed=0)


def test_rows_that_differ_in_rate_start_task_and_cap_share_one_program():
    assert len({wide_key(r) for r in WIDE}) == 1
    assert len({pack_key(r) for r in WIDE}) == 3           # the rate-only pack would have needed three programs
    assert wide_key(replace(BASE, chunk=100)) != wide_key(BASE)                      # when criteria look
    assert wide_key(replace(BASE, arch=replace(BASE.arch, blocks=3, in_gate_bias=(0.0,) * 3))) != wide_key(BASE)
    assert wide_key(replace(BASE, task=make_task("exp4", T=30))) != wide_key(BASE)   # another length


def test_each_rows_trials_are_those_of_the_row_trained_alone(wide):
    for row, packed in zip(WIDE[1:3], wide[1:3]):        # the base row alone: as in tests/test_throughput.py
        assert _numbers(packed) == _numbers(train_row(row, seed=0)), row.label
    assert len({t["final_error"] for p in wide[:3] for t in p}) == 6          # six distinct trials


def test_a_trial_that_blows_up_stops_alone(wide):
    assert [t["reason"] for t in wide[3]] == ["diverged"] * 2 and all(t["presented"] <= 2 for t in wide[3])
    assert not any(t["reason"] == "diverged" for p in wide[:3] for t in p)
    assert max(t["presented"] for t in wide[1]) > 600                        # the others went on


def test_a_killed_wide_program_resumes_to_the_uninterrupted_numbers(wide, tmp_path):
    ckpt, calls = tmp_path / "wide.ckpt.npz", []

    def killed_after_two_chunks(done, budget):
        calls.append(done)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_rows(list(WIDE), seed=0, progress=killed_after_two_chunks, checkpoint=ckpt, checkpoint_s=0.0)
    assert ckpt.exists()
    seen = []
    resumed = train_rows(list(WIDE), seed=0, checkpoint=ckpt, progress=lambda d, b: seen.append(d))
    assert seen[0] > calls[0] and not ckpt.exists()
    assert repr([_numbers(p) for p in resumed]) == repr([_numbers(p) for p in wide])      # NaN reprs alike


def test_lanes_engine_rows_share_one_program_and_keep_their_numbers():
    """The lanes engine (trials as SIMD lanes, the paper's forward rule) takes each trial's rate as data too:
    rows declaring it, differing in rate, start and cap, come out bit for bit as each trained alone."""
    rows = [replace(row, engine="lanes") for row in WIDE[:2]]
    assert all(packable(r) for r in rows) and len({wide_key(r) for r in rows}) == 1
    assert wide_key(rows[0]) != wide_key(BASE)                       # never packed with the scan engine's
    packed = train_rows(rows, seed=0)
    for row, numbers in zip(rows, packed):
        assert _numbers(numbers) == _numbers(train_row(row, seed=0)), row.label
    assert len({t["final_error"] for p in packed for t in p}) == 4


def test_a_wide_sweep_packs_the_rows_into_batches_of_at_most_WIDEST_trials():
    """(the sweep trains a batch as tests/test_throughput.py's packed sweep does: one job file per row)"""
    assert [len(b) for b in batches(list(WIDE[:1] + WIDE[2:]), "wide")] == [3]
    many = [replace(BASE, label=f"wide {i}", learning_rate=0.1 + i / 1000) for i in range(WIDEST // 2 + 5)]
    assert sorted(len(b) for b in batches(many, "wide")) == [5, WIDEST // 2]
    assert sorted(len(b) for b in batches(list(WIDE), True)) == [1, 1, 2]           # rates only: three


def test_a_wide_batch_holds_no_row_that_may_run_over_a_third_longer_than_its_shortest():
    """A program runs at its full width until its last trial stops, so a row capped at 1,000 sequences does not
    share one with rows capped at 600 (lanes idle for 40 % of the run); a row at 800 (a third more) does."""
    shares = replace(BASE, label="wide cap 800", cap=800)
    assert sorted([r.label for r in b] for b in batches([WIDE[1], BASE, shares, WIDE[2]], "wide")) == sorted([
        [BASE.label, shares.label, WIDE[2].label], [WIDE[1].label]])
    assert LONGEST_PADDED == 4 / 3


def test_forget_gate_rows_differing_in_their_forget_bias_share_one_program_and_keep_their_numbers():
    """The forget-gate bias is read by ``init_params`` alone (``GatedLSTM.INIT_ONLY``): the comparison's +5
    variant trains beside its cell's four rates, each trial as its row alone would."""
    from experiments.compare import ROWS
    from lstm97.modern import forget_gate_lstm
    cell = replace(BASE, label="wide forget +1", arch=forget_gate_lstm(BASE.arch), engine="auto", cap=200)
    rows = [cell, replace(cell, label="wide forget +5", learning_rate=1.0, arch=replace(cell.arch, forget_bias=5.0))]
    assert len({wide_key(r) for r in rows}) == 1
    assert wide_key(replace(cell, arch=replace(cell.arch, peepholes=True))) != wide_key(cell)
    packed = train_rows(rows, seed=0)
    for row, numbers in zip(rows, packed):
        assert _numbers(numbers) == _numbers(train_row(row, seed=0)), row.label
    variant = next(r for r in ROWS if r.label == "exp5 T=100 n_seq=140 | forget_lstm [forget bias 5] | lr x1")
    rates = [r for r in ROWS if r.label.startswith("exp5 T=100 n_seq=140 | forget_lstm | lr x")]
    assert len(rates) == 4 and {wide_key(r) for r in rates} == {wide_key(variant)}
