"""Experiment 4 (Sec. 5.4): the adding problem, Table 7.

The paper's net (2 blocks of size 2, all non-input units biased, input-gate biases −3 and −6; 93 weights),
learning rate 0.5, 10 trials per row. Stop: ST3(0.01), i.e. the 2,000 most recent training sequences all
correct (|error| < 0.04) and their mean absolute error below 0.01 (decision 12); then 2,560 test sequences.
A marked first pair is a reading (``marked_first``, decision 9).
"""

from dataclasses import replace

from lstm97 import plots
from lstm97.config import Row
from lstm97.criteria import Recent
from lstm97.experiment import Experiment
from lstm97.nets import lstm_45
from lstm97.paper import TABLE7, TEST_SET, TRIALS
from lstm97.readings import BEFORE, CAP_FACTOR, PAPER, Reading
from lstm97.tasks import make_task

CHUNK = {100: 2000, 500: 500, 1000: 250}       # sequences per compiled chunk: progress every few seconds


def rows(reading: Reading = PAPER, pilot: bool = False) -> tuple[Row, ...]:
    """Table 7's rows under ``reading`` (its exp-4 fields)."""
    reading = reading.applying_to("exp4")
    return tuple(Row("exp4", f"T={T}", "exp4", make_task("exp4", T=T, marked_first=reading["marked_first"]),
                     replace(lstm_45((-3.0, -6.0)), out_init=reading["out_init"],
                             recurrent_init=reading["recurrent_init"]), 0.5, TRIALS["exp4"],
                     CAP_FACTOR[reading["cap"]] * ref.sequences,
                     Recent(2000, fewer_wrong_than=1, mean_below=0.01), paper=ref, chunk=CHUNK[T],
                     test_sequences=TEST_SET, reading=reading, pilot=pilot)
                 for T, ref in TABLE7.items())


def _variants():
    """Every row under the readings before decision 9 was revised (the value kept), and the old pilot
    (a mark at pair 1 by either draw zeroed, 10 trials at T = 100)."""
    yield from rows(BEFORE, pilot=True)
    ref = TABLE7[100]
    yield Row("exp4", "T=100 [marked first input zeroed]", "exp4", make_task("exp4", T=100, marked_first="zeroed_either"),
              lstm_45((-3.0, -6.0)), 0.5, TRIALS["exp4"], 3 * ref.sequences,
              Recent(2000, fewer_wrong_than=1, mean_below=0.01), paper=ref, chunk=CHUNK[100],
              test_sequences=TEST_SET, pilot=True, reading=Reading.of(marked_first="zeroed_either"),
              note="pilot: a mark at pair 1 by either draw shows and counts 0")


ROWS = rows()
VARIANTS = tuple(_variants())
# the readings `python -m lstm97 readings "exp4 <row>"` tries on every row (lstm97/search.py): the output
# layer's start × the marked first pair × the cap, 16 readings that train side by side in one program
# (their nets differ in their initial weights, their tasks in one input value, their stop rules in the cap),
# and the old pilot's marked-pair reading
GRID = tuple(Reading.of(out_init=o, marked_first=m, cap=c) for o in ("uniform", "zero", "zero_bias", "small")
             for m in ("zeroed", "kept") for c in ("3x", "10x"))
# and the drift remedy of evidence.md sec. 3 for T >= 500 (recurrent_init; block 1 drifts while it trains)
READINGS = GRID + (Reading.of(marked_first="zeroed_either"), Reading.of(recurrent_init="zero"),
                   Reading.of(recurrent_init="gates_zero"))

EXPERIMENT = Experiment(
    name="exp4", paper=True, rows=ROWS, build=rows, readings=READINGS, variants=VARIANTS, figures=plots.exp4_figures,
    title="Experiment 4: Table 7 (the adding problem), ours beside the paper's",
    help='the adding problem (Table 7; task exp4)',
    sequences=('Sequences: training sequences presented when ST3(0.01) first held (the 2,000 most recent '
               'all correct, their mean absolute error below 0.01), over successful trials. Test: the final '
               'net on {tests} fresh sequences, mean and worst over successful trials.'))
