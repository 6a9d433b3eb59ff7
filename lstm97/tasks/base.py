"""What every task shares: the padded ``Sequence`` and the paper's ABS(β) judgement of one sequence."""
from __future__ import annotations

from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp


class TaskError(ValueError):
    """Bad task name or option; the message is one line meant for the user."""


class Sequence(NamedTuple):
    x: jax.Array        # (L,) int32 symbol indices, or (L, n_in) float inputs
    target: jax.Array   # (L, n_out) target vectors (meaningful where mask > 0)
    mask: jax.Array     # (L,) 1.0 where the step carries a training target (the loss), else 0.0
    judge: jax.Array    # (L,) 1.0 where the success test looks at the outputs
    length: jax.Array   # () int32, the true length before padding


class Task:
    """What the trainer asks of every task (each a frozen dataclass under this base): ``sample(key) ->
    Sequence``, ``n_in``, ``n_out``, ``max_len``, ``threshold``, ``symbolic``; and the optional members,
    defaulted here so that nothing is probed: ``targets_every_step`` (a target at every step: decides the
    faster engine, ``engines.choose``), ``classifies`` (one class per sequence: the final test's confusion
    matrix), ``variants`` (data variants the trials cycle through, ``sample_variant``) and ``clean_target``
    (the noise-free target the tests judge against)."""
    targets_every_step: ClassVar[bool] = False
    classifies: ClassVar[bool] = False

    @property
    def variants(self) -> int:
        return 1

    def clean_target(self, seq: Sequence) -> jax.Array:
        return seq.target


def judge(outputs: jax.Array, seq: Sequence, threshold: float) -> tuple[jax.Array, jax.Array]:
    """ABS(β): the sequence is correct when every output unit's absolute error at every judged step is
    below β (Table 11). Returns (correct, the largest judged absolute error)."""
    err = jnp.abs(outputs - seq.target).max(axis=-1) * seq.judge
    worst = err.max()
    return worst < threshold, worst


def mean_error(outputs: jax.Array, seq: Sequence) -> jax.Array:
    """Mean absolute error over the judged steps and output units of one sequence (decision 12's average)."""
    err = jnp.abs(outputs - seq.target) * seq.judge[:, None]
    return err.sum() / jnp.maximum(seq.judge.sum() * outputs.shape[-1], 1.0)


def check_positive(name: str, **values: int) -> None:
    for key, value in values.items():
        if value <= 0:
            raise TaskError(f"{name}: {key} must be a positive integer, got {value}")


def check_at_most(name: str, limit: int, **values: int) -> None:
    """``TaskError`` for an option above ``limit`` (sequences, one-hot codes and nets grow with it)."""
    for key, value in values.items():
        if value > limit:
            raise TaskError(f"{name}: {key} must be at most {limit:,}, got {value}")
