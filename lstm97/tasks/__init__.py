"""Task registry: the names ``exp1 … exp6b`` map to generators (gymnax ``registration.py`` style).

A task is a frozen dataclass whose fields fix shapes and numbers; ``sample(key)`` is a pure JAX function
returning a ``Sequence`` padded to the task's static ``max_len``. ``make_task(name, **options)`` builds one
from the paper's letters (``p=100 q=50``); unknown names or options raise ``TaskError`` with one clear line.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from lstm97.tasks.base import Sequence, TaskError, judge  # noqa: F401
from lstm97.tasks.exp2 import Task2a, Task2b, Task2c

REGISTRY: dict[str, type] = {"exp2a": Task2a, "exp2b": Task2b, "exp2c": Task2c}
LATER = ("exp1", "exp3a", "exp3b", "exp3c", "exp4", "exp5", "exp6a", "exp6b")   # later issues


def make_task(name: str, **options: Any):
    """Build a task from its registry name and the paper's letters, with the paper's defaults."""
    if name in LATER:
        raise TaskError(f"task {name!r} is not yet implemented (it arrives with the experiments 1, 3-6 issue)")
    if name not in REGISTRY:
        raise TaskError(f"unknown task {name!r}; known: {', '.join(sorted(REGISTRY) + list(LATER))}")
    cls = REGISTRY[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in options.items():
        if key not in fields:
            raise TaskError(f"task {name} has no option {key!r}; options: {', '.join(fields)}")
        try:
            kwargs[key] = int(value)
        except (TypeError, ValueError):
            raise TaskError(f"option {key}={value!r} of task {name} must be an integer") from None
    return cls(**kwargs)
