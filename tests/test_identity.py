"""A job's identity: every field that decides its numbers is in its fingerprint (so a changed row is trained
again, never served from an old file), and a truncated or foreign checkpoint starts the row afresh."""
from dataclasses import fields, replace

import pytest

from lstm97.construction import Construction
from lstm97.criteria import Streak
from lstm97.engines import fingerprint
from lstm97.sweep import load_job, run_sweep
from lstm97.tasks import make_task
from lstm97.train import train_row
from tests.test_train import TINY, _interrupt_after, _numbers, tiny_result  # noqa: F401 (a fixture)

ROW = TINY.scaled(label="tiny identity", trials=2, cap=600, chunk=200)

# each field of Row that decides a number, with another value for it
CHANGES = {
    "task": make_task("exp2c", p=4, q=5, k_max=8),
    "arch": replace(TINY.arch, init_scale=0.1),
    "learning_rate": 0.25,
    "cap": 800,
    "criterion": Streak(60),
    "updates": "step",
    "construction": Construction(),
    "chunk": 100,
    "engine": "lanes",
    "test_sequences": 256,
}
# fields that do not decide numbers (or, like the label and the experiment, are part of the file's name);
# a reading decides numbers only through the task, criterion, construction, … it sets, which are fingerprinted
NOT_NUMBERS = {"experiment", "label", "task_name", "trials", "paper", "run", "pilot", "note", "reading", "paper_row",
               "rate_factor", "variant"}


def test_every_row_field_is_either_fingerprinted_or_named_as_not_deciding_numbers():
    assert {f.name for f in fields(ROW)} == set(CHANGES) | NOT_NUMBERS


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_changing_a_field_changes_the_fingerprint(name):
    assert fingerprint(ROW.scaled(**{name: CHANGES[name]})) != fingerprint(ROW)


@pytest.mark.parametrize("name", ["chunk", "cap", "criterion"])
def test_a_changed_row_is_trained_again_not_read_from_the_old_file(tmp_path, name):
    run_sweep([ROW], tmp_path, show=False)
    changed = ROW.scaled(**{name: CHANGES[name]})
    assert load_job(tmp_path, changed, 0, 2) is None
    (record,) = run_sweep([changed], tmp_path, show=False)
    assert record["fingerprint"] == fingerprint(changed)
    assert load_job(tmp_path, ROW, 0, 2) is not None                # the first job is still there, beside it
    assert len(list((tmp_path / "test" / "jobs").glob("*.json"))) == 2


def test_the_label_is_checked_on_load(tmp_path):
    run_sweep([ROW], tmp_path, show=False)
    other = ROW.scaled(label="tiny identity!")                       # the same file name (slug), other keys
    assert load_job(tmp_path, other, 0, 2) is None


def test_a_truncated_checkpoint_starts_the_row_afresh_with_a_notice(tiny_result, tmp_path, capsys):
    path = tmp_path / "tiny.ckpt.npz"
    with pytest.raises(KeyboardInterrupt):
        train_row(TINY, seed=0, progress=_interrupt_after(3), checkpoint=path, checkpoint_s=0.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])                          # cut short, as by a full disk
    assert _numbers(train_row(TINY, seed=0, checkpoint=path)) == _numbers(tiny_result)
    err = capsys.readouterr().err
    assert f"checkpoint {path} is unreadable" in err and "starting the row afresh" in err


def test_a_foreign_checkpoint_starts_the_row_afresh_with_a_notice(tiny_result, tmp_path, capsys):
    path = tmp_path / "tiny.ckpt.npz"
    with pytest.raises(KeyboardInterrupt):
        train_row(TINY, seed=1, progress=_interrupt_after(2), checkpoint=path, checkpoint_s=0.0)
    assert _numbers(train_row(TINY, seed=0, checkpoint=path)) == _numbers(tiny_result)
    assert "belongs to another row, seed or trial count" in capsys.readouterr().err


def test_a_test_set_size_that_is_no_multiple_of_the_batch_is_tested_whole():
    """final_test on 1,000 sequences (no multiple of its 256-sequence batches) tests all 1,000."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from lstm97.criteria import Recent
    from lstm97.train import final_test, make_train, trial_keys
    row = TINY.scaled(criterion=Recent(window=10), test_sequences=1000)
    state = jax.jit(jax.vmap(make_train(row).init))(trial_keys(row, 0, 2), jnp.arange(2))
    out = final_test(row, jax.tree.map(np.asarray, state), 1000)
    hist = np.array([[int(x) for x in h.split(";")] for h in out["test_error_hist"]])
    assert (hist.sum(axis=1) == 1000).all() and (out["test_wrong"] <= 1000).all()


def test_an_all_empty_reading_column_selects_the_paper_rows():
    import pandas as pd

    from lstm97.trials_file import of_row
    trials = pd.DataFrame({"row": [ROW.label, ROW.label], "reading": [float("nan"), float("nan")]})
    assert len(of_row(trials, ROW)) == 2
