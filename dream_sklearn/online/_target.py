"""The running statistics of the regressor's target (``DREAMOnlineRegressor``).

The regressor standardises its target as the input slots are standardised
(``_scaling``): a running mean and variance, Welford (rate 1/n) until 1/n falls below
``standardize_rate``; its first values tested by the slots' test
(``_scaling._first_outliers``); a glitch that ends undone as a slot's is. Its bounds
on a far value are its own (below): a far target is not read as missing, as a far
input value is, but set aside (nothing learns from it) while it is alone, winsorised
while its run is short, then taken in. Besides: the previous target (the
``"last"`` and ``"hold"`` readouts start from it) and the mean of every target seen
(the ``"average"`` readout's).

The state lives on the estimator, as the slots' does: ``_y_stats`` (one float64 array,
:data:`T_COUNT` to :data:`T_RUN`: the compiled row's ``TGT`` is this array, which its
learn kernel updates in place), the first targets ``_y_first`` and the kept statistics
of a glitch (``_y_undo``...). This mixin is its methods; the compiled row's learn kernel
computes the row's update (``_kernels.learn``) and leaves the rare cases (a target
set aside, the first targets, a glitch's undo) to :meth:`_TargetScaling._after_target_kernel`.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ._moments import _VAR_REL, _VAR_TINY, _moments_rate, _moments_step, _var_floor
from ._scaling import (
    _UNDO_ROWS,
    _WINSOR,
    _WINSOR_MIN,
    _WINSOR_RUN,
    _first_outliers,
    _replay,
)

__all__: list[str] = []

# ``_y_stats``: the count of targets taken in, their running mean and variance, the
# previous target and whether there is one, the mean of every target seen, the targets
# out of bounds running (_target_far), the typical change from one target to the next,
# the changes counted, the changes beyond its bound running, and the running standard
# deviation from before the far target that turned the mixture's spread on (0: off)
# (_step_update).
T_COUNT, T_MEAN, T_VAR, T_LAST, T_HAS_LAST, T_AVG, T_RUN = range(7)
T_STEP, T_STEPS, T_STEP_RUN, T_FAR_SD = range(7, 11)
N_STATS = 11

# Robust target statistics (docs/online.md, "Outliers"): once _Y_WARMUP targets are
# seen, a target more than _Y_ASIDE running standard deviations from the running mean
# is set aside: the readouts do not learn from it (nor does the mixture's weighting),
# and it enters neither the target's statistics, nor the mean of every target seen
# ("average"), nor the previous target ("last", "hold"). Only a lone row is set aside
# (_Y_RUN): a second target out of those bounds in a row is taken in, and so are the
# following ones (the 2nd and 3rd winsorised, see below; from the 4th in full).
# Chosen on the tuning half's regression streams
# (docs/online.md, "Outliers"): 5 set aside some of ChickWeights' early jumps (MAE 22.17
# against 22.02); 10 changes no stream's MAE but NoisyLevel's (Student t noise: 2 to 5
# rows of 5,000 set aside; mean MAE 1.0904 against 1.0912). _Y_RUN was 3 (the features'
# _WINSOR_RUN) until the report half showed what that costs a real series whose level
# leaves for several rows (WaterFlow's outages: MAE 0.962 against 0.681 without the
# rule; 0.770 with _Y_RUN = 1): the previous target is the forecast there, and each
# row set aside keeps it at the old level. That change was made with a report stream
# in view (docs/online.md, "Outliers").
# The rows of a run that are taken in while it is short (its 2nd to _WINSOR_RUN-th:
# the features' bound on a run) move the target's statistics (the running mean and
# variance, and the mean of every target seen) as a target _WINSOR standard
# deviations out on the same side would (a winsorised update, as the features'); from
# the run's (_WINSOR_RUN + 1)-th row on, in full. Without it a glitch two rows long (a
# sensor stuck at 1e30) wrecked the statistics for thousands of rows (the running
# standard deviation 7.9e23 after it). The previous target takes the value in full.
_Y_ASIDE = 10.0
_Y_RUN = 1
# The first _Y_WARMUP targets are kept and tested when they are all in, as a slot's
# first values are (_first_target).
_Y_WARMUP = 8
# Undoing a glitch of the target that ends, as a slot's (_scaling._UNDO_ROWS): on the
# row where a run of far targets is first taken in full (its (_WINSOR_RUN + 1)-th
# row), the target's statistics from before that row are kept (the running mean and
# variance, the mean of every target seen). Over the next _UNDO_ROWS targets, the
# first within _WINSOR standard deviations of the kept mean restores them (not the
# count) and is taken in on them: the run's targets leave the statistics (its 2nd and
# 3rd stay as winsorised updates). Else the run was a real shift and the kept
# statistics are dropped. Both paths run it in Python after the row's update. A
# glitch of up to _WINSOR_RUN + _UNDO_ROWS = 19 rows is undone (kept on its 4th row,
# 16 rows to come back).
# Without it a target stuck at 1e30 for 4 rows left predictions near 1e28 for
# thousands of rows (the running mean decays at standardize_rate). The features' rule
# waits for _WINSOR_RUN + 1 such values running; the target's cannot: every row read
# under the glitch's statistics is predicted on their scale (with 4, the three rows before the undo
# were predicted near 1e28 after a glitch at 1e30: MAE ratios 1e25 to 1e27 on the
# tuning half's regression streams, `benchmarks/online_robust.py --part regression`).
# A real shift of 10 standard deviations or more comes back within 5 of the old mean
# only by a swing of 5 of its own standard deviations.
_Y_UNDO_BACK = 1
# Departures from a constant target that were undone (_departs): the last _SPIKES_KEPT
# are kept, and a departure within _SPIKE_NEAR of its own distance from the constant
# of one of them recurs (taken in). A range of them, widened by its width, let in any
# value between two unrelated spikes: -1e6 and +1e6 undone, a later +5e5 was taken in
# at once, the mean 11.67 for a target of 3.0 350 rows later (review 136).
_SPIKES_KEPT = 8
_SPIKE_NEAR = 0.1
# The "last" readout keeps its size on the target's scale (_last_keeps_scale): it
# adds to the previous target a correction learned from how the inputs changed, in
# running standard deviations of the target. When a row's running update moves that
# standard deviation from s to s', its weights are multiplied by s / s', so that the
# correction it adds stays the same on the target's scale (as PopArt keeps a network's
# outputs when it rescales its targets: van Hasselt et al., 2016). Without it a level
# shift that inflates the standard deviation a hundredfold inflated the correction as
# much (online_robust.py --part levels: MAE 1.813 against the last value's 1.784 at
# amplitude 100, period 500; 1.637 with it). The running update of a row does it, on
# both paths; so does putting back the readouts copied before a run of far targets
# (_restore_readouts: from the scale of the copy to the scale now); a glitch's undo
# of the statistics alone and the first targets' test do not (in Python on both paths).
# Chosen on the tuning half's regression streams (docs/online.md, "Round 52: the
# "last" readout's scale"): no MAE moved by more than 0.13%; the same rescaling of every
# readout took ChickWeights' MAE from 21.96 to 22.23, above LinearRegression's.

# A far target like those that stayed (_shift_like): where a lone far target is set
# aside, the forecast of the next row stays at the old level, which costs a row of a
# real level shift in full (the levels stream: of DREAM's excess over the last value,
# about 1,000 per switch of 1,000, nearly all of it, on the row after each switch). So
# the outcome of each far target that starts a run is kept (the latest _FAR_KEPT):
# its distance from the running mean in running standard deviations, and whether the
# next target stayed near it (nearer to it than to the mean before it). A far target
# within a factor _FAR_NEAR of the distance of such targets, most of which stayed, is
# taken in as a run's second row is (winsorised, the previous target in full, the
# readouts learning from it), not set aside; with none near, it is set aside as
# before. A glitch far beyond the shifts seen (1e30) is still set aside.
_FAR_KEPT = 8
_FAR_NEAR = 2.0
_LOG_NEAR = math.log(_FAR_NEAR)
# Such a shift, more than _SETTLE running standard deviations out, whose next target
# stayed too, settles the target's statistics at once (_settle_shift): the running
# mean at the mean of the two targets, the variance theirs or the one before the run,
# whichever is larger. _SETTLE is the forecast's own bound (_regressor._FAR_FORECAST,
# which test_the_settling_bound_is_the_forecasts holds equal): beyond it the readouts
# that start from the running mean are left out of the forecast anyway. Nearer shifts
# are left to the running update: a sine of amplitude 10 just after a constant (its
# spread still small) has far targets of 10-12 standard deviations that stay a row,
# and settling on them cost a glitch test 3.4% where it allows 2%.
_SETTLE = 50.0
_LOG_SETTLE = math.log(_SETTLE)


class _Readouts(NamedTuple):
    """A copy of what the regressor's readouts learn (_TargetScaling._readouts_now)."""

    W: np.ndarray  # the readouts' weights (every generation, and background ones)
    weights: np.ndarray  # the mixture's
    age: np.ndarray  # rows each readout learned since it started
    fresh_rows: int  # rows left of a fresh generation's larger step
    warn: Any  # the drift detectors (ADWIN), or None
    drift: Any
    n_drifts: int  # drifts acted on (n_drifts_)
    neighbors: Any  # the kNN expert's window and leader (n_neighbors), or None
    knn: bool  # whether the kNN expert was on


@dataclass
class _RunCopy:
    """The readouts copied before a run of far targets (_before_readouts), the
    statistics from before its first row, and the run's length so far."""

    readouts: _Readouts
    mean: float
    var: float
    longest: int = 0
    first: float = math.nan  # the run's first target (_note_far)
    distance: float = math.nan  # its log distance in running standard deviations
    rows: int = 0  # the rows since the run's first, that one included
    shift: bool = False  # whether its first row was taken in (_shift_like)


class _KeptSlot(NamedTuple):
    """The fed-back target's slot at a departure from a constant target: its index
    and a copy of its column of each of ``_TargetScaling._slot_arrays``."""

    index: int
    columns: tuple


def _far(y: float, count: float, mean: float, var: float) -> bool:
    """``_TargetScaling._target_far`` on the statistics as Python floats."""
    if count < _Y_WARMUP or var <= _var_floor(mean):
        return False
    return abs(y - mean) > _Y_ASIDE * math.sqrt(var)


# The mixture's spread (_spread_ratio): the regressor's mixture judges its readouts, and
# its forecast leaves out readouts far from the others, in the target's running standard
# deviations; after a far target (_Y_ASIDE), in _STEP_LOSS and _STEP_FAR times a
# reference where those are smaller: the typical change from one target to the next
# (the last value's own error), at least _FAR_SD_SHARE times the running standard
# deviation from before that target, until the standard deviation is back within
# _STEP_FAR times it.
# A level shift that ends inflates the running standard deviation for hundreds of rows:
# a shift of 1e6 for 20 rows left it some 4e5 times the noise's. In those units the
# readouts' errors after the shift's end were all near 0, the mixture kept the weights
# it had, and readouts that start from the running mean (still some 3e5 off) or that
# learned a correction on the inflated scale were read into the forecast: MAE 1,148
# over the 500 rows after the shift, against the last value's 1.58 (review 357;
# online_robust.py --part excursion). On a stream with no far target, or whose standard
# deviation stays within both bounds (every regression stream of the tuning half, to
# the bit), nothing changes.
# The typical change: the mean absolute change over the first _Y_WARMUP changes, then
# a running mean at standardize_rate of the changes, each winsorised to _WINSOR times it
# while changes beyond that bound have come fewer than _WINSOR_RUN + 1 rows running, in
# full from then on (as a far target's run: a shift or a glitch, two far changes apart,
# moves it by 8% at most a row); so the spread follows a target whose changes grow for
# good (a variance that rises a thousandfold). Alone, on from the first rows, it was no
# reference that holds: winsorised, the changes of a target that holds a value for 10
# rows and then jumps (9 changes of 0 to 1 jump) drove it to nothing, and the mixture
# judged in a spread near 0 (MAE 9 times the spread off's, review 382); so did a
# constant stretch before the run rule (review 381). Hence the far target that turns it
# on, and the floor. The floor's share was chosen on the development parts and the
# tuning half's stuck targets (docs/online.md, "Round 57"): at 1, a random walk stuck at
# 10,000 for 20 rows cost 9.7 times a twin's MAE after it (3.6 before the spread).
_STEP_LOSS = 100.0
_STEP_FAR = 50.0
_FAR_SD_SHARE = 0.1


def _step_update(s: np.ndarray, y: float, rate: float) -> None:
    """The mixture's spread (see above) before target ``y`` is taken in: the running
    standard deviation from before a far target (``s[T_FAR_SD]``, the reference's floor
    over _FAR_SD_SHARE: set on the far target ``y``, 0 again once the running standard
    deviation is back within _STEP_FAR times the reference), and the typical change from
    one target to the next (``s[T_STEP]``, against the previous target taken in), in the
    target statistics ``s``; ``rate``: ``standardize_rate``. The compiled learn kernel
    compiles this same function."""
    var, sd = s[T_VAR], math.sqrt(s[T_VAR])
    if s[T_FAR_SD] != 0.0 and _STEP_FAR * max(_FAR_SD_SHARE * s[T_FAR_SD], s[T_STEP]) >= sd:
        s[T_FAR_SD] = 0.0  # (back within bounds: off)
    floor = _VAR_REL * s[T_MEAN] * s[T_MEAN] + _VAR_TINY  # (_far's test, inline)
    if s[T_COUNT] >= _Y_WARMUP and var > floor and abs(y - s[T_MEAN]) > _Y_ASIDE * sd:
        if s[T_FAR_SD] == 0.0:  # (a far target: on, from the deviation before it)
            s[T_FAR_SD] = sd
    if s[T_HAS_LAST] == 0.0:
        return
    change = abs(y - s[T_LAST])
    s[T_STEPS] += 1.0
    if s[T_STEPS] <= _Y_WARMUP:
        s[T_STEP] += (change - s[T_STEP]) / s[T_STEPS]
        return
    bound = _WINSOR * s[T_STEP]
    s[T_STEP_RUN] = s[T_STEP_RUN] + 1.0 if change > bound else 0.0
    if s[T_STEP_RUN] <= _WINSOR_RUN:  # (a far change, alone or in a short run)
        change = min(change, bound)
    s[T_STEP] += rate * (change - s[T_STEP])


def _spread_ratio(s: np.ndarray, times: float) -> float:
    """``times`` the reference (the typical change, at least ``_FAR_SD_SHARE`` times
    ``s[T_FAR_SD]``) over the target's running standard deviation, at most 1 (the
    target statistics ``s``); 1 while the spread is off (no far target, or back within
    bounds), and where the ratio underflows to 0 (it divides the mixture's errors). The
    compiled kernels compile this same function."""
    if s[T_FAR_SD] == 0.0 or s[T_COUNT] <= 1.0 or s[T_VAR] <= 0.0:
        return 1.0
    ratio = times * max(_FAR_SD_SHARE * s[T_FAR_SD], s[T_STEP]) / math.sqrt(s[T_VAR])
    return min(1.0, ratio) if ratio > 0.0 else 1.0  # (0 too where it underflows: review 381)


def _new_target_stats() -> np.ndarray:
    """``_y_stats`` before any target."""
    return np.zeros(N_STATS)


def _field(index: int, kind: type, doc: str) -> property:
    """A read-only view of ``_y_stats[index]`` as ``kind`` (int or float)."""
    return property(lambda self: kind(self._y_stats[index]), doc=doc)


class _TargetScaling:
    """The regressor's target statistics (a mixin of ``DREAMOnlineRegressor``)."""

    _y_stats: np.ndarray  # (set by _build_target_stats)
    _y_first: np.ndarray | None = None  # the first targets (None: an older pickle)
    _y_undo: tuple | None = None  # (mean, var, avg) kept (_UNDO_ROWS), or None
    _y_undo_left = 0  # targets left to undo it (0: none kept)
    _y_undo_ok = 0  # targets within bounds of the kept statistics, running
    _y_departure: float | None = None  # the target that left a constant (_departs)
    # the departures undone (_SPIKES_KEPT at most, the latest last), or None; a pickle
    # of before round 28 holds (lowest, highest): two of them
    _y_spikes: tuple | None = None
    # the readouts as they were before the current run of far targets: put back
    # when a short run ends (_follow_run), or None; a long run's copy moves to
    # _y_undo_readouts when its statistics are kept, and is put back with them
    # (_undo_target)
    _y_readouts: _RunCopy | None = None
    _y_undo_readouts: _RunCopy | None = None
    # at a departure from a constant target (_departs), the fed-back target's slot,
    # put back with the target's statistics (_undo_target), or None
    _y_slot_kept: _KeptSlot | None = None
    # the far targets that started a run, latest last (_FAR_KEPT at most): (the log of
    # the distance from the running mean in running standard deviations, whether the
    # next target stayed near it)
    _y_far_seen: tuple = ()

    def _build_target_stats(self) -> None:
        self._y_stats = _new_target_stats()
        self._y_first = np.full(_Y_WARMUP, np.nan)
        self._y_undo, self._y_undo_left, self._y_undo_ok = None, 0, 0
        self._y_departure = self._y_spikes = None
        self._y_readouts = self._y_undo_readouts = self._y_slot_kept = None
        self._y_far_seen = ()

    # ---------------------------------------------------------------- reading them

    _y_count = _field(T_COUNT, int, "Targets taken in.")
    _y_mean = _field(T_MEAN, float, "Their running mean.")
    _y_var = _field(T_VAR, float, "Their running variance.")
    _y_avg = _field(T_AVG, float, "The mean of every target seen.")
    _y_run = _field(T_RUN, int, "Targets out of bounds running (_target_far).")

    @property
    def _last_y(self) -> float | None:
        """The previous target (None before the first)."""
        return float(self._y_stats[T_LAST]) if self._y_stats[T_HAS_LAST] else None

    def _y_scale(self) -> float:
        return math.sqrt(self._y_var) if self._y_count > 1 else 0.0

    def _standard(self, y: float) -> float:
        scale = self._y_scale()
        return 0.0 if scale == 0.0 else (y - self._y_mean) / scale

    def _target_far(self, y: float) -> bool:
        """Whether ``y`` is more than ``_Y_ASIDE`` running standard deviations from
        the running mean, once ``_Y_WARMUP`` targets are seen (see ``_Y_ASIDE``)."""
        return _far(y, *self._y_stats.tolist()[: T_VAR + 1])

    def _load_target_stats(self, mean: float, var: float, count: int) -> None:
        """Statistics as a trained model left them (``from_sklearn``): ``count``
        targets seen, their mean also the mean of every target seen."""
        s = self._y_stats
        s[T_COUNT], s[T_MEAN], s[T_VAR], s[T_AVG] = count, mean, var, mean

    # ---------------------------------------------------------------- the row's update

    def _update_target_stats(self, y: float) -> None:
        """The NumPy path's update on target ``y`` (the compiled row's learn kernel
        makes the same, then :meth:`_after_target_kernel`)."""
        armed = self._y_undo_left
        s = self._y_stats
        before = (float(s[T_MEAN]), float(s[T_VAR]), float(s[T_AVG]))
        _step_update(s, y, self.standardize_rate)
        jumped = s[T_STEP_RUN] == 1.0  # (the kernel's R_JUMPED, read where it reads it)
        self._target_row(y)
        if armed:
            self._undo_target(y)
        elif s[T_RUN] == _WINSOR_RUN + 1:
            self._keep_target(before)
        elif self._departs(y, before):
            self._keep_target(before, departure=y)
        self._follow_run(y)
        if jumped:
            self._target_jumped()

    def _target_set_aside(self) -> bool:
        """Whether the row's target, just taken in by :meth:`_update_target_stats`,
        was set aside (a lone far target: ``_Y_ASIDE``)."""
        return 0 < self._y_stats[T_RUN] <= _Y_RUN

    def _target_row(self, y: float) -> None:
        """The row's update of the target's statistics (the NumPy path's; the
        compiled learn kernel's is the same)."""
        s = self._y_stats
        if self._target_far(y):  # set aside (_Y_ASIDE) unless out of bounds a while
            s[T_RUN] += 1
            if s[T_RUN] <= _Y_RUN:
                return
            winsorise = s[T_RUN] <= _WINSOR_RUN  # a short run (_Y_ASIDE)
        else:
            s[T_RUN] = 0
            winsorise = False
        delta = y - s[T_MEAN]
        scale = self._y_scale()
        if winsorise:
            delta = math.copysign(_WINSOR * math.sqrt(s[T_VAR]), delta)
            self._take_target(s[T_MEAN] + delta, delta)
        else:
            self._take_target(y, delta)
        self._last_keeps_scale(scale)
        s[T_LAST], s[T_HAS_LAST] = y, 1.0
        if s[T_COUNT] <= _Y_WARMUP:
            self._first_target(y)

    def _last_keeps_scale(self, before: float) -> None:
        """The ``"last"`` readouts' weights times ``before`` over the running
        standard deviation now (see the module's notes): the correction each adds to the
        previous target keeps its size on the target's scale."""
        after = self._y_scale()
        if before != 0.0 and after != 0.0 and before != after and len(self._last_at):
            ratio, J = before / after, len(self._heads)
            for start in range(0, len(self._W), J):  # (every generation, background too)
                self._W[start + self._last_at] *= ratio

    def _take_target(self, taken: float, delta: float) -> None:
        """One step of the target's running statistics: ``taken`` (the target, or
        the value it is winsorised to) into the mean of every target seen, ``delta``
        (``taken`` minus the running mean) into the running mean and variance."""
        s = self._y_stats
        s[T_COUNT] += 1
        count = s[T_COUNT]
        rate = _moments_rate(count, self.standardize_rate)
        s[T_AVG] += (taken - s[T_AVG]) / count
        s[T_MEAN], s[T_VAR] = _moments_step(s[T_MEAN], s[T_VAR], delta, rate)

    def _after_target_kernel(self, y: float, before: tuple) -> None:
        """What follows the compiled learn kernel's update on target ``y`` in
        Python, in the rows that need it (``_base._fast_learn`` calls it where the
        target is out of bounds, among the first _Y_WARMUP, or a glitch's statistics
        are kept): a run's statistics from ``before`` the row (mean, variance, mean of
        every target seen) kept on its (_WINSOR_RUN + 1)-th row, the first targets'
        test, a glitch's undo, as on the NumPy path (:meth:`_update_target_stats`)."""
        s = self._y_stats
        armed = self._y_undo_left
        if not 0 < s[T_RUN] <= _Y_RUN:  # taken in (else set aside: nothing moved)
            if not armed and s[T_RUN] == _WINSOR_RUN + 1:
                self._keep_target(before)
            elif not armed and self._departs(y, before):
                self._keep_target(before, departure=y)
            if s[T_COUNT] <= _Y_WARMUP:
                self._first_target(y)
        if armed:
            self._undo_target(y)
        self._follow_run(y)

    # ---------------------------------------------------------------- a glitch's undo

    def _keep_target(self, before: tuple, departure: float | None = None) -> None:
        """Keep the target's statistics from before a run's first row taken in full,
        or before the row that left a constant target (its target: ``departure``)."""
        self._y_undo, self._y_undo_left, self._y_undo_ok = before, _UNDO_ROWS, 0
        self._y_departure = departure
        # (the run's readouts go with its statistics; a departure has none)
        self._y_undo_readouts, self._y_readouts = self._y_readouts, None
        self._y_slot_kept = None
        if departure is not None and self._y_slot:
            # The fed-back target's slot, constant too, has no bounds: a glitch of two
            # rows or more reaches it (the second row's target is its next value) and
            # its variance takes it in full, for good, unless put back with the
            # target's statistics (review 182: a target at 0 with 1e30 on two rows,
            # then a sine: MAE 3.341 over rows 400-999 against 0.987 for a twin).
            j = self._y_slot[None]
            columns = tuple(a[:, j].copy() for a in self._slot_arrays())
            self._y_slot_kept = _KeptSlot(j, columns)
        if departure is not None and self._y_slot and self._prev_y is not None:
            # The fed-back previous target (feedback="target") reads the constant on
            # the next row, not the departure: its slot, constant so far, has no
            # bounds and took a spike in full, which the undo above does not reach
            # (review 176: a spike of 1e30 on a target constant at 0, then a sine:
            # MAE 3.344 1,000 rows on, the last value's 3.339, against 0.691 without
            # it). A departure that was real reaches the slot a row late.
            self._prev_y[self._y_slot[None]] = before[0]

    def _departs(self, y: float, before: tuple) -> bool:
        """Whether ``y``, just taken in, left a target that was constant (``before``
        the row: variance at its floor, _Y_WARMUP targets or more): its statistics
        are kept as a run's are, and undone if the constant comes back within
        _UNDO_ROWS rows (a lone spike on a constant target). Out of bounds as no
        target of a constant can be (_target_far's bounds are 0 wide), a spike was
        taken in at once and in full: one of +1e6 on a target of 3.0 left an MAE of
        373.7 over rows 20-250 after it (review 118). Not for a target that
        recurs: within _SPIKE_NEAR of its distance from the constant of one such
        target undone before (a rare real value that recurs, as a count's 1 among
        0s, is taken in the second time)."""
        mean, var, _ = before
        floor = _var_floor(mean)
        if self._y_count <= _Y_WARMUP or self._y_run or var > floor:
            return False
        if abs(y - mean) <= _WINSOR * math.sqrt(floor):
            return False
        near = _SPIKE_NEAR * abs(y - mean)
        return not any(abs(y - spike) <= near for spike in self._y_spikes or ())

    def _undo_target(self, y: float) -> None:
        """Judge ``y`` against the kept statistics (after the row's update); restore
        them when the glitch is over, drop them when their rows are spent (_UNDO_ROWS)."""
        mean, var, avg = self._y_undo
        # (the floor: a constant's kept variance is 0, and it comes back to rounding)
        bound = _WINSOR * math.sqrt(max(var, _var_floor(mean)))
        ok = self._y_undo_ok + 1 if abs(y - mean) <= bound else 0
        left = self._y_undo_left - 1
        if ok >= _Y_UNDO_BACK:  # the glitch is over: its targets leave the statistics
            s = self._y_stats
            s[T_MEAN], s[T_VAR], s[T_AVG] = mean, var, avg
            s[T_COUNT] -= 1  # (counted already: taken in again on the kept ones)
            self._take_target(y, y - mean)
            s[T_LAST], s[T_HAS_LAST], s[T_RUN], left = y, 1.0, 0, 0
            self._glitch_undone(mean, bound / _WINSOR)
            if self._y_departure is not None:  # (a value that recurs is taken in)
                spikes = (*(self._y_spikes or ()), self._y_departure)
                self._y_spikes = spikes[-_SPIKES_KEPT:]
            # (back to before the glitch: a later run's copy goes too)
            self._restore_readouts(self._y_undo_readouts)
            self._y_readouts = None
            self._restore_target_slot()
        if left:
            self._y_undo_left, self._y_undo_ok = left, ok
        else:
            self._y_undo, self._y_undo_left, self._y_undo_ok = None, 0, 0
            self._y_departure = self._y_undo_readouts = self._y_slot_kept = None

    def _restore_target_slot(self) -> None:
        """The fed-back target's slot back as a departure kept it (_keep_target:
        :meth:`_slot_arrays`), in place (the compiled row's buffers are these arrays);
        its run of values out of bounds ends on its next value, the constant."""
        kept, self._y_slot_kept = self._y_slot_kept, None
        if kept is None or self._y_slot.get(None) != kept.index:
            return
        for a, column in zip(self._slot_arrays(), kept.columns, strict=True):
            a[:, kept.index] = column

    def _slot_arrays(self) -> tuple:
        """A slot's state that :meth:`_restore_target_slot` puts back (a column of
        each): the statistics of every scaling, the range, and the slot's own kept
        statistics of a glitch with their counts (left unrestored, a glitch of 4 rows
        or more that the slot had kept on some scaling, with ``slow_rate`` or a
        smaller ``standardize_rate``, was put back into it by the slot's own undo a
        few rows after this restore: review 196)."""
        return (
            self._stat_mean,
            self._stat_var,
            self._stat_scale,
            self._range,
            self._undo,
            self._undo_n,
        )

    def _before_readouts(self, y: float) -> None:
        """Before the row's readout step (the NumPy path; the compiled row's learn
        kernel makes the same test and stops for :meth:`_hold_readouts`): where
        target ``y`` starts a run of far targets (set aside: _Y_ASIDE), copy the
        readouts as they are, before the row's decay, ages and drift detectors move
        them (_follow_run)."""
        if self._y_readouts is None and self._y_run == 0 and self._target_far(y):
            self._hold_readouts(y)

    def _hold_readouts(self, y: float) -> None:
        """Copy the readouts for a run of far targets that starts on this row (target
        ``y``), with the target's statistics from before it; where far targets like
        it stayed (_shift_like), the row is taken in as a run's second row."""
        mean, var = self._y_stats[T_MEAN : T_VAR + 1].tolist()
        distance = math.log(abs(y - mean) / math.sqrt(var))
        shift = self._shift_like(distance)
        self._y_readouts = _RunCopy(
            self._readouts_now(), mean, var, first=y, distance=distance, shift=shift
        )
        if shift:
            self._y_stats[T_RUN] = _Y_RUN  # (as if a far target came before it)

    def _shift_like(self, distance: float) -> bool:
        """Whether most far targets whose log distance from the running mean was
        within log(_FAR_NEAR) of ``distance`` stayed (see _FAR_KEPT); False where
        there were none."""
        near = [stayed for d, stayed in self._y_far_seen if abs(d - distance) <= _LOG_NEAR]
        return 2 * sum(near) > len(near)

    def _trust_last(self) -> None:
        """After a far target taken in as a shift (_shift_like): the readouts that
        start from the previous target ("last", "hold") take all of the mixture's
        weight but its share (``mixture_share``), so that the next forecast is
        theirs. The others, still near the old level, are read as far out there
        (_FAR_FORECAST) and left out; a short run's end puts the weights back
        (_follow_run)."""
        w, J = self._weights, len(self._heads)
        anchored = np.isin(np.arange(len(w)) % J, self._last_at)
        if not anchored.any() or anchored.all():
            return
        total, share = w.sum(), self.mixture_share
        for group, part in ((anchored, 1.0 - share), (~anchored, share)):
            have = w[group].sum()
            if have > 0.0:
                w[group] *= part * total / have
            else:  # (all at 0, as mixture_share=0 leaves them: evenly; review 367)
                w[group] = part * total / group.sum()

    def _note_far(self, held: _RunCopy, y: float) -> bool:
        """Keep the outcome of the far target that started the run ``held`` on the
        row after it (target ``y``): whether ``y`` stayed nearer to it than to the
        running mean from before it (_FAR_KEPT)."""
        stayed = abs(y - held.first) < abs(y - held.mean)
        self._y_far_seen = (*self._y_far_seen, (held.distance, stayed))[-_FAR_KEPT:]
        return stayed

    def _settle_shift(self, first: float, y: float, var: float) -> None:
        """A shift taken in (_shift_like, its target ``first``) whose next target
        ``y`` stayed, beyond _SETTLE standard deviations: the target's running mean
        moves to the mean of the two, its variance to theirs or ``var``, the one from
        before the run, whichever is larger (one row's value alone as the mean left a
        readout from the running mean 10.6 off for rows after a switch where the next
        row was 50 off: review 371); the run is over and its copy of the readouts
        dropped. Left to the running update, the shift was
        taken in winsorised, then in full on the run's 4th row, which inflated the
        variance a hundredfold, and the readouts that start from the running mean
        lagged for tens of rows (the levels stream: errors 6-7 on rows 4-11 after a
        switch, the last value's 1.5)."""
        s = self._y_stats
        scale = self._y_scale()
        s[T_MEAN], s[T_VAR], s[T_RUN] = 0.5 * (first + y), max(var, 0.5 * (y - first) ** 2), 0
        self._last_keeps_scale(scale)
        self._y_readouts = None

    def _follow_run(self, y: float) -> None:
        """After the row's update on target ``y``: follow the run the readouts were
        copied for (_before_readouts). When it ends, put them back if it was short but
        more than a lone row (its 2nd and 3rd rows were learned: winsorised) and ``y``
        is back within _WINSOR standard deviations of the statistics from before the
        run's first row (the undo of a long run judges by those from before its
        (_WINSOR_RUN + 1)-th row; a run also ends when the winsorised statistics
        reach a new level: the start of a real change, whose rows stay learned);
        else drop them. A long run's copy went with its kept statistics on
        its (_WINSOR_RUN + 1)-th row (_keep_target). Before that: on the run's first
        row, a far target taken in as a shift (_shift_like) gives the mixture to the
        readouts from the previous target (_trust_last); on its second, the first
        target's outcome is kept (_note_far), and a far shift that stayed settles the
        statistics and ends the run (_settle_shift)."""
        held = self._y_readouts
        if held is None:
            return
        held.rows += 1
        if held.rows == 1 and held.shift:
            self._trust_last()
        elif held.rows == 2 and held.distance == held.distance:  # (NaN: an older pickle's)
            if self._note_far(held, y) and held.shift and held.distance > _LOG_SETTLE:
                self._settle_shift(held.first, y, held.var)
                return
        run = int(self._y_stats[T_RUN])
        if run > 0:
            held.longest = max(held.longest, run)
        else:  # the run ended
            bound = _WINSOR * math.sqrt(max(held.var, _var_floor(held.mean)))
            if abs(y - held.mean) <= bound and 1 < held.longest <= _WINSOR_RUN:
                self._restore_readouts(held)
            self._y_readouts = None

    def _readouts_now(self) -> _Readouts:
        """A copy of what the readouts learn, drift_recovery's detectors and count
        and the kNN expert's window too (a drift the glitch fires, often on the row
        that ends it, empties the window: review 199)."""
        knn = bool(self._k_neighbors)
        return _Readouts(
            self._W.copy(),
            self._weights.copy(),
            self._age.copy(),
            self._fresh_rows,
            copy.deepcopy(self._warn),
            copy.deepcopy(self._drift),
            self.n_drifts_,
            copy.deepcopy(getattr(self, "_neighbors", None)) if knn else None,
            knn,
        )

    def _restore_readouts(self, kept: _RunCopy | None) -> None:
        """The readouts back as :meth:`_readouts_now` copied them before a run
        (``kept``; None: nothing to put back): in place where the arrays kept their
        shapes (the compiled row's buffers are these arrays), else as new arrays (a
        drift's fresh readouts or a warning's background ones came since: the compiled
        row lays its buffers out again, as after a drift). Not where the features
        changed since (a new feature, pairs granted: the weights no longer line up)."""
        if kept is None:
            return
        W, weights, age, fresh_rows, warn, drift, n_drifts, neighbors, knn = kept.readouts
        if W.shape[2] != self._W.shape[2]:
            return
        self._fresh_rows, self._warn, self._drift = fresh_rows, warn, drift
        self.n_drifts_ = n_drifts
        if knn and self._k_neighbors:  # (the rows it kept since, the glitch's, go too)
            if neighbors is not None and self._neighbors is not None:
                # (the rows to pass by still count down: a clock, not something
                # learned; and the copy's count differed by the row between the paths,
                # which count a passed-by row after and before the copy)
                neighbors.wait = self._neighbors.wait
            if neighbors is not None:
                # (run as n_neighbors says now, as a change made during the run
                # asks: put back with the copy's rule, a change to or from "auto"
                # was undone for good; review 404)
                self._gate_vote(neighbors)
            self._neighbors, self._neighbor_seen, self._y_watched = neighbors, None, ()
        same = W.shape == self._W.shape and weights.shape == self._weights.shape
        if same and age.shape == self._age.shape:
            self._W[...], self._weights[...], self._age[...] = W, weights, age
        else:
            self._W, self._weights, self._age = W, weights, age
        # (the "last" readouts were copied on the scale before the run; the statistics
        # put back, or kept, may differ from it: their rescaling (_last_keeps_scale)
        # goes from that scale to this one, or a glitch of 3 rows left the correction
        # 1.46 times its size: review 340)
        self._last_keeps_scale(math.sqrt(kept.var))

    def _window_dropped(self) -> None:
        """The kNN expert's window went during a run of far targets: the run's copies
        forget theirs too, so that a glitch undone afterwards does not bring it back
        (a window set on again starts empty, and one the run's end put back came
        back with its old rows; review 404)."""
        for held in (self._y_readouts, self._y_undo_readouts):
            if held is not None and held.readouts.neighbors is not None:
                held.readouts = held.readouts._replace(neighbors=None)

    def _glitch_undone(self, mean: float, scale: float) -> None:
        """What else leaves with an undone glitch (the statistics kept before it:
        ``mean``, its standard deviation ``scale``); the regressor's kNN window
        overrides it."""

    # ---------------------------------------------------------------- the first targets

    def _first_target(self, y: float) -> None:
        """Keep one of the first _Y_WARMUP targets; test them when they are all in.

        Both paths call it after the row's update (the compiled row from
        _after_target_kernel: the statistics it changes are the kernel's own). The
        test: each target against the other _Y_WARMUP - 1, as a slot's first values
        are tested (_scaling._first_outliers: more than 30 of their standard
        deviations from their mean, outside their range widened by its width, they
        not constant). Targets so found leave the statistics: the mean, variance and
        mean of every target seen become those of the others alone (the running update
        replayed over them), the previous target the last of them if the latest was
        one. The dropped target still counts as seen (the count stays _Y_WARMUP), so
        they are tested once and the next target is judged by the rule for later
        targets (_target_far) against the others' statistics: a level that moved on the
        8th target is taken in as any (one row set aside, two winsorised, then in
        full), and a glitch on the 8th and 9th targets is bounded as any two-row
        glitch. Without it one target of 1e30 among the first 8 kept the mean of every
        target seen at 6.7e26 for good.
        """
        first = self._y_first
        if first is None:  # an older pickle: the targets before are not known (NaN)
            first = self._y_first = np.full(_Y_WARMUP, np.nan)
        first[self._y_count - 1] = y
        if self._y_count < _Y_WARMUP or np.isnan(first).any():  # (NaN: an older pickle)
            return
        out = _first_outliers(first[:, None])[:, 0]
        if not out.any():
            if self._first_departures(first):
                first[:] = np.nan
            return
        kept = first[~out]
        s = self._y_stats
        self._replay_targets(kept)
        s[T_COUNT] = _Y_WARMUP  # (the dropped target counted: tested once)
        if out[-1] and len(kept):
            s[T_LAST] = kept[-1]
        first[:] = np.nan  # (emptied, as a slot's first values are)

    def _replay_targets(self, values: np.ndarray) -> None:
        """The target's statistics (count, mean, variance, mean of every target seen)
        as the running update over ``values`` alone leaves them."""
        s = self._y_stats
        s[T_COUNT], s[T_MEAN], s[T_VAR], s[T_AVG] = 0, 0.0, 0.0, 0.0
        for v in values:
            self._take_target(float(v), v - s[T_MEAN])

    def _first_departures(self, first: np.ndarray) -> bool:
        """The first targets constant but for one or two that depart from it once
        each (review 147): each such lone departure is read as a later target that
        leaves a constant is (_departs). One after which the constant came back leaves
        the statistics (replayed over the others) and is recorded as a departure undone
        (a later one near it is taken in); one after which it did not stays (a level
        that moved). The latest, if a lone departure and every other undone, is taken
        in on the constant's statistics and they are kept, to be restored if the
        constant comes back within _UNDO_ROWS rows. Departures on consecutive rows
        close to each other are one departure (a glitch of a few rows). A value that
        departs twice apart (a count's 1 twice among 0s) stays: it recurs. The slots' test
        (_first_outliers) keeps a value among constant others (a 1 among 0s is real
        there), and one target of 3 + 1e6 among the first 8 of a constant 3.0 stayed
        in the statistics and the mean of every target seen (1003.0 for good; MAE
        about 3,000 over the next 200 rows), where on the 9th it was undone. True
        where it found one."""
        c = float(np.median(first))
        near = np.abs(first - c) <= _WINSOR * math.sqrt(_var_floor(c))
        if near.all() or near.sum() < _Y_WARMUP - 2:
            return False
        departed = np.flatnonzero(~near)

        def close(i: int, j: int) -> bool:  # (the same departure again: _SPIKE_NEAR)
            # (of the larger distance from the constant: either order alike, review
            # 200; with the first's alone, 1e30 then 1.105e30 on consecutive rows was
            # no run, and the second was kept as the first recurring)
            far = max(abs(first[i] - c), abs(first[j] - c))
            return abs(first[j] - first[i]) <= _SPIKE_NEAR * far

        # A run: departures on consecutive rows close to each other, one glitch of a
        # few rows, read as one departure (as after the first targets, where the
        # constant coming back undoes a glitch of up to _UNDO_ROWS rows; review 199:
        # 1e30 on the 4th and 5th targets of a constant, kept as a value that recurs,
        # left the MAE at 6.2e23). A value that departs again apart recurs.
        runs: list[list[int]] = []
        for i in departed:
            if runs and runs[-1][-1] == i - 1 and close(runs[-1][0], i):
                runs[-1].append(i)
            else:
                runs.append([i])
        lone = [r for r in runs if not any(close(r[0], j) for j in departed if j not in r)]
        latest = _Y_WARMUP - 1
        # undone: a lone departure after which the constant came back (not one after
        # which it did not: a level that moved, kept, review 150)
        undone = [r for r in lone if near[r[-1] + 1 :].any()]
        dropped = [i for r in undone for i in r]
        # the latest, a lone departure after the constant (every other departure
        # undone); of a run that ends on it, the rows before it go as undone ones do
        last = lone[-1] if lone and lone[-1][-1] == latest else []
        armed = bool(last) and len(dropped) == len(departed) - len(last)
        if not undone and not armed:
            return False
        if armed:
            dropped += last[:-1]
        s = self._y_stats
        kept = np.ones(_Y_WARMUP, dtype=bool)
        kept[dropped] = False
        if armed:
            kept[latest] = False
        self._replay_targets(first[kept])
        for r in undone:
            self._y_spikes = (*(self._y_spikes or ()), float(first[r[0]]))[-_SPIKES_KEPT:]
        self._drop_from_target_slot(first[dropped])
        if armed:  # taken in, the constant's statistics kept (_departs)
            y = float(first[latest])
            before = (float(s[T_MEAN]), float(s[T_VAR]), float(s[T_AVG]))
            self._take_target(y, y - s[T_MEAN])
            self._keep_target(before, departure=y)
        s[T_COUNT] = _Y_WARMUP  # (the departures counted: tested once)
        return True

    def _drop_from_target_slot(self, dropped: np.ndarray) -> None:
        """The departures among the first targets that were undone leave the fed-back
        target's slot too: its statistics replayed over its first values without
        them (the slot, one row behind, holds the first 7 targets when the 8th is
        tested, and is still warming: its own test keeps one value among 7 equal
        others, a slot's 1 among 0s being real; review 196: 1e30 on the 5th target
        of a constant, then a sine, MAE 3.344 against 0.874 for the twin)."""
        if not len(dropped) or not self._y_slot:
            return
        j = self._y_slot[None]
        n = int(self._count[j])
        if n >= _WINSOR_MIN:  # (tested already, its first values emptied: left as is)
            return
        first = self._first[:n, j]  # (the values it took; the rest of the column is not)
        out = np.isin(first, dropped)
        if not out.any():
            return
        kept = first[~out & ~np.isnan(first)]
        # (the others are within the constant's bounds, so their replayed run is 0:
        # _running and the compiled row's flag need no change)
        mean, var, scale, run = _replay(kept, self._floors[:, 0])
        self._stat_mean[:, j], self._stat_var[:, j], self._stat_scale[:, j] = mean, var, scale
        self._n_over[:, j] = run
        self._range[:, j] = (kept.min(), kept.max()) if len(kept) else (np.inf, -np.inf)
        first[out] = np.nan  # (not known: its own test at 8 values reads the others)

    # ---------------------------------------------------------------- older pickles

    def _target_stats_from(self, state: dict) -> None:
        """``_y_stats`` from the separate attributes a regressor pickled before it
        existed kept (``_y_count``, ``_y_mean``...; the defaults of their time where
        the pickle predates one)."""
        last = state.pop("_last_y", None)
        s = self._y_stats = _new_target_stats()
        s[T_COUNT] = state.pop("_y_count", 0)
        s[T_MEAN] = state.pop("_y_mean", 0.0)
        s[T_VAR] = state.pop("_y_var", 0.0)
        s[T_AVG] = state.pop("_y_avg", 0.0)
        s[T_RUN] = state.pop("_y_run", 0)
        if last is not None:
            s[T_LAST], s[T_HAS_LAST] = last, 1.0
