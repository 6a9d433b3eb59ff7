"""Every generator reaches every end of every range the paper states, and its symbols, classes, positions and
lengths follow the stated distribution (spec §2-§7; decisions 9-11).

Each distribution is tested with a bound whose false-alarm probability is at most 1e-4 (ALPHA): chi-square
goodness of fit (critical value ``scipy.stats.chi2.isf(ALPHA, df)``), exact binomial bounds
(``binom.ppf(ALPHA/2)``, ``binom.isf(ALPHA/2)``) or a Kolmogorov-Smirnov p-value above ALPHA. Seeds are fixed,
so a run is deterministic; the bounds say how unlikely a failure of a correct generator would be under another
seed. Settings are the smallest the paper uses (exp 2a p = 4, 2c q = p = 50, T = 100 for exps 3-5).

Positions are 1-indexed and ranges inclusive (decision 9, spec §15).
"""
from __future__ import annotations

import functools

import jax
import numpy as np
import pytest
from scipy import stats

from lstm97.tasks import make_task
from lstm97.tasks.exp1 import generate

ALPHA = 1e-4          # false-alarm probability of every bound below


@functools.cache
def _batch(name: str, n: int, seed: int = 0, **options):
    task = make_task(name, **options)
    seqs = jax.jit(jax.vmap(task.sample))(jax.random.split(jax.random.PRNGKey(seed), n))
    return task, jax.tree.map(np.asarray, seqs)


def chi_square(counts, probs, what: str) -> None:
    """Goodness of fit of ``counts`` to ``probs`` at false alarm ALPHA; every expected count must be ≥ 5."""
    counts = np.asarray(counts, dtype=float)
    probs = np.asarray(probs, dtype=float)
    expected = counts.sum() * probs / probs.sum()
    assert expected.min() >= 5, f"test bug: {what}: an expected count below 5 ({expected.min():.1f})"
    stat = float(((counts - expected) ** 2 / expected).sum())
    critical = stats.chi2.isf(ALPHA, len(counts) - 1)
    assert stat < critical, (f"{what}: chi-square {stat:.1f} ≥ {critical:.1f} (df {len(counts) - 1}, false alarm "
                             f"{ALPHA:g}); counts {counts.astype(int).tolist()}, expected {np.round(expected, 1).tolist()}")


def binomial(k: int, n: int, p: float, what: str) -> None:
    """``k`` successes of ``n`` with probability ``p`` within exact bounds at false alarm ≤ ALPHA (two tails)."""
    low, high = stats.binom.ppf(ALPHA / 2, n, p), stats.binom.isf(ALPHA / 2, n, p)
    assert low <= k <= high, f"{what}: {k} of {n}, outside [{low:.0f}, {high:.0f}] (p = {p}, false alarm {ALPHA:g})"


def support(values, low: int, high: int, what: str) -> None:
    """The values cover exactly the integers low..high: both ends reached, nothing outside."""
    got = np.unique(values)
    assert got.min() == low and got.max() == high, f"{what}: range {got.min()}..{got.max()}, paper {low}..{high}"
    assert len(got) == high - low + 1, f"{what}: missing {sorted(set(range(low, high + 1)) - set(got.tolist()))}"


def uniform_counts(values, low: int, high: int, what: str) -> None:
    support(values, low, high, what)
    chi_square(np.bincount(np.asarray(values) - low, minlength=high - low + 1), np.ones(high - low + 1), what)


def continuous(values, dist, what: str) -> None:
    """Kolmogorov-Smirnov against the stated distribution: p-value above ALPHA (false alarm ALPHA)."""
    p = stats.kstest(np.asarray(values, dtype=np.float64), dist).pvalue
    assert p > ALPHA, f"{what}: KS p-value {p:.2g} ≤ {ALPHA:g}"


# ---------------------------------------------------------------- experiment 1: embedded Reber grammar (spec §2)

# The automaton as spec §2 writes it: after B → s1; s1 –T→ s2, –P→ s3; s2 –S→ s2, –X→ s4; s3 –T→ s3, –V→ s5;
# s4 –X→ s3, –S→ s6; s5 –P→ s4, –V→ s6; s6 –E→ end. Every binary choice has probability 0.5.
REBER = {1: (("T", 2), ("P", 3)), 2: (("S", 2), ("X", 4)), 3: (("T", 3), ("V", 5)), 4: (("X", 3), ("S", 6)),
         5: (("P", 4), ("V", 6))}
NAMES = "BTPSXVE"


def _reber_length_pmf(max_len: int) -> np.ndarray:
    """P(embedded string length = L) from the automaton: B, T|P, the inner B … E, T|P, E (L = inner + 4)."""
    prob = {s: np.zeros(max_len + 1) for s in range(1, 7)}     # P(in state s after n symbols from s1)
    prob[1][0] = 1.0
    for n in range(max_len):
        for s, moves in REBER.items():
            for _, nxt in moves:
                prob[nxt][n + 1] += 0.5 * prob[s][n]
    pmf = np.zeros(max_len + 1)
    for n in range(max_len + 1):             # n symbols from s1 to s6, then E: inner = B + n + E
        if n + 2 + 4 <= max_len:
            pmf[n + 2 + 4] = prob[6][n]
    return pmf


def test_reber_choices_lengths_and_the_embedded_symbol():
    n = 8000
    x, length, complete = map(np.asarray, jax.jit(jax.vmap(lambda k: generate(k, 40)))(
        jax.random.split(jax.random.PRNGKey(1), n)))
    assert complete.mean() > 0.999
    strings = ["".join(NAMES[s] for s in row[:m]) for row, m in zip(x[complete], length[complete])]
    # the embedded T|P: Binomial(7,999, ½), 4,000 expected; bounds at false alarm 1e-4
    binomial(sum(s[1] == "T" for s in strings), len(strings), 0.5, "second symbol T (vs P)")
    choices = {state: [0, 0] for state in REBER}
    for s in strings:
        state = 1
        for sym in s[3:-3]:                  # the inner string between its B and its E
            options = [m[0] for m in REBER[state]]
            assert sym in options, f"{s}: {sym} is not a successor in state s{state}"
            pick = options.index(sym)
            choices[state][pick] += 1
            state = REBER[state][pick][1]
        assert state == 6 and s[-3] == "E" and s[-2] == s[1] and s[-1] == "E"
    for state, (first, second) in choices.items():
        # each state's two successors: Binomial(visits, ½); visits ≥ 4,000 per state here; false alarm 1e-4 each
        binomial(first, first + second, 0.5, f"state s{state}: {REBER[state][0][0]} vs {REBER[state][1][0]}")
    # length: exact pmf from the automaton, minimum 9 ("time lags as few as 9 steps"); lengths 9..19 one cell each
    # (expected counts 1,000 … 35 of 7,999), 20 and longer lumped (expected ≈ 260); chi-square df 11, false alarm 1e-4
    pmf = _reber_length_pmf(40)
    lengths = np.array([len(s) for s in strings])
    assert lengths.min() == 9 and pmf[:9].sum() == 0
    cells = np.append(np.bincount(lengths, minlength=41)[9:20], (lengths >= 20).sum())
    chi_square(cells, np.append(pmf[9:20], 1 - pmf[:20].sum()), "embedded Reber string lengths")


def test_reber_training_strings_are_picked_uniformly():
    """Selection t1 (Table 11): each of the 256 training strings with probability 1/256; a string occurring m
    times in the set is picked with probability m/256. 12,800 picks: 50 × m expected per distinct string;
    chi-square over the distinct strings, false alarm 1e-4."""
    task = make_task("exp1", pair=0)
    train = task.train_set
    names = ["".join(NAMES[s] for s in row[:m]) for row, m in zip(train.x, train.length)]
    distinct, mult = np.unique(names, return_counts=True)
    seqs = jax.tree.map(np.asarray, jax.jit(jax.vmap(task.sample))(jax.random.split(jax.random.PRNGKey(2), 12_800)))
    picked = ["".join(NAMES[s] for s in row[:m]) for row, m in zip(seqs.x, seqs.length)]
    index = {s: i for i, s in enumerate(distinct)}
    assert all(s in index for s in picked), "a picked string is not in the training set"
    counts = np.bincount([index[s] for s in picked], minlength=len(distinct))
    chi_square(counts, mult / 256, "training-string picks")


# ---------------------------------------------------------------- experiment 2 (spec §3)

def test_2a_two_sequences_equally_likely():
    task, seqs = _batch("exp2a", 2000, p=4)
    x = seqs.x
    assert {tuple(r) for r in x} == {(4, 0, 1, 2, 4), (3, 0, 1, 2, 3)}             # (y a1 a2 a3 y), (x … x)
    binomial(int((x[:, 0] == 4).sum()), 2000, 0.5, "2a: y (vs x)")                  # 1,000 expected, alarm 1e-4


def test_2b_middle_uniform_over_p_minus_1_symbols():
    task, seqs = _batch("exp2b", 2000, p=100)
    x = seqs.x
    binomial(int((x[:, 0] == 100).sum()), 2000, 0.5, "2b: y (vs x)")                # 1,000 expected, alarm 1e-4
    assert (x[:, 0] == x[:, -1]).all()
    # a1..a99 i.i.d. uniform: 2000 × 99 draws, 2,000 expected per symbol; chi-square df 98, false alarm 1e-4
    uniform_counts(x[:, 1:-1].ravel(), 0, 98, "2b: middle symbols a1..a99")


def test_2c_classes_distractors_and_lengths():
    q, p = 50, 50
    task, seqs = _batch("exp2c", 4000, q=q, p=p)
    n, x = seqs.length, seqs.x
    e, b, xs = p, p + 1, p + 2
    rows = np.arange(4000)
    assert (x[:, 0] == b).all() and (x[rows, n - 2] == e).all() and (x[rows, n - 1] == x[:, 1]).all()
    binomial(int((x[:, 1] == xs + 1).sum()), 4000, 0.5, "2c: y (vs x)")             # 2,000 expected, alarm 1e-4
    pos = np.arange(task.max_len)
    between = (pos >= 2) & (pos < (n - 2)[:, None])
    assert (x[between] < p).all(), "2c: only distractors between the class and e"
    # distractors a1..a50 uniform: ≈ 4000 × 59 draws, ≈ 4,700 expected each; chi-square df 49, false alarm 1e-4
    uniform_counts(x[between], 0, p - 1, "2c: distractors a1..a50")
    # length q + 4 + k, k extra distractors: geometric, P(k) = 0.9^k · 0.1 (9/10 another distractor, 1/10 e);
    # cells k = 0..29 (expected 400 … 19) and k ≥ 30 (expected 169); chi-square df 30, false alarm 1e-4
    k = n - (q + 4)
    assert k.min() == 0, "2c: the minimal length q + 4 is never drawn"
    probs = np.append(0.1 * 0.9 ** np.arange(30), 0.9 ** 30)
    chi_square(np.append(np.bincount(k, minlength=30)[:30], (k >= 30).sum()), probs, "2c: extra distractors k")


# ---------------------------------------------------------------- experiment 3 (spec §4, decision 11)

@pytest.mark.parametrize("name", ["exp3a", "exp3b", "exp3c"])
def test_exp3_lengths_classes_and_noise(name):
    T, N, count = 100, 3, 2000
    task, seqs = _batch(name, count, T=T, N=N)
    n, x = seqs.length, seqs.x[..., 0]
    # lengths uniform in T..T+T/10: 11 values, 181.8 expected each of 2,000; chi-square df 10, false alarm 1e-4
    uniform_counts(n, T, T + T // 10, f"{name}: lengths")
    end = seqs.target[np.arange(count), n - 1, 0]
    clean = np.asarray(jax.vmap(task.clean_target)(seqs))[np.arange(count), n - 1, 0]
    class1 = np.isclose(clean, task.targets[0])
    assert (class1 | np.isclose(clean, task.targets[1])).all()
    binomial(int(class1.sum()), count, 0.5, f"{name}: class 1 (vs 2)")              # 1,000 expected, alarm 1e-4
    pos = np.arange(task.max_len)
    noise = x[(pos >= N) & (pos < n[:, None])]
    continuous(noise[:50_000], stats.norm(0, np.sqrt(0.2)).cdf, f"{name}: noise N(0, variance 0.2)")
    head = x[:, :N] - np.where(class1, 1.0, -1.0)[:, None]                          # deviation from ±1
    if name == "exp3b":
        continuous(head.ravel(), stats.norm(0, np.sqrt(0.2)).cdf, "3b: noise on the class elements")
    else:
        assert (head == 0).all(), f"{name}: the first N elements are exactly ±1"
    if name == "exp3c":
        continuous(end - clean, stats.norm(0, np.sqrt(0.1)).cdf, "3c: target noise N(0, variance 0.1)")
        assert set(task.targets) == {0.2, 0.8}
    else:
        np.testing.assert_array_equal(end, clean)


# ---------------------------------------------------------------- experiments 4 and 5 (spec §5, §6, decision 9)

@pytest.mark.parametrize("name", ["exp4", "exp5"])
def test_adding_and_multiplication_ranges_and_positions(name):
    T, count = 100, 4000
    task, seqs = _batch(name, count, T=T)
    n, value, marker = seqs.length, seqs.x[..., 0], seqs.x[..., 1]
    # lengths uniform in T..T+T/10: 11 values, 363.6 expected each of 4,000; chi-square df 10, false alarm 1e-4
    uniform_counts(n, T, T + T // 10, f"{name}: lengths")
    live = np.arange(task.max_len) < n[:, None]
    low = -1.0 if name == "exp4" else 0.0
    set_by_rule = (np.arange(task.max_len) == 0) & (marker == 1.0)        # a marked pair 1 may show X1 := 0 (1.0)
    values = value[live & ~set_by_rule]
    # ≈ 420,000 values: each end within 1e-3 is missed with probability (1 − 5e-4)^420000 ≈ e^−210
    assert values.min() >= low and values.max() <= 1.0, f"{name}: values outside [{low}, 1]"
    assert values.min() < low + 1e-3 and values.max() > 1.0 - 1e-3, (
        f"{name}: values {values.min():.4f}..{values.max():.4f} do not reach both ends of [{low}, 1]")
    continuous(values[:100_000], stats.uniform(low, 1.0 - low).cdf, f"{name}: values U[{low}, 1]")
    marks = np.sort(np.argwhere(marker == 1.0)[:, 1].reshape(count, 2), axis=1) + 1      # 1-indexed
    first, last = marks[:, 0], marks[:, 1]
    # first mark uniform over 1..10, second uniform over the T/2 − 1 = 49 unmarked of 1..T/2. Marks look alike,
    # so test the earlier (min) and later (max) mark: P(min = j) = (60 − 2j)/490 for j ≤ 10;
    # P(max = j) = 2(j − 1)/490 for j ≤ 10, 1/49 for 11 ≤ j ≤ 50 (derived from the paper's rule)
    j = np.arange(1, 11)
    support(first, 1, 10, f"{name}: earlier mark")
    chi_square(np.bincount(first, minlength=11)[1:], (60 - 2 * j) / 490,
               f"{name}: earlier mark")   # expected 4000·(58 … 40)/490 = 473 … 327; df 9, false alarm 1e-4
    support(last, 2, T // 2, f"{name}: later mark")
    later = np.bincount(last, minlength=T // 2 + 1)[2:]
    probs = np.append(2 * (np.arange(2, 11) - 1) / 490, np.full(T // 2 - 10, 1 / 49))
    chi_square(np.append(later[:4].sum(), later[4:]), np.append(probs[:4].sum(), probs[4:]),
               f"{name}: later mark")     # j = 2..5 lumped (expected 163), j = 6..10: 82 … 147, j = 11..50: 81.6
    #                                           each; chi-square df 45, false alarm 1e-4
    rows = np.arange(count)
    assert (marker[rows, n - 1] == -1.0).all() and (marker[first > 1, 0] == -1.0).all()


# ---------------------------------------------------------------- experiment 6 (spec §7, decision 10)

@pytest.mark.parametrize("name", ["exp6a", "exp6b"])
def test_temporal_order_positions_symbols_and_classes(name):
    count = 4000
    task, seqs = _batch(name, count)
    n, x = seqs.length, seqs.x
    # lengths uniform in 100..110: 11 values, 363.6 expected each of 4,000; chi-square df 10, false alarm 1e-4
    uniform_counts(n, 100, 110, f"{name}: lengths")
    rows = np.arange(count)
    assert (x[:, 0] == 7).all() and (x[rows, n - 1] == 6).all(), "starts with E, ends with B"
    relevant = (x == 4) | (x == 5)
    where = np.argwhere(relevant)[:, 1].reshape(count, -1) + 1                      # 1-indexed, in order
    ranges = task.relevant
    assert where.shape[1] == len(ranges)
    for i, (lo, hi) in enumerate(ranges):
        # t_i uniform in lo..hi: 11 positions, 363.6 expected each; chi-square df 10, false alarm 1e-4
        uniform_counts(where[:, i], lo, hi, f"{name}: t{i + 1}")
        symbol = x[rows, where[:, i] - 1]
        binomial(int((symbol == 5).sum()), count, 0.5, f"{name}: Y at t{i + 1}")       # 2,000 expected, 1e-4
    inner = (np.arange(task.max_len) > 0) & (np.arange(task.max_len) < (n - 1)[:, None]) & ~relevant
    # distractors a, b, c, d uniform: ≈ 4000 × 103 draws, ≈ 103,000 expected each; chi-square df 3, alarm 1e-4
    uniform_counts(x[inner], 0, 3, f"{name}: distractors a..d")
    classes = seqs.target[rows, n - 1].argmax(-1)
    # classes uniform over 4 (6a: 1,000 expected each) or 8 (6b: 500 each); chi-square, false alarm 1e-4
    uniform_counts(classes, 0, task.n_out - 1, f"{name}: classes")
