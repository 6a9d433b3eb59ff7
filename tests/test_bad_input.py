"""Bad input anywhere on the command line: one line on stderr, exit status 2, no traceback, nothing written.

Cases that once crashed the process (an OverflowError, an abort inside XLA, an empty folder left behind) run
``python -m lstm97`` in a subprocess; the others call ``main`` in this process (same parser, much faster).
"""
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import experiments
from lstm97.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
TOO_BIG_SEED = str(2 ** 63)
HEADER = "experiment,row,cell,seed,trial,success,sequences,presented,learned_at,grown_at,reason,final_error,wall_s"
GOOD_LINE = "exp2,2c q=50 p=50,lstm1997,0,0,True,1200,1200,-1,-1,success,0.01,3.5"
CERG_HEADER = ("row,cell,seed,net,solved,streams_to_solution,streams,symbols_trained,test_mean_length,outcome,"
               "ticks,final_learning_rate,wall_s")
CERG_LINE = "standard LSTM,lstm1997,0,0,True,10,10,2000,1000.0,perfect,3000,0.5,1.0"


def trials(*lines: str) -> dict[str, bytes]:
    """An exp2 results folder (under res/) whose trials.csv holds ``lines``."""
    return {"res/exp2/run.json": b'{"seed": 0, "quick": false}\n',
            "res/exp2/trials.csv": "\n".join(lines).encode() + b"\n"}


def cerg_trials(*lines: str) -> dict[str, bytes]:
    return {"res/cerg/meta.json": b"{}\n", "res/cerg/trials.csv": "\n".join(lines).encode() + b"\n"}


# (arguments, files there beforehand, text the line must contain, run as a subprocess)
CASES = {
    # seeds: any integer in [0, 2^63)
    "seed -1": (["sample", "exp2c", "--seed", "-1"], {}, "seed", False),
    "seed 2^63": (["sample", "exp2c", "--seed", TOO_BIG_SEED], {}, "2^63", True),
    "seed 1e20": (["sample", "exp2c", "--seed", "99999999999999999999"], {}, "2^63", True),
    "seed 1.5": (["sample", "exp2c", "--seed", "1.5"], {}, "seed", False),
    "seed abc": (["sample", "exp2c", "--seed", "abc"], {}, "seed", False),
    "run seed 1e20": (["run", "exp2", "--quick", "--seed", "99999999999999999999", "--out", "out"], {}, "seed", True),
    "run seed -1": (["run", "exp2", "--seed", "-1", "--out", "out"], {}, "seed", False),
    "cerg seed 2^63": (["run", "cerg", "--seed", TOO_BIG_SEED], {}, "seed", False),
    "exp1 sets seed 2^63": (["sample", "exp1", f"seed={TOO_BIG_SEED}"], {}, "2^63", False),
    # task options: upper bounds and numbers
    "exp4 T=1e9": (["sample", "exp4", "T=1000000000"], {}, "at most 100,000", True),
    "exp4 T=abc": (["sample", "exp4", "T=abc"], {}, "integer", True),
    "exp3a T=1e6": (["sample", "exp3a", "T=1000000"], {}, "at most", False),
    "exp2a p=1001": (["sample", "exp2a", "p=1001"], {}, "at most 1,000", False),
    "exp2c q=1e5": (["sample", "exp2c", "q=100000"], {}, "at most 10,000", False),
    "exp2c p=1e5": (["sample", "exp2c", "p=100000"], {}, "at most 10,000", False),
    "exp2c k_max=1e5": (["sample", "exp2c", "k_max=100000"], {}, "at most", False),
    "exp2c p=1.5": (["sample", "exp2c", "p=1.5"], {}, "integer", False),
    "exp1 max_len=1e5": (["sample", "exp1", "max_len=100000"], {}, "max_len", False),
    "describe T=1e9": (["describe", "exp4", "T=1000000000"], {}, "at most", False),
    "bench T=1e9": (["bench", "exp4", "T=1000000000"], {}, "at most", False),
    "sample cerg": (["sample", "cerg"], {}, "run cerg", False),
    "diagnose states no row": (["diagnose", "states", "exp3 3b T=99"], {}, "no paper row", False),
    "diagnose states 2a": (["diagnose", "states", "exp2 2a LSTM p=100"], {}, "not a 1997 LSTM with output", False),
    "diagnose states trials 11": (["diagnose", "states", "exp4 T=100", "11"], {}, "trials must be 1", False),
    "diagnose states trials 0": (["diagnose", "states", "exp4 T=100", "0"], {}, "trials must be 1", False),
    "diagnose states seed abc": (["diagnose", "states", "exp4 T=100", "1", "10", "abc"], {}, "int", False),
    "diagnose states seed 2^63": (["diagnose", "states", "exp4 T=100", "1", "10", TOO_BIG_SEED], {}, "2^63", False),
    "diagnose states unknown reading": (["diagnose", "states", "exp4 T=100", "--reading", "cap=7x"], {}, "cap", False),
    "diagnose states reading off grid": (["diagnose", "states", "exp6 6b", "--reading",
                                          "recurrent_init=zero,cap=10x"], {}, "not in the grid", False),
    "diagnose gates --reading": (["diagnose", "gates", "x", "--reading", "cap=10x"], {}, "states only", False),
    # the command line's own numbers
    "--n 1e11": (["sample", "exp4", "--n", "100000000000"], {}, "at most 1,000,000", True),
    "--n abc": (["sample", "exp4", "--n", "abc"], {}, "--n", False),
    "run --trials 0": (["run", "exp2", "--trials", "0", "--out", "out"], {}, "positive integer", False),
    "run --trials 1e9": (["run", "exp2", "--trials", "1000000000", "--out", "out"], {}, "at most 4,096", False),
    "run --trials abc": (["run", "exp2", "--trials", "abc", "--out", "out"], {}, "--trials", False),
    "run --workers 1000": (["run", "exp2", "--workers", "1000", "--out", "out"], {}, "at most 64", False),
    "cerg --streams 2^31": (["run", "cerg", "--streams", str(2 ** 31), "--out", "out"], {}, "at most", False),
    "bench --trials 1e5": (["bench", "exp4", "--trials", "100000"], {}, "at most 4,096", False),
    "bench --seconds 1e9": (["bench", "exp4", "--seconds", "1e9"], {}, "at most", False),
    "bench --processes 1000": (["bench", "exp4", "--processes", "1000"], {}, "at most 64", False),
    "bench --chunk 1e9": (["bench", "exp4", "--chunk", "1000000000"], {}, "at most", False),
    # run checks everything before it makes a folder
    "--backend ray": (["run", "exp2", "--backend", "ray", "--out", "out"], {}, "Ray", True),
    "--backend ray, default folder": (["run", "exp2", "--quick", "--backend", "ray"], {}, "Ray", False),
    "run unknown": (["run", "exp42", "--out", "out"], {}, "cerg", False),
    "run --streams not cerg": (["run", "exp2", "--streams", "5", "--out", "out"], {}, "cerg only", False),
    "cerg --trials 0": (["run", "cerg", "--trials", "0", "--out", "out"], {}, "positive integer", False),
    "cerg --only": (["run", "cerg", "--only", "nothing-like-this", "--out", "out"], {}, "no row", False),
    # report: a broken trials.csv is named, and nothing is written
    "report unknown": (["report", "exp42", "--out", "res"], {}, "known", False),
    "report empty": (["report", "exp2", "--out", "res"], trials(""), "trials.csv: is empty", True),
    "report not UTF-8": (["report", "exp2", "--out", "res"],
                         {**trials(HEADER), "res/exp2/trials.csv": HEADER.encode() + b"\n\xff\xfe\x00abc\n"},
                         "trials.csv: is not UTF-8", True),
    "report lacks a column": (["report", "exp2", "--out", "res"],
                              trials(HEADER.replace(",sequences", ""), GOOD_LINE.replace(",1200,1200", ",1200")),
                              "lacks the column sequences", True),
    "report abc in sequences": (["report", "exp2", "--out", "res"],
                                trials(HEADER, GOOD_LINE, GOOD_LINE.replace(",1200,1200", ",abc,1200")),
                                "line 3, column sequences has 'abc'", True),
    "report not CSV": (["report", "exp2", "--out", "res"], trials(HEADER, GOOD_LINE, GOOD_LINE + ",1"), "not a CSV",
                       False),
    "report fields past the header": (["report", "exp2", "--out", "res"], trials(HEADER, GOOD_LINE + ",1,2"),
                                      "more fields", False),
    "report maybe in success": (["report", "exp2", "--out", "res"],
                                trials(HEADER, GOOD_LINE.replace("True", "maybe")), "column success", False),
    "report empty seed": (["report", "exp2", "--out", "res"],
                          trials(HEADER, GOOD_LINE.replace("lstm1997,0,0", "lstm1997,,0")), "column seed", False),
    "report broken run.json": (["report", "exp2", "--out", "res"],
                               {**trials(HEADER, GOOD_LINE), "res/exp2/run.json": b"{not json"}, "run.json", False),
    "report cerg empty": (["report", "cerg", "--out", "res"], cerg_trials(""), "trials.csv: is empty", False),
    "report cerg lacks solved": (["report", "cerg", "--out", "res"],
                                 cerg_trials(CERG_HEADER.replace(",solved", ""), CERG_LINE.replace(",True", "")),
                                 "lacks the column solved", False),
    "report cerg abc in ticks": (["report", "cerg", "--out", "res"],
                                 cerg_trials(CERG_HEADER, CERG_LINE.replace(",3000,", ",abc,")), "column ticks", False),
}


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


@pytest.mark.parametrize("args, files, message, in_subprocess", CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_line_exit_2_and_nothing_written(args, files, message, in_subprocess, tmp_path,
                                                           monkeypatch, capsys):
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    before = snapshot(tmp_path)
    if in_subprocess:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.run([sys.executable, "-m", "lstm97", *args], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=120)
        code, err = proc.returncode, proc.stderr
    else:
        monkeypatch.chdir(tmp_path)
        code, err = main(args), capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("lstm97: ") and "Traceback" not in err, err
    assert message in lines[0], lines[0]
    assert snapshot(tmp_path) == before                 # no folder made, no summary written or changed


def test_help_names_every_experiment_task_and_quick():
    from lstm97.tasks import REGISTRY, describe_options
    names = experiments.names()
    assert {"exp1", "exp6", "compare", "cerg"} <= set(names) and all(experiments.get(n).help for n in names)
    assert set(describe_options()) == set(REGISTRY)
    proc = subprocess.run([sys.executable, "-m", "lstm97", "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    for word in [*names, *REGISTRY, "quick", "results/quick", "T=20..100,000", "q=1..10,000", "2^63"]:
        assert word in proc.stdout, word


@pytest.mark.parametrize("command", ["sample", "describe", "run", "bench", "report"])
def test_each_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())          # argparse wraps to the terminal's width
    assert all(name in out for name in ("exp2c", "exp6b", "compare", "cerg", "quick"))
    if command == "run":
        assert "at most 4,096" in out and "one per core" not in out and "default 2" in out


def test_seeds_past_32_bits_are_their_own(capsys):
    """--seed 2^32 is not seed 0 (the key takes the whole seed)."""
    outputs = []
    for seed in ("0", str(2 ** 32), str(2 ** 63 - 1)):
        assert main(["sample", "exp4", "T=20", "--seed", seed]) == 0
        outputs.append(capsys.readouterr().out)
    assert len(set(outputs)) == 3


def test_committed_trials_files_read_as_before():
    """The checked reader accepts every committed trials.csv and gives read_csv's table."""
    from lstm97.trials_file import CERG_COLUMNS, CERG_OPTIONAL, read_trials
    paths = sorted((ROOT / "results").glob("*/trials.csv"))
    for path in paths:
        columns = (CERG_COLUMNS, CERG_OPTIONAL) if path.parent.name == "cerg" else ()
        assert read_trials(path, *columns).equals(pd.read_csv(path)), path
