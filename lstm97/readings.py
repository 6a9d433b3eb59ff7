"""Readings: every detail the paper leaves open that lstm97 has a choice for, as a named field.

Each ``Field`` has a default (the project's reading, ``../shared/paper/decisions.md``), its allowed values, its
provenance (``text``: the paper's words decide it; ``evidence``: measured or from the authors' code or later
papers; ``inference``: the project's best guess) and where it applies. A ``Reading`` is the set of fields that
differ from the defaults; its ``name`` is short and stable ("paper" for the defaults), and every trial row and
summary line carries it in a column. Experiments build their rows from a reading (``experiments/expN.py``
``rows(reading)``), so a reading is data, never a suffix of a label.
"""
from __future__ import annotations

from dataclasses import dataclass, fields


class ReadingError(ValueError):
    """An unknown field or a value outside its allowed set; the message is one line for the user."""


@dataclass(frozen=True)
class Field:
    name: str
    default: str
    allowed: tuple[str, ...]
    provenance: str                 # "text" | "evidence" | "inference"
    source: str                     # where the default comes from, in one line
    experiments: tuple[str, ...]    # where it applies


FIELDS = {f.name: f for f in (
    Field("marked_first", "zeroed", ("zeroed", "kept", "zeroed_either"), "text",
          "D9 (revised), Sec. 5.4: 'In the rare case where the first pair of the sequence gets marked, we set X1 "
          "to zero': X1 is that pair's first component, so the input shows the 0 (exp 5: 1.0) the target uses. "
          "kept: the drawn value is shown and ignored (the old D9); zeroed_either: a mark at pair 1 by either "
          "draw shows and counts 0 (the old pilot)", ("exp4", "exp5")),
    Field("construction", "sequential", ("sequential", "from_start"), "text",
          "D4 (revised), Sec. 5.2: 'Memory cell and input gate are added once the error has stopped decreasing'; "
          "from_start: the cell is there from the first sequence (the LSTM rows)", ("exp2a", "exp2b")),
    Field("grown_weights", "zero", ("zero", "initial"), "text",
          "D4 (revised), Sec. 4: 'setting the corresponding weights to zero': the added cell's outgoing weights "
          "start at 0; initial: at their random initial values (the LSTM rows)", ("exp2a", "exp2b")),
    Field("exp2_success", "frozen_test", ("frozen_test", "streak"), "text",
          "D13 (revised), Sec. 5.2 and Table 11 ('test set size 10000'): 10,000 successive random sequences with "
          "frozen weights, all within ABS(0.25) (2c: 0.2); streak: 10,000 successive correct training sequences",
          ("exp2",)),
    Field("updates", "sequence", ("sequence", "step"), "evidence",
          "D2: weights change once per sequence (the authors' lstm.c accumulates and applies them per sequence); "
          "step: after every step, the paper's on-line RTRL timing", ("exp1", "exp2a", "exp2b")),
    Field("gradient", "truncated", ("truncated", "full"), "text",
          "D3, Sec. 4 and App. A.1: the truncated gradient; full: 'a few' full-gradient runs showed 'no significant "
          "difference'", ("exp1",)),
    Field("in_gate_bias", "paper", ("paper", "-3/-6"), "inference",
          "Table 10 gives 2c no biases; -3/-6: the paper's remedy for state drift in exps 3-6, tried on 2c",
          ("exp2c",)),
    Field("recurrent_init", "uniform", ("uniform", "gates_zero", "zero"), "inference",
          "Table 11: every weight from U[-0.2, 0.2]; gates_zero: the weights from the gates to the cells and gates "
          "start at 0, zero: every hidden-to-hidden weight does (evidence.md sec. 2: the gates' ~0.5 activations "
          "through random weights drift s by ~0.1 a step, |s| at the target 4.5 at q = 100 and 47 at q = 1000 "
          "before training, 0.6 and 1.6 with zero recurrent weights; exp 5's random gate biases: 3.2, 2.3 with "
          "zero recurrent weights; Table 10/11 give exps 4-6 U[-0.1, 0.1] alike; 6b's failed nets shut a block whose "
          "|s| sits at 8-17, docs/deviations.md)", ("exp2c", "exp4", "exp5", "exp6")),
    Field("exp1_target", "next", ("next", "legal"), "inference",
          "D7; spec sec. 2: the paper does not say whether the training target is the actual next symbol "
          "(one-hot, the default) or every symbol the grammar allows next (legal: a 1 on each legal successor, "
          "as the success test reads the outputs)", ("exp1",)),
    Field("hidden_order", "previous", ("previous", "in_place"), "inference",
          "spec sec. 1.3 (Sec. 5's three phases; Appendix A.1 writes every source at t-1): cells and gates read "
          "the hidden units' previous step; in_place: the cells read this step's gate activations, as a "
          "simulator that updates gates before cells would (evidence.md sec. 2: the embedded symbol >= 99 % right "
          "in 9 of 12 exp-1 probe nets)", ("exp1", "exp2c")),
    Field("out_init", "uniform", ("uniform", "zero", "zero_bias", "small"), "inference",
          "Table 11 / Sec. 5.4: every weight from U[-0.1, 0.1], the output unit's alike; evidence.md sec. 3 lists the "
          "output-weight interval and the output bias's start as unsettled (exp-4 nets' outputs clip at 0.07 / 0.935 "
          "and their errors are all extreme targets): zero (weights and bias to the output start at 0), zero_bias "
          "(the bias only), small (U[-0.01, 0.01])", ("exp4",)),
    Field("cell_bias_init", "uniform", ("uniform", "zero"), "inference",
          "Table 10 ('b1': every cell and gate has a bias) and Table 11 (weights from U[-0.1, 0.1]); zero: the "
          "cells' bias weights start at 0, every other weight as drawn (docs/deviations.md, 3b at T = 1000: block "
          "1's cell bias through an input gate held at sigma(-1) drifts |s| to 16-60 over the 1,000 steps, and "
          "the nets never learn)", ("exp3",)),
    Field("cap", "3x", ("3x", "10x"), "inference",
          "D16: a trial that has not met its rule after 3x the paper's mean sequences has failed (exp 2: or after "
          "the paper's 5,000,000 if fewer); the paper states no cap for exps 3-5 (its T = 1000 adding runs needed "
          "370,000 to 2,020,000); 10x: a longer look at where the rule first holds (exp 2: its LSTM rows)",
          ("exp2", "exp3", "exp4", "exp5", "exp6")),
    Field("st_test_set", "fixed", ("fixed", "fresh"), "text",
          "D14 (revised), Sec. 5.3: 'none of 256 sequences from a randomly chosen test set': one set per trial, "
          "drawn once; fresh: a new set at every check", ("exp3",)),
    Field("st_check", "1/100", ("1/100", "1/20", "1/10"), "inference",
          "D14: ST1/ST2 are checked every 1/100 of the paper's mean sequences for the row; the paper gives no "
          "interval (the authors' lstm.c tests 'after ? epochs', a set interval), and evidence.md sec. 3 lists "
          "1/20 and 1/10 as candidates: a net that could pass is checked less often, so it stops later",
          ("exp3",)),
)}


@dataclass(frozen=True)
class Reading:
    """The fields that differ from their defaults, sorted by name; ``Reading()`` is the paper's (defaults)."""

    changes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        for name, value in self.changes:
            check(name, value)
        if list(self.changes) != sorted(dict(self.changes).items()) or \
                any(FIELDS[n].default == v for n, v in self.changes):
            raise ReadingError("a Reading lists each changed field once, sorted; use Reading.of(...)")

    @classmethod
    def of(cls, **values: str) -> "Reading":
        for name, value in values.items():
            check(name, value)
        return cls(tuple(sorted((n, v) for n, v in values.items() if FIELDS[n].default != v)))

    @classmethod
    def parse(cls, text: str) -> "Reading":
        """``paper`` or ``name=value,name=value`` (as ``name`` prints it)."""
        if text == "paper":
            return cls()
        pairs = [part.partition("=") for part in text.split(",")]
        if any(not sep for _, sep, _ in pairs):
            raise ReadingError(f"a reading is 'paper' or FIELD=VALUE,...; got {text!r}")
        return cls.of(**{name: value for name, _, value in pairs})

    def __getitem__(self, name: str) -> str:
        if name not in FIELDS:
            raise ReadingError(f"unknown reading field {name!r}; known: {', '.join(FIELDS)}")
        return dict(self.changes).get(name, FIELDS[name].default)

    def applying_to(self, *names: str) -> "Reading":
        """The fields of this reading that apply to any of ``names`` (experiments or tasks)."""
        return Reading(tuple((n, v) for n, v in self.changes if set(names) & set(FIELDS[n].experiments)))

    def without(self, *fields: str) -> "Reading":
        return Reading(tuple((n, v) for n, v in self.changes if n not in fields))

    @property
    def name(self) -> str:
        return ",".join(f"{n}={v}" for n, v in self.changes) or "paper"


def check(name: str, value: str) -> None:
    if name not in FIELDS:
        raise ReadingError(f"unknown reading field {name!r}; known: {', '.join(FIELDS)}")
    if value not in FIELDS[name].allowed:
        raise ReadingError(f"{name} must be one of {', '.join(FIELDS[name].allowed)}; got {value!r}")


PAPER = Reading()
CAP_FACTOR = {"3x": 3, "10x": 10}      # the cap field: the cap as a multiple of the paper's mean sequences
# the project's readings before decisions 4, 9, 13 and 14 were revised: every committed result made under
# them stays in the tables as a pilot of this reading
BEFORE = Reading.of(marked_first="kept", construction="from_start", exp2_success="streak", st_test_set="fresh")


def legacy_repr(obj, legacy: dict[str, object], name: str | None = None) -> str:
    """``repr`` of a dataclass without the fields that sit at ``legacy``, their value before the field existed.
    Fingerprints read reprs: a result made before a reading became a field keeps its fingerprint under the
    reading it was made with, and the new default gets a fingerprint of its own."""
    shown = [f"{f.name}={getattr(obj, f.name)!r}" for f in fields(obj)
             if f.repr and not (f.name in legacy and getattr(obj, f.name) == legacy[f.name])]
    return f"{name or type(obj).__name__}({', '.join(shown)})"
