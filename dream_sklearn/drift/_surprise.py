"""SurpriseDriftDetector: a river drift detector built on the DREAM cell's surprise."""

from __future__ import annotations

import math
import numbers
from functools import partial

import numpy as np
import torch
from river import base

from ..nn import DREAMCell
from ..nn._cell import _seeded
from ..nn._config import (
    _INT,
    _INT_GE1,
    _NONNEGATIVE,
    _POSITIVE,
    _UNIT,
    _check_cell_param,
    _check_value,
    _front_defaults,
)

__all__ = ["SurpriseDriftDetector"]

# The cell parameters the detector takes: DREAMConfig's rules; the defaults are
# DREAMConfig's overridden by nn._config._FRONT_OVERRIDES["drift"] (its cell also
# has rank 1 there).
_CELL_PARAMS = ("hidden_dim", "error_smoothing", "surprise_temperature")
_DEFAULT = _front_defaults("drift", (*_CELL_PARAMS, "rank"))
# The detector's own parameters, with the same rules and words.
_RULES = {
    "threshold": _POSITIVE,
    "drift_margin": _NONNEGATIVE,
    "reference_smoothing": _UNIT,
    "grace_period": _INT_GE1,  # (0: no value ever set s_ref, an alarm every ~50 values)
    "seed": _INT,
}


class SurpriseDriftDetector(base.DriftDetector):
    """Concept-drift detector that watches the surprise of a small DREAM cell.

    Each value goes through a DREAM cell (its NumPy single-step path), whose surprise
    says how unusual the value is against the cell's running error statistics. A
    one-sided CUSUM test accumulates surprise in excess of its long-run level:
    ``g ← max(0, g + S − s_ref − drift_margin)``, where ``s_ref`` is a slow moving
    average of surprise. A drift is signalled when ``g`` exceeds ``threshold``; then
    ``g`` restarts from zero and the cell re-estimates its error statistics from the
    new regime during a grace period, as it does at the start. Works on values on a
    unit scale: a model's error stream (0/1 mistakes, absolute residuals in units of
    their spread) or raw readings standardised first. The cell reads the value as it
    comes, so a raw stream far from 0 or of a tiny spread is not (a 3 standard
    deviation shift of values around 100, or of spread 0.01, went unseen where ADWIN
    found it: a review's measurement); river's ``preprocessing.StandardScaler``, or
    residuals divided by their running spread, bring it to that scale.

    Parameters
    ----------
    threshold : float, default=8.0
        CUSUM level that signals a drift. Higher: fewer false alarms, longer delays.
    drift_margin : float, default=0.15
        Excess surprise per step tolerated without evidence of drift.
    reference_smoothing : float, default=0.005
        Rate of the moving average ``s_ref`` of surprise (frozen while ``g > 0``).
    grace_period : int, default=100
        Values used to estimate the error statistics and the reference level
        ``s_ref``, at the start and after each drift, before a drift can be signalled
        (at least 1).
    hidden_dim : int, default=8
        Units of the cell.
    error_smoothing : float, default=0.002
        Rate of the cell's running error statistics: how fast it habituates, so
        how long a change keeps producing surprise.
    surprise_temperature : float, default=0.5
        Width ``γ`` of the cell's surprise sigmoid; wider than the cell's default
        (0.05) so that surprise is graded rather than all-or-nothing.
    seed : int, default=0
        Seed of the cell's random weights.

    Attributes
    ----------
    surprise : float
        Surprise of the last value, in [0, 1].
    statistic : float
        The CUSUM statistic ``g`` after the last value.

    Examples
    --------
    >>> import random
    >>> from dream_sklearn.drift import SurpriseDriftDetector
    >>> rng = random.Random(12345)
    >>> stream = [rng.gauss(0, 1) for _ in range(1000)] + [rng.gauss(4, 1) for _ in range(1000)]
    >>> detector = SurpriseDriftDetector()
    >>> for i, x in enumerate(stream):
    ...     detector.update(x)
    ...     if detector.drift_detected:
    ...         print(f"drift detected at index {i}")
    drift detected at index 1012
    """

    def __init__(
        self,
        threshold: float = 8.0,
        drift_margin: float = 0.15,
        reference_smoothing: float = 0.005,
        grace_period: int = 100,
        hidden_dim: int = _DEFAULT["hidden_dim"],
        error_smoothing: float = _DEFAULT["error_smoothing"],
        surprise_temperature: float = _DEFAULT["surprise_temperature"],
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.threshold = threshold
        self.drift_margin = drift_margin
        self.reference_smoothing = reference_smoothing
        self.grace_period = grace_period
        self.hidden_dim = hidden_dim
        self.error_smoothing = error_smoothing
        self.surprise_temperature = surprise_temperature
        self.seed = seed
        # Validated here, as river's detectors do (KSWIN, PageHinkley...).
        owner = type(self).__name__
        for name, rule in _RULES.items():
            _check_value(owner, name, getattr(self, name), rule)
        for name in _CELL_PARAMS:
            _check_cell_param(owner, name, getattr(self, name))
        self._reset()

    def _reset(self) -> None:
        super()._reset()
        build = partial(
            DREAMCell,
            1,
            self.hidden_dim,
            rank=_DEFAULT["rank"],
            error_smoothing=self.error_smoothing,
            surprise_temperature=self.surprise_temperature,
        )
        cell = _seeded(build, int(self.seed))
        self._cell = cell.double()
        self._params = self._cell.numpy_step_params()
        self._dt = np.full(1, self._cell.config.time_step)  # built once, used every update
        self._state = [t.numpy() for t in self._cell.initial_state(1, dtype=torch.float64)]
        self._n = 0
        self._s_ref = 0.0
        self.statistic = 0.0
        self.surprise = 0.0

    def update(self, x: int | float) -> None:
        """Update the detector with one value; then read ``drift_detected``.

        Parameters
        ----------
        x
            The next value of the stream (finite number).
        """
        if isinstance(x, bool):
            x = float(x)
        try:
            finite = isinstance(x, numbers.Real) and math.isfinite(x)
        except OverflowError:  # an int beyond float's range
            finite = False
        if not finite:
            raise ValueError(f"x must be a finite real number; got {x!r}.")
        # During a grace period (at the start and after each drift) the cell's error
        # statistics are re-estimated by a running average over the new regime.
        in_grace = self._n < self.grace_period
        params = self._params
        if in_grace:
            params = params._replace(beta=max(1.0 / (self._n + 2), self.error_smoothing))
        *state, surprise, _ = self._cell.numpy_step(
            params, np.array([[float(x)]]), self._state, self._dt
        )
        self._state = state
        s = float(surprise[0])
        self.surprise = s
        self._n += 1
        self._drift_detected = False
        if in_grace:
            self._s_ref += (s - self._s_ref) / self._n
            return
        self.statistic = max(0.0, self.statistic + s - self._s_ref - self.drift_margin)
        if self.statistic == 0.0:
            self._s_ref += self.reference_smoothing * (s - self._s_ref)
        if self.statistic > self.threshold:
            self._drift_detected = True
            self.statistic = 0.0
            self._n = 0
            self._s_ref = 0.0
