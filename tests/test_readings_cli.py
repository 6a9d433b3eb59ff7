"""``python -m lstm97 readings ROW``: bad input is one line and nothing written; a quick search writes one line
per reading, resumes job by job and trains nothing the second time; the table accumulates rows and seeds."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments import registry
from lstm97.__main__ import main

ROOT = Path(__file__).resolve().parent.parent

ROW = "exp3 3a T=100 N=3"          # a cheap quick row; under --quick its grid is paper, st_test_set=fresh and
PAIR = ("paper", "st_test_set=fresh")   # cell_bias_init=zero (cap=10x is cap=3x there); the search trains these two


def snapshot(folder):
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


BAD = {
    "unknown row": (["exp4 T=101"], "did you mean 'T=100'"),
    "unknown experiment": (["exp9 T=100"], "unknown experiment 'exp9'"),
    "no grid": (["compare", "x"], "declares no readings"),
    "no label": (["exp4"], "exp4's rows: T=100"),
    "row not run": (["exp2 2a CH p=100"], "not reproduced"),
    "unknown field": (["exp4 T=100", "--only", "colour=red"], "unknown reading field 'colour'"),
    "value out of its set": (["exp4 T=100", "--only", "marked_first=maybe"], "marked_first must be one of"),
    "malformed reading": (["exp4 T=100", "--only", "kept"], "FIELD=VALUE"),
    "not in the grid": (["exp4 T=100", "--only", "st_test_set=fresh"], "not in the grid of exp4 T=100"),
    "changes nothing here": (["exp2 2c q=50 p=50", "--only", "construction=from_start"], "does not apply to exp2c"),
    "second --only not in the grid": (["exp4 T=100", "--only", "out_init=zero", "--only", "st_check=1/20"],
                                      "'st_check=1/20' is not in the grid"),
    "seed -1": (["exp4 T=100", "--seed", "-1"], "seed"),
    "trials 0": (["exp4 T=100", "--trials", "0"], "positive integer"),
}


@pytest.mark.parametrize("args, message", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("out", [True, False], ids=["--out", "default folder"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(args, message, out, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code = main(["readings", *args, "--quick", *(["--out", str(tmp_path / "out")] if out else [])])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("lstm97: ") and "Traceback" not in err, err
    assert message in lines[0], lines[0]
    assert snapshot(tmp_path) == before


def test_several_only_readings_train_in_the_grids_order():
    """``--only`` repeated: exactly those readings, in the grid's order whatever the order given (so readings of
    one shape share a program), each once."""
    from lstm97 import search
    names = ["recurrent_init=zero", "paper", "cap=10x", "paper"]
    job = search.plan("exp5 T=100 n_seq=13", registry(), only=names)
    assert [r.reading.name for r in job.rows] == ["paper", "cap=10x", "recurrent_init=zero"]
    assert [r.reading.name for r in search.plan("exp5 T=100 n_seq=13", registry(), only="cap=10x").rows] == ["cap=10x"]


def test_a_broken_index_is_one_line_and_untouched(tmp_path, capsys):
    index = tmp_path / "readings" / "runs.json"
    index.parent.mkdir()
    index.write_text("{not json")
    before = snapshot(tmp_path)
    assert main(["readings", "exp4 T=100", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "runs.json: not a readings index" in err
    assert snapshot(tmp_path) == before


# ---- one real quick search: --only first (a run killed after its first job), then the grid, then again --------

@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    from lstm97 import search
    from lstm97.sweep import job_path
    out = tmp_path_factory.mktemp("search")
    job = search.plan(ROW, registry(), quick=True, trials=1)
    first = job_path(out, job.grid[1], 1)
    said, mtimes = [], []

    # a process of its own without conftest's two host devices, which double the compile time of a quick job
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}

    def call(*extra):
        proc = subprocess.run([sys.executable, "-m", "lstm97", "readings", ROW, "--quick", "--trials", "1", "--out",
                               str(out), "--workers", "1", *extra], capture_output=True, text=True, cwd=ROOT,
                              env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        said.append(proc.stdout.strip().splitlines()[-1])
        mtimes.append(first.stat().st_mtime_ns)
    call("--only", job.grid[1].reading.name)
    both = [a for name in PAIR for a in ("--only", name)]          # --only repeated: two of the grid's three
    call(*both)
    call("--only", PAIR[1], "--only", PAIR[0])                       # any order: the same jobs
    return out, job, said, mtimes


def test_quick_search_writes_one_line_per_reading_then_trains_nothing(searched):
    out, job, said, _ = searched
    assert [r.reading.name for r in job.grid] == [*PAIR, "cell_bias_init=zero"]
    summary = pd.read_csv(out / "readings" / "summary.csv")
    assert list(summary["reading"]) == ["paper", "st_test_set=fresh"] and set(summary["seed"]) == {1}
    assert set(summary["row"]) == {"3a T=100 N=3"} and set(summary["readings_tried"]) == {2}
    assert set(summary["grid"]) == {3}
    assert summary["commits"].str.len().gt(0).all() and set(summary["verdict"]) == {"quick run"}
    md = (out / "readings" / "summary.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("| exp3 |")]
    assert len(table) == 2 and all("| 1 |" in line for line in table)
    assert "| paper |" in table[0] and "| st_test_set=fresh |" in table[1]
    assert "readings tried: 2 of 3" in md and "confirmation run on seed 0" in md
    trials = pd.read_csv(out / "readings" / "trials.csv")
    assert {"experiment", "row", "reading", "pilot", "seed"} <= set(trials.columns) and len(trials) == 2
    assert said[2].startswith(f"{ROW}: 2 readings × 1 trial on seed 1 (0 trained, 2 reused); wrote ")
    assert "summary.md" in said[1]


def test_a_killed_search_resumes_job_by_job(searched):
    out, job, said, mtimes = searched
    assert said[0].startswith(f"{ROW}: 1 reading × 1 trial on seed 1 (1 trained, 0 reused)")
    assert "(1 trained, 1 reused)" in said[1]
    assert mtimes[0] == mtimes[1] == mtimes[2]              # the first reading's job file was never rewritten
    assert len(list((out / "exp3" / "jobs").glob("*.json"))) == 2


def test_plan_says_what_a_search_would_train_and_writes_nothing(searched, capsys):
    """``--plan`` after the quick search: its two finished readings are reused, the third is the one program
    left, bounded by trials × the most sequences its rule allows × the task's longest sequence; the results
    folder is untouched."""
    out, job, _, _ = searched
    before = snapshot(out)
    assert main(["readings", ROW, "--quick", "--trials", "1", "--out", str(out), "--plan"]) == 0
    lines = capsys.readouterr().out.splitlines()
    third = job.grid[2]
    bound = third.criterion.most_sequences(third.cap) * third.task.max_len
    assert lines[0] == f"{ROW} on seed 1, 1 trial a reading: 3 readings; 1 program to train, in this order:"
    assert lines[1] == f"  1 trials (cell_bias_init=zero): at most {bound:.2e} trial-steps"
    assert lines[2].startswith("  finished, reused: ") and set(lines[2].split(": ")[1].split(", ")) == set(PAIR)
    assert lines[3].startswith(f"left: at most {bound:.2e} padded trial-steps")
    assert snapshot(out) == before
    assert main(["readings", ROW, "--quick", "--trials", "1", "--out", str(out), "--plan", "--seed", "7"]) == 0
    assert "finished, reused" not in capsys.readouterr().out          # another seed has no finished job


# ---- the table accumulates rows and seeds (a stand-in trainer: the bookkeeping, not the numbers) ------------

def fake_train_row(row, seed, trials, **_):
    return [{"experiment": row.experiment, "row": row.label, "cell": row.cell, "seed": seed, "trial": i,
             "success": i % 2 == 0, "sequences": 100 * (i + 1), "presented": 100 * (i + 1), "learned_at": -1,
             "grown_at": -1, "reason": "success" if i % 2 == 0 else "cap", "final_error": 0.0, "wall_s": 0.0}
            for i in range(trials)]


def test_the_table_keeps_every_row_and_seed(tmp_path, monkeypatch, capsys):
    import lstm97.train
    monkeypatch.setattr(lstm97.train, "train_row", fake_train_row)
    monkeypatch.setattr(lstm97.train, "train_rows",          # a row's readings packed into one program
                        lambda rows, seed, trials, **_: [fake_train_row(r, seed, trials) for r in rows])
    common = ["--trials", "2", "--out", str(tmp_path), "--workers", "1"]
    assert main(["readings", "exp4 T=100", *common]) == 0
    assert main(["readings", "exp4 T=100", "--seed", "2", *common]) == 0
    assert main(["readings", "exp2", "2a", "LSTM", "p=100", *common]) == 0       # ROW in several words too
    assert "(6 trained, 0 reused)" in capsys.readouterr().out.splitlines()[-1]
    summary = pd.read_csv(tmp_path / "readings" / "summary.csv")
    lines = list(zip(summary["row"], summary["seed"], summary["reading"]))
    exp4 = tuple(r.name for r in registry()["exp4"].readings)
    assert exp4[0] == "paper" and {"marked_first=kept", "marked_first=zeroed_either", "cap=10x"} <= set(exp4)
    n = len(exp4)
    assert lines == [*(("T=100", 1, r) for r in exp4), *(("T=100", 2, r) for r in exp4),
                     ("2a LSTM p=100", 1, "paper"), ("2a LSTM p=100", 1, "exp2_success=streak"),
                     ("2a LSTM p=100", 1, "construction=from_start"), ("2a LSTM p=100", 1, "grown_weights=initial"),
                     ("2a LSTM p=100", 1, "updates=step"), ("2a LSTM p=100", 1, "cap=10x")]
    assert list(summary["successes"]) == [1] * (2 * n + 6) and list(summary["trials"]) == [2] * (2 * n + 6)
    assert list(summary["pilot"]) == ([False] + [True] * (n - 1)) * 2 + [False, True, True, True, True, True]
    md = (tmp_path / "readings" / "summary.md").read_text()
    assert md.count(f"readings tried: {n} of {n}") == 2 and "readings tried: 6 of 6" in md
    runs = json.loads((tmp_path / "readings" / "runs.json").read_text())["runs"]
    assert [(r["row"], r["seed"], r["trials"]) for r in runs] == \
        [("exp4 T=100", 1, 2), ("exp4 T=100", 2, 2), ("exp2 2a LSTM p=100", 1, 2)]
