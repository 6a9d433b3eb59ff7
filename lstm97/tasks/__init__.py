"""Task registry: the names ``exp1 … exp6b`` map to generators (gymnax ``registration.py`` style).

A task is a frozen dataclass whose fields fix shapes and numbers; ``sample(key)`` is a pure JAX function
returning a ``Sequence`` padded to the task's static ``max_len``. ``make_task(name, **options)`` builds one
from the paper's letters (``p=100 q=50``); unknown names or options raise ``TaskError`` with one clear line.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from lstm97.tasks import exp1, exp2, exp3, exp4
from lstm97.tasks.base import Sequence, TaskError, judge  # noqa: F401
from lstm97.tasks.exp1 import Task1
from lstm97.tasks.exp2 import Task2a, Task2b, Task2c
from lstm97.tasks.exp3 import Task3a, Task3b, Task3c
from lstm97.tasks.exp4 import Task4, Task5
from lstm97.tasks.exp6 import Task6a, Task6b

REGISTRY: dict[str, type] = {
    "exp1": Task1, "exp2a": Task2a, "exp2b": Task2b, "exp2c": Task2c,
    "exp3a": Task3a, "exp3b": Task3b, "exp3c": Task3c, "exp4": Task4, "exp5": Task5,
    "exp6a": Task6a, "exp6b": Task6b,
}


def describe_options() -> dict[str, str]:
    """Each task's options in the paper's letters, with their defaults and ranges (``--help``)."""
    t3, t4, pq = f"{exp3.T_MAX:,}", f"{exp4.T_MAX:,}", f"{exp2.PQ_MAX_2C:,}"
    return {
        "exp1": f"embedded Reber grammar; pair=0|1|2, or -1 for all three (default 0), seed=0..2^63-1 (of the "
                f"sets), max_len=20..{exp1.MAX_LEN_LIMIT:,} (default 40), distinct=true|false, target=next|legal",
        "exp2a": f"p=2..{exp2.P_MAX_2AB:,} (default 100): time lag p, the middle a1..a(p-1) fixed",
        "exp2b": f"p=2..{exp2.P_MAX_2AB:,} (default 100): as 2a, the middle random",
        "exp2c": f"q=1..{pq} (minimal lag, default 100), p=1..{pq} (distractor symbols, default 100), "
                 f"k_max=0..{exp2.K_MAX_2C:,} (extra distractors, default 100)",
        "exp3a": f"T=10..{t3}, a multiple of 10 (lengths T..T+T/10, default 100), N=1..T-1 (class-carrying "
                 f"elements, default 3)",
        "exp3b": "as 3a, with noise on the class-carrying elements too; T, N as 3a",
        "exp3c": "as 3a, with noisy targets 0.2 / 0.8; T, N as 3a",
        "exp4": f"adding: T=20..{t4}, a multiple of 10 (default 100)",
        "exp5": f"multiplication: T=20..{t4}, a multiple of 10 (default 100)",
        "exp6a": "temporal order, 2 relevant symbols (4 classes); no options",
        "exp6b": "temporal order, 3 relevant symbols (8 classes); no options",
    }


_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _convert(kind: str, value: Any) -> Any:
    """An option's text (or value) as the field's type: int, float or bool."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        return _BOOLS[str(value).lower()]
    if kind == "float":
        return float(value)
    if kind == "str":
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value)


def make_task(name: str, **options: Any):
    """Build a task from its registry name and the paper's letters, with the paper's defaults."""
    if name == "cerg":
        raise TaskError("cerg's stream has no end to sample or describe: run it (python -m lstm97 run cerg)")
    if name not in REGISTRY:
        raise TaskError(f"unknown task {name!r}; known: {', '.join(sorted(REGISTRY))}")
    cls = REGISTRY[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in options.items():
        if key not in fields:
            raise TaskError(f"task {name} has no option {key!r}; options: {', '.join(fields) or 'none'}")
        kind = fields[key].type if isinstance(fields[key].type, str) else fields[key].type.__name__
        try:
            kwargs[key] = _convert(kind, value)
        except (TypeError, ValueError, KeyError):
            expected = {"bool": "true or false", "float": "a number"}.get(kind, "an integer")
            raise TaskError(f"option {key}={value!r} of task {name} must be {expected}") from None
    return cls(**kwargs)
