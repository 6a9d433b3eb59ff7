"""The registry of experiments: every module of this package defines ``EXPERIMENT``, an
``lstm97.experiment.Experiment`` record, and is found by its file name (``pkgutil``). Adding an experiment is
adding ``experiments/<name>.py``. Only the command line (``lstm97/__main__.py``) imports this package."""
from __future__ import annotations

import importlib
import pkgutil

from lstm97.experiment import Experiment, UnknownExperiment


def names() -> tuple[str, ...]:
    """Every experiment's name (its module's), the paper's first: without importing any of them."""
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return tuple(sorted(found, key=lambda n: (not (n.startswith("exp") and n[3:].isdigit()), n)))


def get(name: str) -> Experiment:
    """The record of experiment ``name`` (``UnknownExperiment``, naming every one, if there is none)."""
    if name not in names():
        raise UnknownExperiment(f"unknown experiment {name!r}; known: {', '.join(names())}")
    experiment = importlib.import_module(f"{__name__}.{name}").EXPERIMENT
    assert experiment.name == name, f"experiments/{name}.py's record is named {experiment.name!r}"
    return experiment


def registry() -> dict[str, Experiment]:
    """Every experiment by name."""
    return {name: get(name) for name in names()}


def paper() -> tuple[str, ...]:
    """The paper's experiments (exp1 … exp6)."""
    return tuple(name for name, e in registry().items() if e.paper)


def rows_of(name: str, variants: bool = True, quick: bool = False) -> tuple:
    """The rows of experiment ``name``, then its pilots; with ``quick``, the rows ``--quick`` starts from."""
    return get(name).all_rows(variants=variants, quick=quick)
