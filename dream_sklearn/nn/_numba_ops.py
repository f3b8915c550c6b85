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

from ._step import _ERROR_BOUND


@register_jitable
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@register_jitable
def clip(a, low, high):
    return np.minimum(np.maximum(a, low), high)


@register_jitable
def error_bound(dtype, d):
    # The compiled path runs in float64: the bound never moves (as NumPy's).
    return _ERROR_BOUND


@register_jitable
def as_float(mask, like):
    return mask


@register_jitable
def matmul(a, b):
    # (b, k) @ (k, n) as loops: for the few rows of the online path, several times
    # faster than a BLAS call (the inner loop, over n, vectorises).
    out = np.zeros((a.shape[0], b.shape[1]))
    for i in range(a.shape[0]):
        for k in range(a.shape[1]):
            aik = a[i, k]
            for j in range(b.shape[1]):
                out[i, j] += aik * b[k, j]
    return out


@register_jitable
def row_sum(a):
    out = np.zeros(a.shape[0])
    for i in range(a.shape[0]):
        acc = 0.0
        for j in range(a.shape[1]):
            acc += a[i, j]
        out[i] = acc
    return out


@register_jitable
def sum2(a):
    out = np.zeros(a.shape[0])
    for i in range(a.shape[0]):
        acc = 0.0
        for j in range(a.shape[1]):
            for k in range(a.shape[2]):
                acc += a[i, j, k]
        out[i] = acc
    return out


# The compiled path steps one row at a time (batch 1): a value per row, broadcast
# along the other axes, is that row's scalar (numba's broadcasting of a (1, 1)
# array over a (1, n) one costs ten times a scalar's).
@register_jitable
def col(a):
    return a[0]


@register_jitable
def col2(a):
    return a[0]


@register_jitable
def outer(a, b):
    out = np.empty((a.shape[0], a.shape[1], b.shape[1]))
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            for k in range(b.shape[1]):
                out[i, j, k] = a[i, j] * b[i, k]
    return out


@register_jitable
def bmv(U, v):
    out = np.zeros((U.shape[0], U.shape[1]))
    for i in range(U.shape[0]):
        for j in range(U.shape[1]):
            acc = 0.0
            for k in range(U.shape[2]):
                acc += U[i, j, k] * v[i, k]
            out[i, j] = acc
    return out


class NumbaOps:
    """The namespace :func:`~dream_sklearn.nn._step._make_step` reads."""

    tanh = np.tanh
    sqrt = np.sqrt
    log = np.log
    sigmoid = sigmoid
    clip = clip
    error_bound = error_bound
    as_float = as_float
    matmul = matmul
    row_sum = row_sum
    sum2 = sum2
    col = col
    col2 = col2
    outer = outer
    bmv = bmv
