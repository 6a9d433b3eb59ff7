"""What the driver (``sweep.py``) needs of a trainer, and the trainer of each row type.

Anything that trains is a row type with one ``Trainer``: ``Row`` (the paper's protocol, ``train.py``) and
``ContinualRow`` (the continual Reber grammar, ``continual.py``). The driver knows a row only through the
``Job`` members below and its trainer, so every experiment runs through the same job files, locks, resume,
progress bar and bad-input checks. A trainer's ``train(rows, pack, seed=, trials=, progress=, checkpoint=,
checkpoint_s=)`` returns, per row, one dict per trial (the job file's ``items``).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Protocol

from lstm97 import continual, engines, train
from lstm97.config import Row
from lstm97.continual import ContinualRow
from lstm97.readings import Reading


class Job(Protocol):
    """The members of a row the driver reads."""
    experiment: str         # the job store's folder: <out>/<experiment>/jobs
    label: str              # unique in the experiment; with the seed and fingerprint, the job file's name
    run: bool               # False: listed in the table, never trained
    trials: int             # trials (nets) of the job
    job: str                # "<experiment>/<label>": the trial keys derive from it
    reading: Reading
    weights: int


class Trainer(NamedTuple):
    fingerprint: Callable[[Any], str]       # everything that decides the job's numbers
    train: Callable[..., list[list[dict]]]  # (rows, pack, **options) -> per row, one dict per trial
    items: str                              # the job file's key for those dicts
    unit: str                               # what the progress bar counts
    steps: Callable[[Any, int], int]        # progress steps a job of n trials takes at most (the ETA)
    length: Callable[[Any], int]            # steps per progress unit
    used: Callable[[dict], int]             # progress units one finished trial took
    cost: Callable[[Any], float]            # the order jobs run in: cheap first
    # True where a trial's numbers depend on how many train in the program (the CERG nets: a 100-net program
    # and a 10-net one give net 0 different numbers after millions of symbols), so a job is one count: its
    # file names the count and is never cut to fewer; False: trial i's numbers are its own (train.trial_keys,
    # lanes and packs tested bit for bit), and a file of more trials serves a run of fewer
    exact: bool = False


def _train_table_rows(rows: list[Row], pack: bool, **options) -> list[list[dict]]:
    """One row (``train.train_row``), or with ``pack`` rows that share one program (``engines.wide_key``) side by
    side in one batch (``train.train_rows``)."""
    return train.train_rows(rows, **options) if pack else [train.train_row(rows[0], **options)]


def _train_continual(rows: list[ContinualRow], pack: bool, seed: int, trials: int, **options) -> list[list[dict]]:
    return [continual.run_row(row, seed, trials, **options) for row in rows]


def most_steps(row: Row, trials: int) -> int:
    """Trial-steps a job takes at most: every trial to its cap (``Criterion.most_sequences``), every
    sequence at the task's longest length."""
    return trials * row.criterion.most_sequences(row.cap) * row.task.max_len


def estimated_cost(row: Row) -> float:
    """Trial-steps at the cap, weighted by the net's size. Cheap jobs run first, so that a run cut short
    has finished as many rows as it could; the rest resume next time."""
    return row.trials * row.cap * row.task.max_len * (1 + row.weights / 2000)


TRAINERS: dict[type, Trainer] = {
    Row: Trainer(engines.fingerprint, _train_table_rows, "trials", "seq", most_steps, lambda row: row.task.max_len,
                 lambda trial: trial["presented"], estimated_cost),
    ContinualRow: Trainer(ContinualRow.fingerprint, _train_continual, "nets", "stream",
                          lambda row, nets: nets * row.max_streams, lambda row: 1, lambda net: net["streams"],
                          lambda row: row.nets * row.max_streams * (1 + row.weights / 2000), exact=True),
}


def of(row: Any) -> Trainer:
    """The trainer of a row's type."""
    if type(row) not in TRAINERS:
        raise TypeError(f"no trainer for {type(row).__name__} (lstm97/trainers.py)")
    return TRAINERS[type(row)]
