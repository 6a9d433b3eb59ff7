"""The paper's tables as data: reference numbers, trial counts, caps (spec §3, decisions 16).

Source: Hochreiter & Schmidhuber (1997), Tables 2 and 3 and Sec. 5.2. Only numbers printed in the paper
(or derived in spec.md and marked so) appear here.
"""
from __future__ import annotations

from lstm97.config import PaperRef

EXP2_CAP = 5_000_000           # "after 5 million exemplars" (Table 11)
EXP2_WINDOW = 10_000           # successive correct sequences for success (Sec. 5.2)
EXP2_TEST = 10_000             # "during 10,000 successive, randomly chosen input sequences" (Sec. 5.2; Table 11)
TRIALS = {"exp2a": 18, "exp2b": 18, "exp2c": 20}   # decision 16

# Table 2 (task 2a): (method, p, learning rate) -> reference
TABLE2 = {
    ("RTRL", 4, 1.0): PaperRef(78, 1_043_000),
    ("RTRL", 4, 4.0): PaperRef(56, 892_000),
    ("RTRL", 4, 10.0): PaperRef(22, 254_000),
    ("RTRL", 10, None): PaperRef(0, None, "> 5,000,000 at learning rates 1.0-10.0"),
    ("RTRL", 100, None): PaperRef(0, None, "> 5,000,000 at learning rates 1.0-10.0"),
    ("BPTT", 100, None): PaperRef(0, None, "> 5,000,000 at learning rates 1.0-10.0"),
    ("CH", 100, 1.0): PaperRef(33, 32_400, weights=10_506),
    ("LSTM", 100, 1.0): PaperRef(100, 5_040),
}

# Task 2b, text of Sec. 5.2: LSTM always successful, mean of 18 trials
TASK2B = PaperRef(100, 5_680)

# Table 3 (task 2c): (q, p) -> reference; 20 trials each, "success after" = mean training sequences
TABLE3 = {
    (50, 50): PaperRef(100, 30_000),
    (100, 100): PaperRef(100, 31_000),
    (200, 200): PaperRef(100, 33_000),
    (500, 500): PaperRef(100, 38_000),
    (1000, 1000): PaperRef(100, 49_000),
    (1000, 500): PaperRef(100, 49_000),
    (1000, 200): PaperRef(100, 75_000),
    (1000, 100): PaperRef(100, 135_000),
    (1000, 50): PaperRef(100, 203_000),
}


def cap_for(ref: PaperRef, paper_cap: int = EXP2_CAP, factor: int = 3) -> int:
    """Decision 16: 3× (``factor``×) the paper's mean sequences to success, or the paper's own cap if smaller."""
    return paper_cap if ref.sequences is None else min(factor * int(ref.sequences), paper_cap)


# Experiments 1, 3-6 (spec §2, §4-§7). Rows of exps 3-6 give no success rate: the paper reports every trial's
# test results ("always", "never more than"), read here as every trial meeting its stopping rule (100 %).
ALL_STOPPED = "the paper reports no failed trial (read as 100 %)"
TEST_SET = 2560                # fresh test sequences after stopping (exps 3-6)
TRIALS.update({"exp1": 30, "exp3": 10, "exp4": 10, "exp5": 10, "exp6a": 20, "exp6b": 10})

# Table 1: (blocks, block size, learning rate) -> reference; means of 30 trials
TABLE1 = {
    (4, 1, 0.1): PaperRef(100, 39_740),
    (3, 2, 0.1): PaperRef(100, 21_730),
    (3, 2, 0.2): PaperRef(97, 14_060),
    (4, 1, 0.5): PaperRef(97, 9_500),
    (3, 2, 0.5): PaperRef(100, 8_440, "trials needed 3,800 to 24,100 training strings"),
}
# Table 1's competitors, with the numbers the paper quotes from their papers: (label, hidden units, lr) -> ref
TABLE1_OTHERS = {
    ("RTRL", "3 hidden", 0.05): PaperRef(None, 173_000, "\"some fraction\" succeeded (Smith & Zipser 1989)",
                                         weights=170),
    ("RTRL", "12 hidden", 0.1): PaperRef(None, 25_000, "\"some fraction\" succeeded (Smith & Zipser 1989)",
                                         weights=494),
    ("ELM", "15 hidden", None): PaperRef(0, None, "> 200,000 (Cleeremans et al. 1989)", weights=435),
    ("RCC", "7-9 hidden", None): PaperRef(50, 182_000, "Fahlman 1991; 119-198 weights", weights=198),
}

# Tables 4-6: (task, T, N) -> reference; sequences = stop (ST2; 3c's single rule), st1 = ST1
TABLE456 = {
    ("3a", 100, 3): PaperRef(100, 39_850, ALL_STOPPED, st1=27_380, test_wrong=0.000195 * TEST_SET),
    ("3a", 100, 1): PaperRef(100, 64_330, ALL_STOPPED, st1=58_370, test_wrong=0.000117 * TEST_SET),
    ("3a", 1000, 3): PaperRef(100, 452_460, ALL_STOPPED, st1=446_850, test_wrong=0.000078 * TEST_SET),
    ("3b", 100, 3): PaperRef(100, 43_250, ALL_STOPPED, st1=41_740, test_wrong=0.00828 * TEST_SET),
    ("3b", 100, 1): PaperRef(100, 78_430, ALL_STOPPED, st1=74_950, test_wrong=0.01500 * TEST_SET),
    ("3b", 1000, 1): PaperRef(100, 485_080, ALL_STOPPED, st1=481_060, test_wrong=0.01207 * TEST_SET),
    ("3c", 100, 3): PaperRef(100, 269_650, ALL_STOPPED, test_wrong=0.00558 * TEST_SET, test_error=0.014),
    ("3c", 100, 1): PaperRef(100, 565_640, ALL_STOPPED, test_wrong=0.00441 * TEST_SET, test_error=0.012),
}

# Table 7: T -> reference (10 trials; "individual runs needed 370,000 to 2,020,000" at T = 1000)
TABLE7 = {
    100: PaperRef(100, 74_000, ALL_STOPPED, test_wrong=1),
    500: PaperRef(100, 209_000, ALL_STOPPED, test_wrong=0),
    1000: PaperRef(100, 853_000, ALL_STOPPED + "; runs needed 370,000 to 2,020,000", test_wrong=1),
}

# Table 8: n_seq -> reference (T = 100; the "MSE" column is most likely a mean absolute error, spec §6)
TABLE8 = {
    140: PaperRef(100, 482_000, ALL_STOPPED, test_wrong=139, test_error=0.0223),
    13: PaperRef(100, 1_273_000, ALL_STOPPED, test_wrong=14, test_error=0.0139),
}

# Table 9: task -> reference
TABLE9 = {
    "6a": PaperRef(100, 31_390, ALL_STOPPED, test_wrong=1),
    "6b": PaperRef(100, 571_100, ALL_STOPPED, test_wrong=2),
}
