"""The paper's nets, one function per row of Table 10 (spec §1.4, §8): architecture and learning rate.

Source: Hochreiter & Schmidhuber (1997), Table 10 (architectures, biases, gate-bias initialisations, rates)
and Table 11 (initialisation intervals). The experiment files and the benchmark take their nets from here.
"""
from __future__ import annotations

from lstm97.cells import LSTM1997, RNN1997


def lstm_2ab(p: int) -> LSTM1997:
    """2a/2b: one cell, one input gate, no output gate, connectivity B, no biases, h = identity, g = logistic,
    init U[-0.2, 0.2] (10504 weights at p = 100)."""
    return LSTM1997(n_in=p + 1, n_out=p + 1, blocks=1, block_size=1, connectivity="B", output_gate=False,
                    g="logistic", h="identity", init_scale=0.2, symbolic=True)


def lstm_2c(p: int) -> LSTM1997:
    """2c: 2 blocks of size 1, connectivity F, no biases, init U[-0.2, 0.2] (6p + 64 weights)."""
    return LSTM1997(n_in=p + 4, n_out=2, blocks=2, block_size=1, init_scale=0.2, symbolic=True)


def rtrl_2a(p: int) -> RNN1997:
    """Table 2's RTRL/BPTT net: one self-recurrent logistic unit, connectivity B, no biases ((p+2)^2 weights)."""
    return RNN1997(n_in=p + 1, n_out=p + 1, n_hidden=1, init_scale=0.2, symbolic=True)


def lstm_1(blocks: int) -> LSTM1997:
    """Exp 1 (rows 1-1 … 1-5): 7 symbols in and out, 4 blocks of size 1 (264 weights) or 3 of size 2 (276),
    only gates biased, output-gate biases −1, −2, −3(, −4), input-gate biases random, init U[-0.2, 0.2]."""
    if blocks not in (3, 4):
        raise ValueError(f"exp 1 uses 3 blocks of size 2 or 4 of size 1, got {blocks} blocks")
    return LSTM1997(n_in=7, n_out=7, blocks=blocks, block_size=2 if blocks == 3 else 1, bias_gates=True,
                    init_scale=0.2, out_gate_bias=tuple(-float(j) for j in range(1, blocks + 1)), symbolic=True)


def lstm_3() -> LSTM1997:
    """Exp 3: 1 input, 1 output, 3 blocks of size 1, every cell and gate biased (output unbiased), input-gate
    biases −1, −3, −5, output-gate biases −2, −4, −6 (102 weights)."""
    return LSTM1997(n_in=1, n_out=1, blocks=3, block_size=1, bias_cells=True, bias_gates=True,
                    in_gate_bias=(-1.0, -3.0, -5.0), out_gate_bias=(-2.0, -4.0, -6.0))


def lstm_45(in_gate_bias: tuple[float, ...] | None) -> LSTM1997:
    """Exps 4 and 5: 2 inputs, 1 output, 2 blocks of size 2, all non-input units biased (93 weights);
    exp 4's input-gate biases −3, −6, exp 5's random."""
    return LSTM1997(n_in=2, n_out=1, blocks=2, block_size=2, bias_cells=True, bias_gates=True, bias_out=True,
                    in_gate_bias=in_gate_bias)


def lstm_6(blocks: int) -> LSTM1997:
    """Exp 6a (2 blocks, 4 classes, 156 weights) and 6b (3 blocks, 8 classes, 308 weights): 8 symbols in,
    blocks of size 2, all non-input units biased, input-gate biases −2, −4(, −6)."""
    return LSTM1997(n_in=8, n_out=2 ** blocks, blocks=blocks, block_size=2, bias_cells=True, bias_gates=True,
                    bias_out=True, in_gate_bias=tuple(-2.0 * j for j in range(1, blocks + 1)), symbolic=True)


def paper_net(task_name: str, task) -> tuple[object, float]:
    """The paper's net and learning rate for a task (the first row of its table where there are several)."""
    if task_name in ("exp2a", "exp2b"):
        return lstm_2ab(task.p), 1.0
    if task_name == "exp2c":
        return lstm_2c(task.p), 0.01
    if task_name == "exp1":
        return lstm_1(3), 0.1
    if task_name in ("exp3a", "exp3b"):
        return lstm_3(), 1.0
    if task_name == "exp3c":
        return lstm_3(), 0.1
    if task_name == "exp4":
        return lstm_45((-3.0, -6.0)), 0.5
    if task_name == "exp5":
        return lstm_45(None), 0.1
    if task_name == "exp6a":
        return lstm_6(2), 0.5
    if task_name == "exp6b":
        return lstm_6(3), 0.1
    raise ValueError(f"no paper net for task {task_name!r}")
