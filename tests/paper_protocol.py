"""The paper's protocol as data, transcribed from ``../shared/paper/spec.md`` (Tables 1-11 and the text of
Sec. 5), NOT from lstm97's code: one ``PaperRow`` per LSTM row of the paper's tables and per competitor row
the project trains (Table 2's RTRL and BPTT). ``tests/test_protocol.py`` asserts that every paper row of
``experiments/`` matches this table.

Where the paper is silent the project's readings (``../shared/paper/decisions.md``) are written here too and
marked "D<n>". Spec section numbers are given beside each block.

Units of the net, as spec §1.4 counts them: I inputs, K outputs, C blocks of size S, H = C·(S+2) hidden units
(C·(S+1) without output gates); ``weights`` is the paper's "# weights" column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Tables 10, 11 codes (spec §1.2, §8): the squashing functions by their ranges, as the TEXT defines them
# (the legend of Table 10 swaps h and g: erratum 1)
G2, H1, G1, ID = "g2", "h1", "g1", "id"    # g2 = 4σ−2 ∈ [−2,2]; h1 = 2σ−1 ∈ [−1,1]; g1 = σ ∈ [0,1]; id = x

EXP2_CAP = 5_000_000        # Table 11: "after 5 million exemplars" (exps 2a, 2b, 2c)
CAP_FACTOR = 3              # D16: cap = 3 × the paper's mean sequences to success (exp 2: at most EXP2_CAP)
TEST_SEQUENCES = 2560       # Table 11 "test set size" 2560 (exps 3-6), measured after stopping (D15)
CHECK_EVERY = 0.01          # D14: test-set criteria (exps 1, 3) checked at least every 1 % of the paper's mean


@dataclass(frozen=True)
class PaperNet:
    kind: str                   # "lstm" (memory-cell blocks) or "rnn" (Table 2's RTRL/BPTT net)
    n_in: int
    n_out: int
    blocks: int                 # RNN: 0
    block_size: int             # RNN: 0
    hidden: int                 # hidden units (cells + gates; RNN: conventional units)
    weights: int                # Table 10 "w" / Tables 1-9 "# weights"
    connectivity: str           # "F" or "B" (Table 10 "c")
    output_gate: bool
    bias: str                   # "none", "ga" (gates only), "b1" (cells and gates), "all" (non-input units)
    in_gate_bias: tuple[float, ...] | None      # per block; None: "r" (random like any weight)
    out_gate_bias: tuple[float, ...] | None
    g: str
    h: str
    init: float                 # every weight U[−init, init] except the listed gate biases (Table 11)
    gradient: str               # "truncated" (LSTM, spec §1.5) or "full" (RTRL/BPTT)


@dataclass(frozen=True)
class PaperRow:
    experiment: str             # "exp1" … "exp6"
    task: str                   # "1", "2a", "2b", "2c", "3a", "3b", "3c", "4", "5", "6a", "6b"
    method: str                 # "LSTM", "RTRL", "BPTT"
    letters: dict               # the row's identity: p, q, T, N, n_seq, blocks/size (exp 1)
    net: PaperNet
    learning_rate: float
    trials: int
    criterion: dict             # the numbers of the stopping/success rule (see test_protocol.criterion_numbers)
    task_numbers: dict          # the generator's stated numbers (ranges, noise, targets)
    paper_pct: float | None     # "% success" where the paper prints one
    paper_mean: float | None    # mean sequences to success ("success after", exp 3: stop = ST2)
    paper_cap: int | None = None            # the paper's own cap (exp 2: 5,000,000)
    test_sequences: int = 0                 # fresh test sequences after stopping (exps 3-6)
    check_every_max: float | None = None    # D14: largest check interval (exps 1, 3)
    refs: dict = field(default_factory=dict)   # other printed numbers: st1, test_wrong, test_error
    updates: str = "sequence"               # D2: weights change once per sequence
    construction: str | None = None         # D4: 2a/2b's cell added once the error stops decreasing

    @property
    def name(self) -> str:
        letters = " ".join(f"{k}={v}" for k, v in self.letters.items())
        return f"{self.experiment} {self.task} {self.method} {letters}".strip()

    @property
    def expected_cap(self) -> int | None:
        """D16: 3 × the paper's mean, or the paper's own cap where smaller; None where the paper gives no mean
        (then only the paper's cap bounds it: a lower cap is allowed when the row's note says so)."""
        if self.paper_mean is None:
            return None
        cap = CAP_FACTOR * int(self.paper_mean)
        return min(cap, self.paper_cap) if self.paper_cap else cap


ROWS: list[PaperRow] = []

# ------------------------------------------------------------------ Experiment 1 (spec §2, Table 1, Table 10 rows 1-1..1-5)
# 7 inputs/outputs (B T P S X V E one-hot); 4 blocks × 1 (264 weights) or 3 × 2 (276); connectivity F; only gates
# biased ("ga"); output-gate biases −1, −2, −3(, −4); input-gate biases "r"; h1, g2; init U[−0.2, 0.2]; 30 trials
# (3 train/test pairs × 10 initialisations); success: every symbol of every string of the 256 training AND the
# 256 test strings predicted correctly (the possible next symbols the most active outputs).


def _exp1_net(blocks: int, size: int) -> PaperNet:
    return PaperNet("lstm", 7, 7, blocks, size, blocks * (size + 2), {(4, 1): 264, (3, 2): 276}[(blocks, size)],
                    "F", True, "ga", None, tuple(-float(j) for j in range(1, blocks + 1)), G2, H1, 0.2,
                    "truncated")


EXP1_CRITERION = {"sets": ("train", "test"), "set_size": 256, "pairs": 3}
for blocks, size, lr, pct, mean in ((4, 1, 0.1, 100, 39_740), (3, 2, 0.1, 100, 21_730), (3, 2, 0.2, 97, 14_060),
                                    (4, 1, 0.5, 97, 9_500), (3, 2, 0.5, 100, 8_440)):
    ROWS.append(PaperRow("exp1", "1", "LSTM", {"blocks": blocks, "size": size, "lr": lr}, _exp1_net(blocks, size),
                         lr, 30, EXP1_CRITERION, {"symbols": 7}, pct, mean,
                         check_every_max=CHECK_EVERY * mean))

# ------------------------------------------------------------------ Experiment 2 (spec §3, Tables 2, 3, 10, 11)
# 2a: p+1 symbols one-hot, training set = the two sequences (y a1 … a(p−1) y), (x a1 … a(p−1) x); next-symbol
# prediction at every step; success ABS(0.25) over 10,000 successive random sequences "after training" (D13:
# with the weights frozen, run at intervals: D14's at most 1 % of the paper's mean); stop after 5,000,000;
# 18 trials per row. RTRL/BPTT: one self-recurrent hidden unit, p+1 outputs, code B, logistic, no biases,
# (p+2)² weights, U[−0.2, 0.2]. LSTM: one cell + one input gate (no output gate), code B, no biases, h = id,
# g = g1, lr 1.0, 10504 weights at p = 100; the cell and its gate are added once the error stops decreasing, their
# outgoing weights set to zero (Sec. 4, sequential construction; D4).


def _rnn_2a(p: int) -> PaperNet:
    return PaperNet("rnn", p + 1, p + 1, 0, 0, 1, (p + 2) ** 2, "B", False, "none", None, None, G1, ID, 0.2, "full")


def _lstm_2ab(p: int) -> PaperNet:
    return PaperNet("lstm", p + 1, p + 1, 1, 1, 2, 2 * (p + 1) + (p + 1) * (p + 2), "B", False, "none", None, None,
                    G1, ID, 0.2, "truncated")


EXP2_AB_CRITERION = {"abs": 0.25, "successive": 10_000, "frozen": True}
SEQUENTIAL = "sequential, outgoing weights from zero"      # D4 (revised)
for method, p, lr, pct, mean in (("RTRL", 4, 1.0, 78, 1_043_000), ("RTRL", 4, 4.0, 56, 892_000),
                                 ("RTRL", 4, 10.0, 22, 254_000),
                                 # "1.0-10.0", 0 % after > 5,000,000: the project runs the rates 1, 4, 10
                                 *((m, p_, r, 0, None) for m, p_ in (("RTRL", 10), ("RTRL", 100), ("BPTT", 100))
                                   for r in (1.0, 4.0, 10.0))):
    ROWS.append(PaperRow("exp2", "2a", method, {"p": p, "lr": lr}, _rnn_2a(p), lr, 18, EXP2_AB_CRITERION,
                         {"p": p, "length": p + 1}, pct, mean, paper_cap=EXP2_CAP,
                         check_every_max=None if mean is None else CHECK_EVERY * mean))
ROWS.append(PaperRow("exp2", "2a", "LSTM", {"p": 100}, _lstm_2ab(100), 1.0, 18, EXP2_AB_CRITERION,
                     {"p": 100, "length": 101}, 100, 5_040, paper_cap=EXP2_CAP, check_every_max=CHECK_EVERY * 5_040,
                     construction=SEQUENTIAL))
# 2b: as 2a with an i.i.d. random middle; only the final prediction judged; LSTM always successful, 5,680 (18 trials)
ROWS.append(PaperRow("exp2", "2b", "LSTM", {"p": 100}, _lstm_2ab(100), 1.0, 18, EXP2_AB_CRITERION,
                     {"p": 100, "length": 101}, 100, 5_680, paper_cap=EXP2_CAP, check_every_max=CHECK_EVERY * 5_680,
                     construction=SEQUENTIAL))
# 2c: p+4 symbols, 2 outputs, 2 blocks of size 1, code F, no biases, h1, g2, U[−0.2, 0.2], lr 0.01; 6p+64 weights;
# success: both outputs' error below 0.2 (ABS(0.2)) for 10,000 successive sequences; 20 trials per (q, p).
for q, p, mean in ((50, 50, 30_000), (100, 100, 31_000), (200, 200, 33_000), (500, 500, 38_000),
                   (1000, 1000, 49_000), (1000, 500, 49_000), (1000, 200, 75_000), (1000, 100, 135_000),
                   (1000, 50, 203_000)):
    net = PaperNet("lstm", p + 4, 2, 2, 1, 6, 6 * p + 64, "F", True, "none", None, None, G2, H1, 0.2, "truncated")
    ROWS.append(PaperRow("exp2", "2c", "LSTM", {"q": q, "p": p}, net, 0.01, 20,
                         {"abs": 0.2, "successive": 10_000, "frozen": True},
                         {"p": p, "q": q, "min_length": q + 4, "continue": 0.9}, None, mean, paper_cap=EXP2_CAP,
                         check_every_max=CHECK_EVERY * mean))

# ------------------------------------------------------------------ Experiment 3 (spec §4, Tables 4-6, 10, 11)
# 1 input, 1 output, 3 blocks of size 1, code F, cells and gates biased, output unbiased (b1), input-gate biases
# −1, −3, −5, output-gate biases −2, −4, −6, h1, g2, U[−0.1, 0.1]; 102 weights; lr 1.0 (3a, 3b), 0.1 (3c);
# 10 trials. Lengths uniform in T..T+T/10; noise N(0, variance 0.2). ST1/ST2 on 256 sequences of "a randomly
# chosen test set" (D14: one set per trial, drawn once); then 2560.
EXP3_NET = PaperNet("lstm", 1, 1, 3, 1, 9, 102, "F", True, "b1", (-1.0, -3.0, -5.0), (-2.0, -4.0, -6.0), G2, H1, 0.1,
                    "truncated")
EXP3_RULES = {
    "3a": {"abs": 0.2, "check_set": 256, "max_wrong": 0, "mean_below": 0.01, "set_fixed": True},   # ST1: none
    "3b": {"abs": 0.2, "check_set": 256, "max_wrong": 5, "mean_below": 0.04, "set_fixed": True},   # ST1: < 6 wrong
    "3c": {"abs": 0.1, "check_set": 256, "max_wrong": 0, "mean_below": 0.015, "set_fixed": True},  # |y − clean| > 0.1
}
EXP3_TASK = {
    "3a": {"noise_var": 0.2, "class_noise": False, "targets": (1.0, 0.0), "target_var": 0.0},
    "3b": {"noise_var": 0.2, "class_noise": True, "targets": (1.0, 0.0), "target_var": 0.0},
    "3c": {"noise_var": 0.2, "class_noise": False, "targets": (0.2, 0.8), "target_var": 0.1},
}
for task, T, N, st1, stop, fraction, diff in (
        ("3a", 100, 3, 27_380, 39_850, 0.000195, None), ("3a", 100, 1, 58_370, 64_330, 0.000117, None),
        ("3a", 1000, 3, 446_850, 452_460, 0.000078, None),
        ("3b", 100, 3, 41_740, 43_250, 0.00828, None), ("3b", 100, 1, 74_950, 78_430, 0.01500, None),
        ("3b", 1000, 1, 481_060, 485_080, 0.01207, None),
        ("3c", 100, 3, None, 269_650, 0.00558, 0.014), ("3c", 100, 1, None, 565_640, 0.00441, 0.012)):
    ROWS.append(PaperRow("exp3", task, "LSTM", {"T": T, "N": N}, EXP3_NET, 0.1 if task == "3c" else 1.0, 10,
                         EXP3_RULES[task], {"T": T, "N": N, "lengths": (T, T + T // 10), **EXP3_TASK[task]},
                         None, stop, test_sequences=TEST_SEQUENCES, check_every_max=CHECK_EVERY * stop,
                         refs={"st1": st1, "test_wrong": fraction * TEST_SEQUENCES, "test_error": diff}))

# ------------------------------------------------------------------ Experiment 4 (spec §5, Table 7, 10, 11)
# 2 inputs, 1 output, 2 blocks of size 2, code F, ALL non-input units biased, input-gate biases −3, −6, output-gate
# biases random, h1, g2, U[−0.1, 0.1]; 93 weights; lr 0.5; 10 trials. Values U[−1, 1]; first mark in pairs 1..10,
# second among the first T/2 − 1 unmarked; X1 := 0 if pair 1 is marked (D9: the input shows the 0 too);
# target 0.5 + (X1 + X2)/4; lengths
# T..T+T/10. ST3(0.01): average training error < 0.01 and the 2000 most recent sequences correct (ABS(0.04)).
EXP45_NET = dict(kind="lstm", n_in=2, n_out=1, blocks=2, block_size=2, hidden=8, weights=93, connectivity="F",
                 output_gate=True, bias="all", out_gate_bias=None, g=G2, h=H1, init=0.1, gradient="truncated")
for T, wrong, mean in ((100, 1, 74_000), (500, 0, 209_000), (1000, 1, 853_000)):
    ROWS.append(PaperRow("exp4", "4", "LSTM", {"T": T}, PaperNet(in_gate_bias=(-3.0, -6.0), **EXP45_NET), 0.5, 10,
                         {"abs": 0.04, "recent_window": 2000, "fewer_wrong_than": 1, "mean_below": 0.01,
                          "squared": False},    # D12: the average is the mean ABSOLUTE error over the window
                         {"T": T, "values": (-1.0, 1.0), "first_x1": 0.0, "marked_first": "zeroed",
                          "lengths": (T, T + T // 10),
                          "first_mark": (1, 10), "second_mark": (1, T // 2)},
                         None, mean, test_sequences=TEST_SEQUENCES, refs={"test_wrong": wrong}))

# ------------------------------------------------------------------ Experiment 5 (spec §6, Table 8)
# As exp 4 but values U[0, 1], X1 := 1.0 if pair 1 is marked, target X1·X2; ALL weights incl. biases U[−0.1, 0.1]
# (igb = ogb = r); lr 0.1; T = 100; 10 trials. Stop: fewer than n_seq of the 2000 most recent sequences have
# absolute error > 0.04 (n_seq = 140, 13); then 2560 test sequences.
for n_seq, wrong, mse, mean in ((140, 139, 0.0223, 482_000), (13, 14, 0.0139, 1_273_000)):
    ROWS.append(PaperRow("exp5", "5", "LSTM", {"T": 100, "n_seq": n_seq}, PaperNet(in_gate_bias=None, **EXP45_NET),
                         0.1, 10, {"abs": 0.04, "recent_window": 2000, "fewer_wrong_than": n_seq, "mean_below": None},
                         {"T": 100, "values": (0.0, 1.0), "first_x1": 1.0, "marked_first": "zeroed",
                          "lengths": (100, 110),
                          "first_mark": (1, 10), "second_mark": (1, 50)},
                         None, mean, test_sequences=TEST_SEQUENCES, refs={"test_wrong": wrong, "test_error": mse}))

# ------------------------------------------------------------------ Experiment 6 (spec §7, Table 9, 10, 11)
# 8 inputs (a b c d X Y B E), 2 (6a) / 3 (6b) blocks of size 2, 4 / 8 outputs, code F, all non-input units
# biased, input-gate biases −2, −4(, −6), output-gate biases random, h1, g2, U[−0.1, 0.1]; 156 / 308 weights;
# lr 0.5 / 0.1; 20 / 10 trials. Lengths 100..110; t1 ∈ 10..20, t2 ∈ 50..60 (6a); t1 ∈ 10..20, t2 ∈ 33..43,
# t3 ∈ 66..76 (6b). ST3(0.1), ABS(0.3) on every output.
for task, blocks, n_out, weights, lr, trials, relevant, wrong, mean in (
        ("6a", 2, 4, 156, 0.5, 20, ((10, 20), (50, 60)), 1, 31_390),
        ("6b", 3, 8, 308, 0.1, 10, ((10, 20), (33, 43), (66, 76)), 2, 571_100)):
    net = PaperNet("lstm", 8, n_out, blocks, 2, blocks * 4, weights, "F", True, "all",
                   tuple(-2.0 * j for j in range(1, blocks + 1)), None, G2, H1, 0.1, "truncated")
    ROWS.append(PaperRow("exp6", task, "LSTM", {}, net, lr, trials,
                         {"abs": 0.3, "recent_window": 2000, "fewer_wrong_than": 1, "mean_below": 0.1,
                          "squared": False},
                         {"relevant": relevant, "lengths": (100, 110), "classes": n_out},
                         None, mean, test_sequences=TEST_SEQUENCES, refs={"test_wrong": wrong}))

# Rows of the paper's tables the project lists but does not train: competitors whose numbers it quotes.
NOT_RUN = {("exp1", "RTRL"), ("exp1", "ELM"), ("exp1", "RCC"), ("exp2", "CH")}


def by_name() -> dict[str, PaperRow]:
    table = {r.name: r for r in ROWS}
    assert len(table) == len(ROWS), "two spec rows share a name"
    return table


def lookup(**identity: Any) -> PaperRow:
    (row,) = [r for r in ROWS if all(getattr(r, k) == v for k, v in identity.items())]
    return row
