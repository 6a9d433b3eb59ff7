"""Task registry: the names ``exp1 … exp6b`` map to generators (gymnax ``registration.py`` style).

A task is a frozen dataclass whose fields fix shapes and numbers; ``sample(key)`` is a pure JAX function
returning a ``Sequence`` padded to the task's static ``max_len``. ``make_task(name, **options)`` builds one
from the paper's letters (``p=100 q=50``); unknown names or options raise ``TaskError`` with one clear line.
"""
from __future__ import annotations

import dataclasses
from typing import Any

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

_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _convert(kind: str, value: Any) -> Any:
    """An option's text (or value) as the field's type: int, float or bool."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        return _BOOLS[str(value).lower()]
    if kind == "float":
        return float(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value)


def make_task(name: str, **options: Any):
    """Build a task from its registry name and the paper's letters, with the paper's defaults."""
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
