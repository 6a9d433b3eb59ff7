"""Beyond the paper (issue 6): the forget gate's own experiment, the continual embedded Reber grammar of Gers,
Schmidhuber & Cummins (2000), Table 2 (spec §11; ``lstm97/continual.py``).

The rows are Gers et al.'s, at their scale: 100 nets each, at most 30,000 training streams, 10 test streams of
100,000 symbols. Their numbers stand beside ours. One row is listed with Gers et al.'s numbers and not run:
the schedule of "sequential α decay" is not stated precisely enough to rebuild.
"""
from dataclasses import replace

from lstm97.continual import ContinualRow, GersRef, cerg_net
from lstm97.continual_report import CONTINUAL, scale
from lstm97.experiment import Experiment, as_is

ROWS = (
    ContinualRow("standard LSTM with external reset", cerg_net(False), reset_strings=True,
                 paper=GersRef(perfect=74, streams=7441, good=0, good_length=None, rest=26, rest_length=31)),
    ContinualRow("standard LSTM", cerg_net(False),
                 paper=GersRef(perfect=0, streams=None, good=1, good_length=1166, rest=99, rest_length=37)),
    ContinualRow("LSTM with state decay (0.9)", cerg_net(False), state_decay=0.9,
                 paper=GersRef(perfect=0, streams=None, good=0, good_length=None, rest=100, rest_length=56)),
    ContinualRow("LSTM with forget gates", cerg_net(True),
                 paper=GersRef(perfect=18, streams=18889, good=29, good_length=39171, rest=53, rest_length=145)),
    ContinualRow("LSTM with forget gates and sequential α decay", cerg_net(True), decay=0.99, run=False,
                 paper=GersRef(perfect=62, streams=14087, good=6, good_length=68464, rest=32, rest_length=30),
                 note="not run: when the rate decays is not stated (spec §11)"),
)

# --quick: the same pipeline in about a minute (3 nets, 200 training streams, streams of at most 1,000 symbols)
QUICK_ROWS = tuple(replace(r, nets=3, max_streams=200, train_len=1000, test_len=1000, chunk=500) for r in ROWS)

EXPERIMENT = Experiment(
    name="cerg", rows=ROWS, quick_rows=QUICK_ROWS, shrink=as_is, scale=scale, tables=CONTINUAL,
    title="The continual embedded Reber grammar (Gers, Schmidhuber & Cummins 2000, Table 2)",
    help="beyond the paper: the continual embedded Reber grammar (Gers et al. 2000, Table 2)")
