"""``benchmarks/knots.py``: the development streams the classifier's knots (round 60)
and kNN expert's default (round 61) were chosen on, and its tables; and the speed
section that times that default on narrow rows (``speed.py --only online-narrow``)."""

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


def test_the_narrow_speed_section_times_the_default_beside_the_same_without_the_expert(
    load_benchmark,
):
    """``speed.py --only online-narrow``: on Bananas' first rows, the default classifier
    (its kNN expert on: two features) and the same without it, beside river's three
    baselines, each a positive rate, the ratios against the default."""
    import argparse

    from dream_sklearn.online import compiled_available

    speed = load_benchmark("speed")
    rows = speed.online_narrow(argparse.Namespace(online_rows=400, repeats=1))
    if not compiled_available():
        assert len(rows) == 1 and "numba" in str(rows[0])
        return
    names = [row.what.split(":")[0] for row in rows]
    assert names[:2] == [
        "DREAMOnlineClassifier() compiled",
        "DREAMOnlineClassifier(n_neighbors=0) compiled",
    ]
    assert len(rows) == 5 and all("Bananas first 400 rows" in row.what for row in rows)
    assert all(float(row.value.replace(",", "")) > 0 for row in rows)
    assert rows[1].compared.startswith("DREAMOnlineClassifier() compiled / this: ")


def test_the_tuning_table_prints_the_knots_without_the_expert_and_the_default(
    bench, monkeypatch, capsys
):
    monkeypatch.setattr(bench.streams, "stream_rows", lambda stream, n: 300)
    monkeypatch.setattr(bench, "SEEDS", (0,))
    bench.tuning(False)
    printed = capsys.readouterr().out
    header = "| stream | classifier | accuracy | after a change | rows/s | rows the vote ran on |"
    assert header in printed
    lines = [line for line in printed.splitlines() if line.startswith("| SEA |")]
    assert [line.split(" | ")[1] for line in lines] == [
        "knots=5, no kNN",
        "knots=9, no kNN",
        "knots=15, no kNN",
        "knots=auto, no kNN",
        "default",
    ]
    assert all(float(line.split(" | ")[-2].replace(",", "")) > 0 for line in lines)
    shares = [line.split(" | ")[-1].rstrip(" |") for line in lines]
    assert shares[:4] == ["-"] * 4  # (no kNN expert)
    assert 100 / 3 < float(shares[4].rstrip("%")) < 100  # (the first 100 rows, then fewer)


def test_the_wide_tuning_rows_print_the_expert_off_the_default_and_on_every_row(
    bench, monkeypatch, capsys
):
    monkeypatch.setattr(bench.streams, "stream_rows", lambda stream, n: 300)
    monkeypatch.setattr(bench, "SEEDS", (0,))
    bench.tuning(True)
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if line.startswith("| Agrawal |")]
    assert [line.split(" | ")[1] for line in lines] == [
        "knots=auto, no kNN",
        "default",
        "default, n_neighbors=5",
    ]


def test_the_change_streams_change_once_and_the_table_prints_both_windows(
    bench, monkeypatch, capsys
):
    rows = bench._changed("checkerboard flipped", 0)
    plain = bench._two("checkerboard", 0)
    half = bench.N_ROWS // 2
    assert [x for x, _ in rows] == [x for x, _ in plain]
    assert all(a == b for (_, a), (_, b) in zip(rows[:half], plain[:half], strict=True))
    assert all(a != b for (_, a), (_, b) in zip(rows[half:], plain[half:], strict=True))
    rows = bench._changed("bands -> intervals", 1)
    assert rows[:half] == bench._one("bands", 1)[:half]
    assert rows[half:] == bench._one("intervals", 1)[half:]
    for first, second, d in (("threshold", "board", 4), ("plane", "centroids", 8)):
        rows = bench._changed(f"{first} -> {second}", 2)
        assert rows[:half] == bench._wide(first, 2)[:half]
        assert rows[half:] == bench._wide(second, 2)[half:]
        assert all(len(x) == d for x, _ in rows)
        assert 0.2 < np.mean([y for _, y in rows[half:]]) < 0.8
    # the default without its trial: a drift of the readouts leaves its window
    no_trial = bench._NoTrial(seed=0)
    for x, y in bench._changed("threshold -> board", 0)[:3000]:
        no_trial.learn_one(x, y)
    assert no_trial.n_drifts_ >= 1 and no_trial._neighbors.n_emptied == 0
    assert no_trial._neighbors.n == no_trial._neighbors.kept_ever < 3000
    # the window kept: the drift recovery acts, the vote's loss rises, the expert's
    # window is not emptied; the rounds 17-60 rule empties it at the readouts' drift
    # alone; the default at the rise of the vote's loss alone
    models = [bench._KeepsWindow(seed=0), bench._ReadoutsEmpty(seed=0)]
    models.append(bench.DREAMOnlineClassifier(seed=0))
    for x, y in bench._changed("checkerboard flipped", 0)[:3000]:
        for model in models:
            model.learn_one(x, y)
    kept, readouts, default = models
    assert kept.n_drifts_ >= 1 and kept._neighbors.n == 1000
    assert readouts.n_drifts_ >= 1 and readouts._neighbors.n < 1000
    assert readouts._neighbors.n_emptied == 0
    assert default._neighbors.n_emptied >= 1 and default._neighbors.n < 1000
    monkeypatch.setattr(bench, "N_ROWS", 1200)
    monkeypatch.setattr(bench, "SEEDS", (0,))
    monkeypatch.setattr(bench, "CHANGES", ("moons flipped",))
    bench.changes()
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if line.startswith("| moons flipped |")]
    assert [line.split(" | ")[1] for line in lines] == [
        "default (emptied where the vote's loss rose)",
        "default, no trial at the readouts' drift",
        "the vote on every row (n_neighbors=5)",
        "no kNN expert (n_neighbors=0)",
        "emptied where the readouts' drift recovery acted (rounds 17-60)",
        "window kept",
        "no-change",
        "majority",
        "ARF",
    ]


def test_the_regression_development_streams_are_the_targets_they_name(bench):
    """Round 63's streams: each target as its name says, plus noise of 0.1."""
    rows = bench._target("plateaus", 0, n=3_000)
    x = np.array([[r["x0"], r["x1"]] for r, _ in rows])
    y = np.array([t for _, t in rows])
    cells = (np.minimum(x * 3, 2).astype(int) * [3, 1]).sum(1)
    levels = [np.median(y[cells == c]) for c in range(9)]  # (a level a cell)
    assert all(np.std(y[cells == c]) < 0.15 for c in range(9))
    assert np.std(levels) > 0.3
    rows = bench._target("sum", 1, n=500)
    assert all(set(r) == {"x0", "x1", "x2", "x3"} for r, _ in rows)
    residual = [t - sum(r.values()) for r, t in rows]
    assert abs(np.mean(residual)) < 0.03 and 0.07 < np.std(residual) < 0.13
    rows = bench._target("levels", 1, n=500)
    board = [(int(r["x0"] * 3) + int(r["x1"] * 3)) % 2 for r, _ in rows]
    assert np.std([t - b for (_, t), b in zip(rows, board, strict=True)]) < 0.13
    for kind, d in [("bumps", 2), ("centroids", 8), ("plane", 8)]:
        rows = bench._target(kind, 0, n=200)
        assert all(len(r) == d for r, _ in rows) and np.std([t for _, t in rows]) > 0.1
    rows = bench._target("categories-60", 0, n=3_000)
    assert all(len(r) == 2 and "a" in r for r, _ in rows)
    assert len({k for r, _ in rows for k in r if k != "a"}) == 60
    # the target less 2 (a - 0.5) is the category's weight, plus noise of 0.1
    by = {}
    for r, t in rows:
        by.setdefault(next(k for k in r if k != "a"), []).append(t - 2.0 * (r["a"] - 0.5))
    assert (
        all(np.std(v) < 0.15 for v in by.values())
        and np.std([np.mean(v) for v in by.values()]) > 0.5
    )
    changed = bench._changed_target("sum -> levels", 0)
    half = bench.N_ROWS // 2
    assert changed[:half] == bench._target("sum", 0)[:half]
    assert changed[half:] == bench._target("levels", 0)[half:]


def test_the_regression_table_prints_the_expert_off_the_default_and_on_every_row(
    bench, monkeypatch, capsys
):
    monkeypatch.setattr(bench, "N_ROWS", 300)
    monkeypatch.setattr(bench, "SEEDS", (0,))
    monkeypatch.setattr(bench.streams, "stream_rows", lambda stream, n: 200)
    bench.regression()
    printed = capsys.readouterr().out
    header = (
        "| stream | features | no kNN | default | every row | last-value | mean | LinReg | "
        "HATR | ARFR | rows/s: no kNN / default / every row | rows the default's estimate "
        "ran on |"
    )
    assert header in printed
    lines = {line.split(" | ")[0][2:]: line for line in printed.splitlines() if line[:2] == "| "}
    for name in ("plateaus", "bumps", "centroids", "plane", "sum -> levels", "RandomWalk"):
        assert name in lines, name
    cells = lines["plateaus"].split(" | ")
    assert all(float(c.split()[0]) > 0 for c in cells[2:10])  # (every MAE)
    assert len(cells[10].split(" / ")) == 3 and cells[11].rstrip(" |").endswith("%")
    after = lines["sum -> levels, after the change"].split(" | ")
    assert all(float(c.split()[0]) > 0 for c in after[2:10])
    tuning = lines["ChickWeights"].split(" | ")
    assert all(float(c.split()[0]) > 0 for c in tuning[2:5]) and tuning[5:10] == [""] * 5


def test_the_widest_development_streams_are_the_concepts_they_name(bench):
    """Round 63's streams of more than 32 features."""
    rows = bench._widest("board-48", 0, n=500)
    assert all(len(r) == 48 for r, _ in rows)
    for r, label in rows:
        assert label == ((int(r["x0"] * 3) + int(r["x1"] * 3)) % 2 == 1)
    for kind in ("centroids-96", "plane-48"):
        rows = bench._widest(kind, 1, n=1_000)
        assert all(len(r) == int(kind.split("-")[1]) for r, _ in rows)
        assert 0.1 < np.mean([label for _, label in rows]) < 0.9, kind
    rows = bench._widest("xor-60", 0, n=3_000)
    assert all(set(r) == {"a", "b", next(k for k in r if k[0] == "c")} for r, _ in rows)
    categories = {k for r, _ in rows for k in r if k.startswith("c")}
    assert len(categories) == 60
    # each category's label is a > 0.5, or its opposite, for every row of it
    for c in categories:
        agree = [label == (r["a"] > 0.5) for r, label in rows if c in r]
        assert all(agree) or not any(agree), c
    rows = bench._widest("additive-120", 0, n=3_000)
    assert all(len(r) == 2 and "a" in r for r, _ in rows)
    assert len({k for r, _ in rows for k in r if k != "a"}) == 120
    assert bench._widest("xor-60", 0, n=50) != bench._widest("xor-60", 1, n=50)


def test_the_widest_table_prints_round_62s_bound_the_default_and_every_row(
    bench, monkeypatch, capsys
):
    monkeypatch.setattr(bench, "N_ROWS", 300)
    monkeypatch.setattr(bench, "SEEDS", (0,))
    monkeypatch.setattr(bench, "WIDEST", ("plane-48", "xor-60"))
    bench.widest()
    printed = capsys.readouterr().out
    header = (
        "| stream | features | kNN on at most 32 features (round 62) | default | the vote on "
        "every row (n_neighbors=5) | majority | ARF | kNN-ADWIN | rows/s: first three | rows "
        "the default's vote ran on |"
    )
    assert header in printed
    lines = {line.split(" | ")[0][2:]: line for line in printed.splitlines() if line[:2] == "| "}
    assert lines["plane-48"].split(" | ")[1] == "48"
    cells = lines["xor-60"].split(" | ")
    assert cells[1] == "60 categories + 2"
    assert all(0.0 < float(c.split()[0]) <= 1.0 for c in cells[2:8])
    assert len(cells[8].split(" / ")) == 3 and cells[9].rstrip(" |").endswith("%")


def test_the_bound_of_round_62_turns_the_vote_off_past_32_features(bench):
    """knots.py's ``_Bounded``: the default but for the width its vote runs on, as
    round 62 had it; the default runs it on 48."""
    rows = bench._widest("centroids-48", 0, n=200)
    bounded, default = bench._Bounded(seed=0), bench.DREAMOnlineClassifier(seed=0)
    for x, y in rows:
        bounded.learn_one(x, y)
        default.learn_one(x, y)
    assert bounded._k_neighbors == 0 and default._k_neighbors == 5
    assert bounded._neighbors is None and default._neighbors.kept_ever > 100
