"""Synthetic signals that change regime at known points."""

from __future__ import annotations

import numbers
import operator
from typing import Any

import numpy as np

from ..nn._config import _is_real

__all__ = ["make_regime_signal"]


def _as_int(value: Any) -> int | None:
    """``value`` as an int where it is one (Python's, NumPy's, a 0-d integer array),
    else None (a bool, a float, text...)."""
    if isinstance(value, bool | np.bool_) or getattr(value, "dtype", None) is np.dtype(bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def make_regime_signal(
    n_steps: int = 1500,
    n_features: int = 3,
    change_points: tuple[int, ...] | None = None,
    noise: float = 0.3,
    random_state: int | np.random.RandomState | np.random.Generator | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A multivariate signal whose regime (mean, frequency) changes abruptly.

    Each regime is a sine wave of its own frequency and phase per feature, around
    its own level (each level jumps by 1 to 2 at a change), plus Gaussian noise.

    Parameters
    ----------
    n_steps : int, default=1500
        Length of the signal.
    n_features : int, default=3
        Number of features.
    change_points : tuple of int, default=None
        Steps at which a new regime starts. None: at a third and two thirds of
        ``n_steps``, rounded down, those above 0 (500 and 1000 for the default length).
    noise : float, default=0.3
        Standard deviation of the noise.
    random_state : int, None, numpy RandomState, Generator or SeedSequence, default=0
        Seed of the generator: an int >= 0, None (fresh entropy), a numpy
        ``Generator`` or ``SeedSequence``, or a ``RandomState`` (as scikit-learn's
        ``make_*`` take; one int is drawn from it to seed the generator).

    Returns
    -------
    X : ndarray of shape (n_steps, n_features)
        The signal.
    regime : ndarray of shape (n_steps,)
        The regime index of each step.

    Examples
    --------
    >>> from dream_sklearn.datasets import make_regime_signal
    >>> X, regime = make_regime_signal(n_steps=30, change_points=(10, 20))
    >>> X.shape, regime.tolist()[8:12]
    ((30, 3), [0, 0, 1, 1])
    """
    for name, value, low in (("n_steps", n_steps, 1), ("n_features", n_features, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")
    # (_is_real: an int beyond float's range is not one; isfinite raised OverflowError)
    if not (_is_real(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite float >= 0; got {noise!r}.")
    noise = float(noise)  # (a Fraction reached NumPy as an object: review 360)
    if not isinstance(
        random_state, np.random.Generator | np.random.SeedSequence | np.random.RandomState
    ) and (
        random_state is not None
        and (
            isinstance(random_state, bool)
            or not isinstance(random_state, numbers.Integral)
            or random_state < 0
        )
    ):  # (numpy's own errors named no argument)
        raise ValueError(
            "random_state must be an int >= 0, None, or a numpy RandomState, Generator or "
            f"SeedSequence; got {random_state!r}."
        )
    if change_points is None:  # (a fixed (500, 1000) refused every n_steps <= 1000)
        change_points = tuple(sorted({n_steps // 3, 2 * n_steps // 3} - {0}))
    # (each an int of its own: NumPy read (3, np.uint64(5)) as floats, refused; review 360)
    items = [_as_int(c) for c in change_points] if np.ndim(change_points) == 1 else [None]
    if any(c is None or not 0 < c < n_steps for c in items):
        raise ValueError(
            f"change_points must be a sequence of distinct ints in (0, n_steps={n_steps}); "
            f"got {change_points!r}."
        )
    change_points = tuple(items)
    if len(set(change_points)) < len(change_points):
        raise ValueError(
            f"change_points must be distinct steps in (0, n_steps={n_steps}); "
            f"got {change_points!r}."
        )
    if isinstance(random_state, np.random.RandomState):
        random_state = int(random_state.randint(2**31))
    rng = np.random.default_rng(random_state)
    bounds = [0, *sorted(change_points), n_steps]
    regime = np.zeros(n_steps, dtype=int)
    X = np.empty((n_steps, n_features))
    t = np.arange(n_steps)[:, None]
    mean = rng.uniform(-1.0, 1.0, n_features)
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        regime[a:b] = k
        if k:  # every feature's level jumps by 1 to 2 at a change
            mean = mean + rng.choice([-1.0, 1.0], n_features) * rng.uniform(1.0, 2.0, n_features)
        freq = rng.uniform(0.02, 0.2, n_features)
        phase = rng.uniform(0, 2 * np.pi, n_features)
        X[a:b] = mean + 0.5 * np.sin(freq * t[a:b] + phase)
    X += noise * rng.standard_normal(X.shape)
    return X, regime
