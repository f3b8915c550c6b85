"""DREAMClassifier: one class label per sequence."""

from __future__ import annotations

import datetime
import inspect
import math
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.special import softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite, column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from torch.nn import functional as F

from ._base import _BaseDREAM
from ._docs import ATTRIBUTES, PARAMETERS

__all__ = ["DREAMClassifier"]

_CLASS_WEIGHT_DOC = """    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as in scikit-learn: ``{label: weight}`` (labels
        left out weigh 1), ``"balanced"`` (``n_sequences / (n_classes *
        count(label))`` over the ``y`` of each ``fit``, the sequences and counts
        weighed by ``sample_weight`` where it is given, as scikit-learn's
        ``compute_class_weight`` weighs them) or ``None`` (all 1). A sequence's weight
        is its class weight times its ``sample_weight``. A key names the labels it
        equals (``True`` the label 1, ``pd.Timestamp`` a ``datetime64`` label); a
        number names no date or duration; two keys for one label are refused, and
        so is a key that names no label where a label has no key (a typo), as
        scikit-learn refuses it (where every label has a key, such a key is a label
        this fit lacks: a fold of a search).
        ``"balanced"`` is refused by ``partial_fit``, which sees one chunk at a time:
        pass a dict there (e.g. from ``sklearn.utils.class_weight.compute_class_weight``).
"""


def _linear_proba(scores: np.ndarray) -> np.ndarray:
    """Probabilities from the ridge readout's scores, fitted to the 0/1 indicator of
    each class: the scores already sum to 1 over the classes (a least-squares
    estimate of each class's probability); those below ``1e-6`` are raised to it and
    the row renormalised, which keeps the largest score the most probable class (the
    raised scores may sum to more than 1, so a raised one ends a little below 1e-6:
    9.2e-7 for a row whose scores were 1.09 and -0.09)."""
    proba = np.maximum(scores, 1e-6)
    return proba / proba.sum(axis=1, keepdims=True)


def _with_class_weight(init) -> inspect.Signature:
    """The base estimators' signature with ``class_weight`` appended (keyword-only)."""
    sig = inspect.signature(init)
    extra = inspect.Parameter("class_weight", inspect.Parameter.KEYWORD_ONLY, default=None)
    return sig.replace(parameters=[*sig.parameters.values(), extra])


def _checked_classes(classes: Any) -> np.ndarray:
    """partial_fit's ``classes``: a 1-D array-like of labels of a classification
    target (NaN, a continuous label, a set or a 2-D array refused, as
    ``MLPClassifier`` refuses them, naming ``classes``)."""
    if isinstance(classes, (set, frozenset, dict, str)):
        raise TypeError(
            f"classes must be a list or 1-D array of labels; got a {type(classes).__name__}: "
            f"{classes!r}."
        )
    dtype = getattr(classes, "dtype", None)
    if hasattr(classes, "__iter__") and (dtype is None or dtype == np.dtype("O")):
        # (an object array too: a label column's .to_numpy() with a gap in it)
        kinds = {isinstance(c, str) for c in classes}
        if len(kinds) > 1:  # (np.asarray would make every label a string)
            raise ValueError(
                f"classes mixes strings and other labels: {list(classes)!r}; give labels "
                "of one kind."
            )
    array = np.asarray(classes)
    if array.ndim == 2 and array.shape[1] == 1:  # (a column, as MLPClassifier takes it)
        array = array.ravel()
    if array.ndim != 1:
        raise ValueError(
            f"classes must be a 1-D array-like of labels; got an array of shape {array.shape}."
        )
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        raise ValueError(f"classes must not contain NaN or inf; got {array.tolist()!r}.")
    if array.dtype.kind in "mMO" and pd.isna(array).any():  # (as y's missing labels)
        raise ValueError(
            f"classes must not contain a missing label (None, NaN, NaT, pandas' NA); "
            f"got {array.tolist()!r}."
        )
    try:
        check_classification_targets(array)
    except ValueError as err:
        raise ValueError(f"classes: {err} (got {array.tolist()!r}).") from err
    return array


class DREAMClassifier(ClassifierMixin, _BaseDREAM):
    __doc__ = (
        """Sequence classifier: DREAM cells read out by a linear layer.

    Each sequence gets one label. With the default ``solver="ridge"`` the sequence
    runs through a bank of untrained DREAM cells with four time constants
    (:class:`DREAMFeatures`), their hidden states are pooled over the sequence, and
    a ridge readout fitted in closed form (its penalty by generalised
    cross-validation) scores each class: no epochs, and ``partial_fit`` is exact.
    With ``solver="adam"`` one cell and a softmax layer on its hidden state at the
    last step (or a pooling of all steps, ``readout``) are trained end to end by
    gradient descent, and the cell's plastic memory is carried from one
    ``partial_fit`` call to the next (see ``docs/sklearn.md``).

    ``X`` may be a 3-D array ``(n_sequences, n_steps, n_features)``, a list of 2-D
    arrays of different lengths, a DataFrame with a two-level index ``(sequence id,
    time)`` (to split it with scikit-learn's tools, which count rows, convert it
    first with :func:`dream_sklearn.to_sequences`), or a plain 2-D array read as
    sequences of one step (refused once the model has learned from longer
    sequences).
"""
        + PARAMETERS
        + _CLASS_WEIGHT_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels."""
        + ATTRIBUTES
        + """
    See Also
    --------
    DREAMRegressor : The same network for continuous targets.
    DREAMFeatures : An untrained cell bank as features for a linear readout.
    to_sequences : A ``(sequence id, time)`` DataFrame as a list of sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from dream_sklearn import DREAMClassifier
    >>> rng = np.random.RandomState(0)
    >>> t = np.arange(40)
    >>> freq = rng.uniform(0.1, 0.4, size=120)   # 120 noisy sines of 40 steps
    >>> X = np.sin(freq[:, None] * t + rng.uniform(0, 6, size=(120, 1)))[:, :, None]
    >>> X = X + 0.2 * rng.normal(size=X.shape)
    >>> y = np.where(freq > 0.25, "fast", "slow")
    >>> clf = DREAMClassifier(hidden_dim=16, random_state=0).fit(X[:80], y[:80])
    >>> clf.classes_
    array(['fast', 'slow'], dtype='<U4')
    >>> clf.predict(X[80:83]), y[80:83]
    (array(['slow', 'slow', 'slow'], dtype='<U4'), array(['slow', 'slow', 'slow'], dtype='<U4'))
    >>> bool(clf.score(X[80:], y[80:]) >= 0.9)    # 0.97 measured
    True

    Trained by gradient, the cell also reports its surprise at every step:

    >>> X = rng.normal(size=(80, 6, 2))           # 80 sequences, 6 steps, 2 features
    >>> y = np.where(X[:, -2:, 0].sum(axis=1) > 0, "up", "down")  # last 2 steps
    >>> adam = DREAMClassifier(hidden_dim=8, solver="adam", max_iter=40, random_state=0)
    >>> adam.fit(X, y).surprise_.shape            # per sequence and step
    (80, 6)
    """
    )

    _parameter_constraints: dict = {
        **_BaseDREAM._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(self, *args: Any, class_weight: dict | str | None = None, **params: Any) -> None:
        super().__init__(*args, **params)
        self.class_weight = class_weight

    # scikit-learn reads the parameters from the signature: the base's, plus class_weight.
    __init__.__signature__ = _with_class_weight(_BaseDREAM.__init__)

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _extra_weights(
        self, y: np.ndarray, sample_weight: np.ndarray | None, *, incremental: bool
    ) -> np.ndarray | None:
        if self.class_weight is None:
            return None
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit, which sees one "
                "chunk at a time; pass a dict of class weights instead, e.g. "
                "dict(zip(classes, compute_class_weight('balanced', classes=classes, "
                "y=y_all)))."
            )
        if self.class_weight == "balanced":
            # Counted in the sample weights, as scikit-learn's compute_class_weight does
            # with them: weight 0 is then a missing sequence here too (counted by
            # heads, "balanced" weighed the classes as if it were there; review 127).
            # By hand: that function takes sample_weight only in recent releases, and
            # gives a class whose weights are all 0 an infinite weight.
            labels, index = np.unique(y, return_inverse=True)
            counts = np.bincount(index, weights=sample_weight, minlength=len(labels)).astype(
                np.float64
            )
            present = counts > 0
            per_class = np.zeros(len(labels))
            per_class[present] = counts.sum() / (np.count_nonzero(present) * counts[present])
            return per_class[index]
        # A dict: labels left out weigh 1; a negative weight is refused, and so is a
        # key that is no label where a label has no key (a typo would otherwise weigh
        # nothing, silently). Where every label has one, such a key is a label this
        # fit lacks, as scikit-learn reads it (a fold of a search without a rare
        # class; review 328). Keys are matched by equality: dates and durations in
        # nanoseconds are integers once tolist()'d, and pandas' Timedelta hashes as no
        # NumPy timedelta64 does, so a label's own value was refused as "not a class
        # label" (review 278).
        kind = self.classes_.dtype.kind
        labels = list(self.classes_) if kind in "mM" else self.classes_.tolist()
        hits = {
            key: [i for i, label in enumerate(labels) if _same_label(key, label)]
            for key in self.class_weight
        }
        unknown = [key for key, where in hits.items() if not where]
        named = [i for where in hits.values() for i in where]
        if unknown and len(set(named)) < len(labels):
            raise ValueError(
                f"class_weight has keys {unknown!r} that are not class labels; the "
                f"labels are {labels!r}."
            )
        if len(set(named)) < len(named):  # (a date as a Timestamp and a datetime64, say)
            twice = [labels[i] for i in sorted(set(named)) if named.count(i) > 1]
            raise ValueError(
                f"class_weight has several keys for the labels {twice!r}; give each "
                "label one weight."
            )
        per_class = np.ones(len(labels))
        try:
            given = np.array([float(self.class_weight[key]) for key in hits])
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"class_weight must map labels to finite weights >= 0; got "
                f"{self.class_weight!r} ({err})."
            ) from err
        for weight, where in zip(given, hits.values(), strict=True):
            per_class[where] = weight
        if (given < 0).any() or not np.isfinite(given).all():
            raise ValueError(
                f"class_weight must map labels to finite weights >= 0; got {self.class_weight!r}."
            )
        return per_class[y]

    def _encode_targets(self, y: Any, *, first: bool, incremental: bool, classes: Any):
        y = column_or_1d(y, warn=True)
        if y.dtype.kind in "fc":
            assert_all_finite(y, input_name="y")
        elif y.dtype.kind in "mMO":
            # (a missing label, None, NaT or pandas' NA, was a class of its own, or
            # failed in np.unique's sort, or was blamed on warm_start: review 209)
            missing = np.flatnonzero(pd.isna(y))
            if len(missing):
                raise ValueError(
                    f"y has a missing label ({y[missing[0]]!r}) at position {missing[0]} "
                    f"({len(missing)} in all): every sequence needs a label; leave the "
                    "unlabelled sequences out, or label them."
                )
        check_classification_targets(y)
        if first:
            if incremental and classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit "
                    "(e.g. classes=np.unique(y_all)); got classes=None."
                )
            labels = np.unique(y if classes is None else _checked_classes(classes))
            if len(labels) < 2:
                raise ValueError(
                    f"DREAMClassifier needs at least 2 classes; got 1 class: {labels.tolist()}."
                )
            self.classes_ = labels
        elif incremental and classes is not None:
            if not np.array_equal(np.unique(_checked_classes(classes)), self.classes_):
                raise ValueError(
                    f"classes={np.asarray(classes).tolist()!r} is not the same as the "
                    f"classes_ this estimator was fitted with, {self.classes_.tolist()!r} "
                    "(from the first call to partial_fit, or from fit)."
                )
        unseen = np.setdiff1d(y, self.classes_)
        # (every refusal below says so where the labels are numbers and the classes
        # strings, or the other way round: on later calls it blamed new labels; review
        # 250, after review 158's hint on the first call alone)
        kinds = {y.dtype.kind in "USO", self.classes_.dtype.kind in "USO"}
        hint = (
            " y's labels and the classes are of different types (numbers against "
            "strings): give them alike."
            if len(unseen) and len(kinds) > 1
            else ""
        )
        if len(unseen) and not incremental:
            raise ValueError(
                f"y contains labels that the previous fit did not have: {unseen.tolist()!r}; "
                f"classes_ is {self.classes_.tolist()!r}. warm_start=True continues from "
                "the previous weights, whose output layer has one unit per class, so a "
                "warm start cannot add classes: refit with warm_start=False (the new "
                "model then has every class of y)." + hint
            )
        # (which call makes or made classes_: this one where it is the first, review 143)
        from_partial_fit = incremental if first else getattr(self, "_from_partial_fit", True)
        if len(unseen) and not from_partial_fit:
            raise ValueError(
                f"y contains labels that fit did not have: {unseen.tolist()!r}; classes_ "
                f"is {self.classes_.tolist()!r}. partial_fit continues the fitted model, "
                "whose output layer has one unit per class, so it cannot add classes: "
                "fit again on data with every class, or start with partial_fit(X, y, "
                "classes=<every label>)." + hint
            )
        if len(unseen) and first:  # (review 158: it blamed "the first call", this one)
            raise ValueError(
                f"y contains labels that are not in classes: {unseen.tolist()!r}; classes is "
                f"{self.classes_.tolist()!r}. Pass every label of the stream with `classes`." + hint
            )
        if len(unseen):
            raise ValueError(
                f"y contains labels not seen in the first call: {unseen.tolist()!r}; "
                f"classes_ is {self.classes_.tolist()!r}. Pass every label with "
                "`classes` on the first call to partial_fit." + hint
            )
        if first:  # (which call made classes_: its refusal of a new label says so)
            self._from_partial_fit = incremental
        return np.searchsorted(self.classes_, y)

    def _target_tensor(self, y: np.ndarray, device: torch.device) -> torch.Tensor:
        return torch.as_tensor(y, dtype=torch.long, device=device)

    def _ridge_targets(self, y: np.ndarray) -> np.ndarray:
        return np.eye(len(self.classes_))[y]  # one column of 0/1 per class

    def _loss(
        self, output: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None
    ) -> torch.Tensor:
        if weight is None:
            return F.cross_entropy(output, target)
        return (F.cross_entropy(output, target, reduction="none") * weight).sum() / weight.sum()

    def _validation_score(
        self, output: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> float:
        return float(np.average(output.argmax(axis=1) == y, weights=sample_weight))

    def _split(self, n: int, y: np.ndarray, rng: np.random.RandomState):
        """The early-stopping split: stratified on the labels where it can be (every
        class with 2 sequences or more, and a validation part and a training part each
        as large as the number of classes); otherwise a plain random one, as
        ``MLPClassifier``'s for more than two classes (the stratified split's own
        ValueError, naming neither ``early_stopping`` nor ``validation_fraction``,
        refused such data; review 127).
        """
        counts = np.bincount(y, minlength=len(self.classes_))
        n_val = math.ceil(self.validation_fraction * n)
        stratify = None
        if counts[counts > 0].min() >= 2 and min(n_val, n - n_val) >= np.count_nonzero(counts):
            stratify = self.classes_[y]
        return train_test_split(
            np.arange(n), test_size=self.validation_fraction, random_state=rng, stratify=stratify
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DREAMClassifier:
        """Fit the network on sequences ``X`` and their labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences (see the class docstring).
        y : array-like of shape (n_sequences,)
            One label per sequence.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence (non-negative; ``None``: all 1). With
            ``solver="ridge"`` it weighs the sequence's row in the readout's
            statistics and in the input standardisation (weights count relative to
            each other, so a weight of 2 is not the sequence given twice: the
            penalty chosen, ``alpha_``, may differ; weight 0 is the sequence left
            out, as are the lightest sequences whose weights together make up about
            a millionth of the total or less). With ``solver="adam"``, each mini-batch's
            loss is the weighted mean over its sequences, the L2 penalty is divided by
            the mini-batch's total weight (as in ``MLPClassifier``), and the input
            standardisation and the plastic memory's mean are weighted too: a
            sequence of weight 0 is as if it were absent (exactly so when the data
            fit in one mini-batch), an integer weight as if it were repeated.
            Multiplied by the ``class_weight`` of its label.

        Returns
        -------
        self : DREAMClassifier
            The fitted estimator (with ``solver="adam"``, its plastic memory
            starts from zero).
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> DREAMClassifier:
        """Learn from one more chunk of sequences.

        With ``solver="ridge"`` the chunk's features are added to the readout's
        statistics and the readout solved again (exactly the readout of one fit on
        every chunk so far, with the first call's feature map and scaling). With
        ``solver="adam"``, one pass over ``X`` in order, carrying the plastic
        memory over from the last call.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences.
        y : array-like of shape (n_sequences,)
            One label per sequence.
        classes : array-like of shape (n_classes,), default=None
            Every label the stream may contain; required on the first call, may be
            left out afterwards.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence, as in :meth:`fit`.

        Returns
        -------
        self : DREAMClassifier
            The updated estimator.
        """
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of each sequence.

        With ``solver="adam"`` each sequence starts from ``memory_``; with the
        ridge solver they are the readout's least-squares class scores, raised to
        at least 1e-6 and renormalised (not calibrated; the renormalising may take
        a raised one a little below 1e-6 again).

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences.

        Returns
        -------
        proba : ndarray of shape (n_sequences, n_classes)
            Probabilities in the order of ``classes_``.
        """
        outputs = self._predict_outputs(X)
        if hasattr(self, "features_"):  # solver="ridge"
            return _linear_proba(outputs)
        return softmax(outputs, axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences.

        Returns
        -------
        y : ndarray of shape (n_sequences,)
            Predicted labels.
        """
        best = self._predict_outputs(X).argmax(axis=1)
        return self.classes_[best]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on ``X`` and ``y`` (``y`` aligned by sequence id when it can be).

        Parameters
        ----------
        X : array-like, list of 2-D arrays or DataFrame
            The sequences.
        y : array-like of shape (n_sequences,)
            True labels.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weights of the sequences.

        Returns
        -------
        score : float
            Mean accuracy.
        """
        if sample_weight is not None:
            sample_weight = self._aligned_y(X, sample_weight, "sample_weight")  # (by id, as fit)
        return super().score(X, self._aligned_y(X, y), sample_weight)


def _same_label(key: Any, label: Any) -> bool:
    """Whether a ``class_weight`` key names the class ``label`` (by equality, as a
    dict's lookup decides once hashes agree; a comparison that fails is no match). A
    number names no date or duration: NumPy compares it in the labels' own unit
    (``2`` equal to 2 seconds or to 2 nanoseconds, review 279)."""
    forms = [label]
    if isinstance(label, (np.datetime64, np.timedelta64)):
        if not isinstance(key, (np.datetime64, np.timedelta64, datetime.date, datetime.timedelta)):
            return False
        # (and as pandas reads it: NumPy's nanosecond date equals no datetime.datetime)
        scalar = pd.Timestamp if isinstance(label, np.datetime64) else pd.Timedelta
        try:
            forms.append(scalar(label))
        except (ValueError, OverflowError):  # (beyond pandas' nanosecond range)
            pass
    for form in forms:
        try:
            if bool(key == form):
                return True
        except (TypeError, ValueError):
            pass
    return False
