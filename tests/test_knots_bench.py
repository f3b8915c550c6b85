"""``benchmarks/knots.py``: the development streams the classifier's knots were chosen
on (round 60), and its tables."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("knots")


def test_the_development_streams_are_the_concepts_they_name(bench):
    for kind in ("checkerboard", "disc", "sine boundary", "moons"):
        rows = bench._two(kind, 0, n=2_000)
        x = np.array([[r["a"], r["b"]] for r, _ in rows])
        y = np.array([label for _, label in rows])
        assert x.shape == (2_000, 2) and 0.2 < y.mean() < 0.8, kind
    rows = bench._two("checkerboard", 1, n=500)
    for r, label in rows:  # each cell of the 4 x 4 board its own colour
        assert label == ((int(r["a"] * 4) + int(r["b"] * 4)) % 2 == 1)
    rows = bench._two("disc", 1, n=500)
    for r, label in rows:
        assert label == ((r["a"] - 0.5) ** 2 + (r["b"] - 0.5) ** 2 < 0.1)
    for kind in ("bands", "intervals"):
        rows = bench._one(kind, 0, n=2_000)
        assert all(set(r) == {"a"} for r, _ in rows)
        assert 0.2 < np.mean([label for _, label in rows]) < 0.8, kind
    # other seeds, other rows; the same seed, the same rows
    assert bench._two("moons", 0, n=50) == bench._two("moons", 0, n=50)
    assert bench._two("moons", 0, n=50) != bench._two("moons", 1, n=50)


def test_the_tables_print_every_knot_count_and_the_baselines(bench, monkeypatch, capsys):
    monkeypatch.setattr(bench, "N_ROWS", 300)
    monkeypatch.setattr(bench, "SEEDS", (0,))
    monkeypatch.setattr(bench, "KNOTS", (5, "auto"))
    bench.development()
    printed = capsys.readouterr().out
    header = "| stream | features | knots=5 | knots=auto | default | majority | ARF | kNN-ADWIN |"
    assert header in printed
    lines = [line for line in printed.splitlines() if line.startswith("| checkerboard | 2 |")]
    assert len(lines) == 1 and lines[0].count("|") == 9
