"""An independent float64 numpy implementation of the paper's truncated learning rule (Appendix A.1).

Written unit by unit from the paper's equations, not from lstm97's code: the partials ∂s/∂w of cell and
input-gate weights are carried forward in time (eqs. 25, 27), errors are the deltas of eqs. 19–23, and each
weight's gradient is the sum of its contributions over all time steps. With ``hidden_order="in_place"`` (a
reading) the cells' net inputs read this step's gate activations. Returns the gradient of
E = ½ Σ_t mask_t Σ_k (t_k − y_k)² (the update is −α times it).
"""
from __future__ import annotations

import numpy as np


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


SQUASH = {  # name -> (function, derivative)
    "logistic": (_sig, lambda x: _sig(x) * (1 - _sig(x))),
    "g2": (lambda x: 4 * _sig(x) - 2, lambda x: 4 * _sig(x) * (1 - _sig(x))),
    "h1": (lambda x: 2 * _sig(x) - 1, lambda x: 2 * _sig(x) * (1 - _sig(x))),
    "identity": (lambda x: x, lambda x: np.ones_like(x)),
}


def truncated_gradient(arch, params: dict, xs: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> dict:
    """xs: (L, n_in) dense inputs (one-hot rows for symbols)."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    C, B, S = arch.blocks * arch.block_size, arch.blocks, arch.block_size
    og = arch.output_gate
    H = C + B * (2 if og else 1)
    R = H if arch.connectivity == "F" else 0
    g, dg = SQUASH[arch.g]
    h, dh = SQUASH[arch.h]
    f, df = SQUASH["logistic"]
    b_hidden_mask = np.array([arch.bias_cells] * C + [arch.bias_gates] * (H - C), dtype=float)
    b_out_mask = np.full(arch.n_out, float(arch.bias_out))
    I = arch.n_in
    in_place = getattr(arch, "hidden_order", "previous") == "in_place" and R > 0

    # one matrix per layer, columns = sources: [inputs, recurrent hidden units, constant 1]
    W = np.hstack([p["w_hidden_x"], p["w_hidden_h"], (p["b_hidden"] * b_hidden_mask)[:, None]])
    out_x = arch.connectivity == "B"
    V = np.hstack([p["w_out_c"], p["w_out_x"] if out_x else np.zeros((arch.n_out, 0)),
                   (p["b_out"] * b_out_mask)[:, None]])
    dW, dV = np.zeros_like(W), np.zeros_like(V)

    s = np.zeros(C)
    y_prev = np.zeros(H)
    ds_dw_cell = np.zeros((C, W.shape[1]))     # ∂s_v/∂w_{c_v, m}
    ds_dw_in = np.zeros((C, W.shape[1]))       # ∂s_v/∂w_{in_j, m}, j the block of v
    for t in range(len(xs)):
        src = np.concatenate([xs[t], y_prev[:R], [1.0]])
        net = W @ src
        net_c, net_in = net[:C], net[C:C + B]
        net_out = net[C + B:] if og else None
        y_in = f(net_in)
        y_out = f(net_out) if og else np.ones(B)
        src_c = src
        if in_place:                        # the cells' sources: this step's gate activations
            src_c = src.copy()
            src_c[I + C:I + H] = np.concatenate([y_in] + ([y_out] if og else []))
            net_c = W[:C] @ src_c
        for v in range(C):
            j = v // S
            ds_dw_cell[v] += dg(net_c[v]) * y_in[j] * src_c                # eq. 27
            ds_dw_in[v] += g(net_c[v]) * df(net_in[j]) * src               # eq. 25
            s[v] += y_in[j] * g(net_c[v])
        y_c = np.array([y_out[v // S] * h(s[v]) for v in range(C)])
        out_src = np.concatenate([y_c, xs[t] if out_x else [], [1.0]])
        net_k = V @ out_src
        y_k = f(net_k)
        if mask[t] > 0:
            e_k = mask[t] * df(net_k) * (targets[t] - y_k)                # eq. 19
            dV -= np.outer(e_k, out_src)
            back = V[:, :C].T @ e_k                                        # Σ_k w_{k c_v} e_k
            for j in range(B):
                cells = range(j * S, (j + 1) * S)
                if og:
                    e_out = df(net_out[j]) * sum(h(s[v]) * back[v] for v in cells)   # eq. 21
                    dW[C + B + j] -= e_out * src
                for v in cells:
                    e_s = y_out[j] * dh(s[v]) * back[v]                    # eq. 23
                    dW[v] -= e_s * ds_dw_cell[v]
                    dW[C + j] -= e_s * ds_dw_in[v]
        y_prev = np.concatenate([y_c, y_in] + ([y_out] if og else []))

    return {"w_hidden_x": dW[:, :I], "w_hidden_h": dW[:, I:I + R], "b_hidden": dW[:, -1] * b_hidden_mask,
            "w_out_c": dV[:, :C], "w_out_x": dV[:, C:C + (I if out_x else 0)], "b_out": dV[:, -1] * b_out_mask}
