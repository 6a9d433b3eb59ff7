"""Experiment 6: temporal order (spec §7, decision 10).

Source: Hochreiter & Schmidhuber (1997), Sec. 5.6, Table 9.

Symbols, in index order: a b c d X Y B E (one-hot over 8 inputs). A sequence starts with E and ends with the
trigger B; lengths are integers uniform in 100..110. Every other position holds a distractor a|b|c|d, except
the relevant positions (1-indexed, uniform in their ranges) that hold X or Y, each with probability ½
independently. 6a: t1 in 10..20, t2 in 50..60; 6b: t1 in 10..20, t2 in 33..43, t3 in 66..76::

    EcadddacdacadbbbdYcbabcbcddabaadcabcacbbbcbcadbbaaabdbcbcddXcdbacbddabbbdbdbaccabbdadacddcadacaabdcbcbcdaabdaB

is 6a's ``sample(PRNGKey(0))``: length 110, Y at t1 = 18, X at t2 = 60, class (Y, X) = S, target (0, 0, 1, 0).

The class is the relevant symbols read as binary digits, X = 0, Y = 1, t1 most significant:
6a (4 outputs) XX→Q, XY→R, YX→S, YY→U; 6b (8 outputs) XXX→Q, XXY→R, XYX→S, XYY→U, YXX→V, YXY→A, YYX→B,
YYY→C. The one-hot class target sits at the last step (input B); correct when every output's absolute error
is below 0.3 (ABS(0.3)).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from lstm97.tasks.base import Sequence, Task

SYMBOLS = ("a", "b", "c", "d", "X", "Y", "B", "E")
X, B, E = 4, 6, 7


@dataclass(frozen=True)
class Task6a(Task):
    threshold = 0.3                       # ABS(0.3), Table 11
    symbolic = True
    n_in = 8
    n_out = 4
    relevant = ((10, 20), (50, 60))       # ranges of t1, t2 (1-indexed, inclusive), Sec. 5.6
    min_len = 100
    max_len = 110
    classes = ("Q", "R", "S", "U")
    classifies = True

    def symbol_names(self) -> list[str]:
        return list(SYMBOLS)

    def class_names(self) -> list[str]:
        return list(self.classes)

    def sample(self, key: jax.Array) -> Sequence:
        k_len, k_dis, k_pos, k_sym = jax.random.split(key, 4)
        m = len(self.relevant)
        n = jax.random.randint(k_len, (), self.min_len, self.max_len + 1)
        pos = jnp.arange(self.max_len)
        lo = jnp.array([r[0] for r in self.relevant]) - 1                  # 0-indexed
        hi = jnp.array([r[1] for r in self.relevant])
        t = jax.random.randint(k_pos, (m,), lo, hi)
        bits = jax.random.bernoulli(k_sym, 0.5, (m,)).astype(jnp.int32)   # 0: X, 1: Y
        x = jax.random.randint(k_dis, (self.max_len,), 0, 4)               # distractors a..d
        x = x.at[t].set(X + bits)
        x = jnp.where(pos == 0, E, jnp.where(pos == n - 1, B, x))
        x = jnp.where(pos < n, x, 0)
        cls = (bits * 2 ** jnp.arange(m - 1, -1, -1)).sum()
        end = (pos == n - 1).astype(jnp.float32)
        target = jax.nn.one_hot(cls, self.n_out)[None, :] * end[:, None]
        return Sequence(x=x, target=target, mask=end, judge=end, length=n)


@dataclass(frozen=True)
class Task6b(Task6a):
    """Three relevant positions, 8 classes."""

    n_out = 8
    relevant = ((10, 20), (33, 43), (66, 76))
    classes = ("Q", "R", "S", "U", "V", "A", "B", "C")
