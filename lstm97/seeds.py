"""Run seeds: any integer in [0, 2⁶³), used whole.

``jax.random.PRNGKey(seed)`` keeps only the low 32 bits of a seed unless 64-bit mode is on, so seed 2³² would
silently give seed 0's trials. ``root_key`` builds the key from the seed's two 32-bit words (high, low), which
is what ``PRNGKey`` itself does in 64-bit mode: seeds below 2³² give exactly ``PRNGKey(seed)``, and every
number made under them is unchanged.
"""
from __future__ import annotations

import jax
import numpy as np

SEED_LIMIT = 2 ** 63            # seeds are integers in [0, SEED_LIMIT)


class SeedError(ValueError):
    """A seed outside [0, 2⁶³); the message is one line for the user."""


def check_seed(seed: object) -> int:
    """The seed as an int, or ``SeedError`` naming the allowed range."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise SeedError(f"a seed is an integer in [0, 2^63), got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < SEED_LIMIT:
        raise SeedError(f"a seed is an integer in [0, 2^63), got {seed}")
    return seed


def root_key(seed: int) -> jax.Array:
    """The raw uint32 key (high word, low word) of ``seed``; equals ``PRNGKey(seed)`` for seed < 2³²."""
    seed = check_seed(seed)
    return jax.numpy.asarray(np.array([seed >> 32, seed & 0xFFFFFFFF], dtype=np.uint32))
