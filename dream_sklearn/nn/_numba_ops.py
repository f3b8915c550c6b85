"""The ``ops`` namespace of :func:`~dream_sklearn.nn._step.dream_step` for numba.

Plain module-level functions made callable from numba's compiled code
(``register_jitable``): numba's disk cache keys a closure by its free variables'
pickles, which for these are their names (a compiled dispatcher would pickle a new
random id in every process, and never be found in the cache). Imported only when
numba is, by :func:`~dream_sklearn.nn._step.numba_step`.
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from ._step import _EPS, _ERROR_BOUND


@register_jitable
def tanh1(a):
    # tanh of a float as 1 - 2 / (exp(2a) + 1): half the time of libm's tanh, which
    # numba calls for np.tanh (some 70 a row of the online estimators: the cell's
    # 38-40 and the ramps'), within 4.5e-16 of NumPy's (tests/test_online_compiled.py);
    # its error is absolute near 0, where libm's is relative (round 69: docs/online.md,
    # "Round 69: the compiled row's tanh"). exp(2a) overflows to inf
    # for a > 354, which gives 1.0; NaN stays NaN.
    return 1.0 - 2.0 / (np.exp(2.0 * a) + 1.0)


@register_jitable
def tanh(a):
    # The one row's (k,) values, each by tanh1.
    out = np.empty(a.shape[0])
    for j in range(a.shape[0]):
        out[j] = tanh1(a[j])
    return out


@register_jitable
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@register_jitable
def clip(a, low, high):
    # One array expression: numba fuses it into one loop (one new array).
    return np.minimum(np.maximum(a, low), high)


@register_jitable
def error_bound(dtype, d):
    # The compiled path runs in float64: the bound never moves (as NumPy's).
    return _ERROR_BOUND


@register_jitable
def as_float(mask, like):
    return mask


# The compiled path steps one row at a time (batch 1), and passes the row's
# arrays 1-d: ``x``, ``h``, ``e_mean``, ``e_var`` (and ``xB``, ``xV``) as their
# one row, (d,) or (n,), rather than (1, d) or (1, n) (numba's array expressions
# over a 1-d array cost less than over a 2-d one), and a value per row
# (``s_bar``, ``dt``) as a float: the sums over a row are that row's float, so
# every value per row (the entropy, the surprise, tau, the rate, ...) is a float,
# not a (1,) array (each array operation allocates in numba; a float's does not).
@register_jitable
def matmul(a, b):
    # The row (k,) @ (k, n) as loops: several times faster than a BLAS call at
    # these sizes (the inner loop, over n, vectorises).
    out = np.zeros(b.shape[1])
    for k in range(a.shape[0]):
        ak = a[k]
        for j in range(b.shape[1]):
            out[j] += ak * b[k, j]
    return out


@register_jitable
def row_sum(a):
    acc = 0.0
    for j in range(a.shape[0]):
        acc += a[j]
    return acc


@register_jitable
def ratio_sum(a, v):
    # row_sum(a / (v + _EPS)) in the same order, without the array a / (v + _EPS).
    acc = 0.0
    for j in range(a.shape[0]):
        acc += a[j] / (v[j] + _EPS)
    return acc


# The fast weights of the one row are passed flat, as their n * r values (the
# (1, n, r) state's one matrix, row by row): numba's array expressions over a 1-d
# array cost about a third of those over a 2-d or 3-d one of the same size (they
# vectorise). ``bmv``, ``outer`` and ``sq_sum2`` take and give them so.
@register_jitable
def sq_sum2(a):
    # row_sum(a * a) in the same order, without the array a * a.
    acc = 0.0
    for j in range(a.shape[0]):
        acc += a[j] * a[j]
    return acc


# A value per row, broadcast along the other axes: a float already (above).
@register_jitable
def col(a):
    return a


@register_jitable
def col2(a):
    return a


@register_jitable
def outer(a, b):
    # (n,) and (r,): the one row's (n, r) outer product, flat.
    r = b.shape[0]
    out = np.empty(a.shape[0] * r)
    for j in range(a.shape[0]):
        for k in range(r):
            out[j * r + k] = a[j] * b[k]
    return out


@register_jitable
def bmv(U, v):
    # The flat (n, r) matrix times the row's (r,): (n,).
    r = v.shape[0]
    n = U.shape[0] // r
    out = np.empty(n)
    for j in range(n):
        acc = 0.0
        for k in range(r):
            acc += U[j * r + k] * v[k]
        out[j] = acc
    return out


class NumbaOps:
    """The namespace :func:`~dream_sklearn.nn._step._make_step` reads."""

    tanh = tanh
    sqrt = np.sqrt
    log = np.log
    sigmoid = sigmoid
    clip = clip
    error_bound = error_bound
    as_float = as_float
    matmul = matmul
    row_sum = row_sum
    ratio_sum = ratio_sum
    sq_sum2 = sq_sum2
    col = col
    col2 = col2
    outer = outer
    bmv = bmv
