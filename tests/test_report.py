"""Summary statistics and verdicts on hand-made trial rows."""
import math

import pandas as pd

from experiments.exp2 import ROWS
from lstm97 import stats
from lstm97.report import summarise


def test_success_interval_is_exact_binomial():
    low, high = stats.success_interval(20, 20)
    assert high == 100.0 and 83.0 < low < 84.0            # Clopper-Pearson: (0.05/2)^(1/20) = 0.8316
    low, high = stats.success_interval(0, 18)
    assert low == 0.0 and 18.0 < high < 19.0


def test_verdicts():
    assert stats.verdict((80.0, 100.0), 40_000, 100, 30_000) == "reproduced"
    assert stats.verdict((80.0, 100.0), 70_000, 100, 30_000) == "partly"         # > ×2 slower
    assert stats.verdict((20.0, 60.0), 70_000, 100, 30_000) == "not reproduced"
    assert stats.verdict((0.0, 18.5), math.nan, 0, None) == "reproduced"
    assert stats.verdict((5.0, 40.0), 1000, 0, None) == "not reproduced"


def test_summary_counts_successful_trials_only():
    row = next(r for r in ROWS if r.label == "2c q=100 p=100")
    trials = pd.DataFrame({"row": [row.label] * 4, "success": [True, True, True, False],
                           "sequences": [10_000, 20_000, 60_000, row.cap], "learned_at": [5000, 8000, -1, -1],
                           "reason": ["success"] * 3 + ["cap"]})
    s = summarise(trials, (row,)).iloc[0]
    assert (s.trials, s.successes, s.success_pct) == (4, 3, 75.0)
    assert s.mean_sequences == 30_000 and s.median_sequences == 20_000
    assert s.median_learned_at == 6500 and s.paper_sequences == 31_000
    assert s.verdict == "partly"         # the mean is within ×0.5–×2, but 100 % lies outside [19.4, 99.4]


def _fake_trials(rows, success=True):
    """Hand-made per-trial rows with every column the later experiments write."""
    lines = []
    for row in rows:
        if not row.run:
            continue
        for i in range(3):
            ok = success and i < 2
            lines.append({"experiment": row.experiment, "row": row.label, "cell": row.cell,
                          "reading": row.reading.name, "pilot": row.pilot, "seed": 0, "trial": i,
                          "success": ok, "sequences": 1000 * (i + 1) if ok else row.cap, "presented": 5000,
                          "learned_at": -1, "grown_at": -1, "reason": "success" if ok else "cap",
                          "final_error": 0.1, "wall_s": 1.0, "st1_at": 900 * (i + 1), "test_sequences": 2560,
                          "test_wrong": i, "test_mean_error": 0.01 * (i + 1),
                          "test_error_hist": "2000;300;100;60;50;30;15;5",
                          "test_confusion": ";".join(",".join("640" if a == b else "0" for b in range(row.task.n_out))
                                                     for a in range(row.task.n_out))
                          if row.experiment == "exp6" else math.nan})
    return pd.DataFrame(lines)


def test_tables_figures_and_overview_of_every_experiment(tmp_path):
    """From per-trial rows alone: each experiment's summary (with exp 3-6's test columns) and figures, and
    results/README.md with every paper row and its verdict."""
    import experiments
    from experiments import get, rows_of
    from lstm97.report import write_figures, write_overview, write_tables
    expected_figures = {"exp1": ["table1_sequences.png"], "exp3": ["tables456_vs_T.png"],
                        "exp4": ["table7_vs_T.png"], "exp5": ["table8_errors.png"],
                        "exp6": ["confusion_6a.png", "confusion_6b.png"], "compare": ["success_heatmap.png"]}
    for name in experiments.names():
        if name in ("exp2", "cerg"):
            continue
        rows = rows_of(name, quick=True)
        folder = tmp_path / name
        trials = _fake_trials(rows)
        summary = write_tables(get(name), folder, trials, rows, {"command": "test"})
        ran = summary[summary["trials"] > 0]
        assert (ran["successes"] == 2).all() and (ran["mean_sequences"] == 1500).all()
        assert (summary.loc[summary["trials"] == 0, "verdict"] == "not run").all()
        if name in ("exp3", "exp4", "exp5", "exp6"):
            assert (ran["mean_test_wrong"] == 0.5).all() and "test wrong of 2,560" in (folder / "summary.md").read_text()
        write_figures(get(name), folder, trials, rows)
        for figure in expected_figures[name]:
            assert (folder / figure).stat().st_size > 1000, figure
    grid = (tmp_path / "compare" / "README.md").read_text()                    # paper rows × cells
    assert "| exp4 T=100 | paper | 2/3 [9–99%] (lr x1), 1,500 |" in grid
    overview = write_overview(tmp_path, experiments.paper()).read_text()
    assert "| exp2 | – | – | not run yet | pending | – | – | – | – |" in overview
    assert "| exp4 | T=1000 | 100 %, 853,000 | 2/3 (67 % [9.4, 99.2]), mean 1,500, median 1,500 | not reproduced |" in overview
    assert overview.count("| exp1 |") == 9        # five LSTM rows and four competitors


def _compare_summary(lines):
    """A comparison summary from (label, successes, trials, median) lines, as report.summarise makes it."""
    from lstm97.stats import success_interval
    out = []
    for label, k, n, median in lines:
        low, high = success_interval(k, n) if n else (float("nan"), float("nan"))
        out.append({"row": label, "trials": n, "successes": k, "success_ci_low": low, "success_ci_high": high,
                    "median_sequences": median, "mean_sequences": median, "weights": 93})
    return pd.DataFrame(out)


def test_fisher_p_matches_the_hand_computed_tables():
    from lstm97.compare_report import fisher_p
    # 0/10 against 5/10: P = C(10,5)·C(10,0)/C(20,5) = 252/15504 for the observed table, doubled by symmetry
    assert abs(fisher_p(0, 10, 5, 10) - 2 * 252 / 15504) < 1e-12
    assert fisher_p(3, 10, 3, 10) == 1.0
    assert fisher_p(0, 10, 4, 10) > 0.05 > fisher_p(0, 10, 5, 10)    # the smallest gap that counts at 10 a side


def test_the_comparison_page_compares_finished_pairs_only(tmp_path):
    from lstm97.compare_report import comparison_grid, comparison_page
    nan = float("nan")
    lines = [(f"exp4 T=100 | lstm1997 | lr x{f}", k, 10, m) for f, k, m in ((0.1, 0, nan), (1, 9, 5000.0))]
    lines += [(f"exp4 T=100 | gru | lr x{f}", k, 10, m) for f, k, m in ((0.1, 1, 900.0), (1, 0, nan))]
    lines += [("exp4 T=100 | elman | lr x0.1", 0, 0, nan), ("exp4 T=100 | elman | lr x1", 3, 10, 100.0)]
    lines += [("exp4 T=100 | lstm1997 [full gradient] | lr x1", 9, 10, 7000.0),
              ("exp4 T=100 | lstm1997 [no input-gate bias] | lr x1", 2, 10, 7000.0),
              ("exp4 T=100 | forget_lstm | lr x1", 0, 10, nan),
              ("exp4 T=100 | forget_lstm [forget bias 5] | lr x1", 8, 10, 3000.0)]
    summary = _compare_summary(lines)
    grid = comparison_grid(summary)
    assert set(grid["cell_kind"]) == {"lstm1997", "gru", "forget_lstm", "lstm1997 [full gradient]",
                                      "lstm1997 [no input-gate bias]", "forget_lstm [forget bias 5]"}
    assert grid.set_index("cell_kind").loc["lstm1997", "factor"] == "lr x1"      # the best rate
    zero = _compare_summary([(f"exp4 T=100 | gru | lr x{f}", 0, 10, nan) for f in (0.1, 1)])
    assert "0/10 [0–31%] (none of 2 rates) |" in comparison_page(zero, {})       # no rate is best at 0 of 10
    trials = pd.DataFrame({"row": ["standard LSTM"] * 10 + ["LSTM with forget gates"] * 10,
                           "outcome": ["rest"] * 10 + ["perfect"] * 6 + ["rest"] * 4})
    (tmp_path / "cerg").mkdir()
    trials.to_csv(tmp_path / "cerg" / "trials.csv", index=False)
    page = comparison_page(summary, {"command": "test"}, tmp_path / "cerg")
    assert "**Status: 9 of 10 jobs finished; 0 of 1 paper rows have every cell at every planned rate.**" in page
    assert "| exp4 T=100 | st_check=1/10 | 9/10" in comparison_page(summary.assign(reading="st_check=1/10"), {})
    assert ("| exp4 T=100 | paper | 9/10 [55–100%] (lr x1), 5,000 | 0/10 [0–31%] (lr x1) | pending | pending | "
            "1/10 [0–45%] (lr x0.1), 900 | pending |") in page
    assert "| exp4 T=100 | gru | 1/10 [0–45%] (lr x0.1), 900 | 9/10 [55–100%] (lr x1), 5,000 | 0.001 |" in page
    assert "| gru | 1 | 1 | 0 | 0 |" in page and "| elman | 0 | 0 | 0 | 0 |" in page
    assert "| full gradient | lstm1997 | 1 | 0 | 0 | 1 |" in page and "| no input-gate bias | lstm1997 | 1 | 0 | 1 | 0 |" in page
    assert "| forget_lstm | 1 | 1 | 0 | 0 |" in page                                 # 0/10 against 9/10
    assert ("| exp4 T=100 | forget_lstm | forget bias 5 | 8/10 [44–97%], 3,000 | 0/10 [0–31%] | 7.1e-04 | helps |"
            in page)
    assert "| LSTM with forget gates | 6/10 [26–88%] | 6/10 [26–88%] |" in page
    assert "perfect or good: 6/10 against 0/10 (Fisher p = 0.011)" in page
    (tmp_path / "cerg" / "trials.csv").write_text("net,solved\n0,True\n")            # another file's columns
    assert "has no `row` and `outcome` columns" in comparison_page(summary, {}, tmp_path / "cerg")


def test_remaining_work_counts_a_pack_once_and_pending_jobs_to_their_caps():
    from experiments.compare import ROWS, batches
    from lstm97.compare_report import _work_sentence, remaining_work
    from lstm97.criteria import Streak
    from lstm97.engines import packable
    pack = [r for r in ROWS if r.label.startswith("exp4 T=100 | gru | lr x")]
    alone = next(r for r in ROWS if "[per-step updates]" in r.label)
    assert len(pack) == 4 and all(map(packable, pack)) and not packable(alone)      # per-step rows train alone
    done = pack[:2] + [alone]                                              # two rates of a pack, and one alone
    trials = pd.DataFrame([{"row": r.label, "presented": 1000, "wall_s": 10.0 + i}
                           for r in done for i in range(3)] + [{"row": "a row no longer run", "presented": 5,
                                                                 "wall_s": 99.0}])
    work = remaining_work(trials, ROWS, batches(ROWS))
    assert work["steps"] == 3 * 2 * 1000 * pack[0].task.max_len + 3 * 1000 * alone.task.max_len
    assert work["seconds"] == 12.0 + 12.0                                  # the pack's wall once, then the one alone
    assert work["rates"] == (min(6000 * pack[0].task.max_len, 3000 * alone.task.max_len) / 12,
                             max(6000 * pack[0].task.max_len, 3000 * alone.task.max_len) / 12)
    pending = [r for r in ROWS if r.run and r not in done]
    assert work["pending"] == len(pending) == len(ROWS) - 3
    assert pack[2].cap == 3 * pack[2].paper.sequences and pack[2].trials == 10     # decision: 3× the paper's mean
    assert work["left"] == sum(r.trials * r.cap * r.task.max_len for r in pending)     # every trial to its cap
    streak = next(r for r in pending if r.task_name == "exp2c").scaled(criterion=Streak())
    assert remaining_work(trials, [streak])["left"] == streak.trials * (streak.cap + 10_000) * streak.task.max_len
    sentence = _work_sentence(work)
    assert f"The {len(pending)} pending jobs need at most" in sentence and "upper bound" in sentence
    steps_of = lambda r: r.trials * r.cap * r.task.max_len
    # each pending job at its task's rate in the finished batches (exp 4's pack, the per-step row's task), the
    # rest at the average; an earlier comparison's batches count too (here 4x as fast)
    assert set(work["task_rates"]) == {pack[0].task_name, alone.task_name} and "exp2c" not in work["task_rates"]
    at = lambda w: sum(steps_of(r) / w["task_rates"].get(r.task_name, w["rate"]) for r in pending) / 3600
    assert abs(work["hours"] - at(work)) < 1e-9 * work["hours"]
    faster = remaining_work(trials, ROWS, batches(ROWS), (trials.assign(wall_s=trials["wall_s"] / 4), ROWS,
                                                          batches(ROWS)))
    assert faster["task_rates"][pack[0].task_name] > work["task_rates"][pack[0].task_name]
    assert faster["hours"] < work["hours"] and abs(faster["hours"] - at(faster)) < 1e-9 * faster["hours"]
    assert _work_sentence({**work, "pending": 0}) == ""
    from lstm97.report import job_name
    split = {job_name(r.label, r.reading.name): f"batch {i}" for i, r in enumerate(pack[:2])}   # as recorded
    assert remaining_work(trials, ROWS, batches(ROWS, split))["seconds"] == 12.0 + 12.0 + 12.0
    assert batches(ROWS, split)[pack[2].label] == batches(ROWS)[pack[2].label]   # files without a record: pack_key
    gone = remaining_work(trials.assign(row="gone"), ROWS, batches(ROWS))                 # no finished row is still in the grid
    assert gone["pending"] == len([r for r in ROWS if r.run]) and gone["steps"] == 0.0
    assert "worker-hours" not in _work_sentence(gone)


def test_a_rebuild_from_trials_csv_gives_the_tables_the_run_wrote(tmp_path):
    """make tables reproduces a run's summary byte for byte: both read the numbers trials.csv holds."""
    from lstm97.experiment import Experiment
    from lstm97.report import rebuild
    from lstm97.runs import write_report
    from lstm97.sweep import run_sweep
    from tests.test_train import TINY
    rows = (TINY.scaled(label="tiny rebuild", trials=2, cap=1000, test_sequences=256),)
    run_sweep(rows, tmp_path, show=False)
    experiment = Experiment("test", "test", rows)
    write_report(experiment, tmp_path, rows, seed=0, trials=None, command="test", wall_s=None, quick=False)
    written = {name: (tmp_path / "test" / name).read_bytes() for name in ("summary.csv", "summary.md")}
    rebuild(experiment, tmp_path, figures=False)
    assert {name: (tmp_path / "test" / name).read_bytes() for name in written} == written


def test_comparison_rows_carry_their_grouping_as_columns_and_old_files_get_them_from_labels():
    """Reports group by columns (``Row.columns``), never by parsing labels; a trials.csv written before the
    columns gets them in one place (``trials_file.with_columns``), equal to those the rows carry."""
    from experiments.compare import ROWS
    from lstm97.trials_file import with_columns
    rows = [r for r in ROWS if r.label.startswith("exp4 T=100 | ")]
    old = pd.DataFrame({"experiment": "compare", "row": [r.label for r in rows], "cell": [r.cell for r in rows]})
    derived = with_columns(old)
    assert list(derived["paper_row"]) == [r.columns["paper_row"] for r in rows] == ["exp4 T=100"] * len(rows)
    assert list(derived["rate_factor"]) == [r.rate_factor for r in rows]
    assert list(derived["variant"]) == [r.variant for r in rows]
    assert {"full gradient", "no input-gate bias", "forget bias 5"} <= set(derived["variant"])
    paper = pd.DataFrame({"experiment": ["exp4"], "row": ["T=100"]})
    assert with_columns(paper).iloc[0][["paper_row", "rate_factor", "variant"]].tolist() == ["exp4 T=100", 1.0, ""]


def test_a_page_says_where_its_failing_rows_fail_from_the_trial_rows():
    """Exp 3b T=100 N=1 (Table 5: 78,430 sequences, read as 100 %): a trial at the cap fails the row, and the
    page's section gives its final errors beside the successful trials'; 3a rows that reproduce are not in it."""
    from experiments.exp3 import ROWS as EXP3
    from lstm97.report import where_they_fail
    rows = tuple(r for r in EXP3 if r.label in ("3a T=100 N=3", "3b T=100 N=1"))
    trials = _fake_trials(rows)
    trials.loc[trials["row"] == "3a T=100 N=3", ["success", "sequences", "reason"]] = [True, 30_000, "success"]
    trials.loc[(trials["row"] == "3b T=100 N=1") & (trials["trial"] == 2), "test_wrong"] = 2560
    trials.loc[(trials["row"] == "3b T=100 N=1") & (trials["success"]), "sequences"] = 80_000
    summary = summarise(trials, rows)
    assert list(summary["verdict"]) == ["reproduced", "partly"]      # 2/3: 100 % lies outside [9.4, 99.2]
    page = where_they_fail(summary, trials, "exp3", {("exp3", "3b T=100 N=1"): "seed 1: 3 readings; best x 1/1 "
                                                                            "([readings](readings/summary.md))"})
    lines = [line for line in page.splitlines() if line.startswith("- ")]
    assert len(lines) == 1 and lines[0].startswith("- **3b T=100 N=1** (partly): 1 of 3 failed "
                                                   "(1 at the cap of 235,290)")
    assert "wrong 2,560 (2,560–2,560) (successful trials: 0 (0–1))" in lines[0]
    assert "[readings](../readings/summary.md)" in lines[0] and "mean is ×" not in lines[0]
    assert where_they_fail(summary.iloc[:1], trials, "exp3") == ""
    assert "searched" not in where_they_fail(summary, trials, "exp3", None)


def test_the_overview_gives_a_confirmed_answer_beside_the_defaults(tmp_path):
    """results/README.md: a row whose answer is a confirmed reading shows the defaults under *ours* and the
    answer, with its verdict, under *confirmed reading*; the answer's verdict is the one counted."""
    from lstm97.report import write_overview
    (tmp_path / "exp4").mkdir()
    base = dict(experiment="exp4", row="T=100", cell="lstm1997", trials=10, paper_success_pct=100.0,
                paper_sequences=74_000, success_ci_low=69.2, success_ci_high=100.0)
    pd.DataFrame([dict(base, reading="out_init=zero", pilot=False, successes=10, success_pct=100.0,
                       mean_sequences=70_000, median_sequences=69_000, verdict="reproduced"),
                  dict(base, reading="paper", pilot=True, successes=0, success_pct=0.0, success_ci_high=30.8,
                       success_ci_low=0.0, mean_sequences=math.nan, median_sequences=math.nan,
                       verdict="not reproduced")]).to_csv(tmp_path / "exp4" / "summary.csv", index=False)
    text = write_overview(tmp_path, ("exp4",)).read_text()
    line = next(x for x in text.splitlines() if x.startswith("| exp4 | T=100 |"))
    cells = [c.strip() for c in line.split("|")[1:-1]]
    assert cells[3:5] == ["0/10 (0 % [0.0, 30.8])", "not reproduced"]
    assert cells[5].startswith("out_init=zero: 10/10 (100 % [69.2, 100.0]), mean 70,000")
    assert "**reproduced**" in cells[5]
    assert cells[6] == "–" and "defaults): 1 reproduced." in text


def test_run_json_names_the_batch_each_packed_job_trained_in():
    """``job_packs`` (run.json): the batch each job file records; absent when no job was packed, so older
    run.json files rebuild as they were."""
    from lstm97.report import PAPER
    row = next(r for r in ROWS if r.label == "2c q=100 p=100")
    run = {"command": "test", "quick": False, "seed": 0, "trials": None, "date": "today", "wall_s": None,
           "provenance": {"commit": "c"}}
    record = {"label": row.label, "trials": [{"trial": 0}], "wall_s": 8.0, "commit": "c"}
    alone = PAPER.describe([(row, record)], (row,), None, run)
    assert "job_packs" not in alone and alone["job_wall_s"] == {row.label: 8.0}
    packed = PAPER.describe([(row, {**record, "pack": "2c_q=100_p=100.seed0.x", "pack_size": 2})], (row,), None, run)
    assert packed["job_packs"] == {row.label: "2c_q=100_p=100.seed0.x"} and packed["jobs_wall_s_total"] == 4.0


def test_the_searched_column_names_the_reading_the_pick_rule_would(tmp_path):
    """Of a row's searched readings: the most successes, then the mean nearest the paper's by ratio (the rule
    docs/deviations.md states for picking a reading to confirm), not the fastest."""
    from lstm97.report import _searched
    (tmp_path / "readings").mkdir()
    base = dict(experiment="exp3", row="3b T=100 N=1", seed=1, trials=10, paper_sequences=78_430)
    pd.DataFrame([dict(base, reading="fast", successes=10, mean_sequences=38_220),
                  dict(base, reading="near", successes=10, mean_sequences=49_392),
                  dict(base, reading="nearest but fewer", successes=8, mean_sequences=78_000)]).to_csv(
        tmp_path / "readings" / "summary.csv", index=False)
    assert "best near 10/10" in _searched(tmp_path)[("exp3", "3b T=100 N=1")]


def test_a_failed_exp6_net_is_said_to_misread_the_position_its_confusion_shows():
    """Exp 6b's classes are X = 0, Y = 1 read as binary, t1 most significant (Sec. 5.6; V = YXX, B = YYX):
    a net that takes every V for a B gets 7 of 8 classes right and misreads t2 alone."""
    from lstm97.report import misread
    eye = [[40 * (i == j) for j in range(8)] for i in range(8)]
    v_as_b = [row[:] for row in eye]
    v_as_b[4] = [0, 0, 0, 0, 0, 0, 40, 0]
    s_as_q_or_v = [row[:] for row in eye]               # S = XYX: Q = XXX misreads t2, V = YXX t1 and t2
    s_as_q_or_v[2] = [10, 0, 5, 0, 25, 0, 0, 0]
    text = lambda m: ";".join(",".join(map(str, r)) for r in m)
    assert misread(pd.Series([text(v_as_b)])) == ("classes right per failed net 7 of 8; of their 40 misclassified "
                                                  "test sequences the guess misreads t1 in 0 %, t2 in 100 %, t3 in 0 %")
    both = misread(pd.Series([text(v_as_b), text(s_as_q_or_v), text(eye)]))
    assert both.startswith("classes right per failed net 7, 7, 8 of 8; of their 75 misclassified")
    assert both.endswith("t1 in 33 %, t2 in 100 %, t3 in 0 %")
