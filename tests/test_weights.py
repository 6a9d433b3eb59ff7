"""Every net of the paper has the paper's number of weights (spec §1.4, Table 10)."""
import pytest

from experiments import exp2
from lstm97.cells import LSTM1997, RNN1997, n_weights


def test_exp2_rows_have_the_papers_weight_counts():
    expected = {"2a LSTM p=100": 10504, "2b LSTM p=100": 10504, "2a RTRL p=4 lr=1": 36, "2a RTRL p=10 lr=4": 144,
                "2a RTRL p=100 lr=10": 10404, "2a BPTT p=100 lr=1": 10404,
                "2c q=50 p=50": 364, "2c q=100 p=100": 664, "2c q=200 p=200": 1264, "2c q=500 p=500": 3064,
                "2c q=1000 p=1000": 6064, "2c q=1000 p=500": 3064, "2c q=1000 p=200": 1264,
                "2c q=1000 p=100": 664, "2c q=1000 p=50": 364}
    rows = {r.label: r for r in exp2.ROWS}
    for label, weights in expected.items():
        assert rows[label].weights == weights, label


@pytest.mark.parametrize("arch, weights", [
    # Exp 1: 7 in, 7 out, connectivity F, only gates biased
    (LSTM1997(7, 7, blocks=4, block_size=1, bias_gates=True), 264),
    (LSTM1997(7, 7, blocks=3, block_size=2, bias_gates=True), 276),
    # Exp 3: 1 in, 1 out, 3 blocks of size 1, every hidden unit biased, output unbiased
    (LSTM1997(1, 1, blocks=3, block_size=1, bias_cells=True, bias_gates=True), 102),
    # Exps 4 and 5: 2 in, 1 out, 2 blocks of size 2, every non-input unit biased
    (LSTM1997(2, 1, blocks=2, block_size=2, bias_cells=True, bias_gates=True, bias_out=True), 93),
    # Exp 6a / 6b
    (LSTM1997(8, 4, blocks=2, block_size=2, bias_cells=True, bias_gates=True, bias_out=True), 156),
    (LSTM1997(8, 8, blocks=3, block_size=2, bias_cells=True, bias_gates=True, bias_out=True), 308),
    # Table 2's RTRL/BPTT net, (p+2)^2
    (RNN1997(5, 5), 36), (RNN1997(11, 11), 144), (RNN1997(101, 101), 10404),
])
def test_paper_nets(arch, weights):
    assert n_weights(arch) == weights


def test_table3_weight_formula():
    for p in (50, 100, 200, 500, 1000):
        assert exp2.lstm_2c(p).__class__ is LSTM1997
        assert n_weights(exp2.lstm_2c(p)) == 6 * p + 64


def test_absent_biases_stay_zero_and_fixed_biases_are_set():
    import jax
    from lstm97.registry import make_cell
    arch = LSTM1997(1, 1, blocks=3, block_size=1, bias_cells=True, bias_gates=True,
                    in_gate_bias=(-1.0, -3.0, -5.0), out_gate_bias=(-2.0, -4.0, -6.0))
    params = make_cell(arch).init_params(jax.random.PRNGKey(0))
    assert list(params["b_hidden"][3:6]) == [-1.0, -3.0, -5.0]
    assert list(params["b_hidden"][6:9]) == [-2.0, -4.0, -6.0]
    assert abs(float(params["b_out"][0])) == 0.0
    assert float(abs(params["w_hidden_h"]).max()) <= 0.1


def test_rows_of_exps_1_and_3_to_6_have_the_papers_weight_counts():
    """Table 10's "w" column for every row we run."""
    from experiments import rows_of
    expected = {"exp1": {264, 276}, "exp3": {102}, "exp4": {93}, "exp5": {93}, "exp6": {156, 308}}
    for name, counts in expected.items():
        rows = [r for r in rows_of(name) if r.run]
        assert rows and {r.weights for r in rows} == counts, name
    six = {r.label: r.weights for r in rows_of("exp6")}
    assert six == {"6a": 156, "6b": 308}
