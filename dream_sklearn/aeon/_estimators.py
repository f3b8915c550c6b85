"""aeon estimators around DREAMClassifier / DREAMRegressor (implementation)."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd
from aeon.classification import BaseClassifier
from aeon.regression import BaseRegressor
from sklearn.utils._param_validation import InvalidParameterError

from .._sklearn import DREAMClassifier, DREAMRegressor

__all__ = ["DREAMTimeSeriesClassifier", "DREAMTimeSeriesRegressor"]

# Parameters of DREAMClassifier / DREAMRegressor not exposed, fixed as aeon needs
# them: aeon hands over its own layout (3-D arrays or lists of series, so never the
# flat rows that n_steps splits: any n_steps failed every fit), and resets an
# estimator before each fit (a warm start had nothing to continue: it was ignored).
_FIXED = {"layout": "channels_first", "n_steps": None, "warm_start": False}

_TAGS = {
    "capability:multivariate": True,
    "capability:unequal_length": True,
    # Equal-length collections arrive as one (n_cases, n_channels, n_timepoints)
    # array, unequal ones as a list of (n_channels, n_timepoints_i) arrays: the
    # wrapped estimator reads both with layout="channels_first".
    "X_inner_type": ["np-list", "numpy3D"],
    "algorithm_type": "deeplearning",
    # CPU training is reproducible given random_state (aeon's check_fit_deterministic
    # runs); aeon's own deep learners set True because TensorFlow is not.
    "non_deterministic": False,
    "cant_pickle": False,
}

# Small, fast settings for aeon's estimator checks: the default solver, then adam.
_TEST_PARAMS = (
    {"hidden_dim": 4, "rank": 2, "random_state": 0},
    {"hidden_dim": 4, "rank": 2, "solver": "adam", "max_iter": 3, "random_state": 0},
)

_PARAMS_DOC = """
    Parameters
    ----------
    **params
        Every parameter of :class:`dream_sklearn.{wrapped}` except ``layout``,
        ``n_steps`` and ``warm_start``, with the same names and defaults
        (``hidden_dim``, ``solver``, ``max_iter``, ``random_state``, ...; see its
        documentation). ``layout`` is always ``"channels_first"``, aeon's layout;
        ``n_steps`` None (aeon passes series, not flat rows); ``warm_start`` False
        (aeon resets an estimator before each fit). They are stored
        as attributes of the same name, so ``get_params``, ``set_params``,
        ``clone`` and grid searches see them as ordinary parameters.

    Attributes
    ----------
    estimator_ : {wrapped}
        The fitted scikit-learn estimator (its ``features_`` and ``coef_``, or
        with ``solver="adam"`` its ``surprise_``, ``loss_curve_``, ``module_`` and
        ``memory_``, are there).
"""


def _check_case_order(X: Any) -> None:
    """A ValueError where ``X`` is a pd-multiindex frame whose case ids (its first
    index level) are not in ascending order: aeon's conversion orders the cases by
    id, so ``y`` and the predictions would part from the frame's order without a
    word (review 369: accuracy 0.667 where the same cases in order scored 1.000)."""
    if not (isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex)):
        return
    cases = list(pd.unique(X.index.get_level_values(0)))
    try:
        ordered = cases == sorted(cases)
    except TypeError:  # (ids of types that do not compare, [1, "a"]: left to aeon;
        return  # pandas' is_monotonic_increasing says False for them, review 373)
    if not ordered:
        raise ValueError(
            "X is a MultiIndex DataFrame whose case ids (its first index level) are not "
            f"in ascending order (they begin {list(cases[:5])}); aeon reads its cases in "
            "the order of their ids, so y and the predictions would not follow the "
            "frame's order. Sort X by case id first (X.sort_index(level=0)) and give y "
            "in that order."
        )


def _wrapped_signature(Estimator: type) -> inspect.Signature:
    """``Estimator.__init__``'s signature, keyword-only, without the fixed parameters."""
    params = [
        p if p.name == "self" else p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in inspect.signature(Estimator.__init__).parameters.values()
        if p.name not in _FIXED
    ]
    return inspect.Signature(params)


class _DREAMAeonMixin:
    """Shared by both aeon estimators: parameters mirrored from the wrapped estimator."""

    _wrapped: type

    def _store_params(self, params: dict[str, Any]) -> None:
        """Store each parameter under its own name (defaults: the wrapped estimator's)."""
        signature = _wrapped_signature(self._wrapped)
        unknown = sorted(set(params) - set(signature.parameters) - {"self"})
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword arguments "
                f"{unknown}; it takes the parameters of {self._wrapped.__name__} except "
                f"{sorted(_FIXED)}."
            )
        for name, p in signature.parameters.items():
            if name != "self":
                setattr(self, name, params.get(name, p.default))

    def _preprocess_collection(self, X, store_metadata: bool = True):
        _check_case_order(X)  # (before aeon's conversion reorders the cases)
        return super()._preprocess_collection(X, store_metadata)

    def _make_estimator(self):
        names = [n for n in _wrapped_signature(self._wrapped).parameters if n != "self"]
        estimator = self._wrapped(**{n: getattr(self, n) for n in names}, **_FIXED)
        # (its messages and warnings name this estimator, the one the user built:
        # review 343; not a parameter, so clone and get_params do not see it)
        estimator._shown_as = type(self).__name__
        return estimator

    def _fit(self, X, y):
        try:
            self.estimator_ = self._make_estimator().fit(X, y)
        except InvalidParameterError as error:
            # (named after this estimator, the one the user built: review 264)
            wrapped, own = f"of {self._wrapped.__name__} ", f"of {type(self).__name__} "
            raise InvalidParameterError(str(error).replace(wrapped, own, 1)) from None
        return self

    def _predict(self, X) -> np.ndarray:
        return self.estimator_.predict(X)


class DREAMTimeSeriesClassifier(_DREAMAeonMixin, BaseClassifier):
    __doc__ = (
        """aeon time-series classifier: a :class:`dream_sklearn.DREAMClassifier`.

    Takes aeon's collections: a 3-D array ``(n_cases, n_channels, n_timepoints)``,
    a 2-D array ``(n_cases, n_timepoints)`` of univariate series, or a list of
    ``(n_channels, n_timepoints_i)`` arrays of unequal lengths (aeon's deep
    learners refuse unequal lengths; this one reads each series at its own length).
    ``fit``, ``predict`` and ``predict_proba`` are aeon's; the work is done by a
    ``DREAMClassifier(layout="channels_first")`` built from these parameters: by
    default (``solver="ridge"``) a bank of untrained DREAM cells pooled over each
    series with an exact ridge readout; ``solver="adam"`` trains one cell by
    gradient descent, far slower and weaker on the archive's development sets
    (``docs/sklearn.md``).
"""
        + _PARAMS_DOC.format(wrapped="DREAMClassifier")
        + """
    See Also
    --------
    DREAMTimeSeriesRegressor : The same for regression.

    Examples
    --------
    >>> import numpy as np
    >>> from dream_sklearn.aeon import DREAMTimeSeriesClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = np.array(["flat", "rise"] * 20)
    >>> X = [                                  # 40 univariate series of 15-30 points
    ...     (rng.normal(size=(1, n)) + (label == "rise") * np.linspace(0, 3, n))
    ...     for n, label in zip(rng.randint(15, 31, size=40), y, strict=True)
    ... ]
    >>> clf = DREAMTimeSeriesClassifier(hidden_dim=8, random_state=0)
    >>> clf = clf.fit(X[:30], y[:30])
    >>> clf.predict(X[30:34])
    array(['flat', 'rise', 'flat', 'rise'], dtype='<U4')
    >>> clf.score(X[30:], y[30:])               # the 10 series held out
    1.0
    >>> clf.predict_proba(X[30:32]).shape        # in the order of clf.classes_
    (2, 2)
    >>> clf.get_tag("capability:unequal_length")
    True
    """
    )

    _tags = _TAGS
    _wrapped = DREAMClassifier

    def __init__(self, **params: Any) -> None:
        self._store_params(params)
        super().__init__()

    __init__.__signature__ = _wrapped_signature(DREAMClassifier)

    def _predict_proba(self, X) -> np.ndarray:
        return self.estimator_.predict_proba(X)

    @classmethod
    def _get_test_params(cls, parameter_set: str = "default") -> dict | list[dict]:
        """Small, fast settings for aeon's estimator checks.

        Parameters
        ----------
        parameter_set : str, default="default"
            Name of the set (aeon's checks ask for "default" and, for stored
            results, "results_comparison"; the same small set serves both).

        Returns
        -------
        params : list of dict
            Keyword arguments of the constructor: the default solver, then
            ``solver="adam"``.
        """
        return [dict(params) for params in _TEST_PARAMS]


class DREAMTimeSeriesRegressor(_DREAMAeonMixin, BaseRegressor):
    __doc__ = (
        """aeon time-series regressor: a :class:`dream_sklearn.DREAMRegressor`.

    Takes aeon's collections, as :class:`DREAMTimeSeriesClassifier` does (unequal
    lengths included), and predicts one number per series.
"""
        + _PARAMS_DOC.format(wrapped="DREAMRegressor")
        + """
    See Also
    --------
    DREAMTimeSeriesClassifier : The same for classification.

    Examples
    --------
    >>> import numpy as np
    >>> from dream_sklearn.aeon import DREAMTimeSeriesRegressor
    >>> rng = np.random.RandomState(0)
    >>> t = np.arange(40)
    >>> freq = rng.uniform(0.1, 0.4, size=60)   # the target: each sine's frequency
    >>> X = np.sin(freq[:, None] * t + rng.uniform(0, 6, size=(60, 1)))[:, None, :]
    >>> X = X + 0.2 * rng.normal(size=X.shape)   # 60 series, 1 channel, 40 points
    >>> reg = DREAMTimeSeriesRegressor(hidden_dim=8, random_state=0)
    >>> reg = reg.fit(X[:50], freq[:50])
    >>> reg.predict(X[50:]).shape
    (10,)
    >>> bool(np.corrcoef(reg.predict(X[50:]), freq[50:])[0, 1] > 0.9)  # 0.95 measured
    True
    """
    )

    _tags = _TAGS
    _wrapped = DREAMRegressor

    def __init__(self, **params: Any) -> None:
        self._store_params(params)
        super().__init__()

    __init__.__signature__ = _wrapped_signature(DREAMRegressor)

    @classmethod
    def _get_test_params(cls, parameter_set: str = "default") -> dict | list[dict]:
        """Small, fast settings for aeon's estimator checks.

        Parameters
        ----------
        parameter_set : str, default="default"
            Name of the set (the same small set serves every name).

        Returns
        -------
        params : list of dict
            Keyword arguments of the constructor: the default solver, then
            ``solver="adam"``.
        """
        return [dict(params) for params in _TEST_PARAMS]
