"""Experiment 4 (Sec. 5.4): the adding problem, Table 7.

The paper's net (2 blocks of size 2, all non-input units biased, input-gate biases −3 and −6; 93 weights),
learning rate 0.5, 10 trials per row. Stop: ST3(0.01), i.e. the 2,000 most recent training sequences all
correct (|error| < 0.04) and their mean absolute error below 0.01 (decision 12); then 2,560 test sequences.
"""
from lstm97.config import Row
from lstm97.criteria import Recent
from lstm97.nets import lstm_45
from lstm97.paper import TABLE7, TEST_SET, TRIALS
from lstm97.tasks import make_task
from lstm97.tasks.exp4 import Task4Zeroed

CHUNK = {100: 2000, 500: 500, 1000: 250}       # sequences per compiled chunk: progress every few seconds


def _rows():
    for T, ref in TABLE7.items():
        yield Row("exp4", f"T={T}", "exp4", make_task("exp4", T=T), lstm_45((-3.0, -6.0)), 0.5, TRIALS["exp4"],
                  3 * ref.sequences, Recent(2000, fewer_wrong_than=1, mean_below=0.01), paper=ref,
                  chunk=CHUNK[T], test_sequences=TEST_SET)


def _variants():
    """Decision 9's other reading (spec §5 marks it ambiguous): a marked first pair shows the value the target
    uses (0) instead of the drawn one. 10 trials at T = 100."""
    ref = TABLE7[100]
    yield Row("exp4", "T=100 [marked first input zeroed]", "exp4", Task4Zeroed(T=100), lstm_45((-3.0, -6.0)), 0.5,
              TRIALS["exp4"], 3 * ref.sequences, Recent(2000, fewer_wrong_than=1, mean_below=0.01), paper=ref,
              chunk=CHUNK[100], test_sequences=TEST_SET, pilot=True,
              note="pilot: D9's other reading, the input value of a marked first pair is zeroed too")


ROWS = tuple(_rows())
VARIANTS = tuple(_variants())
