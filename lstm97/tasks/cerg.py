"""The continual embedded Reber grammar's stream (Gers, Schmidhuber & Cummins 2000, spec §11).

Source: exp 1's embedded grammar (``tasks/exp1.py``; Hochreiter & Schmidhuber 1997, Sec. 5.1), strings back to
back: after a string's final E the next string's B comes, with no marker. The stream is generated one symbol
at a time (``stream_start``, ``stream_next``), so it has no length; ``legal_target`` is 1.0 on every symbol the
grammar allows next (after the final E: the next string's B). The trainer is ``lstm97/continual.py``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lstm97.tasks.exp1 import _EMIT, _LEGAL, _NEXT, T

# exp 1's automaton with the final E (state 10) leading back to the start (state 0): one endless stream
_NEXT_CONTINUAL = _NEXT.copy()
_NEXT_CONTINUAL[10] = 0


class Gen(NamedTuple):
    """A stream's position: the symbol just emitted and the automaton state after it."""
    sym: jax.Array          # current input symbol
    starts: jax.Array       # True when ``sym`` is the B that opens a string
    state: jax.Array        # automaton state after ``sym`` (decides the legal successors)
    memory: jax.Array       # the string's second symbol (T or P), repeated before its final E
    key: jax.Array


def _emit(state, memory, key):
    key, sub = jax.random.split(key)
    bit = jax.random.bernoulli(sub, 0.5).astype(jnp.int32)
    sym = jnp.where(state == 9, memory, jnp.asarray(_EMIT)[state, bit])
    memory = jnp.where(state == 1, sym, memory)
    return Gen(sym=sym, starts=state == 0, state=jnp.asarray(_NEXT_CONTINUAL)[state, bit], memory=memory, key=key)


def stream_start(key: jax.Array) -> Gen:
    """A fresh stream: its first symbol, the B of its first string."""
    return _emit(jnp.int32(0), jnp.int32(T), key)


def stream_next(gen: Gen) -> Gen:
    return _emit(gen.state, gen.memory, gen.key)


def legal_target(gen: Gen) -> jax.Array:
    """(7,) 1.0 on every symbol the grammar allows after ``gen.sym``."""
    legal = jnp.where(gen.state == 9, jax.nn.one_hot(gen.memory, 7) > 0, jnp.asarray(_LEGAL)[gen.state])
    return legal.astype(jnp.float32)


def stream_symbols(key: jax.Array, n: int) -> np.ndarray:
    """The first ``n`` symbols of the stream from ``key``."""
    def step(gen, _):
        return stream_next(gen), gen.sym
    return np.asarray(jax.lax.scan(step, stream_start(key), None, length=n)[1])
