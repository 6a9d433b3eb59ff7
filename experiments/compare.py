"""Beyond the paper (issue 6): every cell on every LSTM row of experiments 1-6, under the paper's protocol.

For each paper row (its task, online SGD with one sequence per update, its stopping rule, cap and 2,560-sequence
test), each cell below trains 10 trials at the row's learning rate × 0.1, 0.3, 1 and 3; on the long rows (T = 1000,
q >= 500) at the one factor that was best for it on the same task's shorter rows (issue 17). The 1997 LSTM is the
paper's own net; every other cell gets the size whose weight count is closest to the paper net's (stated in
each row's note and in `python -m lstm97 describe`). `--quick` keeps the paper's rate (× 1) on the first
paper row of each task.
"""
import functools
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from experiments import get
from lstm97 import compare_report, engines, lanes, plots
from lstm97.cells import LSTM1997, n_weights
from lstm97.config import Row
from lstm97.experiment import Experiment
from lstm97.report import job_name
from lstm97.modern import GRU, Elman, GatedLSTM, vanilla_lstm
from lstm97.readings import BEFORE, Reading
from lstm97.registry import COMPARED

CELLS = COMPARED
RATE_FACTORS = (0.1, 0.3, 1.0, 3.0)
TRIALS = 10
PACK = "wide"            # rows that can share one program train side by side (engines.wide_key; same numbers)
SOURCES = ("exp1", "exp2", "exp3", "exp4", "exp5", "exp6")


def _closest(make, target: int, sizes=range(1, 65)):
    """The architecture ``make(n)`` whose weight count is closest to ``target`` (on ties the smaller net, then
    the earlier size)."""
    return min((make(n) for n in sizes), key=lambda arch: (abs(n_weights(arch) - target), n_weights(arch)))


@functools.lru_cache(maxsize=None)
def matched(paper: LSTM1997, kind: str):
    """A ``kind`` net for the paper net's task with about the paper net's number of weights."""
    target = n_weights(paper)
    io = dict(n_in=paper.n_in, n_out=paper.n_out, symbolic=paper.symbolic)
    if kind == "lstm1997":
        return paper
    if kind in ("forget_lstm", "peephole_lstm"):
        # 1-16 blocks of 1-4 cells: one block size alone left gaps of up to 45 % (exp 4: 49 or 135 for 93)
        return _closest(lambda bs: GatedLSTM(**io, blocks=bs[0], block_size=bs[1], forget_gate=True,
                                             peepholes=kind == "peephole_lstm", bias_cells=paper.bias_cells,
                                             bias_gates=True, bias_out=paper.bias_out, g=paper.g, h=paper.h,
                                             init_scale=paper.init_scale), target,
                        [(b, s) for b in range(1, 17) for s in range(1, 5)])
    if kind == "vanilla_lstm":
        return _closest(lambda n: vanilla_lstm(**io, cells=n, init_scale=paper.init_scale), target)
    if kind == "gru":
        return _closest(lambda n: GRU(**io, n_hidden=n, init_scale=paper.init_scale), target)
    if kind == "elman":
        return _closest(lambda n: Elman(**io, n_hidden=n, init_scale=paper.init_scale), target)
    raise ValueError(f"unknown cell {kind!r}")


# issue 17: each paper row is compared under the reading that is its answer in the paper's tables (the defaults,
# or the reading confirmed for it; experiments/expN.py), with the comparison's cap of 3x the paper's mean. The
# comparison made before, under lstm97/readings.py's BEFORE (439 of 799 jobs), is kept in results/compare/before/.


def answer(row: Row) -> Reading:
    """The reading a paper row is compared under: its answer's, with the cap at 3x the paper's mean."""
    return row.reading.without("cap")


def paper_rows(reading: Reading | None = None) -> list[Row]:
    """The LSTM rows of the paper's tables that we run (no baselines, no pilots), each under its answer
    (``answer``), or all under ``reading`` where one is given."""
    made = []
    for name in SOURCES:
        experiment = get(name)
        for row in (experiment.rows if reading is None else experiment.rows_under(reading)):
            if not (row.run and isinstance(row.arch, LSTM1997)):
                continue
            if reading is None and answer(row) != row.reading:
                row = next(r for r in experiment.rows_under(answer(row)) if r.label == row.label)
            made.append(row)
    return made


def is_long(row: Row) -> bool:
    """Issue 17's long rows, where each cell runs at one rate: T = 1000 (exps 3, 4) or q >= 500 (exp 2c)."""
    return getattr(row.task, "T", 0) >= 1000 or getattr(row.task, "q", 0) >= 500


# the one rate factor each cell runs at on a task's long rows: the factor with the most successes over that
# task's shorter rows in the comparison under BEFORE (results/compare/before/summary.csv, tested); a cell that
# succeeded at no rate there keeps the paper's rate (x1); on a tie, x1. Away from x1: the 1997 LSTM on 2c
# (3 successes at x3, 2 at x1) and the Elman net on 3a and 3b (one success each, at x3).
LONG_RATE = {("exp2c", "lstm1997"): 3.0, ("exp3a", "elman"): 3.0, ("exp3b", "elman"): 3.0}


def factors(row: Row, kind: str, every=RATE_FACTORS) -> tuple[float, ...]:
    return (LONG_RATE.get((row.task_name, kind), 1.0),) if is_long(row) else every


def engine(row: Row, arch) -> str:
    """Issue 17: the lanes engine for the 1997 net where it covers the net and the targets are sparse (make
    bench: 1.9x the scan engine at a comparison program's 50 trials), else ``auto`` (the scan engine at
    10 trials). Exp 1 (targets at every step) and the full-gradient ablation keep the scan engine."""
    sparse = not row.task.targets_every_step
    return "lanes" if isinstance(arch, LSTM1997) and lanes.supports(arch) and sparse else "auto"


def grown(row: Row, arch):
    """Exp 2a/2b's sequential construction (decision 4) for ``arch`` on ``row``: the row's, where ``arch`` has
    the memory-cell weights it holds back (the LSTMs); ``None`` for a net with no memory cell to add (GRU,
    Elman), which trains whole from the first sequence."""
    if row.construction is None:
        return None
    return row.construction if set(row.construction.hold) <= set(arch.shapes()) else None


def _rows(every=RATE_FACTORS, sources=None, one_rate_on_long_rows=True, engines_of=engine):
    for row in sources or paper_rows():
        for kind in CELLS:
            arch = matched(row.arch, kind)
            construction = grown(row, arch)
            whole = "; no memory cell to add: whole from the start" if row.construction and not construction else ""
            for factor in (factors(row, kind, every) if one_rate_on_long_rows else every):
                yield replace(row, experiment="compare", label=f"{row.experiment} {row.label} | {kind} | lr x{factor:g}",
                              paper_row=f"{row.experiment} {row.label}", rate_factor=factor, arch=arch, learning_rate=round(row.learning_rate * factor, 12),
                              trials=min(row.trials, TRIALS), engine=engines_of(row, arch), construction=construction,
                              note=f"{n_weights(arch)} weights (paper net: {n_weights(row.arch)}){whole}")


def _ablations(sources=None, engines_of=engine):
    """Issue 6's ablations of the 1997 design, each on the rows where the paper says it matters, at the
    paper's rate and 10 trials: the full gradient instead of the truncated one (all rows of exps 1, 4 and 6a);
    no output gates (exp 1: "output gates were needed for fast learning"); no input-gate bias (exps 3, 4, 6:
    the remedy for state drift); per-step weight updates (exps 1, 2a and 2b)."""
    for row in sources or paper_rows():
        arch = row.arch
        ablations = []
        if row.experiment in ("exp1", "exp4") or row.label == "6a":
            ablations.append(("full gradient", dict(arch=replace(arch, truncated=False))))
        if row.experiment == "exp1":
            ablations.append(("no output gate", dict(arch=replace(arch, output_gate=False, out_gate_bias=None))))
        if row.experiment == "exp1" or row.task_name in ("exp2a", "exp2b"):
            ablations.append(("per-step updates", dict(updates="step")))
        if row.experiment in ("exp3", "exp4", "exp6") and arch.in_gate_bias is not None:
            ablations.append(("no input-gate bias", dict(arch=replace(arch, in_gate_bias=None))))
        for name, changes in ablations:
            made = replace(row, experiment="compare", label=f"{row.experiment} {row.label} | lstm1997 [{name}] | lr x1",
                           paper_row=f"{row.experiment} {row.label}", variant=name, trials=min(row.trials, TRIALS),
                           note=f"ablation: {name}", **changes)
            yield replace(made, engine=engines_of(made, made.arch))


FORGET_BIAS = 5.0
FORGET_CELLS = ("forget_lstm", "peephole_lstm", "vanilla_lstm")


def _forget_bias(sources=None, reading=None):
    """The forget-gate cells with the forget gate's initial bias at +5 instead of the default +1, at the paper's
    rate and 10 trials, on the first row of each task of exps 3-6 (lags of about 100 steps). A forget gate
    at σ(1) ≈ 0.73 keeps 0.73¹⁰⁰ ≈ 10⁻¹⁴ of a state over 100 steps, at σ(5) ≈ 0.993 about half (the
    comparison's numbers: results/compare/README.md)."""
    for row in sources or _first_of_each(reading):
        if row.experiment not in ("exp3", "exp4", "exp5", "exp6"):
            continue
        for kind in FORGET_CELLS:
            arch = replace(matched(row.arch, kind), forget_bias=FORGET_BIAS)
            yield replace(row, experiment="compare", arch=arch, trials=min(row.trials, TRIALS), engine="auto",
                          paper_row=f"{row.experiment} {row.label}", variant=f"forget bias {FORGET_BIAS:g}",
                          label=f"{row.experiment} {row.label} | {kind} [forget bias {FORGET_BIAS:g}] | lr x1",
                          note=f"{n_weights(arch)} weights; forget-gate bias +{FORGET_BIAS:g}")


def _first_of_each(reading: Reading | None = None) -> list[Row]:
    """The first paper row of each experiment (and of exp 2's 2a, 2b, 2c, exp 3's 3a, 3b, 3c)."""
    seen, first = set(), []
    for row in paper_rows(reading):
        group = (row.experiment, row.task_name)
        if group not in seen:
            seen.add(group)
            first.append(row)
    return first


ROWS = tuple(_rows()) + tuple(_ablations()) + tuple(_forget_bias())


def before_rows() -> tuple[Row, ...]:
    """The rows of the comparison made before issue 17, under BEFORE at every rate (results/compare/before/,
    frozen): their job files stay in jobs/ and load under these rows (tests/test_readings.py)."""
    sources, auto = paper_rows(BEFORE), lambda row, arch: "auto"
    return (tuple(_rows(sources=sources, one_rate_on_long_rows=False, engines_of=auto))
            + tuple(_ablations(sources, engines_of=auto)) + tuple(_forget_bias(reading=BEFORE)))


# --quick (minutes): the first paper row of each task, every cell at the paper's rate, its ablations and
# forget-bias variants
_FIRST = _first_of_each()
QUICK_ROWS = tuple(_rows(every=(1.0,), sources=_FIRST)) + tuple(_ablations(_FIRST)) + tuple(_forget_bias(_FIRST))


def batches(rows, recorded: dict[str, str] | None = None) -> dict[str, str]:
    """Each row's batch: the one its job file records (``pack``, gathered into run.json's ``job_packs``), else,
    for files written before batches were recorded, its learning-rate pack (``engines.pack_key``): rows that
    trained side by side share one."""
    recorded = recorded or {}
    return {r.label: recorded.get(job_name(r.label, r.reading.name))
            or (engines.pack_key(r) if engines.packable(r) else r.label) for r in rows if r.run}


def _page(folder, summary, trials, rows, meta, tests):
    """The comparison's README.md (``compare_report.write_page``), each batch's time counted once; the planned
    cost reads each task's rate from the finished batches, the frozen comparison's in before/ too."""
    before = Path(folder) / "before"
    earlier = None
    if not meta.get("quick") and (before / "trials.csv").is_file():
        recorded, old = json.loads((before / "run.json").read_text()).get("job_packs"), before_rows()
        earlier = (pd.read_csv(before / "trials.csv"), old, batches(old, recorded))
    compare_report.write_page(folder, summary, trials, rows, meta, tests, batches(rows, meta.get("job_packs")),
                              earlier)


EXPERIMENT = Experiment(
    name="compare", rows=ROWS, quick_rows=QUICK_ROWS, pack=PACK, figures=plots.compare_figures,
    pages=_page, title="Beyond the paper: every cell on every LSTM row of experiments 1-6",
    help="beyond the paper: every cell (lstm1997, forget_lstm, peephole_lstm, vanilla_lstm, gru, elman) "
         "on every LSTM row of exp1-exp6")
