"""``benchmarks/speed.py --only online-start``: where the first rows of a stream lose
their time, each row timed and summed over spans; and ``--only online-delayed``: rows/s
with labels 50 rows late (no timing is asserted: the rows' shape, river's column beside
DREAM's, and the sums on made-up row times)."""

import argparse

import numpy as np

from dream_sklearn.online import compiled_available


def test_the_start_speed_section_times_both_estimators_beside_river(load_benchmark):
    """``speed.py --only online-start`` on Elec2's first rows: for each default
    estimator, row 0, rows 1-9, rows 10-199, the rest, the whole, and the rounds'
    totals, river's linear pipeline beside each; row 0, where the model is built,
    costs more than any later span's rows on average."""
    speed = load_benchmark("speed")
    rows = speed.online_start(argparse.Namespace(online_rows=300, repeats=1))
    if not compiled_available():
        assert len(rows) == 1 and "numba is not installed" in rows[0].compared
        return
    assert len(rows) == 12  # (two estimators: four spans, the whole, the rounds' totals)
    for task, pipeline in (("classification", "Logistic"), ("regression", "Linear")):
        mine = [r for r in rows if r.what.endswith(f"({task})")]
        assert [r.what.split("Elec2 ")[1].split(" (")[0].split(",")[0] for r in mine] == [
            "row 0",
            "rows 1-9",
            "rows 10-199",
            "rows 200-299",
            "all 300 rows",
            "all 300 rows",
        ]
        assert all(f"river StandardScaler \\| {pipeline}Regression: " in r.compared for r in mine)
        per_row = [float(r.compared.split(" µs/row")[0]) for r in mine[:5]]
        assert per_row[0] > max(per_row[1:])


def test_the_start_rows_sum_each_rows_median_over_spans_and_take_the_totals_median(
    load_benchmark,
):
    """``_start_rows`` on row times made up: three rounds of 250 rows where row 0 costs
    1 ms, rows 1-9 100 µs, the others 10 µs (river: 10 µs every row), with a spike of
    5 ms on a different row each round. Each row's median leaves the spikes out; the
    median of the rounds' totals keeps one."""
    speed = load_benchmark("speed")
    base = np.full(250, 10e-6)
    base[0], base[1:10] = 1e-3, 100e-6
    dream = [base.copy() for _ in range(3)]
    for r, at in enumerate((50, 120, 230)):
        dream[r][at] += 5e-3
    river = [np.full(250, 10e-6) for _ in range(3)]
    rows = speed._start_rows("DREAM", "river", "classification", dream, river)
    assert [r.what for r in rows] == [
        "DREAM, Elec2 row 0 (the model built) (classification)",
        "DREAM, Elec2 rows 1-9 (the start's other growth events) (classification)",
        "DREAM, Elec2 rows 10-199 (the kNN expert's first rows) (classification)",
        "DREAM, Elec2 rows 200-249 (classification)",
        "DREAM, Elec2 all 250 rows (classification)",
        "DREAM, Elec2 all 250 rows, the median of the rounds' totals (classification)",
    ]
    assert [r.value for r in rows] == ["1.00", "0.90", "1.90", "0.50", "4.30", "9.30"]
    assert rows[0].compared == "1000.0 µs/row; river: 0.01 ms, 10.0 µs/row"
    assert rows[2].compared == "10.0 µs/row; river: 1.90 ms, 10.0 µs/row"
    assert rows[4].compared.endswith("river: 2.50 ms, 10.0 µs/row")
    assert rows[5].compared == "26,882 rows/s; river: 2.50 ms, 100,000 rows/s"


def test_the_delayed_speed_section_times_each_model_beside_rivers_pipeline(load_benchmark):
    """``speed.py --only online-delayed`` on Elec2's first rows with labels 50 rows
    late: the default classifier, advancing (compiled and on the NumPy path),
    DREAMDelayedClassifier, ARF and river's logistic pipeline, then the default
    regressor, advancing, DREAMDelayedRegressor and river's linear pipeline, each as
    rows/s with its ratio to its task's pipeline's."""
    speed = load_benchmark("speed")
    rows = speed.online_delayed(argparse.Namespace(online_rows=200, repeats=1))
    assert [r.what.split(":")[0] for r in rows] == [
        "DREAMOnlineClassifier()",
        "DREAMOnlineClassifier(advance_on_predict=True)",
        "DREAMOnlineClassifier(advance_on_predict=True), NumPy path",
        "DREAMDelayedClassifier()",
        "river ARFClassifier(seed=0)",
        "river StandardScaler \\| LogisticRegression",
        "DREAMOnlineRegressor()",
        "DREAMOnlineRegressor(advance_on_predict=True), NumPy path",
        "DREAMDelayedRegressor()",
        "river StandardScaler \\| LinearRegression",
    ]
    assert all(r.what.endswith("Elec2 first 200 rows, labels 50 rows late") for r in rows)
    assert all(r.unit == "rows/s" and float(r.value.replace(",", "")) > 0 for r in rows)
    assert rows[5].compared == rows[-1].compared == "this / river's pipeline: 1.00x"
