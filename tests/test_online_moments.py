"""The running mean and variance that every standardisation of the online estimators
keeps (``online/_moments.py``): the rule, and that both paths take it from there."""

import numpy as np
import pytest

from dream_sklearn.online import _moments


def _run(values, floor):
    mean = var = 0.0
    for n, v in enumerate(values, 1):
        rate = _moments._moments_rate(n, floor)
        mean, var = _moments._moments_step(mean, var, v - mean, rate)
    return mean, var


def test_the_running_moments_are_the_mean_and_variance_while_one_over_n_is_above_the_floor():
    values = np.random.default_rng(0).normal(3.0, 2.0, 50)
    mean, var = _run(values, floor=0.02)  # 1 / 50 is the floor: Welford throughout
    assert mean == pytest.approx(np.mean(values), rel=1e-13)
    assert var == pytest.approx(np.var(values), rel=1e-13)


def test_past_the_floor_the_running_moments_weigh_each_value_by_the_floor_decaying():
    # Welford's first 50 values (1 / n >= 0.02), then an exponential moving average:
    # the mean and variance of the values, each weighted as that average weighs it
    n0, n, floor = 50, 400, 0.02
    values = np.random.default_rng(1).normal(-1.0, 0.5, n)
    weights = np.concatenate(
        [
            np.full(n0, (1 - floor) ** (n - n0) / n0),
            floor * (1 - floor) ** np.arange(n - n0 - 1, -1, -1),
        ]
    )
    assert weights.sum() == pytest.approx(1.0, rel=1e-12)
    mu = np.sum(weights * values)
    mean, var = _run(values, floor)
    assert mean == pytest.approx(mu, rel=1e-12)
    assert var == pytest.approx(np.sum(weights * (values - mu) ** 2), rel=1e-12)


def test_the_rate_reads_a_count_below_one_as_one_and_works_on_arrays():
    assert _moments._moments_rate(0.0, 0.1) == 1.0
    rate = _moments._moments_rate(np.array([0.0, 4.0, 100.0]), np.array([[0.1], [0.5]]))
    np.testing.assert_array_equal(rate, [[1.0, 0.25, 0.1], [1.0, 0.5, 0.5]])


def test_the_scale_is_zero_before_two_values_and_one_over_the_deviation_after():
    floor = _moments._var_floor(3.0)
    assert _moments._moments_scale(1.0, 4.0, floor) == 0.0
    assert _moments._moments_scale(2.0, 4.0, floor) == pytest.approx(0.5, rel=1e-15)
    # a constant (variance 0) is scaled by its floor, not divided by zero
    assert np.isfinite(_moments._moments_scale(5.0, 0.0, floor))


def test_the_compiled_row_compiles_the_same_functions_not_a_copy():
    pytest.importorskip("numba")
    from dream_sklearn.online import _kernels

    for name in ("_var_floor", "_moments_rate", "_moments_step", "_moments_scale"):
        assert getattr(_kernels, name).py_func is getattr(_moments, name), name
    # and the scalings, the target and the delayed-label readout import them
    from dream_sklearn.online import _delayed, _scaling, _target

    assert _scaling._moments_step is _target._moments_step is _delayed._moments_step
    assert _scaling._moments_rate is _target._moments_rate is _delayed._moments_rate


def _predictions(model, rows):
    out = []
    for x, y in rows:
        out.append(model.predict_one(x))
        model.learn_one(x, y)
    return out


@pytest.mark.parametrize("compiled", [False, True])
def test_a_numpy_scalar_rate_is_the_number_it_holds(compiled):
    # Review 235: the target's rate was max(standardize_rate, 1 / n) as given, so a
    # float32 rate made the NumPy path's target statistics in float32 arithmetic (the
    # compiled row, and the slots' scalings, read it as float64)
    from river.datasets import synth

    from dream_sklearn.online import DREAMOnlineRegressor, set_compiled

    rows = list(synth.Friedman(seed=3).take(300))
    rate = np.float32(0.05)
    set_compiled(compiled)
    try:
        given = _predictions(DREAMOnlineRegressor(seed=0, standardize_rate=rate), rows)
        number = _predictions(DREAMOnlineRegressor(seed=0, standardize_rate=float(rate)), rows)
    finally:
        set_compiled(True)
    assert given == number


def test_a_feature_varying_by_a_trillionth_of_its_offset_is_read_not_held_constant():
    # The variance floor is relative (1e-28 * mean**2: a standard deviation of 1e-14
    # of the offset): a label carried by a feature at 1e6 that varies by 1e-6 (1e-12 of
    # it) is learned as one at 0 would be
    from dream_sklearn.online import DREAMOnlineClassifier

    rng = np.random.default_rng(0)
    z = rng.normal(size=600)
    rows = [({"x": 1e6 + 1e-6 * v}, bool(v > 0)) for v in z]
    model = DREAMOnlineClassifier(seed=0)
    hits = [p == y for p, (_, y) in zip(_predictions(model, rows), rows, strict=True)]
    assert np.mean(hits[200:]) > 0.9
