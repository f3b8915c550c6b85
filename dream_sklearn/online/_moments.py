"""The running mean and variance that every standardisation of the online
estimators keeps: the one rule, in one place.

Four statistics follow it: the input slots' (``_scaling``, every scaling at once),
the regressor's target (``_target``), the replay of a slot's first values when one is
set aside (``_scaling._replay``), and the delayed-label readout's own (``_delayed``).
The compiled row's kernels (``_kernels``) compile these same functions with numba, so
both paths take their numbers from one source, as the cell's step does
(``nn._step.dream_step``). Each function works on floats and on NumPy arrays alike.

The rule: a value's ``delta`` from the running mean moves it by ``rate * delta``,
and the variance becomes ``(1 - rate) * (var + rate * delta**2)``; the rate is
``1 / n`` (Welford's cumulative mean and population variance) until that falls below
the statistic's own floor, then the floor (an exponential moving average). What
each statistic adds around it (winsorised and set-aside values, a glitch's undo, the
first values' test) stays with it, and so do two scales: the target's (its standard
deviation) and the delayed-label readout's (no floor added); :func:`_moments_scale`
is the input slots'.
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []

# A slot's variance floor, relative to its mean: 1e-28 * mean**2 + 1e-300 (a standard
# deviation of 1e-14 of |mean|, some 50 rounding units of float64). A constant slot
# (variance exactly 0) reads 0, and one in any unit down to about 1e-150 (below, the
# squared deviations underflow: docs/online.md), or with any offset up to about 1e13
# of its spread, is standardised as in any other (an absolute floor of 1e-12 left a
# feature with a standard deviation below about 1e-6 unscaled).
_VAR_REL = 1e-28
_VAR_TINY = 1e-300


def _var_floor(mean):
    """The variance below which a slot (or the regressor's target) is constant."""
    return _VAR_REL * mean * mean + _VAR_TINY


def _moments_rate(count, floor):
    """The rate of the ``count``-th value (counting it; a count below 1 reads 1):
    ``1 / count``, or ``floor`` once that is larger."""
    return np.maximum(1.0 / np.maximum(count, 1.0), floor)


def _moments_step(mean, var, delta, rate):
    """The running mean and variance after a value ``delta`` from ``mean``, taken
    in at ``rate``: ``(mean, var)``, new values (the caller stores them)."""
    return mean + rate * delta, (var + rate * delta * delta) * (1.0 - rate)


def _moments_scale(count, var, floor):
    """One over the running standard deviation, ``floor`` (:func:`_var_floor` of
    the mean) added to the variance, or 0 while fewer than two values are in
    (``count``)."""
    return (count > 1) / np.sqrt(var + floor)
