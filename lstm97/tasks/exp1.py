"""Experiment 1: the embedded Reber grammar (spec §2, decision 7).

Source: Hochreiter & Schmidhuber (1997), Sec. 5.1, Table 1; the grammar of Cleeremans et al. (1989).

Symbols, in index order: B T P S X V E (one-hot over 7 inputs and 7 outputs). An embedded string is B, then T
or P, then a complete Reber string (its own B … E), then the same T or P again, then E::

    B P B T S X S E P E        (length 10; the inner string is B T S X S E)

The net reads one symbol per step and predicts the next. The training target at step t is the one-hot code
of the actual next symbol (decision 7; the reading ``exp1_target=legal``: every legal next symbol); every step
but the last carries one. Success is judged on the legal
successors instead (``legal_next``, ``legal_correct``): at every step, every legal next symbol's output must
exceed every illegal one's, on all 256 training and 256 test strings.

Strings are unbounded; they are generated into a static ``max_len`` and strings that do not end within it
are dropped (redrawn). With the default cap of 40 the probability of a longer string is 5.7e-5 (exact, from
the automaton; 50 of 1,000,000 sampled strings): a train/test pair draws about 1,200 strings, so a redraw
happens in about one pair of 15.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lstm97.readings import legacy_repr
from lstm97.seeds import SEED_LIMIT, root_key
from lstm97.tasks.base import Sequence, Task, TaskError

SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
MAX_LEN_LIMIT = 1_000   # a cap on string length far past any string drawn (mean 12; P(> 40) = 5.7e-5)
B, T, P, S, X, V, E = range(7)
SET_SIZE = 256          # training and test strings per pair, "following Fahlman" (Sec. 5.1)
PAIRS = 3               # train/test set pairs (Sec. 5.1: 3 pairs × 10 initialisations)
TARGETS = ("next", "legal")     # the training target (reading exp1_target): see string_sequence

# The embedded grammar as one automaton. States: 0 start, 1 the embedded T|P (remembered), 2 the inner B,
# 3..8 the inner Reber states s1..s6, 9 the remembered T|P again, 10 the final E, 11 done.
# _EMIT[state] holds the two equally likely symbols, _NEXT[state] the state each one leads to.
_EMIT = np.array([[B, B], [T, P], [B, B],
                  [T, P], [S, X], [T, V], [X, S], [P, V], [E, E],     # s1 … s6
                  [-1, -1], [E, E], [B, B]], dtype=np.int32)          # 9 emits the remembered symbol
_NEXT = np.array([[1, 1], [2, 2], [3, 3],
                  [4, 5], [4, 6], [5, 7], [5, 8], [6, 8], [9, 9],
                  [10, 10], [11, 11], [11, 11]], dtype=np.int32)
_DONE, _REJECT = 11, 12

# _STEP[state, symbol]: the state after reading ``symbol``, or _REJECT; done stays done on padding.
_STEP = np.full((13, 7), _REJECT, dtype=np.int32)
for _s in range(11):
    if _s != 9:
        _STEP[_s, _EMIT[_s]] = _NEXT[_s]
_STEP[_DONE, :] = _DONE
# _LEGAL[state]: the symbols that may follow; state 9's set (the remembered symbol) is filled in per string.
_LEGAL = np.zeros((13, 7), dtype=bool)
for _s in range(11):
    if _s != 9:
        _LEGAL[_s, _EMIT[_s]] = True


class ReberSet(NamedTuple):
    x: np.ndarray           # (n, max_len) int32 symbols, padded with B
    length: np.ndarray      # (n,) int32 true lengths
    legal: np.ndarray       # (n, max_len, 7) bool legal successors of each step (none on the last step)


def generate(key: jax.Array, max_len: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One embedded Reber string, every binary choice with probability ½ (spec §2).

    Returns (symbols (max_len,) int32 padded with B, length, complete): ``complete`` is False when the string
    did not end within ``max_len`` steps (its symbols are then a truncated prefix)."""
    bits = jax.random.bernoulli(key, 0.5, (max_len,)).astype(jnp.int32)
    emit, nxt = jnp.asarray(_EMIT), jnp.asarray(_NEXT)

    def step(carry, b):
        state, memory = carry
        sym = jnp.where(state == 9, memory, emit[state, b])
        memory = jnp.where(state == 1, sym, memory)
        return (nxt[state, b], memory), (sym, state != _DONE)

    (state, _), (x, live) = jax.lax.scan(step, (jnp.int32(0), jnp.int32(T)), bits)
    return x, live.sum(dtype=jnp.int32), state == _DONE


def legal_next(x: jax.Array) -> jax.Array:
    """(L, 7) bool: the symbols the embedded grammar allows after each prefix x[:t+1].

    Empty after the final E and on padding, and from the first symbol that breaks the grammar on."""
    step_table, legal_table = jnp.asarray(_STEP), jnp.asarray(_LEGAL)

    def step(carry, sym):
        state, memory = carry
        nxt = jnp.where(state == 9, jnp.where(sym == memory, 10, _REJECT), step_table[state, sym])
        memory = jnp.where(state == 1, sym, memory)
        legal = jnp.where(nxt == 9, jax.nn.one_hot(memory, 7) > 0, legal_table[nxt])
        return (nxt, memory), legal

    return jax.lax.scan(step, (jnp.int32(0), jnp.int32(T)), x)[1]


def string_sequence(x: jax.Array, length: jax.Array, legal: jax.Array | None = None) -> Sequence:
    """The training sequence of one string: one-hot next-symbol targets on every step but the last, or, given
    the string's (L, 7) ``legal`` successor sets (the reading ``exp1_target=legal``), a 1 for every symbol
    that may follow: ``B P B T S`` has targets {P, T}, {B}, {T, P}, {S, X}, {S, X}."""
    pos = jnp.arange(x.shape[0])
    mask = (pos < length - 1).astype(jnp.float32)
    code = jax.nn.one_hot(jnp.roll(x, -1), 7) if legal is None else legal.astype(jnp.float32)
    return Sequence(x=x, target=code * mask[:, None], mask=mask, judge=mask, length=length.astype(jnp.int32))


def legal_correct(outputs: jax.Array, legal: jax.Array, judge: jax.Array) -> jax.Array:
    """Decision 7 on one string: at every judged step, the output of every legal next symbol exceeds the
    output of every illegal one ("the possible next symbols are always the most active ones")."""
    lowest_legal = jnp.where(legal, outputs, jnp.inf).min(axis=-1)
    highest_illegal = jnp.where(legal, -jnp.inf, outputs).max(axis=-1)
    return ((lowest_legal > highest_illegal) | (judge == 0)).all()


def make_sets(seed: int, pair: int, max_len: int = 40, distinct: bool = False,
              size: int = SET_SIZE) -> tuple[ReberSet, ReberSet]:
    """One train/test pair: ``size`` random training strings, then ``size`` random test strings drawn the same
    way but rejecting every string that occurs in the training set (Sec. 5.1). Repeats are kept as drawn
    (about 100 distinct training strings of 256) unless ``distinct``, which rejects repeats within each set
    too. Strings longer than ``max_len`` are rejected. Deterministic in all arguments."""
    train: list[tuple[int, ...]] = []
    test: list[tuple[int, ...]] = []
    seen: set[tuple[int, ...]] = set()
    draw = _draw(max_len)
    with jax.ensure_compile_time_eval():                # concrete even when first used inside a jit trace
        key = jax.random.fold_in(root_key(seed), pair)      # = PRNGKey(seed) below 2^32; whole seeds above
        for round_ in range(64):
            x, length, complete = map(np.asarray, draw(jax.random.split(jax.random.fold_in(key, round_), 4096)))
            for row, n in zip(x[complete], length[complete]):
                string = tuple(row[:n].tolist())
                if len(train) < size:
                    if distinct and string in seen:
                        continue
                    train.append(string)
                    seen.add(string)
                elif string not in seen:
                    test.append(string)
                    if distinct:
                        seen.add(string)
                    if len(test) == size:
                        return _as_set(train, max_len), _as_set(test, max_len)
    raise TaskError(f"exp1: could not draw {size} test strings outside the training set with max_len={max_len}")


@cache
def _draw(max_len: int):
    return jax.jit(jax.vmap(lambda key: generate(key, max_len)))


_legal_batch = jax.jit(jax.vmap(legal_next))


def _as_set(strings: list[tuple[int, ...]], max_len: int) -> ReberSet:
    x = np.full((len(strings), max_len), B, dtype=np.int32)
    for i, s in enumerate(strings):
        x[i, :len(s)] = s
    with jax.ensure_compile_time_eval():
        legal = np.asarray(_legal_batch(x))
    return ReberSet(x=x, length=np.array([len(s) for s in strings], dtype=np.int32), legal=legal)


def make_set_pairs(seed: int = 0, max_len: int = 40, distinct: bool = False) -> list[tuple[ReberSet, ReberSet]]:
    """The paper's 3 train/test pairs (Sec. 5.1), pair i = ``make_sets(seed, i, max_len, distinct)``."""
    return [make_sets(seed, pair, max_len, distinct) for pair in range(PAIRS)]


@dataclass(frozen=True)
class Task1(Task):
    pair: int = 0           # which of the 3 train/test set pairs (Sec. 5.1); -1: all three, trial i uses i mod 3
    seed: int = 0           # seed of the sets; trials of one row share it, their init keys differ
    max_len: int = 40       # cap on string length; P(longer) = 5.7e-5, such strings are redrawn
    distinct: bool = False  # True: no string twice within a set (the paper does not say; spec §2)
    target: str = "next"    # a reading (exp1_target): the actual next symbol (D7) or every legal one ("legal")

    # Monitor only: the training-stream judge (ABS on the one-hot actual next symbol) cannot be met where two
    # successors are legal; the paper's test is ``legal_correct`` on the training and test sets.
    threshold = 0.5
    symbolic = True
    targets_every_step = True   # a prediction at every step (decides the faster engine, train.py)
    n_in = 7
    n_out = 7

    def __post_init__(self):
        if not -1 <= self.pair < PAIRS:
            raise TaskError(f"exp1: pair must be 0, 1 or 2 (one of the paper's 3 train/test pairs) or -1 (all "
                            f"three), got {self.pair}")
        if self.target not in TARGETS:
            raise TaskError(f"exp1: target must be one of {', '.join(TARGETS)}, got {self.target!r}")
        if not 0 <= self.seed < SEED_LIMIT:
            raise TaskError(f"exp1: seed must be an integer in [0, 2^63), got {self.seed}")
        if not 20 <= self.max_len <= MAX_LEN_LIMIT:
            raise TaskError(f"exp1: max_len must be between 20 (mean string length is 12) and {MAX_LEN_LIMIT:,}, "
                            f"got {self.max_len}")

    def __repr__(self) -> str:
        """The fingerprint's: the default target prints as Task1 did before the reading was a field."""
        return legacy_repr(self, {"target": "next"})

    def symbol_names(self) -> list[str]:
        return list(SYMBOLS)

    @cached_property
    def sets(self) -> tuple[ReberSet, ReberSet]:
        return make_sets(self.seed, max(self.pair, 0), self.max_len, self.distinct)

    @property
    def variants(self) -> int:
        """Data variants the trials of a row cycle through (train.py): the 3 set pairs when ``pair == -1``."""
        return PAIRS if self.pair == -1 else 1

    @cached_property
    def _stacked(self) -> dict[str, np.ndarray]:
        """Every pair's training and test sets stacked on a leading pair axis (one pair when ``pair >= 0``)."""
        built = ([make_sets(self.seed, p, self.max_len, self.distinct) for p in range(PAIRS)]
                 if self.pair == -1 else [self.sets])
        out = {}
        for i, which in enumerate(("train", "test")):
            out[f"{which}_x"] = np.stack([b[i].x for b in built])
            out[f"{which}_length"] = np.stack([b[i].length for b in built])
            out[f"{which}_legal"] = np.stack([b[i].legal for b in built])
        return out

    def variant_sets(self, which: str, variant: jax.Array) -> tuple[Sequence, jax.Array]:
        """The training or test set of data variant ``variant`` (traceable) as a batched ``Sequence`` and its
        legal sets."""
        s = self._stacked
        x, length = jnp.asarray(s[f"{which}_x"])[variant], jnp.asarray(s[f"{which}_length"])[variant]
        legal = jnp.asarray(s[f"{which}_legal"])[variant]
        return jax.vmap(string_sequence)(x, length, legal if self.target == "legal" else None), legal

    def sample_variant(self, key: jax.Array, variant: jax.Array) -> Sequence:
        """A string picked at random from the training set of data variant ``variant``."""
        s = self._stacked
        i = jax.random.randint(key, (), 0, s["train_x"].shape[1])
        legal = jnp.asarray(s["train_legal"])[variant, i] if self.target == "legal" else None
        return string_sequence(jnp.asarray(s["train_x"])[variant, i], jnp.asarray(s["train_length"])[variant, i],
                               legal)

    @property
    def train_set(self) -> ReberSet:
        return self.sets[0]

    @property
    def test_set(self) -> ReberSet:
        return self.sets[1]

    def sequences(self, which: str = "train") -> tuple[Sequence, jax.Array]:
        """All strings of the training or test set as a batched ``Sequence`` and their (n, L, 7) legal sets."""
        return self.variant_sets(which, 0)

    def sample(self, key: jax.Array) -> Sequence:
        """A string picked at random from the training set (Table 11 selection t1)."""
        return self.sample_variant(key, 0)
