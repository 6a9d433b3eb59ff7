"""The paper's forward-mode learning rule (Appendix A.1): sensitivities carried forward in time.

Source: spec §1.5, eqs. 25–27; decision 2 (per-step updates are the option for exps 1, 2a, 2b).

For a carry part r that carries gradient through time (the cell states s for the truncated 1997 LSTM,
where ∂s(t)/∂s(t−1) = 1; the hidden activations for the RTRL net), the sensitivities P(t) = ∂r(t)/∂w obey
    P(t) = ∂r(t)/∂w|_(t) + ∂r(t)/∂r(t−1) · P(t−1)
and the error of step t reaches every weight as
    ∇_w E(t) = ∂E(t)/∂w|_(t) + ∂E(t)/∂r(t−1) · P(t−1),
where |_(t) is the derivative through step t alone (the cell's own ``step``). Storage is independent of the
sequence length, and the weights may change after every step ("on-line", as RTRL does). With one update
per sequence the summed contributions equal ``jax.grad`` of the scanned loss (tested).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from lstm97.cells import LSTM1997, Carry, Cell, Params, RNN1997
from lstm97.tasks.base import Sequence


def gradient_fields(arch: Any) -> tuple[str, ...]:
    """The carry fields through which errors flow back in time."""
    if isinstance(arch, LSTM1997):
        return ("s",) if arch.truncated else ("s", "y")
    if isinstance(arch, RNN1997):
        return ("y",) if not arch.truncated else ()
    raise TypeError(f"no forward-mode rule for {type(arch).__name__}")


def _contract(a: jax.Array, tree: Params) -> Params:
    """a (…, R) times every leaf of a tree with leading axis R."""
    return jax.tree.map(lambda leaf: jnp.tensordot(a, leaf, axes=1), tree)


def make_forward_mode(cell: Cell, arch: Any, optimiser, per_step: bool):
    """``run(params, opt_state, seq) -> (params, opt_state, loss, outputs, summed gradient)``: one training
    sequence under the forward-mode rule, updating after every step (``per_step``) or once with the summed
    gradient (the summed gradient is returned only in that case; per step it stays zero)."""
    fields = gradient_fields(arch)

    def split(carry: Carry) -> jax.Array:
        return jnp.concatenate([getattr(carry, f) for f in fields]) if fields else jnp.zeros(0)

    def join(carry: Carry, r: jax.Array) -> Carry:
        parts, start = {}, 0
        for f in fields:
            n = getattr(carry, f).shape[0]
            parts[f] = r[start:start + n]
            start += n
        return carry._replace(**parts)

    def one_step(params: Params, carry: Carry, r_prev: jax.Array, x, target, mask):
        drive = jax.tree.map(lambda a: a[0], cell.embed(params, x[None]))
        new_carry, out = cell.step(params, join(carry, r_prev), drive)
        loss = 0.5 * mask * jnp.sum((target - out) ** 2)
        return jnp.concatenate([split(new_carry), loss[None]]), (new_carry, out, loss)

    def step(state, inputs):
        params, opt_state, carry, P, grad_sum = state
        x, target, mask = inputs
        r_prev = split(carry)
        jac, (new_carry, out, loss) = jax.jacrev(one_step, argnums=(0, 2), has_aux=True)(
            params, carry, r_prev, x, target, mask)
        j_w, j_r = jac                                  # rows: r(t) entries, then E(t)
        P_new = jax.tree.map(lambda d, h: d[:-1] + h, j_w, _contract(j_r[:-1], P))
        grad = jax.tree.map(lambda d, h: d[-1] + h, j_w, _contract(j_r[-1], P))
        if per_step:
            updates, opt_state = optimiser.update(grad, opt_state, params)
            params = jax.tree.map(jnp.add, params, updates)
        else:
            grad_sum = jax.tree.map(jnp.add, grad_sum, grad)
        return (params, opt_state, new_carry, P_new, grad_sum), (out, loss)

    def run(params: Params, opt_state, seq: Sequence):
        carry = cell.init_carry()
        R = split(carry).shape[0]
        P = jax.tree.map(lambda w: jnp.zeros((R,) + w.shape, w.dtype), params)
        zeros = jax.tree.map(jnp.zeros_like, params)
        (params, opt_state, _, _, grad_sum), (outputs, losses) = jax.lax.scan(
            step, (params, opt_state, carry, P, zeros), (seq.x, seq.target, seq.mask))
        if not per_step:
            updates, opt_state = optimiser.update(grad_sum, opt_state, params)
            params = jax.tree.map(jnp.add, params, updates)
        return params, opt_state, losses.sum(), outputs, grad_sum

    return run
