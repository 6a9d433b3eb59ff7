"""The cells after 1997 against their equations (module docstring of lstm97/modern.py), on hand-set weights."""
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstm97.cells import LSTM1997, n_weights
from lstm97.registry import make_cell
from lstm97.modern import GRU, Elman, GatedLSTM, forget_gate_lstm, peephole_lstm, vanilla_lstm
from lstm97.engines import sequence_loss
from lstm97.tasks.base import Sequence


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _run(arch, params, xs):
    cell = make_cell(arch)
    params = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
    seq = Sequence(jnp.asarray(xs, jnp.float32), jnp.zeros((len(xs), arch.n_out)), jnp.zeros(len(xs)),
                   jnp.zeros(len(xs)), jnp.int32(len(xs)))
    carry, outs = cell.init_carry(), []
    drives = cell.embed(params, seq.x)
    for t in range(len(xs)):
        carry, out = cell.step(params, carry, jax.tree.map(lambda d: d[t], drives))
        outs.append(np.asarray(out))
    return carry, np.array(outs)


def test_forget_gate_lstm_one_cell_by_hand():
    """Gers et al. 2000: s(t) = φ s(t−1) + in g(net_c); one block of one cell, inputs only (no recurrence
    weights), g = 4σ−2, h = 2σ−1."""
    arch = GatedLSTM(n_in=1, n_out=1, blocks=1, forget_gate=True)
    w = {"w_hidden_x": [[0.5], [0.3], [-0.2], [0.8]],        # rows: cell, in gate, out gate, forget gate
         "w_hidden_h": np.zeros((4, 4)), "b_hidden": [0.0, 0.1, 0.2, 1.0], "w_peep": np.zeros((3, 0)),
         "w_out_c": [[1.5]], "w_out_x": np.zeros((1, 0)), "b_out": [0.0]}
    xs = [[1.0], [-2.0]]
    carry, outs = _run(arch, w, xs)
    s = 0.0
    for x in (1.0, -2.0):
        i, o, f = sig(0.3 * x + 0.1), sig(-0.2 * x + 0.2), sig(0.8 * x + 1.0)
        s = f * s + i * (4 * sig(0.5 * x) - 2)
        y = o * (2 * sig(s) - 1)
    assert np.allclose(carry.s, [s], atol=1e-6) and np.allclose(outs[-1], [sig(1.5 * y)], atol=1e-6)


def test_peepholes_see_the_old_state_for_in_and_forget_gates_and_the_new_one_for_the_output_gate():
    arch = GatedLSTM(n_in=1, n_out=1, blocks=1, forget_gate=True, peepholes=True)
    w = {"w_hidden_x": [[0.5], [0.3], [-0.2], [0.8]], "w_hidden_h": np.zeros((4, 4)),
         "b_hidden": [0.0, 0.1, 0.2, 1.0], "w_peep": [[0.7], [-0.4], [0.25]],     # rows: in, out, forget
         "w_out_c": [[1.5]], "w_out_x": np.zeros((1, 0)), "b_out": [0.0]}
    carry, outs = _run(arch, w, [[1.0], [-2.0], [0.5]])
    s = 0.0
    for x in (1.0, -2.0, 0.5):
        i, f = sig(0.3 * x + 0.1 + 0.7 * s), sig(0.8 * x + 1.0 + 0.25 * s)
        s = f * s + i * (4 * sig(0.5 * x) - 2)
        o = sig(-0.2 * x + 0.2 - 0.4 * s)
        y = o * (2 * sig(s) - 1)
    assert np.allclose(carry.s, [s], atol=1e-6) and np.allclose(outs[-1], [sig(1.5 * y)], atol=1e-6)


def test_vanilla_lstm_equations_of_greff_et_al():
    arch = vanilla_lstm(n_in=1, n_out=1, cells=1, bias_out=False)
    w = {"w_hidden_x": [[0.5], [0.3], [-0.2], [0.8]], "w_hidden_h": [[0.1], [-0.3], [0.2], [0.4]],
         "b_hidden": [0.05, 0.1, 0.2, 1.0], "w_peep": [[0.7], [-0.4], [0.25]],
         "w_out_c": [[1.5]], "w_out_x": np.zeros((1, 0)), "b_out": [0.0]}
    carry, outs = _run(arch, w, [[1.0], [-2.0]])
    c = y = 0.0
    for x in (1.0, -2.0):
        z = np.tanh(0.5 * x + 0.1 * y + 0.05)
        i = sig(0.3 * x - 0.3 * y + 0.1 + 0.7 * c)
        f = sig(0.8 * x + 0.4 * y + 1.0 + 0.25 * c)
        c = z * i + c * f
        o = sig(-0.2 * x + 0.2 * y + 0.2 - 0.4 * c)
        y = np.tanh(c) * o
    assert np.allclose(carry.s, [c], atol=1e-6) and np.allclose(carry.y, [y], atol=1e-6)
    assert np.allclose(outs[-1], [sig(1.5 * y)], atol=1e-6)


def test_gru_equations():
    arch = GRU(n_in=1, n_out=1, n_hidden=1)
    w = {"w_hidden_x": [[0.5], [0.3], [-0.7]], "w_hidden_h": [[0.2], [-0.1], [0.9]], "b_hidden": [0.1, 0.0, 0.2],
         "w_out_h": [[2.0]], "w_out_x": np.zeros((1, 0)), "b_out": [-0.5]}
    carry, outs = _run(arch, w, [[1.0], [0.5], [-1.0]])
    h = 0.0
    for x in (1.0, 0.5, -1.0):
        z, r = sig(0.5 * x + 0.2 * h + 0.1), sig(0.3 * x - 0.1 * h)
        cand = np.tanh(-0.7 * x + 0.9 * (r * h) + 0.2)
        h = (1 - z) * h + z * cand
    assert np.allclose(carry.y, [h], atol=1e-6) and np.allclose(outs[-1], [sig(2.0 * h - 0.5)], atol=1e-6)


def test_elman_equations():
    arch = Elman(n_in=1, n_out=1, n_hidden=1)
    w = {"w_hidden_x": [[0.5]], "w_hidden_h": [[0.9]], "b_hidden": [0.1], "w_out_h": [[2.0]],
         "w_out_x": np.zeros((1, 0)), "b_out": [-0.5]}
    carry, outs = _run(arch, w, [[1.0], [-1.0]])
    h = 0.0
    for x in (1.0, -1.0):
        h = np.tanh(0.5 * x + 0.9 * h + 0.1)
    assert np.allclose(carry.y, [h], atol=1e-6) and np.allclose(outs[-1], [sig(2.0 * h - 0.5)], atol=1e-6)


def test_without_forget_gate_and_peepholes_it_is_the_1997_cell():
    old = LSTM1997(n_in=3, n_out=2, blocks=2, block_size=2, bias_gates=True, init_scale=0.5)
    new = GatedLSTM(n_in=3, n_out=2, blocks=2, block_size=2, forget_gate=False, bias_gates=True, init_scale=0.5)
    params = make_cell(old).init_params(jax.random.PRNGKey(0))
    params["w_peep"] = jnp.zeros((3, 0))
    xs = jax.random.normal(jax.random.PRNGKey(1), (7, 3))
    seq = Sequence(xs, jnp.full((7, 2), 0.3), jnp.ones(7), jnp.ones(7), jnp.int32(7))
    (l_old, o_old), g_old = jax.value_and_grad(lambda p: sequence_loss(make_cell(old), p, seq), has_aux=True)(
        {k: v for k, v in params.items() if k != "w_peep"})
    (l_new, o_new), g_new = jax.value_and_grad(lambda p: sequence_loss(make_cell(new), p, seq), has_aux=True)(params)
    assert np.allclose(o_old, o_new, atol=1e-6)
    for key in g_old:
        assert np.allclose(g_old[key], g_new[key], atol=1e-6), key


@pytest.mark.parametrize("arch, weights", [
    # exp 4's net (93) with a forget gate per block: 10 hidden units, 10·2 + 10·10 + 10 biases + 4 + 1 = 135;
    # peepholes add 3 per cell (input, output and forget gate): 147
    (forget_gate_lstm(LSTM1997(2, 1, blocks=2, block_size=2, bias_cells=True, bias_gates=True, bias_out=True)), 135),
    (peephole_lstm(LSTM1997(2, 1, blocks=2, block_size=2, bias_cells=True, bias_gates=True, bias_out=True)), 147),
    (vanilla_lstm(2, 1, cells=4), 4 * 4 * (2 + 4 + 1) + 3 * 4 + 4 + 1),      # 4 gate/input rows, peepholes, out
    (GRU(2, 1, n_hidden=4), 3 * 4 * (2 + 4 + 1) + 4 + 1),
    (Elman(2, 1, n_hidden=8), 8 * (2 + 8 + 1) + 8 + 1),
])
def test_weight_counts(arch, weights):
    assert n_weights(arch) == weights


@pytest.mark.parametrize("arch", [
    forget_gate_lstm(LSTM1997(8, 2, blocks=2, block_size=1, symbolic=True)),
    peephole_lstm(LSTM1997(8, 2, blocks=2, block_size=1, symbolic=True)),
    vanilla_lstm(8, 2, cells=2, symbolic=True), GRU(8, 2, n_hidden=4, symbolic=True),
    Elman(8, 2, n_hidden=4, symbolic=True)])
def test_every_cell_trains_under_the_papers_protocol(arch):
    """The same trainer, task and criterion as the 1997 cell (issue 6's comparison runs on these)."""
    from lstm97.train import train_row
    from tests.test_train import TINY
    rows = train_row(TINY.scaled(arch=arch, cap=500, chunk=250, trials=2), seed=0)
    assert [r["cell"] for r in rows] == [rows[0]["cell"]] * 2 and all(r["presented"] > 0 for r in rows)


def test_comparison_rows_match_the_paper_nets_weight_counts():
    """Issue 6: every paper LSTM row × 6 cells × 4 rates; sizes chosen for the weight count closest to the
    paper net's."""
    from experiments.compare import CELLS, QUICK_ROWS, RATE_FACTORS, ROWS, is_long, paper_rows
    papers = paper_rows()
    ablations = [r for r in ROWS if "[" in r.label]
    long = [r.label for r in papers if is_long(r)]      # issue 17: T = 1000 or q >= 500 at one rate a cell
    assert long == ["2c q=500 p=500", "2c q=1000 p=1000", "2c q=1000 p=500", "2c q=1000 p=200", "2c q=1000 p=100",
                    "2c q=1000 p=50", "3a T=1000 N=3", "3b T=1000 N=1", "T=1000"]
    assert len(papers) == 31 and len(ROWS) == (31 - 9) * len(CELLS) * len(RATE_FACTORS) + 9 * len(CELLS) + len(
        ablations)
    # --quick: the first paper row of each task (11: exp1, 2a, 2b, 2c, 3a, 3b, 3c, 4, 5, 6a, 6b), every cell
    # at the paper's rate, and those rows' ablations, all of them rows of the full comparison
    quick_sources = {r.label.split(" | ")[0] for r in QUICK_ROWS}
    assert len(quick_sources) == len({(r.experiment, r.task_name) for r in papers}) == 11
    quick_ablations = [r for r in ablations if r.label.split(" | ")[0] in quick_sources]
    assert len(QUICK_ROWS) == 11 * len(CELLS) + len(quick_ablations)
    assert {r.label for r in QUICK_ROWS} <= {r.label for r in ROWS}
    assert all(r.label.endswith("lr x1") for r in QUICK_ROWS)
    kinds = {r.label.split("[")[1].split("]")[0] for r in ablations}
    assert kinds == {"full gradient", "no output gate", "per-step updates", "no input-gate bias", "forget bias 5"}
    variants = [r for r in ablations if "forget bias" in r.label]
    assert len(variants) == 7 * 3 and all(r.arch.forget_bias == 5.0 for r in variants)
    assert all(not r.arch.truncated for r in ablations if "full gradient" in r.label)
    per_step = {r.label.split(" | ")[0].split()[1] for r in ablations if "per-step" in r.label}
    assert per_step == {"LSTM", "2a", "2b"}          # the issue: exps 1, 2a and 2b
    by_label = {r.label: r for r in ROWS}
    exp4 = next(r for r in papers if r.experiment == "exp4" and r.label == "T=100")
    for kind in CELLS:
        row = by_label[f"exp4 T=100 | {kind} | lr x1"]
        assert row.learning_rate == exp4.learning_rate and row.criterion == exp4.criterion
        assert row.cap == exp4.cap and row.trials == 10 and row.task == exp4.task
        assert abs(row.weights - 93) <= 93 * 0.1, (kind, row.weights)        # 85-97 for the paper's 93
    assert by_label["exp4 T=100 | lstm1997 | lr x0.1"].learning_rate == 0.05
    assert [r.label.split(" | ")[2] for r in ROWS if r.label.startswith("exp2 2c q=1000 p=50 | ") and "[" not in
            r.label] == ["lr x3", "lr x1", "lr x1", "lr x1", "lr x1", "lr x1"]       # LONG_RATE: lstm1997 x3 on 2c


def test_the_comparison_compares_each_row_under_its_answer_at_3x_its_mean():
    """Issue 17: a paper row's comparison uses the reading that is its answer in the paper's tables (exp 3's
    confirmed readings; the defaults elsewhere), with the comparison's cap of 3x the paper's mean."""
    from experiments import get
    from experiments.compare import ROWS, answer, paper_rows
    from lstm97.readings import Reading
    papers = {f"{r.experiment} {r.label}": r for r in paper_rows()}
    answers = {f"{r.experiment} {r.label}": r for name in ("exp2", "exp3", "exp4", "exp5", "exp6")
               for r in get(name).rows}
    assert papers["exp3 3b T=100 N=1"].reading == Reading.of(st_check="1/10", st_test_set="fresh")
    assert papers["exp3 3c T=100 N=1"].reading == Reading.of(st_check="1/10")
    for name, row in papers.items():
        assert row.reading == answer(answers.get(name, row)) and row.reading["cap"] == "3x"
        assert row.cap == 3 * row.paper.sequences or row.experiment == "exp2", name
    assert answer(papers["exp4 T=100"].scaled(reading=Reading.of(cap="10x", out_init="zero"))) == Reading.of(
        out_init="zero")
    for row in ROWS:
        assert row.reading == papers[row.paper_row].reading and row.cap == papers[row.paper_row].cap, row.label


def test_exp2ab_comparison_grows_the_lstms_and_trains_the_gru_and_elman_net_whole():
    """Decision 4: exp 2a/2b add the memory cell once the error stops decreasing, holding its outgoing weights
    at 0 until then. Every LSTM of the comparison has those weights and is grown so; the GRU and the Elman net
    have no memory cell to add and train whole from the start (each of their jobs starts: init runs)."""
    from experiments.compare import ROWS
    from lstm97.train import make_train, trial_keys
    rows = [r for r in ROWS if r.paper_row in ("exp2 2a LSTM p=100", "exp2 2b LSTM p=100")]
    assert len(rows) == 50
    for row in rows:
        memoryless = row.cell in ("gru", "elman")
        assert (row.construction is None) == memoryless, row.label
        assert ("no memory cell to add" in row.note) == memoryless, row.label
        if row.rate_factor == 1.0:
            jax.eval_shape(jax.vmap(make_train(row).init), trial_keys(row, 0, 2), jnp.arange(2))


def test_the_long_rows_one_rate_is_the_best_on_the_tasks_shorter_rows():
    """LONG_RATE, declared from the comparison under the earlier readings (results/compare/before/): each
    cell's factor with the most successes over its task's shorter rows, x1 where it never succeeded."""
    import pandas as pd
    from experiments.compare import CELLS, LONG_RATE, RATE_FACTORS, _rows, before_rows, is_long, paper_rows
    from lstm97.readings import BEFORE
    before = pd.read_csv("results/compare/before/summary.csv").set_index("row")
    assert sorted(r.label for r in before_rows()) == sorted(before.index) and len(before) == 799
    rows = [r for r in _rows(sources=paper_rows(BEFORE)) if not is_long(r)]
    tasks = {r.task_name for r in paper_rows() if is_long(r)}
    assert tasks == {"exp2c", "exp3a", "exp3b", "exp4"}
    for task in tasks:
        for kind in CELLS:
            wins = {f: sum(int(before.at[r.label, "successes"]) for r in rows if r.task_name == task and
                           r.cell == kind and r.rate_factor == f) for f in RATE_FACTORS}
            best = max(RATE_FACTORS, key=lambda f: (wins[f], f == 1.0)) if any(wins.values()) else 1.0
            assert LONG_RATE.get((task, kind), 1.0) == best, (task, kind, wins)


def test_gate_trace_follows_a_jobs_own_trials():
    """The comparison's gate diagnostic: gated LSTMs only; gates are activations in (0, 1), and the peephole
    columns are empty for a net without peepholes."""
    from experiments.compare import ROWS
    from lstm97.diagnostics import gate_trace
    row = next(r for r in ROWS if r.label == "exp3 3a T=100 N=3 | peephole_lstm [forget bias 5] | lr x1")
    table = gate_trace(row.scaled(chunk=20), trials=2, sequences=40, points=2, probes=4).splitlines()
    lines = [line.split(" | ") for line in table if line.startswith("| 2") or line.startswith("| 4")]
    assert [(line[0], line[1]) for line in lines] == [("| 20", "0"), ("| 20", "1"), ("| 40", "0"), ("| 40", "1")]
    for line in lines:
        error, s, out, *gates = map(float, line[2:8])
        assert 0 <= error <= 1 and s >= 0 and 0 <= out <= 1
        assert all(0 < g < 1 for g in gates) and gates[2] > 0.9                    # forget bias +5: σ(5) ≈ 0.993
        assert all(float(p) >= 0 for p in line[8:11])
    forget = next(r for r in ROWS if r.label == "exp3 3a T=100 N=3 | forget_lstm [forget bias 5] | lr x1")
    assert gate_trace(forget.scaled(chunk=20), trials=1, sequences=20, points=1, probes=2).splitlines()[-1].split(
        " | ")[8:11] == ["–", "–", "–"]
    with pytest.raises(ValueError, match="not a gated LSTM"):
        gate_trace(next(r for r in ROWS if "| gru |" in r.label))
    with pytest.raises(ValueError, match="trials must be 1 to the job's 10"):
        gate_trace(row, trials=11)
    # the columns are the right gates: input gates started at bias −4 (σ ≈ 0.018), output gates at +2 (0.88)
    B = forget.arch.blocks
    biased = forget.scaled(chunk=1, arch=replace(forget.arch, in_gate_bias=(-4.0,) * B, out_gate_bias=(2.0,) * B))
    line = gate_trace(biased, trials=1, sequences=1, points=1, probes=8).splitlines()[-1].split(" | ")
    input_gate, output_gate, forget_gate = map(float, line[5:8])
    assert input_gate < 0.05 and 0.75 < output_gate < 0.95 and forget_gate > 0.98
