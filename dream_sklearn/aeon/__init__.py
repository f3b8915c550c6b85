"""aeon-compatible DREAM estimators: :class:`DREAMTimeSeriesClassifier` and
:class:`DREAMTimeSeriesRegressor`.

They are aeon ``BaseClassifier`` / ``BaseRegressor`` subclasses wrapping
:class:`dream_sklearn.DREAMClassifier` / :class:`dream_sklearn.DREAMRegressor`, so
that DREAM runs inside aeon's own tools (benchmarking, ``aeon``'s estimator checks,
pipelines) and takes aeon's data as it comes: ``(n_cases, n_channels,
n_timepoints)`` arrays and lists of ``(n_channels, n_timepoints_i)`` arrays of
unequal lengths. This subpackage needs the optional ``aeon`` extra
(``pip install "dream-sklearn[aeon]"``); ``import dream_sklearn`` never imports aeon.
"""

try:
    import aeon  # noqa: F401
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "dream_sklearn.aeon needs the aeon package, an optional dependency: "
        'pip install "dream-sklearn[aeon]" (or pip install "aeon>=1.0").'
    ) from err

from ._estimators import DREAMTimeSeriesClassifier, DREAMTimeSeriesRegressor

__all__ = ["DREAMTimeSeriesClassifier", "DREAMTimeSeriesRegressor"]
