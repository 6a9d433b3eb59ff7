"""The paper's tables as data: reference numbers, trial counts, caps (spec §3, decisions 16).

Source: Hochreiter & Schmidhuber (1997), Tables 2 and 3 and Sec. 5.2. Only numbers printed in the paper
(or derived in spec.md and marked so) appear here.
"""
from __future__ import annotations

from lstm97.config import PaperRef

EXP2_CAP = 5_000_000           # "after 5 million exemplars" (Table 11)
EXP2_WINDOW = 10_000           # successive correct sequences for success (Sec. 5.2)
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


def cap_for(ref: PaperRef, paper_cap: int = EXP2_CAP) -> int:
    """Decision 16: 3× the paper's mean sequences to success, or the paper's own cap if smaller."""
    return paper_cap if ref.sequences is None else min(3 * int(ref.sequences), paper_cap)
