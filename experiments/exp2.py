"""Experiment 2 (Sec. 5.2): Table 2 (task 2a), the 2b result, Table 3 (task 2c).

Success (a reading, ``exp2_success``, decision 13): a frozen-weight test of 10,000 fresh sequences, every
one within the threshold, run every 1 % of the paper's mean (the default), or 10,000 successive correct
training sequences. 2a/2b's LSTM is built sequentially (``construction``, ``grown_weights``, decision 4):
the cell joins once the loss stops falling, its outgoing weights from zero (the default).
"""
from dataclasses import replace

from lstm97 import plots
from lstm97.config import PaperRef, Row
from lstm97.construction import Construction
from lstm97.criteria import FrozenTest, Streak
from lstm97.experiment import Experiment
from lstm97.nets import lstm_2ab, lstm_2c, rtrl_2a  # noqa: F401 (re-exported for tests)
from lstm97.paper import EXP2_TEST, EXP2_WINDOW, TABLE2, TABLE3, TASK2B, TRIALS, cap_for
from lstm97.readings import BEFORE, CAP_FACTOR, PAPER, Reading
from lstm97.tasks import make_task

# RTRL/BPTT at p = 10 and 100: the paper reports 0 % after 5,000,000 sequences; we stop earlier (issue 2 allows
# it) and say so in the table. The caps are far beyond LSTM's mean (5,040 at p = 100).
REDUCED_CAP = {10: 1_000_000, 100: 20_000}
RATES = (1.0, 4.0, 10.0)       # "1.0-10.0": the three rates of the p = 4 rows


def _success(reading: Reading, ref) -> tuple[object, int | None]:
    """Exp 2's success rule under ``reading`` and the check interval it needs: the frozen 10,000-sequence test
    (D13) every 1 % of the paper's mean (as decision 14 checks test sets), or the running streak (no check)."""
    if reading["exp2_success"] == "streak":
        return Streak(EXP2_WINDOW), None
    return FrozenTest(EXP2_TEST), (None if ref.sequences is None else max(10, int(ref.sequences) // 100 // 10 * 10))


def _net_2c(p: int, reading: Reading):
    """2c's net under the reading's ``in_gate_bias``, ``recurrent_init`` and ``hidden_order`` (the defaults:
    Table 10's net)."""
    net = replace(lstm_2c(p), recurrent_init=reading["recurrent_init"], hidden_order=reading["hidden_order"])
    return net if reading["in_gate_bias"] == "paper" else replace(net, bias_gates=True, in_gate_bias=(-3.0, -6.0))


def rows(reading: Reading = PAPER, pilot: bool = False) -> tuple[Row, ...]:
    """Table 2's rows, 2b's and Table 3's under ``reading`` (its exp-2 fields)."""
    lstm = reading.applying_to("exp2", "exp2a")                          # 2a/2b's LSTM: its construction too
    other = {"exp2a": lstm.without("construction", "grown_weights", "cap"), "exp2b": lstm,
             "exp2c": reading.applying_to("exp2", "exp2c")}

    def built(*args, reading=None, **kw) -> Row:
        reading = reading or other[args[2]]
        return Row(*args, **kw, reading=reading, pilot=pilot, updates=reading["updates"])

    growth = None if lstm["construction"] == "from_start" else Construction(outgoing=lstm["grown_weights"])
    lstm_cap = lambda ref: cap_for(ref, factor=CAP_FACTOR[lstm["cap"]])       # the LSTM rows' cap (a reading)
    made = []
    for (method, p, lr), ref in TABLE2.items():
        task = make_task("exp2a", p=p)
        rule, check = _success(reading, ref)
        if method == "CH":
            made.append(built("exp2", f"2a CH p={p}", "exp2a", task, rtrl_2a(p), lr, TRIALS["exp2a"], 1, rule,
                              paper=ref, run=False, note="not reproduced: the chunker's topology is not in the paper"))
        elif method == "LSTM":
            made.append(built("exp2", f"2a LSTM p={p}", "exp2a", task, lstm_2ab(p), lr, TRIALS["exp2a"], lstm_cap(ref),
                              rule, paper=ref, chunk=check or 500, construction=growth, reading=lstm))
        else:
            for rate in (RATES if lr is None else (lr,)):
                cap = REDUCED_CAP.get(p, cap_for(ref))
                note = "" if lr is not None else f"cap lowered to {cap:,} (paper: 5,000,000)"
                made.append(built("exp2", f"2a {method} p={p} lr={rate:g}", "exp2a", task, rtrl_2a(p), rate,
                                  TRIALS["exp2a"], cap, rule, paper=ref, note=note,
                                  chunk=check or (500 if p == 100 else 5000)))
    rule, check = _success(reading, TASK2B)
    made.append(built("exp2", "2b LSTM p=100", "exp2b", make_task("exp2b", p=100), lstm_2ab(100), 1.0,
                      TRIALS["exp2b"], lstm_cap(TASK2B), rule, paper=TASK2B, chunk=check or 500, construction=growth,
                      reading=lstm))
    c_reading = other["exp2c"]
    for (q, p), ref in TABLE3.items():
        rule, check = _success(reading, ref)
        made.append(built("exp2", f"2c q={q} p={p}", "exp2c", make_task("exp2c", p=p, q=q), _net_2c(p, c_reading), 0.01,
                          TRIALS["exp2c"], lstm_cap(ref), rule, paper=ref,
                          chunk=check or (1000 if q <= 200 else 250)))
    return tuple(made)


def _variants():
    """Every row under the readings before decisions 4 and 13 were revised (the cell there from the start, the
    running streak), then other readings as small pilots (4 trials) beside the paper's rows, all made under
    the streak rule."""
    yield from rows(BEFORE, pilot=True)
    window, pilot = Streak(EXP2_WINDOW), 4
    old = BEFORE.applying_to("exp2", "exp2a")
    base = dict(experiment="exp2", task_name="exp2a", task=make_task("exp2a", p=100), arch=lstm_2ab(100),
                learning_rate=1.0, trials=pilot, cap=cap_for(TABLE2[("LSTM", 100, 1.0)]), criterion=window,
                paper=TABLE2[("LSTM", 100, 1.0)], chunk=500, pilot=True)
    yield Row(label="2a LSTM p=100 [per-step updates]", updates="step", note="pilot: D2's per-step option",
              reading=Reading.of(**dict(old.changes), updates="step"), **base)
    grown = Reading.of(exp2_success="streak", grown_weights="initial")
    yield Row(label="2a LSTM p=100 [construction]", construction=Construction(outgoing="initial"),
              note="pilot: cell added when the loss plateaus, outgoing weights at their initial values",
              reading=grown, **base)
    yield Row(label="2a LSTM p=100 [construction, per-step]", construction=Construction(outgoing="initial"),
              updates="step", note="pilot: both", reading=Reading.of(**dict(grown.changes), updates="step"), **base)
    for q, p in ((1000, 1000), (100, 100)):
        yield Row("exp2", f"2c q={q} p={p} [input-gate bias -3,-6]", "exp2c", make_task("exp2c", p=p, q=q),
                  replace(lstm_2c(p), bias_gates=True, in_gate_bias=(-3.0, -6.0)),
                  0.01, pilot, cap_for(TABLE3[(q, p)]), window, paper=TABLE3[(q, p)],
                  chunk=250 if q > 200 else 1000, pilot=True, reading=Reading.of(exp2_success="streak", in_gate_bias="-3/-6"),
                  note="pilot: the paper's remedy for state drift (exps 3-6), not its 2c setting")
    yield Row("exp2", "2c q=100 p=100 [lr 0.1]", "exp2c", make_task("exp2c", p=100, q=100), lstm_2c(100), 0.1,
              pilot, cap_for(TABLE3[(100, 100)]), window, paper=TABLE3[(100, 100)], chunk=1000, pilot=True,
              reading=Reading.of(exp2_success="streak"),
              note="pilot: 10x the paper's learning rate")
    ref = TABLE2[("RTRL", 4, 1.0)]
    yield Row("exp2", "2a RTRL p=4 lr=1 [per-step updates]", "exp2a", make_task("exp2a", p=4), rtrl_2a(4), 1.0,
              TRIALS["exp2a"], cap_for(ref), window, paper=ref, updates="step", chunk=5000, pilot=True,
              reading=Reading.of(exp2_success="streak", updates="step"),
              note="other reading: on-line RTRL, weights change after every step (D2's option)")


ROWS = rows()
VARIANTS = tuple(_variants())
# the readings `python -m lstm97 readings "exp2 <row>"` tries on every row (lstm97/search.py), each where its
# field applies to the row's task; one that builds a row already tried (2c: the construction fields and
# updates; the baselines: the cap) is tried once
READINGS = (PAPER, Reading.of(exp2_success="streak"), Reading.of(construction="from_start"),
            Reading.of(grown_weights="initial"), Reading.of(updates="step"), Reading.of(cap="10x"),
            Reading.of(recurrent_init="gates_zero"), Reading.of(recurrent_init="zero"),
            Reading.of(in_gate_bias="-3/-6"), Reading.of(recurrent_init="gates_zero", cap="10x"),
            Reading.of(hidden_order="in_place"), Reading.of(hidden_order="in_place", recurrent_init="zero"))

EXPERIMENT = Experiment(
    name="exp2", paper=True, rows=ROWS, build=rows, readings=READINGS, variants=VARIANTS, figures=plots.exp2_figures,
    title="Experiment 2: Tables 2 and 3 (and task 2b), ours beside the paper's",
    help='long time lags over local symbol codes (Tables 2, 3; tasks exp2a, exp2b, exp2c)',
    sequences=('Sequences: training sequences presented before the frozen-weight test of 10,000 fresh '
               "sequences that passed (run every 1 % of the paper's mean, decision 13; pilots under "
               'exp2_success=streak: before the run of 10,000 correct training sequences began), over '
               'successful trials only (mean with a bootstrap 95 % interval, median, range). *Learned*: '
               'median sequences before the first run of 1,000 correct training sequences.'))
