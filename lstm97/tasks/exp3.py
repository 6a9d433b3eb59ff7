"""Experiment 3: noise and signal on the same channel (spec §4, decision 11).

Source: Hochreiter & Schmidhuber (1997), Sec. 5.3, Tables 4-6; the "2-sequence problem" of Bengio et al. (1994).

One real-valued input line. Lengths are integers uniform in T..T+T/10. The first N elements carry the class
(+1.0: class 1, −1.0: class 2); every later element is Gaussian noise, mean 0, standard deviation √0.2
("variance 0.2"). The single target sits at the last step. 3a with T = 10, N = 3 (the paper uses T = 100 and
1000), ``sample(PRNGKey(0))``::

    x       1.0  1.0  1.0  -0.35  0.17  0.01  0.26  -0.34  0.10  -0.67     (length 10, class 1)
    target                                                           1.0

3a: targets 1.0 (class 1) / 0.0 (class 2); correct when |error| < 0.2 (ABS(0.2)).
3b: as 3a, with the same noise (std √0.2) added to the first N elements too; ABS(0.2).
3c: as 3a, but targets 0.2 (class 1) / 0.8 (class 2) plus Gaussian target noise, std √0.1. The net must learn
the conditional mean; a sequence is misclassified when |output − noise-free target| > 0.1. ``Sequence.target``
holds the noisy training target; ``clean_target(seq)`` gives the noise-free one (the class is read off the
first input, which 3c leaves noise-free).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from lstm97.tasks.base import Sequence, Task, TaskError, check_at_most

T_MAX = 100_000         # 100 × the paper's largest T (Table 4: 1,000)


@dataclass(frozen=True)
class Task3a(Task):
    T: int = 100          # minimal length; Table 4 rows: 100, 100, 1000
    N: int = 3            # information-carrying elements; Table 4 rows: 3, 1, 3

    threshold = 0.2       # ABS(0.2), Table 11
    symbolic = False
    n_in = 1
    n_out = 1
    noise_std = math.sqrt(0.2)        # "variance 0.2" (decision 11)
    class_noise = False               # 3b: noise on the first N elements too
    targets = (1.0, 0.0)              # class 1, class 2
    target_std = 0.0                  # 3c: noise on the target
    name = "exp3a"

    def __post_init__(self):
        if self.T <= 0 or self.T % 10:
            raise TaskError(f"{self.name}: T must be a positive multiple of 10 (lengths T..T+T/10), got {self.T}")
        check_at_most(self.name, T_MAX, T=self.T)
        if not 1 <= self.N < self.T:
            raise TaskError(f"{self.name}: N must be at least 1 and below T={self.T}, got {self.N}")

    @property
    def max_len(self) -> int:
        return self.T + self.T // 10

    def sample(self, key: jax.Array) -> Sequence:
        k_cls, k_len, k_noise, k_target = jax.random.split(key, 4)
        class2 = jax.random.bernoulli(k_cls)
        n = jax.random.randint(k_len, (), self.T, self.max_len + 1)
        pos = jnp.arange(self.max_len)
        noise = self.noise_std * jax.random.normal(k_noise, (self.max_len,))
        signal = jnp.where(class2, -1.0, 1.0) + (noise if self.class_noise else 0.0)
        x = jnp.where(pos < self.N, signal, noise) * (pos < n)
        clean = jnp.where(class2, self.targets[1], self.targets[0])
        y = clean + self.target_std * jax.random.normal(k_target)
        end = (pos == n - 1).astype(jnp.float32)
        return Sequence(x=x[:, None], target=(y * end)[:, None], mask=end, judge=end, length=n)

    def clean_target(self, seq: Sequence) -> jax.Array:
        """(L, 1) noise-free targets; the same as ``seq.target`` except in 3c."""
        return seq.target


@dataclass(frozen=True)
class Task3b(Task3a):
    """As 3a, with noise (std √0.2) on the class-carrying first N elements too."""

    class_noise = True
    name = "exp3b"


@dataclass(frozen=True)
class Task3c(Task3a):
    """As 3a, with targets 0.2 / 0.8 and Gaussian target noise, std √0.1; judged against the noise-free target."""

    threshold = 0.1       # misclassified when |output − noise-free target| > 0.1 (Sec. 5.3)
    targets = (0.2, 0.8)
    target_std = math.sqrt(0.1)
    name = "exp3c"

    def clean_target(self, seq: Sequence) -> jax.Array:
        """(L, 1) noise-free targets at the judged step: 0.2 if the first input is +1 (class 1), else 0.8."""
        clean = jnp.where(seq.x[0, 0] > 0, self.targets[0], self.targets[1])
        return (clean * seq.judge)[:, None]
