"""The DREAM cell's mathematics: one time step, written once.

Everything the package computes per step goes through :func:`dream_step`. It is
written against a tiny array namespace (``ops``) so that the same lines run on
torch tensors (training, batches, GPU) and on NumPy arrays (the lean single-row
path of the online estimators) and, compiled by numba, in the online estimators'
steady-state row (:func:`numba_step`). Only operators that torch, NumPy and numba
share are used directly (``@``, ``*``, ``+``); everything else (functions, sums,
reshapes) comes from ``ops``. :func:`_make_step` builds the step's body from an
``ops`` namespace, so that numba sees plain functions as free variables.
"""

from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple

import numpy as np
import torch
from scipy.special import expit

_LOG_2PI_E = math.log(2.0 * math.pi * math.e)
_EPS = 1e-6
# Bound on each component of the prediction error. The error is the only quantity
# the step squares; beyond ~1.8e19 its square overflows float32 (and a 1e300 input
# overflows float64), which turned the error statistics into inf and then NaN.
# Inputs are meant to be standardised, so the bound never binds in normal use.
# A narrower dtype gets a lower bound (see ``error_bound``): float16 cannot even hold 1e8.
_ERROR_BOUND = 1e8


class _TorchOps:
    tanh = staticmethod(torch.tanh)
    sigmoid = staticmethod(torch.sigmoid)
    sqrt = staticmethod(torch.sqrt)
    log = staticmethod(torch.log)

    @staticmethod
    def clip(a, low, high):
        return torch.clamp(a, min=low, max=high)

    @staticmethod
    def error_bound(dtype, d: int) -> float:
        # At most _ERROR_BOUND, and low enough that d squared errors (and of twice
        # the bound, for e - e_mean) sum to a finite value in this dtype.
        return min(_ERROR_BOUND, math.sqrt(torch.finfo(dtype).max / (4 * d)))

    @staticmethod
    def as_float(mask, like):
        # A bool tensor times a Python float is the default dtype (float32): cast it
        # to the state's dtype so that bfloat16 / float16 / float64 states stay so.
        return mask.to(like.dtype)

    matmul = staticmethod(operator.matmul)

    @staticmethod
    def row_sum(a):
        return a.sum(-1)

    @staticmethod
    def ratio_sum(a, v):
        # row_sum(a / (v + _EPS)). In float32 at least, cast back within the dtype's
        # range: after a quiet stretch the error variance v decays to about 1e-7, and
        # in float16 the square of v + _EPS in the division's gradient underflowed to
        # 0, and the sum overflowed to inf; times the 0 gradient of a saturated
        # surprise, either read NaN in every parameter's gradient, with the outputs
        # finite (a review's finding, round 31).
        if a.dtype in (torch.float16, torch.bfloat16):
            ratio = (a.float() / (v.float() + _EPS)).sum(-1)
            return ratio.clamp(max=torch.finfo(a.dtype).max).to(a.dtype)
        return (a / (v + _EPS)).sum(-1)

    @staticmethod
    def sq_sum2(a):
        # The sum of squares over the last two axes, as one op: numba's is a loop
        # (no array a * a). In float32 at least: float16's overflowed once the fast
        # weights' norm passed 256 (a gap of 100 time units did it), and the cap
        # then set them to 0 (a review's finding); the step casts the cap back.
        if a.dtype in (torch.float16, torch.bfloat16):
            a = a.float()
        return (a * a).sum((-2, -1))

    @staticmethod
    def col(a):
        return a[:, None]

    @staticmethod
    def col2(a):
        return a[:, None, None]

    @staticmethod
    def outer(a, b):
        return a[:, :, None] * b[:, None, :]

    @staticmethod
    def bmv(U, v):
        return (U @ v[:, :, None])[:, :, 0]


class _NumpyOps:
    tanh = staticmethod(np.tanh)
    sigmoid = staticmethod(expit)
    sqrt = staticmethod(np.sqrt)
    log = staticmethod(np.log)

    @staticmethod
    def clip(a, low, high):
        # Same values as np.clip, without its Python-level overhead (single rows).
        return np.minimum(np.maximum(a, low), high)

    @staticmethod
    def error_bound(dtype, d: int) -> float:
        # The NumPy path runs in float64 (numpy_step_params): the bound never moves.
        return _ERROR_BOUND

    @staticmethod
    def as_float(mask, like):
        # NumPy: a bool array times a float is already float64, the path's dtype.
        return mask

    matmul = _TorchOps.matmul
    row_sum = _TorchOps.row_sum

    @staticmethod
    def ratio_sum(a, v):
        return (a / (v + _EPS)).sum(-1)

    @staticmethod
    def sq_sum2(a):
        return (a * a).sum((-2, -1))  # (float64: the NumPy path's dtype)

    col = _TorchOps.col
    col2 = _TorchOps.col2
    outer = _TorchOps.outer
    bmv = _TorchOps.bmv


TORCH_OPS = _TorchOps()
NUMPY_OPS = _NumpyOps()


class StepParams(NamedTuple):
    """The slow parameters (learned by gradient) and fixed constants of one cell.

    Arrays: ``C`` (n, d), ``W`` (d, n), ``B`` (d, n), ``V`` (d, r), ``eta`` (n,).
    Scalars (0-d arrays or floats): ``tau0, alpha, gamma, kappa, tau_sys, scale``.
    Constants (floats): ``lam, beta, beta_s, target_norm, zeta, s_min, fast_scale``.
    """

    C: Any
    W: Any
    B: Any
    V: Any
    eta: Any
    tau0: Any
    alpha: Any
    gamma: Any
    kappa: Any
    tau_sys: Any
    scale: Any
    lam: float
    beta: float
    beta_s: float
    target_norm: float
    zeta: float
    s_min: float
    fast_scale: float


class StepFlags(NamedTuple):
    """Mechanism switches (Python bools, fixed for a cell)."""

    plasticity: bool
    ltc: bool
    sleep: bool
    relative: bool


def _make_step(ops):
    """The body of :func:`dream_step` over the functions of ``ops``.

    The body refers to plain functions only (free variables of the closure), never
    to ``ops`` itself: numba compiles it as it is (:func:`numba_step`).
    """
    tanh, sigmoid, sqrt, log, clip = ops.tanh, ops.sigmoid, ops.sqrt, ops.log, ops.clip
    error_bound, as_float = ops.error_bound, ops.as_float
    row_sum, ratio_sum, sq_sum2 = ops.row_sum, ops.ratio_sum, ops.sq_sum2
    col, col2 = ops.col, ops.col2
    matmul, outer, bmv = ops.matmul, ops.outer, ops.bmv

    def step(p, flags, x, h, U, U_target, e_mean, e_var, s_bar, dt, xB, xV):
        # 1. Predictive coding: the state predicts the input.
        # The error is clipped to +-bound (_ERROR_BOUND, lower for float16) so that the
        # sums of its squares stay finite.
        bound = error_bound(x.dtype, x.shape[-1])
        e = clip(x - tanh(matmul(h, p.C)), -bound, bound)

        # 2. Surprise against a threshold that rises with the error's entropy. Means over
        # features are sums times 1/d (NumPy's mean() costs several times a sum per row).
        inv_d = 1.0 / e.shape[-1]
        entropy = 0.5 * (_LOG_2PI_E + log(row_sum(e_var) * inv_d + _EPS))
        tau_eff = p.tau0 * (1.0 + p.alpha * entropy)
        delta = e - e_mean
        delta2 = delta * delta
        if flags.relative:
            # Standardised error: its RMS is about 1 while the error stays as usual.
            error = sqrt(ratio_sum(delta2, e_var) * inv_d + _EPS) - 1.0
        else:
            error = sqrt(row_sum(e * e) * inv_d + _EPS)
        surprise = sigmoid((error - tau_eff) / p.gamma)
        e_mean = e_mean + p.beta * delta
        e_var = (1.0 - p.beta) * (e_var + p.beta * delta2)
        s_bar = s_bar + p.beta_s * (surprise - s_bar)

        # 3-4. Input drive: surprise gain on B, low-rank fast weights (x projected on V
        # first: (b, r), then U times it as a batched matrix-vector product), error
        # injection; the target state is bounded by tanh. (One statement: numba fuses
        # it into one loop; named parts would each be an array of their own.)
        h_target = tanh(
            xB * col(1.0 + p.kappa * surprise) + p.fast_scale * bmv(U, xV) + matmul(e, p.W)
        )

        # 5. Liquid time constant: surprise shortens tau; the Euler step is capped at 1.
        if flags.ltc:
            tau = p.tau_sys / (1.0 + p.scale * surprise)
        else:
            tau = p.tau_sys + 0.0 * surprise
        rate = clip(dt / tau, 0.0, 1.0)
        h = h + col(rate) * (h_target - h)

        # 3. Hebbian fast weights: only U learns; decay towards U_target; norm capped.
        # dt * eta * S * h (e V)^T is formed as the outer product of (b, n) and (b, r).
        if flags.plasticity:
            ev = matmul(e, p.V) * col(surprise * dt)
            hebb = outer(h * p.eta, ev)
            # (the decay's step capped at 1, as h's: a gap of more than 1 / lam time units
            # reversed U's sign and beyond 2 / lam grew it; a review's finding)
            U = U + col2(clip(p.lam * dt, 0.0, 1.0)) * (U_target - U) + hebb
            # Each (n, r) matrix scaled down to Frobenius norm target_norm if above it.
            # (the sum of squares in float32 at least: as_float casts the cap back)
            norm = sqrt(sq_sum2(U) + _EPS)
            U = U * col2(as_float(clip(p.target_norm / norm, 0.0, 1.0), U))

        # 6. Sleep: in low-surprise periods the consolidated memory moves towards U.
        if flags.sleep:
            # A convex combination of U_target and the capped U (zeta <= 1): its norm stays
            # within the cap without renormalising, as long as U_target starts within it.
            asleep = as_float(s_bar < p.s_min, s_bar) * p.zeta
            U_target = U_target + col2(asleep) * (U - U_target)

        return h, U, U_target, e_mean, e_var, s_bar, surprise, tau

    return step


_TorchOps.step = staticmethod(_make_step(_TorchOps))
_NumpyOps.step = staticmethod(_make_step(_NumpyOps))


def dream_step(
    ops,
    p: StepParams,
    flags: StepFlags,
    x,
    h,
    U,
    U_target,
    e_mean,
    e_var,
    s_bar,
    dt,
    xB=None,
    xV=None,
):
    """Advance a batch of DREAM cells by one time step.

    Shapes: ``x`` (b, d), ``h`` (b, n), ``U`` and ``U_target`` (b, n, r),
    ``e_mean`` and ``e_var`` (b, d), ``s_bar`` (b,), ``dt`` (b,).

    ``xB`` (b, n) and ``xV`` (b, r) are the input projections ``x @ p.B`` and
    ``x @ p.V``: they do not depend on the state, so a sequence layer computes them
    for all steps at once and passes them in; computed here when left out.

    Returns ``(h, U, U_target, e_mean, e_var, s_bar, surprise, tau)`` where
    ``surprise`` and ``tau`` (b,) are this step's surprise and time constant.
    """
    if xB is None:
        xB = x @ p.B
    if xV is None:
        xV = x @ p.V
    return ops.step(p, flags, x, h, U, U_target, e_mean, e_var, s_bar, dt, xB, xV)


_NUMBA_STEP = None


def numba_step():
    """:func:`dream_step`'s body compiled by numba (``cache=True``), or None without numba.

    It takes ``(p, flags, x, h, U, U_target, e_mean, e_var, s_bar, dt, xB, xV)`` as
    the body of :func:`dream_step` does, in float64, with the scalars of ``p`` as
    floats and ``flags`` as booleans, for one row (batch 1) without its batch
    axis: ``x``, ``h``, ``e_mean``, ``e_var``, ``xB``, ``xV`` are 1-d (``x[0]``...),
    and so are the ``h``, ``e_mean``, ``e_var`` it returns; ``s_bar`` and ``dt``
    are floats, and so are the ``s_bar``, ``surprise`` and ``tau`` it returns (its
    ``ops`` sum a row to a float, so that no value per row is an array); ``U`` and
    ``U_target`` are the row's (n, r) matrices flat (``U[0].ravel()``), and so
    are those it returns. Built on the first call (importing numba).
    """
    global _NUMBA_STEP
    if _NUMBA_STEP is None:
        try:
            import numba

            from . import _numba_ops
        except ImportError:
            return None
        _NUMBA_STEP = numba.njit(cache=True, error_model="numpy")(_make_step(_numba_ops.NumbaOps))
    return _NUMBA_STEP
