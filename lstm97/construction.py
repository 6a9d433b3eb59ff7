"""Sequential network construction (Sec. 4 "abuse problem", used for exp 2a/2b; spec §1.7, §3).

The paper adds the memory cell and its input gate "once the error stops decreasing" and does not say how
that is decided. Here the cell exists from the start but the weights named in ``hold`` (the cell → output
weights) are held at zero, so the cell neither affects the outputs nor receives error, until the mean
training loss of a block of ``block`` sequences falls by less than ``min_drop`` (relative) below the previous
block's; then they train like every other weight, from ``outgoing`` (a reading, decision 4 revised): ``zero``
(Sec. 4: "setting the corresponding weights to zero"; the default) or ``initial``, their random initial
values (the old reading).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstm97.cells import Params
from lstm97.readings import legacy_repr


class GrowthState(NamedTuple):
    grown_at: jax.Array     # sequences presented when the cell was added; -1 before
    held: Params            # the initial values of the held weights
    loss_sum: jax.Array     # summed loss of the current block
    prev_mean: jax.Array    # mean loss of the previous block (inf before the first)


@dataclass(frozen=True)
class Construction:
    hold: tuple[str, ...] = ("w_out_c",)
    block: int = 100
    min_drop: float = 0.01
    outgoing: str = "zero"

    def __post_init__(self):
        if self.outgoing not in ("zero", "initial"):
            raise ValueError(f"Construction.outgoing must be 'zero' or 'initial', got {self.outgoing!r}")

    def __repr__(self) -> str:
        """The fingerprint's: ``initial`` prints as Construction did before the reading was a field."""
        return legacy_repr(self, {"outgoing": "initial"})

    def init(self, params: Params) -> tuple[Params, GrowthState]:
        held = {name: params[name] for name in self.hold}
        params = {**params, **{name: jnp.zeros_like(w) for name, w in held.items()}}
        return params, GrowthState(grown_at=jnp.int32(-1), held=held, loss_sum=jnp.float32(0.0),
                                   prev_mean=jnp.float32(jnp.inf))

    def update(self, state: GrowthState, params: Params, loss: jax.Array,
               seqs: jax.Array) -> tuple[Params, GrowthState]:
        """After the update on sequence number ``seqs``: keep held weights at zero, or add the cell."""
        waiting = state.grown_at < 0
        loss_sum = state.loss_sum + loss
        block_end = (seqs % self.block) == 0
        mean = loss_sum / self.block
        grow = waiting & block_end & (mean > (1.0 - self.min_drop) * state.prev_mean)
        start = (lambda name: 0.0) if self.outgoing == "zero" else (lambda name: state.held[name])
        params = {**params, **{name: jnp.where(grow, start(name), jnp.where(waiting, 0.0, params[name]))
                               for name in self.hold}}
        return params, GrowthState(
            grown_at=jnp.where(grow, seqs, state.grown_at), held=state.held,
            loss_sum=jnp.where(block_end, 0.0, loss_sum),
            prev_mean=jnp.where(block_end, mean, state.prev_mean))
