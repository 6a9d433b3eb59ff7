"""Experiment 5 (Sec. 5.5): the multiplication problem, Table 8.

The net of exp 4 with every weight, biases included, from U[−0.1, 0.1] (93 weights), learning rate 0.1,
T = 100, 10 trials per row. Stop as soon as fewer than n_seq of the 2,000 most recent training sequences
have an absolute error above 0.04 (n_seq = 140 and 13); then 2,560 test sequences.
"""
from lstm97.config import Row
from lstm97.criteria import Recent
from lstm97.nets import lstm_45
from lstm97.paper import TABLE8, TEST_SET, TRIALS
from lstm97.tasks import make_task
from lstm97.tasks.exp4 import Task5Ones


def _rows():
    for n_seq, ref in TABLE8.items():
        yield Row("exp5", f"T=100 n_seq={n_seq}", "exp5", make_task("exp5", T=100), lstm_45(None), 0.1,
                  TRIALS["exp5"], 3 * ref.sequences, Recent(2000, fewer_wrong_than=n_seq), paper=ref,
                  chunk=2000, test_sequences=TEST_SET)


def _variants():
    """Decision 9's other reading (as for exp 4): a marked first pair shows the value 1.0 the target uses."""
    ref = TABLE8[140]
    yield Row("exp5", "T=100 n_seq=140 [marked first input 1.0]", "exp5", Task5Ones(T=100), lstm_45(None), 0.1,
              TRIALS["exp5"], 3 * ref.sequences, Recent(2000, fewer_wrong_than=140), paper=ref, chunk=2000,
              test_sequences=TEST_SET, pilot=True,
              note="pilot: D9's other reading, the input value of a marked first pair is the 1.0 the target uses")


ROWS = tuple(_rows())
VARIANTS = tuple(_variants())
