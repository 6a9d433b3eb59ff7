"""The command line: sample, describe, run --quick and report; bad input gets one line and exit 2."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lstm97.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "lstm97", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("args, message", [
    (["sample", "exp9"], "unknown task"),
    (["sample", "exp2c", "p=0"], "positive"),
    (["sample", "exp2c", "p"], "KEY=VALUE"),
    (["sample", "exp2c", "zz=3"], "no option"),
    (["sample", "exp2c", "--n", "0"], "positive integer"),
    (["sample", "exp5", "T=15"], "multiple of 10"),
    (["describe", "exp2c", "q=77"], "no paper row"),
    (["run", "exp42"], "unknown experiment"),
    (["run", "exp2", "--trials", "-1"], "positive integer"),
    (["run", "exp2", "--only", "nothing-like-this"], "no row"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", "exp2", "--quick", "--out", str(blocker / "sub")]) == 2
    assert "cannot write results" in capsys.readouterr().err


def test_sample_symbols_inputs_targets():
    code, out, err = cli("sample", "exp2c", "p=5", "q=6", "--n", "3", "--seed", "4")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert line["symbols"][0] == "b" and line["symbols"][-2] == "e"
        assert len(line["inputs"]) == line["length"] == len(line["symbols"]) and len(line["inputs"][0]) == 9
        targets = [t for t in line["targets"] if t is not None]
        assert len(targets) == 1 and targets[0] == ([1.0, 0.0] if line["symbols"][1] == "x" else [0.0, 1.0])


def test_describe_gives_the_papers_net(capsys):
    assert main(["describe", "exp2c", "p=100", "q=100"]) == 0
    net = json.loads(capsys.readouterr().out)
    assert (net["weights"], net["blocks"], net["block_size"], net["learning_rate"], net["trials"]) == \
        (664, 2, 1, 0.01, 20)
    assert net["cap"] == 93_000 and net["criterion"]["threshold"] == 0.2 and net["reading"] == "paper"
    assert net["criterion"]["rule"] == "FrozenTest" and net["criterion"]["size"] == 10_000      # D13: a frozen test
    assert main(["describe", "exp2a", "p=4", "--all"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["weights"] for r in rows} == {36}


def test_quick_run_resume_and_report(tmp_path, capsys):
    args = ["run", "exp2", "--quick", "--only", "q=50 p=50", "--out", str(tmp_path), "--workers", "1"]
    assert main(args) == 0
    folder = tmp_path / "exp2"
    for name in ("trials.csv", "summary.csv", "summary.md", "run.json", "table3_vs_q.png"):
        assert (folder / name).exists(), name
    from experiments import rows_of
    from lstm97.experiment import quick
    from lstm97.sweep import job_path
    (row,) = [quick(r) for r in rows_of("exp2", quick=True) if r.label == "2c q=50 p=50" and not r.pilot]
    job = job_path(tmp_path, row, 0)
    before = job.stat().st_mtime_ns
    assert main(args) == 0                               # finished jobs are not trained again
    assert job.stat().st_mtime_ns == before
    job.write_text(job.read_text()[:200])                # a truncated result file is detected and redone
    assert main(args) == 0
    assert "corrupt" in capsys.readouterr().err
    assert json.loads(job.read_text())["label"] == "2c q=50 p=50"
    summary = (folder / "summary.md").read_text()
    assert "2c q=50 p=50" in summary and "not run" in summary and "pending" in summary
    (folder / "summary.md").unlink()
    assert main(["report", "exp2", "--out", str(tmp_path)]) == 0
    assert (folder / "summary.md").read_text() == summary
    trials = (folder / "trials.csv").read_text()
    (folder / "trials.csv").unlink()
    assert main(["report", "exp2", "--out", str(tmp_path)]) == 2          # nothing to report from
    assert main(["report", "exp2", "--out", str(tmp_path), "--collect"]) == 0
    assert (folder / "trials.csv").read_text() == trials


def test_an_internal_error_is_one_line_with_its_traceback_in_a_file(monkeypatch, capsys):
    """A bug inside a command (here a KeyError, as construction.init once raised in `run compare`) is not the
    user's input: one line naming it and the file with the traceback, exit 70, not a traceback on screen."""
    import lstm97.__main__ as entry

    def broken(args):
        return {}["w_out_c"]

    monkeypatch.setattr(entry, "cmd_describe", broken)
    assert main(["describe", "exp2c"]) == entry.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error, KeyError: 'w_out_c'" in err and "Traceback" not in err
    path = Path(err.split("traceback in ")[1].split(")")[0])
    assert "in broken" in path.read_text() and "KeyError" in path.read_text()
    path.unlink()
