"""The paper's stopping and success rules, judged on the training stream as it runs.

Source: Table 11 and Sec. 5.2 (``spec.md`` §3, §8); decisions 13 and 16.

``Streak(window)`` is exp 2's rule: the trial succeeds once ``window`` successive training sequences are
correct (ABS(β) per sequence, ``tasks.base.judge``). Its "sequences to success" is the number of training
sequences presented *before* that run of correct sequences began: counting the confirmation window too
would put every trial at ≥ 10,000, while the paper reports 5,040 for 2a (docs/deviations.md). For comparison
it also records ``learned_at``, the start of the first run of window/10 correct sequences. A trial whose
successful run has not begun after ``cap`` sequences has failed, so a trial presents at most cap + window.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp


class StreakState(NamedTuple):
    streak: jax.Array       # successive correct sequences up to now
    success_at: jax.Array   # sequences before the successful run began; -1 while none
    learned_at: jax.Array   # sequences before the first run of window/10 correct began; -1 while none


@dataclass(frozen=True)
class Streak:
    window: int = 10_000    # "10,000 successive randomly chosen sequences" (Sec. 5.2)

    def init(self) -> StreakState:
        return StreakState(streak=jnp.int32(0), success_at=jnp.int32(-1), learned_at=jnp.int32(-1))

    def update(self, state: StreakState, seqs: jax.Array, correct: jax.Array) -> StreakState:
        """``seqs`` counts the sequences presented including the one just judged."""
        streak = jnp.where(correct, state.streak + 1, 0)
        newly = (streak >= self.window) & (state.success_at < 0)
        learned = (streak >= max(self.window // 10, 1)) & (state.learned_at < 0)
        return StreakState(streak=streak, success_at=jnp.where(newly, seqs - streak, state.success_at),
                           learned_at=jnp.where(learned, seqs - streak, state.learned_at))

    def failed(self, state: StreakState, seqs: jax.Array, cap: int) -> jax.Array:
        """True once success can no longer start within the cap."""
        return (state.success_at < 0) & (seqs - state.streak >= cap)
