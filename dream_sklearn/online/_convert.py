"""from_sklearn: continue a fitted scikit-learn DREAM estimator as a river estimator."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted

from ..nn import DREAMCell, DREAMState
from ..nn._config import _is_int
from ._classifier import DREAMOnlineClassifier
from ._features import _READOUTS
from ._regressor import DREAMOnlineRegressor
from ._slots import _check_names
from ._target import _Y_WARMUP

__all__ = ["from_sklearn"]

_CELL_SHAPE = ("input_dim", "hidden_dim", "rank")
# The online estimator's parameters that come from the fitted estimator: from_sklearn
# takes none of them, and clone() of the model it made changes none.
_FROM_THE_FIT = frozenset({"hidden_dim", "rank", "cell_params", "cell"})
# With standardize_rate=0 (cumulative statistics throughout), the fit's target
# statistics count as this many targets seen (1 / the default standardize_rate).
_LOADED_TARGETS = 50


def from_sklearn(estimator, **params) -> DREAMOnlineClassifier | DREAMOnlineRegressor:
    """Turn a fitted ``DREAMClassifier`` / ``DREAMRegressor`` into a river estimator.

    Train on history with scikit-learn, deploy on the live stream with river: the
    online estimator starts from the fitted cell's weights, its plastic memory
    (``memory_``: fast weights, consolidated memory, error statistics), its input
    standardisation and its output head. Its first ``predict_one`` equals the
    scikit-learn prediction for that row read as a one-step sequence; from then on
    each ``learn_one`` is one more step of the stream (the cell's slow weights stay
    as trained; the readout keeps learning online).

    The cell keeps reading its inputs as it was trained to: ``(x - x_mean_) /
    x_scale_``, not clipped, with raw values when the estimator was fitted with
    ``standardize=False``. Those statistics are held fixed (later rows do not move
    them); ``standardize_rate`` applies to features first seen online. The regressor's
    target statistics start from the fit's (``y_mean_``, ``y_scale_``) as if
    ``1 / standardize_rate`` targets had been seen (50 by default), and follow the
    stream from there, as does the mean of every target seen (``"average"``). After a
    fit on a DataFrame, rows are keyed by its column names (``feature_names_in_``); a
    row keyed by column positions ``0, 1, ...`` is refused with a ``ValueError``
    (other new keys are new features, as in any online estimator). After a fit on
    an array, or with ``n_steps`` of 2 or more (a frame's columns are then the
    steps' features flat), rows are keyed by the per-step features' positions
    ``0..d-1`` (``features_``); with ``n_steps=1`` a frame's columns are the
    features, and key the rows by their names. A row none of whose keys the model
    knows (a river stream's names after a fit on an array) is refused with a
    ``ValueError`` naming the features: every trained input would read as missing.
    Column labels that are not strings (scikit-learn records no names then) key the
    rows too, unless they are the positions ``0..d-1`` in order: columns ``[1, 0]``
    take ``{1: a, 0: b}`` as river's rows from that frame have them.

    Parameters
    ----------
    estimator : DREAMClassifier or DREAMRegressor
        A fitted estimator (single-output for the regressor).
    **params
        Other parameters of the online estimator (``learning_rate``,
        ``standardize_rate``, ``feedback`` of ``"readout"`` or ``"none"``, ``seed``).
        ``hidden_dim``, ``rank``, ``cell_params`` (and the cell) come from ``estimator``;
        ``seed`` (the cell's new input weights when a feature the fit never saw
        appears) defaults to the estimator's ``random_state`` when that is an int. The
        online estimator keeps the trained head as its only readout
        (``readouts=("cell",)``) unless ``readouts`` says otherwise; readouts
        added there start from the trained head as far as they read what it read:
        those that read the cell's state (``"pairs"``) from its weights on it and its
        bias, the other learning ones (``"linear"``, ``"last"``) from its bias alone,
        the naive ones (``"hold"``, ``"mean"``, ``"average"``) from nothing; they join
        the mixture with equal weight, so the first predictions then no longer equal
        the scikit-learn estimator's.

    The classifier's classes are the fitted ``classes_`` as Python values
    (``classes_.tolist()``: ``np.int64(1)`` is ``1``), so that a stream's labels find
    them; dates and durations in nanoseconds, which NumPy gives as integers there,
    are pandas' ``Timestamp`` and ``Timedelta``, which a stream's NumPy, pandas and
    Python labels of the same instant find (one with a part below a microsecond:
    pandas' labels alone). Dates in other units follow ``tolist()``: days are
    ``datetime.date``, which a stream of Python dates finds.

    River's ``clone()`` of the model (river's ensembles clone the model they are
    given) starts again from what was loaded here: the trained cell, its memory,
    scaling and head, not a random cell.

    Returns
    -------
    DREAMOnlineClassifier or DREAMOnlineRegressor

    Examples
    --------
    >>> import numpy as np
    >>> from dream_sklearn import DREAMClassifier
    >>> from dream_sklearn.online import from_sklearn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 5, 2))
    >>> y = (X[:, -1, 0] > 0).astype(int)
    >>> clf = DREAMClassifier(8, rank=2, solver="adam", max_iter=3, random_state=0).fit(X, y)
    >>> online = from_sklearn(clf)
    >>> row = {0: 0.5, 1: -0.2}
    >>> p_online = online.predict_proba_one(row)[1]
    >>> p_batch = clf.predict_proba(np.array([[[0.5, -0.2]]]))[0, 1]
    >>> bool(abs(p_online - p_batch) < 1e-6)  # float32 network, float64 online path
    True
    """
    from .._sklearn import DREAMClassifier, DREAMRegressor

    if not isinstance(estimator, DREAMClassifier | DREAMRegressor):
        raise TypeError(
            "estimator must be a DREAMClassifier or DREAMRegressor; "
            f"got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    if hasattr(estimator, "features_"):
        raise ValueError(
            f"from_sklearn continues a cell trained by gradient (solver='adam'); this "
            f"{type(estimator).__name__} was fitted with solver='ridge', a bank of "
            "untrained cells pooled over whole sequences, which has no one-step "
            "equivalent online. Fit it with solver='adam' to deploy it with river."
        )
    # (the fitted network's, as its predict reads it: set_params may have changed the
    # estimator's since, and a "mean" head, as wide as a "last" one, was read as one)
    readout = getattr(estimator.module_, "readout", "last")  # (a network pickled before it)
    if readout != "last":
        raise ValueError(
            f"from_sklearn continues a model whose output layer reads the last hidden "
            f"state (readout='last'); this {type(estimator).__name__} was fitted with "
            f"readout={readout!r}, which pools the whole sequence and has no one-step "
            "equivalent online. Refit it with readout='last' to deploy it with river."
        )
    online_cls = (
        DREAMOnlineClassifier if isinstance(estimator, DREAMClassifier) else DREAMOnlineRegressor
    )
    unknown = sorted(set(params) - set(inspect.signature(online_cls).parameters), key=str)
    if unknown:  # (before the constructor, whose TypeError names __init__, not this)
        raise TypeError(
            f"from_sklearn got unexpected keyword arguments {unknown}: the parameters it "
            f"passes on are {online_cls.__name__}'s, except {sorted(_FROM_THE_FIT)}."
        )
    fixed = _FROM_THE_FIT & set(params)
    if fixed:
        raise ValueError(
            f"{sorted(fixed)} come from the fitted estimator and cannot be passed to from_sklearn."
        )
    params.setdefault("feedback", "readout")
    random_state = getattr(estimator, "random_state", None)
    if _is_int(random_state):
        params.setdefault("seed", int(random_state))  # (reproducible growth)
    if params["feedback"] not in ("readout", "none"):  # (the trained cell has no slot for it)
        raise ValueError(
            "The 'feedback' parameter of from_sklearn must be 'readout' or 'none' (the "
            "trained cell has no input for the previous target); "
            f"got {params['feedback']!r}."
        )
    params.setdefault("readouts", ("cell",))  # the trained head, alone
    cell = estimator.module_.dream.cell
    config = dataclasses.asdict(cell.config)
    cell_params = {k: v for k, v in config.items() if k not in _CELL_SHAPE}
    head = estimator.module_.head
    # (copies: a float64 module's numpy() shares its memory, and a later fit of the
    # estimator trains it in place; the model keeps them for clone(): _Loaded)
    weight = head.weight.detach().cpu().double().numpy().copy()
    bias = head.bias.detach().cpu().double().numpy().copy()
    x_mean = np.array(estimator.x_mean_, dtype=float)
    x_scale = np.array(estimator.x_scale_, dtype=float)
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:  # (a frame's labels that are not names: [1, 0], ...)
        names = getattr(estimator, "_column_labels", None)
    if names is not None and len(names) == len(x_mean):
        features = list(names)
    else:
        features = list(range(len(x_mean)))
    _check_names(features)  # (a NaN column label: no row would name that slot again)
    shape = {"hidden_dim": config["hidden_dim"], "rank": config["rank"]}

    if isinstance(estimator, DREAMClassifier):
        online = DREAMOnlineClassifier(**shape, cell_params=cell_params, **params)
        # (Python values, as river models return the labels they were given: NumPy
        # scalars were not JSON-serialisable, review 125. Nanosecond dates and
        # durations, which tolist() makes integers that no stream label equals, as
        # pandas' values: the docstring; reviews 206-209. pandas holds no months,
        # years, units below the nanosecond or with a multiplier: those stay.)
        classes = estimator.classes_
        targets = classes.tolist()
        kind = classes.dtype.kind
        if kind in "mM" and np.datetime_data(classes.dtype) == ("ns", 1):
            scalar = pd.Timestamp if kind == "M" else pd.Timedelta
            pairs = zip(targets, classes, strict=True)
            targets = [scalar(c) if isinstance(t, int) else t for t, c in pairs]
        target_stats = None
    else:
        if weight.shape[0] != 1:
            raise ValueError(
                "from_sklearn supports single-output regressors; this one has "
                f"{weight.shape[0]} outputs."
            )
        online = DREAMOnlineRegressor(**shape, cell_params=cell_params, **params)
        targets = [None]
        target_stats = (float(estimator.y_mean_[0]), float(estimator.y_scale_[0]) ** 2)
    arrays = {
        "state": DREAMState(*(t.detach().cpu().double().clone() for t in estimator.memory_)),
        "head_weight": weight,
        "head_bias": bias,
        "x_mean": x_mean,
        "x_scale": x_scale,
    }
    # (the cell copied: a later fit of the estimator trains its module in place)
    cell = copy.deepcopy(cell).cpu().double()
    kept = {k: copy.deepcopy(getattr(online, k)) for k in (*sorted(_FROM_THE_FIT), "feedback")}
    _load(online, _Loaded(cell, features, targets, target_stats, arrays, kept))
    return online


class _Loaded(NamedTuple):
    """What :func:`from_sklearn` loads into an online estimator; the estimator keeps it
    (``_loaded``) so that ``clone()`` loads it again (nothing here is changed by the
    estimator's learning: ``_load_core`` copies what it takes)."""

    cell: DREAMCell
    features: list
    targets: list  # the classes, or [None] for the regressor's target
    target_stats: tuple | None  # the regressor's target mean and variance
    arrays: dict  # _load_core's keyword arguments
    # the parameters it was loaded with that clone() may not change (_FROM_THE_FIT and
    # feedback; None: kept by a model pickled before round 50)
    params: dict | None = None


def _check_clone_params(new_params: dict, set_since: dict | None = None) -> None:
    """Refuse ``new_params`` that would change what ``from_sklearn`` loaded: the
    parameters that come from the fit, and ``feedback="cell"`` (the trained cell has
    no input for the previous target); likewise such parameters set on the model
    since it was loaded (``set_since``), which river's clone() reads (a clone said
    plasticity on and ran the loaded cell without it, or failed in NumPy; review
    320)."""
    for params, where in (
        (set_since or {}, "set on the model since from_sklearn"),
        (new_params, "given as new_params"),
    ):
        fixed = sorted(_FROM_THE_FIT & set(params))
        if params.get("feedback") == "cell":
            fixed.append("feedback")
        if fixed:
            raise ValueError(
                f"{fixed} of a model from from_sklearn come from the fitted estimator "
                f"and cannot be changed by clone(); {where}: "
                f"{ {k: params[k] for k in fixed}!r}."
            )


def _load(online, loaded: _Loaded) -> None:
    """Load ``loaded`` into ``online``, an estimator that has not learned."""
    online._build(loaded.features)
    online._add_targets(list(loaded.targets))
    if loaded.target_stats is not None:
        mean, var = loaded.target_stats
        count = _loaded_count(online.standardize_rate)
        online._load_target_stats(mean=mean, var=var, count=count)
    online._load_core(loaded.cell, loaded.features, **loaded.arrays)
    online._loaded = loaded


def _loaded_count(rate: float) -> int:
    """How many targets the fit's target statistics count as: the cumulative phase's
    ``1 / standardize_rate`` (so that the running mean and variance go on at their
    rate from the first row), ``_LOADED_TARGETS`` with cumulative statistics, and at
    least ``_Y_WARMUP`` (the target's outlier rule applies from the first row). The
    mean of every target seen (the ``"average"`` readout) then starts from the fit's
    mean weighed as that many targets, and follows the stream."""
    if rate <= 0:
        return max(_LOADED_TARGETS, _Y_WARMUP)
    # (at most 2**52: a count the kernel's float count still tells apart from the next)
    return max(math.ceil(1.0 / max(rate, 2.0**-52)), _Y_WARMUP)


def _load_core(
    est,
    cell: DREAMCell,
    features: list,
    *,
    state: DREAMState | None = None,
    head_weight: np.ndarray | None = None,
    head_bias: np.ndarray | None = None,
    x_mean: np.ndarray | None = None,
    x_scale: np.ndarray | None = None,
) -> None:
    """Start from a trained cell (seam for a later ``from_sklearn``).

    ``cell`` takes ``features`` in order (no target feedback into the cell);
    ``head_weight`` (k, hidden_dim) and ``head_bias`` (k,) become the weights on
    ``h`` of every readout that reads ``h``, and every readout's bias (the weights
    on the standardised inputs start at zero);
    ``x_mean`` / ``x_scale`` the standardisation, held fixed (later rows do not
    move it) and not clipped, so the cell keeps reading its inputs exactly as it
    did in training (raw values after ``standardize=False``: mean 0, scale 1).
    When ``features`` are names (not the positions ``0..d-1``), rows keyed by
    those positions are refused; a row none of whose keys the model knows, by
    any ``features``.
    For a classifier, set the classes first with ``_add_targets``.
    """
    if est.feedback == "cell":
        raise ValueError("_load_core needs feedback='readout' or 'none'.")
    if not est._built:
        est._build(features)
    if est._x_slot or est.cell_ is not None:
        raise ValueError("_load_core must be called on an estimator that has not learned.")
    d = len(features)
    if cell.config.input_dim != d:
        raise ValueError(f"The cell takes {cell.config.input_dim} inputs, not {d}.")
    est._add_slots(list(features), est._x_slot, to_cell=False)
    slots = np.array([est._x_slot[f] for f in features], dtype=np.intp)
    est._cell_slots = slots
    # (a copy on the CPU, where the online path runs: a cell fitted on a GPU stayed there)
    est.cell_ = copy.deepcopy(cell).cpu().double()  # never alter the caller's module
    est._np_params = est._cell_weights.step_params(est._cell_config)  # (the same arrays)
    st = cell.initial_state(1, dtype=torch.float64) if state is None else state
    est._state = tuple(t.detach().cpu().double().numpy().copy() for t in st)
    reads_h = [j for j, r in enumerate(est._heads) if "h" in _READOUTS[r][0]]
    if head_weight is not None:
        est._W[reads_h, :, : est._hidden_dim] = np.asarray(head_weight, dtype=float)
    if head_bias is not None:  # the readouts that learn (the naive ones keep zero weights)
        learns = [j for j, r in enumerate(est._heads) if _READOUTS[r][1] > 0]
        est._W[learns, :, -1] = np.asarray(head_bias, dtype=float)
    # Every scaling (fast, and slow with slow_rate) starts from these statistics.
    if x_mean is not None:
        est._stat_mean[:, slots] = x_mean
    if x_scale is not None:
        est._stat_var[:, slots] = np.asarray(x_scale, dtype=float) ** 2
        est._stat_scale[:, slots] = 1.0 / np.asarray(x_scale, dtype=float)
    if x_mean is not None or x_scale is not None:
        est._count[slots] = np.inf  # never "seen once": the scale is in use
        est._held_slots = slots
    if est._unpaired:  # (held slots' ramps read from the first row: so do their pairs)
        est._grant_pairs()
    est._loaded_features = list(features)
    if any(not (_is_int(f) and f == i) for i, f in enumerate(features)):
        est._loaded_names = list(features)
    est._version += 1
