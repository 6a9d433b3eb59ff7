"""Which experiments exist, and the small-budget (``--quick``) version of a row."""
from __future__ import annotations

import importlib
from dataclasses import replace

from lstm97.config import Row
from lstm97.criteria import FrozenTest, Recent, Streak
from lstm97.readings import Reading

EXPERIMENTS = {f"exp{i}": f"experiments.exp{i}" for i in range(1, 7)}
EXPERIMENTS["compare"] = "experiments.compare"      # beyond the paper: every cell on every row (issue 6)
PAPER = tuple(f"exp{i}" for i in range(1, 7))


class UnknownExperiment(ValueError):
    pass


def rows_of(name: str, variants: bool = True, quick: bool = False) -> tuple[Row, ...]:
    """The paper's rows of an experiment, then its pilots of other readings (``VARIANTS``); with ``quick``,
    the experiment's ``QUICK_ROWS`` where it has them (before ``quick()`` shrinks each row)."""
    if name not in EXPERIMENTS:
        raise UnknownExperiment(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    module = importlib.import_module(EXPERIMENTS[name])
    rows = getattr(module, "QUICK_ROWS", module.ROWS) if quick else module.ROWS
    return rows + (getattr(module, "VARIANTS", ()) if variants else ())


def paper_rows(name: str, reading: Reading) -> tuple[Row, ...]:
    """The paper's rows of an experiment built under ``reading`` (its module's ``rows(reading)``; an experiment
    with no reading fields has only its ``ROWS``)."""
    if name not in EXPERIMENTS:
        raise UnknownExperiment(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    module = importlib.import_module(EXPERIMENTS[name])
    return module.rows(reading) if hasattr(module, "rows") else module.ROWS


def packs_rates(name: str) -> bool:
    """Whether the experiment's rows that differ only in their learning rate train in one batch
    (``sweep.batches``): its module's ``PACK_RATES``."""
    return bool(getattr(importlib.import_module(EXPERIMENTS[name]), "PACK_RATES", False))


def quick(row: Row) -> Row:
    """The same pipeline at small budgets: 2 trials, cap 1,000 sequences, success after 100 in a row (exps 4-6:
    the recent window 100 with the paper's thresholds; exps 1, 3: checks every 250), 256 test sequences."""
    criterion = row.criterion
    if isinstance(criterion, FrozenTest):
        criterion = replace(criterion, size=100)
    if isinstance(criterion, (Streak, Recent)):
        changes = {"window": 100}
        if isinstance(criterion, Recent):
            changes["fewer_wrong_than"] = max(1, criterion.fewer_wrong_than * 100 // criterion.window)
        criterion = replace(criterion, **changes)
    return row.scaled(trials=min(row.trials, 2), cap=min(row.cap, 1000), criterion=criterion,
                      chunk=min(row.chunk, 250), test_sequences=min(row.test_sequences, 256))
