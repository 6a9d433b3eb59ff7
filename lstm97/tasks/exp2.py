"""Experiment 2: long time lags over local (one-hot) symbol codes (spec §3, decisions 8 and 13).

Source: Hochreiter & Schmidhuber (1997), Sec. 5.2, Tables 2 and 3.

Symbols are fed as integer indices; the nets gather weight columns instead of multiplying one-hots.

2a (p = 4): ``y a1 a2 a3 y`` or ``x a1 a2 a3 x``; at every step the target is the next symbol (one-hot over
p+1 outputs); ABS(0.25) over every output at every step.
2b (p = 4): ``x a3 a1 a3 x``: the middle is i.i.d. over a1..a(p-1); targets at every step, but only the final
prediction (the class symbol) is judged, ABS(0.25).
2c (p = 4, q = 3): ``b y a2 a4 a1 a3 a3 e y``: b, the class x|y, q distractors, then more distractors each
with probability 9/10 until the trigger e, then the class again. The one target sits at the step whose input
is e (decision 8): output 0 codes x, output 1 codes y; ABS(0.2). Expected length q + 13 (erratum 3).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from lstm97.tasks.base import Sequence, Task, TaskError, check_at_most, check_positive

P_MAX_2AB = 1_000       # 10 × the paper's largest p (Table 2); 2a's targets are (p+1) × (p+1) one-hots
PQ_MAX_2C = 10_000      # 10 × the paper's largest p and q (Table 3)
K_MAX_2C = 10_000


@dataclass(frozen=True)
class Task2a(Task):
    p: int = 100          # time lag; alphabet a1..a(p-1), x = a_p, y = a_(p+1)

    threshold = 0.25      # ABS(0.25), Table 11
    symbolic = True
    targets_every_step = True

    def __post_init__(self):
        check_positive("exp2a", p=self.p)
        if self.p < 2:
            raise TaskError(f"exp2a: p must be at least 2, got {self.p}")
        check_at_most("exp2a", P_MAX_2AB, p=self.p)

    @property
    def n_in(self) -> int:
        return self.p + 1

    n_out = n_in

    @property
    def max_len(self) -> int:
        return self.p + 1

    def symbol_names(self) -> list[str]:
        return [f"a{i}" for i in range(1, self.p)] + ["x", "y"]

    def middle(self, key: jax.Array) -> jax.Array:
        return jnp.arange(self.p - 1)                          # a1 … a(p-1), fixed

    def judge_mask(self) -> jax.Array:
        return jnp.ones(self.max_len).at[-1].set(0.0)         # every step that has a next symbol

    def sample(self, key: jax.Array) -> Sequence:
        k_cls, k_mid = jax.random.split(key)
        cls = self.p - 1 + jax.random.bernoulli(k_cls).astype(jnp.int32)    # x or y
        x = jnp.concatenate([cls[None], self.middle(k_mid).astype(jnp.int32), cls[None]])
        target = jax.nn.one_hot(jnp.roll(x, -1), self.n_out)
        mask = jnp.ones(self.max_len).at[-1].set(0.0)
        return Sequence(x=x, target=target, mask=mask, judge=self.judge_mask(),
                        length=jnp.int32(self.max_len))


@dataclass(frozen=True)
class Task2b(Task2a):
    """As 2a, with the middle drawn i.i.d. uniform over a1..a(p-1); only the final prediction is judged."""

    def middle(self, key: jax.Array) -> jax.Array:
        return jax.random.randint(key, (self.p - 1,), 0, self.p - 1)

    def judge_mask(self) -> jax.Array:
        return jnp.zeros(self.max_len).at[-2].set(1.0)        # the step whose target is the class symbol


@dataclass(frozen=True)
class Task2c(Task):
    p: int = 100          # distractor symbols a1..ap
    q: int = 100          # minimal lag - 1: q distractors always follow the class symbol
    k_max: int = 100      # extra distractors are clipped at k_max (P(k > 100) = 0.9^101 ≈ 2.4e-5)

    threshold = 0.2       # ABS(0.2), Table 11
    symbolic = True
    n_out = 2

    def __post_init__(self):
        check_positive("exp2c", p=self.p, q=self.q)
        if self.k_max < 0:
            raise TaskError(f"exp2c: k_max must be non-negative, got {self.k_max}")
        check_at_most("exp2c", PQ_MAX_2C, p=self.p, q=self.q)
        check_at_most("exp2c", K_MAX_2C, k_max=self.k_max)

    @property
    def n_in(self) -> int:
        return self.p + 4

    @property
    def max_len(self) -> int:
        return self.q + 4 + self.k_max

    def symbol_names(self) -> list[str]:
        return [f"a{i}" for i in range(1, self.p + 1)] + ["e", "b", "x", "y"]

    def sample(self, key: jax.Array) -> Sequence:
        p, q, L = self.p, self.q, self.max_len
        e, b, x_sym = p, p + 1, p + 2
        k_cls, k_len, k_dis = jax.random.split(key, 3)
        y_cls = jax.random.bernoulli(k_cls).astype(jnp.int32)               # 0: x, 1: y
        extra = jnp.minimum(jax.random.geometric(k_len, 0.1) - 1, self.k_max).astype(jnp.int32)
        e_pos = q + 2 + extra                                               # 0-indexed step of e
        pos = jnp.arange(L)
        x = jax.random.randint(k_dis, (L,), 0, p)
        x = jnp.where(pos == 0, b, x)
        x = jnp.where((pos == 1) | (pos == e_pos + 1), x_sym + y_cls, x)
        x = jnp.where(pos == e_pos, e, x)
        at_e = (pos == e_pos).astype(jnp.float32)
        target = jnp.broadcast_to(jax.nn.one_hot(y_cls, 2), (L, 2))
        return Sequence(x=x, target=target, mask=at_e, judge=at_e, length=e_pos + 2)
