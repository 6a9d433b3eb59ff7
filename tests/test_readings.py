"""Readings as data: named fields with defaults, allowed values and provenance; rows built from them; the
revised defaults (decisions 4, 9, 13, 14) as the paper's rows and the old readings as pilots beside them, so
every committed result still loads."""
import importlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstm97 import criteria
from lstm97.config import Row
from lstm97.criteria import FrozenTest
from lstm97.engines import fingerprint
import experiments
from experiments import get, registry, rows_of
from lstm97.readings import BEFORE, FIELDS, PAPER, Reading, ReadingError
from lstm97.sweep import load_job
from lstm97.tasks import make_task

EXPERIMENTS = tuple(n for n in experiments.names() if n != "cerg")

RESULTS = Path(__file__).resolve().parent.parent / "results"


def test_fields_have_a_default_among_their_values_and_a_provenance():
    for field in FIELDS.values():
        assert field.default in field.allowed and len(field.allowed) >= 2
        assert field.provenance in ("text", "evidence", "inference") and field.source and field.experiments


def test_a_reading_lists_what_differs_from_the_defaults_under_a_stable_name():
    assert Reading.of(marked_first="zeroed") == PAPER and PAPER.name == "paper"
    reading = Reading.of(st_test_set="fresh", marked_first="kept")
    assert reading.name == "marked_first=kept,st_test_set=fresh"
    assert Reading.parse(reading.name) == reading and Reading.parse("paper") == PAPER
    assert reading["exp2_success"] == "frozen_test" and reading["marked_first"] == "kept"
    assert reading.applying_to("exp3").name == "st_test_set=fresh"


@pytest.mark.parametrize("text, problem", [("colour=red", "unknown reading field 'colour'"),
                                           ("marked_first=dropped", "marked_first must be one of"),
                                           ("marked_first", "a reading is 'paper' or FIELD=VALUE")])
def test_an_unknown_field_or_value_is_one_line(text, problem):
    with pytest.raises(ReadingError, match=problem) as info:
        Reading.parse(text)
    assert "\n" not in str(info.value)


def test_the_revised_defaults_are_the_papers_rows():
    """D4, D9, D13, D14 (../shared/paper/decisions.md, revised) are what the non-pilot rows run."""
    exp2 = {r.label: r for r in rows_of("exp2", variants=False)}
    for label in ("2a LSTM p=100", "2b LSTM p=100"):
        assert exp2[label].construction is not None and exp2[label].construction.outgoing == "zero"
    assert all(isinstance(r.criterion, FrozenTest) and r.criterion.size == 10_000 for r in exp2.values() if r.run)
    assert exp2["2a LSTM p=100"].chunk == 50 and exp2["2c q=50 p=50"].chunk == 300     # 1 % of the means
    assert all(r.criterion.test_set == "fixed" for r in get("exp3").rows_under(PAPER))
    assert all(r.task.marked_first == "zeroed" for name in ("exp4", "exp5") for r in rows_of(name, variants=False))


@pytest.mark.parametrize("name", [n for n in EXPERIMENTS if n != "compare"])
def test_one_non_pilot_row_per_paper_row_and_the_old_readings_beside_them(name):
    rows = rows_of(name)
    paper = [r for r in rows if not r.pilot]
    confirmed = getattr(importlib.import_module(f"experiments.{name}"), "CONFIRMED", {})
    assert len({r.label for r in paper}) == len(paper)
    assert all(r.reading == confirmed.get(r.label, PAPER) for r in paper)        # the defaults, or the answer
    assert {r.label for r in rows if r.pilot and r.reading == PAPER} >= set(confirmed)
    twins = {r.label for r in rows if r.pilot and r.reading == BEFORE.applying_to(*{r.experiment, r.task_name})}
    if name in ("exp3", "exp4", "exp5"):
        assert twins == {r.label for r in paper if r.run}


def test_every_committed_job_file_loads_under_a_row_of_its_experiment():
    """No committed result is orphaned by the readings becoming fields: each job file, of any seed, belongs to
    a row of its experiment or of its readings grid (``lstm97/search.py``)."""
    from lstm97.search import grid, searchable
    from lstm97.sweep import job_path
    for name in EXPERIMENTS:
        rows = list(rows_of(name))
        if name in searchable(registry()):
            rows += [r for paper in rows_of(name, variants=False) if paper.run for r in grid(get(name), paper)[0]]
        if name == "compare":                   # the comparison before issue 17 (results/compare/before/)
            from experiments.compare import before_rows
            rows += before_rows()
        files = set((RESULTS / name / "jobs").glob("*.json"))
        seeds = {json.loads(p.read_text())["seed"] for p in files}
        loaded = {job_path(RESULTS, row, seed) for row in rows for seed in seeds
                  if row.run and load_job(RESULTS, row, seed, 1) is not None}
        assert files <= loaded, sorted(p.name for p in files - loaded)[:5]


def _exp2c():
    return make_task("exp2c", p=4, q=4, k_max=8)


def test_the_frozen_test_passes_a_net_right_on_every_sequence_and_fails_one_wrong_on_some():
    task, rule = _exp2c(), FrozenTest(size=1000, batch=50)
    state = rule.init()
    right = lambda batch: batch.target
    passed = rule.check(state, right, task, jax.random.PRNGKey(0), 0, jnp.int32(700))
    assert int(passed.success_at) == 700                                 # training sequences before the test
    # wrong (by 0.3 > 0.2 at the target step) on the sequences of one class: about half of them
    wrong = lambda batch: batch.target + 0.3 * batch.mask[..., None] * (batch.target[..., :1] > 0.5)
    failed = rule.check(state, wrong, task, jax.random.PRNGKey(0), 0, jnp.int32(700))
    assert int(failed.success_at) == -1


def test_the_frozen_test_is_not_run_again_for_a_trial_that_has_passed():
    """Success is final (Sec. 5.2: "after training"); a trial that passed keeps its count and costs no test."""
    task, rule = _exp2c(), FrozenTest(size=1000, batch=50)
    batches = []

    def right(batch):
        jax.debug.callback(lambda: batches.append(1))
        return batch.target
    passed = rule.check(rule.init(), right, task, jax.random.PRNGKey(0), 0, jnp.int32(700))
    jax.effects_barrier()
    assert int(passed.success_at) == 700 and len(batches) == 1000 // 50
    batches.clear()
    again = rule.check(passed, right, task, jax.random.PRNGKey(1), 0, jnp.int32(750))
    jax.effects_barrier()
    assert int(again.success_at) == 700 and not batches


@dataclass(frozen=True)
class _SideBySide(FrozenTest):
    checks_alone: ClassVar[bool] = False


def test_trials_frozen_tested_one_after_another_have_the_numbers_of_trials_tested_side_by_side():
    """The trainer tests each trial alone (a done one not at all): the same numbers as a batched test."""
    from lstm97.nets import lstm_2ab
    from lstm97.train import train_row
    from tests.test_train import _numbers
    row = Row("exp2", "frozen", "exp2a", make_task("exp2a", p=10), lstm_2ab(10), 1.0, trials=6, cap=5000,
              criterion=FrozenTest(2000), chunk=50)
    alone, side = train_row(row), train_row(replace(row, criterion=_SideBySide(2000)))
    assert 0 < sum(t["success"] for t in alone) < len(alone)          # trials that pass and trials that fail
    assert _numbers(alone) == _numbers(side)


def test_the_fixed_test_set_is_drawn_once_and_the_fresh_one_at_every_check():
    task = make_task("exp3a", T=20, N=3)
    seen = []

    def outputs_of(batch):
        seen.append(np.asarray(batch.x))
        return batch.target
    for test_set, same in (("fixed", True), ("fresh", False)):
        rule, seen[:] = criteria.TestSet(16, test_set=test_set), []
        state = rule.init()
        for i in range(2):
            state = rule.check(state, outputs_of, task, jax.random.PRNGKey(i), 0, jnp.int32(10))
        assert np.array_equal(seen[0], seen[1]) == same, test_set


def test_a_committed_job_of_the_old_reading_has_the_numbers_of_its_file():
    """The exp 4 T=100 pilot under the old D9 is the committed seed-0 job (its fingerprint is unchanged)."""
    (row,) = [r for r in rows_of("exp4") if r.label == "T=100" and r.reading == Reading.of(marked_first="kept")]
    record = load_job(RESULTS, row, 0, row.trials)
    assert record is not None and json.loads(json.dumps(record))["trials"][0]["row"] == "T=100"


def test_recurrent_init_zeroes_only_the_named_hidden_weights_and_keeps_every_other_draw():
    """Table 11 draws every 2c weight from U[-0.2, 0.2]; the recurrent_init reading (exp 2c) sets the weights
    from the gates (C = 2 cell columns kept) or from every hidden unit to 0 and leaves the rest as drawn."""
    from dataclasses import replace
    from lstm97.cells import lstm1997
    from lstm97.nets import lstm_2c
    key = jax.random.PRNGKey(3)
    base = lstm1997(lstm_2c(50)).init_params(key)
    gates = lstm1997(replace(lstm_2c(50), recurrent_init="gates_zero")).init_params(key)
    zero = lstm1997(replace(lstm_2c(50), recurrent_init="zero")).init_params(key)
    assert base["w_hidden_h"].shape == (6, 6) and float(jnp.abs(base["w_hidden_h"][:, 2:]).min()) > 0
    np.testing.assert_array_equal(gates["w_hidden_h"][:, :2], base["w_hidden_h"][:, :2])
    assert not np.any(gates["w_hidden_h"][:, 2:]) and not np.any(zero["w_hidden_h"])
    for name in ("w_hidden_x", "w_out_c"):
        np.testing.assert_array_equal(zero[name], base[name])
    zeroed = {r.label: r for r in get("exp2").rows_under(Reading.of(recurrent_init="zero"))}["2c q=100 p=100"]
    paper = {r.label: r for r in get("exp2").rows_under(PAPER)}["2c q=100 p=100"]
    assert zeroed.arch.recurrent_init == "zero" and paper.arch.recurrent_init == "uniform"
    assert fingerprint(zeroed) != fingerprint(paper) and zeroed.reading.name == "recurrent_init=zero"


def test_recurrent_init_reaches_exps_4_to_6_and_their_paper_rows_keep_their_committed_jobs():
    """Table 10/11 draw every exp-4/5/6 weight from U[-0.1, 0.1]; recurrent_init (a drift remedy, evidence.md
    sec. 3) applies there too: the rows built under it carry it in the net, and the paper's rows are the
    committed seed-0 jobs still (their fingerprints unchanged)."""
    for name in ("exp4", "exp5", "exp6"):
        paper = {r.label: r for r in rows_of(name) if r.reading == PAPER and not r.pilot}
        zeroed = {r.label: r for r in get(name).rows_under(Reading.of(recurrent_init="zero"))}
        assert set(zeroed) == set(paper)
        for label, row in paper.items():
            assert row.arch.recurrent_init == "uniform" and zeroed[label].arch.recurrent_init == "zero"
            assert fingerprint(zeroed[label]) != fingerprint(row)
            assert zeroed[label].reading.name == "recurrent_init=zero"
            assert load_job(RESULTS, row, 0, row.trials) is not None, (name, label)


def test_out_init_sets_only_the_output_units_start_and_the_paper_rows_keep_their_jobs():
    """Table 11 draws every exp-4 weight from U[-0.1, 0.1], the output unit's alike (93 weights); the out_init
    reading (evidence.md sec. 3) scales the output unit's weights and bias at the start: zero (both 0),
    zero_bias (the bias 0), small (U[-0.01, 0.01], the same draws / 10); every other weight as drawn."""
    from dataclasses import replace
    from lstm97.cells import lstm1997
    from lstm97.nets import lstm_45
    key, arch = jax.random.PRNGKey(5), lstm_45((-3.0, -6.0))
    base = lstm1997(arch).init_params(key)
    start = {o: lstm1997(replace(arch, out_init=o)).init_params(key) for o in ("zero", "zero_bias", "small")}
    assert float(jnp.abs(base["w_out_c"]).max()) <= 0.1 and float(jnp.abs(base["b_out"]).min()) > 0
    assert not np.any(start["zero"]["w_out_c"]) and not np.any(start["zero"]["b_out"])
    np.testing.assert_array_equal(start["zero_bias"]["w_out_c"], base["w_out_c"])
    assert not np.any(start["zero_bias"]["b_out"])
    np.testing.assert_allclose(start["small"]["w_out_c"], base["w_out_c"] / 10, rtol=1e-6)
    np.testing.assert_allclose(start["small"]["b_out"], base["b_out"] / 10, rtol=1e-6)
    for params in start.values():
        for name in ("w_hidden_x", "w_hidden_h", "b_hidden"):
            np.testing.assert_array_equal(params[name], base[name])
    rows = {r.reading.name: r for r in get("exp4").rows_under(Reading.of(out_init="zero")) + get("exp4").rows_under(PAPER)
            if r.label == "T=100"}
    assert rows["out_init=zero"].arch.out_init == "zero" and rows["paper"].arch.out_init == "uniform"
    assert "out_init" not in repr(rows["paper"].arch)                 # the committed paper jobs keep their files
    assert fingerprint(rows["out_init=zero"]) != fingerprint(rows["paper"])
    with pytest.raises(ValueError, match="out_init must be one of"):
        replace(arch, out_init="wide")


def test_st_check_sets_only_how_often_exp3s_test_set_is_checked():
    """Decision 14 checks ST1/ST2 every 1/100 of the paper's mean (Table 4: 3a T=100 N=3, 39,850 -> every 390
    sequences); st_check=1/20 and 1/10 check 5x and 10x less often. Nothing else in the row changes, and the
    paper rows keep their committed jobs (3b T=1000 N=1's checkpoint is f3f75514)."""
    paper = {r.label: r for r in get("exp3").rows_under(PAPER)}
    for every, per_mean in (("1/20", 20), ("1/10", 10)):
        for label, row in {r.label: r for r in get("exp3").rows_under(Reading.of(st_check=every))}.items():
            assert row.chunk == row.paper.sequences // per_mean // 10 * 10
            assert replace(row, chunk=paper[label].chunk, note="", reading=PAPER) == replace(paper[label], note="")
            assert fingerprint(row) != fingerprint(paper[label])
    assert paper["3a T=100 N=3"].chunk == 390 and paper["3c T=100 N=1"].chunk == 5650
    assert fingerprint(paper["3b T=1000 N=1"]) == "f3f75514"
    with pytest.raises(ReadingError, match="st_check must be one of"):
        Reading.of(st_check="1/2")


def test_a_confirmed_reading_is_its_rows_answer_and_the_defaults_stay_a_pilot():
    """exp 3b T=100 N=1 under st_check=1/10,st_test_set=fresh: searched on seed 1 (7 readings), confirmed on
    seed 0 (job 1f9cf171); 3c T=100 N=3 and N=1 under st_check=1/10 likewise (6 and 7 readings, jobs
    657970b1 and 1f1dd624). The table keeps one non-pilot line per paper row; the defaults' line (job cf6164b3,
    the committed 6/10) is a pilot beside it."""
    from lstm97.experiment import answers
    exp3 = get("exp3")
    table = [r for r in exp3.all_rows() if not r.pilot]
    assert sorted(r.label for r in table) == sorted(r.label for r in exp3.rows_under(PAPER))
    (answer,) = [r for r in table if r.label == "3b T=100 N=1"]
    assert answer.reading == Reading.of(st_check="1/10", st_test_set="fresh") and fingerprint(answer) == "1f9cf171"
    (default,) = [r for r in exp3.variants if r.label == "3b T=100 N=1" and r.reading == PAPER]
    assert default.pilot and fingerprint(default) == "cf6164b3"
    assert (RESULTS / "exp3" / "jobs" / "3b_T=100_N=1.seed0.1f9cf171.json").exists()
    (answer,) = [r for r in table if r.label == "3c T=100 N=3"]            # confirmed on seed 0 as job 657970b1
    assert answer.reading == Reading.of(st_check="1/10") and fingerprint(answer) == "657970b1"
    assert (RESULTS / "exp3" / "jobs" / "3c_T=100_N=3.seed0.657970b1.json").exists()
    (answer,) = [r for r in table if r.label == "3c T=100 N=1"]            # confirmed on seed 0 as job 1f1dd624
    assert answer.reading == Reading.of(st_check="1/10") and fingerprint(answer) == "1f1dd624"
    assert (RESULTS / "exp3" / "jobs" / "3c_T=100_N=1.seed0.1f1dd624.json").exists()
    with pytest.raises(ValueError, match="rows that do not exist: 3z"):
        answers(exp3.build, {"3z": PAPER})


def test_cell_bias_init_zeroes_only_the_cells_biases_and_exp3s_paper_rows_keep_their_jobs():
    """Table 10 gives exp 3 a bias on every cell and gate ('b1'), Table 11 draws every weight from U[-0.1, 0.1];
    cell_bias_init=zero (a drift remedy for 3b T=1000, docs/deviations.md) starts the 3 cells' biases at 0 and
    keeps every other draw, the gate biases -1/-3/-5 and -2/-4/-6 included; exp 3's paper rows are still the
    committed seed-0 jobs (fingerprints unchanged), and the rows under the reading are other jobs."""
    from dataclasses import replace
    from lstm97.cells import lstm1997
    from lstm97.nets import lstm_3
    key = jax.random.PRNGKey(3)
    drawn = lstm1997(lstm_3()).init_params(key)
    zeroed = lstm1997(replace(lstm_3(), cell_bias_init="zero")).init_params(key)
    assert np.all(np.asarray(zeroed["b_hidden"][:3]) == 0) and np.all(np.asarray(drawn["b_hidden"][:3]) != 0)
    assert np.array_equal(np.asarray(zeroed["b_hidden"][3:]), np.asarray(drawn["b_hidden"][3:]))
    assert np.allclose(np.asarray(drawn["b_hidden"][3:]), [-1, -3, -5, -2, -4, -6])
    for name in drawn:
        if name != "b_hidden":
            assert np.array_equal(np.asarray(zeroed[name]), np.asarray(drawn[name])), name
    paper = {r.label: r for r in get("exp3").rows_under(PAPER)}
    under = {r.label: r for r in get("exp3").rows_under(Reading.of(cell_bias_init="zero"))}
    assert set(under) == set(paper) and Reading.of(cell_bias_init="zero") in get("exp3").readings
    for label, row in paper.items():
        assert row.arch.cell_bias_init == "uniform" and under[label].arch.cell_bias_init == "zero"
        assert fingerprint(under[label]) != fingerprint(row)
        assert load_job(RESULTS, row, 0, row.trials) is not None, label
    with pytest.raises(ValueError, match="cell_bias_init must be one of"):
        replace(lstm_3(), cell_bias_init="small")
