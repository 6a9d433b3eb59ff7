"""Results that cannot be lost or faked: job files keyed by seed and fingerprint, checksums required, locks
that a dead or unrelated holder does not keep, seeds used whole, and a run that says what it did."""
import json
import os
import subprocess
import time

import jax
import pandas as pd
import pytest

from lstm97 import store
from lstm97.__main__ import main
from experiments import rows_of
from lstm97.experiment import Experiment
from lstm97.runs import write_report
from lstm97.seeds import SeedError, check_seed, root_key
from lstm97.sweep import Plan, job_path, load_job, run_sweep
from lstm97.train import trial_keys
from tests.test_train import TINY

ROW = TINY.scaled(label="tiny kept", trials=2, cap=1000)
ROWS = (ROW,)


def _numbers(trials: list[dict]) -> list[dict]:
    return [{k: v for k, v in t.items() if k not in ("wall_s", "seed")} for t in trials]


def _report(out, seed):
    write_report(Experiment("test", "test", ROWS), out, ROWS, seed=seed, trials=None, command="test", wall_s=None, quick=False)


def test_seed_0_and_seed_1_of_one_quick_row_into_one_folder_keep_both(tmp_path, capsys):
    args = ["run", "exp2", "--quick", "--only", "2a RTRL p=4 lr=1", "--trials", "1", "--workers", "1",
            "--out", str(tmp_path)]
    assert main(args) == 0                                 # the row, its pilots and other readings
    n = len([r for r in rows_of("exp2") if "2a RTRL p=4 lr=1" in r.label])
    assert f"{n} jobs of seed 0 ({n} trained, 0 reused)" in capsys.readouterr().out
    folder = tmp_path / "exp2"
    saved0 = {p: p.read_text() for p in (folder / "jobs").glob("*.json")}
    table0 = (folder / "trials.csv").read_text()
    assert main(args + ["--seed", "1"]) == 0
    assert f"{n} jobs of seed 1 ({n} trained, 0 reused)" in capsys.readouterr().out
    jobs = sorted(p.name for p in (folder / "jobs").glob("*.json"))
    assert sum(".seed0." in p for p in jobs) == n and sum(".seed1." in p for p in jobs) == n   # beside, not over
    assert {p: p.read_text() for p in saved0} == saved0 and (folder / "trials.csv").read_text() == table0
    one = pd.read_csv(folder / "seed1" / "trials.csv")                         # seed 1's tables, apart
    zero = pd.read_csv(folder / "trials.csv")
    assert set(one["seed"]) == {1} and set(zero["seed"]) == {0}
    columns = ["sequences", "presented", "final_error"]
    assert not one[columns].equals(zero[columns])                              # other numbers, not a relabel
    assert "seed 1" in (folder / "seed1" / "summary.md").read_text()
    assert main(args) == 0
    assert f"(0 trained, {n} reused)" in capsys.readouterr().out                # seed 0's jobs are still whole


def test_a_job_file_without_its_checksum_is_recomputed_and_the_table_is_unchanged(tmp_path, capsys):
    run_sweep(ROWS, tmp_path, show=False)
    _report(tmp_path, 0)
    summary = (tmp_path / "test" / "summary.csv").read_text()
    path = job_path(tmp_path, ROW, 0)
    honest = json.loads(path.read_text())
    forged = dict(honest, trials=[dict(t) for t in honest["trials"]])
    del forged["checksum"]
    forged["trials"][0].update(success=not forged["trials"][0]["success"], sequences=7)
    path.write_text(json.dumps(forged))
    capsys.readouterr()
    run_sweep(ROWS, tmp_path, show=False)
    assert "has no checksum; recomputing it" in capsys.readouterr().err
    _report(tmp_path, 0)
    assert (tmp_path / "test" / "summary.csv").read_text() == summary
    assert _numbers(json.loads(path.read_text())["trials"]) == _numbers(honest["trials"])


def _plant_lock(path, **fields):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), "host": store._host(), "start": store._started(os.getpid()),
                                "beat": time.time(), **fields}))


def test_a_lock_held_by_a_live_unrelated_process_is_taken_over_at_once(tmp_path, capsys):
    sleeper = subprocess.Popen(["sleep", "120"])
    try:
        lock = store.sibling(job_path(tmp_path, ROW, 0), ".lock")
        # the pid is alive, but it is not the process that took the lock (pids are reused in containers)
        _plant_lock(lock, pid=sleeper.pid, start="1")
        assert store.holder(lock) is not None
        began = time.monotonic()
        (record,) = run_sweep(ROWS, tmp_path, show=False, poll_s=0.1)
        assert time.monotonic() - began < 120
        err = capsys.readouterr().err
        assert f"taking over {lock}" in err and "another process" in err
        assert len(record["trials"]) == 2 and not lock.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_lock_whose_holder_went_silent_or_an_old_style_lock_is_taken_over(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LSTM97_LOCK_STALE_S", "5")
    lock = store.sibling(job_path(tmp_path, ROW, 0), ".lock")
    _plant_lock(lock, beat=time.time() - 60)                 # this very process, but no heartbeat for a minute
    assert "has not beaten for" in store.holder(lock)
    lock.write_text(str(os.getpid()))                        # an old-style lock: a bare pid, long untouched
    os.utime(lock, (time.time() - 60, time.time() - 60))
    assert "unreadable" in store.holder(lock)
    run_sweep(ROWS, tmp_path, show=False, poll_s=0.1)
    assert f"taking over {lock}" in capsys.readouterr().err
    assert load_job(tmp_path, ROW, 0, 2) is not None


def test_a_held_lock_beats_and_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM97_LOCK_BEAT_S", "0.05")
    lock = store.Lock(tmp_path / "job.lock")
    assert lock.acquire()
    try:
        first = json.loads(lock.path.read_text())["beat"]
        time.sleep(0.5)
        assert json.loads(lock.path.read_text())["beat"] > first
        assert store.holder(lock.path) is None and not store.Lock(lock.path).acquire()
    finally:
        lock.release()
    assert not lock.path.exists()


def test_seeds_are_used_whole_and_below_2_to_the_32_keep_their_keys():
    for seed in (0, 1, 12345, 2 ** 32 - 1):
        assert (root_key(seed) == jax.random.PRNGKey(seed)).all()
    assert not (trial_keys(ROW, 2 ** 32, 2) == trial_keys(ROW, 0, 2)).all()
    assert not (trial_keys(ROW, 2 ** 63 - 1, 2) == trial_keys(ROW, 2 ** 31 - 1, 2)).all()
    for bad in (-1, 2 ** 63, 1.5, True, "3"):
        with pytest.raises(SeedError):
            check_seed(bad)


def test_progress_names_the_job_k_of_n_and_a_run_estimate():
    rows = [ROW.scaled(label=f"r{i}") for i in range(5)]
    plan = Plan([[rows[0]], rows[1:4], [rows[4]]], pending_steps=1000, workers=1)
    assert plan.name([rows[0]]) == "job 1 of 5: r0"
    assert plan.name(rows[1:4]) == "jobs 2-4 of 5: r1 (+2 rows)"
    assert plan.eta(0) == "run: measuring"
    plan.start -= 10                                         # 10 s in, 100 of 1,000 steps done: 90 s left
    assert plan.eta(100) == "run ≤ 1m30s left"
