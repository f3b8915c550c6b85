"""``benchmarks/ridge_weights.py``: the weightings it draws and its synthetic table."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("ridge_weights")


def test_every_weighting_is_drawn_for_every_row(bench):
    rng = np.random.default_rng(0)
    for kind in bench.KINDS:
        w = bench.weights(kind, rng)
        assert w.shape == (bench.N_ROWS,) and (w > 0).all() and np.isfinite(w).all(), kind
    with pytest.raises(ValueError, match="spread"):
        bench.weights("spread", rng)


def test_the_synthetic_table_counts_the_rows_each_weighting_leaves(bench, capsys):
    bench.synthetic(draws=2)
    rows = {
        line.split(" | ")[0].strip("| "): line.split(" | ")
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| ") and not line.startswith(("| weights", "| ---"))
    }
    assert set(rows) == set(bench.KINDS)
    count = {kind: int(cells[1]) for kind, cells in rows.items()}
    # equal weights, one heavy one and class weights keep every row; the junk leaves 40
    assert count["none"] == count["one heavy"] == count["class 5:1"] == 200
    assert count["junk 1e-12"] == 40
    assert count["boost exp(6k)"] < 50
    # unweighted, the readout is the same problem as its column that ignores weights
    assert rows["none"][2] == rows["none"][3]
