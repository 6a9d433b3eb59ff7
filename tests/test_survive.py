"""Sweeps that survive: killed runs resume to the same numbers, corrupt result files are redone, two runs
share a folder, a diverging trial leaves the others alone, and a full disk is one line."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstm97.criteria import Recent
from lstm97.sweep import job_path, run_sweep
from lstm97.train import make_train, trial_keys, trial_rows
from tests.test_train import TINY

ROOT = Path(__file__).resolve().parent.parent
# three small jobs that run to their caps (fewer than 0 wrong: no success), checkpointing after every chunk
LONG = tuple(TINY.scaled(label=f"tiny {i}", cap=cap, criterion=Recent(window=10, fewer_wrong_than=0), chunk=250)
             for i, cap in enumerate((6000, 4000, 2000)))
SCRIPT = ("import sys; from pathlib import Path; from lstm97.sweep import run_sweep; "
          "from tests.test_survive import LONG; run_sweep(LONG, Path(sys.argv[1]), show=False, poll_s=0.5)")


def _numbers(out: Path) -> list[dict]:
    """Every job's per-trial rows without the timing column, in row order."""
    rows = []
    for row in LONG:
        record = json.loads(job_path(out, row, 0).read_text())
        rows += [{k: v for k, v in t.items() if k != "wall_s"} for t in record["trials"]]
    return rows


def _start(out: Path) -> subprocess.Popen:
    """The sweep in its own process, stderr to a file beside the results (``proc.log``)."""
    env = dict(os.environ, LSTM97_CHECKPOINT_S="0", PYTHONPATH=str(ROOT))
    log = out.parent / f"{out.name}.{time.monotonic_ns()}.stderr"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    proc.log = log
    return proc


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("uninterrupted")
    run_sweep(LONG, out, show=False)
    return _numbers(out)


def _checkpoints(out: Path) -> dict:
    """Every checkpoint file under ``out`` with its (inode, mtime): a rewrite (atomic replace) changes both."""
    found = {}
    for path in out.rglob("*.ckpt.npz"):
        try:
            st = path.stat()
        except FileNotFoundError:                                            # removed as we looked
            continue
        found[path] = (st.st_ino, st.st_mtime_ns)
    return found


def _wait_for_new_checkpoint(out: Path, before: dict, proc: subprocess.Popen, limit_s: float = 120.0) -> bool:
    """Poll (bounded) until the process has written a checkpoint that was not there in ``before``."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and proc.poll() is None:
        now = _checkpoints(out)
        if any(before.get(path) != stamp for path, stamp in now.items()):
            return True
        time.sleep(0.02)
    return False


def test_sigkill_at_random_points_then_resume_gives_the_same_numbers(tmp_path, reference):
    rng = np.random.default_rng(0)
    for extra in rng.uniform(0.0, 0.05, size=3):       # short: the run must not finish before it is killed
        before = _checkpoints(tmp_path)
        proc = _start(tmp_path)
        wrote = _wait_for_new_checkpoint(tmp_path, before, proc)           # killed only after it saved state
        time.sleep(extra)                                                  # at a random point after that
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert wrote, proc.log.read_text()
    assert any(tmp_path.rglob("*.ckpt.npz")), "no checkpoint left: the last run would not resume"
    proc = _start(tmp_path)
    assert proc.wait(timeout=300) == 0, proc.log.read_text()
    assert _numbers(tmp_path) == reference
    assert not list(tmp_path.rglob("*.ckpt.npz"))                              # finished jobs drop them
    for row in LONG:                              # a job's time counts the runs before its resume too
        record = json.loads(job_path(tmp_path, row, 0).read_text())
        assert record["wall_s"] >= max(t["wall_s"] for t in record["trials"])


def test_corrupt_truncated_or_foreign_result_files_are_reported_and_redone(tmp_path, reference, capsys):
    run_sweep(LONG, tmp_path, show=False)
    paths = [job_path(tmp_path, row, 0) for row in LONG]
    text = paths[0].read_text()
    paths[0].write_text(text[: len(text) // 2])                                 # cut short mid-write
    record = json.loads(paths[1].read_text())
    record["trials"][0]["sequences"] += 1                                       # edited: checksum fails
    paths[1].write_text(json.dumps(record))
    record = json.loads(paths[2].read_text())
    record["schema"] = 99                                                       # another version
    paths[2].write_text(json.dumps(record))
    (paths[0].parent / f".{paths[0].name}.12345.tmp").write_text("{\"half")    # a write that never finished
    capsys.readouterr()
    run_sweep(LONG, tmp_path, show=False)
    err = capsys.readouterr().err
    assert "unreadable or corrupt" in err and "fails its checksum" in err and "schema 99" in err
    assert _numbers(tmp_path) == reference


def test_two_runs_into_one_folder_end_with_complete_correct_results(tmp_path, reference):
    first, second = _start(tmp_path), _start(tmp_path)
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0, first.log.read_text()
    assert _numbers(tmp_path) == reference


def test_a_planted_nan_ends_one_trial_as_diverged_and_leaves_the_others_alone():
    row = TINY.scaled(cap=1500)
    train = make_train(row)
    chunk = jax.jit(train.chunk)

    def run(plant: bool):
        state = jax.jit(jax.vmap(train.init))(trial_keys(row, 0, 3), jnp.arange(3))
        if plant:
            params = dict(state.params)
            params["w_out_c"] = params["w_out_c"].at[1, 0, 0].set(jnp.nan)
            state = state._replace(params=params)
        while not np.asarray(state.done).all():
            state = chunk(state)
        return trial_rows(row, 0, jax.tree.map(np.asarray, state), np.zeros(3))

    clean, planted = run(False), run(True)
    assert planted[1]["reason"] == "diverged" and not planted[1]["success"]
    assert planted[1]["presented"] == 1                                         # stopped at its first sequence
    for i in (0, 2):
        assert planted[i] == clean[i]


def test_a_full_disk_is_one_line_and_leaves_no_result(tmp_path, monkeypatch, capsys):
    from lstm97 import __main__ as cli
    from lstm97 import files

    def full(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_atomic", full)          # every result file is written through it
    code = cli.main(["run", "exp2", "--quick", "--only", "2a RTRL p=4 lr=1", "--out", str(tmp_path),
                     "--workers", "1"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("lstm97:")]
    assert code != 0 and len(err) == 1 and "No space left on device" in err[0]     # progress bars aside
    assert not list(tmp_path.rglob("*.json"))


def test_impossible_row_values_are_one_line_errors():
    for changes, text in (({"learning_rate": float("nan")}, "learning rate"), ({"trials": 0}, "positive"),
                          ({"cap": -5}, "positive")):
        with pytest.raises(ValueError, match=text) as info:
            TINY.scaled(**changes)
        assert "\n" not in str(info.value)


@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")                # Ray forks its local instance
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_ray_backend_gives_the_same_numbers(tmp_path, reference):
    """Where Ray is installed (pip install 'lstm97[ray]'): every job a Ray task on a local instance."""
    pytest.importorskip("ray")
    run_sweep(LONG, tmp_path, show=False, backend="ray")
    assert _numbers(tmp_path) == reference
    assert not list(tmp_path.rglob("*.lock"))
