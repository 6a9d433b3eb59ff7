"""Internal state drift at initialisation (spec §1.7): where the cell state sits when the target arrives.

If |s| is large at the target step, h'(s) ≈ 0 and no error reaches the cell input or input gate: the
trial cannot start learning. ``python -m lstm97.diagnostics exp2`` prints, for each exp 2c row, the median
|s| at the target step over the row's initial nets (one fresh sequence each) and the fraction of nets whose
h'(s) exceeds 0.05 (h' ≤ 0.5 everywhere).
"""
from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np

from lstm97.cells import SQUASH, make_cell
from lstm97.config import Row
from lstm97.train import trial_keys


def state_at_target(row: Row, seed: int = 0, trials: int | None = None) -> np.ndarray:
    """Cell states (trials, cells) at the last target step of one fresh sequence, for the initial nets."""
    cell = make_cell(row.arch)

    def one(key: jax.Array) -> jax.Array:
        k_init, k_stream = jax.random.split(key)
        params = cell.init_params(k_init)
        seq = row.task.sample(jax.random.split(k_stream)[1])
        _, states = jax.lax.scan(lambda c, d: (cell.step(params, c, d)[0],) * 2, cell.init_carry(),
                                 cell.embed(params, seq.x))
        last = jnp.max(jnp.where(seq.mask > 0, jnp.arange(len(seq.mask)), -1))
        return states.s[last]

    return np.asarray(jax.vmap(one)(trial_keys(row, seed, trials or row.trials)))


def drift_table(rows: tuple[Row, ...]) -> str:
    lines = ["| row | median abs(s) at target | nets with h'(s) > 0.05 |", "|---|---|---|"]
    for row in rows:
        s = state_at_target(row)
        h_prime = np.asarray(jax.vmap(jax.grad(SQUASH[row.arch.h]))(jnp.asarray(s.ravel())))
        lines.append(f"| {row.label} | {np.median(np.abs(s)):.1f} | {(h_prime > 0.05).mean():.0%} |")
    return "\n".join(lines)


if __name__ == "__main__":
    from lstm97.experiments import rows_of
    experiment = sys.argv[1] if len(sys.argv) > 1 else "exp2"
    print(drift_table(tuple(r for r in rows_of(experiment) if r.run and r.task_name == "exp2c")))
