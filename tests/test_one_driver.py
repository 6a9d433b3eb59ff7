"""One driver, one report path: the continual Reber grammar, the comparison and an experiment added as one file
run through ``python -m lstm97 run`` as exps 1-6 do (``run exp4 --quick``: tests/test_quick_marks.py): the
same job files (``<out>/<experiment>/jobs/<row>.seed<S>.<fingerprint>.json``), the same last line, resume (a
second call trains nothing), bad input as one line on stderr with exit status 2, and ``report`` rebuilding the
same tables without training. Budgets are tiny: one row, one trial (net), a few streams."""
import re
import textwrap

import pytest

import experiments
from lstm97.__main__ import main

JOB_FILE = re.compile(r"[A-Za-z0-9=._-]+\.seed0\.[0-9a-f]{8}\.json")

RUNS = {
    "cerg": ["--quick", "--trials", "1", "--only", "forget gates", "--streams", "2", "--test-len", "40",
             "--ticks", "400"],
    "compare": ["--quick", "--trials", "1", "--only", "exp4 T=100 | gru"],
}

TOY = '''
"""A toy experiment, one file: one tiny row of task 2c."""
from lstm97.criteria import Streak
from lstm97.config import Row
from lstm97.experiment import Experiment
from lstm97.nets import lstm_2c
from lstm97.tasks import make_task

ROWS = (Row("toy", "tiny", "exp2c", make_task("exp2c", p=4, q=4, k_max=8), lstm_2c(4), learning_rate=0.5,
            trials=1, cap=300, criterion=Streak(50), chunk=100),)
EXPERIMENT = Experiment("toy", "A toy experiment", ROWS, help="a toy: one tiny row")
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """``experiments/toy.py``, added as one new file on the package's path."""
    folder = tmp_path / "more_experiments"
    folder.mkdir()
    (folder / "toy.py").write_text(textwrap.dedent(TOY))
    monkeypatch.setattr(experiments, "__path__", [*experiments.__path__, str(folder)])
    yield "toy"


def _run_twice(name, flags, out, capsys):
    args = ["run", name, *flags, "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    jobs = sorted(p.name for p in (out / name / "jobs").iterdir())
    assert jobs and all(JOB_FILE.fullmatch(j) for j in jobs), jobs
    n = len(jobs)
    assert first.startswith(f"{name}: {n} jobs of seed 0 ({n} trained, 0 reused) in "), first
    assert main(args) == 0                                          # resume: nothing left to train
    again = capsys.readouterr().out.strip().splitlines()[-1]
    assert again.startswith(f"{name}: {n} jobs of seed 0 (0 trained, {n} reused) in "), again
    assert sorted(p.name for p in (out / name / "jobs").iterdir()) == jobs
    summary = (out / name / "summary.md").read_bytes()
    assert main(["report", name, "--out", str(out), "--no-figures"]) == 0     # the tables again, no training
    assert (out / name / "summary.md").read_bytes() == summary
    assert main(["run", name, "--trials", "0", "--out", str(out)]) == 2       # bad input: one line, exit 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lstm97: ") and "positive integer" in err[0], err


@pytest.mark.parametrize("name", sorted(RUNS))
def test_cerg_and_compare_run_through_the_one_driver(name, tmp_path, capsys):
    _run_twice(name, RUNS[name], tmp_path, capsys)


def test_an_experiment_added_as_one_file_is_registered_runs_and_reports(toy, tmp_path, capsys):
    assert toy in experiments.names() and experiments.get(toy).title == "A toy experiment"
    _run_twice(toy, [], tmp_path, capsys)
    assert "A toy experiment" in (tmp_path / toy / "summary.md").read_text()
    assert main(["run", "no_such_experiment", "--out", str(tmp_path)]) == 2
    assert toy in capsys.readouterr().err                     # the known names include it
