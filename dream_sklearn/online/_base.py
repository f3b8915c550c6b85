"""Machinery shared by the river online estimators: one long stream, one DREAM cell.

Per row (``x_t``, then ``y_t`` once known):

1. the row's values go through a running standardisation, per input *slot*; a slot is
   a feature (``("x", name)``) or, with ``feedback``, the previous target
   (``("y", label)`` one-hot for a classifier, ``("y", None)`` for a regressor);
   a slot missing from a row is 0 after standardisation;
2. the DREAM cell takes one step on the standardised slots (NumPy path:
   :func:`dream_step` on the cell's weights, ``_cell_weights``), from the committed
   state;
3. one or more linear readouts over the row's features
   ``phi = [h, u, ramps(u), pairs(ramps), diff(u), 1]`` give the output (``u``: all
   standardised slots; with ``slow_rate`` it is read under a second, slow scaling;
   ``ramps``: fixed ``tanh`` ramps of each slot at ``n_knots`` thresholds;
   ``pairs``: products of two ramps of different slots; ``diff``, only when a
   readout reads it: the change of ``u`` since the last learned row). Each readout reads a fixed
   part of ``phi`` (:data:`_READOUTS`); all of them live in one array ``(J, k, F)``
   so that they cost one matrix product;
4. ``learn_one`` takes one SGD step on every readout (times ``1 + surprise_gain * S``,
   ``S`` the step's surprise), updates the readouts' mixture, feeds the mixture's
   loss to the drift detectors (``drift_recovery``: see ``_watch``) and commits
   the cell's new state.

The slot list only grows (new features, new classes); the cell's input dimension
grows with it, old weights kept (:meth:`_CellWeights.grown`).

The parts, one job each: the running scaling (``_scaling.py``), the feature map
(``_features.py``), the readouts and their drift recovery (``_readouts.py``), the
cell's growth (``nn/_cell.py``'s ``_CellWeights``), loading a trained cell
(``_convert.py``), the parameters' rules (``_params.py``), reading rows and frames
(``_rows.py``), the rows waiting for their label (``_pending.py``,
``advance_on_predict``), the slots and their growth (``_slots.py``); this module holds
the forward pass, learning, the cache and pickling.
A row with no growth event runs compiled (``_compiled.py``, ``_kernels.py``): the
same computation in two numba kernels, handed the row by ``_fast_row.py``, with
this module's NumPy path as the reference and the fallback.
"""

from __future__ import annotations

import copy
import numbers
import random
from collections import OrderedDict
from collections.abc import Collection
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from river.drift import ADWIN

from ..nn import DREAMCell, DREAMConfig, DREAMState
from ..nn._cell import (
    _CellWeights,
    _extend_v,  # noqa: F401 (tests import it from here)
)
from ..nn._config import (
    _CELL_RULES,
    _check_cell_param,
)
from ..nn._step import NUMPY_OPS, dream_step
from . import _compiled, _pretrained
from ._compiled import _PARAMS, _PARAMS_NAMES, _compiled_call
from ._fast_row import _LAST_VALUES, _LAST_X, _LAST_Y, _CompiledRow
from ._features import _READOUTS, _FeatureMap
from ._neighbors import _EVERY
from ._params import (  # noqa: F401 (the classifier and regressor import some from here)
    _CELL_PARAMS,
    _DEFAULT,
    _RULES,
    _check_params,
    _check_value,
    _is_auto,
    _knot_count,
    _neighbor_count,
    _readouts_rule,
)
from ._pending import _Pending, _PendingRows  # (older pickles name _base._Pending)
from ._readouts import _BOOST, _BOOST_ROWS, _FRESH_ROWS, _MAX_STEP, _Readouts
from ._rows import (
    _aligned_targets,
    _frame_values,
    _row_values,
    _same_row,
)
from ._scaling import (  # noqa: F401 (the kernels and the regressor import them from here)
    _CLIP,
    _SET_ASIDE,
    _WINSOR,
    _WINSOR_MIN,
    _WINSOR_RUN,
    _RunningScaling,
)
from ._slots import _Slots, _UnreadKeys

__all__: list[str] = []


def _same_value(a: Any, b: Any) -> bool:
    """Whether a parameter value ``a`` is ``b``: equal, and of one kind where the
    parameters' rules tell kinds apart (``True`` is not ``1``, nor ``20.0`` ``20``;
    ``np.int64(8)`` is ``8``, and a tuple the list of the same items)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(_same_value, a, b))
    for kind in (bool | np.bool_, numbers.Integral, numbers.Real):
        if isinstance(a, kind) != isinstance(b, kind):
            return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # (an array's ambiguous truth)
        return a is b


class _Step(NamedTuple):
    """One cell step on a batch of rows (:func:`~dream_sklearn.nn._step.dream_step`'s
    results); ``surprise`` and ``tau`` (b,). Before the cell exists: ``h`` zeros,
    the state None."""

    h: np.ndarray
    U: Any
    U_target: Any
    e_mean: Any
    e_var: Any
    s_bar: Any
    surprise: np.ndarray
    tau: np.ndarray

    @property
    def state(self) -> tuple:
        return tuple(self[:6])


class _Forward(NamedTuple):
    """One row read from the committed state: raw slot values, their presence, the
    standardised row ``u`` (1, ...) and the cell's step on it."""

    raw: np.ndarray
    present: np.ndarray
    u: np.ndarray
    step: _Step


class _Readout(NamedTuple):
    """The readouts on one row: their outputs and the features they read."""

    out: np.ndarray  # (J, k): each readout's output
    phi: np.ndarray  # (F,): the row's features ``[h, u, ramps, pairs, diff, 1]``


class _Cached(NamedTuple):
    """What ``predict_*_one`` keeps for a following ``learn_one`` on the same row
    (the NumPy path; the compiled row keeps ``_fast_row``: its buffers hold the rest).
    """

    version: int  # the estimator's _version when the row was read
    x: dict  # the row as given
    forward: _Forward
    readout: _Readout
    row: dict  # the row without its missing values
    advanced: bool  # whether the cell's step is committed already (advance_on_predict)
    strict: bool = False  # whether the row was read with missing="raise"


# The parameters read on every row (the compiled row's, and those the NumPy path reads
# when it grows or advances): _DREAMOnline._recheck validates them again when changed.
_LIVE = _PARAMS_NAMES
_WINDOW_AT = _LIVE.index("neighbors_window")
# The attributes that hold a caller's row object as a mark (see _DREAMOnline._repeated
# and _pending's _unbuilt_last): not pickled; a deepcopy or clone keeps the object.
_CALLER_ROWS = ("_learned_last", "_unbuilt_last")


class _DREAMOnline(_CompiledRow, _PendingRows, _Slots, _RunningScaling, _FeatureMap, _Readouts):
    """The online machinery; the classifier and regressor add their readout's loss."""

    # Set by subclasses.
    _task: str

    # Defaults for estimators pickled before these existed (set again by _build).
    _held_slots = np.zeros(0, dtype=np.intp)
    _loaded_names: list | None = None
    _loaded_features: list | None = None
    _warn: ADWIN | None = None
    _drift: ADWIN | None = None
    n_drifts_ = 0
    # The kNN expert (_neighbors.py): an estimator pickled before it existed had none.
    n_neighbors = 0
    _scale_read: np.ndarray | None = None  # (advance_on_predict: see _advance)
    _reads_diff = False
    _boost = _BOOST  # how much larger a fresh readout's step starts (drift_recovery)
    _fresh_rows = 0
    _prev_u: np.ndarray | None = None
    missing = "ignore"
    delayed_readout = None  # (the classifier's parameter: the regressor has none)
    mixture_share = 0.0  # (a task without a mixture; the compiled row reads it)
    _running = False  # whether a slot of _n_over is nonzero
    _undo: np.ndarray | None = None  # statistics kept to undo a glitch (_scaling._UNDO_ROWS)
    _undo_n: np.ndarray | None = None  # (set by _build, or by __setstate__ for older pickles)
    _first: np.ndarray | None = None  # a slot's first values (_scaling._first_outliers), ditto
    _absent: np.ndarray | None = None  # per slot, 1.0 once a row lacked it (_scaling._indicator)
    _feedback: str | None = None  # the feedback the target slots are made with (_build)
    # The cell's sizes and kind, read once at the first row (_build): a change of the
    # parameters afterwards changes nothing (a review found hidden_dim read on every
    # growth event: a crash at the next new feature, the model broken for good).
    _hidden_dim: int | None = None
    _rank: int | None = None
    _cell: str | None = None
    _checked: tuple | None = None  # the live parameters as last validated (_recheck)
    # (_params_set then, and this object's id: a copy of every attribute into another
    # object, river's clone(include_attributes=True), carries the count over with
    # values the count never saw there; review 422) (None: not known, a pickle's)
    _checked_set: tuple | None = None
    # whether every setting of a live parameter is counted in _params_set (none is a
    # subclass's own property: _compiled._count_layout_params)
    _params_counted = False
    _task_rules: dict = {}  # the task's own parameter rules (beside _RULES)
    cell = "random"
    _proj: np.ndarray | None = None  # cell="pretrained": slots -> the cell's inputs
    _fast: _compiled._Compiled | None = None  # the compiled row's buffers (not pickled)
    # how many times a parameter of the layout's was set (_compiled._LayoutParam, put
    # on every subclass of _CompiledRow); 0 in an estimator pickled before round 45
    _params_set = 0
    _cache: _Cached | None = None
    # the row the compiled row's buffers hold (read at the module _fast_row's _ROW_*)
    _fast_row: tuple | None = None
    # (the row object learned last, a copy of its values and its target, until a row is
    # read: a learn_one repeated on it is no new row; see _repeated)
    _learned_last: tuple | None = None  # (read at the module _fast_row's _LAST_*)
    _read = False  # (whether a row was predicted since the last learn_one: _repeated)
    _read_now = False  # (_read, while learn_one learns its row)

    def __getstate__(self) -> dict:
        """Pickle (and deepcopy) without the compiled row's buffers: the attributes
        that are views of them are saved as arrays, and a copy lays them out anew."""
        state = dict(self.__dict__)
        state.pop("_fast", None)
        state.pop("_fast_adv", None)
        state.pop("_fast_row", None)
        state.pop("_neighbor_seen", None)  # (taken on _fast_row: read again after a load)
        # The cell's module is built again from its weights when read (cell_): the
        # weights are pickled once, and a copy's module holds the copy's weights.
        state.pop("_cell_module", None)
        for name in _CALLER_ROWS:  # (the caller's row object: not the model's)
            state.pop(name, None)
        if state.get("_ring") is not None:  # float32 values (_new_ring): half the bytes
            state["_ring"] = state["_ring"].astype(np.float32)
        return state

    def __deepcopy__(self, memo: dict):
        """``copy.deepcopy``: the state :meth:`__getstate__` pickles, copied, and the
        marks of a repeated ``learn_one`` (``_learned_last``, ``_unbuilt_last``: see
        ``_repeated``) on the caller's row object itself, not a copy (or on the copy
        this same deepcopy made of it already, as of a list holding the row before the
        model), so that the copy judges a repeat as the original does (review 384:
        dropped, the copy learned the repeated row as a new one and its predictions
        went apart). The row is kept out of ``memo``: a container deep-copied with the
        model gets its own copy of the row (review 387)."""
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        for name in _CALLER_ROWS:
            kept = self.__dict__.get(name)
            if kept is not None:
                row = memo.get(id(kept[0]), kept[0])
                setattr(new, name, (row, *copy.deepcopy(kept[1:], memo)))
        return new

    def __copy__(self):
        """A copy that learns on its own, as ``copy.deepcopy`` gives: the learned
        arrays are updated in place, and a shallow copy sharing them learned into the
        original on the NumPy path, not on the compiled row's (review 280)."""
        return copy.deepcopy(self)

    def __setstate__(self, state: dict) -> None:
        """Unpickle, giving an estimator pickled before issue 12 what it lacks."""
        if any(isinstance(v, np.memmap) and v.filename is not None for v in state.values()):
            # joblib.load(path, mmap_mode=...) maps the arrays onto the file: read-only
            # ones failed part-way through a row the kNN expert learned, which left
            # the row half learned, and "r+" ones wrote the stream into the file
            # (review 288). A model that learns holds its arrays in memory: a copy (of
            # type np.memmap still, but with no file: a later load copies nothing).
            state = copy.deepcopy(state)
        self.__dict__.update(state)
        if not isinstance(self.__dict__.get("_advanced_last"), int | None):
            # (kept as the entry, or a pair, by this round's first forms: review 289)
            self.__dict__["_advanced_last"] = None
        self.__dict__.pop("_neighbor_seen", None)  # (a positional tuple before round 42)
        if self.__dict__.get("_neighbors") is not None:  # (before round 62: every row)
            self._gate_vote(self._neighbors)
        if "cell_" in state:  # before round 12 the module itself was the cell's state
            self.cell_ = self.__dict__.pop("cell_")
        if self._ring is not None:
            self._ring = self._ring.astype(float)
        if "_stat_mean" in state and "_ring_at" not in state:  # before issue 12's round 7
            # (a ring of every feature made at the first mistake, or none yet): a new one
            for name in ("_ring_c", "_ring_loss", "_ring_n", "_rec_left", "_last_miss"):
                self.__dict__.pop(name, None)
            self._new_ring()
        if "_x_slot" in state and "_loaded_features" not in state and len(self._held_slots):
            # (a model from from_sklearn pickled before round 28: the features it loaded
            # are its held slots', whose rows _check_new_keys refuses; review 137)
            held = set(self._held_slots.tolist())
            slots = sorted((j, k) for k, j in self._x_slot.items() if j in held)
            self._loaded_features = [k for _, k in slots]
        rows = state.get("_pending_rows")
        if rows and not all(isinstance(entry, _Pending) for _, entry in rows.values()):
            # (positional tuples before round 21: of 6 items before the delayed readout,
            # of 5 before the "diff" block's previous row, which the readouts then read
            # as at a stream's first row)
            for seq, (key, entry) in rows.items():
                rows[seq] = (key, _Pending(*entry, *[None] * (6 - len(entry))))
        if "_pending_rows" in state and "_pending_loose" not in state:  # before round 35
            self._index_loose()  # (its own: the class's empty one is not to be filled)
        cache = state.get("_cache")
        if cache is not None and not isinstance(cache, _Cached):  # a positional tuple
            fits = len(_Cached._fields) - 1 <= len(cache) <= len(_Cached._fields)
            self._cache = cache = _Cached(*cache) if fits else None
        if cache is not None and "_feedback" not in state:  # before round 10: no strict
            self._cache = cache = cache._replace(strict=self._strict())  # (as missing says)
        if cache is not None and not isinstance(cache.readout, _Readout):  # before round 42
            self._cache = cache._replace(readout=_Readout(*cache.readout))
        if "_stat_mean" in state and "_n_over" not in state:
            self._n_over = np.zeros(self._stat_mean.shape, dtype=np.intp)
            half = _WINSOR * np.sqrt(self._stat_var[0])  # surely seen: within the clip
            self._range = np.array([self._stat_mean[0] - half, self._stat_mean[0] + half])
            self._warming = True
            if self.match_labels_by == "order":  # (their labels find nothing: review 185)
                self._not_waiting = self._not_waiting + len(self._pending_rows)
            self._pending, self._pending_rows, self._pending_seq = {}, OrderedDict(), 0
            self._pending_loose = {}  # (built above from the rows dropped here: review 184)
            self._cache = None
        if "_stat_mean" in state and "_undo_n" not in state:  # before part undo: none kept
            S, m = self._stat_mean.shape
            self._undo = np.zeros((3 * S + 4, m))
            self._undo_n = np.zeros((2, m), dtype=np.intp)
        if "_stat_mean" in state and len(self._undo) == 3 * len(self._stat_mean) + 2:
            # before round 56: the values since the statistics were kept are not
            # known (NaN: a window under way settles nothing; _scaling._UNDO_ROWS)
            pad = np.full((2, self._undo.shape[1]), np.nan)
            self._undo = np.concatenate([self._undo, pad])
        if "_stat_mean" in state and "_first" not in state:  # before part first8
            # The first values of a slot still warming up are not known: NaN, which
            # its test at _WINSOR_MIN values skips (it keeps them all, as before).
            self._first = np.full((_WINSOR_MIN, self._stat_mean.shape[1]), np.nan)
        if "_stat_mean" in state and "_hidden_dim" not in state:  # before round 11
            self._hidden_dim, self._rank = state["hidden_dim"], state["rank"]
            self._cell = state.get("cell", "random")
        if "_stat_mean" in state and "_unpaired" not in state:  # before round 29
            # (pairs were granted as slots were made: the feature slots the budget did
            # not reach wait, and a raised max_pairs pairs them)
            paired = set(self._paired_slots)
            waits = "pairs" in self._heads
            self._unpaired = [j for j in self._x_slot.values() if waits and j not in paired]
        if "_stat_mean" in state and "_absent" not in state:  # before round 11
            # Which slots a row lacked is not known: none, until a row lacks one (a
            # slot constant when present reads 0 until then, as it did).
            self._absent = np.zeros(self._stat_mean.shape[1])
        if "_stat_mean" in state and "_born" not in state:  # before round 31
            self._born = np.zeros(self._stat_mean.shape[1])  # (not known: the first row)
        if "_stat_mean" in state and "_apart" not in state:  # before round 31
            self._apart = np.zeros((2, 0), dtype=np.intp)  # (granted as their later slot was)

    # ------------------------------------------------------------------ parameters

    def _live(self) -> tuple:
        """The parameters read on every row (a change takes effect at the next row):
        ``_LIVE``'s values."""
        return _PARAMS(self)

    def _recheck(self) -> None:
        """Validate the live parameters (``_LIVE``) again where one changed since
        (river users set them as attributes): a bad value raises before anything is
        changed, instead of corrupting the model silently, each path its own way (a
        review's finding: l2=nan, mixture_share=-0.5, surprise_gain=None mid-stream).
        The parameters read once, at the first row, are not checked again: a change
        of theirs changes nothing."""
        if self._params_counted and self._checked_set == (self._params_set, id(self)):
            return  # (none set since they were checked: each setting is counted)
        live, checked = self._live(), self._checked
        # (by identity: 20.0 == 20 and 1 == True, and such a value the first row refuses
        # slipped through an equality test; a review's finding)
        count = self._params_set, id(self)
        if (
            checked is None
            or len(checked) != len(live)
            or any(a is not b for a, b in zip(live, checked, strict=True))
        ):
            owner, rules = type(self).__name__, {**_RULES, **self._task_rules}
            for name in _LIVE:
                if name in rules and hasattr(self, name):
                    _check_value(owner, name, getattr(self, name), rules[name])
            self._checked = live
            if not self._k_neighbors and getattr(self, "_neighbors", None) is not None:
                # (turned off: the rows learned meanwhile, and any drift acted on,
                # pass the window by; turned on again, it starts empty)
                self._drop_window()
            elif getattr(self, "_neighbors", None) is not None:
                self._gate_vote(self._neighbors)  # (n_neighbors "auto" <-> an int)
        self._checked_set = count

    def _drop_window(self) -> None:
        """The kNN expert's window goes (``n_neighbors`` set to 0, or ``"auto"``
        turning the expert off): set on again, it starts empty."""
        self._neighbors = self._neighbor_seen = None
        self._window_dropped()

    def _window_dropped(self) -> None:
        """What else forgets the window :meth:`_drop_window` dropped (task hook: the
        regressor's copies of it, kept while a run of far targets is followed)."""

    def _gate_vote(self, vote: Any) -> None:
        """Set the kNN expert's window ``vote`` to run as ``n_neighbors`` says now:
        ``"auto"`` runs an expert out of play on every ``_neighbors._EVERY``-th row,
        an int on every row; read where the window is made, where ``n_neighbors`` is
        set (a window made under the other kept its rule: review 398) and where a
        model is loaded."""
        gated = _is_auto(self.n_neighbors) and self._vote_gated()
        vote.every = _EVERY if gated else 1
        if not gated:
            vote.wait = 0

    def _vote_gated(self) -> bool:
        """Whether ``"auto"`` gates the expert (task hook: the classifier's window
        rules of earlier rounds, which benchmarks/knots.py prints, ran on every row)."""
        return True

    @property
    def _k_neighbors(self) -> int:
        """The kNN expert's neighbours now (0: none): ``n_neighbors``, or with
        ``"auto"`` by the features seen so far (``_params._neighbor_count``)."""
        k = self.n_neighbors
        if type(k) is int:  # (read on every row: an int as it is, at once)
            return k
        return _neighbor_count(k, len(self._x_slot) if self._built else None)

    def _vote_passes(self) -> bool:
        """Whether the kNN expert passes this row by (``_NeighborVote.passes``: a
        classifier's vote out of play under ``n_neighbors="auto"``), counting it."""
        vote = self._neighbors
        return vote is not None and vote.passes()

    def _recheck_neighbors(self) -> None:
        """:meth:`_recheck` where a kNN parameter changed since, by identity: 3.0 is
        not 3 (numba refused ``n_neighbors=3.0``; the NumPy path names the error, as
        for ``neighbors_window=1000.0``). (The compiled row lays its buffers out again,
        and so validates, after any setting: ``_compiled._LayoutParam``.)"""
        checked, k = self._checked, self.n_neighbors
        if (
            (type(k) is not int and not _is_auto(k))
            or checked is None
            or self.neighbors_window is not checked[_WINDOW_AT]
        ):
            self._recheck()  # (the named error, as on the NumPy path)

    def _validate_params(self) -> None:
        owner = type(self).__name__
        for name in _CELL_PARAMS:
            _check_cell_param(owner, name, getattr(self, name))
        _check_params(owner, _RULES, self)
        _pretrained.check(self)
        cp = self.cell_params
        if cp is not None:
            # (each field by the estimator's name, as every front's own parameters are:
            # DREAMConfig's own check named DREAMConfig; review 129)
            for name, value in cp.items():
                if name in _CELL_RULES:
                    _check_cell_param(owner, name, value)
            try:
                DREAMConfig(input_dim=1, hidden_dim=self.hidden_dim, rank=self.rank, **cp)
            except TypeError as err:
                raise ValueError(
                    f"The 'cell_params' parameter of {owner} has a key that is not a "
                    f"DREAMConfig field: {err}"
                ) from err

    # ------------------------------------------------------------------ lazy build

    @property
    def _built(self) -> bool:
        return "_x_slot" in self.__dict__

    @property
    def cell_(self) -> DREAMCell | None:
        """The DREAM cell (float64), None until an input reaches it.

        The estimator steps the cell's weights as NumPy arrays (``_cell_weights``;
        the compiled row holds copies in its buffers); the module is built from
        them when first read after a growth event (sharing their memory), for
        reading: changing it in place is not a way to change the model.
        """
        d = self.__dict__
        if "_cell_config" not in d:  # (a fitted attribute: absent before the first row)
            raise AttributeError(f"{type(self).__name__!r} object has no attribute 'cell_'")
        cell = d.get("_cell_module")
        if cell is None and d.get("_cell_weights") is not None:
            cell = DREAMCell._from_weights(d["_cell_config"], d["_cell_weights"])
            d["_cell_module"] = cell
        return cell

    @cell_.setter
    def cell_(self, cell: DREAMCell | None) -> None:
        """Hold ``cell`` (a loaded or pretrained one) as the estimator's cell."""
        self._cell_module = cell
        self._cell_config = None if cell is None else cell.config
        self._cell_weights = None if cell is None else _CellWeights.of(cell)
        self._np_flags = None if cell is None else cell.flags

    def _build_whole(self, row: dict, y_value: Any) -> None:
        """:meth:`_build` and the first row's slots (its features, its target), all or
        nothing (the row's features, without its missing values, as an absent key, set the
        knots of ``n_knots="auto"``): a build that raises leaves the estimator unbuilt, as it was.
        Review 280: ``n_knots=2**62`` failed in NumPy after the feature slots were made, and
        every later call raised AttributeError. Review 299: a value refused when the first
        slots are made (``cell_params={"base_plasticity": 1e300}``, which the cell refuses
        in float32; ``n_knots=10**8``, too large to allocate) left a built model holding it,
        read once, so that setting the parameter right did not mend it. (Everything changed
        here is made by ``_build``: the estimator's own state before it is as it was.)"""
        before = dict(self.__dict__)
        try:
            self._build(list(row))
            self._register_features(row)
            new_targets = self._new_targets(y_value)
            if new_targets:
                self._add_targets(new_targets)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _build(self, first_keys: Collection = ()) -> None:
        """Validate the parameters and create the empty fitted state (first learn);
        ``first_keys``: the first row's features (the knots of ``n_knots="auto"``, and
        the slots whose pairs take every knot)."""
        self._validate_params()
        # Read here once, as the cell's and the readouts' shapes are: a target's slot
        # is made with the feedback the others were made with (a change after the
        # first row left a new class without a slot: a KeyError on the NumPy path,
        # after its step).
        self._feedback = self.feedback
        self._hidden_dim, self._rank, self._cell = self.hidden_dim, self.rank, self.cell
        self._checked, self._checked_set = self._live(), (self._params_set, id(self))
        cell_params = dict(self.cell_params or {})
        config = DREAMConfig(1, self.hidden_dim, self.rank, **cell_params)
        self._config = {k: getattr(config, k) for k in cell_params}  # plain Python values
        if self.seed is None:
            self._seed = random.SystemRandom().randrange(2**31)
        else:
            self._seed = int(self.seed) % (2**31)
        n_out = 1 if self._task == "regression" else 0
        n = self.hidden_dim
        # The cell: its config, weights, and what the NumPy step reads of them;
        # None until an input reaches it (cell_ builds the module from them).
        self.cell_ = None
        self._np_params = None
        self._state: tuple | None = None
        self._x_slot: dict = {}  # feature name -> slot
        self._y_slot: dict = {}  # class label (or None for a regressor) -> slot
        self._cell_slots = np.zeros(0, dtype=np.intp)  # slots that feed the cell, in order
        # Slots whose statistics _load_core set (a trained cell's standardisation):
        # averaged with rate 1/count, no floor, and not clipped. Features of a
        # DataFrame fit, by name (to refuse rows keyed by position), or None; every
        # feature of a loaded cell (to refuse rows with none of them), or None.
        self._held_slots = np.zeros(0, dtype=np.intp)
        self._loaded_names = self._loaded_features = None
        self._new_scaling()
        self._born = np.zeros(0)  # per slot, the rows learned when it was made (_grant_pairs)
        self._prev_y = None  # raw values of the target slots at the next step (or None)
        n_k = _knot_count(self.n_knots, len(first_keys))
        self._knots = np.linspace(-1.5, 1.5, n_k) if n_k > 1 else np.zeros(n_k)
        # With n_knots="auto", the first row's keys (a pair of two of their slots takes
        # every product of their ramps, others _COARSE knots: _FeatureMap._grant_pairs);
        # None: every pair takes every knot.
        self._first_keys = frozenset(first_keys) if _is_auto(self.n_knots) else None
        # Readouts: one weight array (J, k, F) over phi = [h, u, ramps, pairs, diff, 1]
        self._heads = tuple(self._readout_names())
        self._head_lr = self.learning_rate * np.array([_READOUTS[r][1] for r in self._heads])
        self._W = np.zeros((len(self._heads), n_out, n + 1))
        self._pairs = np.zeros((2, 0), dtype=np.intp)  # ramp indices of each pair feature
        self._paired_slots: list = []  # slots whose ramps have pair features
        self._unpaired: list = []  # feature slots waiting for them (_grant_pairs)
        self._apart = np.zeros((2, 0), dtype=np.intp)  # paired slots no row had together
        self._ones = np.ones((1, 1))
        self._reads_diff = any("diff" in _READOUTS[r][0] for r in self._heads)
        self._prev_u = None  # the last learned row's fast-scaled slots (for "diff")
        self._head_mask = self._mask()
        # drift_recovery: the two detectors over the mixture's loss (see _watch).
        self._weights = np.full(len(self._heads), 1.0 / len(self._heads))  # the mixture
        self._warn = self._drift = None
        if self.drift_recovery:
            self._warn = self._adwin(self._warn_delta)
            self._drift = self._adwin(self._drift_delta)
        self.n_drifts_ = 0
        self._age = np.full(len(self._heads), np.inf)  # rows since each readout started
        self._fresh_rows = 0  # rows left before the youngest readout stops being fresh
        self._new_ring()  # the rows kept for a replay at a drift (_record)
        self._version = 0
        self._cache = None
        self._dt_row = None  # np.full(1, time_step), built on the first step
        self._new_pending()
        self._running = False  # whether a slot of _n_over is nonzero
        self.n_steps_ = 0
        self.last_surprise_ = float("nan")
        self.last_tau_ = float("nan")

    def _readout_names(self) -> tuple:
        """The readouts this estimator trains (the regressor: its one readout)."""
        return ("cell",)

    # Task hooks, defined by the classifier and the regressor:
    # _check_target(y) -> value; _new_targets(value) -> list; _add_targets(list);
    # _link(z (..., J, k)) -> the readouts' outputs (softmax, or identity);
    # _readout_step(out (J, k), value, phi (F,)) -> (J, k) step on each readout's output;
    # _before_readouts(value) (before the readouts' step); _update_target_stats(value);
    # _target_set_aside() -> whether that update set the row's target aside;
    # _target_raw(value) -> (m,) raw target slots.

    # ------------------------------------------------------------------ forward

    def _raw(self, x: dict, values: np.ndarray, given: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Raw slot values and presence for one row (features not seen are dropped;
        ``given``: the row's keys, its missing values' included, as _check_keys)."""
        m = len(self._mean)
        raw = np.zeros(m)
        present = np.zeros(m)
        get = self._x_slot.get
        idx = [get(k, -1) for k in x]
        if -1 in idx:
            new = [k for k, j in zip(x, idx, strict=True) if j < 0]
            self._check_new_keys(new, x if given is None else given)
            keep = [i for i, j in enumerate(idx) if j >= 0]
            idx = [idx[i] for i in keep]
            values = values[keep]
        raw[idx] = values
        present[idx] = 1.0
        if self._prev_y is not None:
            ys = self._ys
            raw[ys] = self._prev_y[ys]
            present[ys] = 1.0
        return raw, present

    def _step(self, u: np.ndarray, state: tuple | None) -> tuple:
        """One cell step for rows ``u`` (b, m) from ``state`` (batch b or 1).

        Before any input reaches the cell (no feature yet), ``h`` is zero.
        """
        if self._np_params is None:
            b = u.shape[0]
            h = np.zeros((b, self._hidden_dim))
            return _Step(h, None, None, None, None, None, np.zeros(b), np.full(b, np.nan))
        xc = u[:, self._cell_slots]
        if self._proj is not None:
            xc = xc @ self._proj
        dt = self._cell_config.time_step
        if xc.shape[0] == 1:  # the single-row path: one dt array for every row
            if self._dt_row is None or self._dt_row[0] != dt:
                self._dt_row = np.full(1, dt)
            dt = self._dt_row
        else:
            dt = np.full(xc.shape[0], dt)
        return _Step(*dream_step(NUMPY_OPS, self._np_params, self._np_flags, xc, *state, dt))

    def _forward_one(self, x: dict, values: np.ndarray, given: Any = None):
        """(raw, present, u, step) for one row, from the committed state (pure)."""
        raw, present = self._raw(x, values, given)
        u = self._standardise(raw, present)[None, :]
        return _Forward(raw, present, u, self._step(u, self._state))

    def _strict(self) -> bool:
        return self.missing == "raise"

    @property
    def _mutable_attributes(self) -> set:
        """The parameters river's ``mutate`` may change mid-stream: those each row reads
        (``max_pairs``: each row while a feature waits for its pairs), and the
        regressor's ``standardize_rate`` (its target's). It refuses the others: read
        once, at the first row (an assignment changes nothing), or,
        ``advance_on_predict``, ``match_labels_by`` and ``delayed_readout``, to be set
        before the stream starts. River's base had none: ``mutate({"l2": 0.01})``
        raised that ``l2`` is not mutable (review 130)."""
        return {"l2", "surprise_gain", "mixture_share", "missing", "max_pairs", "n_neighbors"}

    def _repeated(self, x: Any, y: Any) -> bool:
        """Whether ``learn_one(x, y)`` repeats the last learn_one: the same row object,
        its values unchanged, an equal target, the last learn_one the first after a
        predict (a learn-only loop over one dict object, a constant row, learns every
        call; a scaler in front of an ensemble hands its members a row scaled anew,
        learned once) and no row read since (predict, predict_many). River's
        resampling ensembles (bagging, boosting, SRP, oversampling) learn a row k times
        for a weight k; each time stepped the cell again with the row's own label as the
        previous one, fed back: a model learning each row twice predicted the previous
        label on 99.8% of a stream of random labels (review 130). A repeat is learned
        once: the cell steps once a row, and its label is fed back once. Not with
        ``advance_on_predict``, where each learn_one is the label of a row predicted
        before (two rows of equal values may bring theirs one after the other).

        A call that refuses its row or frame leaves both marks (``_read``,
        ``_learned_last``) as they were: after a refused predict_one, a learn-only
        loop over one dict object dropped its 2nd and 3rd calls as repeats (review
        308). ``copy.deepcopy`` and ``clone(include_attributes=True)`` keep the mark on
        the caller's row object; a pickle cannot (the row is the caller's, not saved),
        so a model loaded from one learns a repeat of the row learned just before it
        was saved as a new row."""
        last = self._learned_last
        if last is None or last[_LAST_X] is not x or self.advance_on_predict:
            return False
        if last[_LAST_Y] is not y:
            try:
                equal = last[_LAST_Y] == y
            except Exception:  # (a label that compares with nothing: Decimal("sNaN"))
                return False
            # (a truth value of one's own, not an array's or a tensor's: np.array([1.0])
            # after 1.0 was a repeat, never refused; review 357)
            if not isinstance(equal, bool | np.bool_) or not equal:
                return False
        return _same_row(last[_LAST_VALUES], x, True)

    def _predict_raw_one(self, x: dict) -> np.ndarray | None:
        """Readout output for one row (cached for a following learn_one), or None.

        With ``advance_on_predict``, the cell's step on the row is committed (once:
        the same row again with nothing learned in between reads the cache; with
        ``match_labels_by="order"`` each call is a row of the stream, stepped on).
        """
        if self._fast_forward(x) is not None:
            self._cache = None  # (a row the NumPy path read before is not this one)
            return self._fast.out.copy()
        self._learned_last = None  # (a row read: see _repeated)
        row, values = _row_values(x, self._strict())
        by_order = self._by_order()
        if not self._built:
            if by_order:  # (a row of the stream whose label comes first)
                self._not_waiting += 1
            elif self.advance_on_predict:
                self._predicted_unbuilt(x, row)
            return None
        cache = self._cache
        if (
            not by_order  # (each call a row of the stream, advanced on)
            and cache is not None
            and cache.version == self._version
            and cache.strict == self._strict()
            and _same_row(cache.x, x, cache.strict)
        ):
            return cache.readout.out
        advance = bool(self.advance_on_predict)
        # (the classifier's compiled row where it can: its step kept none, and the
        # cache holds no step, which an advanced row's learn_one does not read)
        ran = self._fast_advance(x, row) if advance else None
        if ran is not None:
            got = ran.entry
            fwd, read = _Forward(got.raw, got.present, got.u, None), _Readout(ran.out, got.phi)
        else:
            fwd = self._forward_one(row, values, x)
            out, phi = self._readout(fwd.step.h, fwd.u)
            read = _Readout(out[0], phi[0])
            if advance:
                self._advance(row, fwd, read.out)
        # (copies: the caller may change its dict before learn_one, which reads the
        # kept row on a hit; _row_values gives x itself back when nothing is missing)
        kept = dict(x)
        row = kept if row is x else row
        self._cache = _Cached(self._version, kept, fwd, read, row, advance, self._strict())
        return read.out

    # ------------------------------------------------------------------ the kNN expert

    def _neighbor_rows(self, raw: np.ndarray, present: np.ndarray) -> np.ndarray:
        """What the kNN expert reads of rows ``raw`` (..., m): their values, NaN where
        absent and in the previous target's slots (and in the slots made after a row
        advanced on was read: ``advance_on_predict``)."""
        rows = np.where(present > 0, raw, np.nan)
        grown = len(self._mean) - rows.shape[-1]
        if grown > 0:
            rows = np.pad(rows, [(0, 0)] * (rows.ndim - 1) + [(0, grown)], constant_values=np.nan)
        if self._y_slot:
            rows[..., self._ys] = np.nan
        return rows

    def _fast_neighbor_row(self) -> np.ndarray:
        """:meth:`_neighbor_rows` of the row the compiled row's buffers hold, by one
        numba call (``_kernels.neighbor_row``, the same values) where it runs."""
        fast = self._fast
        row = _compiled_call("neighbor_row", fast.raw, fast.present, self._ys, len(self._mean))
        return self._neighbor_rows(fast.raw, fast.present) if row is None else row

    def _neighbor_read(
        self, raw: np.ndarray, present: np.ndarray, scale: np.ndarray, out: np.ndarray, y: Any
    ):
        """The kNN expert's read of a row the NumPy path learns, before anything of
        the row's step changes (task hook; ``n_neighbors``): its values ``raw``, the
        slots it has ``present``, the scale it was read in (one over each slot's
        standard deviation, before the row: a row advanced on keeps its own), the
        readouts' outputs ``out``, its target ``y``."""
        raise NotImplementedError

    def _neighbor_learn(self, read: Any, y: Any, loss: float, drifted: bool) -> None:
        """The kNN expert's step on that row (task hook): ``read`` as
        :meth:`_neighbor_read` gave it, ``loss`` the readouts' mixture's loss on it,
        ``drifted`` whether drift recovery acted on it."""
        raise NotImplementedError

    def _fast_neighbor_read(self, target: tuple) -> Any:
        """:meth:`_neighbor_read` of the row the compiled row's buffers hold, given
        ``_fast_target``'s ``target`` (task hook)."""
        raise NotImplementedError

    def _fast_neighbor_learn(self, read: Any, target: tuple, loss: float, drifted: bool) -> None:
        """:meth:`_neighbor_learn` of that row after the learn kernel (task hook)."""
        raise NotImplementedError

    def _forward_many(self, X: pd.DataFrame) -> tuple | None:
        """``(raw, present, out)`` of each row (pure): its values (b, m), the slots it
        has, and the readout outputs (b, J, k), each one step from the committed state."""
        values, present_cols = _frame_values(X, self._strict())
        if not self._built or len(X) == 0:
            self._learned_last = None  # (rows read: see _repeated)
            return None
        self._recheck()
        cols = [self._x_slot.get(c, -1) for c in X.columns]
        if -1 in cols:  # (the new columns with a value, as a row's keys: review 289)
            has = present_cols.any(axis=0).tolist()
            new = [c for c, j, h in zip(X.columns, cols, has, strict=True) if j < 0 and h]
            if new:
                self._check_new_keys(new, X.columns)
        self._learned_last = None  # (rows read, once accepted: see _repeated)
        keep = [i for i, j in enumerate(cols) if j >= 0]
        b, m = len(X), len(self._mean)
        raw = np.zeros((b, m))
        present = np.zeros((b, m))
        slots = [cols[i] for i in keep]
        raw[:, slots] = np.nan_to_num(values[:, keep])
        present[:, slots] = present_cols[:, keep]
        if self._prev_y is not None:
            ys = self._ys
            raw[:, ys] = self._prev_y[ys]
            present[:, ys] = 1.0
        u = self._standardise(raw, present)
        state = None if self._state is None else tuple(np.repeat(s, b, 0) for s in self._state)
        step = self._step(u, state)
        return raw, present, self._readout(step.h, u)[0]

    # ------------------------------------------------------------------ learning

    def _learn(self, x: dict, y) -> None:
        if not self._fast_learn(x, y):  # (False before the first row: nothing built)
            self._learn_numpy(x, y)

    def _learn_row(self, x: dict, y) -> None:
        """``learn_one``: a repeat of the last row is learned once (``_repeated``)."""
        if self._learned_last is not None and self._repeated(x, y):
            return
        read, last = self._read, self._learned_last
        self._read_now, self._read = read, False
        try:
            if not self._fast_learn(x, y):  # (the compiled row, where it can run)
                self._learn_numpy(x, y)
        except BaseException:  # (a refused row: the model as before, its marks too)
            self._read, self._learned_last = read, last
            raise
        finally:
            self._read_now = False

    def _diff_on(self, entry: Any) -> bool:
        """Whether "diff" still holds the read of the advanced row ``entry``: it was
        the last row advanced on, and no row learned has moved "diff" since (on the
        compiled row too, whose learn kernel does not know the number: its values
        are compared)."""
        prev = self._prev_u
        return (
            entry.seq is not None
            and self._advanced_last == entry.seq
            and prev is not None
            and np.array_equal(prev, entry.u[0, : len(prev)])
        )

    def _read_under_other_missing(self, x: dict) -> bool:
        """Whether ``x``, refused now for its values, is the row waiting for its label
        with match_labels_by="order" (the oldest), read by predict_one under the other
        setting of ``missing`` (changed while it waited) and taken then."""
        if not self._by_order() or self._not_waiting or not self._pending_rows:
            return False
        read = next(iter(self._pending_rows.values()))[1].strict
        if read is None or read == self._strict():
            return False
        try:
            _row_values(x, read)
        except (ValueError, TypeError):
            return False
        return True

    def _learn_numpy(self, x: dict, y) -> None:
        """Learn ``(x, y)`` on the NumPy path (every row the compiled row does not take)."""
        cache = self._cache
        hit = (
            cache is not None
            # (a row advanced on is learned from what was kept of it: the cache would
            # only spare its validation, and the row is seldom the one read last)
            and not cache.advanced
            and cache.version == self._version
            and cache.strict == self._strict()  # (missing set between predict and learn)
            and _same_row(cache.x, x, cache.strict)
        )
        # Validate before anything changes (a cached row was validated by predict).
        try:
            row, values = (cache.row, None) if hit else _row_values(x, self._strict())
        except (ValueError, TypeError):
            # (a row refused for its values was refused by predict too, and is no row of
            # the stream; unless `missing` changed since the rows waiting were read and
            # they would take it: it was a row, and takes its place, review 150)
            if self._read_under_other_missing(x):
                self._take_pending(x)
            raise
        try:
            # (the keys first: a row a converted model cannot read is no row, whatever
            # its label; with a bad label checked first it took a row's place, review 279)
            self._check_keys(row, x)
            y_value = self._check_target(y)
        except (ValueError, TypeError) as err:
            # (a row refused for its values was refused by predict too: no row of the
            # stream; a refused label or feature name takes its row's place, the oldest:
            # the later labels then meet their own rows, review 96; but not keys that a
            # converted model cannot read, refused by predict too: review 276, the later
            # labels each met the row before their own)
            unread = isinstance(err, _UnreadKeys)
            if self._by_order() and (self._pending or self._not_waiting) and not unread:
                self._take_pending(row)
            raise
        built_now = not self._built
        if built_now:
            self._build_whole(row, y_value)
            hit, version = False, self._version  # (nothing was read with these slots)
        else:
            self._recheck()
            version = self._version
            self._register_features(row)
            new_targets = self._new_targets(y_value)
            if new_targets:
                self._add_targets(new_targets)
        # A row the cell advanced on at predict time (advance_on_predict) is not
        # stepped again: the readouts learn from what it read then.
        waiting = self._pending or self._not_waiting or self._unbuilt
        if self._pending and self._by_order():
            self._watch_order(row)
        entry = self._take_pending(row) if waiting else None
        if entry is None and not built_now and self._fast_unadvanced(x, y_value):
            # (a row not advanced on under advance_on_predict, the classifier's, learned
            # in the advancing layout's kernels: the step, the readouts, the label fed
            # back; the classifier reads no "diff", whose _advanced_last stays as it is)
            self._learned_last = (x, cache.x if hit else dict(x), y) if self._read_now else None
            return
        fast = None  # (a row advanced on in the compiled row, read there at its label)
        if entry is not None:
            fast = self._fast_read_kept(entry) if entry.columns is not None else None
            if fast is not None:  # (its features in the buffers, the readouts' outputs)
                out, phi, surprise = fast.out.copy(), None, entry.surprise
            else:
                out, phi, surprise = self._pending_step(entry, row)
            if entry.late is not None:  # (before the readouts' step)
                self._learn_delayed(entry.late, out, y_value)
        else:
            if hit and version == self._version:
                (raw, present, u, step), (out, phi) = cache.forward, cache.readout
            else:
                if values is None:
                    row, values = _row_values(row)
                raw, present, u, step = self._forward_one(row, values)
                out, phi = self._readout(step.h, u)
                out, phi = out[0], phi[0]
            surprise = float(step.surprise[0])
        self._cache = None
        neighbors = None
        if self._k_neighbors and not self._vote_passes():
            # (a row advanced on: its values and scale when it was read)
            if entry is None:
                at = (raw, present, self._scale)
            else:
                scale = self._scale
                if entry.scale is not None:  # (slots made since: absent in the row)
                    scale = np.concatenate([entry.scale, scale[len(entry.scale) :]])
                at = (entry.raw, entry.present, scale)
            neighbors = self._neighbor_read(*at, out, y_value)
        self._before_readouts(y_value)
        first = None  # (the first generation's share, where the kernel summed it)
        if fast is not None:  # (the classifier's: the step, the label fed back in place)
            loss, first = self._learn_kept(fast, y_value, surprise)
        else:
            # (J, k): each readout's loss gradient on its output; the mixture's loss
            g, loss = self._readout_step(out, y_value, phi)
            lr, mask = self._head_lr, self._head_mask
            reps = len(self._W) // len(lr)
            if reps > 1:  # more generations of readouts, and background ones, alongside
                lr, mask = np.tile(lr, reps), np.tile(mask, (reps, 1))
            # Surprise-modulated plasticity of the readout: a larger step when surprised.
            gain = 1.0 + self.surprise_gain * surprise if surprise == surprise else 1.0
            base_lr = lr
            if self._fresh_rows:  # a larger step for fresh readouts (drift_recovery)
                boost = _BOOST_ROWS / (_BOOST_ROWS + self._age) - _BOOST_ROWS / (
                    _BOOST_ROWS + _FRESH_ROWS
                )
                lr = lr * (1.0 + self._boost * np.maximum(boost, 0.0))
                self._age += 1
                self._fresh_rows -= 1
            rates = gain * lr
            if self._task == "regression":  # (see _MAX_STEP)
                rates = np.minimum(rates, np.maximum(base_lr, _MAX_STEP))
            self._sgd(self._W, g, rates, mask, phi)
            if self._drift is not None and self._ring is not None:  # (the kernel's: _record)
                self._record(phi, self._classes[y_value], loss)
        drifts = self.n_drifts_
        if self._drift is not None:
            self._watch(loss, first)
        if neighbors is not None:
            self._neighbor_learn(neighbors, y_value, loss, self.n_drifts_ > drifts)
        elif self.n_drifts_ > drifts and self._neighbors is not None:  # (passed by)
            self._neighbors.on_drift()
        if fast is None:
            if entry is None:
                self._commit(raw, present, step)
            if self._y_slot:
                self._prev_y = self._target_raw(y_value)
            self._update_target_stats(y_value)  # (after: it may hold _prev_y, _keep_target)
            # "diff" reads the change since the last row learned from: not a target set
            # aside, which leaves the previous target where it was (review 277: "last"
            # paired the row before with the one before it, its error 25 times as large).
            # Advanced rows set it when read.
            if self._reads_diff and entry is None and not self._target_set_aside():
                self._prev_u = u[0, : len(self._mean)].copy()
                self._advanced_last = None
            elif entry is not None and self._target_set_aside() and self._diff_on(entry):
                # (an advanced row moved "diff" on when read; with no other row read or
                # learned since, it goes back, as without the advance: without a delay the
                # two models are one, review 279)
                self._prev_u = entry.prev
                self._advanced_last = None
            # (the NumPy path replaced arrays of the advancing layout's, the running
            # scale for one, and set its flags: laid out anew; review 420)
            self._fast_adv = None
        self.n_steps_ += 1
        self._version += 1
        self._learned_last = (x, cache.x if hit else dict(x), y) if self._read_now else None

    def _commit(self, raw: np.ndarray, present: np.ndarray, step: _Step) -> None:
        """Commit the cell's step and the running statistics of what this step saw."""
        if self._np_params is not None:
            self._state = step.state
        self.last_surprise_ = float(step.surprise[0])
        self.last_tau_ = float(step.tau[0])
        self._mark_lacked(present)
        self._update_stats(raw, present)
        if self._unpaired or self._apart.shape[1]:
            self._grant_pairs(present)

    def _mark_lacked(self, present: np.ndarray, start: int = 0) -> None:
        """Flag the slots from ``start`` on that this row lacks after their first value
        (``_absent``, read by _indicator; the row's own presence, before set-asides; a
        target's slot before its first value is not lacked). Before the row's update,
        as the compiled learn kernel flags them."""
        part = slice(start, None)
        self._absent[part][(present[part] <= 0) & (self._count[part] > 0)] = 1.0

    # ------------------------------------------------------------------ mini-batches

    def _learn_frame(self, X: pd.DataFrame, y) -> None:
        # Validate every row and target before learning any.
        values, _ = _frame_values(X, self._strict())  # (NaN where missing)
        cols = X.columns.tolist()
        ys = list(_aligned_targets(X, y))
        if len(ys) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(ys)} values.")
        for i, value in enumerate(ys):
            try:
                ys[i] = self._check_target(value)  # (a 0-d array as its value)
            except (TypeError, ValueError) as err:  # (which row, as a bad value says)
                raise type(err)(f"{str(err).rstrip('.')} (row {X.index[i]!r}).") from err
        if self._built:  # (the live parameters too: a bad one raises before any row)
            self._recheck()
        # The new columns' names, as learn_one checks a row's: those of columns with a
        # value (a row's missing values' names are not judged, nor were a frame's
        # columns of missing values only: review 284 found a NaN-named one refused by
        # learn_many and taken by learn_one), against every column for the keys a
        # converted model cannot read, as a row's keys with its missing ones.
        has = ~np.isnan(values).all(axis=0) if len(X) else np.zeros(len(cols), dtype=bool)
        self._check_keys([c for c, h in zip(cols, has.tolist(), strict=True) if h], cols)
        self._learned_last = None  # (rows learned: no learn_one after them is a repeat)
        # The compiled row reads the frame's rows as they are; a row it cannot take
        # (a growth event, before anything is built) is learned as a dict.
        rows, keys = self._fast_frame(values), tuple(cols)
        for i in range(len(X)):
            if rows is not None and self._fast_values(keys, rows[i]) is not None:
                if self._fast_commit(ys[i]):
                    continue
            # (its missing values as NaN: the row keeps the frame's keys, which
            # _check_keys judges, as learn_one does a row's; review 137)
            self._learn(dict(zip(cols, values[i].tolist(), strict=True)), ys[i])
        if len(X):  # (rows learned since the last predict, as a learn_one loop's: the
            # next learn_one is not the first after it; review 284)
            self._read = False

    # ------------------------------------------------------------------ seam

    def _load_core(self, cell: DREAMCell, features: list, **arrays: Any) -> None:
        """Start from a trained cell (``from_sklearn``'s seam): see
        :func:`~dream_sklearn.online._convert._load_core`."""
        from ._convert import _load_core

        _load_core(self, cell, features, **arrays)

    def clone(self, new_params: dict | None = None, include_attributes: bool = False):
        """river's ``clone``: a fresh estimator with the same parameters. A model made
        by :func:`~dream_sklearn.online.from_sklearn` starts again from what it loaded
        (the trained cell, its memory, scaling and head), not from a random cell: river's
        ensembles and model selection clone the model they are given (review 145).
        ``new_params`` may not change what was loaded (``hidden_dim``, ``rank``,
        ``cell_params``, ``cell``, ``feedback="cell"``).

        With ``include_attributes=True`` the copy keeps what the model has learned,
        built with the parameters read at its first row: ``new_params`` may change
        only those that each row reads (``_mutable_attributes``, as river's
        ``mutate``). A copy that said ``hidden_dim=16`` ran the learned 8-unit cell,
        and its own ``clone()`` started a 16-unit one (review 299)."""
        loaded = getattr(self, "_loaded", None)
        if loaded is not None:
            from ._convert import _check_clone_params

            # (with include_attributes too: a copy that said hidden_dim=16,
            # feedback="cell" ran the loaded 8-unit cell, and its own clone() failed;
            # review 218)
            kept = loaded.params or {}
            set_since = {
                k: getattr(self, k) for k, v in kept.items() if not _same_value(getattr(self, k), v)
            }
            _check_clone_params(new_params or {}, set_since)
        if include_attributes and new_params and self._built:
            self._check_kept_params(new_params)
        if loaded is None or include_attributes:
            clone = super().clone(new_params, include_attributes)
            if include_attributes:  # (river deep-copies each attribute: the rows too)
                for name in _CALLER_ROWS:
                    kept = self.__dict__.get(name)
                    if kept is not None:
                        setattr(clone, name, (kept[0], *getattr(clone, name)[1:]))
            return clone
        from ._convert import _load

        fresh = super().clone(new_params)
        _load(fresh, loaded)
        return fresh

    def _check_kept_params(self, new_params: dict) -> None:
        """Refuse ``new_params`` that change a parameter read once (see :meth:`clone`);
        one given its current value is no change."""
        live = self._mutable_attributes
        fixed = sorted(
            name
            for name, value in new_params.items()
            if name not in live
            and hasattr(self, name)
            and not _same_value(value, getattr(self, name))
        )
        if fixed:
            raise ValueError(
                f"clone(new_params, include_attributes=True) keeps what this model has "
                f"learned, built with its parameters {fixed} as they were at its first "
                f"row; got new_params={new_params!r}. Clone without include_attributes to "
                f"start over with them; only {sorted(live)} change a model that has "
                "learned (river's mutate)."
            )

    def memory(self) -> DREAMState | None:
        """The cell's committed fast state as a :class:`DREAMState` (batch 1), or None."""
        if not self._built or self._state is None:
            return None
        return DREAMState(*(torch.from_numpy(s.copy()) for s in self._state))
