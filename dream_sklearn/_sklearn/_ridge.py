"""An incremental ridge readout: exact from running statistics, its penalty by GCV.

The readout of the estimators' ``solver="ridge"``. It keeps the weighted mean and the
centred scatter matrix of ``[features, targets]`` (merged chunk by chunk, so the
statistics after several ``update`` calls equal those of one call on all the rows),
and solves ridge regression on the standardised features with an unpenalised
intercept. The penalty is chosen among :data:`_ALPHAS` by generalised
cross-validation, computed exactly from the statistics through one eigen-decomposition
of the features' correlation-scaled scatter matrix. Sample weights count relative to
each other: they are rescaled to average 1 over the rows that count, so the penalty,
like the rows' count in GCV, does not depend on the weights' total. The rows that
count are those of positive weight, less the lightest ones whose weights together
make up about a millionth of the total or less (:func:`_counted`): such rows are as good as
missing, and had counted as whole rows (review 255: 400 sequences weighted 1e-300
beside 40 real ones took the penalty from 316 to 0.01).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._input import _TINY_UNIT

__all__: list[str] = []

# Penalties tried, on the scale of the standardised features' scatter (sums over
# rows, as RidgeCV's alphas): chosen on the development sets (docs/sklearn.md).
_ALPHAS = np.logspace(-2, 5, 15)
# Penalties whose scores are within this relative gap of the best tie (see solve).
_TIE = 1e-9
# The lightest rows whose weights together make up at most this share of the total
# weight count as missing (_counted).
_NEGLIGIBLE = 1e-6
# Weights are told apart to 1/32 of an octave (about 2%) when the light tail is found.
_BINS_PER_OCTAVE = 32


def _weight_bins(weight: np.ndarray) -> np.ndarray:
    """The bin of each positive weight: ``floor(32 log2(w))``, whatever its scale."""
    return np.floor(np.log2(weight) * _BINS_PER_OCTAVE).astype(np.int64)


def _lightest_counted(bins: np.ndarray, counts: np.ndarray) -> int:
    """The lightest bin whose rows count, given every bin (ascending) and its rows.

    Bins are dropped from the lightest up while the rows dropped hold at most
    :data:`_NEGLIGIBLE` of the total weight, each row read at its bin's lower edge
    (so to about 2%), whole bins only: weights all equal are never dropped, however
    many rows share them.
    """
    # Each bin's weight relative to the heaviest bin's (0 where that underflows).
    level = np.exp2((bins - bins[-1]) / _BINS_PER_OCTAVE)
    mass = np.cumsum(counts * level)
    light = int(np.searchsorted(mass, _NEGLIGIBLE * mass[-1], side="right"))
    return int(bins[min(light, len(bins) - 1)])


def _counted(weight: np.ndarray | None) -> np.ndarray | slice:
    """Which rows count (a mask), or every row (``slice(None)``) when unweighted.

    A row counts when its weight is positive and it is not among the lightest rows
    whose weights together make up about a millionth of the total or less (to the 2%
    of :func:`_lightest_counted`'s bins): 1,000 rows
    weighted 1e-9 beside 30 of weight 1 are as good as missing (they hold 3e-8 of
    the weight), while 299 rows of weight 1 beside one of 1,000 all count (they hold
    23%), as do AdaBoost's weights spread over many decades but for the rows that
    together hold a millionth.
    """
    if weight is None:
        return slice(None)
    positive = weight > 0
    if not positive.any():
        return positive
    bins = np.full(len(weight), np.iinfo(np.int64).min)
    bins[positive] = _weight_bins(weight[positive])
    values, counts = np.unique(bins[positive], return_counts=True)
    return positive & (bins >= _lightest_counted(values, counts))


class _RidgeSolution(NamedTuple):
    """``prediction = features @ coef + intercept``, found with penalty ``alpha``."""

    coef: np.ndarray  # (n_features, n_outputs)
    intercept: np.ndarray  # (n_outputs,)
    alpha: float


class _RidgeStats:
    """Weighted running mean and centred scatter of ``[features, targets]`` rows."""

    unit = 1.0  # (statistics pickled before it took the weights as they came)
    bins = None  # (statistics pickled before the light tail was told apart: count)
    y_unit = None  # (statistics pickled before the targets' units: as they came)

    def __init__(self, n_features: int, n_outputs: int) -> None:
        self.n_features = n_features
        width = n_features + n_outputs
        self.unit = None  # the largest weight so far: every weight is read in it
        self.weight = 0.0
        self.count = 0  # rows that count (_counted), over every update
        # How many rows of positive weight fell in each weight bin (_weight_bins):
        # which rows count is decided over all of them, in any order of the updates.
        self.bins = np.zeros(0, dtype=np.int64)
        self.bin_counts = np.zeros(0, dtype=np.int64)
        self.mean = np.zeros(width)
        self.scatter = np.zeros((width, width))
        # Each target's unit: its largest |value| so far (over rows of positive
        # weight) while that is below _TINY_UNIT, else 1 (the targets as they come, to
        # the bit). Squares of targets in units below about 1e-154 underflowed in the
        # scatter, and GCV chose the largest penalty (review 274: after a first
        # partial_fit of one sequence, targets in units of 1e-200 gave R2 0.015
        # against 0.84 in units of 1).
        self.y_top = np.zeros(n_outputs)
        self.y_unit = np.ones(n_outputs)

    def update(self, F: np.ndarray, Y: np.ndarray, weight: np.ndarray | None = None) -> None:
        """Add rows ``F`` (n, n_features) with targets ``Y`` (n, n_outputs), weighted
        by ``weight`` (n,) when given; rows of weight 0 change nothing."""
        w = np.ones(len(Y)) if weight is None else np.asarray(weight, dtype=np.float64)
        unit = self._target_unit(Y[w > 0])
        if (unit != 1.0).any():
            # (rows of weight 0 change nothing: their targets, which the unit does not
            # read, could overflow in it, and 0 x inf made the statistics NaN; review 279)
            Y = np.where((w > 0)[:, None], Y, 0.0) / unit
        Z = np.hstack([F, Y])
        given = w  # (binned as given by _count: the unit below may change later)
        # Weights count relative to each other: read in units of the largest so far,
        # so that weights of 1e-310 (whose inverse overflowed) or 1e155 (whose products
        # did) give the statistics of weights about 1 (a review's finding: NaN
        # predictions, and a classifier predicting its first class, without an error).
        # A larger one later rescales what was kept (its weight and scatter).
        top = float(w.max()) if len(w) else 0.0
        if top > 0.0 and (self.unit is None or top > self.unit):
            if self.unit is not None:
                self.weight *= self.unit / top
                self.scatter *= self.unit / top
            self.unit = top
        w = w / (self.unit or 1.0)
        total = float(w.sum())
        if total <= 0:
            return
        self._count(given[given > 0])
        mean = w @ Z / total
        centred = Z - mean
        scatter = (centred * w[:, None]).T @ centred
        # Chan et al.'s merge of two sets of (weight, mean, scatter).
        both = self.weight + total
        delta = mean - self.mean
        self.scatter += scatter + np.outer(delta, delta) * (self.weight * (total / both))
        self.mean += delta * (total / both)
        self.weight = both

    def _target_unit(self, Y: np.ndarray) -> np.ndarray:
        """Each target's unit once the rows ``Y`` (n, n_outputs) are seen; what was
        kept is rescaled to it (the targets' mean, their rows and columns of the
        scatter)."""
        if self.y_unit is None:  # (pickled before the units: targets as they came)
            self.y_top = np.full(self.mean.size - self.n_features, np.inf)
            self.y_unit = np.ones_like(self.y_top)
        if len(Y):
            self.y_top = np.maximum(self.y_top, np.abs(Y).max(0))
        unit = np.where((self.y_top > 0) & (self.y_top < _TINY_UNIT), self.y_top, 1.0)
        if (unit != self.y_unit).any():
            ratio = np.r_[np.ones(self.n_features), self.y_unit / unit]
            self.mean *= ratio
            # (rows, then columns: the ratio's square can overflow where it multiplies
            # zeros, from a unit of 1 while every target so far was 0)
            self.scatter *= ratio[:, None]
            self.scatter *= ratio[None, :]
            self.y_unit = unit
        return unit

    def _count(self, positive: np.ndarray) -> None:
        """Add the positive weights ``positive`` to the bins, and count anew."""
        if self.bins is None:  # (pickled before the bins: every positive row counts)
            self.count += len(positive)
            return
        bins, counts = np.unique(_weight_bins(positive), return_counts=True)
        bins, which = np.unique(np.r_[self.bins, bins], return_inverse=True)
        self.bin_counts = np.bincount(which, weights=np.r_[self.bin_counts, counts])
        self.bin_counts = self.bin_counts.astype(np.int64)
        self.bins = bins
        self.count = int(self.bin_counts[bins >= _lightest_counted(bins, self.bin_counts)].sum())

    def solve(
        self,
        alphas: np.ndarray = _ALPHAS,
        *,
        per_target: bool = False,
        offset: np.ndarray | None = None,
    ) -> _RidgeSolution:
        """The ridge solution on the standardised features, ``alpha`` by GCV.

        ``per_target``: with several targets, each one's residual sum of squares counts
        relative to its own (centred) sum of squares over every row seen, so that the
        penalty chosen does not depend on the targets' scales (the regressor's, scaled
        by the first ``partial_fit`` call's statistics: a target that barely varied in
        that call outweighed the others, and a learnable one was shrunk to nothing;
        a review's finding). With one target, or targets on one scale already (the
        classifier's class indicators), the sums are compared as they are. ``offset``
        (n_outputs,): what was subtracted from each target before it got here, in its
        units here (the regressor's ``y_mean_ / y_scale_``): a constant target is told
        by its rounding around that level, not around its centred mean of about 0.
        """
        d = self.n_features
        unit = np.ones(self.mean.size - d) if self.y_unit is None else self.y_unit
        if offset is not None:
            offset = np.asarray(offset, dtype=float) / unit
        # Weights rescaled to average 1 over the rows that count.
        n = self.count
        S = self.scatter * (n / self.weight) if self.weight > 0 else self.scatter
        Sff, Sfy = S[:d, :d], S[:d, d:]
        syy = np.diag(S)[d:]
        scale = np.sqrt(np.clip(np.diag(Sff), 0.0, None) / max(n, 1e-300))
        # Constant features weigh nothing. Constant: a spread within n x machine
        # epsilon x |the mean| (the rule of the estimators' scaling, _input.fitted_scale),
        # whatever the units; an absolute floor of 1e-12 dropped features of std 1e-13
        # that StandardScaler reads as any other (review 123).
        level = max(n, 1) * np.finfo(float).eps * np.abs(self.mean[:d])
        scale = np.where((scale <= level) | (scale == 0.0), 1.0, scale)
        G = Sff / np.outer(scale, scale)
        b = Sfy / scale[:, None]
        eig, Q = np.linalg.eigh(G)
        eig = np.clip(eig, 0.0, None)
        z2 = (Q.T @ b) ** 2  # (n_features, n_outputs)
        relative = per_target and len(syy) > 1
        if relative:
            # A constant target is left out of the choice, as a constant column is: its
            # weighted mean is off by rounding, so its sum of squares is some 1e-60, not
            # 0, and that noise counted as much as a real target (a review's finding).
            # Constant: a spread within n x machine epsilon x |its mean| (the rule of
            # the estimators' scaling, _input.fitted_scale), whatever its units.
            shift = 0.0 if offset is None else np.abs(offset)
            level = n * np.finfo(float).eps * (np.abs(self.mean[d:]) + shift)
            constant = syy <= n * level * level
            inverse = np.where(constant, 0.0, 1.0 / np.where(constant, 1.0, syy))
        best, best_gcv = float(alphas[-1]), np.inf  # the largest when none fits
        for alpha in alphas:
            shrink = 1.0 / (eig + alpha)
            # Residual sum of squares and the effective degrees of freedom (+1 for
            # the intercept) of the fit with penalty alpha.
            rss = syy - (z2 * (shrink * (2.0 - eig * shrink))[:, None]).sum(0)
            dof = float((eig * shrink).sum()) + 1.0
            if dof >= n:  # as many degrees of freedom as rows: nothing left to judge by
                continue
            rss = np.clip(rss, 0.0, None)
            if relative:
                rss = rss * inverse
            gcv = float(rss.sum()) / (1.0 - dof / n) ** 2
            # Ties (to rounding) go to the larger penalty: with two sequences every
            # penalty scores the same, and the choice was rounding noise, 0.01 say,
            # and an unseen sequence read 1e-6 (review 169).
            if gcv < best_gcv or (gcv <= best_gcv * (1.0 + _TIE) and best < alpha):
                best, best_gcv = float(alpha), min(gcv, best_gcv)
        coef = Q @ ((Q.T @ b) / (eig + best)[:, None]) / scale[:, None]
        intercept = self.mean[d:] - self.mean[:d] @ coef
        return _RidgeSolution(coef * unit, intercept * unit, best)
