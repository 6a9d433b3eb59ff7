"""An experiment as a record: the one thing the command line, the sweep and the reports need to know of it.

Each ``experiments/<name>.py`` defines ``EXPERIMENT = Experiment(...)``; ``experiments/__init__.py`` finds
them. The library never imports ``experiments``: the command line (``lstm97/__main__.py``) passes records and
rows in. ``quick(row)`` (``shrink_row``) is the small-budget version of a row (``--quick``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from lstm97.config import Row
from lstm97.criteria import FrozenTest, Recent, Streak
from lstm97.readings import PAPER, Reading


class UnknownExperiment(ValueError):
    pass


@dataclass(frozen=True)
class Experiment:
    """What an experiment is: its rows, how to build them under a reading, and how its results are shown.

    ``rows``: the table's rows (paper rows, and rows listed with the paper's numbers but not run);
    ``variants``: pilots (the same rows under other readings); ``quick_rows``: the rows ``--quick`` starts
    from (each then shrunk by ``shrink``, by default ``shrink_row``), ``None`` for ``rows``;
    ``build(reading, pilot)``: the table's rows under a reading (``python -m lstm97 readings``), with
    ``readings`` the grid it tries; ``pack``: rows that differ only in their learning rate train in one batch (``"wide"``: rows that can
    share one program, ``engines.wide_key``);
    ``scale(rows, streams, ticks, test_len)``: the rows at run's ``--streams``/``--ticks``/``--test-len``
    (``None``: the experiment takes none). ``tables`` (``report.Tables``) is the table builder the one report
    path uses (``None``: the paper's columns, ``report.PAPER``), which draws ``figures(trials, rows)`` (figures
    by file name) and writes ``pages(folder, summary, trials, rows, meta, tests)`` (any further page).
    ``paper``: one of the paper's experiments (``results/README.md`` and ``describe`` list it)."""
    name: str
    title: str
    rows: tuple
    help: str = ""
    variants: tuple = ()
    quick_rows: tuple | None = None
    build: Callable[[Reading, bool], tuple] | None = None
    readings: tuple[Reading, ...] = ()
    sequences: str = ""                 # summary.md: what "sequences" counts ({tests}: the test-set sizes)
    pack: bool | str = False
    paper: bool = False
    tables: Any = None
    figures: Callable[[Any, tuple], dict] | None = None
    pages: Callable | None = None
    shrink: Callable[[Any], Any] | None = None
    scale: Callable[..., tuple] | None = None

    def all_rows(self, variants: bool = True, quick: bool = False) -> tuple:
        """The table's rows, then its pilots; with ``quick``, ``quick_rows`` where given (not yet shrunk)."""
        rows = (self.quick_rows if quick and self.quick_rows is not None else self.rows)
        return rows + (self.variants if variants else ())

    def run_rows(self, quick: bool = False) -> tuple:
        """The rows a run trains and reports: with ``quick`` shrunk to small budgets."""
        rows = self.all_rows(quick=quick)
        return tuple(map(self.shrink or shrink_row, rows)) if quick else rows

    def rows_under(self, reading: Reading = PAPER) -> tuple:
        """The table's rows built under ``reading`` (an experiment without reading fields: its ``rows``)."""
        return self.build(reading, False) if self.build is not None else self.rows

    @property
    def searchable(self) -> bool:
        return bool(self.readings) and self.build is not None


def answers(build: Callable[[Reading, bool], tuple], confirmed: dict[str, Reading]) -> tuple[tuple, tuple]:
    """The table's rows, each under the reading that is its answer: the defaults, or for a label in
    ``confirmed`` the reading searched on seed 1 and confirmed on seed 0 at the paper's trial count
    (``python -m lstm97 readings``, docs/deviations.md). Returns (rows, pilots): the pilots are the
    confirmed rows under the defaults, kept beside their answers as every other reading is."""
    paper = build(PAPER, False)
    unknown = set(confirmed) - {r.label for r in paper}
    if unknown:
        raise ValueError(f"confirmed readings for rows that do not exist: {', '.join(sorted(unknown))}")
    rows = tuple(next(r for r in build(confirmed[p.label], False) if r.label == p.label) if p.label in confirmed
                 else p for p in paper)
    return rows, tuple(r for r in build(PAPER, True) if r.label in confirmed)


def shrink_row(row: Row) -> Row:
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


quick = shrink_row          # the public name (lstm97.quick)


def as_is(row: Any) -> Any:
    """``shrink`` for an experiment whose ``quick_rows`` are small already."""
    return row
