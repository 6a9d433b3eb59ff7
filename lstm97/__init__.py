"""lstm97: Hochreiter & Schmidhuber (1997), Long Short-Term Memory, reproduced in JAX.

The public API: sample a task, take (and shrink) a row of an experiment's table, train it, summarise it
(the README's "Python API" example, about 15 s on one core, runs all four on Table 7's first row). The
experiments' rows come from the ``experiments`` package beside this one, which a user's script imports;
this package never does (data flows one way: rows are passed in).

Names are imported on first use (module ``__getattr__``), so ``import lstm97`` alone does not load jax.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "make_task": "lstm97.tasks",          # a task by its registry name and the paper's letters
    "Sequence": "lstm97.tasks",           # what task.sample(key) returns
    "TaskError": "lstm97.tasks",
    "quick": "lstm97.experiment",         # a row at small budgets (what --quick runs)
    "Experiment": "lstm97.experiment",    # an experiment as a record (experiments/<name>.py defines one)
    "Row": "lstm97.config",               # everything that decides a row's numbers
    "PaperRef": "lstm97.config",          # what the paper reports for a row
    "train_row": "lstm97.train",          # every trial of a row at once → one dict per trial
    "summarise": "lstm97.report",         # per-trial rows → one summary line per table row
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lstm97' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value                # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
