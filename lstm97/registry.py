"""One registry of cells: which bundle of pure functions (``Cell``) and which name every architecture type
has, the 1997 cells (``cells.py``) and those after (``modern.py``) alike. The names are the ones tables and
the comparison use (``lstm1997``, ``rnn1997``, ``forget_lstm``, ``peephole_lstm``, ``vanilla_lstm``, ``gru``,
``elman``)."""
from __future__ import annotations

from typing import Any

from lstm97 import modern
from lstm97.cells import LSTM1997, RNN1997, Cell, lstm1997, rnn1997

CELLS = {LSTM1997: lstm1997, RNN1997: rnn1997, **modern.CELLS}
# the LSTM-like cells the comparison (experiments/compare.py) puts beside the 1997 net, in its columns' order
COMPARED = ("lstm1997", "forget_lstm", "peephole_lstm", "vanilla_lstm", "gru", "elman")


def make_cell(arch: Any) -> Cell:
    """The cell bundle for an architecture value."""
    if type(arch) not in CELLS:
        raise TypeError(f"no cell for architecture {type(arch).__name__}")
    return CELLS[type(arch)](arch)


def cell_name(arch: Any) -> str:
    """The cell's name in tables: the 1997 cells by type, the modern ones by their settings."""
    if type(arch) in (LSTM1997, RNN1997):
        return {LSTM1997: "lstm1997", RNN1997: "rnn1997"}[type(arch)]
    return modern.name_of(arch)
