"""The fast paths are the real trainer: the benchmark computes what the trainer computes, the trial axis
split over devices gives the same numbers, and the bench command reports what the issue asks for."""
import json
import os
import subprocess
import sys
from dataclasses import replace

import jax
import numpy as np
import pytest

from lstm97 import bench
from lstm97.__main__ import main
from lstm97.sweep import job_path, run_sweep
from lstm97.train import make_train, train_row, train_rows, trial_keys
from tests.test_train import TINY, _numbers
from tests.test_wide import BASE

# a learning-rate sweep of one row (the comparison's × 0.3, 1, 3): rows that differ only in their rate
# (with a final test of 256 sequences, whose stream starts from each trial's key when its row ends)
RATES = tuple(TINY.scaled(label=f"tiny lr {lr}", learning_rate=lr, cap=1500, chunk=250, test_sequences=256)
              for lr in (0.15, 0.5, 1.5))


def test_bench_computes_what_the_trainer_computes():
    setting = bench.Setting("exp4", (("T", "20"),), trials=4, chunk=5, engine="lanes")
    result, state = bench.run_one(setting, chunks=2)
    row = bench.bench_row(setting)
    train = make_train(row)
    ref = jax.jit(jax.vmap(train.init))(trial_keys(row, 0, 4), jax.numpy.arange(4))
    for _ in range(3):                                  # the warm-up chunk and the two timed ones
        ref = jax.jit(train.chunk)(ref)
    for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(ref.params)):
        np.testing.assert_array_equal(a, b)
    assert result["sequences_per_trial"] == 15
    assert result["weights_crc32"] == bench.run_one(setting, chunks=2)[0]["weights_crc32"]
    assert {"trial_steps_per_s", "sequences_per_s", "compile_s", "trials", "processes", "device"} <= set(result)


@pytest.mark.parametrize("engine", ["scan", "lanes"])
def test_trials_sharded_over_devices_give_the_same_numbers(engine):
    """conftest makes two CPU devices; three trials are padded to four and split two and two."""
    assert jax.device_count() == 2
    row = TINY.scaled(engine=engine, cap=600, chunk=100)
    sharded = train_row(row, seed=0, shard=True)
    single = train_row(row, seed=0, shard=False)
    assert len(sharded) == 3
    assert _numbers(sharded) == _numbers(single)


def test_rates_packed_in_one_batch_give_each_rows_own_numbers():
    """train_rows puts the rows' trials side by side with the rate in each trial's state; every trial must
    come out as train_row (optax.sgd with the row's rate as a constant) makes it, bit for bit."""
    packed = train_rows(list(RATES), seed=0)
    singles = [train_row(row, seed=0) for row in RATES]
    assert [len(p) for p in packed] == [3, 3, 3]
    assert [_numbers(p) for p in packed] == [_numbers(s) for s in singles]
    assert len({t["final_error"] for p in packed for t in p}) == 9        # nine distinct trials
    assert len({t["test_mean_error"] for p in packed for t in p}) == 9
    ends = [max(t["presented"] for t in p) for p in packed]
    assert len(set(ends)) > 1           # the rows end at different chunks: their test keys are taken apart
    with pytest.raises(ValueError, match="differ only in their learning rate, initial"):
        train_rows([RATES[0], RATES[1].scaled(chunk=125)])       # chunks decide when criteria look


def test_a_packed_batch_resumes_from_its_checkpoint_to_the_same_numbers(tmp_path):
    reference = train_rows(list(RATES), seed=0, trials=2)
    ckpt = tmp_path / "pack.ckpt.npz"
    calls = []

    def stop_after_two_chunks(done, budget):
        calls.append(done)
        if len(calls) == 3:
            raise KeyboardInterrupt          # killed mid-row, after the second chunk's checkpoint

    with pytest.raises(KeyboardInterrupt):
        train_rows(list(RATES), seed=0, trials=2, progress=stop_after_two_chunks, checkpoint=ckpt,
                   checkpoint_s=0.0)
    assert ckpt.exists()
    seen = []
    resumed = train_rows(list(RATES), seed=0, trials=2, checkpoint=ckpt, progress=lambda d, b: seen.append(d))
    assert seen[0] > calls[0]                 # it went on from the checkpoint, not from the start
    assert [_numbers(p) for p in resumed] == [_numbers(r) for r in reference]
    assert not ckpt.exists()


def test_a_packed_sweep_writes_one_job_file_per_row(tmp_path):
    records = run_sweep(RATES, tmp_path, show=False, pack=True, trials=2)
    for row, record in zip(RATES, records):
        saved = json.loads(job_path(tmp_path, row, 0).read_text())
        assert saved["pack_size"] == 3 and saved["label"] == row.label
        assert saved["pack"] == job_path(tmp_path, RATES[0], 0).stem               # the batch it trained in
        assert _numbers(saved["trials"]) == _numbers(train_row(row, seed=0, trials=2))
    stamps = [job_path(tmp_path, row, 0).stat().st_mtime_ns for row in RATES]
    assert run_sweep(RATES, tmp_path, show=False, pack=True, trials=2) == records     # all loaded
    assert [job_path(tmp_path, row, 0).stat().st_mtime_ns for row in RATES] == stamps     # none rerun
    assert not list(tmp_path.rglob("*.lock")) and not list(tmp_path.rglob("*.npz"))


def test_a_batch_with_a_job_held_elsewhere_trains_the_rest_as_a_smaller_pack(tmp_path):
    from lstm97.sweep import work
    from lstm97.store import Lock, sibling
    held = Lock(sibling(job_path(tmp_path, RATES[1], 0), ".lock"))
    assert held.acquire()                              # a live process (this one) holds the second job
    try:
        assert work(list(RATES), tmp_path, seed=0, trials=2, show=False, pack=True) == 2
        assert not job_path(tmp_path, RATES[1], 0).exists() and held.path.exists()
    finally:
        held.release()
    for row in (RATES[0], RATES[2]):
        saved = json.loads(job_path(tmp_path, row, 0).read_text())
        assert saved["pack_size"] == 2
        assert _numbers(saved["trials"]) == _numbers(train_row(row, seed=0, trials=2))


def test_bench_cli_json_and_bad_input(capsys):
    ok = subprocess.run([sys.executable, "-m", "lstm97", "bench", "exp4", "T=20", "--trials", "3", "--seconds",
                         "0.2", "--chunk", "5", "--json"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    result = json.loads(ok.stdout)
    assert result["trials"] == 3 and result["processes"] == 1 and result["trial_steps_per_s"] > 0
    for args, text in [(("exp9",), "unknown task"), (("exp4", "T=15"), "multiple of 10"),
                       (("exp4", "--trials", "0"), "positive integer"), (("exp4", "--seconds", "nan"), "positive"),
                       (("exp2c", "p=100", "q=100", "--engine", "lanes"), "lanes engine")]:
        code = main(["bench", *args])                  # the same parser in this process (bad input trains nothing)
        err = capsys.readouterr().err
        assert code == 2 and text in err and len(err.strip().splitlines()) == 1, err


def test_the_bench_grid_times_one_wide_program_on_each_engine_and_the_jobs_one_at_a_time():
    """make bench's readings grid (``bench.run_grid``): the rows side by side on the scan engine, then on the
    lanes engine, then one job at a time; each line counts the trial-steps it trained (no speed is asserted)."""
    rows = [BASE, replace(BASE, label="wide rate", learning_rate=1.0)]
    wide, on_lanes, alone = bench.run_grid(rows, seconds=0.2, chunk=20)
    assert (wide["engine"], on_lanes["engine"], alone["engine"]) == ("scan", "lanes", "scan")
    assert wide["trials"] == on_lanes["trials"] == 4 and alone["trials"] == 2
    assert all(r["trial_steps_per_s"] > 0 and "readings" in r["how"] for r in (wide, on_lanes, alone))


def test_the_bench_times_a_comparison_program_against_the_batches_its_rows_trained_in_before():
    """make bench's comparison line: the widest program ``run compare`` trains on exp 4 T=100 (the 1997 net's
    four rates and its no-input-gate-bias ablation, 50 trials) against its earlier batches (the rates' 40-trial
    pack, then the ablation's 10 trials alone); each line counts the trial-steps it trained."""
    from lstm97.__main__ import comparison_program
    members, before = comparison_program("exp4 T=100")
    assert [r.label for r in members] == [f"exp4 T=100 | lstm1997 | lr x{f}" for f in ("0.1", "0.3", "1", "3")] + [
        "exp4 T=100 | lstm1997 [no input-gate bias] | lr x1"]
    assert before == [[0, 1, 2, 3], [4]]
    rows = [BASE, replace(BASE, label="wide rate", learning_rate=1.0), replace(BASE, label="third", learning_rate=0.3)]
    wide, on_lanes, batches = bench.run_grid(rows, seconds=0.3, chunk=20, before=[[0, 1], [2]], what="jobs")
    assert wide["trials"] == on_lanes["trials"] == 6 and batches["trials"] == 4
    assert batches["how"] == "the same 3 jobs in their 2 batches of 4 and 2 trials, one at a time"
    assert all(r["trial_steps_per_s"] > 0 for r in (wide, on_lanes, batches))
