"""Experiments 4 and 5: the adding and the multiplication problem (spec §5, §6, decision 9).

Source: Hochreiter & Schmidhuber (1997), Sec. 5.4 and 5.5, Tables 7 and 8.

Each input is a pair (value, marker). Lengths are integers uniform in T..T+T/10. Exactly two pairs are marked
(marker 1.0): the first uniform over positions 1..10, the second uniform over positions 1..T/2 without the
first (positions 1-indexed). The first and the last pair carry marker −1 unless marked; all others 0. The
single target sits at the last step. Adding with T = 20 (the paper uses 100, 500, 1000), ``sample(PRNGKey(3))``::

    value   -0.95  0.08  -0.04  0.24  -0.24  -0.72  -0.57  -0.45  …  -0.53     (length 21)
    marker  -1     0      0     0      1      0      1      0     …  -1
    target  at the last step: 0.5 + (−0.24 − 0.57)/4 = 0.298

Exp 4 (adding): values U[−1, 1]; target 0.5 + (X1 + X2)/4. Exp 5 (multiplication): values U[0, 1]; target
X1 · X2. Correct: |error| < 0.04. A marked first pair (``marked_first``, a reading: ``lstm97/readings.py``):
- ``zeroed`` (decision 9, revised; the default): when the first draw marks pair 1, that pair's value, X1, is
  set to 0 (exp 5: 1.0) in the input and the target alike; a second mark at pair 1 is an ordinary mark.
- ``kept`` (the old D9): a mark at pair 1 by either draw counts as 0 (1.0) in the target while the input
  shows the drawn value.
- ``zeroed_either`` (the old pilot): a mark at pair 1 by either draw shows and counts 0 (1.0).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from lstm97.readings import legacy_repr
from lstm97.tasks.base import Sequence, Task, TaskError, check_at_most

T_MAX = 100_000         # 100 × the paper's largest T (Table 7: 1,000)


@dataclass(frozen=True)
class Task4(Task):
    T: int = 100          # minimal length; Table 7 rows: 100, 500, 1000 (minimal lag T/2)
    marked_first: str = "zeroed"    # a reading (D9): "zeroed", "kept" or "zeroed_either" (module docstring)

    threshold = 0.04      # ABS(0.04), Table 11
    symbolic = False
    n_in = 2
    n_out = 1
    low = -1.0            # values U[low, 1]
    first_x1 = 0.0        # X1 when position 1 is marked (Sec. 5.4: "X1 is set to zero")
    name = "exp4"
    either = "Zeroed"     # the class name the old pilot (zeroed_either) ran under: Task4Zeroed

    def __post_init__(self):
        if self.marked_first not in ("zeroed", "kept", "zeroed_either"):
            raise TaskError(f"{self.name}: marked_first must be zeroed, kept or zeroed_either, "
                            f"got {self.marked_first!r}")
        if self.T < 20 or self.T % 10:
            raise TaskError(f"{self.name}: T must be a multiple of 10 and at least 20 "
                            f"(lengths T..T+T/10, first mark within the first 10 of T/2), got {self.T}")
        check_at_most(self.name, T_MAX, T=self.T)

    def __repr__(self) -> str:
        """As the fingerprint reads it: ``kept`` prints as Task4(T=…) did before the reading was a field, and
        ``zeroed_either`` as the pilot class Task4Zeroed(T=…) that ran it (their committed jobs still match)."""
        if self.marked_first == "zeroed_either":
            return f"{type(self).__name__}{self.either}(T={self.T!r})"
        return legacy_repr(self, {"marked_first": "kept"})

    @property
    def max_len(self) -> int:
        return self.T + self.T // 10

    @staticmethod
    def combine(x1: jax.Array, x2: jax.Array) -> jax.Array:
        return 0.5 + (x1 + x2) / 4.0

    def sample(self, key: jax.Array) -> Sequence:
        k_len, k_val, k_first, k_second = jax.random.split(key, 4)
        n = jax.random.randint(k_len, (), self.T, self.max_len + 1)
        pos = jnp.arange(self.max_len)
        value = jax.random.uniform(k_val, (self.max_len,), minval=self.low, maxval=1.0)
        first = jax.random.randint(k_first, (), 0, 10)                    # 0-indexed: positions 1..10
        r = jax.random.randint(k_second, (), 0, self.T // 2 - 1)          # one of T/2 − 1 unmarked slots
        second = r + (r >= first).astype(jnp.int32)
        marked = (pos == first) | (pos == second)
        marker = jnp.where(marked, 1.0, jnp.where((pos == 0) | (pos == n - 1), -1.0, 0.0))
        live = (pos < n).astype(jnp.float32)
        if self.marked_first == "zeroed":         # X1 is pair 1's value: the input shows what the target uses
            value = jnp.where((pos == 0) & (first == 0), self.first_x1, value)
            x1, x2 = value[first], value[second]
        else:
            if self.marked_first == "zeroed_either":
                value = jnp.where((pos == 0) & marked, self.first_x1, value)
            x1 = jnp.where(first == 0, self.first_x1, value[first])
            x2 = jnp.where(second == 0, self.first_x1, value[second])       # either draw at pair 1 counts 0
        x = jnp.stack([value * live, marker * live], axis=-1)
        y = self.combine(x1, x2)
        end = (pos == n - 1).astype(jnp.float32)
        return Sequence(x=x, target=(y * end)[:, None], mask=end, judge=end, length=n)


@dataclass(frozen=True, repr=False)        # Task4's repr (the fingerprint's), not a generated one
class Task5(Task4):
    """Multiplication: values U[0, 1], target X1 · X2, X1 := 1.0 if position 1 is marked (Sec. 5.5)."""

    T: int = 100          # Table 8: 100 (minimal lag 50)

    low = 0.0
    first_x1 = 1.0
    name = "exp5"
    either = "Ones"       # the old pilot's class: Task5Ones

    @staticmethod
    def combine(x1: jax.Array, x2: jax.Array) -> jax.Array:
        return x1 * x2


