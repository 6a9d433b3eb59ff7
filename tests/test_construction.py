"""Sequential network construction: the held weights stay at zero until the loss stops falling."""
import jax.numpy as jnp
import numpy as np
import pytest

from lstm97.construction import Construction


@pytest.mark.parametrize("outgoing", ["zero", "initial"])
def test_cell_is_added_when_the_block_loss_plateaus(outgoing):
    rule = Construction(hold=("w_out_c",), block=2, min_drop=0.1, outgoing=outgoing)
    params, state = rule.init({"w_out_c": jnp.array([0.3, -0.2]), "w_out_x": jnp.array([1.0])})
    assert np.all(params["w_out_c"] == 0) and params["w_out_x"][0] == 1.0
    grown_at = []
    for seqs, loss in enumerate([10.0, 10.0, 6.0, 6.0, 5.8, 5.8, 1.0, 1.0], start=1):
        params = {**params, "w_out_c": params["w_out_c"] + 0.5}          # an update that would move them
        params, state = rule.update(state, params, jnp.float32(loss), jnp.int32(seqs))
        grown_at.append(int(state.grown_at))
        if int(state.grown_at) < 0:
            assert np.all(params["w_out_c"] == 0)
    # block means 10, 6 (40 % drop), 5.8 (3 % < 10 %): the cell is added after sequence 6
    assert grown_at == [-1, -1, -1, -1, -1, 6, 6, 6]
    # D4 revised, Sec. 4 ("setting the corresponding weights to zero"): the added cell's outgoing weights
    # start at zero, then train; the old reading starts them at their initial random values
    start = [0.0, 0.0] if outgoing == "zero" else [0.3, -0.2]
    np.testing.assert_allclose(params["w_out_c"], np.add(start, 1.0))
