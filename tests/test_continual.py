"""The continual embedded Reber grammar (Gers et al. 2000, spec §11): the stream, its targets, the net's weight
count, the forward truncated gradient against jax.grad through the scan, and the protocol's bookkeeping."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from jax.flatten_util import ravel_pytree

from lstm97.__main__ import main
from lstm97.cells import n_weights
from lstm97.registry import make_cell
from lstm97 import continual
from lstm97.continual import (GOOD_LENGTH, SEED_STREAM, ContinualRow, cerg_net, make_rtrl, outcome, run_row,
                              stream_outputs)
from lstm97.tasks.cerg import legal_target, stream_next, stream_start, stream_symbols
from lstm97.modern import GatedLSTM
from tests.test_tasks_later import NAMES, _successors, accepted


def _split(stream: str) -> tuple[list[str], str]:
    """Complete embedded strings of a stream (each ends at an outer E: the E two symbols after the inner E),
    and the unfinished rest."""
    strings, start, i = [], 0, 0
    while i < len(stream):
        if stream[i] == "E" and i + 2 < len(stream) and stream[i + 2] == "E" and stream[i + 1] in "TP" \
                and i + 3 <= len(stream):
            strings.append(stream[start:i + 3])
            start = i = i + 3
            continue
        i += 1
    return strings, stream[start:]


def test_the_stream_is_embedded_reber_strings_back_to_back():
    stream = "".join(NAMES[s] for s in stream_symbols(jax.random.PRNGKey(3), 3000))
    strings, rest = _split(stream)
    assert len(strings) > 150                          # 12 symbols per string on average (spec §2)
    assert all(accepted(s) for s in strings), [s for s in strings if not accepted(s)][:3]
    assert "".join(strings) + rest == stream
    assert abs(np.mean([len(s) for s in strings]) - 12.0) < 1.0
    assert {s[1] for s in strings} == {"T", "P"}


def test_targets_are_the_legal_successors_and_the_next_symbol_is_among_them():
    gen = stream_start(jax.random.PRNGKey(1))
    text, checked = "", 0
    for _ in range(400):
        target = np.asarray(legal_target(gen))
        text += NAMES[int(gen.sym)]
        nxt = stream_next(gen)
        assert target[int(nxt.sym)] == 1.0
        # within a string the independent reading's legal set; after the outer E only B
        strings, rest = _split(text)
        if rest:
            expected = _successors(rest)
            assert {NAMES[k] for k in np.flatnonzero(target)} == expected, (rest, target)
            checked += 1
        else:
            assert np.flatnonzero(target).tolist() == [NAMES.index("B")]
        assert bool(nxt.starts) == (rest == "")
        gen = nxt
    assert checked > 300


def test_gers_net_has_424_weights_and_360_without_forget_gates():
    # spec §11: cells 7·8 + 8·8, gates 12·(7 + 8 + 1), outputs 7·(8 + 7 + 1)
    assert n_weights(cerg_net(True)) == 7 * 8 + 8 * 8 + 12 * (7 + 8 + 1) + 7 * (8 + 7 + 1) == 424
    assert n_weights(cerg_net(False)) == 424 - 4 * (7 + 8 + 1) == 360
    params = make_cell(cerg_net(True)).init_params(jax.random.PRNGKey(0))
    np.testing.assert_allclose(params["b_hidden"][8:12], [-0.5, -1.0, -1.5, -2.0])     # input gates
    np.testing.assert_allclose(params["b_hidden"][12:16], [-0.5, -1.0, -1.5, -2.0])    # output gates
    np.testing.assert_allclose(params["b_hidden"][16:20], [0.5, 1.0, 1.5, 2.0])        # forget gates
    assert np.all(params["b_hidden"][:8] == 0)                                           # cells unbiased


@pytest.mark.parametrize("arch, generic", [(cerg_net(True), False), (cerg_net(False), False),
                                           (cerg_net(True), True),
                                           (GatedLSTM(n_in=7, n_out=7, blocks=2, block_size=2, peepholes=True,
                                                      init_scale=0.5, symbolic=True), False)],
                         ids=["forget", "no-forget", "forget-jacobian", "peepholes-jacobian"])
def test_forward_truncated_gradient_equals_jax_grad_through_the_truncated_scan(arch, generic):
    """Σ_t of the online gradients with the weights held fixed = the gradient of Σ_t E(t) through the scan
    (the 1997 truncation: stop_gradient on y(t−1)); the written-out rule and the Jacobian one alike."""
    cell = make_cell(arch)
    rtrl = make_rtrl(arch, generic=generic)
    w = ravel_pytree(cell.init_params(jax.random.PRNGKey(7)))[0]
    w = w + 0.3 * jax.random.normal(jax.random.PRNGKey(8), w.shape)      # gates away from their initial biases
    syms = jnp.asarray(stream_symbols(jax.random.PRNGKey(9), 20))
    targets = jax.random.uniform(jax.random.PRNGKey(10), (20, 7))

    carry, sens, total = cell.init_carry(), rtrl.init_sens(), jnp.zeros(rtrl.size)
    outs = []
    for t in range(20):
        carry, out, grad, sens = rtrl.step(w, carry, sens, syms[t], targets[t])
        total, outs = total + grad, outs + [out]

    def through_scan(w_):
        params = rtrl.unravel(w_)
        drives = cell.embed(params, syms)
        final, outs = jax.lax.scan(lambda c, d: cell.step(params, c, d), cell.init_carry(), drives)
        return 0.5 * jnp.sum((targets - outs) ** 2), (final.s, outs)

    expected = jax.grad(lambda w_: through_scan(w_)[0])(w)
    np.testing.assert_allclose(total, expected, rtol=2e-4, atol=2e-6)
    np.testing.assert_allclose(np.array(outs), through_scan(w)[1][1], rtol=1e-5, atol=1e-6)
    if generic or arch.peepholes:       # the Jacobian form keeps S = ds(t)/dw itself
        np.testing.assert_allclose(sens, jax.jacrev(lambda w_: through_scan(w_)[1][0])(w), rtol=2e-4, atol=2e-6)
    assert float(jnp.abs(expected).max()) > 1e-3                       # not a vacuous comparison


def test_state_decay_scales_the_state_and_its_sensitivities():
    """With state decay d the online gradients (starting_carry, then the written-out step) sum to jax.grad
    through a truncated scan in which s(t−1) is multiplied by d before every step."""
    row = ContinualRow("t", cerg_net(False), state_decay=0.9)
    cell, rtrl = make_cell(row.arch), make_rtrl(row.arch)
    w = ravel_pytree(cell.init_params(jax.random.PRNGKey(7)))[0]
    w = w + 0.3 * jax.random.normal(jax.random.PRNGKey(8), w.shape)
    syms = jnp.asarray(stream_symbols(jax.random.PRNGKey(9), 20))
    targets = jax.random.uniform(jax.random.PRNGKey(10), (20, 7))
    gen, zero = stream_start(jax.random.PRNGKey(9)), cell.init_carry()
    carry, sens, total = zero, rtrl.init_sens(), jnp.zeros(rtrl.size)
    for t in range(20):
        carry, sens = continual.starting_carry(row, gen, carry, sens, zero)
        carry, _, grad, sens = rtrl.step(w, carry, sens, syms[t], targets[t])
        total, gen = total + grad, stream_next(gen)

    def through_scan(w_):
        params = rtrl.unravel(w_)
        step = lambda c, d: cell.step(params, c._replace(s=0.9 * c.s), d)                   # noqa: E731
        _, outs = jax.lax.scan(step, cell.init_carry(), cell.embed(params, syms))
        return 0.5 * jnp.sum((targets - outs) ** 2)

    np.testing.assert_allclose(total, jax.grad(through_scan)(w), rtol=2e-4, atol=2e-6)
    with pytest.raises(ValueError, match="state decay"):
        ContinualRow("t", cerg_net(False), state_decay=1.5)


def test_the_full_gradient_is_refused():
    with pytest.raises(ValueError, match="truncated"):
        make_rtrl(GatedLSTM(n_in=7, n_out=7, blocks=1, truncated=False, symbolic=True))


def test_outcome_classes():
    assert outcome(50.0, True) == "perfect"
    assert outcome(GOOD_LENGTH + 0.5, False) == "good"
    assert outcome(GOOD_LENGTH, False) == "rest"                       # "good": above 1,000


def test_protocol_bookkeeping_and_determinism():
    row = ContinualRow("t", cerg_net(True), nets=3, max_streams=30, train_len=200, test_streams=2, test_len=50,
                       chunk=200)
    first = run_row(row, seed=1)
    again = run_row(row, seed=1)
    drop = lambda nets: [{k: v for k, v in n.items() if k != "wall_s"} for n in nets]   # noqa: E731
    assert drop(first) == drop(again)
    for net in first:
        assert net["outcome"] in ("perfect", "good", "rest", "diverged")
        assert len(net["test_lengths"]) == 2 and all(0 <= x <= 50 for x in net["test_lengths"])
        if net["solved"]:
            assert net["test_lengths"] == [50, 50] and 1 <= net["streams_to_solution"] <= 30
        else:
            assert net["streams"] == 30
        assert net["symbols_trained"] >= net["streams"]                # at least one symbol per stream
        assert net["ticks"] >= net["symbols_trained"]


def test_a_symbol_budget_stops_every_net():
    row = ContinualRow("t", cerg_net(False), nets=2, max_streams=10 ** 6, test_len=50, max_ticks=300, chunk=100)
    for net in run_row(row, seed=0):
        assert net["ticks"] == 300
        assert net["outcome"] == outcome(float(np.mean(net["test_lengths"])), net["solved"])


@pytest.mark.parametrize("tolerance, expected", [
    # every prediction right: the first training stream runs to train_len, both test streams to test_len
    (1.0, dict(solved=True, streams_to_solution=1, streams=1, symbols_trained=7, ticks=7 + 2 * 3,
               test_lengths=[3, 3], outcome="perfect")),
    # every prediction wrong: each stream ends at its first symbol, 3 training streams, 3 tests of 2 symbols
    (0.0, dict(solved=False, streams_to_solution=-1, streams=3, symbols_trained=3, ticks=3 + 3 * 2,
               test_lengths=[0, 0], outcome="rest")),
])
def test_exact_counts_of_the_protocol(monkeypatch, tolerance, expected):
    monkeypatch.setattr(continual, "TOLERANCE", tolerance)
    row = ContinualRow("t", cerg_net(True), nets=2, max_streams=3, train_len=7, test_streams=2, test_len=3,
                       chunk=20)
    for net in run_row(row, seed=0):
        assert {k: net[k] for k in expected} == expected


def test_test_streams_are_fixed_and_judged_from_the_net_outputs():
    """A net that barely learns (rate 1e-30) reports, for its last test, the error-free prefix of each test
    stream fold_in(test_key, i) that stream_outputs gives for its initial weights."""
    row = ContinualRow("t", cerg_net(False), learning_rate=1e-30, nets=2, max_streams=2, test_streams=2,
                       test_len=400, chunk=100)
    got = run_row(row, seed=3)
    keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(3), SEED_STREAM), 2)
    for net, key in zip(got, keys):
        k_init, _, k_test = jax.random.split(key, 3)
        w = ravel_pytree(make_cell(row.arch).init_params(k_init))[0]
        lengths = []
        for i in range(2):
            outs, targets, _ = stream_outputs(row, w, jax.random.fold_in(k_test, i), 400)
            right = np.all(np.abs(outs - targets) < continual.TOLERANCE, axis=1)
            lengths.append(int(np.argmin(right)) if not right.all() else 400)
        assert net["test_lengths"] == lengths


@pytest.mark.parametrize("reset", [True, False])
def test_external_reset_starts_every_string_from_a_zero_state(reset):
    """With external resets every string's B meets the state of the stream's very first B, so its outputs are
    those of the first step; without, the state carries over from the previous string."""
    row = ContinualRow("t", cerg_net(False), reset_strings=reset)
    w = ravel_pytree(make_cell(row.arch).init_params(jax.random.PRNGKey(0)))[0]
    outs, _, starts = stream_outputs(row, w, jax.random.PRNGKey(4), 200)
    assert starts[0] and starts.sum() > 8
    same = [np.allclose(outs[t], outs[0], atol=1e-6) for t in np.flatnonzero(starts)]
    assert all(same) if reset else not any(same[1:])


@pytest.mark.parametrize("argv, message", [
    (["run", "exp2", "--streams", "10"], "cerg only"),
    (["run", "cerg", "--streams", "0"], "positive integer"),
    (["run", "cerg", "--only", "nothing like it"], "no row of cerg"),
    (["run", "cerg", "--only", "sequential"], "no row of cerg that is run"),
    (["run", "cerg", "--ticks", "3000000000"], "at most 2,147,483,647"),
    (["run", "cerg", "--test-len", "abc"], "positive integer"),
])
def test_bad_cerg_input_is_one_line(argv, message, capsys):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_jobs_tables_and_rebuild(tmp_path, capsys):
    """A run writes one job per row, trials.csv and summary.md with Gers et al.'s numbers beside ours; a rerun
    reuses the jobs; a corrupt job is reported in one line and redone; `report cerg` rebuilds the same table."""
    from dataclasses import replace

    from experiments import get
    from lstm97.runs import write_report
    from lstm97.sweep import run_sweep

    # every row in the table; two of them trained (one compiled program each; the CLI's run is
    # tests/test_one_driver.py's), and one that is not run
    table = tuple(replace(r, nets=2, max_streams=4, train_len=30, test_len=20, chunk=50) for r in get("cerg").rows)
    rows = tuple(r for r in table if r.label.startswith(("standard LSTM with", "LSTM with forget")))

    def run_cerg(rows, out, only=None):           # the one driver, then the one report path
        run_sweep([r for r in rows if only is None or only in r.label], out, show=False)
        write_report(get("cerg"), out, table, seed=0, trials=None, command="test", wall_s=None, quick=False)
        return pd.read_csv(out / "cerg" / "trials.csv")

    first = run_cerg(rows, tmp_path)
    assert len(first) == 2 * sum(r.run for r in rows)
    summary = (tmp_path / "cerg" / "summary.md").read_text()
    assert "74 % (7,441)" in summary and "not run: when the rate decays is not stated" in summary
    assert (tmp_path / "cerg" / "test_lengths.png").stat().st_size > 0
    jobs = sorted((tmp_path / "cerg" / "jobs").glob("*.json"))
    assert len(jobs) == 2
    kept = {p: json.loads(p.read_text())["finished"] for p in jobs[1:]}
    jobs[0].write_text(jobs[0].read_text()[:100])
    capsys.readouterr()
    again = run_cerg(rows, tmp_path)
    assert "corrupt" in capsys.readouterr().err
    assert {p: json.loads(p.read_text())["finished"] for p in jobs[1:]} == kept       # reused, not redone
    pd_cols = [c for c in first.columns if c != "wall_s"]
    assert first[pd_cols].equals(again[pd_cols])
    summary = (tmp_path / "cerg" / "summary.md").read_text()
    assert main(["report", "cerg", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "cerg" / "summary.md").read_text() == summary
    # --only trains the matching rows and still tables every finished job
    run_cerg(rows, tmp_path, only="forget")
    assert set(pd.read_csv(tmp_path / "cerg" / "trials.csv")["row"]) == {r.label for r in rows if r.run}
    (tmp_path / "cerg" / "meta.json").write_text("{not json")
    capsys.readouterr()
    assert main(["report", "cerg", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "unreadable" in err and len(err.splitlines()) == 1


def test_the_comparison_page_states_the_cerg_scale_the_trial_rows_ran_at(tmp_path):
    """The comparison page's CERG paragraph says how many nets a row ran and their symbol budget, read from the
    trial rows and the run's meta.json, beside Gers et al.'s 100 nets (not a fixed text)."""
    from lstm97.compare_report import cerg_lines
    rows = ["standard LSTM"] * 3 + ["LSTM with forget gates"] * 3
    pd.DataFrame({"row": rows, "outcome": ["rest", "rest", "good", "perfect", "rest", "rest"]}).to_csv(
        tmp_path / "trials.csv", index=False)
    (tmp_path / "meta.json").write_text(json.dumps({"max_ticks": 250_000}))
    scale = cerg_lines(tmp_path)[-1]
    assert "(3 nets a row, at most 250,000 symbols each, against Gers et al.'s 100 nets" in scale
    (tmp_path / "meta.json").unlink()
    assert "(3 nets a row, against Gers" in cerg_lines(tmp_path)[-1]


def test_a_cerg_job_is_one_net_count_and_is_never_cut_to_fewer(tmp_path):
    """The CERG nets' numbers depend on how many train in one program (net 0 of a 100-net program and of a
    10-net one part after millions of symbols), so a job's file names its net count and serves only that
    count: a 3-net file is not a 2-net run, and a 2-net run writes a file of its own beside it."""
    from lstm97.sweep import identity, job_path, load_job, run_sweep
    row = ContinualRow("t", cerg_net(False), nets=3, max_streams=2, train_len=40, test_streams=1, test_len=20,
                       chunk=20, experiment="cerg")
    run_sweep([row], tmp_path, seed=0, trials=3, show=False)
    assert load_job(tmp_path, row, 0, 3) is not None and load_job(tmp_path, row, 0, 2) is None
    assert job_path(tmp_path, row, 0, 2) != job_path(tmp_path, row, 0, 3)
    assert identity(row, 3).endswith("/nets=3")
    run_sweep([row], tmp_path, seed=0, trials=2, show=False)
    assert len(load_job(tmp_path, row, 0, 2)["nets"]) == 2 and len(load_job(tmp_path, row, 0, 3)["nets"]) == 3
