"""Generator facts of experiments 1, 3, 4, 5 and 6 (spec §2, §4-§7; decisions 7, 9, 10, 11)."""
import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstm97.__main__ import main
from lstm97.tasks import REGISTRY, TaskError, make_task
from lstm97.tasks.exp1 import generate, legal_correct, legal_next, make_set_pairs, make_sets

LATER = ("exp1", "exp3a", "exp3b", "exp3c", "exp4", "exp5", "exp6a", "exp6b")


@functools.cache
def _sampler(task):
    return jax.jit(jax.vmap(task.sample))


@functools.cache
def _batch(task, n=2000, seed=0):
    """n sequences as numpy arrays; one compilation per task, shared by the tests."""
    return jax.tree.map(np.asarray, _sampler(task)(jax.random.split(jax.random.PRNGKey(seed), n)))


def _end_only(seqs):
    """mask and judge are one-hot at the last true step."""
    last = np.eye(seqs.mask.shape[1])[seqs.length - 1]
    np.testing.assert_array_equal(seqs.mask, last)
    np.testing.assert_array_equal(seqs.judge, last)


# ---------------------------------------------------------------- experiment 1: embedded Reber grammar

REBER = {1: {"T": 2, "P": 3}, 2: {"S": 2, "X": 4}, 3: {"T": 3, "V": 5}, 4: {"X": 3, "S": 6}, 5: {"P": 4, "V": 6}}
NAMES = "BTPSXVE"


def reber_legal(string):
    """Independent reading of Fig. 3/4: the legal successors after each prefix, or None once it is illegal."""
    legal = []
    for t in range(len(string)):
        prefix = string[:t + 1]
        legal.append(_successors(prefix))
    return legal


def _successors(prefix):
    if prefix == "B":
        return {"T", "P"}
    if prefix[0] != "B" or prefix[1] not in "TP":
        return None
    if len(prefix) == 2:
        return {"B"}
    inner, state = prefix[2:], None
    for i, sym in enumerate(inner):
        if i == 0:
            if sym != "B":
                return None
            state = 1
        elif state == 6:
            if sym != "E":
                return None
            rest = inner[i + 1:]
            if rest == "":
                return {prefix[1]}
            if rest == prefix[1]:
                return {"E"}
            return set() if rest == prefix[1] + "E" else None
        elif sym in REBER[state]:
            state = REBER[state][sym]
        else:
            return None
    return {"E"} if state == 6 else set(REBER[state])


def accepted(string):
    return (len(string) >= 2 and string[-1] == "E" and _successors(string) == set()
            and string[-2] == string[1])


def _strings(x, length):
    return ["".join(NAMES[s] for s in row[:n]) for row, n in zip(x, length)]


def test_reber_strings_are_in_the_grammar():
    x, length, complete = jax.jit(jax.vmap(lambda k: generate(k, 40)))(jax.random.split(jax.random.PRNGKey(0), 4000))
    x, length, complete = map(np.asarray, (x, length, complete))
    assert complete.mean() > 0.999
    strings = _strings(x[complete], length[complete])
    assert all(accepted(s) for s in strings)
    assert min(map(len, strings)) == 9                                   # "time lags as few as 9 steps"
    lengths = length[complete].astype(float)
    assert abs(lengths.mean() - 12.0) < 4 * lengths.std() / np.sqrt(len(lengths))   # spec §2: mean 12.0
    assert abs(np.mean([s[1] == "T" for s in strings]) - 0.5) < 0.03
    assert all(s[1] == s[-2] for s in strings)                          # the embedded symbol comes back
    assert (x[complete][np.arange(x.shape[1]) >= length[complete][:, None]] == 0).all()   # padded with B


def test_reber_legal_sets_match_an_independent_reading():
    task = make_task("exp1")
    for s in (task.train_set, task.test_set):
        for row, n, legal in zip(s.x[:64], s.length[:64], s.legal[:64]):
            string = _strings([row], [n])[0]
            expected = reber_legal(string)
            got = [{NAMES[i] for i in np.flatnonzero(legal[t])} for t in range(n)]
            assert got == expected
            assert not legal[n:].any()
    for bad, at in (([0, 1, 0, 3, 3], 3), ([0, 1, 0, 1, 4, 6, 1], 5)):   # B T B S …, B T B T X E …
        legal = np.asarray(legal_next(np.array(bad, dtype=np.int32)))
        assert legal[at - 1].any() and not legal[at:].any()             # nothing is legal after a break


def test_reber_targets_are_the_actual_next_symbol_and_legal():
    task = make_task("exp1")
    seqs = _batch(task)
    legal = np.asarray(jax.vmap(legal_next)(seqs.x))
    for i in range(500):
        n = seqs.length[i]
        np.testing.assert_array_equal(seqs.mask[i], np.arange(40) < n - 1)                # every step but the last
        np.testing.assert_array_equal(seqs.judge[i], seqs.mask[i])
        nxt = seqs.target[i, :n - 1].argmax(-1)
        np.testing.assert_array_equal(nxt, seqs.x[i, 1:n])                                 # decision 7
        assert legal[i, np.arange(n - 1), nxt].all()
        assert seqs.target[i].sum() == n - 1
    train = set(_strings(task.train_set.x, task.train_set.length))
    assert set(_strings(seqs.x, seqs.length)) <= train                                     # selection t1


def test_reber_legal_targets_mark_every_symbol_the_grammar_allows_next():
    """The reading exp1_target=legal: the same strings (same keys), targets = the independent legal sets;
    a step with two successors has two 1s, the symbol before last (the remembered T or P) one."""
    plain, legal_task = make_task("exp1"), make_task("exp1", target="legal")
    assert repr(plain) == repr(make_task("exp1", target="next")) and "target" not in repr(plain)
    keys = jax.random.split(jax.random.PRNGKey(3), 200)
    a, b = jax.vmap(plain.sample)(keys), jax.vmap(legal_task.sample)(keys)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.mask, b.mask)
    two = 0
    for i in range(200):
        n = int(b.length[i])
        string = _strings([np.asarray(b.x[i])], [n])[0]
        expected = reber_legal(string)[:n - 1]
        got = [{NAMES[k] for k in np.flatnonzero(np.asarray(b.target[i, t]))} for t in range(n - 1)]
        assert got == expected
        assert got[-2] == {string[1]} and got[-1] == {"E"}           # the remembered T or P, then E
        two += sum(len(g) == 2 for g in got)
        assert not np.asarray(b.target[i, n - 1:]).any()
    assert two > 200
    seqs, legal = legal_task.sequences("test")
    np.testing.assert_array_equal(np.asarray(seqs.target) > 0, np.asarray(legal) & (np.asarray(seqs.mask)[..., None] > 0))


def test_reber_train_and_test_sets():
    pairs = make_set_pairs(seed=0)
    assert len(pairs) == 3
    seen = []
    for train, test in pairs:
        assert train.x.shape == test.x.shape == (256, 40)
        tr, te = set(_strings(train.x, train.length)), set(_strings(test.x, test.length))
        assert not tr & te                                                                 # disjoint
        assert all(accepted(s) for s in tr | te)
        seen.append(tr)
    assert seen[0] != seen[1] != seen[2]
    again = make_sets(0, 1)                                                                # deterministic
    np.testing.assert_array_equal(again[1].x, pairs[1][1].x)
    assert make_task("exp1", pair=1).train_set.x.tobytes() == pairs[1][0].x.tobytes()
    distinct = make_task("exp1", distinct=1)
    for s in (distinct.train_set, distinct.test_set):
        assert len(set(_strings(s.x, s.length))) == 256


def test_legal_correct_is_the_most_active_rule():
    legal = jnp.array([[True, False, True], [False, True, False]])
    judge = jnp.array([1.0, 1.0])
    assert legal_correct(jnp.array([[0.6, 0.5, 0.7], [0.1, 0.2, 0.1]]), legal, judge)
    assert not legal_correct(jnp.array([[0.6, 0.65, 0.7], [0.1, 0.2, 0.1]]), legal, judge)
    assert legal_correct(jnp.array([[0.6, 0.65, 0.7], [0.1, 0.2, 0.1]]), legal, jnp.array([0.0, 1.0]))


# ---------------------------------------------------------------- experiment 3: the 2-sequence problem

@pytest.mark.parametrize("name", ["exp3a", "exp3b", "exp3c"])
def test_exp3_lengths_classes_and_noise(name):
    task = make_task(name, T=100, N=3)
    seqs = _batch(task)
    n = seqs.length
    assert n.min() == 100 and n.max() == 110 and task.max_len == 110
    assert len(np.unique(n)) == 11                                       # every length in T..T+T/10
    _end_only(seqs)
    x = seqs.x[..., 0]
    pos = np.arange(110)
    assert (x[pos >= n[:, None]] == 0).all()
    noise = x[(pos >= 3) & (pos < n[:, None])]
    var_se = 0.2 * np.sqrt(2 / noise.size)
    assert abs(noise.var() - 0.2) < 5 * var_se and abs(noise.mean()) < 5 * np.sqrt(0.2 / noise.size)
    head = x[:, :3]
    if name == "exp3b":                                                  # noise on the class elements too
        cls1 = (seqs.target[np.arange(2000), n - 1, 0] == 1.0)
        dev = head - np.where(cls1, 1.0, -1.0)[:, None]
        assert abs(dev.var() - 0.2) < 5 * 0.2 * np.sqrt(2 / dev.size)
    else:
        assert np.isin(head, [-1.0, 1.0]).all() and (head == head[:, :1]).all()
        cls1 = head[:, 0] == 1.0
    assert abs(cls1.mean() - 0.5) < 0.04
    end = seqs.target[np.arange(2000), n - 1, 0]
    if name == "exp3c":
        clean = np.where(cls1, 0.2, 0.8)
        assert abs((end - clean).var() - 0.1) < 5 * 0.1 * np.sqrt(2 / 2000)              # std √0.1
        assert abs((end - clean).mean()) < 5 * np.sqrt(0.1 / 2000)
        got = np.asarray(jax.vmap(task.clean_target)(seqs))
        np.testing.assert_allclose(got[np.arange(2000), n - 1, 0], clean, rtol=1e-6)
        assert task.threshold == 0.1
    else:
        np.testing.assert_array_equal(end, np.where(cls1, 1.0, 0.0))
        assert task.threshold == 0.2


# ---------------------------------------------------------------- experiments 4 and 5: adding, multiplication

@pytest.mark.parametrize("name, T, marked_first", [("exp4", 100, "zeroed"), ("exp4", 500, "zeroed"),
                                                   ("exp5", 100, "zeroed"), ("exp4", 100, "kept"),
                                                   ("exp5", 100, "kept")])
def test_adding_and_multiplication(name, T, marked_first):
    task = make_task(name, T=T, marked_first=marked_first)
    N = 2000
    seqs = _batch(task)
    n, value, marker = seqs.length, seqs.x[..., 0], seqs.x[..., 1]
    assert n.min() == T and n.max() == T + T // 10
    _end_only(seqs)
    pos = np.arange(task.max_len)
    live = pos < n[:, None]
    assert (seqs.x[~live] == 0).all()
    assert ((marker == 1.0).sum(1) == 2).all()                                           # exactly two marks
    marks = np.sort(np.argwhere(marker == 1.0)[:, 1].reshape(N, 2), axis=1) + 1          # 1-indexed
    assert marks[:, 0].max() <= 10 and marks[:, 1].max() <= T // 2                       # first 10, first T/2
    assert marks[:, 0].min() == 1
    np.testing.assert_array_equal(marker[:, 0], np.where(marks[:, 0] == 1, 1.0, -1.0))
    assert (marker[np.arange(N), n - 1] == -1.0).all()
    inner = live & (pos > 0) & (pos < n[:, None] - 1) & (marker != 1.0)
    assert (marker[inner] == 0).all()
    lo = -1.0 if name == "exp4" else 0.0
    assert value[live].min() >= lo and value[live].max() <= 1.0 and value[live].min() < lo + 0.01
    v = value[np.arange(N)[:, None], marks - 1]
    first_marked = marks[:, 0] == 1
    assert 0.05 < first_marked.mean() < 0.2
    x1 = 0.0 if name == "exp4" else 1.0                                                  # Sec. 5.4, 5.5
    if marked_first == "kept":                  # the old D9: the input shows the drawn value, the target X1
        assert (v[first_marked, 0] != x1).all()
        v[first_marked, 0] = x1
    else:                                       # D9 revised: the first draw at pair 1 shows X1 itself; the
        shown = v[first_marked, 0]              # second draw there is an ordinary mark (p = 9/10 · 1/(T/2−1))
        assert 0.7 < (shown == x1).mean() < 1.0 and (shown != x1).any()
    expected = 0.5 + v.sum(1) / 4 if name == "exp4" else v.prod(1)                       # input and target agree
    np.testing.assert_allclose(seqs.target[np.arange(N), n - 1, 0], expected, rtol=1e-6, atol=1e-7)
    second_far = (marks[:, 1] > 10).mean()                                               # second mark spreads
    assert abs(second_far - (1 - 9 / (T // 2 - 1))) < 0.04                               # over 1..T/2


# ---------------------------------------------------------------- experiment 6: temporal order

@pytest.mark.parametrize("name", ["exp6a", "exp6b"])
def test_temporal_order(name):
    task = make_task(name)
    names = task.symbol_names()
    assert names == ["a", "b", "c", "d", "X", "Y", "B", "E"]
    ranges = {"exp6a": [(10, 20), (50, 60)], "exp6b": [(10, 20), (33, 43), (66, 76)]}[name]
    classes = {"exp6a": "QRSU", "exp6b": "QRSUVABC"}[name]
    N = 2000
    seqs = _batch(task)
    n = seqs.length
    assert n.min() == 100 and n.max() == 110 and len(np.unique(n)) == 11
    _end_only(seqs)
    codes = []
    for i in range(N):
        sym = [names[s] for s in seqs.x[i, :n[i]]]
        assert sym[0] == "E" and sym[-1] == "B"
        where = [t + 1 for t, s in enumerate(sym) if s in "XY"]                          # 1-indexed
        assert len(where) == len(ranges)
        assert all(lo <= t <= hi for t, (lo, hi) in zip(where, ranges))
        assert set(sym[1:-1]) - {"X", "Y"} <= set("abcd")
        code = "".join(sym[t - 1] for t in where)
        codes.append(code)
        cls = int(code.replace("X", "0").replace("Y", "1"), 2)
        np.testing.assert_array_equal(seqs.target[i, n[i] - 1], np.eye(task.n_out)[cls])
        assert task.class_names()[cls] == classes[cls]
    first = np.array([c[0] == "Y" for c in codes])
    last = np.array([c[-1] == "Y" for c in codes])
    assert abs(first.mean() - 0.5) < 0.04 and abs(last.mean() - 0.5) < 0.04
    assert abs((first == last).mean() - 0.5) < 0.04                                     # independent draws
    assert task.threshold == 0.3 and task.n_out == 2 ** len(ranges)


# ---------------------------------------------------------------- all of them

@pytest.mark.parametrize("name", LATER)
def test_generators_are_pure_jittable_and_vmappable(name):
    task = make_task(name)
    batched = _batch(task)
    keys = jax.random.split(jax.random.PRNGKey(0), 2000)
    one = jax.jit(task.sample)(keys[7])                                  # vmap does not change a sequence
    for a, b in zip(one, batched):
        np.testing.assert_allclose(np.asarray(a), b[7], rtol=1e-6, atol=1e-7)
    again = jax.tree.map(np.asarray, _sampler(task)(keys))               # the same keys, the same sequences
    assert all((a == b).all() for a, b in zip(batched, again))
    assert (batched.x[0] != batched.x[1]).any()
    L = task.max_len
    if task.symbolic:
        assert batched.x.shape == (2000, L) and batched.x.dtype == np.int32
        assert batched.x.max() < task.n_in and batched.x.min() >= 0
    else:
        assert batched.x.shape == (2000, L, task.n_in)
    assert batched.target.shape == (2000, L, task.n_out)
    assert batched.mask.shape == batched.judge.shape == (2000, L) and batched.length.dtype == np.int32
    beyond = np.arange(L) >= batched.length[:, None]
    assert not batched.mask[beyond].any() and not batched.judge[beyond].any()
    assert batched.length.max() <= L
    assert hash(task) == hash(make_task(name)) and task == make_task(name)


def test_registry_names():
    assert set(LATER) | {"exp2a", "exp2b", "exp2c"} == set(REGISTRY)


@pytest.mark.parametrize("name, options, message", [
    ("exp3a", {"T": 105}, "multiple of 10"),
    ("exp3c", {"N": 0}, "N must be"),
    ("exp4", {"T": 10}, "at least 20"),
    ("exp5", {"T": "1e2"}, "integer"),
    ("exp1", {"pair": 3}, "pair must be"),
    ("exp1", {"distinct": "maybe"}, "true or false"),
    ("exp1", {"max_len": 12}, "max_len"),
    ("exp6a", {"T": 100}, "no option"),
])
def test_bad_options_are_one_line(name, options, message):
    with pytest.raises(TaskError, match=message) as info:
        make_task(name, **options)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["exp1", "exp4"])
def test_cli_sample(name, capsys):
    assert main(["sample", name, "--n", "2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    task = make_task(name)
    for line in lines:
        assert len(line["inputs"]) == line["length"] and len(line["inputs"][0]) == task.n_in
        targets = [t for t in line["targets"] if t is not None]
        assert len(targets) == (line["length"] - 1 if name == "exp1" else 1)
        if task.symbolic:
            assert len(line["symbols"]) == line["length"]


def test_other_reading_of_d9_shows_the_target_value_at_a_marked_first_pair():
    """marked_first=zeroed_either (the old pilot): where position 1 is marked by either draw, its input value
    is the one the target uses."""
    for name, value in (("exp4", 0.0), ("exp5", 1.0)):
        task = make_task(name, T=20, marked_first="zeroed_either")
        seqs = jax.jit(jax.vmap(task.sample))(jax.random.split(jax.random.PRNGKey(5), 400))
        x, n = np.asarray(seqs.x), np.asarray(seqs.length)
        first_marked = x[:, 0, 1] == 1.0
        # position 1 is marked with p = 1/10 + 9/10 · 1/(T/2 − 1) = 0.2 at T = 20 (the second mark may land
        # there too): Binomial(400, 0.2), mean 80, sd 8. Bounds at false-alarm ≤ 1e-4 (5e-5 per tail): 50..112
        from scipy import stats
        count = stats.binom(400, 0.1 + 0.9 / (task.T // 2 - 1))
        assert count.ppf(0.5e-4) <= first_marked.sum() <= count.isf(0.5e-4)
        assert np.all(x[first_marked, 0, 0] == value)
        marked = x[:, :, 1] == 1.0
        values = np.where(marked, x[:, :, 0], 0.0)
        target = np.asarray(seqs.target)[np.arange(400), n - 1, 0]
        expected = (0.5 + values.sum(1) / 4) if value == 0.0 else np.prod(np.where(marked, x[:, :, 0], 1.0), 1)
        np.testing.assert_allclose(target, expected, atol=1e-6)
