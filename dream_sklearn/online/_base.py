"""Machinery shared by the river online estimators: one long stream, one DREAM cell.

Per row (``x_t``, then ``y_t`` once known):

1. the row's values go through a running standardisation, per input *slot*; a slot is
   a feature (``("x", name)``) or, with ``feedback``, the previous target
   (``("y", label)`` one-hot for a classifier, ``("y", None)`` for a regressor);
   a slot missing from a row is 0 after standardisation;
2. the DREAM cell takes one step on the standardised slots (NumPy path,
   :meth:`DREAMCell.numpy_step`, i.e. :func:`dream_step`), from the committed state;
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
grows with it, old weights kept (see :func:`_grow_cell`).
"""

from __future__ import annotations

import copy
import math
import numbers
import random
from collections import OrderedDict, deque
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import torch
from river.drift import ADWIN

from .._limits import MAX_ABS
from ..nn import DREAMCell, DREAMConfig, DREAMState
from ..nn._cell import _seeded
from ..nn._config import (
    _BOOL,
    _INT,
    _INT_GE0,
    _NONNEGATIVE,
    _POSITIVE,
    _UNIT,
    _check_cell_param,
    _check_value,
    _front_defaults,
    _is_int,
    _Rule,
)
from . import _pretrained

__all__: list[str] = []

_CLIP = 5.0  # standardised values are clipped to [-_CLIP, _CLIP]
_RAMP = 3.0  # slope of the readout's per-slot ramps (``n_knots``)
_RAMP_SCALE = 0.5  # their amplitude (a smaller SGD step on their weights)
_VAR_EPS = 1e-12
# Robust running statistics (docs/online.md, "Outliers"): a value more than _WINSOR
# standard deviations from a slot's running mean updates the statistics as if it were
# _WINSOR away; one more than _SET_ASIDE away, and outside the range of the values
# the slot took before (see _widen) widened by its width on each side (so that a
# rare but recurring value, such as a rare event's 1, is not set aside), is also
# read as missing in its row. Neither applies to a slot that has been out of bounds for more
# than _WINSOR_RUN rows running (it has moved: it is taken in full), to a slot with
# fewer than _WINSOR_MIN values, to a constant one, or to the held slots of a
# loaded cell.
_WINSOR = _CLIP
_SET_ASIDE = 30.0
_WINSOR_RUN = 3
_WINSOR_MIN = 8
# The bounds as 0-d arrays: a comparison with one costs half that with a float.
_WINSOR_BOUND, _SET_ASIDE_BOUND = np.array(_WINSOR), np.array(_SET_ASIDE)
_FEEDBACK = ("cell", "readout", "none")
_MISSING = ("ignore", "raise")
# With advance_on_predict, at most this many rows predicted and not yet learned are
# kept (their features for the readouts' step once the label comes); beyond that the
# oldest are forgotten, and a label for one of them is learned as a new row.
_MAX_PENDING = 2048
_RESERVED_CELL_PARAMS = ("input_dim", "hidden_dim", "rank")
# The cell parameters the online estimators take by name (the others go in
# cell_params, by DREAMConfig's field names). Defaults: DREAMConfig's, except the
# overrides in nn._config._FRONT_OVERRIDES["online"].
_CELL_PARAMS = ("hidden_dim", "rank")
_DEFAULT = _front_defaults("online", _CELL_PARAMS)
_PAIR_SCALE = 2.0  # amplitude of the pair features (products of two ramps)
# drift_recovery (chosen on the tuning streams: benchmarks/recovery.py, docs/online.md).
# ADWIN over the mixture's loss at ARF's two levels, checking every _CLOCK rows; a
# rise flagged at the warning level starts background readouts, at the drift level
# takes them into the mixture with a share _FRESH_SHARE of its weight; of two
# generations, one whose weight falls below _DROP goes. A readout of age n (rows
# learned since it started; the first ones never count as fresh) steps
# 1 + _BOOST * (_BOOST_ROWS / (_BOOST_ROWS + n) - _BOOST_ROWS / (_BOOST_ROWS + _FRESH_ROWS))
# times its usual step while n < _FRESH_ROWS (the usual step from then on).
_WARN_DELTA = 0.01
_DRIFT_DELTA = 0.001
_CLOCK = 4
_FRESH_SHARE = 0.5
_DROP = 0.01
_BOOST = 10.0
_BOOST_ROWS = 100.0
_FRESH_ROWS = 4000
# The readouts and the blocks of phi = [h, u, ramps, pairs, diff, 1] each one reads, with
# its step as a multiple of ``learning_rate``.
_READOUTS = {
    "linear": (("x",), 0.5),  # "x": the features' part of u (not the previous target)
    "cell": (("h", "u", "ramps"), 1.0),
    "pairs": (("h", "u", "ramps", "pairs"), 0.5),
    # The regressor's: its output starts from the previous target, and it learns a
    # correction from the change of the (fast-scaled) slots since the previous row.
    "last": (("diff",), 0.1),
}


def _optional(rule: _Rule) -> _Rule:
    """``rule``, or None."""
    return _Rule(f"None or {rule.expected}", lambda v: v is None or rule.accepts(v), lambda v: v)


def _one_of(options: tuple) -> _Rule:
    return _Rule(f"one of {options}", lambda v: isinstance(v, str) and v in options, str)


def _readouts_rule(names: tuple) -> _Rule:
    """The rule of a ``readouts`` parameter: distinct names from ``names``."""
    return _Rule(
        f"a non-empty tuple of distinct names from {names}",
        lambda r: (
            isinstance(r, tuple | list)
            and len(r) > 0
            and all(isinstance(v, str) and v in names for v in r)
            and len(set(r)) == len(r)
        ),
        lambda r: r,
    )


def _check_params(owner: str, rules: dict[str, _Rule], estimator: Any) -> None:
    """Check each of ``estimator``'s parameters named in ``rules`` (the ValueError of
    every front, nn._config._check_value)."""
    for name, rule in rules.items():
        _check_value(owner, name, getattr(estimator, name), rule)


# The rules of the online estimators' own parameters (the cell's are DREAMConfig's).
_RULES = {
    "learning_rate": _POSITIVE,
    "l2": _NONNEGATIVE,
    "standardize_rate": _UNIT,
    "feedback": _one_of(_FEEDBACK),
    "surprise_gain": _NONNEGATIVE,
    "slow_rate": _optional(_UNIT),
    "n_knots": _INT_GE0,
    "drift_recovery": _BOOL,
    "seed": _optional(_INT),
    "missing": _one_of(_MISSING),
    "advance_on_predict": _BOOL,
    "cell_params": _Rule(
        f"None or a dict of DREAMConfig fields other than {_RESERVED_CELL_PARAMS}",
        lambda v: v is None or (isinstance(v, dict) and not set(v) & set(_RESERVED_CELL_PARAMS)),
        lambda v: v,
    ),
}


# Text is never read as a number, even "1.5" (np.str_ and np.bytes_ are subclasses).
_TEXT = (str, bytes)
_NON_NUMERIC = (
    "DREAM online estimators take numbers only (encode categorical features first, "
    "e.g. with river.preprocessing.OneHotEncoder)."
)


def _is_text(value: Any) -> bool:
    return isinstance(value, _TEXT)


def _is_missing(value: Any) -> bool:
    """None, pandas' NA, or a NaN number: a missing value (as an absent key)."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, numbers.Real | np.bool_) and value != value


def _missing_error(name: Any, value: Any, where: str = "") -> ValueError:
    return ValueError(
        f"Feature {name!r} has a missing value {value!r}{where}, and missing='raise' "
        "(missing='ignore', the default, reads NaN and None as an absent feature)."
    )


def _row_values(x: dict, strict: bool = False) -> tuple[dict, np.ndarray]:
    """The row without its missing values, and its values as float64.

    A NaN or None value is a missing feature, as an absent key is (``strict``: a
    ValueError instead); anything else that is not a finite number within MAX_ABS is
    a ValueError naming the first bad feature. The row itself comes back when
    nothing is missing.
    """
    try:
        values = np.fromiter(x.values(), dtype=float, count=len(x))
        ok = (
            bool(np.isfinite(values).all())
            and not any(map(_is_text, x.values()))
            and np.abs(values).max(initial=0.0) <= MAX_ABS
        )
    except (TypeError, ValueError):
        ok = False
    if ok:
        return x, values
    kept = {}
    for name, v in x.items():
        if _is_missing(v):
            if strict:
                raise _missing_error(name, v)
            continue
        if isinstance(v, _TEXT) or not isinstance(v, numbers.Real | np.bool_):
            raise ValueError(f"Feature {name!r} has a non-numeric value {v!r}; {_NON_NUMERIC}")
        if not math.isfinite(float(v)):
            raise ValueError(f"Feature {name!r} has a non-finite value {v!r} (NaN or inf).")
        if abs(float(v)) > MAX_ABS:
            raise ValueError(
                f"Feature {name!r} has a value too large: {v!r} (at most {MAX_ABS:g} in "
                "absolute value is accepted; such a value is usually a sentinel)."
            )
        kept[name] = v
    return kept, np.fromiter(kept.values(), dtype=float, count=len(kept))


def _sort_key(name: Any) -> tuple[str, str]:
    return type(name).__name__, repr(name)


def _extend_v(V: torch.Tensor, d_new: int, generator: torch.Generator) -> torch.Tensor:
    """Rows for new inputs of the fixed projection ``V`` (d, r), keeping the old rows.

    While there are fewer than ``r`` rows, the rows are orthonormal: new rows are
    completed orthonormally (random, projected off the old ones). Beyond ``r``, the
    first ``r`` rows form an orthogonal matrix, so the columns are orthonormal and
    zero rows keep them so (a new input then has no fast-weight term).
    """
    d_old, r = V.shape
    V = V.double()
    n_fill = max(0, min(d_new, r) - d_old)
    rows = [V]
    if n_fill:
        G = torch.randn(n_fill, r, generator=generator, dtype=torch.float64)
        G = G - (G @ V.T) @ V
        q, _ = torch.linalg.qr(G.T)  # (r, n_fill), orthonormal columns
        rows.append(q.T)
    rows.append(torch.zeros(d_new - d_old - n_fill, r, dtype=torch.float64))
    return torch.cat(rows)


def _grow_cell(cell: DREAMCell | None, d_new: int, hidden_dim: int, rank: int, config: dict, seed):
    """A cell with ``d_new`` inputs; the old cell's weights kept for its inputs.

    New weights are drawn from a generator seeded with ``(seed, d_new)``: the result
    depends only on the seed and the growth history (and no global generator moves).
    """
    build = partial(DREAMCell, d_new, hidden_dim, rank=rank, **config)
    new = _seeded(build, seed * 1009 + d_new).double()
    generator = torch.Generator().manual_seed(seed * 1013 + d_new)
    if cell is None:
        return new
    d_old = cell.config.input_dim
    with torch.no_grad():
        new.B[:d_old] = cell.B
        new.W[:d_old] = cell.W
        new.C[:, :d_old] = cell.C
        for name in ("eta", "tau0", "alpha", "gamma", "kappa", "tau_sys", "scale"):
            getattr(new, name).copy_(getattr(cell, name))
        new.V.copy_(_extend_v(cell.V, d_new, generator))
    return new


class _DREAMOnline:
    """The online machinery; the classifier and regressor add their readout's loss."""

    # Set by subclasses.
    _task: str

    # Defaults for estimators pickled before these existed (set again by _build).
    _held_slots = np.zeros(0, dtype=np.intp)
    _loaded_names: list | None = None
    _warn: ADWIN | None = None
    _drift: ADWIN | None = None
    n_drifts_ = 0
    _reads_diff = False
    _boost = _BOOST  # how much larger a fresh readout's step starts (drift_recovery)
    _fresh_rows = 0
    _prev_u: np.ndarray | None = None
    missing = "ignore"
    advance_on_predict = False
    _pending: dict = {}
    _running = False  # whether a slot of _n_over is nonzero
    cell = "random"
    _proj: np.ndarray | None = None  # cell="pretrained": slots -> the cell's inputs

    def __setstate__(self, state: dict) -> None:
        """Unpickle, giving an estimator pickled before issue 12 what it lacks."""
        self.__dict__.update(state)
        if "_stat_mean" in state and "_n_over" not in state:
            self._n_over = np.zeros(self._stat_mean.shape, dtype=np.intp)
            half = _WINSOR * np.sqrt(self._stat_var[0])  # surely seen: within the clip
            self._range = np.array([self._stat_mean[0] - half, self._stat_mean[0] + half])
            self._warming = True
            self._pending, self._pending_rows, self._pending_seq = {}, OrderedDict(), 0
            self._cache = None

    # ------------------------------------------------------------------ parameters

    def _validate_params(self) -> None:
        owner = type(self).__name__
        for name in _CELL_PARAMS:
            _check_cell_param(owner, name, getattr(self, name))
        _check_params(owner, _RULES, self)
        _pretrained.check(self)
        cp = self.cell_params
        if cp is not None:
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
        return hasattr(self, "cell_")

    def _build(self) -> None:
        """Validate the parameters and create the empty fitted state (first learn)."""
        self._validate_params()
        cell_params = dict(self.cell_params or {})
        config = DREAMConfig(1, self.hidden_dim, self.rank, **cell_params)
        self._config = {k: getattr(config, k) for k in cell_params}  # plain Python values
        if self.seed is None:
            self._seed = random.SystemRandom().randrange(2**31)
        else:
            self._seed = int(self.seed) % (2**31)
        n_out = 1 if self._task == "regression" else 0
        n = self.hidden_dim
        self.cell_: DREAMCell | None = None
        self._np_params = None
        self._state: tuple | None = None
        self._x_slot: dict = {}  # feature name -> slot
        self._y_slot: dict = {}  # class label (or None for a regressor) -> slot
        self._cell_slots = np.zeros(0, dtype=np.intp)  # slots that feed the cell, in order
        self._count = np.zeros(0)
        # Slots whose statistics _load_core set (a trained cell's standardisation):
        # averaged with rate 1/count, no floor, and not clipped. Features of a
        # DataFrame fit, by name (to refuse rows keyed by position), or None.
        self._held_slots = np.zeros(0, dtype=np.intp)
        self._loaded_names = None
        # Running statistics, one row per scaling: the fast one (standardize_rate),
        # then with slow_rate the slow one that the readout's linear term reads.
        floors = [self.standardize_rate] + ([] if self.slow_rate is None else [self.slow_rate])
        self._floors = np.array(floors, dtype=float)[:, None]
        self._stat_mean = np.zeros((len(floors), 0))
        self._stat_var = np.zeros((len(floors), 0))
        self._stat_scale = np.zeros((len(floors), 0))  # 1 / std, 0 for a slot never seen
        self._n_over = np.zeros((len(floors), 0), dtype=np.intp)  # rows out of bounds running
        self._range = np.zeros((2, 0))  # per slot: the least and largest value taken
        self._warming = False  # whether a slot has fewer than _WINSOR_MIN values
        self._prev_y = None  # raw values of the target slots at the next step (or None)
        self._knots = (
            np.linspace(-1.5, 1.5, self.n_knots) if self.n_knots > 1 else np.zeros(self.n_knots)
        )
        # Readouts: one weight array (J, k, F) over phi = [h, u, ramps, pairs, diff, 1]
        self._heads = tuple(self._readout_names())
        self._head_lr = self.learning_rate * np.array([_READOUTS[r][1] for r in self._heads])
        self._W = np.zeros((len(self._heads), n_out, n + 1))
        self._pairs = np.zeros((2, 0), dtype=np.intp)  # ramp indices of each pair feature
        self._paired_slots: list = []  # slots whose ramps have pair features
        self._ones = np.ones((1, 1))
        self._reads_diff = any("diff" in _READOUTS[r][0] for r in self._heads)
        self._prev_u = None  # the last learned row's fast-scaled slots (for "diff")
        self._head_mask = self._mask()
        # drift_recovery: the two detectors over the mixture's loss (see _watch).
        self._weights = np.full(len(self._heads), 1.0 / len(self._heads))  # the mixture
        self._warn = self._drift = None
        if self.drift_recovery:
            self._warn, self._drift = self._adwin(_WARN_DELTA), self._adwin(_DRIFT_DELTA)
        self.n_drifts_ = 0
        self._age = np.full(len(self._heads), np.inf)  # rows since each readout started
        self._fresh_rows = 0  # rows left before the youngest readout stops being fresh
        self._version = 0
        self._cache = None
        self._dt_row = None  # np.full(1, time_step), built on the first step
        # advance_on_predict: rows the cell advanced on, waiting for their label.
        # _pending: row key -> deque of sequence numbers (oldest first);
        # _pending_rows: sequence number -> (row key, what learn_one needs), oldest first.
        self._pending = {}
        self._pending_rows: OrderedDict = OrderedDict()
        self._pending_seq = 0
        self._running = False  # whether a slot of _n_over is nonzero
        self.n_steps_ = 0
        self.last_surprise_ = float("nan")
        self.last_tau_ = float("nan")

    # ------------------------------------------------------------------ slots

    @property
    def _mean(self) -> np.ndarray:
        """The fast scaling's running mean per slot (a view)."""
        return self._stat_mean[0]

    @property
    def _var(self) -> np.ndarray:
        return self._stat_var[0]

    @property
    def _scale(self) -> np.ndarray:
        return self._stat_scale[0]

    @property
    def _slow(self) -> bool:
        """Whether the readout's linear term reads a second, slow scaling."""
        return len(self._floors) > 1

    @property
    def features_(self) -> list:
        """The features seen so far, in slot order."""
        return list(self._x_slot) if self._built else []

    def _add_slots(self, keys: list, table: dict, to_cell: bool) -> None:
        m = len(self._mean)
        for i, key in enumerate(keys):
            table[key] = m + i
        k = len(keys)
        self._count = np.concatenate([self._count, np.zeros(k)])
        zeros = np.zeros((len(self._floors), k))
        self._stat_mean = np.concatenate([self._stat_mean, zeros], axis=1)
        self._stat_var = np.concatenate([self._stat_var, zeros], axis=1)
        self._stat_scale = np.concatenate([self._stat_scale, zeros], axis=1)
        self._n_over = np.concatenate([self._n_over, zeros.astype(np.intp)], axis=1)
        far = np.full((2, k), np.inf)
        far[1] = -np.inf
        self._range = np.concatenate([self._range, far], axis=1)
        self._warming = True
        self._grow_readouts(m, k, paired=table is self._x_slot)
        if self._prev_y is not None:
            self._prev_y = np.concatenate([self._prev_y, np.zeros(k)])
        self._ys = np.fromiter(self._y_slot.values(), dtype=np.intp, count=len(self._y_slot))
        if to_cell:
            self._cell_slots = np.concatenate([self._cell_slots, np.arange(m, m + k)])
            self._resize_cell(len(self._cell_slots))
        self._version += 1

    def _readout_names(self) -> tuple:
        """The readouts this estimator trains (the regressor: its one readout)."""
        return ("cell",)

    def _blocks(self) -> dict:
        """``{block: slice}`` of ``phi = [h, u, ramps, pairs, diff, 1]``.

        (A readout that reads ``"x"`` reads the features' slots of ``u``: see _mask.)
        """
        n, m = self.hidden_dim, len(self._mean)
        sizes = [("h", n), ("u", m), ("ramps", m * len(self._knots))]
        sizes += [("pairs", self._pairs.shape[1]), ("diff", m if self._reads_diff else 0)]
        sizes.append(("bias", 1))
        out, start = {}, 0
        for name, size in sizes:
            out[name] = slice(start, start + size)
            start += size
        return out

    def _mask(self) -> np.ndarray:
        """(J, F): 1 where readout j reads feature f of ``phi`` (the bias always)."""
        blocks = self._blocks()
        mask = np.zeros((len(self._heads), blocks["bias"].stop))
        features = blocks["u"].start + np.fromiter(self._x_slot.values(), dtype=np.intp)
        for j, name in enumerate(self._heads):
            for block in (*_READOUTS[name][0], "bias"):
                mask[j, features if block == "x" else blocks[block]] = 1.0
        return mask

    def _grow_readouts(self, m_old: int, k: int, paired: bool) -> None:
        """Zero weights for ``k`` new slots (after ``m_old``): their ``u``, ramps, pairs.

        With a ``"pairs"`` readout and ``paired`` (feature slots, not target ones),
        each new ramp gets a pair feature with every ramp of an earlier paired slot,
        in order, up to ``max_pairs`` in all.
        """
        n, n_k = self.hidden_dim, len(self._knots)
        p_old = self._pairs.shape[1]
        at_u, at_ramps = n + m_old, n + m_old + m_old * n_k
        at_pairs = at_ramps + p_old
        new_pairs: list = []
        room = self.max_pairs - p_old if "pairs" in self._heads and paired else 0
        for s in range(m_old, m_old + k) if room > 0 else ():
            for b in range(s * n_k, (s + 1) * n_k):
                for t in self._paired_slots:
                    new_pairs += [(a, b) for a in range(t * n_k, (t + 1) * n_k)]
            self._paired_slots.append(s)
            if len(new_pairs) >= room:
                new_pairs = new_pairs[:room]
                break
        if new_pairs:
            self._pairs = np.concatenate([self._pairs, np.array(new_pairs, dtype=np.intp).T], 1)
        at = [at_u] * k + [at_ramps] * (k * n_k) + [at_pairs] * len(new_pairs)
        if self._reads_diff:
            at += [self._W.shape[2] - 1] * k  # before the bias
        self._W = np.insert(self._W, at, 0.0, axis=2)
        self._head_mask = self._mask()

    def _resize_cell(self, d_new: int) -> None:
        if self.cell == "pretrained":  # a fixed cell; its input map grows instead
            _pretrained.attach(self, d_new)
            return
        old = self.cell_
        self.cell_ = _grow_cell(old, d_new, self.hidden_dim, self.rank, self._config, self._seed)
        self._np_params = self.cell_.numpy_step_params()
        if self._state is None:
            zeros = DREAMState.zeros(1, d_new, self.hidden_dim, self.rank, dtype=torch.float64)
            self._state = tuple(t.numpy().copy() for t in zeros)
        else:
            h, U, Ut, em, ev, sb = self._state
            k = d_new - em.shape[1]
            em = np.concatenate([em, np.zeros((1, k))], axis=1)
            ev = np.concatenate([ev, np.ones((1, k))], axis=1)
            self._state = (h, U, Ut, em, ev, sb)

    def _register_features(self, x: dict) -> None:
        new = [k for k in x if k not in self._x_slot]
        if new:
            self._check_new_keys(new)
            self._add_slots(sorted(new, key=_sort_key), self._x_slot, to_cell=True)

    def _check_new_keys(self, keys: list) -> None:
        """Refuse rows keyed by position when the loaded cell's features have names."""
        names = self._loaded_names
        if names is None:
            return
        positions = [k for k in keys if _is_int(k) and 0 <= k < len(names)]
        if positions:
            raise ValueError(
                f"x has keys {positions!r} that look like column positions, but this model "
                "was converted from an estimator fitted on a DataFrame: its features are "
                f"named {names!r}. Key each row by those names (e.g. "
                "dict(zip(feature_names_in_, row)))."
            )

    # Task hooks, defined by the classifier and the regressor:
    # _check_target(y) -> value; _new_targets(value) -> list; _add_targets(list);
    # _link(z (..., J, k)) -> the readouts' outputs (softmax, or identity);
    # _readout_step(out (J, k), value, phi (F,)) -> (J, k) step on each readout's output;
    # _update_target_stats(value); _target_raw(value) -> (m,) raw target slots.

    def _add_target_slots(self, keys: list) -> None:
        """Slots for the previous target (with ``feedback``), in the cell if 'cell'."""
        if self.feedback != "none":
            self._add_slots(keys, self._y_slot, to_cell=self.feedback == "cell")

    # ------------------------------------------------------------------ forward

    def _raw(self, x: dict, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw slot values and presence for one row (features not seen are dropped)."""
        m = len(self._mean)
        raw = np.zeros(m)
        present = np.zeros(m)
        get = self._x_slot.get
        idx = [get(k, -1) for k in x]
        if -1 in idx:
            self._check_new_keys([k for k, j in zip(x, idx, strict=True) if j < 0])
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

    def _standardise(self, raw: np.ndarray, present: np.ndarray) -> np.ndarray:
        """The row(s) as the cell and the readout read them: ``[u, slow u, ramps]``.

        ``u`` (..., m) is the fast scaling of every slot (what the cell reads); with
        ``slow_rate``, the slow scaling follows; with ``n_knots``, the ramps of ``u``.
        """
        z = (raw[..., None, :] - self._stat_mean) * self._stat_scale  # (..., S, m)
        far = np.abs(z[..., 0, :]) > _SET_ASIDE_BOUND
        if np.count_nonzero(far):  # set aside: read as missing (see _update_stats)
            present = present * ~(far & self._set_aside(raw, self._n_over[0] + 1))
        held = self._held_slots
        unclipped = z[..., held] if len(held) else None
        np.maximum(z, -_CLIP, out=z)
        np.minimum(z, _CLIP, out=z)
        if unclipped is not None:
            z[..., held] = unclipped  # a trained cell reads its inputs as in training
        z *= present[..., None, :]
        u = z.reshape(*raw.shape[:-1], -1)
        if len(self._knots):
            u = np.concatenate([u, self._expand(z[..., 0, :])], axis=-1)
        return u

    def _lin(self) -> int:
        """Where the readout's linear inputs start in the standardised row."""
        return len(self._mean) if self._slow else 0

    def _step(self, u: np.ndarray, state: tuple | None) -> tuple:
        """One cell step for rows ``u`` (b, m) from ``state`` (batch b or 1).

        Before any input reaches the cell (no feature yet), ``h`` is zero.
        """
        if self.cell_ is None:
            b = u.shape[0]
            h = np.zeros((b, self.hidden_dim))
            return (h, None, None, None, None, None, np.zeros(b), np.full(b, np.nan))
        xc = u[:, self._cell_slots]
        if self._proj is not None:
            xc = xc @ self._proj
        dt = self.cell_.config.time_step
        if xc.shape[0] == 1:  # the single-row path: one dt array for every row
            if self._dt_row is None or self._dt_row[0] != dt:
                self._dt_row = np.full(1, dt)
            dt = self._dt_row
        return self.cell_.numpy_step(self._np_params, xc, state, dt)

    def _expand(self, u: np.ndarray) -> np.ndarray:
        """Fixed ramps of each standardised slot at ``n_knots`` thresholds, (..., m * K)."""
        ramps = np.tanh(_RAMP * (u[..., None] - self._knots))
        ramps *= _RAMP_SCALE
        return ramps.reshape(*u.shape[:-1], -1)

    def _features(self, h: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``phi = [h, u, ramps, pairs, diff, 1]`` (b, F) from the cell's ``h`` and the row."""
        a = self._lin()
        parts = [h, u[:, a:]]
        if self._pairs.shape[1]:
            ramps = u[:, a + len(self._mean) :]
            if len(ramps) == 1:  # one row: 1-D indexing costs half as much
                ramps = ramps[0]
            pairs = ramps[..., self._pairs[0]]
            pairs *= ramps[..., self._pairs[1]]
            pairs *= _PAIR_SCALE
            parts.append(pairs.reshape(len(h), -1))
        if self._reads_diff:  # the fast-scaled slots' change since the previous row
            m, prev = len(self._mean), self._prev_u
            if prev is None:
                parts.append(np.zeros((len(h), m)))
            else:
                parts.append(u[:, :m] - np.pad(prev, (0, m - len(prev))))
        parts.append(self._ones if h.shape[0] == 1 else np.ones((h.shape[0], 1)))
        return np.concatenate(parts, axis=1)

    def _readout(self, h: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every readout's output after the task's link (b, J, k), and ``phi`` (b, F)."""
        phi = self._features(h, u)
        J, k, F = self._W.shape
        return self._link((phi @ self._W.reshape(J * k, F).T).reshape(-1, J, k)), phi

    def _forward_one(self, x: dict, values: np.ndarray):
        """(raw, present, u, step) for one row, from the committed state (pure)."""
        raw, present = self._raw(x, values)
        u = self._standardise(raw, present)[None, :]
        return raw, present, u, self._step(u, self._state)

    def _strict(self) -> bool:
        return self.missing == "raise"

    def _predict_raw_one(self, x: dict) -> np.ndarray | None:
        """Readout output for one row (cached for a following learn_one), or None.

        With ``advance_on_predict``, the cell's step on the row is committed (once:
        the same row again with nothing learned in between reads the cache).
        """
        row, values = _row_values(x, self._strict())
        if not self._built:
            return None
        cache = self._cache
        if cache is not None and cache[0] == self._version and cache[1] == x:
            return cache[3][0]
        fwd = self._forward_one(row, values)
        out, phi = self._readout(fwd[3][0], fwd[2])
        advance = bool(self.advance_on_predict)
        if advance:
            self._advance(row, fwd)
        # (version, the row as given, the step, the readouts, the row without its
        # missing values, whether the step is committed already)
        self._cache = (self._version, dict(x), fwd, (out[0], phi[0]), row, advance)
        return out[0]

    def _advance(self, row: dict, fwd: tuple) -> None:
        """Commit the cell's step on ``row`` before its label (advance_on_predict).

        What the readouts' step needs later is kept under the row's key; the
        running statistics take in the row now, as learn_one would.
        """
        raw, present, u, step = fwd
        self._commit(raw, present, step)
        prev = self._prev_u  # what the "diff" block read this row against
        if self._reads_diff:
            self._prev_u = u[0, : len(self._mean)].copy()
        self._version += 1
        key = _row_key(row)
        seq = self._pending_seq
        self._pending_seq += 1
        self._pending.setdefault(key, deque()).append(seq)
        h, surprise = step[0], float(step[6][0])
        self._pending_rows[seq] = (key, (h, u, raw, present, surprise, prev))
        if len(self._pending_rows) > _MAX_PENDING:
            _, (old_key, _) = self._pending_rows.popitem(last=False)
            self._pop_seq(old_key)

    def _pop_seq(self, key: tuple) -> int:
        seqs = self._pending[key]
        seq = seqs.popleft()
        if not seqs:
            del self._pending[key]
        return seq

    def _take_pending(self, row: dict):
        """The oldest row advanced on and not yet learned with ``row``'s key, or None."""
        key = _row_key(row)
        if key not in self._pending:
            return None
        return self._pending_rows.pop(self._pop_seq(key))[1]

    def _pending_step(self, entry: tuple, row: dict) -> tuple:
        """(out, phi, surprise) of a row advanced on, under the readouts now.

        The standardised row is the one the cell read. Slots added since (new
        features of ``row``, new classes) read 0, as a slot seen fewer than twice
        does, and their running statistics take in this row, as learn_one would
        have done had the row not been advanced on.
        """
        h, u, raw, _, surprise, prev = entry
        m_then, m = len(raw), len(self._mean)
        if m > m_then:
            values = np.fromiter(row.values(), dtype=float, count=len(row))
            raw, present = self._raw(row, values)
            present[:m_then] = 0.0
            self._update_stats(raw, present)
            S = len(self._floors)
            z = np.zeros((S, m))
            z[:, :m_then] = u[0, : S * m_then].reshape(S, m_then)
            parts = [z.reshape(-1), u[0, S * m_then :]]
            if len(self._knots):
                parts.append(self._expand(np.zeros(m - m_then)))
            u = np.concatenate(parts)[None, :]
        now, self._prev_u = self._prev_u, prev  # "diff" as it was when the row was read
        try:
            out, phi = self._readout(h, u)
        finally:
            self._prev_u = now
        return out[0], phi[0], surprise

    def _predict_raw_many(self, X: pd.DataFrame) -> np.ndarray | None:
        """Readout outputs (b, J, k) for each row, each one step from the committed state."""
        values, present_cols = _frame_values(X, self._strict())
        if not self._built or len(X) == 0:
            return None
        cols = [self._x_slot.get(c, -1) for c in X.columns]
        if -1 in cols:
            self._check_new_keys([c for c, j in zip(X.columns, cols, strict=True) if j < 0])
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
        return self._readout(step[0], u)[0]

    # ------------------------------------------------------------------ learning

    def _learn(self, x: dict, y) -> None:
        cache = getattr(self, "_cache", None)
        hit = cache is not None and cache[0] == self._version and cache[1] == x
        # Validate before anything changes (a cached row was validated by predict).
        row, values = (cache[4], None) if hit else _row_values(x, self._strict())
        y_value = self._check_target(y)
        hit = hit and not cache[5]
        if not self._built:
            self._build()
        version = self._version
        self._register_features(row)
        new_targets = self._new_targets(y_value)
        if new_targets:
            self._add_targets(new_targets)
        # A row the cell advanced on at predict time (advance_on_predict) is not
        # stepped again: the readouts learn from what it read then.
        entry = self._take_pending(row) if self._pending else None
        if entry is not None:
            out, phi, surprise = self._pending_step(entry, row)
        else:
            if hit and version == self._version:
                (raw, present, u, step), (out, phi) = cache[2], cache[3]
            else:
                if values is None:
                    row, values = _row_values(row)
                raw, present, u, step = self._forward_one(row, values)
                out, phi = self._readout(step[0], u)
                out, phi = out[0], phi[0]
            surprise = float(step[6][0])
        self._cache = None
        # (J, k): each readout's loss gradient on its output; the mixture's loss
        g, loss = self._readout_step(out, y_value, phi)
        lr, mask = self._head_lr, self._head_mask
        reps = len(self._W) // len(lr)
        if reps > 1:  # more generations of readouts, and background ones, alongside
            lr, mask = np.tile(lr, reps), np.tile(mask, (reps, 1))
        # Surprise-modulated plasticity of the readout: a larger step when surprised.
        gain = 1.0 + self.surprise_gain * surprise if surprise == surprise else 1.0
        if self._fresh_rows:  # a larger step for fresh readouts (drift_recovery)
            boost = _BOOST_ROWS / (_BOOST_ROWS + self._age) - _BOOST_ROWS / (
                _BOOST_ROWS + _FRESH_ROWS
            )
            lr = lr * (1.0 + self._boost * np.maximum(boost, 0.0))
            self._age += 1
            self._fresh_rows -= 1
        g *= (gain * lr)[:, None]
        if self.l2:  # weight decay, the bias excepted
            self._W[:, :, :-1] *= (1.0 - gain * lr * self.l2)[:, None, None]
        self._W -= g[:, :, None] * (mask * phi)[:, None, :]
        if self._drift is not None:
            self._watch(loss)
        if entry is None:
            self._commit(raw, present, step)
        self._update_target_stats(y_value)
        if self._y_slot:
            self._prev_y = self._target_raw(y_value)
        if self._reads_diff and entry is None:  # (advanced rows set it when read)
            self._prev_u = u[0, : len(self._mean)].copy()
        self.n_steps_ += 1
        self._version += 1

    def _adwin(self, delta: float) -> ADWIN:
        return ADWIN(delta=delta, clock=_CLOCK)

    def _watch(self, loss: float) -> None:
        """``drift_recovery``: feed the mixture's loss on this row to the detectors.

        ``_W`` holds the mixture's readouts (one or two generations of ``J``, as many
        as ``_weights``), then, after a warning, ``J`` background readouts. A rise of
        the loss flagged by the warning detector starts background readouts (zero
        weights, learning alongside; a later warning restarts them); one flagged by
        the drift detector takes them into the mixture as a new generation (zero
        readouts if no warning came first), beside the generation the mixture trusts
        more (ARF swaps a background tree in; here the old one stays until the
        mixture gives up on it: see _drop_generation).
        """
        J, M = len(self._heads), len(self._weights)
        before = self._warn.estimation
        self._warn.update(loss)
        if self._warn.drift_detected and self._warn.estimation > before:
            self._W = np.concatenate([self._W[:M], np.zeros_like(self._W[:J])])
            self._age = np.concatenate([self._age[:M], np.zeros(J)])
            self._fresh_rows = _FRESH_ROWS
            self._warn = self._adwin(_WARN_DELTA)
        before = self._drift.estimation
        self._drift.update(loss)
        if self._drift.drift_detected and self._drift.estimation > before:
            if len(self._W) > M:
                fresh, age = self._W[M:], self._age[M:]
            else:
                fresh, age = np.zeros_like(self._W[:J]), np.zeros(J)
                self._fresh_rows = _FRESH_ROWS
            w = self._weights
            keep = slice(0, J) if M == J or w[:J].sum() >= w[J:].sum() else slice(J, M)
            self._W = np.concatenate([self._W[keep], fresh])
            self._age = np.concatenate([self._age[keep], age])
            kept = w[keep] * (1.0 - _FRESH_SHARE) / w[keep].sum()
            self._weights = np.concatenate([kept, np.full(J, _FRESH_SHARE / J)])
            self._warn, self._drift = self._adwin(_WARN_DELTA), self._adwin(_DRIFT_DELTA)
            self.n_drifts_ += 1
        elif M > J:
            self._drop_generation()

    def _drop_generation(self) -> None:
        """Of two generations of readouts, drop one the mixture has given up on."""
        J, w = len(self._heads), self._weights
        total = w[:J].sum()
        if min(total, 1.0 - total) < _DROP:
            gone = slice(0, J) if total < 0.5 else slice(J, 2 * J)
            keep = np.ones(len(self._W), dtype=bool)
            keep[gone] = False
            self._W, self._age = self._W[keep], self._age[keep]
            w = np.delete(w, np.arange(len(w))[gone])
            self._weights = w / w.sum()

    def _commit(self, raw: np.ndarray, present: np.ndarray, step: tuple) -> None:
        """Commit the cell's step and the running statistics of what this step saw."""
        if self.cell_ is not None:
            self._state = step[:6]
        self.last_surprise_ = float(step[6][0])
        self.last_tau_ = float(step[7][0])
        self._update_stats(raw, present)

    def _bounded(self, run: np.ndarray, row: int | slice = slice(None)) -> np.ndarray:
        """Where scaling ``row``'s statistics bound a value (_WINSOR), given ``run``,
        the number of rows running, this one included, that were out of bounds."""
        ok = (self._stat_var[row] > _VAR_EPS) & (self._count >= _WINSOR_MIN)
        ok &= run <= _WINSOR_RUN
        if len(self._held_slots):
            ok[..., self._held_slots] = False
        return ok

    def _set_aside(self, raw: np.ndarray, run: np.ndarray) -> np.ndarray:
        """Where a value beyond _SET_ASIDE is read as missing (and left out of the
        range): bounded, and outside the range taken so far widened by its width."""
        lo, hi = self._range
        width = hi - lo
        out = (raw > hi + width) | (raw < lo - width)
        return out & self._bounded(run, 0)

    def _widen(self, raw: np.ndarray, where: np.ndarray) -> None:
        """Take ``raw``'s values into each slot's range, ``where`` True.

        The range holds the values of a slot's first _WINSOR_MIN rows and those
        out of bounds that were taken (the others lie within 5 stds of the mean).
        """
        lo, hi = self._range
        np.minimum(lo, raw, out=lo, where=where)
        np.maximum(hi, raw, out=hi, where=where)

    def _update_stats(self, raw: np.ndarray, present: np.ndarray) -> None:
        """Running mean/var: Welford (rate 1/n) until 1/n falls below the EMA rate.

        Every scaling at once (one row each): fast, and with ``slow_rate`` slow.
        """
        delta = raw - self._stat_mean
        var = self._stat_var
        # Winsorised update (see _WINSOR): one row far outside what has been seen
        # cannot take over the scaling; a run of them (a real shift) can.
        over = np.abs(delta)
        over *= self._stat_scale
        over = over > _WINSOR_BOUND
        if np.count_nonzero(over):
            seen = present > 0
            over &= seen
            run = self._n_over
            run += over
            run *= over | ~seen  # a slot absent from the row keeps its run
            self._running = bool(run.any())
            aside = np.abs(delta[0]) * self._stat_scale[0] > _SET_ASIDE_BOUND
            aside &= self._set_aside(raw, run[0])
            self._widen(raw, over[0] & ~aside)  # the values out of bounds taken
            over &= self._bounded(run)
            delta = np.where(over, np.copysign(_WINSOR * np.sqrt(var), delta), delta)
        elif self._running:
            self._n_over *= present <= 0
            self._running = bool(self._n_over.any())
        count = self._count
        count += present
        if self._warming:  # the values of a slot's first _WINSOR_MIN rows
            self._widen(raw, present > 0)
            self._warming = bool(np.count_nonzero(count < _WINSOR_MIN))
        rate = np.maximum(1.0 / np.maximum(count, 1.0), self._floors)  # (S, m)
        held = self._held_slots
        if len(held):  # a loaded cell's statistics stay as trained
            rate[:, held] = 0.0
        rate *= present
        self._stat_mean += rate * delta
        var += rate * delta * delta
        var *= 1.0 - rate
        self._stat_scale = (count > 1) / np.sqrt(var + _VAR_EPS)

    # ------------------------------------------------------------------ mini-batches

    def _learn_frame(self, X: pd.DataFrame, y) -> None:
        # Validate every row and target before learning any.
        values, present = _frame_values(X, self._strict())
        cols = list(X.columns)
        ys = list(_aligned_targets(X, y))
        if len(ys) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(ys)} values.")
        for value in ys:
            self._check_target(value)
        if self._built:
            self._check_new_keys([c for c in cols if c not in self._x_slot])
        for i in range(len(X)):
            row = {c: values[i, j] for j, c in enumerate(cols) if present[i, j]}
            self._learn(row, ys[i])

    # ------------------------------------------------------------------ seam

    def _load_core(
        self,
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
        those positions are refused.
        For a classifier, set the classes first with :meth:`_add_targets`.
        """
        if self.feedback == "cell":
            raise ValueError("_load_core needs feedback='readout' or 'none'.")
        if not self._built:
            self._build()
        if self._x_slot or self.cell_ is not None:
            raise ValueError("_load_core must be called on an estimator that has not learned.")
        d = len(features)
        if cell.config.input_dim != d:
            raise ValueError(f"The cell takes {cell.config.input_dim} inputs, not {d}.")
        self._add_slots(list(features), self._x_slot, to_cell=False)
        slots = np.array([self._x_slot[f] for f in features], dtype=np.intp)
        self._cell_slots = slots
        self.cell_ = copy.deepcopy(cell).double()  # never alter the caller's module
        self._np_params = self.cell_.numpy_step_params()
        st = cell.initial_state(1, dtype=torch.float64) if state is None else state
        self._state = tuple(t.detach().double().numpy().copy() for t in st)
        reads_h = [j for j, r in enumerate(self._heads) if "h" in _READOUTS[r][0]]
        if head_weight is not None:
            self._W[reads_h, :, : self.hidden_dim] = np.asarray(head_weight, dtype=float)
        if head_bias is not None:
            self._W[:, :, -1] = np.asarray(head_bias, dtype=float)
        # Every scaling (fast, and slow with slow_rate) starts from these statistics.
        if x_mean is not None:
            self._stat_mean[:, slots] = x_mean
        if x_scale is not None:
            self._stat_var[:, slots] = np.asarray(x_scale, dtype=float) ** 2
            self._stat_scale[:, slots] = 1.0 / np.asarray(x_scale, dtype=float)
        if x_mean is not None or x_scale is not None:
            self._count[slots] = np.inf  # never "seen once": the scale is in use
            self._held_slots = slots
        if any(not (_is_int(f) and f == i) for i, f in enumerate(features)):
            self._loaded_names = list(features)
        self._version += 1

    def memory(self) -> DREAMState | None:
        """The cell's committed fast state as a :class:`DREAMState` (batch 1), or None."""
        if not self._built or self._state is None:
            return None
        return DREAMState(*(torch.from_numpy(s.copy()) for s in self._state))


def _aligned_targets(X: pd.DataFrame, y: Any) -> Any:
    """``y`` in the order of ``X``'s rows: a Series is matched by its index, as river's
    ``learn_many(X, y)`` means it (the same index); anything else is read by position.
    """
    if not isinstance(y, pd.Series) or y.index.equals(X.index):
        return y
    if (
        len(y) == len(X)
        and X.index.is_unique
        and y.index.is_unique
        and set(y.index) == set(X.index)  # the same labels in another order
    ):
        return y.reindex(X.index)
    raise ValueError(
        "The index of y does not match the index of X: learn_many needs y to be a "
        "Series with the same index labels as the rows of X (in any order). Got X "
        f"index {list(X.index[:5])}{'...' if len(X) > 5 else ''} and y index "
        f"{list(y.index[:5])}{'...' if len(y) > 5 else ''}."
    )


def _row_key(row: dict) -> tuple:
    """A hashable key of a row's content (the same row, copied, has the same key)."""
    return tuple(row.items())


def _frame_values(X: pd.DataFrame, strict: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A frame's values (float64) and presence; NaN or None is a missing value
    (``strict``: a ValueError), inf an error."""
    for j, dtype in enumerate(X.dtypes):  # text, even "1.5", is not a number (as in a row)
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            text = np.fromiter(map(_is_text, X.iloc[:, j]), dtype=bool, count=len(X))
            if text.any():
                i = int(text.argmax())
                raise ValueError(
                    f"Feature {X.columns[j]!r} has a non-numeric value {X.iat[i, j]!r} "
                    f"(row {X.index[i]!r}); {_NON_NUMERIC}"
                )
    try:
        values = X.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        for c in X.columns:
            try:
                X[c].to_numpy(dtype=float, na_value=np.nan)
            except (TypeError, ValueError) as err:
                raise ValueError(f"Feature {c!r} has non-numeric values; {_NON_NUMERIC}") from err
        raise
    present = ~np.isnan(values)
    if strict and not present.all():
        i, j = np.argwhere(~present)[0]
        raise _missing_error(X.columns[j], X.iat[i, j], f" (row {X.index[i]!r})")
    bad = np.isinf(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"Feature {X.columns[j]!r} has a non-finite value {float(values[i, j])!r} "
            f"(row {X.index[i]!r})."
        )
    big = np.abs(np.where(present, values, 0.0)) > MAX_ABS
    if big.any():
        i, j = np.argwhere(big)[0]
        raise ValueError(
            f"Feature {X.columns[j]!r} has a value too large: {float(values[i, j])!r} "
            f"(row {X.index[i]!r}; at most {MAX_ABS:g} in absolute value is accepted)."
        )
    return values, present
