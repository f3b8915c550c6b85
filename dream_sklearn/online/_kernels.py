"""numba kernels of the online estimators' steady-state row (see ``_compiled.py``).

A row that brings no new feature and no new class runs as two calls: :func:`forward`
(read and standardise the row, the cell's step, the features ``phi``, the readouts
and their link, the prediction) and :func:`learn` (the readouts' steps, the mixture,
the cell's commit, the running statistics). With the classifier's
``advance_on_predict`` the second splits in two, its halves apart in time:
:func:`advance` commits at the prediction, and at the label :func:`read_kept` and
:func:`learn_kept` run the readouts on the row's features kept since; the
delayed-label readout's row has its own three (:func:`delayed_read`...). They
compute what the NumPy path of ``_base.py`` computes, in the same order, over arrays
laid out in two flat buffers (floats; ints, headed by the layout table)
(``_compiled._Compiled``): the cell's step itself is :func:`dream_step`'s body
compiled (:func:`~dream_sklearn.nn._step.numba_step`), not a copy of it, and the
running statistics' mean and variance are ``_moments``'s functions compiled.

Imported only when numba is (the module imports it).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.core import cgutils
from numba.extending import intrinsic
from numpy.lib.stride_tricks import as_strided

from ..nn._numba_ops import tanh1
from ..nn._step import StepFlags, StepParams, numba_step
from . import _moments, _target
from ._base import _CLIP, _SET_ASIDE, _WINSOR, _WINSOR_MIN, _WINSOR_RUN
from ._classifier import _MISTAKE
from ._compiled import _RES
from ._delayed import _CLIP as _LATE_CLIP
from ._delayed import _MIN as _LATE_MIN
from ._delayed import _RAMP as _LATE_RAMP
from ._delayed import _RAMP_SCALE as _LATE_RAMP_SCALE
from ._delayed import _RATE as _LATE_RATE
from ._delayed import _STEP as _LATE_STEP
from ._features import _PAIR_SCALE, _RAMP, _RAMP_SCALE
from ._readouts import _BOOST_ROWS, _FRESH_ROWS, _MAX_STEP, _RECORD_AFTER
from ._regressor import _AVG_CAP, _ERR_BOUND, _ETA, _FAR_FORECAST, _LOSS_CAP
from ._scaling import _UNDO_ROWS
from ._target import (
    _STEP_FAR,
    _STEP_LOSS,
    _Y_ASIDE,
    _Y_RUN,
    _Y_WARMUP,
    T_AVG,
    T_COUNT,
    T_HAS_LAST,
    T_LAST,
    T_MEAN,
    T_RUN,
    T_STEP_RUN,
    T_VAR,
)

_step = numba_step()

# Rows of the layout table (``_compiled.NAMES`` in this order).
W, WEIGHTS, AGE, MEAN, VAR, SCALE, COUNT, RANGE, PREV_Y, PREV_U = range(10)
H, U, UT, EM, EV, SB = range(10, 16)
N_OVER, CELL_SLOTS, PAIRS, YS, HELD, IS_LAST, CTL = range(16, 23)
C, WC, B, V, ETA, SCAL, KNOTS, MASK, LR, FLOORS = range(23, 33)
RAW, PRES, UROW, PHI, OUT, NH, NU, NUT, NEM, NEV, NSB, RES = range(33, 45)
# The regressor's target statistics (``_target._TargetScaling``: the estimator's
# ``_y_stats`` is this row, T_COUNT ... T_FAR_SD).
TGT = 45
# The classifier's replay ring (``_Readouts._new_ring``): the rows kept, their class,
# loss and row number, its counters; empty (0 rows) without one.
RING, RING_ROWS, RING_AT = 46, 47, 48
# The kernels' own work arrays (no array allocated a row): the cell's input ``x``
# and its projections ``x @ B``, ``x @ V``; the readouts' gradients, their norms
# and ``phi * phi`` (regressor); the running statistics' deltas.
X, XB, XV, GRAD, NORM, PHI2, DELTA = range(49, 56)
# The statistics kept to undo a glitch (``_scaling._UNDO_ROWS``), and the mean and
# squared deviations of the values since: floats (3 S + 4, m), then ints (2, m).
UNDO, UNDO_N = 56, 57
# A slot's first values (``_scaling._first_outliers``): floats (_WINSOR_MIN, m).
FIRST = 58
# Per slot, 1.0 once a row lacked it (``_scaling._indicator``): floats (m,).
ABSENT = 59
# Per readout, the columns of phi it reads, the bias aside: [start, stop) of its mask
# (ints (J, 2); widened to any column where a weight is not 0: _compiled._spans). Its
# weights are 0 outside its mask (they start at 0 and every step is masked), so its
# output, its norm and its step read that span and the bias only.
SPAN = 60
# The feature slots waiting for their pairs (``_FeatureMap._grant_pairs``; empty when
# the budget is spent): ints (w,).
WAITING = 61
# The pairs of paired slots no row has had together (``_FeatureMap._apart``; empty
# when there are none or the budget is spent): ints, m + 1 offsets into the array,
# then each slot's partners (``_compiled._apart``).
APART = 62
N_LAY = 63  # the layout's rows: (start, ndim, shape...) each, at the int buffer's head
# CTL (ints): sizes, switches, and the two flags the statistics keep.
(
    C_N,
    C_D,
    C_M,
    C_S,
    C_K,
    C_J,
    C_K_OUT,
    C_TASK,
    C_DIFF,
    C_PREV_Y,
    C_PREV_U,
    C_STRICT,
    C_PLASTIC,
    C_LTC,
    C_SLEEP,
    C_RELATIVE,
    C_RUNNING,
    C_WARMING,
) = range(18)
N_CTL = 18
# SCAL (floats): the cell's scalars, then the readouts'.
S_DT, S_L2, S_SHARE, S_GAIN, S_BOOST, S_MAX_ABS, S_RATE = range(13, 20)
N_SCAL = 20
# RES (floats): what the row leaves for the Python around the kernels, at the
# positions of ``_compiled._RowResult``'s fields (which say what each is).
R_SURPRISE, R_TAU, R_LOSS, R_OUT = _RES.surprise, _RES.tau, _RES.loss, _RES.out
R_RUNNING, R_WARMING, R_UNKNOWN = _RES.running, _RES.warming, _RES.unknown
R_Y_MEAN0, R_Y_VAR0, R_Y_AVG0 = _RES.y_mean0, _RES.y_var0, _RES.y_avg0
R_Y_AFTER, R_GRANT, R_FIRST, R_JUMPED = _RES.y_after, _RES.grant, _RES.first, _RES.jumped
N_RES = len(_RES)


@intrinsic
def _borrowed(typingctx, buf):
    """``buf`` without its owner (numba's meminfo): the same data, shape and strides.

    numba counts the references to an array's owner, atomically, on every view
    taken and dropped; the kernels take some hundred views of their two buffers a
    row (``_v1``...), which cost about 4% of the row in those counts alone. The
    kernels keep no view beyond the call and the caller holds the buffers
    (``_Compiled``), so the views of a borrowed buffer need no count (numba skips
    the count of an array with no owner). Arrays the kernels allocate keep theirs.
    """

    def codegen(context, builder, sig, args):
        src = context.make_array(sig.args[0])(context, builder, args[0])
        out = context.make_array(sig.return_type)(context, builder)
        for name in ("nitems", "itemsize", "data", "shape", "strides"):
            setattr(out, name, getattr(src, name))
        out.meminfo = cgutils.get_null_value(out.meminfo.type)
        out.parent = cgutils.get_null_value(out.parent.type)
        return out._getvalue()

    return buf(buf), codegen


@njit(cache=True, inline="always")
def _layout(ib):
    """The layout table (N_LAY, 5) at the head of the int buffer ``ib``."""
    return as_strided(ib, shape=(N_LAY, 5), strides=(5 * ib.itemsize, ib.itemsize))


@njit(cache=True, inline="always")
def _v1(buf, lay, i):
    s = lay[i, 0]
    return buf[s : s + lay[i, 2]]


@njit(cache=True, inline="always")
def _flat(buf, lay, i):
    s = lay[i, 0]
    return buf[s : s + lay[i, 2] * lay[i, 3] * lay[i, 4]]


@njit(cache=True, inline="always")
def _v2s(buf, lay, i):
    """A 2-d row of the layout as a strided view: a reshape would call numba's
    reshape helper (about 30 ns each, some twenty a row). The large arrays whose
    loops vectorise (the readouts' weights, their mask) are read flat instead."""
    s, size = lay[i, 0], buf.itemsize
    return as_strided(buf[s:], shape=(lay[i, 2], lay[i, 3]), strides=(lay[i, 3] * size, size))


@njit(cache=True, inline="always")
def _v2c(buf, lay, i):
    """A 2-d row of the layout as a C-contiguous view (a reshape): the step's
    matrices, whose products' inner loops vectorise over such a view."""
    s = lay[i, 0]
    return buf[s : s + lay[i, 2] * lay[i, 3]].reshape((lay[i, 2], lay[i, 3]))


@njit(cache=True, inline="always")
def _put(buf, at, src):
    """``buf[at : at + len(src)] = src`` as a loop (numba's slice assignment of
    a 2-d or 3-d view costs several times as much at these sizes)."""
    for i in range(src.shape[0]):
        buf[at + i] = src[i]


@njit(cache=True, inline="always")
def _matmul_into(a, b, out):
    """``out = a @ b`` as ``_numba_ops.matmul`` computes it, into ``out``."""
    out[:] = 0.0
    for k in range(a.shape[0]):
        ak = a[k]
        if ak == 0.0:  # (a slot the row lacks: most of a wide, sparse row's)
            continue
        for j in range(b.shape[1]):
            out[j] += ak * b[k, j]
    return out


# The running mean and variance (``_moments``): its functions compiled, not copied.
_var_floor = njit(cache=True)(_moments._var_floor)
_moments_rate = njit(cache=True, inline="always")(_moments._moments_rate)
_moments_step = njit(cache=True, inline="always")(_moments._moments_step)
_moments_scale = njit(cache=True, inline="always")(_moments._moments_scale)
_step_update = njit(cache=True, inline="always")(_target._step_update)
_spread_ratio = njit(cache=True, inline="always")(_target._spread_ratio)


@njit(cache=True)
def _undo_slot(j, x, undo, undo_n, mean, var, scale, rng, count, ib, lay):
    """Slot ``j``'s kept statistics on its value ``x`` (``_RunningScaling._undo_step``):
    its count of values within bounds, its window's mean and squared deviations; the
    kept statistics restored where a glitch is over, or the fast scaling settled where
    the window ends on a level never seen (_scaling._UNDO_ROWS). A call apart: the
    loop over the slots stays small, and most rows make none."""
    S = mean.shape[0]
    inside = True
    for s in range(S):
        if not abs(x - undo[s, j]) * undo[2 * S + s, j] <= _WINSOR:
            inside = False
    undo_n[1, j] = undo_n[1, j] + 1 if inside else 0
    undo_n[0, j] -= 1
    # the values since the statistics were kept (a new level: _UNDO_ROWS)
    d = x - undo[3 * S + 2, j]
    undo[3 * S + 2, j] += d / max(_UNDO_ROWS - undo_n[0, j], 1)
    undo[3 * S + 3, j] += d * (x - undo[3 * S + 2, j])
    if undo_n[1, j] > _WINSOR_RUN:
        for s in range(S):
            mean[s, j] = undo[s, j]
            var[s, j] = undo[S + s, j]
            scale[s, j] = undo[2 * S + s, j]
        rng[0, j] = undo[3 * S, j]
        rng[1, j] = undo[3 * S + 1, j]
        undo_n[0, j] = 0
    elif undo_n[0, j] == 0:  # a real shift: to a level never seen, it settles
        lo, hi, level = undo[3 * S, j], undo[3 * S + 1, j], undo[3 * S + 2, j]
        new = level > 2.0 * hi - lo or level < 2.0 * lo - hi
        for q in _v1(ib, lay, YS):  # (not a fed-back label's or target's slot)
            new = new and q != j
        if new:
            mean[0, j] = level
            var[0, j] = max(undo[S, j], undo[3 * S + 3, j] / _UNDO_ROWS)
            scale[0, j] = _moments_scale(count[j], var[0, j], _var_floor(level))
            undo_n[0, j] = _UNDO_ROWS  # one more window, which settles nothing
            undo[3 * S, j] = rng[0, j]  # (nor restores the range)
            undo[3 * S + 1, j] = rng[1, j]
            undo[3 * S + 2, j] = np.nan
            undo[3 * S + 3, j] = np.nan
    if undo_n[0, j] == 0:
        undo_n[1, j] = 0


@njit(cache=True)
def _bounded(var, mean, count, held, run):
    """``_DREAMOnline._bounded`` for one value of one scaling."""
    return var > _var_floor(mean) and count >= _WINSOR_MIN and run <= _WINSOR_RUN and held == 0


@njit(cache=True)
def _aside(j, raw, rng, var, mean, count, held, run):
    """``_DREAMOnline._set_aside`` for slot ``j``'s value (the fast scaling's)."""
    lo, hi = rng[0, j], rng[1, j]
    width = hi - lo
    out = (raw[j] > hi + width) or (raw[j] < lo - width)
    return out and _bounded(var[0, j], mean[0, j], count[j], held[j], run)


@njit(cache=True)
def _far_from(first, j, x, i, r):
    """``_scaling._far_from`` for one value ``x`` of slot ``j`` against its first
    values but the i-th and (r >= 0) the r-th, in index order: (far, their mean)."""
    n, c = first.shape[0], 0
    mu = 0.0
    for q in range(n):
        if q != i and q != r:
            mu += first[q, j]
            c += 1
    mu /= c
    v2 = 0.0
    lo, hi = np.inf, -np.inf
    for q in range(n):
        if q != i and q != r:
            d = first[q, j] - mu
            v2 += d * d
            lo = min(lo, first[q, j])
            hi = max(hi, first[q, j])
    v2 /= c
    width = hi - lo
    far = abs(x - mu) > _SET_ASIDE * math.sqrt(v2)
    return far and (x > hi + width or x < lo - width) and v2 > _var_floor(mu), mu


@njit(cache=True)
def _first_test(j, first, floors, mean, var, scale, n_over, rng):
    """``_RunningScaling._test_first`` for slot ``j``, whose count reached
    _WINSOR_MIN: test its first values (``_scaling._first_outliers``, in the same
    order) and, where one is set aside, replay the others (``_scaling._replay``).
    Returns 0 (all kept), 1 (set aside; no run), 2 (set aside; a run)."""
    n = _WINSOR_MIN
    for i in range(n):
        if first[i, j] != first[i, j]:  # not known (a pickle before the buffer)
            return 0
    far_at = 0  # bit i: value i set aside (each tested against the other values as given)
    for i in range(n):
        far, mu = _far_from(first, j, first[i, j], i, -1)
        if not far:  # a pair: against the others but the farthest from their mean
            r, top = -1, -1.0
            for q in range(n):
                if q != i and abs(first[q, j] - mu) > top:
                    r, top = q, abs(first[q, j] - mu)
            far = _far_from(first, j, first[i, j], i, r)[0]
            far = far and _far_from(first, j, first[r, j], i, r)[0]
        if far:
            far_at |= 1 << i
    if far_at == 0:
        return 0
    k = 0  # the kept values, moved up in order
    for i in range(n):
        if not (far_at >> i) & 1:
            first[k, j] = first[i, j]
            k += 1
    S = mean.shape[0]
    running = False
    for s in range(S):
        mean[s, j] = var[s, j] = scale[s, j] = 0.0
        run = 0
        for c in range(1, k + 1):
            delta = first[c - 1, j] - mean[s, j]
            run = run + 1 if abs(delta) * scale[s, j] > _WINSOR else 0
            rate = _moments_rate(c, floors[s])
            mean[s, j], var[s, j] = _moments_step(mean[s, j], var[s, j], delta, rate)
            scale[s, j] = _moments_scale(c, var[s, j], _var_floor(mean[s, j]))
        n_over[s, j] = run
        running = running or run != 0
    lo, hi = np.inf, -np.inf
    for c in range(k):
        lo = min(lo, first[c, j])
        hi = max(hi, first[c, j])
    rng[0, j] = lo
    rng[1, j] = hi
    for i in range(n):  # emptied; the count stays n: tested once (_test_first)
        first[i, j] = np.nan
    return 2 if running else 1


@njit(cache=True)
def _proba_argmax(out, weights):
    """The class the mixture of the readouts' probabilities (J', k) picks."""
    M = weights.shape[0]
    k = out.shape[1]
    best, arg = -np.inf, 0
    for q in range(k):
        if M == 1:
            v = out[0, q]
        else:
            v = 0.0
            for j in range(M):
                v += weights[j] * out[j, q]
        if v > best:
            best, arg = v, q
    return arg


@njit(cache=True)
def _row_argmax(out, j):
    best, arg = -np.inf, 0
    for q in range(out.shape[1]):
        if out[j, q] > best:
            best, arg = out[j, q], q
    return arg


@njit(cache=True)
def _y_scale(tgt):
    """``_TargetScaling._y_scale`` over the target statistics ``tgt``."""
    return math.sqrt(tgt[T_VAR]) if tgt[T_COUNT] > 1 else 0.0


@njit(cache=True)
def _target_far(y, tgt):
    """``_TargetScaling._target_far`` over the target statistics ``tgt``."""
    if tgt[T_COUNT] < _Y_WARMUP or tgt[T_VAR] <= _var_floor(tgt[T_MEAN]):
        return False
    return abs(y - tgt[T_MEAN]) > _Y_ASIDE * math.sqrt(tgt[T_VAR])


@njit(cache=True)
def _standard(y, mean, scale):
    """``_TargetScaling._standard``."""
    return 0.0 if scale == 0.0 else (y - mean) / scale


@njit(cache=True, fastmath={"reassoc"})
def _dot_rows(A, v, out):
    """``out = A @ v`` for ``A`` (len(out), len(v)) flat, row by row (the sums in
    any order: they vectorise)."""
    F = v.shape[0]
    for i in range(out.shape[0]):
        acc = 0.0
        row = A[i * F : (i + 1) * F]
        for j in range(F):
            acc += row[j] * v[j]
        out[i] = acc


@njit(cache=True, fastmath={"reassoc"})
def _dot_span(A, v, out, lo, hi):
    """``out = A @ v`` as :func:`_dot_rows`, reading the columns ``[lo, hi)`` and the
    last one (the bias) of each row only: the others are 0 in ``A``."""
    F = v.shape[0]
    vs = v[lo:hi]  # (slices: indices from 0 up, which the loop vectorises)
    for i in range(out.shape[0]):
        row = A[i * F + lo : i * F + hi]
        acc = A[(i + 1) * F - 1] * v[F - 1]
        for j in range(hi - lo):
            acc += row[j] * vs[j]
        out[i] = acc


@njit(cache=True, inline="always")
def _record(fb, lay, phi, c, loss, a):
    """``_Readouts._record``: count the row; keep it in the ring while the mixture
    errs (``phi`` without its pairs, which start at ``a``, and bias, as float32)."""
    at = _v1(fb, lay, RING_AT)
    row = at[3]
    at[3] = row + 1.0
    if loss != 0.0:
        at[1] = _RECORD_AFTER if row - at[2] <= _RECORD_AFTER else 1.0
        at[2] = row
    elif at[1] == 0.0:
        return
    at[1] -= 1.0
    R, Fr = lay[RING, 2], lay[RING, 3]
    i = int(at[0]) % R
    dst = lay[RING, 0] + i * Fr
    skip = phi.shape[0] - 1 - Fr  # the pairs
    for f in range(a):
        fb[dst + f] = np.float32(phi[f])
    for f in range(a, Fr):
        fb[dst + f] = np.float32(phi[f + skip])
    kept = lay[RING_ROWS, 0] + 3 * i
    fb[kept] = c
    fb[kept + 1] = loss
    fb[kept + 2] = row
    at[0] += 1.0


@njit(cache=True, inline="always")
def _readouts_out(fb, ib, lay, phi):
    """Each readout's output on the features ``phi`` (the OUT buffer, (Jt, k), before
    the link): a readout of step 0 (the naive ones) keeps zero weights and reads 0."""
    out = _v2s(fb, lay, OUT)
    Jt, k, F = out.shape[0], out.shape[1], phi.shape[0]
    lr0 = _v1(fb, lay, LR)
    J0 = lr0.shape[0]
    Wf, of = _flat(fb, lay, W), _flat(fb, lay, OUT)
    span = _v2s(ib, lay, SPAN)
    for j in range(Jt):
        rows = slice(j * k, (j + 1) * k)
        if lr0[j % J0] == 0.0:
            of[rows] = 0.0
        else:
            lo, hi = span[j % J0, 0], span[j % J0, 1]
            _dot_span(Wf[j * k * F : (j + 1) * k * F], phi, of[rows], lo, hi)
    return out


@njit(cache=True, inline="always")
def _softmax_rows(out):
    """The classifier's link, in place: each readout's softmax over the classes."""
    Jt, k = out.shape[0], out.shape[1]
    for j in range(Jt):
        top = out[j, 0]
        for q in range(1, k):
            top = max(top, out[j, q])
        tot = 0.0
        for q in range(k):
            out[j, q] = np.exp(out[j, q] - top)
            tot += out[j, q]
        for q in range(k):
            out[j, q] /= tot


@njit(cache=True, error_model="numpy")
def forward(fb, ib, values, slots):
    """One row from the committed state: fills the work buffers; returns the
    prediction (the class's index, or the regressor's prediction of the target),
    or NaN when the row needs the NumPy path (a value it refuses or reads otherwise)."""
    fb, ib = _borrowed(fb), _borrowed(ib)
    lay = _layout(ib)
    ctl = _v1(ib, lay, CTL)
    m, S, K = ctl[C_M], ctl[C_S], ctl[C_K]
    n = ctl[C_N]
    scal = _v1(fb, lay, SCAL)
    raw, pres = _v1(fb, lay, RAW), _v1(fb, lay, PRES)
    raw[:] = 0.0
    pres[:] = 0.0
    max_abs = scal[S_MAX_ABS]
    unknown = 0.0
    for i in range(values.shape[0]):
        v = values[i]
        if v != v:  # missing
            if ctl[C_STRICT]:
                return np.nan
            continue
        if not abs(v) <= max_abs:  # inf, or too large: the NumPy path says which
            return np.nan
        if slots[i] < 0:  # a feature not seen yet: predicting drops it, learning grows
            unknown = 1.0
            continue
        raw[slots[i]] = v
        pres[slots[i]] = 1.0
    if ctl[C_PREV_Y]:
        prev_y = _v1(fb, lay, PREV_Y)
        for j in _v1(ib, lay, YS):
            raw[j] = prev_y[j]
            pres[j] = 1.0

    # The standardised row [u, slow u, ramps] (_DREAMOnline._standardise).
    mean, scale, var = _v2s(fb, lay, MEAN), _v2s(fb, lay, SCALE), _v2s(fb, lay, VAR)
    count, rng = _v1(fb, lay, COUNT), _v2s(fb, lay, RANGE)
    n_over, held = _v2s(ib, lay, N_OVER), _v1(ib, lay, HELD)
    urow = _v1(fb, lay, UROW)
    absent = _v1(fb, lay, ABSENT)
    knots = _v1(fb, lay, KNOTS)
    # A slot the row lacks reads 0 in each scaling and ramp (its value times its
    # presence, 0): set at once, and only the slots the row has are read (a wide,
    # sparse row, one-hot's, lacks most).
    urow[:] = 0.0
    for j in range(m):
        if pres[j] == 0.0:
            continue
        z0 = (raw[j] - mean[0, j]) * scale[0, j]
        keep = pres[j]
        if abs(z0) > _SET_ASIDE:
            if _aside(j, raw, rng, var, mean, count, held, n_over[0, j] + 1):
                keep = keep * 0.0
        # an indicator slot (_RunningScaling._indicator) reads 1 where present
        flat = held[j] == 0 and var[0, j] <= _var_floor(mean[0, j])
        ind = flat and absent[j] > 0.0
        for s in range(S):
            z = (raw[j] - mean[s, j]) * scale[s, j]
            if held[j] == 0:
                z = min(max(z, -_CLIP), _CLIP)
            if ind:
                z = 1.0
            urow[s * m + j] = z * keep
        # its ramps (0 where the slot is absent, as the slot reads, and where it is
        # constant but no indicator: _RunningScaling._standardise)
        live = keep * (0.0 if flat and not ind else 1.0)
        if live == 0.0:  # (no tanh: a value set aside, or a constant slot's)
            continue
        for q in range(K):
            urow[S * m + j * K + q] = tanh1(_RAMP * (urow[j] - knots[q])) * _RAMP_SCALE * live

    # The cell's step: dream_step's body, compiled.
    d = ctl[C_D]
    cells = _v1(ib, lay, CELL_SLOTS)
    x = _v1(fb, lay, X)
    for i in range(d):
        x[i] = urow[cells[i]]
    p = StepParams(
        _v2c(fb, lay, C),
        _v2c(fb, lay, WC),
        _v2c(fb, lay, B),
        _v2c(fb, lay, V),
        _v1(fb, lay, ETA),
        scal[0],
        scal[1],
        scal[2],
        scal[3],
        scal[4],
        scal[5],
        scal[6],
        scal[7],
        scal[8],
        scal[9],
        scal[10],
        scal[11],
        scal[12],
    )
    flags = StepFlags(ctl[C_PLASTIC] != 0, ctl[C_LTC] != 0, ctl[C_SLEEP] != 0, ctl[C_RELATIVE] != 0)
    h, U_new, Ut_new, em, ev, sb, surprise, tau = _step(
        p,
        flags,
        x,
        _flat(fb, lay, H),
        _flat(fb, lay, U),
        _flat(fb, lay, UT),
        _flat(fb, lay, EM),
        _flat(fb, lay, EV),
        _v1(fb, lay, SB)[0],
        scal[S_DT],
        _matmul_into(x, p.B, _v1(fb, lay, XB)),
        _matmul_into(x, p.V, _v1(fb, lay, XV)),
    )
    _put(fb, lay[NH, 0], h)
    _put(fb, lay[NU, 0], U_new)
    _put(fb, lay[NUT, 0], Ut_new)
    _put(fb, lay[NEM, 0], em)
    _put(fb, lay[NEV, 0], ev)
    fb[lay[NSB, 0]] = sb
    res = _v1(fb, lay, RES)
    res[R_SURPRISE] = surprise
    res[R_TAU] = tau
    res[R_UNKNOWN] = unknown

    # phi = [h, u, ramps, pairs, diff, 1] (_DREAMOnline._features).
    phi = _v1(fb, lay, PHI)
    F = phi.shape[0]
    for j in range(n):
        phi[j] = h[j]
    a = m if S > 1 else 0
    L = S * m + m * K - a
    phi[n : n + L] = urow[a:]
    for j in range(m):  # a loaded cell's slots, clipped for the readouts (_features)
        if held[j] != 0:
            for s in range(S):
                q = n + s * m + j - a
                if q >= n:
                    phi[q] = min(max(phi[q], -_CLIP), _CLIP)
    pairs = _v2s(ib, lay, PAIRS)
    at = n + L
    ramps = urow[S * m :]
    for q in range(pairs.shape[1]):
        pv = ramps[pairs[0, q]] * ramps[pairs[1, q]]
        phi[at + q] = pv * _PAIR_SCALE
    at += pairs.shape[1]
    if ctl[C_DIFF]:
        prev_u = _v1(fb, lay, PREV_U)
        for j in range(m):
            if not ctl[C_PREV_U]:
                phi[at + j] = 0.0
            elif held[j] != 0:  # (clipped, as above)
                now, before = urow[j], prev_u[j]
                phi[at + j] = min(max(now, -_CLIP), _CLIP) - min(max(before, -_CLIP), _CLIP)
            else:
                phi[at + j] = urow[j] - prev_u[j]
    phi[F - 1] = 1.0

    # The readouts (Jt, k) and their link.
    out = _readouts_out(fb, ib, lay, phi)
    Jt = out.shape[0]
    weights = _v1(fb, lay, WEIGHTS)
    M = weights.shape[0]
    if ctl[C_TASK] == 0:  # softmax, and the class the mixture picks
        _softmax_rows(out)
        res[R_OUT] = _proba_argmax(out, weights)
        return res[R_OUT]
    # A "last" readout starts from the previous target (standardised), an
    # "average" one from the mean of every target seen (_link); the prediction is
    # the mixture of each readout's start plus its learned part on the target's
    # scale (_to_target: a naive readout's start exact), the standardised mixture
    # kept for the learn kernel (_mix).
    tgt = _v1(fb, lay, TGT)
    y_mean, y_scale = tgt[T_MEAN], _y_scale(tgt)
    is_last = _v1(ib, lay, IS_LAST)
    J = is_last.shape[0]
    has_last = tgt[T_HAS_LAST] != 0.0
    shift = _standard(tgt[T_LAST], y_mean, y_scale) if has_last else 0.0
    shift_avg = _standard(tgt[T_AVG], y_mean, y_scale)
    start_last = tgt[T_LAST] if has_last and y_scale != 0.0 else y_mean
    start_avg = tgt[T_AVG] if tgt[T_COUNT] != 0.0 and y_scale != 0.0 else y_mean
    if abs(shift_avg) > _AVG_CAP:  # (a trend: _regressor._AVG_CAP, as _starts)
        shift_avg = math.copysign(_AVG_CAP, shift_avg)
        start_avg = y_mean + shift_avg * y_scale
    for j in range(Jt):
        if is_last[j % J] == 1:
            out[j, 0] += shift
        elif is_last[j % J] == 2:
            out[j, 0] += shift_avg
    mix = 0.0
    start = 0.0
    learned = 0.0
    far = _FAR_FORECAST * _spread_ratio(tgt, _STEP_FAR)  # (_regressor's _far)
    forecast = _forecast_weights(out, weights, M, far)  # (weights, but a readout far out)
    for j in range(M):
        w = forecast[j]
        mix += out[j, 0] * w
        kind = is_last[j % J]
        if kind == 1:
            start += start_last * w
            learned += (out[j, 0] - shift) * w
        elif kind == 2:
            start += start_avg * w
            learned += (out[j, 0] - shift_avg) * w
        else:
            start += y_mean * w
            learned += out[j, 0] * w
    res[R_OUT] = mix
    return start + y_scale * learned


@njit(cache=True, error_model="numpy")
def _forecast_weights(out, weights, M, far):
    """``_regressor._forecast_weights`` of the standardised outputs ``out[:M, 0]``:
    ``weights`` itself, or a new array where one output is beyond the bound ``far``."""
    lo = hi = out[0, 0]
    for j in range(1, M):
        lo = min(lo, out[j, 0])
        hi = max(hi, out[j, 0])
    if not hi - lo > far:
        return weights
    z = np.empty(M)
    for j in range(M):
        z[j] = out[j, 0]
    order = np.argsort(z, kind="mergesort")
    cum = np.empty(M)
    total = 0.0
    for i in range(M):
        total += weights[order[i]]
        cum[i] = total
    median = z[order[M - 1]]
    for i in range(M):
        if cum[i] >= 0.5 * total:
            median = z[order[i]]
            break
    kept = np.zeros(M)
    for j in range(M):
        if abs(z[j] - median) <= far:
            kept[j] = weights[j]
    norm = 0.0
    for j in range(M):
        norm += kept[j]
    if not norm > 0.0:  # (an infinite output held the median)
        return weights
    for j in range(M):
        kept[j] = kept[j] / norm
    return kept


@njit(cache=True, error_model="numpy")
def learn(fb, ib, c, y_slot, y_raw, fresh, hold):
    """Learn the row :func:`forward` read: the readouts' steps and mixture (class
    ``c``, or the target ``y_raw``), the commit of the cell's step, the running
    statistics (the regressor's target's too), the previous target ``y_raw`` in
    slot ``y_slot`` (-1: none). Returns the mixture's loss, or -1 (nothing
    learned) when the row has a new feature: a growth event, for the NumPy path.
    With ``hold`` (the regressor, no copy of its readouts held), -2 (nothing
    learned) where ``y_raw`` starts a run of far targets: the caller copies the
    readouts (``_TargetScaling._hold_readouts``) and calls again without it."""
    fb, ib = _borrowed(fb), _borrowed(ib)
    lay = _layout(ib)
    res = _v1(fb, lay, RES)
    if res[R_UNKNOWN] != 0.0:
        return -1.0
    loss = _learn_readouts(fb, ib, lay, c, y_raw, fresh, hold)
    if loss == -2.0:
        return loss
    _commit_row(fb, ib, lay, y_slot, y_raw)
    return loss


@njit(cache=True, error_model="numpy", inline="always")
def _learn_readouts(fb, ib, lay, c, y_raw, fresh, hold):
    """The readouts' steps and their mixture's on the row the buffers hold (its
    features PHI, the readouts' outputs OUT), class ``c`` or target ``y_raw``
    (:func:`learn`'s first part); the mixture's loss, or -2 as :func:`learn` says."""
    res = _v1(fb, lay, RES)
    ctl = _v1(ib, lay, CTL)
    m = ctl[C_M]
    scal = _v1(fb, lay, SCAL)
    out, phi = _v2s(fb, lay, OUT), _v1(fb, lay, PHI)
    Jt, k, F = out.shape[0], out.shape[1], phi.shape[0]
    weights = _v1(fb, lay, WEIGHTS)
    M = weights.shape[0]
    mask = _flat(fb, lay, MASK)  # (J, F) flat
    J = lay[MASK, 2]
    span = _v2s(ib, lay, SPAN)
    share = scal[S_SHARE]
    g = _v2s(fb, lay, GRAD)
    if ctl[C_TASK] == 0:  # log-loss gradients; Fixed Share on the mistakes
        loss = 1.0 if _proba_argmax(out, weights) != c else 0.0
        if M > 1:
            tot = 0.0
            for j in range(M):
                weights[j] *= _MISTAKE if _row_argmax(out, j) != c else 1.0
                tot += weights[j]
            factor = (1.0 - share) / tot
            for j in range(M):
                weights[j] = weights[j] * factor + share / M
        for j in range(Jt):
            for q in range(k):
                g[j, q] = out[j, q]
            g[j, c] -= 1.0
    else:  # normalised LMS steps; Fixed Share on the absolute errors
        tgt = _v1(fb, lay, TGT)
        if hold and tgt[T_RUN] == 0.0 and _target_far(y_raw, tgt):  # (_before_readouts)
            return -2.0
        aside = tgt[T_RUN] < _Y_RUN and _target_far(y_raw, tgt)  # (_Y_ASIDE)
        t_raw = _standard(y_raw, tgt[T_MEAN], _y_scale(tgt))
        t = min(max(t_raw, -_CLIP), _CLIP)
        mix = 0.0
        far = _FAR_FORECAST * _spread_ratio(tgt, _STEP_FAR)
        forecast = _forecast_weights(out, weights, M, far)
        for j in range(M):
            mix += out[j, 0] * forecast[j]
        loss = abs(mix - t)
        if M > 1 and not aside:
            tot = 0.0
            spread = _spread_ratio(tgt, _STEP_LOSS)  # (the mixture's spread)
            for j in range(M):
                e = (out[j, 0] - t_raw) / spread
                weights[j] *= np.exp(-_ETA * min(abs(e), _LOSS_CAP))
                tot += weights[j]
            factor = (1.0 - share) / tot
            for j in range(M):
                weights[j] = weights[j] * factor + share / M
        norm, phi2 = _v1(fb, lay, NORM), _v1(fb, lay, PHI2)
        for f in range(F):
            phi2[f] = phi[f] * phi[f]
        lr0 = _v1(fb, lay, LR)
        for j in range(J):  # a readout of step 0 (a naive one) steps not: its norm is not read
            if lr0[j] != 0.0:
                _dot_span(mask[j * F : (j + 1) * F], phi2, norm[j : j + 1], span[j, 0], span[j, 1])
                norm[j] += 1.0
            else:
                norm[j] = 1.0
        for j in range(Jt):
            e = min(max(out[j, 0] - t, -_ERR_BOUND), _ERR_BOUND)
            g[j, 0] = 0.0 if aside else e / norm[j % J]
    first = -1.0  # (the first generation's share, summed in _drop_generation's order)
    if M > J:
        first = 0.0
        for j in range(J):
            first += weights[j]
    res[R_FIRST] = first

    # The readouts' SGD steps (_DREAMOnline._learn).
    surprise = res[R_SURPRISE]
    gain = 1.0 + scal[S_GAIN] * surprise if surprise == surprise else 1.0
    lr0 = _v1(fb, lay, LR)
    age = _v1(fb, lay, AGE)
    Wf = _flat(fb, lay, W)  # (Jt, k, F) flat
    l2 = scal[S_L2]
    regression = ctl[C_TASK] == 1
    for j in range(Jt):
        lr = lr0[j % J]
        if fresh:
            boost = _BOOST_ROWS / (_BOOST_ROWS + age[j]) - _BOOST_ROWS / (_BOOST_ROWS + _FRESH_ROWS)
            lr = lr * (1.0 + scal[S_BOOST] * max(boost, 0.0))
            age[j] += 1.0
        step = gain * lr
        if regression:  # (_MAX_STEP)
            step = min(step, max(lr0[j % J], _MAX_STEP))
        if step == 0.0:  # nothing to learn (the naive readouts): the weights stay
            continue
        decay = max(0.0, 1.0 - step * l2)  # the decay, then the step (_readouts._sgd)
        mrow = mask[(j % J) * F : (j % J + 1) * F]
        lo, hi = span[j % J, 0], span[j % J, 1]  # (0 outside: 0 after the decay too)
        ms, ps = mrow[lo:hi], phi[lo:hi]
        for q in range(k):
            gq = g[j, q] * step
            wrow = Wf[(j * k + q) * F + lo : (j * k + q) * F + hi]
            if l2:
                for f in range(hi - lo):
                    wrow[f] = wrow[f] * decay - gq * (ms[f] * ps[f])
            else:
                for f in range(hi - lo):
                    wrow[f] -= gq * (ms[f] * ps[f])
            Wf[(j * k + q + 1) * F - 1] -= gq * (mrow[F - 1] * phi[F - 1])
    res[R_LOSS] = loss
    if lay[RING, 2]:  # the classifier's replay ring
        _record(fb, lay, phi, c, loss, ctl[C_N] + m * (1 + ctl[C_K]))
    return loss


@njit(cache=True, error_model="numpy", inline="always")
def _commit_row(fb, ib, lay, y_slot, y_raw):
    """The commit of the cell's step on the row the buffers hold, the running
    statistics (the regressor's target's too), the previous target ``y_raw`` in slot
    ``y_slot`` (-1: none) and "diff" (:func:`learn`'s second part)."""
    res = _v1(fb, lay, RES)
    ctl = _v1(ib, lay, CTL)
    m, S = ctl[C_M], ctl[C_S]
    scal = _v1(fb, lay, SCAL)
    out = _v2s(fb, lay, OUT)
    Jt, k, F = out.shape[0], out.shape[1], lay[PHI, 2]
    J = lay[MASK, 2]
    span = _v2s(ib, lay, SPAN)
    Wf = _flat(fb, lay, W)

    # Commit the cell's step.
    for i in range(6):
        dst, src = lay[H + i, 0], lay[NH + i, 0]
        for q in range(lay[H + i, 2] * lay[H + i, 3] * lay[H + i, 4]):
            fb[dst + q] = fb[src + q]

    # The running statistics (_DREAMOnline._update_stats), and the slots the row lacked.
    raw, pres = _v1(fb, lay, RAW), _v1(fb, lay, PRES)
    mean, var, scale = _v2s(fb, lay, MEAN), _v2s(fb, lay, VAR), _v2s(fb, lay, SCALE)
    count, rng = _v1(fb, lay, COUNT), _v2s(fb, lay, RANGE)
    absent = _v1(fb, lay, ABSENT)
    for j in range(m):
        if pres[j] <= 0.0 and count[j] > 0.0:  # (after its first value: _DREAMOnline._commit)
            absent[j] = 1.0
    n_over, held = _v2s(ib, lay, N_OVER), _v1(ib, lay, HELD)
    floors = _v1(fb, lay, FLOORS)
    delta = _v2s(fb, lay, DELTA)
    # Kept statistics restored where a glitch is over (_RunningScaling._undo_step).
    undo, undo_n = _v2s(fb, lay, UNDO), _v2s(ib, lay, UNDO_N)
    for j in range(m):
        if undo_n[0, j] > 0 and pres[j] > 0:  # (rare: a call, the loop kept small)
            _undo_slot(j, raw[j], undo, undo_n, mean, var, scale, rng, count, ib, lay)
    any_over = False
    for s in range(S):
        for j in range(m):
            delta[s, j] = raw[j] - mean[s, j]
            if abs(delta[s, j]) * scale[s, j] > _WINSOR:
                any_over = True
    if any_over:
        running = False
        for s in range(S):
            for j in range(m):
                seen = pres[j] > 0
                over = abs(delta[s, j]) * scale[s, j] > _WINSOR and seen
                if over:
                    n_over[s, j] += 1
                elif seen:
                    n_over[s, j] = 0
                running = running or n_over[s, j] != 0
        ctl[C_RUNNING] = running
        for j in range(m):  # statistics kept where a run is taken in (_keep_for_undo)
            if undo_n[0, j] != 0 or pres[j] <= 0:
                continue
            first = False
            for s in range(S):
                if n_over[s, j] == _WINSOR_RUN + 1:
                    bounded = _bounded(var[s, j], mean[s, j], count[j], held[j], n_over[s, j] - 1)
                    first = first or bounded
            if first:
                for s in range(S):
                    undo[s, j] = mean[s, j]
                    undo[S + s, j] = var[s, j]
                    undo[2 * S + s, j] = scale[s, j]
                undo[3 * S, j] = rng[0, j]
                undo[3 * S + 1, j] = rng[1, j]
                undo[3 * S + 2, j] = 0.0
                undo[3 * S + 3, j] = 0.0
                undo_n[0, j] = _UNDO_ROWS
                undo_n[1, j] = 0
        for j in range(m):  # the values out of bounds taken into the range
            if pres[j] > 0 and abs(delta[0, j]) * scale[0, j] > _WINSOR:
                far = abs(delta[0, j]) * scale[0, j] > _SET_ASIDE
                aside = far and _aside(j, raw, rng, var, mean, count, held, n_over[0, j])
                if aside:  # its moments stay as they are (NaN: read below)
                    delta[0, j] = np.nan
                else:
                    rng[0, j] = min(rng[0, j], raw[j])
                    rng[1, j] = max(rng[1, j], raw[j])
        for s in range(S):
            for j in range(m):
                over = abs(delta[s, j]) * scale[s, j] > _WINSOR and pres[j] > 0
                if over and _bounded(var[s, j], mean[s, j], count[j], held[j], n_over[s, j]):
                    delta[s, j] = math.copysign(_WINSOR * math.sqrt(var[s, j]), delta[s, j])
    elif ctl[C_RUNNING]:
        running = False
        for s in range(S):
            for j in range(m):
                if pres[j] > 0:
                    n_over[s, j] = 0
                running = running or n_over[s, j] != 0
        ctl[C_RUNNING] = running
    warming = False
    was_warming = ctl[C_WARMING] != 0
    first = _v2s(fb, lay, FIRST)
    for j in range(m):
        count[j] += pres[j]
        if was_warming:
            if pres[j] > 0 and count[j] <= _WINSOR_MIN:  # (a slot's first values, kept)
                rng[0, j] = min(rng[0, j], raw[j])
                rng[1, j] = max(rng[1, j], raw[j])
                first[int(count[j]) - 1, j] = raw[j]
            warming = warming or count[j] < _WINSOR_MIN
    if was_warming:
        ctl[C_WARMING] = warming
    for s in range(S):
        for j in range(m):
            if held[j]:  # a loaded cell's statistics and scale stay as trained
                continue
            if delta[0, j] == delta[0, j]:  # (NaN: a value set aside, its moments kept)
                rate = _moments_rate(count[j], floors[s]) * pres[j]
                mean[s, j], var[s, j] = _moments_step(mean[s, j], var[s, j], delta[s, j], rate)
            scale[s, j] = _moments_scale(count[j], var[s, j], _var_floor(mean[s, j]))
    if was_warming:  # the slots whose first values are all in: tested (_test_first)
        for j in range(m):
            if pres[j] > 0 and count[j] == _WINSOR_MIN and held[j] == 0:
                got = _first_test(j, first, floors, mean, var, scale, n_over, rng)
                if got == 2:
                    ctl[C_RUNNING] = 1

    # What the next row reads: the previous target, the fast-scaled slots ("diff").
    if y_slot >= 0:
        prev_y = _v1(fb, lay, PREV_Y)
        for j in _v1(ib, lay, YS):
            prev_y[j] = 0.0
        prev_y[y_slot] = y_raw
    res[R_RUNNING] = ctl[C_RUNNING]
    res[R_WARMING] = ctl[C_WARMING]
    grant = 0.0
    for j in _v1(ib, lay, WAITING):  # (_FeatureMap._grant_pairs's tests: in the row, alive)
        if pres[j] > 0.0:
            if held[j] != 0 or var[0, j] > _var_floor(mean[0, j]) or absent[j] > 0.0:
                grant = 1.0
    apart = _v1(ib, lay, APART)
    if grant == 0.0 and len(apart):  # two slots apart until now, both in this row
        for t in range(m):
            if pres[t] > 0.0:
                for i in range(apart[t], apart[t + 1]):
                    if pres[apart[i]] > 0.0:
                        grant = 1.0
    res[R_GRANT] = grant
    aside = False
    if ctl[C_TASK] == 1:  # the target's statistics (_TargetScaling._target_row)
        tgt = _v1(fb, lay, TGT)
        _step_update(tgt, y_raw, scal[S_RATE])  # (_TargetScaling._update_target_stats)
        res[R_JUMPED] = 1.0 if tgt[T_STEP_RUN] == 1.0 else 0.0
        res[R_Y_MEAN0] = tgt[T_MEAN]
        res[R_Y_VAR0] = tgt[T_VAR]
        res[R_Y_AVG0] = tgt[T_AVG]
        tgt[T_RUN] = tgt[T_RUN] + 1.0 if _target_far(y_raw, tgt) else 0.0
        if tgt[T_RUN] == 0.0 or tgt[T_RUN] > _Y_RUN:  # (else set aside: _Y_ASIDE)
            scale0 = _y_scale(tgt)
            tgt[T_COUNT] += 1.0
            rate = _moments_rate(tgt[T_COUNT], scal[S_RATE])
            delta = y_raw - tgt[T_MEAN]
            taken = y_raw
            if 0.0 < tgt[T_RUN] <= _WINSOR_RUN:  # a short run: winsorised
                delta = math.copysign(_WINSOR * math.sqrt(tgt[T_VAR]), delta)
                taken = tgt[T_MEAN] + delta
            tgt[T_AVG] += (taken - tgt[T_AVG]) / tgt[T_COUNT]
            tgt[T_MEAN], tgt[T_VAR] = _moments_step(tgt[T_MEAN], tgt[T_VAR], delta, rate)
            scale1 = _y_scale(tgt)
            if scale0 != 0.0 and scale1 != 0.0 and scale0 != scale1:  # (_last_keeps_scale)
                ratio = scale0 / scale1
                is_last = _v1(ib, lay, IS_LAST)
                for j in range(Jt):  # (its columns but its span's and the bias are 0)
                    if is_last[j % J] == 1:
                        lo, hi = span[j % J, 0], span[j % J, 1]
                        for q in range(k):
                            row = (j * k + q) * F
                            for f in range(row + lo, row + hi):
                                Wf[f] *= ratio
                            Wf[row + F - 1] *= ratio
            tgt[T_LAST] = y_raw
            tgt[T_HAS_LAST] = 1.0
        # a target out of bounds, one of the first, or one that left a constant
        # target (its variance at the floor before the row: _TargetScaling._departs)
        departs = res[R_Y_VAR0] <= _var_floor(res[R_Y_MEAN0]) and y_raw != res[R_Y_MEAN0]
        after = tgt[T_RUN] != 0.0 or tgt[T_COUNT] <= _Y_WARMUP or departs
        res[R_Y_AFTER] = 1.0 if after else 0.0
        aside = 0.0 < tgt[T_RUN] <= _Y_RUN
    # "diff" reads the change since the last row learned from: not a target set
    # aside, which leaves the previous target ("last") where it was (review 277)
    if ctl[C_DIFF] and not aside:
        urow = _v1(fb, lay, UROW)
        prev_u = _v1(fb, lay, PREV_U)
        for j in range(m):
            prev_u[j] = urow[j]


@njit(cache=True, error_model="numpy")
def advance(fb, ib):
    """Commit the cell's step on the row :func:`forward` read, before its label
    (``advance_on_predict``, the classifier's): the statistics, the cell's state and
    "diff" as :func:`learn` moves them, the readouts untouched (``_PendingRows._advance``).
    Returns 0, or -1 (nothing committed) when the row has a new feature."""
    fb, ib = _borrowed(fb), _borrowed(ib)
    lay = _layout(ib)
    if _v1(fb, lay, RES)[R_UNKNOWN] != 0.0:
        return -1.0
    _commit_row(fb, ib, lay, -1, 0.0)
    return 0.0


@njit(cache=True, error_model="numpy")
def read_kept(fb, ib, phi):
    """The classifier's readouts on the features ``phi`` of a row advanced on, kept
    since (``_PendingRows._pending_step``, the readouts as they are now): PHI and OUT
    filled, as :func:`forward` fills them; returns the class the mixture picks."""
    fb, ib = _borrowed(fb), _borrowed(ib)
    lay = _layout(ib)
    at = _v1(fb, lay, PHI)
    for f in range(at.shape[0]):
        at[f] = phi[f]
    out = _readouts_out(fb, ib, lay, at)
    _softmax_rows(out)
    return _proba_argmax(out, _v1(fb, lay, WEIGHTS))


@njit(cache=True, error_model="numpy")
def learn_kept(fb, ib, c, y_slot, fresh, surprise):
    """Learn class ``c`` on the row :func:`read_kept` read: the readouts' steps and
    mixture (``surprise``: the cell's on the row, when it was advanced on), and the
    label fed back in slot ``y_slot`` (-1: none). Returns the mixture's loss."""
    fb, ib = _borrowed(fb), _borrowed(ib)
    lay = _layout(ib)
    _v1(fb, lay, RES)[R_SURPRISE] = surprise
    loss = _learn_readouts(fb, ib, lay, c, 1.0, fresh, 0)
    if y_slot >= 0:
        prev_y = _v1(fb, lay, PREV_Y)
        for j in _v1(ib, lay, YS):
            prev_y[j] = 0.0
        prev_y[y_slot] = 1.0
    return loss


@njit(cache=True, error_model="numpy")
def replay(W, phis, classes, lr, mask, l2, epochs):
    """The classifier's replay at a drift (``_readouts._Readouts._replay``), in place:
    ``epochs`` passes over the kept rows' features ``phis`` (n, F) and class indices
    ``classes`` (n,), in order, each an SGD step of the fresh readouts ``W`` (J, k, F)
    on the softmax's log-loss at the steps ``lr`` (J,), through ``mask`` (J, F), after
    the L2 decay ``l2`` of every weight but the bias: the NumPy loop's numbers to
    rounding (``_Readouts._replay``, ``_sgd``; its exp, and its softmax's sum over 8
    classes or more, round otherwise) in its order, each output summed over ``F`` in
    order, as its ``np.add.accumulate`` sums it (no fastmath: a reordered sum, carried
    by the replay's large steps, moved later probabilities past 1e-12). A readout's
    step reads and changes its own weights only, so the readouts go one after another.
    A class index must be below ``k`` (numba checks no bound). Returns the steps each
    readout took."""
    J, k, F = W.shape
    g = np.empty(k)
    for _ in range(epochs):
        for r in range(phis.shape[0]):
            phi = phis[r]
            c = classes[r]
            for j in range(J):
                top = -np.inf
                for q in range(k):
                    s = 0.0
                    for f in range(F):
                        s += W[j, q, f] * phi[f]
                    g[q] = s
                    if s > top:
                        top = s
                total = 0.0
                for q in range(k):
                    g[q] = math.exp(g[q] - top)
                    total += g[q]
                for q in range(k):
                    g[q] /= total
                g[c] -= 1.0
                step = lr[j]
                for q in range(k):
                    g[q] *= step
                if l2:
                    decay = max(0.0, 1.0 - step * l2)
                    for q in range(k):
                        for f in range(F - 1):
                            W[j, q, f] *= decay
                for q in range(k):
                    for f in range(F):
                        W[j, q, f] -= g[q] * (mask[j, f] * phi[f])
    return epochs * phis.shape[0]  # (the steps of each readout: never None)


@njit(cache=True, inline="always")
def _nearest(cols, n, x, scale, k, far):
    """The ``k`` nearest of the first ``n`` kept rows to ``x`` (the kNN expert's,
    ``_neighbors``; ``cols`` (width, room): a kept row's values a column): their
    squared distances, ascending, and their rows, as ``(best_d, best_i)`` (``inf`` past
    ``n``). A slot's difference is taken in ``scale`` (one over its standard
    deviation), bounded by ``far``; a slot NaN (absent) on one side only counts as
    ``far``, NaN on both adds nothing (an empty row kept was at 0 from every row:
    review 132). Each row's sum runs over the slots in order, a slot at a time over
    every row (the loop over a slot's values, which lie together, compiles to vector
    instructions: four times the row-at-a-time search's speed on ten features, round
    62). Of rows at one distance, the one in the lower slot of the window (a ring:
    the older one until it wraps) is the nearer."""
    width = x.shape[0]
    k = max(1, min(k, n))  # (n_neighbors may exceed the rows kept, by far)
    d2 = np.zeros(n)
    for j in range(width):
        b, s = x[j], scale[j]
        b_absent = b != b
        for i in range(n):
            a = cols[j, i]
            d = abs((a - b) * s)
            d = 0.0 if d != d else min(d, far)  # (inf times a scale of 0: 0, as NumPy's)
            if (a != a) != b_absent:
                d = far
            d2[i] += d * d
    best_d = np.full(k, np.inf)
    best_i = np.zeros(k, dtype=np.intp)
    for i in range(n):
        v = d2[i]
        if v < best_d[k - 1]:  # (strict: a row kept earlier keeps its place in a tie)
            p = k - 1
            while p > 0 and v < best_d[p - 1]:
                best_d[p] = best_d[p - 1]
                best_i[p] = best_i[p - 1]
                p -= 1
            best_d[p] = v
            best_i[p] = i
    return best_d, best_i


@njit(cache=True)
def neighbor_vote(cols, labels, n, x, scale, k, n_classes, far, tiny):
    """The classifier's kNN vote on one row ``x`` (``_neighbors._NeighborVote``): each
    class's share of the inverse distances of the ``k`` nearest kept rows
    (:func:`_nearest`), summed in order. While the compiled row is on, both paths of
    the classifier call this function (``_NeighborVote._vote_numpy`` computes the same
    numbers where it is off); the constants come as arguments, so that numba's cache
    of this module never holds another module's old ones."""
    best_d, best_i = _nearest(cols, n, x, scale, k, far)
    votes = np.zeros(n_classes)
    for p in range(min(k, n)):
        votes[labels[best_i[p]]] += 1.0 / (math.sqrt(best_d[p]) + tiny)
    total = 0.0
    for c in range(n_classes):
        total += votes[c]
    return votes / total


@njit(cache=True)
def neighbor_read_vote(raw, present, ys, width, cols, labels, n, scale, k, n_classes, far, tiny):
    """:func:`neighbor_row` of the row the compiled row's buffers hold and
    :func:`neighbor_vote` on it, in one call (the classifier's compiled row): ``(row,
    votes)``, ``votes`` empty where no row is kept (``n`` 0)."""
    row = neighbor_row(raw, present, ys, width)
    if n == 0:
        return row, np.empty(0)
    return row, neighbor_vote(cols, labels, n, row, scale, k, n_classes, far, tiny)


@njit(cache=True)
def blend_argmax(p, w, q):
    """The class the classifier predicts where its kNN vote leads: the most probable of
    the readouts' mixture's probabilities ``p`` and the vote's ``q`` by the experts'
    weights ``w`` (``_NeighborVote.blend``'s numbers, elementwise as NumPy computes
    them; of classes tied, the first, as ``argmax``)."""
    best, arg = -np.inf, 0
    for c in range(q.shape[0]):
        v = w[0] * p[c] + w[1] * q[c]
        if v > best:
            best, arg = v, c
    return arg


@njit(cache=True)
def neighbor_mean(cols, targets, n, x, scale, k, far, tiny, lo, hi):
    """The regressor's kNN estimate on one row ``x`` (``_neighbors._NeighborMean``):
    the mean of the ``k`` nearest kept rows' targets, each bounded to ``[lo, hi]`` and
    weighted by its inverse distance (:func:`_nearest`), summed in order; as
    :func:`neighbor_vote`."""
    best_d, best_i = _nearest(cols, n, x, scale, k, far)
    total = 0.0
    weight = 0.0
    for p in range(min(k, n)):
        w = 1.0 / (math.sqrt(best_d[p]) + tiny)
        total += w * min(max(targets[best_i[p]], lo), hi)
        weight += w
    return total / weight


@njit(cache=True)
def neighbor_row(raw, present, ys, width):
    """What the kNN expert reads of the row the compiled row's buffers hold
    (``_base._neighbor_rows`` of one row, to the bit): its values ``raw`` where
    ``present``, NaN elsewhere, in the previous label's or target's slots ``ys`` and
    in the slots past the row's up to ``width`` (the slots made since)."""
    row = np.full(max(width, raw.shape[0]), np.nan)
    for j in range(raw.shape[0]):
        if present[j] > 0:
            row[j] = raw[j]
    for j in ys:
        row[j] = np.nan
    return row


# The delayed-label readout's row (``_delayed._DelayedReadout``: advance_on_predict,
# the classifier's), on its own arrays: the NumPy methods stay the reference, and the
# path taken where the compiled row is off.


@njit(cache=True, error_model="numpy")
def delayed_read(mean, var, count, lacked, raw, present, feats):
    """:meth:`_DelayedReadout.read`: the row's features ``feats`` (2, m) from the
    statistics as they are, then the row taken into them (the first ``m`` slots)."""
    m = raw.shape[0]
    for j in range(m):
        constant = var[j] <= _var_floor(mean[j])
        seen = count[j] >= 2.0 and not constant
        scale = 1.0 / math.sqrt(var[j]) if seen else 0.0
        z = min(max((raw[j] - mean[j]) * scale, -_LATE_CLIP), _LATE_CLIP)
        if lacked[j] > 0.0 and count[j] >= 1.0 and constant:
            z = 1.0
        z *= present[j]
        feats[0, j] = z
        feats[1, j] = _LATE_RAMP_SCALE * math.tanh(_LATE_RAMP * z)
    for j in range(m):
        if present[j] <= 0.0:
            if count[j] > 0.0:
                lacked[j] = 1.0
            continue
        seen = count[j] >= 2.0 and var[j] > _var_floor(mean[j])
        count[j] += 1.0
        rate = _moments_rate(count[j], _LATE_RATE)
        d = raw[j] - mean[j]
        if seen and count[j] > _LATE_MIN:
            bound = _LATE_CLIP * math.sqrt(var[j])
            d = min(max(d, -bound), bound)
        mean[j], var[j] = _moments_step(mean[j], var[j], d, rate)
    return 0.0


@njit(cache=True, error_model="numpy")
def delayed_proba(W, b, feats, q):
    """:meth:`_DelayedReadout.proba` of one row's features ``feats`` (2, m): ``q``
    (k,) its class probabilities (classes or slots the weights lack weigh 0)."""
    k = q.shape[0]
    kk, mm = min(k, W.shape[0]), min(feats.shape[1], W.shape[2])
    for c in range(k):
        z = 0.0
        if c < kk:
            for j in range(2):
                for f in range(mm):
                    z += W[c, j, f] * feats[j, f]
            z += b[c]
        q[c] = z
    _softmax_rows(q.reshape((1, k)))  # (the readouts' link: one row of k)
    return 0.0


@njit(cache=True, error_model="numpy")
def delayed_learn(W, b, feats, c, q):
    """:meth:`_DelayedReadout.learn`'s SGD step on one row's features ``feats``
    (2, m) with class index ``c`` (of ``k = len(q)``; the weights grown to both
    already): ``q`` its probabilities before the step."""
    delayed_proba(W, b, feats, q)
    m = feats.shape[1]
    for cl in range(q.shape[0]):
        g = _LATE_STEP * (q[cl] - 1.0 if cl == c else q[cl])
        for j in range(2):
            for f in range(m):
                W[cl, j, f] -= g * feats[j, f]
        b[cl] -= g
    return 0.0
