"""``benchmarks/readouts.py``: each readout's prediction beside the mixture's, and the
rows where the outlier rule held the fed-back target back."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("readouts")


def _level_then_drop(drop: int, n: int) -> list[tuple[dict, float]]:
    """A level of 100 with a little noise, then from row ``drop`` a level of 50."""
    rng = np.random.default_rng(0)
    return [
        ({"hour": float(i % 24)}, (100.0 if i < drop else 50.0) + 0.1 * rng.standard_normal())
        for i in range(n)
    ]


def test_a_lone_far_target_is_held_back_for_one_row_and_the_next_forecast_misses(bench):
    read = bench.read_stream(_level_then_drop(300, 400))
    # The drop's first row is more than 10 standard deviations out, alone: set aside,
    # so on the next row the hold readout still predicts the old level; the second
    # far row is taken in.
    assert bench.held_back(read).tolist() == [301]
    hold = read.readouts[:, read.heads.index("hold")]
    assert abs(hold[301] - 100.0) < 1.0 and abs(hold[302] - 50.0) < 1.0
    assert abs(read.mixture[301] - read.y[301]) > 40.0  # (the last value's miss: 0.1 or so)
    line = bench.report("drop", read)
    # the mixture's error on row 301 less the last value's, of its whole excess
    excess = abs(read.mixture[301] - read.y[301]) - abs(read.y[300] - read.y[301])
    assert line.startswith("| drop | 399 |") and f"| 1 | {excess:,.1f} of " in line


def test_the_readouts_read_are_those_the_mixture_mixes(bench):
    # Where one generation of readouts lives, their predictions as read (each one's
    # start plus its learned part on the target's scale) weighted by the mixture's
    # weights are the regressor's prediction.
    read = bench.read_stream(_level_then_drop(300, 400))
    one = ~np.isnan(read.weights).any(axis=1)
    assert one[2:300].all()
    mixed = (read.readouts[one] * read.weights[one]).sum(axis=1)
    np.testing.assert_allclose(mixed, read.mixture[one], rtol=1e-12, atol=1e-9)


def test_a_stream_without_far_targets_holds_nothing_back(bench):
    read = bench.read_stream(_level_then_drop(10_000, 300))
    assert bench.held_back(read).size == 0
    # every readout read on the compiled row from the second learned row on
    assert not np.isnan(read.readouts[2:]).any()
