"""The online estimators' cell growth, built without its duplicate work (issue 15)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from dream_sklearn.nn import DREAMCell, DREAMConfig
from dream_sklearn.nn._cell import _seeded
from dream_sklearn.online import _compiled


@pytest.mark.parametrize(
    ("config", "seed"),
    [
        (DREAMConfig(1, 32, rank=4), 0),
        (DREAMConfig(7, 8, rank=2, plasticity_enabled=False), 123),
        (DREAMConfig(3, 5, rank=8, kappa=0.1, surprise_mode="absolute"), 2**31 - 1),
    ],
)
def test_fresh_cell_is_the_seeded_build_of_its_config(config, seed):
    """``_fresh`` skips the first (global-generator) draw and the second check of the
    config; the cell is the one ``_seeded`` builds from the config, weights and
    saved configuration alike, and the global generator does not move."""
    before = torch.random.get_rng_state()
    cell = DREAMCell._fresh(config, seed)
    assert torch.equal(torch.random.get_rng_state(), before)
    build = functools.partial(DREAMCell.from_config, config)
    reference = _seeded(build, seed * 1009 + config.input_dim).double()
    got, want = cell.state_dict(), reference.state_dict()
    assert list(got) == list(want)
    for name in want:
        assert got[name].dtype == want[name].dtype
        assert torch.equal(got[name], want[name]), name
    assert cell.config == reference.config and cell.flags == reference.flags
    # Parameters still (float64, learning), under the same names: gradients flow.
    params = dict(cell.named_parameters())
    assert list(params) == [name for name, _ in reference.named_parameters()]
    assert all(isinstance(p, torch.nn.Parameter) and p.requires_grad for p in params.values())
    assert all(p.dtype == torch.float64 for p in params.values())
    x = torch.randn(2, config.input_dim, dtype=torch.float64)
    assert torch.equal(cell(x)[0], reference(x)[0])


def test_grown_cell_keeps_its_weights_and_draws_the_new_ones():
    cell = DREAMCell._fresh(DREAMConfig(2, 6, rank=3), 5)
    with torch.no_grad():  # learned scalars, as a trained cell's (from_sklearn)
        cell.tau0.fill_(0.77)
        cell.eta.mul_(2.0)
    grown = cell._grown(np.int64(4), 5)  # (a NumPy int, as slot counts can be)
    fresh = DREAMCell._fresh(DREAMConfig(4, 6, rank=3), 5)
    # The config is the grown size's (the other fields as they were), a new object.
    assert grown.config == DREAMConfig(4, 6, rank=3) and cell.config.input_dim == 2
    assert type(grown.config.input_dim) is int
    for name in ("eta", "tau0", "alpha", "gamma", "kappa", "tau_sys", "scale"):
        assert torch.equal(getattr(grown, name), getattr(cell, name)), name
    assert torch.equal(grown.W[:2], cell.W) and torch.equal(grown.V[:2], cell.V)
    assert torch.equal(grown.B[:2], cell.B) and torch.equal(grown.C[:, :2], cell.C)
    assert torch.equal(grown.B[2:], fresh.B[2:])  # the new inputs' rows: a new cell's


def test_layout_table_holds_each_array_flat_in_order():
    """``_table`` (one concatenation) lays the arrays out one after the other, with
    their shapes padded to three axes, casting to the buffer's dtype."""
    arrays = [np.arange(6.0).reshape(2, 3), np.array(7.0), np.array([True, False])]
    buf, rows = _compiled._table(arrays, np.float64)
    np.testing.assert_array_equal(buf, [0, 1, 2, 3, 4, 5, 7, 1, 0])
    assert rows == [[0, 2, 2, 3, 1], [6, 0, 1, 1, 1], [7, 1, 2, 1, 1]]
    for a, row in zip(arrays, rows, strict=True):
        np.testing.assert_array_equal(_compiled._view(buf, row), a)
    ints, _ = _compiled._table([np.array([1.9, -2.0])], np.intp)
    assert ints.dtype == np.intp and ints.tolist() == [1, -2]
