"""The compiled steady-state row of the online estimators, and its switch.

A row with no growth event (no new feature, no new class) runs in two numba kernels
(``_kernels.py``): one for the prediction, one for learning; with the classifier's
``advance_on_predict``, one pair at the prediction (the read, the commit of the
cell's step) and one at the label (the readouts on the row's kept features, their
step). Their arrays live in two flat buffers (floats, ints) laid out by
:class:`_Compiled`; the estimator's own attributes (``_W``, ``_stat_mean``, the
cell's state, ...) become views of them, so that the NumPy path, which stays the
reference and handles everything else (growth events, the regressor's
``advance_on_predict``, rows with a value it must refuse or a None), reads and
writes the same numbers. When the NumPy path replaces one of those arrays (a growth
event, a committed NumPy step, drift recovery's new readouts), the buffers are laid
out again on the next row.

numba is a dependency of the default install; without it (or after
``set_compiled(False)``) every row takes the NumPy path, with the same results.
"""

from __future__ import annotations

import hashlib
import importlib.util
import operator
import warnings
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._limits import MAX_ABS
from .._stack import ONLINE_OUTSIDE, user_stacklevel
from ..nn._malloc import raise_malloc_thresholds
from ._features import _FROM_AVERAGE, _FROM_LAST
from ._target import N_STATS

__all__ = ["compiled_available", "set_compiled"]

_AVAILABLE = importlib.util.find_spec("numba") is not None
# A float buffer larger than this (a model of about 100 one-hot categories or more:
# wide rows, where each new category lays it out again a little larger) keeps the
# process's large blocks in glibc's heap (_Compiled: raise_malloc_thresholds). glibc
# maps any block above 128 KiB of its own to start with, and a layout then faults its
# buffer in anew; below 1 MiB that is under 256 pages a layout, and the allocator is
# left as it comes.
_HEAP_FROM = 2**20


class _RowResult(NamedTuple):
    """What the kernels leave of a row for the Python around them (their ``RES``
    buffer, read by :meth:`~._fast_row._CompiledRow._fast_commit` after the learn
    kernel): the kernels index ``RES`` by these fields' positions (``_kernels.R_*``
    are made from them), so the order is written once, here."""

    surprise: float  # the cell's surprise on the row
    tau: float  # its mean time constant
    loss: float  # the mixture's loss on the row (the learn kernel's return value)
    out: float  # the forward kernel's value (its return value)
    running: float  # 1.0 while a slot is out of bounds, running (_RunningScaling)
    warming: float  # 1.0 while a slot has fewer than _WINSOR_MIN values
    unknown: float  # 1.0 where the row had a key with no slot (a growth event)
    # the regressor's target statistics before the row (mean, variance, the mean of
    # every target seen), and 1.0 where the row needs _after_target_kernel
    y_mean0: float
    y_var0: float
    y_avg0: float
    y_after: float
    # 1.0 where a slot waiting for its pairs reads its ramps from the next row (not a
    # constant's, after this row's statistics: _FeatureMap._grant_pairs runs then)
    grant: float
    # with two generations of readouts, the first's share of the mixture's weight after
    # the row (as _Readouts._drop_generation sums it); -1.0 with one generation
    first: float
    # the regressor's: 1.0 where the row's target moved far from the previous one
    # (_target._step_update's T_STEP_RUN at 1: _regressor._target_jumped)
    jumped: float


# Each field's position in ``RES``: the kernels write there (``_kernels.R_*``), the
# Python reads the buffer's list there (``_RES.surprise``...), with no tuple made a row.
_RES = _RowResult(*range(len(_RowResult._fields)))


_ENABLED = True
_ON = _AVAILABLE  # _AVAILABLE and _ENABLED, kept up to date for the row's check
_CHECKED = False  # whether the kernels compiled (or loaded) in this process
_ENTRY: tuple = ()  # then, the compiled forward and learn (see _Compiled._first_forward)
_FLOAT = np.dtype(np.float64)
_NAN = float("nan")
# The rows' key tuples (their names in order) whose slots a layout keeps: rows whose
# keys come in ever new orders or subsets (sparse rows) grew it by a tuple a row, with
# no bound (a review's finding: 3.7 MB over 10,000 rows); it starts anew when full.
_MAX_KEY_ORDERS = 1024


def compiled_available() -> bool:
    """Whether the online estimators' compiled row can run (numba is installed).

    It turns False, with a RuntimeWarning, when numba fails to import or to compile
    (or cache) the kernels; every row then takes the NumPy path.

    Examples
    --------
    >>> from dream_sklearn.online import compiled_available
    >>> isinstance(compiled_available(), bool)
    True
    """
    return _AVAILABLE


def set_compiled(enabled: bool) -> bool:
    """Turn the online estimators' compiled row on or off (for every estimator).

    On (the default when numba is installed), a row with no new feature and no new
    class runs in numba kernels, 13 to 35 times as fast as the NumPy path in
    ``benchmarks/speed.py``'s tables (``benchmarks/RESULTS.md``) and equal to it to
    rounding (1e-12); the first row of the first process compiles them
    (about 30 s, then cached on disk). Off, every row takes the NumPy path. The
    setting is the process's: it reaches every estimator at its next row.

    Parameters
    ----------
    enabled : bool
        Whether to use the compiled row when numba is installed.

    Returns
    -------
    bool
        The previous setting.

    Examples
    --------
    >>> from dream_sklearn.online import set_compiled
    >>> previous = set_compiled(False)  # the NumPy path only
    >>> set_compiled(previous)
    False
    """
    global _ENABLED, _ON
    if not isinstance(enabled, bool | np.bool_):
        raise TypeError(f"set_compiled takes True or False; got {enabled!r}.")
    previous, _ENABLED = _ENABLED, bool(enabled)
    _ON = _AVAILABLE and _ENABLED
    return previous


def _active() -> bool:
    return _ON  # (_AVAILABLE and _ENABLED, one flag that set_compiled and _unavailable set)


# The parameters a layout of the buffers reads (beside the switch): a layout made
# before one of them was set (``_LayoutParam``, ``_Compiled.params_set``), or before
# the switch turned off (``_ON``), is laid out again (or not used).
_PARAMS_NAMES = (
    "advance_on_predict",
    "missing",
    "l2",
    "surprise_gain",
    "mixture_share",
    "standardize_rate",  # the regressor's target statistics read it
    "n_neighbors",  # the kNN expert: its vote or estimate runs around the kernels
    # (read once, at the expert's first row; here so that a change, which the NumPy
    # path validates on its next row, is validated on the compiled row's too)
    "neighbors_window",
    # (here so that a change, which the NumPy path validates on its next row, is
    # validated on the compiled row's too: a review's finding, max_pairs=-1 learned by
    # learn_one in the compiled row, refused by the NumPy path; and, since round 29,
    # because the layout reads it: WAITING is empty once the budget is spent)
    "max_pairs",
    "delayed_readout",
    "match_labels_by",
)
_PARAMS = operator.attrgetter(*_PARAMS_NAMES)
_NO_DEFAULT = object()


class _LayoutParam:
    """One of ``_PARAMS_NAMES`` on an online estimator: kept in the estimator's
    ``__dict__`` under its own name, as any parameter, and each setting also counted
    in ``_params_set``. A row finds a change since the layout by comparing that count
    with the layout's (``_Compiled.params_set``): comparing the values instead cost
    about 0.25 µs at each of predict_one and learn_one, 5-6% of the compiled row
    (round 45). ``default``: the value where the estimator never set it (one pickled
    before the parameter existed; the regressor's ``delayed_readout``)."""

    def __init__(self, name: str, default: Any = _NO_DEFAULT) -> None:
        self.name, self.default = name, default

    def __get__(self, est: Any, owner: type | None = None) -> Any:
        if est is None:  # (the class's: the default, as the class attribute it replaced)
            return self if self.default is _NO_DEFAULT else self.default
        try:
            return est.__dict__[self.name]
        except KeyError:
            if self.default is _NO_DEFAULT:
                raise AttributeError(
                    f"{type(est).__name__!r} object has no attribute {self.name!r}"
                ) from None
            return self.default

    def __set__(self, est: Any, value: Any) -> None:
        state = est.__dict__
        state[self.name] = value
        state["_params_set"] = state.get("_params_set", 0) + 1


def _count_layout_params(cls: type) -> None:
    """Make each of ``_PARAMS_NAMES`` on ``cls`` a :class:`_LayoutParam` where the
    class it is found on (the first of ``cls``'s MRO that has it) holds a plain
    value or nothing: that value becomes the default. Run for every subclass of the
    online estimators' base (``_CompiledRow.__init_subclass__``), so that a subclass
    giving one a class attribute keeps the count (review 248: it hid the descriptor,
    and the compiled row kept a stale layout). A subclass's own descriptor for one
    (a property) is left as it is, and the compiled row does not see its settings."""
    counted = True
    for name in _PARAMS_NAMES:
        found = next((c.__dict__[name] for c in cls.__mro__ if name in c.__dict__), _NO_DEFAULT)
        if isinstance(found, _LayoutParam) or hasattr(type(found), "__set__"):
            counted = counted and isinstance(found, _LayoutParam)
            continue
        setattr(cls, name, _LayoutParam(name, found))
    # (whether every setting of them is counted: the NumPy path then validates them
    # again only where the count moved, _base._recheck)
    cls._params_counted = counted


def _unavailable(error: Exception) -> None:
    """Turn the compiled row off for the process (numba fails to import or to
    compile / cache the kernels), saying why."""
    global _AVAILABLE, _ON
    _AVAILABLE = _ON = False
    warnings.warn(
        f"The online estimators' compiled row cannot run ({type(error).__name__}: {error}); "
        "every row takes the NumPy path (same results, more than 10 times slower). If numba "
        "cannot write its cache, set NUMBA_CACHE_DIR to a writable folder.",
        RuntimeWarning,
        stacklevel=user_stacklevel(ONLINE_OUTSIDE),
    )


_CALLED: set = set()  # (the kernels _compiled_call ran once in this process without an error)
_KERNELS: list = []  # (the _kernels module, imported at the first call: numba is optional)


def _compiled_call(name: str, *args):
    """``_kernels.<name>(*args)`` where the compiled row is on (``set_compiled``), or
    None where the NumPy rule must run: the compiled row off, numba absent, or the
    kernel failing to compile on its first call (which turns the compiled row off
    for the process, saying why, as a failure of the row's own kernels does). The
    kernels outside the row's two: the kNN expert's and the classifier's replay."""
    if not _ON:
        return None
    if name in _CALLED:
        return getattr(_KERNELS[0], name)(*args)
    try:
        if not _KERNELS:
            from . import _kernels

            _key_caches(_kernels)  # (the sources' hash in their keys, before any loads)
            _KERNELS.append(_kernels)
        out = getattr(_KERNELS[0], name)(*args)
    except Exception as error:  # numba's errors have no common base
        _unavailable(error)
        return None
    _CALLED.add(name)
    return out


def _table(arrays: list[np.ndarray], dtype) -> tuple[np.ndarray, list]:
    """One flat buffer holding ``arrays`` one after the other, and their layout rows."""
    arrays = [np.asarray(a) for a in arrays]
    buf = np.concatenate([a.reshape(-1) for a in arrays], dtype=dtype, casting="unsafe")
    rows, start = [], 0
    for a in arrays:
        rows.append([start, a.ndim, *a.shape, *(1,) * (3 - a.ndim)])
        start += a.size
    return buf, rows


def _target_stats(est: Any) -> np.ndarray:
    """The regressor's target statistics (``_y_stats``, the kernels' ``TGT``: a view
    of the buffer once laid out); zeros for the classifier."""
    if est._task != "regression":
        return np.zeros(N_STATS)
    return est._y_stats


def _spans(mask: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Per readout (a row of ``mask``, (J, F)), ``[start, stop)`` of the columns it
    reads but the bias (the last): the kernels' ``SPAN``; (0, 0) where none. Its
    weights ``W`` (Jt, k, F: every generation) are 0 outside its mask on every path;
    a column where one is not when the buffers are laid out is taken in too, so that
    the kernels' sums stay the NumPy path's (review 141; a weight written into a
    laid-out model's arrays is read from its next layout)."""
    J = len(mask)
    weighed = np.zeros(mask.shape, dtype=bool)
    for j in range(len(W)):
        weighed[j % J] |= (W[j] != 0.0).any(axis=0)
    spans = np.zeros((J, 2), dtype=np.intp)
    for j, row in enumerate((mask != 0.0)[:, :-1] | weighed[:, :-1]):
        cols = np.flatnonzero(row)
        if len(cols):
            spans[j] = cols[0], cols[-1] + 1
    return spans


def _apart(pairs: np.ndarray, m: int) -> np.ndarray:
    """The pairs of slots ``(t, s)`` no row has had together (``_apart``, (2, P)) as
    the learn kernel reads them (_kernels.APART): ``m + 1`` offsets, then the partners
    ``s`` of each slot ``t`` (``[at[t], at[t + 1])``, offsets into the same array);
    empty where there are none."""
    if not pairs.shape[1]:
        return np.zeros(0, dtype=np.intp)
    order = np.argsort(pairs[0], kind="stable")
    at = m + 1 + np.concatenate([[0], np.cumsum(np.bincount(pairs[0], minlength=m))])
    return np.concatenate([at, pairs[1, order]]).astype(np.intp)


def _view(buf: np.ndarray, row: list) -> np.ndarray:
    start, ndim, *shape = row
    return buf[start : start + shape[0] * shape[1] * shape[2]].reshape(shape[:ndim])


class _Compiled:
    """The buffers and kernels of one estimator's compiled row (see the module).

    Never copied: the estimator's arrays are views of its buffers, which a copy of
    one attribute at a time (river's ``clone(include_attributes=True)``) would part.
    A copy gets None, and builds its own from its arrays on its next row.

    The compiled kernels (``_ENTRY``) are class attributes, set by the process's
    first compiled row: an instance holding them was walked into by river's
    ``_memory_usage`` (numba's whole compiled library, about 28 times the
    estimator's own memory: a review's measurement).
    """

    forward = learn = None  # (the kernels' entry points, once _first_forward ran)

    def __deepcopy__(self, memo: dict) -> None:
        return None

    def __copy__(self) -> None:
        return None

    def __reduce__(self):
        return (type(None), ())

    def __init__(self, est: Any, kernels: Any) -> None:
        k = kernels
        self.params_set = est._params_set  # (the parameters' settings: _LayoutParam)
        # (whether the kNN expert runs: read on every row, here as a plain attribute)
        self.knn = bool(est._k_neighbors)
        if not _CHECKED:  # (compile or load the kernels on the first row)
            self._k, self.forward = k, self._first_forward
        config = est._cell_config
        params = est._np_params
        flags = est._np_flags
        m, n = len(est._stat_mean[0]), est._hidden_dim
        S, K = len(est._floors), len(est._knots)
        d = config.input_dim
        h, U, Ut, em, ev, sb = est._state
        empty = np.zeros(0)
        has_prev_y = est._prev_y is not None
        has_prev_u = est._prev_u is not None
        J = len(est._heads)
        k_out = est._W.shape[1]
        state = [
            est._W,
            est._weights,
            est._age,
            est._stat_mean,
            est._stat_var,
            est._stat_scale,
            est._count,
            est._range,
            est._prev_y if has_prev_y else empty,
            est._prev_u if has_prev_u else empty,
            h,
            U,
            Ut,
            em,
            ev,
            sb,
        ]
        held = np.zeros(m, dtype=np.intp)
        held[est._held_slots] = 1
        # 1: the readout starts from the previous target, 2: from the average
        is_last = np.array(
            [1 if r in _FROM_LAST else 2 if r in _FROM_AVERAGE else 0 for r in est._heads],
            dtype=np.intp,
        )
        room = est.max_pairs > est._pairs.shape[1]  # (pairs can still be granted)
        ctl = np.zeros(k.N_CTL, dtype=np.intp)
        ctl[[k.C_N, k.C_D, k.C_M, k.C_S, k.C_K, k.C_J, k.C_K_OUT]] = [n, d, m, S, K, J, k_out]
        ctl[k.C_TASK] = 0 if est._task == "classification" else 1
        ctl[k.C_DIFF] = est._reads_diff
        ctl[k.C_PREV_Y] = has_prev_y and len(est._y_slot) > 0
        ctl[k.C_PREV_U] = has_prev_u
        ctl[k.C_STRICT] = est.missing == "raise"
        ctl[[k.C_PLASTIC, k.C_LTC, k.C_SLEEP, k.C_RELATIVE]] = [bool(f) for f in flags]
        ctl[k.C_RUNNING] = bool(est._running)
        ctl[k.C_WARMING] = bool(est._warming)
        ints = [
            est._n_over,
            np.asarray(est._cell_slots, dtype=np.intp),
            np.asarray(est._pairs, dtype=np.intp),
            np.asarray(est._ys, dtype=np.intp),
            held,
            is_last,
            ctl,
            est._undo_n,
            _spans(est._head_mask, est._W),
            # (none while the budget is spent: a raised max_pairs lays out anew)
            np.asarray(est._unpaired if room else [], dtype=np.intp),
            _apart(est._apart if room else est._apart[:, :0], m),
        ]
        scal = np.zeros(k.N_SCAL)
        scal[:13] = [float(v) for v in params[5:]]
        scal[k.S_DT] = config.time_step
        scal[k.S_L2] = est.l2
        scal[k.S_SHARE] = est.mixture_share
        scal[k.S_GAIN] = est.surprise_gain
        scal[k.S_BOOST] = est._boost
        scal[k.S_MAX_ABS] = MAX_ABS
        scal[k.S_RATE] = est.standardize_rate
        consts = [
            *params[:5],
            scal,
            est._knots,
            est._head_mask,
            est._head_lr,
            est._floors[:, 0],
        ]
        Jt, F = est._W.shape[0], est._W.shape[2]
        work = [
            np.zeros(m),
            np.zeros(m),
            np.zeros(S * m + m * K),
            np.zeros(F),
            np.zeros((Jt, k_out)),
            np.zeros_like(h),
            np.zeros_like(U),
            np.zeros_like(Ut),
            np.zeros_like(em),
            np.zeros_like(ev),
            np.zeros_like(sb),
            np.zeros(k.N_RES),
            _target_stats(est),
        ]
        # The classifier's replay ring (_Readouts._new_ring), which the learn kernel
        # writes (_kernels._record); empty without one.
        has_ring = est._ring is not None
        if has_ring:
            work += [est._ring, est._ring_rows, est._ring_at]
        else:
            work += [np.zeros((0, 0)), np.zeros((0, 3)), np.zeros(4)]
        # The kernels' work arrays (_kernels.X ... DELTA): x, x @ B, x @ V; the
        # readouts' gradients, their norms, phi * phi; the statistics' deltas.
        r = params.V.shape[1]
        J_mask = est._head_mask.shape[0]
        work += [np.zeros(d), np.zeros(n), np.zeros(r), np.zeros((Jt, k_out))]
        work += [np.zeros(J_mask), np.zeros(F), np.zeros((S, m))]
        # The statistics kept to undo a glitch (_kernels.UNDO, UNDO_N) close the
        # layout: its float part, then (fourth from last of ``ints``) its counts; then
        # a slot's first values (_kernels.FIRST), whether a row lacked it
        # (_kernels.ABSENT), the readouts' spans, the slots waiting for their pairs and
        # the pairs of slots no row has had together (_kernels.SPAN, WAITING, APART:
        # the last three of ``ints``).
        floats = state + [np.asarray(a, dtype=float) for a in consts] + work
        floats += [est._undo, est._first, est._absent]
        self.fb, rows_fb = _table(floats, np.float64)
        if self.fb.nbytes > _HEAP_FROM:
            # (once a process: buffers this large, laid out anew at each growth event
            # of a wide row, stay in glibc's heap, not faulted in again each time;
            # dream_sklearn/nn/_malloc.py says why and how to keep glibc's own thresholds)
            raise_malloc_thresholds()
        ib, rows_ib = _table(ints, np.intp)
        n_state, n_consts = len(state), len(consts)
        rows_fs, rows_cf = rows_fb[:n_state], rows_fb[n_state : n_state + n_consts]
        rows_wk = rows_fb[n_state + n_consts : -3]
        # The layout table heads the int buffer (_kernels._layout): one array
        # argument fewer a kernel call (numba unboxes each, about 35 ns).
        head = k.N_LAY * 5
        rows_ib = [[r[0] + head, *r[1:]] for r in rows_ib]
        lay = rows_fs + rows_ib[:-4] + rows_cf + rows_wk + rows_fb[-3:-2] + rows_ib[-4:-3]
        lay += rows_fb[-2:] + rows_ib[-3:]  # FIRST, ABSENT, SPAN, WAITING, APART
        lay = np.array(lay, dtype=np.intp)
        if lay.shape != (k.N_LAY, 5):
            raise RuntimeError(f"the compiled row's layout has {lay.shape} rows, not {k.N_LAY}")
        self.ib = np.concatenate([lay.reshape(-1), ib])
        self.lay = self.ib[:head].reshape(k.N_LAY, 5)
        # The estimator's arrays become views of the buffers.
        v = [_view(self.fb, r) for r in rows_fs]
        est._W, est._weights, est._age = v[0], v[1], v[2]
        est._stat_mean, est._stat_var, est._stat_scale = v[3], v[4], v[5]
        est._count, est._range = v[6], v[7]
        if has_prev_y:
            est._prev_y = v[8]
        if has_prev_u:
            est._prev_u = v[9]
        est._state = tuple(v[10:16])
        est._n_over = _view(self.ib, rows_ib[0])
        est._undo, est._undo_n = _view(self.fb, rows_fb[-3]), _view(self.ib, rows_ib[-4])
        est._first, est._absent = _view(self.fb, rows_fb[-2]), _view(self.fb, rows_fb[-1])
        self.ctl = _view(self.ib, rows_ib[6])
        self.out = _view(self.fb, rows_wk[4])
        self.res = _view(self.fb, rows_wk[11])
        self.phi = _view(self.fb, rows_wk[3])  # the row's features
        self.urow = _view(self.fb, rows_wk[2])  # the row's fast-scaled slots
        # the row's values and the slots it has (the kNN expert reads them)
        self.raw, self.present = _view(self.fb, rows_wk[0]), _view(self.fb, rows_wk[1])
        if est._task == "regression":  # (the learn kernel updates it in place)
            est._y_stats = _view(self.fb, rows_wk[12])
        if has_ring:
            est._ring, est._ring_rows, est._ring_at = (_view(self.fb, r) for r in rows_wk[13:16])
        self.W, self.state = est._W, est._state
        # (advance_on_predict's rows check these too: a label's row learned on the
        # NumPy path replaces them without a new state)
        self.prev_y, self.prev_u, self.weights = est._prev_y, est._prev_u, est._weights
        self.slots: dict = {}
        self.x_slot = est._x_slot
        self.check_keys = est._loaded_features is not None
        self.labels = list(getattr(est, "_classes", ()))
        self.regression = est._task == "regression"

    def _first_forward(self, *args) -> float:
        """The process's first compiled row: compile (or load) both kernels for
        the types the Python around them passes, then read the row; on failure,
        turn the compiled row off (NaN: the NumPy path).

        What is kept (``_ENTRY``) are the compiled functions themselves
        (``Dispatcher.compile``'s entry points): called with those types, they
        skip numba's dispatch on the arguments' types (about 0.2 µs a call). Every
        array passed is float64 / intp, 1-d, C-contiguous: the
        buffers, the slots of ``slots_of``, the values as ``_fast_forward`` checks them.
        """
        global _CHECKED, _ENTRY
        k = self._k
        try:
            import numba

            i64, f64 = numba.types.int64, numba.types.float64
            arrays = tuple(numba.typeof(a) for a in (self.fb, self.ib))
            values, slots = numba.typeof(args[2]), numba.typeof(args[3])
            forward = k.forward.compile((*arrays, values, slots))
            learn = k.learn.compile((*arrays, i64, i64, f64, i64, i64))
            # The kernels read their buffers borrowed (_kernels._borrowed): no array
            # may leave them, or its memory would have no owner. They return a float.
            kinds = {sig.return_type for sig in k.forward.nopython_signatures}
            kinds |= {sig.return_type for sig in k.learn.nopython_signatures}
            if kinds != {f64}:
                raise TypeError(f"the kernels must return a float64, not {kinds}")
            r = forward(*args)
        except Exception as error:  # numba's errors have no common base
            _unavailable(error)
            return _NAN
        _CHECKED = True
        _ENTRY = forward, learn
        type(self).forward, type(self).learn = _ENTRY
        del self.forward, self._k  # (the class's from now on)
        return r

    def slots_of(self, keys: tuple) -> np.ndarray | None:
        """The slots of a row's keys (-1: a feature not seen yet), or None when
        such a key must be checked by the NumPy path (a loaded cell's names)."""
        got = self.slots.get(keys)
        if got is None:
            table = self.x_slot
            if self.check_keys and not all(key in table for key in keys):
                return None
            got = np.array([table.get(key, -1) for key in keys], dtype=np.intp)
            if len(self.slots) >= _MAX_KEY_ORDERS:
                self.slots.clear()
            self.slots[keys] = got
        return got


def _build(est: Any, advance: bool = False) -> _Compiled | None:
    """The compiled row for ``est`` now, or None where the NumPy path must run.

    ``advance``: the layout of ``advance_on_predict`` (the classifier's only), whose
    rows run :func:`~._kernels.forward` then :func:`~._kernels.advance` at
    ``predict_one`` and :func:`~._kernels.read_kept` then
    :func:`~._kernels.learn_kept` at the label (``_fast_row``'s ``_fast_advance``,
    ``_learn_kept``); the default layout refuses such a model.
    """
    if advance:
        other = not est.advance_on_predict or est._task != "classification"
    else:
        other = bool(est.advance_on_predict or est._pending)
    if (
        not _active()
        or other
        or not est._built
        or est._np_params is None
        or getattr(est, "_proj", None) is not None  # cell="pretrained": its input map
        or est._state is None
        or (est._y_slot and est._prev_y is None)
        or (est._reads_diff and (est._prev_u is None or len(est._prev_u) != len(est._mean)))
        or not est._fast_ready()
    ):
        return None
    try:
        from . import _kernels
    except Exception as error:  # numba installed but broken, its cache not writable...
        _unavailable(error)
        return None
    if not _CHECKED:
        _key_caches(_kernels)
    if advance and not _ADVANCE and not _check_advance(_kernels):
        return None
    return _Compiled(est, _kernels)


# advance_on_predict's kernels (advance, read_kept, learn_kept) once compiled (or
# loaded): called directly, so that a label's row, read by the second, is learned by
# the third whatever fails to compile in between (a kNN or delayed-label kernel, which
# turns the switch off: review 420)
_ADVANCE: tuple = ()


def _check_advance(kernels: Any) -> bool:
    """Compile (or load) the kernels of ``advance_on_predict``'s rows for the types
    the Python around them passes, before any of them runs: one failing half-way
    through a label's row would leave it half learned. False (the compiled row off
    for the process, saying why) where they fail."""
    global _ADVANCE
    try:
        import numba

        i64, f64 = numba.types.int64, numba.types.float64
        floats, ints = numba.types.float64[::1], numba.types.intp[::1]
        kernels.advance.compile((floats, ints))
        kernels.read_kept.compile((floats, ints, floats))
        kernels.learn_kept.compile((floats, ints, i64, i64, i64, f64))
    except Exception as error:  # numba's errors have no common base
        _unavailable(error)
        return False
    _ADVANCE = kernels.advance, kernels.read_kept, kernels.learn_kept
    return True


def _key_caches(kernels: Any) -> None:
    """Fold a hash of the sources the kernels compile in into their cache keys.

    numba checks a cached function against its own file only: an edit of
    ``nn/_step.py``, ``nn/_numba_ops.py`` or a constant of another module of
    ``online`` would leave the next process running the old code from the cache.
    With the hash in the key, such an edit compiles them anew. Where numba's
    cache is not the one this expects, it is left as it is.
    """
    try:
        from numba.core.caching import FunctionCache

        root = Path(__file__).resolve().parents[1]
        paths = [root / "nn" / "_step.py", root / "nn" / "_numba_ops.py"]
        digest = hashlib.sha256()
        for path in sorted([*paths, *(root / "online").glob("*.py")]):
            digest.update(path.read_bytes())
        sources = digest.hexdigest()

        class _Keyed(FunctionCache):
            def _index_key(self, sig, codegen):
                return (*super()._index_key(sig, codegen), sources)

        for f in vars(kernels).values():
            if type(getattr(f, "_cache", None)) is FunctionCache:
                f._cache = _Keyed(f.py_func)
    except Exception:  # a numba without these internals: its own keys
        return
