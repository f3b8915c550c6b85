"""The stream benchmark (benchmarks/streams.py) on tiny streams: its tables and its scoring."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("streams")


def _hand_made(bench, rows, task, changes):
    return bench.Stream(
        "hand",
        "tuning",
        task,
        "abrupt",
        lambda seed, n: iter(rows),
        lambda n: changes,
        False,
        len(rows),
    )


def test_no_change_scores_by_hand_on_a_hand_made_stream(bench, monkeypatch):
    monkeypatch.setattr(bench, "AFTER", 2)
    # labels a a b b b a: predictions None a a b b b -> right, wrong, right, right, wrong
    rows = [({"x": float(i)}, y) for i, y in enumerate("aabbba")]
    stream = _hand_made(bench, rows, "binary", [2])
    monkeypatch.setitem(bench.STREAMS, "hand", stream)
    r = bench.evaluate(stream, "no-change", 0, None)
    assert r["score"] == pytest.approx(3 / 5)
    assert r["after_change"] == [pytest.approx(1 / 2)]  # rows 2, 3: wrong, right
    assert r["rows"] == 6

    # regression: targets 1 3 2 2 5 -> errors 2 1 0 3 after the first row
    rows = [({"x": 0.0}, y) for y in [1.0, 3.0, 2.0, 2.0, 5.0]]
    r = bench.evaluate(_hand_made(bench, rows, "regression", [3]), "last-value", 0, None)
    assert r["score"] == pytest.approx(1.5)
    assert r["after_change"] == [pytest.approx(1.5)]  # rows 3, 4: errors 0 and 3


def test_elec2_rule_compares_the_price_with_the_mean_of_the_previous_ones():
    from dream_sklearn._progressive import Elec2Rule  # (the benchmark's and the demo's)

    rule = Elec2Rule(window=2)
    assert rule.predict_one({"nswprice": 1.0}) is None
    for p in (1.0, 3.0):
        rule.learn_one({"nswprice": p}, 0)
    assert rule.predict_one({"nswprice": 2.5}) == 1  # 2.5 > (1 + 3) / 2
    rule.learn_one({"nswprice": 0.0}, 1)  # window now (3, 0)
    assert rule.predict_one({"nswprice": 1.5}) == 0  # 1.5 is not > 1.5


def test_tables_on_two_tiny_streams(bench, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bench, "AFTER", 100)
    out = tmp_path / "streams.json"
    models = ["no-change", "majority", "ARF", "DREAM", "last-value", "ARFR"]
    argv = ["--streams", "SEA", "TrumpApproval", "--rows", "300", "--seeds", "2"]
    results = bench.main([*argv, "--models", *models, "--json", str(out), "--quiet"])
    printed = capsys.readouterr().out

    # the no-change baseline on SEA, by hand from the stream's own labels
    for seed in (0, 1):
        y = [label for _, label in bench.STREAMS["SEA"].make(seed, 300)]
        by_hand = np.mean([y[i] == y[i - 1] for i in range(1, len(y))])
        assert results["SEA"]["no-change"][str(seed)]["score"] == pytest.approx(by_hand)
        # one change, at row 150, scored over rows 150-249
        after = np.mean([y[i] == y[i - 1] for i in range(150, 250)])
        assert results["SEA"]["no-change"][str(seed)]["after_change"] == [pytest.approx(after)]
    assert set(results["SEA"]) == {"no-change", "majority", "ARF", "DREAM"}
    assert set(results["TrumpApproval"]) == {"last-value", "ARFR", "DREAM"}
    assert set(results["TrumpApproval"]["DREAM"]) == {"0"}  # a bundled set runs once

    assert "## TUNING half" in printed and "## REPORT half" not in printed
    lines = printed.splitlines()
    assert "| stream | no-change | majority | ARF | DREAM |" in lines
    assert "| stream | no-change | majority | ARF | DREAM | DREAM >= ARF |" in lines
    assert (
        "| stream | last-value | ARFR | DREAM | DREAM below best baseline "
        "| DREAM below best of last-value, LinReg, HATR, ARFR |" in lines
    )
    # the headline counts each regression column's "yes" rows
    trump = next(line for line in lines if line.startswith("| TrumpApproval (regression"))
    every, four = (cell.strip() for cell in trump.split("|")[-3:-1])
    head = next(line for line in lines if line.startswith("| half (classification"))
    assert head.endswith(
        "| regression: DREAM below best baseline "
        "| regression: DREAM below best of last-value, LinReg, HATR, ARFR "
        "| DREAM / ARF(R) rows/s |"
    )
    tuning = next(line for line in lines if line.startswith("| tuning (1 + 1) |"))
    counts = [cell.strip() for cell in tuning.split("|")[-4:-2]]
    assert counts == [f"{int(every.startswith('yes'))}/1", f"{int(four.startswith('yes'))}/1"]
    sea = [line for line in lines if line.startswith("| SEA (binary, abrupt, 300 rows, 2 seeds)")]
    assert len(sea) == 2  # accuracy, and accuracy after the change
    assert sea[0].count("|") == 6 and sea[1].count("|") == 7
    assert any(line.startswith("| mean over 1 streams |") for line in lines)
    assert any(line.startswith("| TrumpApproval (regression, real, 300 rows) |") for line in lines)
    assert "| stream | no-change | majority | ARF | DREAM | DREAM / ARF |" in lines
    saved = json.loads(out.read_text())
    assert saved["results"]["SEA"]["DREAM"]["1"]["rows"] == 300


def test_the_regression_target_columns_leave_the_running_mean_out_of_the_issues_four(bench):
    """DREAM below every baseline but the running mean: "no" against every baseline,
    "yes" against issue 12's four (last value, LinReg, HATR, ARFR)."""
    maes = {"last-value": 0.82, "mean": 0.56, "LinReg": 0.64, "HATR": 0.59, "ARFR": 0.57}
    results = {"SP500Stocks": {m: {"0": {"score": v}} for m, v in {**maes, "DREAM": 0.564}.items()}}
    every = bench._best_baseline(results, "SP500Stocks", list(bench.REGRESSORS))
    four = bench._best_baseline(results, "SP500Stocks", [*bench.ISSUE_REGRESSORS, "DREAM"])
    assert every == "no (best: mean)"
    assert four == "yes (best: ARFR)"
    results["SP500Stocks"]["DREAM"]["0"]["score"] = 0.58
    assert bench._best_baseline(results, "SP500Stocks", [*bench.ISSUE_REGRESSORS, "DREAM"]) == (
        "no (best: ARFR)"
    )


def test_reuse_reruns_dream_on_this_runs_seeds_only_and_says_so(bench, tmp_path, capsys):
    """--reuse with fewer seeds kept DREAM's figures for the other seeds (old code's
    figures in the means and counts); the headline's rows/s ratio did not say ARF's
    came from an earlier run; --print-only printed this command line's rows and
    seeds, not the saved run's (a review of the harness)."""
    out = tmp_path / "streams.json"
    argv = ["--streams", "SEA", "--rows", "600", "--json", str(out), "--quiet"]
    bench.main([*argv, "--seeds", "2", "--models", "ARF", "DREAM"])
    capsys.readouterr()
    saved = json.loads(out.read_text())
    saved["results"]["SEA"]["DREAM"]["1"]["score"] = 0.0  # as if from older code
    out.write_text(json.dumps(saved))
    results = bench.main([*argv, "--seeds", "1", "--models", "DREAM", "--reuse"])
    printed = capsys.readouterr().out
    assert set(results["SEA"]["DREAM"]) == {"0"}
    assert set(results["SEA"]["ARF"]) == {"0"}  # (the same seeds on both sides)
    head = next(line for line in printed.splitlines() if line.startswith("Headline:"))
    assert head.endswith("(ARF's and ARFR's timed in an earlier run (--reuse): compare loosely)")
    bench.main(["--print-only", "--json", str(out), "--seeds", "7"])
    printed = capsys.readouterr().out
    assert "(--rows 600), 1 seeds each" in printed


def _check_rows_of_task(stream, name: str, rows) -> None:
    """The first 5 of ``rows`` are rows of ``stream``'s task: numeric features, a
    number for a regression target, an int or a bool for a label."""
    rows = list(itertools.islice(rows, 5))
    assert len(rows) == 5, name
    for x, y in rows:
        assert x and all(isinstance(v, int | float) for v in x.values()), name
        if stream.task == "regression":
            assert isinstance(y, int | float) and not isinstance(y, bool), name
        else:
            assert isinstance(y, int | bool), name


def test_the_held_out_half_builds_and_prints_with_the_other_two(bench, tmp_path, capsys):
    """Round 11's held-out half: a third half after "report"; each of its streams gives
    rows of its task, and a tiny run of all three halves prints a table and a headline
    row for each."""
    assert bench.HALVES[:3] == ("tuning", "report", "held-out")
    held = [s for s, st in bench.STREAMS.items() if st.half == "held-out"]
    assert len(held) >= 8
    for name in held:
        stream = bench.STREAMS[name]
        _check_rows_of_task(stream, name, stream.make(0, 20))
        assert stream.changes(5_000) == [] or stream.drift in ("abrupt", "gradual"), name
    assert bench.STREAMS["Agrawal-2-6"].changes(5_000) == [2_500]
    assert bench.STREAMS["SEA-gradual"].changes(5_000) == [2_250]
    assert bench.STREAMS["Sine-gradual"].changes(5_000) == [2_250]
    assert bench.stream_rows(bench.STREAMS["Shuttle"], None) == 10_000

    out = tmp_path / "streams.json"
    argv = ["--streams", "SEA", "Sine", "Agrawal-2-6", "AirlinePassengers", "--rows", "600"]
    argv += ["--seeds", "1", "--json", str(out), "--quiet"]
    bench.main([*argv, "--models", "no-change", "last-value"])
    printed = capsys.readouterr().out
    for label in ("## TUNING half", "## REPORT half", "## HELD-OUT half"):
        assert label in printed
    lines = printed.splitlines()
    # (Sine and Agrawal-2-6 were in view when a setting was chosen: marked, review 113;
    # so was every regression stream out of the tuning half when the regressor's kNN
    # expert was prototyped, review 212)
    for row in (
        "| tuning (1 + 0) |",
        "| report (1 + 0; 1 marked * in its tables) |",
        "| held-out (1 + 1; 2 marked * in its tables) |",
    ):
        assert any(line.startswith(row) for line in lines), row
    assert any(line.startswith("| Sine* (binary, abrupt,") for line in lines)
    assert any(line.startswith("| Agrawal-2-6* (binary, abrupt,") for line in lines)
    assert any(line.startswith("| SEA (binary, abrupt,") for line in lines)
    assert "In view when a setting was chosen (docs/streams.md): Agrawal-2-6*: its" in printed
    assert any(line.startswith("| AirlinePassengers* (regression,") for line in lines)
    assert (
        "AirlinePassengers*: DREAM-kNN, and DREAM since round 63 (its default runs the "
        "regressor's kNN expert): the regressor's kNN expert was" in printed
    )
    # --half held-out runs that half only
    bench.main(["--half", "held-out", *argv, "--models", "no-change"])
    printed = capsys.readouterr().out
    assert "## HELD-OUT half" in printed and "## TUNING half" not in printed
    assert "## REPORT half" not in printed


def test_the_fresh_half_builds_and_prints_after_the_other_three(bench, tmp_path, capsys):
    """Round 60's fresh half: a fourth half, none of its streams marked as in view
    (nothing was chosen on them, the regressor's kNN expert included); each gives rows
    of its task, an abrupt one its change at the middle row, and a tiny run prints its
    tables and a headline row of its own."""
    assert bench.HALVES == ("tuning", "report", "held-out", "fresh")
    fresh = [s for s, st in bench.STREAMS.items() if st.half == "fresh"]
    assert len(fresh) >= 15
    assert not set(fresh) & set(bench.IN_VIEW)
    for name in fresh:
        stream = bench.STREAMS[name]
        assert stream.synthetic, name
        _check_rows_of_task(stream, name, stream.make(1, 5_000))
        if stream.drift == "abrupt":
            assert stream.changes(5_000) == [2_500], name
    # the abrupt switch's two concepts are two generators' rows: the second half's
    # first row is the second generator's first (its own seed), not the first's next
    rows = list(itertools.islice(bench.STREAMS["Agrawal-3-8"].make(0, 10), 10))
    from river.datasets import synth

    seeds = bench._OWN_SEED["Agrawal-3-8"]
    second = next(iter(synth.Agrawal(seed=seeds[1], classification_function=8)))
    assert rows[5] == second

    out = tmp_path / "streams.json"
    argv = ["--streams", "SEA", "Agrawal-3-8", "Planes2D-b", "--rows", "600", "--seeds", "1"]
    bench.main([*argv, "--json", str(out), "--quiet", "--models", "no-change", "last-value"])
    printed = capsys.readouterr().out
    assert "## FRESH half (added in round 60" in printed
    lines = printed.splitlines()
    assert any(line.startswith("| fresh (1 + 1) |") for line in lines)
    assert any(line.startswith("| Agrawal-3-8 (binary, abrupt,") for line in lines)
    assert any(line.startswith("| Planes2D-b (regression,") for line in lines)


def test_real_seeds_run_a_bundled_streams_models_over_several_seeds(bench, tmp_path, capsys):
    """A bundled stream's rows are fixed, but ARF's and DREAM's seeds move their figures
    (ARF on Elec2: 0.851-0.856 over five seeds): --real-seeds runs the models over that
    many seeds and the tables give their spread."""
    out = tmp_path / "streams.json"
    argv = ["--streams", "TrumpApproval", "--rows", "600", "--json", str(out), "--quiet"]
    results = bench.main([*argv, "--real-seeds", "2", "--models", "last-value", "DREAM"])
    printed = capsys.readouterr().out
    assert set(results["TrumpApproval"]["DREAM"]) == {"0", "1"}
    dream = [results["TrumpApproval"]["DREAM"][s]["score"] for s in ("0", "1")]
    assert dream[0] != dream[1]  # (the seed draws DREAM's random cell)
    last = [results["TrumpApproval"]["last-value"][s]["score"] for s in ("0", "1")]
    assert last[0] == last[1]  # (same rows, nothing random)
    row = next(line for line in printed.splitlines() if line.startswith("| TrumpApproval ("))
    assert row.startswith("| TrumpApproval (regression, real, 600 rows, 2 model seeds) |")
    assert f"({min(dream):.3f}-{max(dream):.3f})" in row
    assert "bundled streams with 2 seeds of the models" in printed
    assert json.loads(out.read_text())["real_seeds"] == 2
    bench.main(["--print-only", "--json", str(out), "--streams", "TrumpApproval"])
    assert "bundled streams with 2 seeds of the models" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        bench.main([*argv, "--real-seeds", "0"])


def test_reuse_leaves_out_a_baseline_run_on_other_rows_or_seeds(bench, tmp_path, capsys):
    """--reuse kept ARF's figures of a 1,200-row, one-seed run beside DREAM's fresh
    2,000-row, two-seed ones: "DREAM >= ARF" compared the window after row 1,000 with
    the one after row 600 (a review of the harness)."""
    out = tmp_path / "streams.json"
    argv = ["--streams", "SEA", "--json", str(out), "--quiet"]
    bench.main([*argv, "--rows", "1200", "--seeds", "1", "--models", "ARF", "DREAM"])
    capsys.readouterr()
    results = bench.main([*argv, "--rows", "2000", "--seeds", "2", "--models", "DREAM", "--reuse"])
    captured = capsys.readouterr()
    assert "ARF" not in results["SEA"] and set(results["SEA"]["DREAM"]) == {"0", "1"}
    assert "SEA: ARF's figures in the JSON are for other rows or seeds" in captured.err
    sea = next(line for line in captured.out.splitlines() if line.startswith("| SEA ("))
    assert sea.startswith("| SEA (binary, abrupt, 2,000 rows, 2 seeds) |")
    # the same rows and seeds: kept
    bench.main([*argv, "--rows", "2000", "--seeds", "2", "--models", "ARF"])
    results = bench.main([*argv, "--rows", "2000", "--seeds", "2", "--models", "DREAM", "--reuse"])
    assert set(results["SEA"]["ARF"]) == {"0", "1"} and "left out" not in capsys.readouterr().err


def test_reuse_reruns_the_knn_expert_too(bench, tmp_path, capsys):
    """--reuse kept DREAM-kNN's figures from the JSON as if it were a baseline:
    `--models DREAM-kNN --reuse` reran nothing and printed the old figures."""
    out = tmp_path / "streams.json"
    argv = ["--streams", "SEA", "--rows", "600", "--seeds", "1", "--json", str(out), "--quiet"]
    bench.main([*argv, "--models", "ARF", "DREAM-kNN"])
    saved = json.loads(out.read_text())
    arf = saved["results"]["SEA"]["ARF"]["0"]["score"]
    saved["results"]["SEA"]["DREAM-kNN"]["0"]["score"] = 0.0  # as if from older code
    out.write_text(json.dumps(saved))
    results = bench.main([*argv, "--models", "DREAM-kNN", "--reuse"])
    capsys.readouterr()
    assert results["SEA"]["DREAM-kNN"]["0"]["score"] > 0.5  # (run again)
    assert results["SEA"]["ARF"]["0"]["score"] == arf  # (kept)


def test_reuse_keeps_nothing_from_a_json_of_another_benchmark_version(bench, tmp_path, capsys):
    """--reuse compared rows only: ARF's figures from before the streams took their own
    seeds (other rows, the same count) entered the tables beside DREAM's fresh ones."""
    out = tmp_path / "streams.json"
    argv = ["--streams", "SEA", "--rows", "1200", "--seeds", "1", "--json", str(out), "--quiet"]
    bench.main([*argv, "--models", "ARF"])
    saved = json.loads(out.read_text())
    assert saved["version"] == bench.BENCH_VERSION
    del saved["version"]  # a JSON written before versions were kept
    saved["results"]["SEA"]["ARF"]["0"]["score"] = 0.0  # (as if from other rows)
    out.write_text(json.dumps(saved))
    capsys.readouterr()
    results = bench.main([*argv, "--models", "DREAM", "--reuse"])
    captured = capsys.readouterr()
    assert "ARF" not in results["SEA"] and "DREAM" in results["SEA"]
    assert f"figures of benchmark version 1, not {bench.BENCH_VERSION}" in captured.err
    # run again beside DREAM, and no table says it was timed in an earlier run
    out.write_text(json.dumps(saved))
    results = bench.main([*argv, "--models", "ARF", "DREAM", "--reuse"])
    captured = capsys.readouterr()
    assert results["SEA"]["ARF"]["0"]["score"] > 0.5
    assert "compare loosely" not in captured.out and "in the same run" in captured.out
    # --print-only of an old JSON prints it, and says the legend may not describe it
    out.write_text(json.dumps(saved))
    bench.main([*argv, "--print-only"])
    assert "printed under this version's legend" in capsys.readouterr().err
    # the same version: kept
    bench.main([*argv, "--models", "ARF"])
    results = bench.main([*argv, "--models", "DREAM", "--reuse"])
    assert "ARF" in results["SEA"] and "none reused" not in capsys.readouterr().err


def test_the_held_out_gradual_changes_show_in_the_labels_or_are_said_not_to(bench):
    """Over the 500 rows after a gradual change's first row (the transition, then the
    new concept), the old concept's rule, 1.0 before the change, scores about half on
    Sine-gradual (every label flips: its count "after a gradual change" measures how
    fast a model follows), and as the new one's on SEA-gradual (review 212: a change
    the labels barely show, said so in docs/streams.md)."""
    import math

    from river.datasets import synth

    def sine1(x):  # (Sine's function 0, the concept before the change)
        return 0 if x[0] >= math.sin(x[1]) else 1

    def sea(threshold):  # (SEA's label: x0 + x1 above the variant's threshold)
        return lambda x: x[0] + x[1] > threshold

    def score(rule, rows):
        return sum(rule(x) == y for x, y in rows) / len(rows)

    for seed in range(bench.DEFAULT_SEEDS):
        (start,) = bench.STREAMS["Sine-gradual"].changes(5_000)
        rows = list(bench.STREAMS["Sine-gradual"].make(seed, 5_000))
        after = start + bench.AFTER
        assert score(sine1, rows[start - 1_000 : start]) > 0.95, seed  # (the old concept)
        assert 0.4 < score(sine1, rows[start:after]) < 0.6, seed  # (the transition)
        assert score(sine1, rows[after : after + 500]) < 0.1, seed  # (the new one)
        (start,) = bench.STREAMS["SEA-gradual"].changes(5_000)
        rows = list(bench.STREAMS["SEA-gradual"].make(seed, 5_000))
        assert score(sea(9.0), rows[start : start + bench.AFTER]) > 0.8, seed
    assert all(  # (the rules as river's generators label)
        synth.Sine._classification_function_zero(a, b) == sine1({0: a, 1: b})
        and synth.SEA(variant=1)._threshold == 9.0
        for a, b in ((0.9, 0.1), (0.1, 0.9), (0.5, 0.5))
    )


def test_no_report_or_held_out_stream_shares_rows_with_another_stream(bench, monkeypatch):
    """A report or held-out stream is data no default was chosen on: none of its rows
    may be another stream's (river's generators draw x alike from the same seed whatever
    the function or drift: the held-out Friedman read every x of
    FriedmanDrift-lea, a tuning stream, at the same row; a review's finding in round 22). Two tuning
    streams may share rows (Hyperplane and FriedmanDrift-lea do: 20 of the first 300,
    scattered). Rows are compared whole (names and values): a stream whose x differ
    from another's only in their names would pass, and none does.

    Nor may it share a RandomRBF centroid: the held-out RandomRBF's rows were none of
    RandomRBFDrift's (other centroid counts and labels), but with that tuning stream's
    seeds it drew 5, 4 and 1 of its 20 centroids on seeds 0-2 (review 178, round 35).
    Each centroid's centre is recorded as the generator makes it, before any drift."""
    from river.datasets import synth

    made = synth.RandomRBF._generate_centroids
    current = []  # the (stream, seed) being read

    def generate_centroids(self):
        made(self)
        rows[current[-1]] |= {("centroid", tuple(c.centre)) for c in self.centroids}

    # (RandomRBFDrift's own calls this one through super())
    monkeypatch.setattr(synth.RandomRBF, "_generate_centroids", generate_centroids)
    n = 300
    rows = {}
    for name, stream in bench.STREAMS.items():
        if stream.synthetic:
            for seed in range(bench.DEFAULT_SEEDS):
                current.append((name, seed))
                rows[name, seed] = set()
                rows[name, seed] |= {
                    tuple(sorted((str(k), v) for k, v in x.items()))
                    for x, _ in itertools.islice(stream.make(seed, n), n)
                }
    # the centroids were seen: both RBF streams have theirs, 20 and 50 a seed
    for name, count in [("RandomRBFDrift", 20), ("RandomRBF", 50)]:
        for seed in range(bench.DEFAULT_SEEDS):
            assert sum(r[0] == "centroid" for r in rows[name, seed]) == count
    shared = [
        (a, b, len(rows[a] & rows[b]))
        for a, b in itertools.combinations(rows, 2)
        if a[0] != b[0]
        and not bench.STREAMS[a[0]].half == bench.STREAMS[b[0]].half == "tuning"
        and rows[a] & rows[b]
    ]
    # Planes2D draws each x from 39,366 points of a grid: its two streams (held-out,
    # fresh) share about 2.3 of 300 rows by chance, as any two draws of it would; a
    # reused seed shares all of them. Every other pair shares none.
    chance = [(a, b, k) for a, b, k in shared if {a[0], b[0]} == {"Planes2D", "Planes2D-b"}]
    assert [c for c in shared if c not in chance] == []
    assert all(k <= 6 for _, _, k in chance)


def test_change_windows_end_at_the_next_change_and_leave_out_a_short_last_one(bench):
    assert bench.AFTER == 500
    # the default rows: every window whole
    for name, stream in bench.STREAMS.items():
        n = bench.stream_rows(stream, None)
        for a, b in bench.change_windows(stream.changes(n), n):
            assert b - a == 500, name
        assert bench._window_note(stream, n) is None, name
    # STAGGER on 1,000 rows: changes every 200 rows; the windows of 200, 400 and 600
    # stop at the next change (each holds its whole concept, as a review asked: 600's
    # was left out for having fewer than 500 rows to the end); the stream's end cuts
    # the last concept, after 800, short: left out
    stagger = bench.STREAMS["STAGGER"]
    assert stagger.changes(1_000) == [200, 400, 600, 800]
    windows = [(200, 400), (400, 600), (600, 800)]
    assert bench.change_windows(stagger.changes(1_000), 1_000) == windows
    note = bench._window_note(stagger, 1_000)
    assert "200 (200 rows)" in note and "400 (200 rows)" in note and "600 (200 rows)" in note
    assert "the change at 800 is left out" in note
    # a whole window that ends where the stream ends is kept
    assert bench.change_windows([500], 1_000) == [(500, 1_000)]
    assert bench.change_windows([501], 1_000) == []


def test_the_headline_counts_abrupt_and_gradual_changes_apart(bench):
    """Issue 12's target is after every abrupt change: the headline counts the
    (change, seed) pairs of abrupt and gradual changes in two columns (one count held
    both until round 22)."""

    def figures(score, after):
        return {"score": score, "after_change": after, "rows": 5_000, "rows_per_s": 1.0}

    results = {
        # Sine (abrupt, two changes): DREAM behind ARF after both
        "Sine": {
            "ARF": {"0": figures(0.9, [0.9, 0.9])},
            "DREAM": {"0": figures(0.8, [0.7, 0.8])},
        },
        # LEDDrift (gradual, one change): DREAM ahead
        "LEDDrift": {
            "ARF": {"0": figures(0.6, [0.6])},
            "DREAM": {"0": figures(0.7, [0.7])},
        },
    }
    printed = bench.headline(results, ["Sine", "LEDDrift"], ["ARF", "DREAM"])
    lines = printed.splitlines()
    head = next(line for line in lines if line.startswith("| half"))
    cells = [c.strip() for c in head.split("|")[1:-1]]
    report = next(line for line in lines if line.startswith("| report (2 + 0; 1 marked *"))
    row = dict(zip(cells, (c.strip() for c in report.split("|")[1:-1]), strict=True))
    assert row["DREAM >= ARF after an abrupt change"] == "0/2"
    assert row["DREAM >= ARF after a gradual change"] == "1/1"
    # the half's after-change table counts them apart too, in its mean row (it printed
    # "1/3" beside the headline's two counts until a review of round 22)
    table = bench.tables(results, ["Sine", "LEDDrift"], ["ARF", "DREAM"], "report")
    mean_rows = [line for line in table.splitlines() if line.startswith("| mean over 2")]
    assert mean_rows[1].endswith("| 0/2 abrupt, 1/1 gradual |")


def test_the_knn_adwin_baseline_reads_features_in_any_unit(bench):
    """kNN-ADWIN scales its rows as every other baseline does (a StandardScaler in
    front): a feature in another unit (times 10^6) leaves its votes as they were. Raw,
    the large feature took the distance over (a review's finding in round 22)."""
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(600):
        a, b = rng.uniform(0, 1, 2)
        rows.append(({"a": a, "b": b}, int(a > 0.5)))
    votes = []
    for unit in (1.0, 1e6):
        knn = bench.KNNADWIN()
        preds = []
        for x, y in rows:
            x = {"a": x["a"], "b": x["b"] * unit}
            preds.append(knn.predict_one(x))
            knn.learn_one(x, y)
        votes.append(preds)
    same = np.mean([p == q for p, q in zip(*votes, strict=True)])
    assert same >= 0.99
    accuracy = np.mean([p == y for p, (_, y) in zip(votes[1][100:], rows[100:], strict=True)])
    assert accuracy > 0.85


def test_previous_target_baseline_reads_the_target_learned_last(bench):
    """The +prev baselines read the previous row's target as one input more: absent
    at the first row, then the target learned last (not the row's own)."""

    class Recorder:
        def __init__(self):
            self.seen = []

        def predict_one(self, x):
            self.seen.append(("predict", dict(x)))
            return 0.0

        def learn_one(self, x, y):
            self.seen.append(("learn", dict(x)))

    inner = Recorder()
    model = bench.PreviousTarget(inner)
    prev = bench.PreviousTarget.PREVIOUS
    for x, y in [({"a": 1.0}, 10.0), ({"a": 2.0}, 20.0)]:
        model.predict_one(x)
        model.learn_one(x, y)
    assert inner.seen == [
        ("predict", {"a": 1.0}),
        ("learn", {"a": 1.0}),
        ("predict", {"a": 2.0, prev: 10.0}),
        ("learn", {"a": 2.0, prev: 10.0}),
    ]
    assert "LinReg+prev" in bench.REGRESSORS and "ARFR+prev" in bench.REGRESSORS
    made = bench.make_model("LinReg+prev", 0, "regression")
    assert isinstance(made, bench.PreviousTarget) and not made.label
    # a label is given as its index in the order the labels came, there from the
    # first row (-1 before any): river's ARF sizes its trees' feature subsets by the
    # first row's features, and a string was a many-valued nominal split that cost
    # ARF on LED (review 135)
    labelled = bench.PreviousTarget(Recorder(), label=True)
    for x, y in [({"a": 1.0}, "up"), ({"a": 2.0}, "down"), ({"a": 3.0}, "up")]:
        labelled.predict_one(x)
        labelled.learn_one(x, y)
    labelled.predict_one({"a": 4.0})
    got = [seen[1][prev] for seen in labelled.model.seen if seen[0] == "predict"]
    assert got == [-1.0, 0.0, 1.0, 0.0]
    assert bench.make_model("ARF+prev", 0, "binary").label
    # a stream keyed by ints (river's SEA) gets an int key past its own: river's trees
    # sort the keys, and a str among ints failed
    ints = bench.PreviousTarget(Recorder())
    ints.learn_one({0: 1.0, 2: 3.0}, 5.0)
    ints.predict_one({0: 1.0, 2: 3.0})
    assert ints.model.seen[-1] == ("predict", {0: 1.0, 2: 3.0, 3: 5.0})
    arf = bench.make_model("ARF+prev", 0, "binary")
    for i in range(30):
        arf.predict_one({0: float(i), 1: float(-i)})
        arf.learn_one({0: float(i), 1: float(-i)}, i % 2)
