"""Issue 13: every page, table and figure of a --quick run says it is one, and states the test-set size its
trial rows used (256), never a fixed 2,560."""
import math

import pandas as pd

from lstm97 import plots
import experiments
from experiments import get, rows_of
from lstm97.experiment import quick

EXPERIMENTS = tuple(n for n in experiments.names() if n != "cerg")


def _quick_rows(name):
    return tuple(quick(r) for r in rows_of(name, quick=True))


def _fake_trials(rows, size=256):
    """Two trials per run row (one success), with every column the later experiments write; the test-set
    size ``size`` (exp 6's confusion matrices sum to it)."""
    lines = []
    for row in rows:
        if not row.run:
            continue
        n_out = row.task.n_out
        for i in range(2):
            diagonal = [size // n_out + (a < size % n_out) for a in range(n_out)]
            lines.append({"experiment": row.experiment, "row": row.label, "cell": row.cell, "seed": 0, "trial": i,
                          "success": i == 0, "sequences": 500 if i == 0 else row.cap, "presented": 600,
                          "learned_at": -1, "grown_at": -1, "reason": "success" if i == 0 else "cap",
                          "final_error": 0.1, "wall_s": 1.0, "st1_at": 400, "test_sequences": size,
                          "test_wrong": i, "test_mean_error": 0.01, "test_error_hist": "200;20;10;10;6;5;3;2",
                          "test_confusion": ";".join(",".join(str(diagonal[a]) if a == b else "0"
                                                              for b in range(n_out)) for a in range(n_out))
                          if row.experiment == "exp6" else math.nan})
    return pd.DataFrame(lines)


def test_a_quick_run_marks_its_pages_tables_and_figures(tmp_path):
    from lstm97.__main__ import main
    args = ["run", "exp4", "--quick", "--only", "zeroed", "--trials", "1", "--workers", "1", "--out", str(tmp_path)]
    assert main(args) == 0
    folder = tmp_path / "exp4"
    trials = pd.read_csv(folder / "trials.csv")
    assert set(trials["test_sequences"]) == {256}                      # quick(): min(2,560, 256)
    page = (folder / "summary.md").read_text()
    lines = page.splitlines()
    assert lines[0].endswith("(quick run)") and lines[1] == ""
    assert lines[2] == ("> QUICK RUN: 1 trial per row, cap 1,000 sequences, 256 test sequences — a smoke test "
                        "of the pipeline, not a result; verdicts do not apply.")
    assert "Test: the final net on 256 fresh sequences" in page
    assert "| test wrong of 256: mean, max (paper, of 2,560) |" in page
    assert "on 2,560" not in page and "not reproduced" not in page
    summary = pd.read_csv(folder / "summary.csv")
    assert summary["quick"].tolist() == [True] * len(summary)
    assert set(summary.loc[summary["trials"] > 0, "verdict"]) == {"quick run"}
    overview = (tmp_path / "README.md").read_text().splitlines()
    assert overview[0].endswith("(quick run)") and overview[2].startswith("> QUICK RUN: ")
    assert "not reproduced" not in "\n".join(overview)
    (folder / "summary.md").unlink()                                   # the quick flag survives a rebuild
    assert main(["report", "exp4", "--out", str(tmp_path), "--no-figures"]) == 0
    assert (folder / "summary.md").read_text() == page


def test_a_full_run_has_no_marks_and_states_its_own_test_size(tmp_path):
    from lstm97.report import write_tables
    rows = tuple(rows_of("exp4"))
    summary = write_tables(get("exp4"), tmp_path, _fake_trials(rows, 2560), rows, {"command": "test"})
    page = (tmp_path / "summary.md").read_text()
    assert "QUICK" not in page and "quick run" not in page
    assert "| test wrong of 2,560: mean, max (paper) |" in page and "on 2,560 fresh sequences" in page
    assert not summary["quick"].any() and "quick run" not in set(summary["verdict"])
    write_tables(get("exp4"), tmp_path, _fake_trials(rows, 500), rows, {"command": "test"})    # whatever the rows used
    assert "| test wrong of 500: mean, max (paper, of 2,560) |" in (tmp_path / "summary.md").read_text()


def test_every_figure_of_a_quick_run_says_so():
    for name in EXPERIMENTS:
        rows = _quick_rows(name)
        trials = _fake_trials(rows)
        marked = plots.figures(get(name).figures, trials, rows, quick=True)
        plain = plots.figures(get(name).figures, trials, rows)
        assert marked, name
        for figure, fig in marked.items():
            titles = [ax.get_title() for ax in fig.axes if ax.get_title()] or [fig._suptitle.get_text()]
            assert titles and all(t.endswith("(quick run)") for t in titles), (name, figure, titles)
            plots.close(fig)
        for figure, fig in plain.items():
            assert not any("quick" in ax.get_title() for ax in fig.axes), (name, figure)
            plots.close(fig)


def test_exp6_confusion_states_the_rows_test_size():
    rows = _quick_rows("exp6")
    trials = _fake_trials(rows, 256)
    for name, fig in plots.exp6_figures(trials, rows).items():
        title = fig.axes[0].get_title()
        assert "on 256 test sequences" in title and "2,560" not in title, title
        plots.close(fig)
    trials["test_sequences"] = math.nan                                # older rows: the matrix's sum
    fig = next(iter(plots.exp6_figures(trials, rows).values()))
    assert "on 256 test sequences" in fig.axes[0].get_title()
    plots.close(fig)


def test_the_comparison_and_cerg_pages_of_a_quick_run(tmp_path):
    from experiments.cerg import QUICK_ROWS
    from lstm97 import continual_report
    from lstm97.report import write_tables
    rows = _quick_rows("compare")
    (tmp_path / "compare").mkdir()
    write_tables(get("compare"), tmp_path / "compare", _fake_trials(rows), rows, {"command": "test", "quick": True})
    page = (tmp_path / "compare" / "README.md").read_text().splitlines()
    assert page[0] == "# Every cell on every row of the paper (quick run)"
    assert page[2] == ("> QUICK RUN: 2 trials per row, cap 1,000 sequences, 256 test sequences — a smoke test of "
                       "the pipeline, not a result; no finding below applies.")
    table = (tmp_path / "compare" / "summary.md").read_text()
    assert "(quick run)" in table.splitlines()[0] and "test wrong of 256" in table

    nets = pd.DataFrame({"row": [QUICK_ROWS[0].label] * 3, "outcome": ["perfect", "rest", "rest"],
                         "solved": [True, False, False], "streams_to_solution": [100, -1, -1],
                         "test_mean_length": [1000.0, 30.0, 40.0], "symbols_trained": [5000] * 3,
                         "ticks": [5000] * 3})
    meta = {"command": "test", "quick": True, "max_streams": 200, "train_len": 1000, "test_len": 1000}
    cerg = continual_report.summary_markdown(continual_report.summarise(nets, QUICK_ROWS), meta).splitlines()
    assert cerg[0].endswith("(quick run)")
    assert cerg[2] == ("> QUICK RUN: 3 nets per row, at most 200 training streams per net, training streams of "
                       "at most 1,000 symbols, test streams of 1,000 symbols — a smoke test of the pipeline, not a "
                       "result; Gers et al.'s numbers do not compare.")
    full = continual_report.summary_markdown(continual_report.summarise(nets, QUICK_ROWS), {**meta, "quick": False})
    assert "QUICK" not in full and "quick run" not in full
    fig = plots.cerg_figure(nets, [QUICK_ROWS[0].label], quick=True)
    assert fig.axes[0].get_title().endswith("(quick run)")
    plots.close(fig)
