"""Every paper row of ``experiments/`` against the paper's protocol as transcribed from spec.md
(``tests/paper_protocol.py``): identity, net, initialisation, learning rate, criterion numbers, trials, caps,
test sequences. A planted wrong setting fails here with a message naming the row and the field.

Only the *representation* (which dataclass field holds a number) is read from the code; every expected value
comes from ``paper_protocol.py``. The generators' behaviour (value ranges, positions, uniformity) is pinned by
``tests/test_generator_support.py``; the criteria's behaviour on known outputs by ``tests/test_outputs_known.py``.
"""
from __future__ import annotations

import math
import re

import jax
import numpy as np
import pytest

from lstm97.cells import SQUASH, LSTM1997, RNN1997, n_weights
from lstm97.registry import cell_name, make_cell
from experiments import get, paper
from lstm97.readings import PAPER
from tests import paper_protocol as spec

SPEC = spec.by_name()


def _code_rows():
    """Every paper row under the project's default readings: the spec's settings. (A row whose answer is a
    confirmed reading differs from these in that reading's fields only: tests/test_readings.py.)"""
    return [row for name in paper() for row in get(name).rows_under(PAPER)]


CODE_ROWS = _code_rows()


# ---------------------------------------------------------------- identity: which spec row a code row is

def identity(row) -> str | None:
    """The name of the spec row a code row reproduces (``PaperRow.name``); None for rows not trained."""
    if not row.run:
        return None
    t, lr = row.task, row.learning_rate
    task = row.task_name.removeprefix("exp")
    if row.experiment == "exp1":
        method, letters = "LSTM", {"blocks": row.arch.blocks, "size": row.arch.block_size, "lr": lr}
    elif row.experiment == "exp2":
        if isinstance(row.arch, LSTM1997):
            method = "LSTM"
            letters = {"q": t.q, "p": t.p} if task == "2c" else {"p": t.p}
        else:
            method = "BPTT" if "BPTT" in row.label else "RTRL"
            letters = {"p": t.p, "lr": lr}
    elif row.experiment == "exp3":
        method, letters = "LSTM", {"T": t.T, "N": t.N}
    elif row.experiment == "exp4":
        method, letters = "LSTM", {"T": t.T}
    elif row.experiment == "exp5":
        found = re.search(r"n_seq=(\d+)", row.label)
        method, letters = "LSTM", {"T": t.T, "n_seq": int(found.group(1)) if found else None}
    else:
        method, letters = "LSTM", {}
    joined = " ".join(f"{k}={v}" for k, v in letters.items())
    return f"{row.experiment} {task} {method} {joined}".strip()


def _pairs():
    """(spec row, code row) for every spec row; code row None when missing."""
    found = {}
    for row in CODE_ROWS:
        name = identity(row)
        if name is not None:
            found.setdefault(name, []).append(row)
    return found


FOUND = _pairs()


def test_every_trained_paper_row_is_a_row_of_the_spec_table_and_back():
    extra = sorted(set(FOUND) - set(SPEC))
    missing = sorted(set(SPEC) - set(FOUND))
    twice = sorted(name for name, rows in FOUND.items() if len(rows) > 1)
    assert not extra, f"rows of experiments/ that no paper row of spec.md matches: {extra}"
    assert not missing, f"paper rows of spec.md that experiments/ does not train: {missing}"
    assert not twice, f"paper rows trained twice: {twice}"


def test_rows_not_trained_are_only_the_quoted_competitors():
    for row in CODE_ROWS:
        if not row.run:
            method = next((m for _, m in spec.NOT_RUN if m in row.label.split()), None)
            assert (row.experiment, method) in spec.NOT_RUN, f"{row.job}: a paper row is not trained (run=False)"
    for row in CODE_ROWS:
        assert not row.pilot, f"{row.job}: a pilot among the paper rows (rows_under(PAPER))"


# ---------------------------------------------------------------- reading the code's representation

X = np.linspace(-6.0, 6.0, 49)
SQUASH_FORMULAS = {          # spec §1.2, from the text and the appendix (not the swapped legend)
    spec.G2: 4.0 / (1.0 + np.exp(-X)) - 2.0,
    spec.H1: 2.0 / (1.0 + np.exp(-X)) - 1.0,
    spec.G1: 1.0 / (1.0 + np.exp(-X)),
    spec.ID: X,
}


def squash_code(name: str) -> str:
    """Which of the paper's squashing functions the code's function is, by its values on [−6, 6]."""
    values = np.asarray(SQUASH[name](X), dtype=np.float64)
    for code, expected in SQUASH_FORMULAS.items():
        if np.allclose(values, expected, atol=1e-5):
            return code
    return f"unknown ({name}: f(−6, 0, 6) = {values[0]:.3f}, {values[24]:.3f}, {values[-1]:.3f})"


def net_fields(arch) -> dict:
    shapes = arch.shapes()
    if isinstance(arch, RNN1997):
        bias = "all" if arch.bias else "none"
        return {"kind": "rnn", "n_in": arch.n_in, "n_out": arch.n_out, "blocks": 0, "block_size": 0,
                "hidden": arch.n_hidden, "weights": n_weights(arch),
                "connectivity": "B" if shapes["w_out_x"][1] == arch.n_in else "F",
                "output_gate": False, "bias": bias, "in_gate_bias": None, "out_gate_bias": None,
                "init": arch.init_scale, "gradient": "truncated" if arch.truncated else "full",
                "recurrent": shapes["w_hidden_h"] == (arch.n_hidden, arch.n_hidden)}
    assert isinstance(arch, LSTM1997), f"unexpected architecture {type(arch).__name__}"
    bias = {(False, False, False): "none", (False, True, False): "ga", (True, True, False): "b1",
            (True, True, True): "all"}.get((arch.bias_cells, arch.bias_gates, arch.bias_out),
                                           f"cells={arch.bias_cells} gates={arch.bias_gates} out={arch.bias_out}")
    return {"kind": "lstm", "n_in": arch.n_in, "n_out": arch.n_out, "blocks": arch.blocks,
            "block_size": arch.block_size, "hidden": arch.n_hidden, "weights": n_weights(arch),
            "connectivity": arch.connectivity, "output_gate": arch.output_gate, "bias": bias,
            "in_gate_bias": arch.in_gate_bias, "out_gate_bias": arch.out_gate_bias,
            "g": squash_code(arch.g), "h": squash_code(arch.h), "init": arch.init_scale,
            "gradient": "truncated" if arch.truncated else "full"}


def expected_net(net: spec.PaperNet) -> dict:
    out = {k: getattr(net, k) for k in ("kind", "n_in", "n_out", "blocks", "block_size", "hidden", "weights",
                                         "connectivity", "output_gate", "bias", "in_gate_bias", "out_gate_bias",
                                         "init", "gradient")}
    if net.kind == "lstm":
        out.update(g=net.g, h=net.h)
    else:
        out["recurrent"] = True          # "one self-recurrent hidden unit"
    # a gate bias exists only where the gates are biased: "none" rows have no bias values
    return out


def criterion_numbers(row) -> dict:
    """The numbers of a row's stopping/success rule, as the code holds them."""
    c, t = row.criterion, row.task
    kind = type(c).__name__
    if kind == "ReberSets":
        from lstm97.tasks import exp1
        return {"set_size": exp1.SET_SIZE, "pairs": getattr(t, "variants", 1)}
    out = {"abs": t.threshold}
    if kind == "Streak":                         # 10,000 successive correct TRAINING sequences
        out.update(successive=c.window, frozen=False)
    elif kind == "FrozenTest":                   # 10,000 fresh sequences with the weights frozen
        out.update(successive=c.size, frozen=True)
    elif kind == "Recent":
        out.update(recent_window=c.window, fewer_wrong_than=c.fewer_wrong_than, mean_below=c.mean_below)
        if not (row.experiment == "exp5"):
            out["squared"] = c.squared
    elif kind == "TestSet":
        out.update(check_set=c.size, max_wrong=c.max_wrong, mean_below=c.mean_below,
                   set_fixed=getattr(c, "test_set", "fresh") == "fixed")
    else:
        out["kind"] = kind
    return out


def expected_criterion(paper: spec.PaperRow) -> dict:
    expected = dict(paper.criterion)
    expected.pop("sets", None)           # the train+test rule's behaviour: tests/test_outputs_known.py
    return expected


def task_fields(row) -> dict:
    """The generator's stated numbers that the code holds as fields (the rest: test_generator_support.py)."""
    t, name = row.task, row.task_name
    if name == "exp1":
        return {"symbols": t.n_in}
    if name in ("exp2a", "exp2b"):
        return {"p": t.p, "length": t.max_len}
    if name == "exp2c":
        return {"p": t.p, "q": t.q}
    if name.startswith("exp3"):
        return {"T": t.T, "N": t.N, "lengths": (t.T, t.max_len), "noise_var": round(t.noise_std ** 2, 12),
                "class_noise": t.class_noise, "targets": tuple(t.targets), "target_var": round(t.target_std ** 2, 12)}
    if name in ("exp4", "exp5"):
        return {"T": t.T, "lengths": (t.T, t.max_len), "first_x1": t.first_x1,
                "marked_first": getattr(t, "marked_first", "kept")}
    if name.startswith("exp6"):
        return {"relevant": tuple(tuple(r) for r in t.relevant), "lengths": (t.min_len, t.max_len),
                "classes": t.n_out}
    return {}


def _close(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def mismatches(paper: spec.PaperRow, row) -> list[str]:
    """'field: spec X, code Y' for every field where the code row differs from the spec row."""
    out = []

    def check(field, expected, got):
        if not _close(expected, got):
            out.append(f"{field}: spec {expected!r}, code {got!r}")

    got_net, want_net = net_fields(row.arch), expected_net(paper.net)
    for key, value in want_net.items():
        check(f"net.{key}", value, got_net.get(key))
    check("row.weights", paper.net.weights, row.weights)
    check("task.n_in (net and task agree)", paper.net.n_in, row.task.n_in)
    check("task.n_out (net and task agree)", paper.net.n_out, row.task.n_out)
    check("learning_rate", paper.learning_rate, row.learning_rate)
    check("trials", paper.trials, row.trials)
    check("updates (D2)", paper.updates, row.updates)
    growth = None if row.construction is None else \
        f"sequential, outgoing weights from {getattr(row.construction, 'outgoing', 'initial')}"
    check("construction (D4)", paper.construction, growth)
    check("test_sequences", paper.test_sequences, row.test_sequences)
    if paper.expected_cap is not None:
        check("cap (D16: 3 × the paper's mean, at most its own cap)", paper.expected_cap, row.cap)
    elif row.cap > paper.paper_cap:
        out.append(f"cap: above the paper's own cap {paper.paper_cap:,}: {row.cap:,}")
    elif row.cap < paper.paper_cap and f"{row.cap:,}" not in row.note:
        out.append(f"cap: {row.cap:,} below the paper's {paper.paper_cap:,} without saying so in the row's note")
    if paper.check_every_max is not None:
        if not row.chunk <= paper.check_every_max:
            out.append(f"chunk (D13, D14: test-set checks at least every 1 % of the paper's mean, "
                       f"≤ {paper.check_every_max:g}): code {row.chunk}")
    want_crit, got_crit = expected_criterion(paper), criterion_numbers(row)
    for key in sorted(set(want_crit) | set(got_crit)):
        check(f"criterion.{key}", want_crit.get(key), got_crit.get(key))
    got_task = task_fields(row)
    for key, value in got_task.items():
        assert key in paper.task_numbers, f"test bug: task field {key} not in the spec table"
        check(f"task.{key}", paper.task_numbers[key], value)
    ref = row.paper
    if paper.paper_pct is not None:
        check("paper.success_pct", float(paper.paper_pct), None if ref is None else ref.success_pct)
    check("paper.sequences", paper.paper_mean, None if ref is None else ref.sequences)
    for key, value in paper.refs.items():
        check(f"paper.{key}", value, getattr(ref, key, None))
    return out


@pytest.mark.parametrize("name", sorted(SPEC))
def test_row_matches_the_paper(name):
    paper = SPEC[name]
    rows = FOUND.get(name)
    assert rows, f"{name}: no row of experiments/ reproduces it"
    row = rows[0]
    wrong = mismatches(paper, row)
    assert not wrong, f"{row.job} ({name}) differs from spec.md:\n  " + "\n  ".join(wrong)


# ---------------------------------------------------------------- initial weights, drawn

def _layout(arch):
    """Per parameter name: (existing-weight mask, fixed values or NaN) from the spec's description of the net:
    hidden units stacked [cells, input gates, output gates] (cells.py's documented order)."""
    shapes = arch.shapes()
    masks = arch.masks()
    layout = {}
    for name, shape in shapes.items():
        exists = np.broadcast_to(np.asarray(masks[name], bool), shape) if name in masks else np.ones(shape, bool)
        layout[name] = (np.array(exists), np.full(shape, np.nan))
    return layout


INIT_DRAWS = 200     # keys per row: every parameter group gets ≥ 600 draws
# one row per kind of initialisation (the other rows' init fields are compared in test_row_matches_the_paper):
# gates-only biases with fixed output-gate biases, the RTRL net, connectivity B without output gate, no biases,
# cells+gates biased with both gate biases fixed, all units biased with input-gate biases fixed / all random
INIT_ROWS = ("exp1 1 LSTM blocks=4 size=1 lr=0.1", "exp2 2a RTRL p=4 lr=1.0", "exp2 2a LSTM p=100",
             "exp2 2c LSTM q=50 p=50", "exp3 3a LSTM T=100 N=3", "exp4 4 LSTM T=100", "exp5 5 LSTM T=100 n_seq=140",
             "exp6 6b LSTM")


@pytest.mark.parametrize("name", INIT_ROWS)
def test_initial_weights_follow_the_paper(name):
    """Every weight U[−a, a] (Table 11's interval), except the listed gate biases, which are exactly the
    paper's per block; weights that do not exist (no bias) stay 0. Over 200 initialisations each group of
    weights reaches within 5 % of both ends (false alarm ≤ 2 · 0.975^600 ≈ 5e-7 per group) and its mean is
    within 4.4 standard errors of 0 (two-sided false alarm 1e-5 per group)."""
    paper = SPEC[name]
    row = FOUND[name][0]
    arch, net = row.arch, paper.net
    a = net.init
    # keys of the "rbg" generator: the same uniform draws, compiled several times faster than threefry's
    keys = jax.random.split(jax.random.key(0, impl="rbg"), INIT_DRAWS)
    params = jax.jit(jax.vmap(make_cell(arch).init_params))(keys)
    params = {k: np.asarray(v, np.float64) for k, v in params.items()}
    layout = _layout(arch)
    problems = []
    fixed = {}
    if isinstance(arch, LSTM1997):
        C, B = arch.n_cells, arch.blocks
        if net.in_gate_bias is not None:
            fixed.update({C + j: v for j, v in enumerate(net.in_gate_bias)})
        if net.out_gate_bias is not None:
            fixed.update({C + B + j: v for j, v in enumerate(net.out_gate_bias)})
    for pname, (exists, _) in layout.items():
        values = params[pname]                               # (draws, *shape)
        if values.size == 0:
            continue
        random = np.broadcast_to(exists, values.shape[1:]).copy()
        if pname == "b_hidden":
            for unit, v in fixed.items():
                got = values[:, unit]
                if not np.all(got == v):
                    problems.append(f"{pname}[{unit}] (a fixed gate bias): spec {v}, code {np.unique(got)[:4]}")
                random[unit] = False
        absent = values[:, ~np.broadcast_to(exists, values.shape[1:])]
        if absent.size and np.any(absent != 0):
            problems.append(f"{pname}: weights that do not exist (no bias) are not 0")
        drawn = values[:, random].ravel()
        if drawn.size == 0:
            continue
        if drawn.min() < -a or drawn.max() > a:
            problems.append(f"{pname}: outside U[−{a}, {a}]: [{drawn.min():.4f}, {drawn.max():.4f}]")
        if drawn.min() > -0.95 * a or drawn.max() < 0.95 * a:
            problems.append(f"{pname}: does not reach both ends of U[−{a}, {a}]: [{drawn.min():.4f}, "
                            f"{drawn.max():.4f}]")
        se = a / math.sqrt(3 * drawn.size)                   # sd of U[−a, a] is a/√3
        if abs(drawn.mean()) > 4.42 * se:                    # 4.42 sd: two-sided false alarm 1e-5
            problems.append(f"{pname}: mean {drawn.mean():.4f} is not that of U[−{a}, {a}] (se {se:.5f})")
    # the random gate biases ("r") exist and are drawn like the other weights
    if isinstance(arch, LSTM1997) and net.bias in ("ga", "b1", "all"):
        C, B = arch.n_cells, arch.blocks
        for which, biases, start in (("input", net.in_gate_bias, C), ("output", net.out_gate_bias, C + B)):
            if biases is None and (which == "input" or net.output_gate):
                got = params["b_hidden"][:, start:start + B]
                if np.all(got == got[0]):
                    problems.append(f"{which}-gate biases: spec random ('r'), code fixed {got[0]}")
    assert not problems, f"{row.job} ({name}) initial weights:\n  " + "\n  ".join(problems)


def test_squashing_functions_are_the_papers():
    """spec §1.2: g2 = 4σ−2 ∈ [−2, 2], h1 = 2σ−1 ∈ [−1, 1] (not tanh), f = σ ∈ [0, 1]."""
    assert squash_code("g2") == spec.G2 and squash_code("h1") == spec.H1
    assert squash_code("logistic") == spec.G1 and squash_code("identity") == spec.ID
    assert math.isclose(float(SQUASH["h1"](np.float32(1.0))), 0.46211716, rel_tol=1e-5)   # tanh(1/2), not tanh(1)
    assert cell_name(LSTM1997(n_in=1, n_out=1, blocks=1, block_size=1)) == "lstm1997"
