"""One frozen dataclass per experiment row: everything that decides a row's numbers."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Any

from lstm97.cells import n_weights
from lstm97.readings import PAPER, Reading
from lstm97.registry import cell_name


@dataclass(frozen=True)
class PaperRef:
    """What the paper reports for the row (lstm97/paper.py holds the tables)."""
    success_pct: float | None
    sequences: float | None            # mean sequences to success; None where the paper gives none
    note: str = ""
    weights: int | None = None         # only for rows we cannot build (the chunker)
    st1: float | None = None           # exp 3: mean sequences until ST1 (Tables 4, 5)
    test_wrong: float | None = None    # exps 3-6: wrong of 2,560 test sequences (exp 3: the fraction × 2,560)
    test_error: float | None = None    # exps 3c, 5: the test error column (3c: difference to the mean; 5: "MSE")


@dataclass(frozen=True)
class Row:
    experiment: str                    # "exp2"
    label: str                         # unique within the experiment, e.g. "2c q=100 p=100"
    task_name: str                     # registry name, e.g. "exp2c"
    task: Any                          # task dataclass (shapes and numbers of the generator)
    arch: Any                          # cell architecture dataclass
    learning_rate: float
    trials: int
    cap: int                           # sequences after which a trial without success has failed
    criterion: Any                     # e.g. criteria.Streak(10_000)
    paper: PaperRef | None = None
    updates: str = "sequence"          # "sequence" (decision 2) or "step" (on-line, forward-mode rule)
    construction: Any = None           # construction.Construction: add the cell once the loss plateaus
    chunk: int = 1000                  # sequences per compiled chunk (progress, early stop)
    engine: str = "auto"               # "lanes" (forward rule, trials as SIMD lanes), "scan" (jax.grad), "auto"
    test_sequences: int = 0            # after training: each trial's net on this many fresh sequences (exps 3-6)
    run: bool = True                   # False: paper row kept in the table but not reproduced
    pilot: bool = False                # a trial of another reading, not a row of the paper's tables
    note: str = ""
    reading: Reading = PAPER           # the readings (lstm97/readings.py) the row was built under: a column of
                                       # every result; the settings it decides are in task, criterion, …
    # columns of every result that decide no number (not in the fingerprint): beyond the paper, the paper row
    # a row reruns ("exp4 T=100"; "": the row is one itself), its rate over that row's, what else it changes
    paper_row: str = ""
    rate_factor: float = 1.0
    variant: str = ""                  # "full gradient", "forget bias 5", … ("": none)

    def __post_init__(self):
        if self.trials <= 0 or self.cap <= 0 or self.chunk <= 0:
            raise ValueError(f"{self.label}: trials, cap and chunk must be positive")
        if self.updates not in ("sequence", "step"):
            raise ValueError(f"{self.label}: updates must be 'sequence' or 'step', got {self.updates!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"{self.label}: learning rate must be positive, got {self.learning_rate}")
        if self.engine not in ("auto", "scan", "lanes"):
            raise ValueError(f"{self.label}: engine must be 'auto', 'scan' or 'lanes', got {self.engine!r}")

    @property
    def job(self) -> str:
        return f"{self.experiment}/{self.label}"

    @property
    def job_hash(self) -> int:
        """Seeds derive from crc32 of the job name (STYLE item 10), never from Python's hash()."""
        return zlib.crc32(self.job.encode())

    @property
    def columns(self) -> dict:
        """The row's grouping columns, written beside every trial (``report.with_columns``)."""
        return {"paper_row": self.paper_row or f"{self.experiment} {self.label}", "rate_factor": self.rate_factor,
                "variant": self.variant}

    @property
    def cell(self) -> str:
        return cell_name(self.arch)

    @property
    def weights(self) -> int:
        return n_weights(self.arch)

    def scaled(self, **changes: Any) -> "Row":
        return replace(self, **changes)
